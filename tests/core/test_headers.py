"""Issue 18, finding 11: a Content-Security-Policy that refuses inline
scripts on every page, no inline script in any template, and
``Cache-Control: no-store`` wherever personal data is answered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from tests.factories import UserFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: GET would only say "405": nothing to render.
POST_ONLY = {"/accounts/logout/", "/admin/logout/", "/i18n/setlang/"}


def _plain(pattern: Any) -> str | None:
    """The literal text of a URL pattern, or None if it takes parameters."""
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        text = text.removeprefix("^").removesuffix("$")
        if re.search(r"[()\[\]\\*+?{}|]", text):
            return None
    elif "<" in text:
        return None
    return text


def _parameterless_paths(patterns: list[Any], prefix: str = "/") -> Iterator[str]:
    for entry in patterns:
        part = _plain(entry.pattern)
        if part is None:
            continue
        if isinstance(entry, URLResolver):
            yield from _parameterless_paths(entry.url_patterns, prefix + part)
        elif isinstance(entry, URLPattern):
            yield prefix + part


def _policy(response: Any) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = (d.strip().split() for d in header.split(";") if d.strip())
    return {d[0]: d[1:] for d in directives}


def _assert_no_inline_scripts(response: Any, path: str) -> None:
    policy = _policy(response)
    assert policy, f"{path}: no Content-Security-Policy header"
    scripts = policy.get("script-src") or policy.get("default-src")
    assert scripts, f"{path}: no script-src"
    assert "'unsafe-inline'" not in scripts, f"{path}: {scripts}"
    assert "'unsafe-eval'" not in scripts, f"{path}: {scripts}"
    assert policy.get("object-src") == ["'none'"], path


def test_every_html_page_has_a_policy_without_inline_scripts(city, personas, client):
    """Every page the URL conf serves without parameters (portal, admin,
    browsable API, API docs), as a superuser, plus the login and error pages."""
    root = UserFactory(username="csp_root", is_staff=True, is_superuser=True)
    anonymous = client.get("/accounts/login/")
    _assert_no_inline_scripts(anonymous, "/accounts/login/")
    client.force_login(root)
    paths = sorted(set(_parameterless_paths(get_resolver().url_patterns)) - POST_ONLY)
    assert "/admin/" in paths and "/api/docs/" in paths and "/tickets/" in paths
    html = []
    for path in paths:
        response = client.get(path, HTTP_ACCEPT="text/html")
        if response.get("Content-Type", "").startswith("text/html"):
            html.append(path)
            _assert_no_inline_scripts(response, path)
    assert len(html) > 40, html
    _assert_no_inline_scripts(client.get("/no/such/page/"), "404")


def test_inline_styles_are_allowed_only_for_the_third_party_api_pages(db, client):
    docs = _policy(client.get("/api/docs/"))
    assert "'unsafe-inline'" in docs["style-src"]
    assert "'unsafe-inline'" not in docs["script-src"]
    login = _policy(client.get("/accounts/login/"))
    assert login["style-src"] == ["'self'"]


def test_the_api_docs_load_their_start_up_script_from_a_url(db, client):
    page = client.get("/api/docs/").content.decode()
    assert re.search(r'<script src="[^"]*\?script=', page), page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


_INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.S | re.I)
_HANDLER = re.compile(r"<[a-z][^>]*?\son[a-z]+\s*=", re.S | re.I)


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    files = sorted(TEMPLATES.rglob("*.html"))
    assert files
    for path in files:
        text = path.read_text()
        for match in _INLINE_SCRIPT.finditer(text):
            data_block = re.search(r"type=[\"']application/(ld\+)?json", match["attrs"])
            if match["body"].strip() and not data_block:
                offenders.append(f"{path.relative_to(TEMPLATES)}: inline <script>")
        offenders += [
            f"{path.relative_to(TEMPLATES)}: {m[0][-40:]}" for m in _HANDLER.finditer(text)
        ]
    assert offenders == []


def test_the_scanner_catches_what_it_is_for():
    assert _INLINE_SCRIPT.search("<script>alert(1)</script>")["body"]
    assert _HANDLER.search('<select class="x"\n   onchange="this.form.submit()">')
    assert not _HANDLER.search('<form hx-on="x" data-action="y">')


def test_htmx_is_told_not_to_inject_styles_or_eval(db, client):
    html = client.get("/accounts/login/").content.decode()
    assert '"includeIndicatorStyles": false' in html
    assert '"allowEval": false' in html


# --- Cache-Control ------------------------------------------------------------------------


def _no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_api_answers_are_not_stored(city, personas, api_as):
    api = api_as(personas.street_officer_a)
    me = api.get("/api/v1/me/")
    assert me.status_code == 200 and _no_store(me)
    export = api.get(f"/api/v1/grids/rosters/export/?area={city.street_a.pk}&format=csv")
    assert export.status_code == 200 and _no_store(export)
    missing = api.get("/api/v1/tickets/999999/")
    assert missing.status_code == 404 and _no_store(missing)


@pytest.mark.parametrize("path", ["/api/v1/me/", "/open311/v2/services.json"])
def test_anonymous_api_answers_are_not_stored_either(db, path):
    from rest_framework.test import APIClient

    assert _no_store(APIClient().get(path))


def test_pages_for_a_logged_in_person_are_not_stored(city, personas, client):
    client.force_login(personas.street_officer_a)
    for path in ("/", "/tickets/", f"/areas/{city.street_a.pk}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), path


def test_the_public_api_description_may_be_cached(db, client):
    assert not _no_store(client.get("/api/schema/"))
