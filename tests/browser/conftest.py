"""Browser tests: Playwright drives Debian's Chromium against a live server.

No browser is downloaded: ``make browser`` (run by ``make test`` and CI)
installs Debian's ``chromium`` package, and Playwright starts it through
``executable_path``. Screenshots of the main pages go to
``tests/browser/screenshots/`` (ignored by git).

Playwright's sync API runs an event loop in the test thread, so Django's
async-safety check must be told that the test's own ORM calls are fine.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "pw-for-tests-only"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            "Chromium is not installed: run `make browser` (Debian package `chromium`) "
            "or set CHROMIUM to its path."
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        b = p.chromium.launch(executable_path=chromium_path(), args=args)
        yield b
        b.close()


@pytest.fixture
def world(live_server: Any, city: Any, personas: Any) -> Iterator[Any]:
    """The small city of tests/conftest.py, served live, with categories,
    routing rules, this year's working calendar and a drawn boundary for
    grid A1-1 (so "use my location" finds it)."""
    from django.utils import timezone

    from core.actions import calendar_load_year
    from core.errors import ValidationFailed
    from core.models import WorkCalendarDay
    from grids.geography.actions import grid_profile_set
    from services.categories import seed_categories
    from services.models import Category, RoutingRule

    seed_categories(Category)
    year = timezone.localdate().year
    for y in (year, year + 1):
        if not WorkCalendarDay.objects.filter(day__year=y).exists():
            try:
                calendar_load_year(year=y, actor=None)
            except ValidationFailed:  # next year may not be published yet: provisional
                continue
    garbage = Category.objects.get(code="E0101")
    RoutingRule.objects.create(
        order=10, area=city.district, category=garbage.parent, department=city.dept_urban
    )
    RoutingRule.objects.create(
        order=20, area=city.district, category=None, department=city.dept_market, role="assist"
    )
    grid_profile_set(
        grid=city.grid_a1,
        kind="general",
        households=400,
        population=1200,
        boundary={
            "type": "Polygon",
            "coordinates": [
                [
                    [106.80, 39.65],
                    [106.82, 39.65],
                    [106.82, 39.67],
                    [106.80, 39.67],
                    [106.80, 39.65],
                ]
            ],
        },
        actor=None,
    )
    city.url = live_server.url
    city.garbage = garbage
    city.personas = personas
    yield city
    _clear_events_for_flush()


def _clear_events_for_flush() -> None:
    """PostgreSQL's test teardown TRUNCATEs, which the append-only trigger
    allows; SQLite's DELETEs, which it refuses. Lift the SQLite trigger just
    long enough to empty the table, then put it back."""
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        return
    migration = importlib.import_module("services.migrations.0002_ticket_event_append_only")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS services_ticketevent_no_delete")
        cursor.execute("DELETE FROM services_attachment")
        cursor.execute("DELETE FROM services_ticketevent")
        cursor.execute(migration.SQLITE_UP[1])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def open_as(request: Any, browser: Any, world: Any) -> Iterator[Callable[..., Any]]:
    """``open_as(user, viewport=PHONE, **context_options)`` → a logged-in page."""
    contexts: list[Any] = []

    def _open(user: Any, viewport: dict[str, int] | None = None, **options: Any) -> Any:
        options.setdefault("locale", "zh-CN")  # what a browser in China asks for
        context = browser.new_context(viewport=viewport or DESKTOP, base_url=world.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # A Content-Security-Policy refusal (an inline script or handler left
        # in a template) is only a console message: count it as an error.
        page.on(
            "console",
            lambda msg: (
                errors.append(msg.text)
                if msg.type == "error" and "Content Security Policy" in msg.text
                else None
            ),
        )
        page.js_errors = errors
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("form [type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield _open
    for n, context in enumerate(contexts):
        if getattr(request.node, "failed_call", False):
            for page in context.pages:  # what each person saw when it failed
                shot(page, f"failed-{request.node.name}-{n}")
        context.close()


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot of a main page."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def jpeg(color: tuple[int, int, int] = (200, 30, 30)) -> dict[str, Any]:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, format="JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}


def assert_usable(page: Any, width: int) -> None:
    """No sideways scrolling at this width, a label on every visible field,
    and no script error."""
    overflow = page.evaluate("document.scrollingElement.scrollWidth")
    assert overflow <= width, f"page is {overflow}px wide at {width}px"
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.closest('fieldset')?.querySelector('legend'))
            .map(el => el.name || el.id)"""
    )
    assert unlabeled == [], f"fields without a label: {unlabeled}"
    assert page.js_errors == [], page.js_errors
