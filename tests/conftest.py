"""Shared fixtures: a small city and the personas of CONVENTIONS.md §11.

    city 150300000000
    └─ district A 150302000000 ── street A 150302001000 ── community A1 ── grid A1-1, A1-2
    │                          └─ street B 150302002000 ── community B1 ── grid B1-1
    └─ district Z 150303000000 (departments of another district)

Personas: street officer of A and of B, department officer of a district
department (and one of another department), grid worker in grid A1-1 and in
grid B1-1, a roster admin of district A, a leader of the city, an outsider
with no post.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from governance.models import Area, Department
from tests.factories import UserFactory, grant, make_child, make_city


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Any:
    """Code called directly (actions, commands) speaks English in tests so
    assertions can read messages; pages and the API still pick their language
    per request (Simplified Chinese by default, see test_pages)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Rate-limit counters live in the cache; ids repeat across tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2's cost is the point in production and pure waste in tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class City:
    city: Area
    district: Area
    other_district: Area
    street_a: Area
    street_b: Area
    community_a: Area
    community_b: Area
    grid_a1: Area
    grid_a2: Area
    grid_b1: Area
    dept_urban: Department
    dept_market: Department
    dept_other_district: Department


@pytest.fixture
def city(db: Any) -> City:
    from governance import actions

    c = make_city("乌海市", "150300000000")
    d = make_child(c, "海勃湾区", "150302000000")
    z = make_child(c, "海南区", "150303000000")
    sa = make_child(d, "新华街道", "150302001000")
    sb = make_child(d, "海北街道", "150302002000")
    ca = make_child(sa, "新华社区", "150302001001")
    cb = make_child(sb, "海北社区", "150302002001")
    ga1 = make_child(ca, "新华社区第一网格", "150302001001001")
    ga2 = make_child(ca, "新华社区第二网格", "150302001001002")
    gb1 = make_child(cb, "海北社区第一网格", "150302002001001")
    urban = actions.department_create(name="区城市管理局", area=d, actor=None)
    market = actions.department_create(name="区市场监督管理局", area=d, stationed_at=sa, actor=None)
    other = actions.department_create(name="海南区城市管理局", area=z, actor=None)
    return City(c, d, z, sa, sb, ca, cb, ga1, ga2, gb1, urban, market, other)


@dataclass
class Personas:
    street_officer_a: Any
    street_officer_b: Any
    department_officer: Any
    other_department_officer: Any
    grid_worker_a: Any
    grid_worker_b: Any
    roster_admin: Any
    leader: Any
    outsider: Any


@pytest.fixture
def personas(city: City) -> Personas:
    p = Personas(
        street_officer_a=UserFactory(username="street_a"),
        street_officer_b=UserFactory(username="street_b"),
        department_officer=UserFactory(username="dept_urban"),
        other_department_officer=UserFactory(username="dept_other"),
        grid_worker_a=UserFactory(username="grid_a"),
        grid_worker_b=UserFactory(username="grid_b"),
        roster_admin=UserFactory(username="roster_admin"),
        leader=UserFactory(username="leader"),
        outsider=UserFactory(username="outsider"),
    )
    grant(p.street_officer_a, "street_officer", area=city.street_a)
    grant(p.street_officer_b, "street_officer", area=city.street_b)
    grant(p.department_officer, "department_officer", department=city.dept_urban)
    grant(p.other_department_officer, "department_officer", department=city.dept_other_district)
    grant(p.grid_worker_a, "grid_worker", area=city.grid_a1)
    grant(p.grid_worker_b, "grid_worker", area=city.grid_b1)
    grant(p.roster_admin, "roster_admin", area=city.district)
    grant(p.leader, "leader", area=city.city)
    return p


@pytest.fixture
def client() -> Any:
    """Django's test client, asking for English (see ``zh_client``)."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def zh_client() -> Any:
    """A browser that states no language: it gets the default, 简体中文."""
    from django.test import Client

    return Client()


@pytest.fixture
def api() -> APIClient:
    """An API client that asks for English, so tests can read messages."""
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def api_as(api: APIClient) -> Any:
    """``api_as(user)`` → an APIClient authenticated as ``user``."""

    def _login(user: Any) -> APIClient:
        api.force_login(user)
        return api

    return _login
