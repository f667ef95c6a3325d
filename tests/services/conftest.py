from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from services import actions
from services.categories import seed_categories
from services.models import Category, RoutingRule


@pytest.fixture
def categories(db: Any) -> dict[str, Category]:
    seed_categories(Category)  # idempotent; also works with --nomigrations
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def garbage(categories: dict[str, Category]) -> Category:
    return categories["E0101"]  # 暴露垃圾, 1 working day


@pytest.fixture
def report(city: Any, personas: Any, garbage: Category) -> Any:
    """``report(**overrides)`` → a ticket reported by grid worker A in grid A1-1."""

    def _report(**kw: Any) -> Any:
        args: dict[str, Any] = {
            "actor": personas.grid_worker_a,
            "category": garbage,
            "description": "小区门口垃圾堆放三天无人清运",
            "grid": city.grid_a1,
            "address": "新华街道团结路12号",
            "reporter_name": "王女士",
            "reporter_phone": "13812345678",
        }
        args.update(kw)
        return actions.ticket_report(**args)

    return _report


@pytest.fixture
def whistled(report: Any, city: Any, personas: Any) -> Any:
    """A ticket whistled to the district's urban management department (lead)."""
    ticket = report()
    actions.ticket_whistle(
        ticket=ticket,
        actor=personas.street_officer_a,
        whistle_type="resident_demand",
        lead=city.dept_urban,
    )
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def routing(city: Any, garbage: Category) -> list[RoutingRule]:
    return [
        RoutingRule.objects.create(
            order=10, area=city.district, category=garbage.parent, department=city.dept_urban
        ),
        RoutingRule.objects.create(
            order=20, area=city.district, category=None, department=city.dept_market, role="assist"
        ),
    ]


def jpeg_bytes(
    *, gps: tuple[float, float] | None = None, size: tuple[int, int] = (64, 48)
) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        lat, lng = gps

        def dms(v: float) -> tuple[float, float, float]:
            d = int(v)
            m = int((v - d) * 60)
            return (float(d), float(m), round((v - d - m / 60) * 3600, 4))

        exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lng)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()
