"""Fixtures for the grids tests.

geography (engineer "geo"): a clean point → grid index per test, GeoJSON
helpers, and profiles with boundaries for the shared ``city`` grids:

    lat 39.710 ┌──────────┬──────────┐
               │  A1-1    │  A1-2    │     B1-1: a separate square further east
    lat 39.700 └──────────┴──────────┘
           lng 106.800  106.810   106.820

A1-1 and A1-2 share the edge lng = 106.81.
"""

from __future__ import annotations

from typing import Any

import pytest

from grids.geography import actions as geo_actions
from grids.geography import lookup


def rect(min_lng: float, min_lat: float, max_lng: float, max_lat: float) -> dict[str, Any]:
    """A closed, counter-clockwise GeoJSON Polygon for a lng/lat rectangle."""
    ring = [
        [min_lng, min_lat],
        [max_lng, min_lat],
        [max_lng, max_lat],
        [min_lng, max_lat],
        [min_lng, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


A1_1 = rect(106.80, 39.70, 106.81, 39.71)
A1_2 = rect(106.81, 39.70, 106.82, 39.71)
B1_1 = rect(106.85, 39.70, 106.86, 39.71)


@pytest.fixture(autouse=True)
def _fresh_grid_index(settings: Any) -> Any:
    """Each test starts with no cached index and checks the version on every lookup."""
    settings.GRID_LOOKUP_VERSION_TTL = 0
    lookup.invalidate()
    yield
    lookup.invalidate()


def set_profile(grid: Any, boundary: Any = None, *, actor: Any = None, **kw: Any) -> Any:
    data: dict[str, Any] = {"kind": "general", "subtype": "", "households": 400, "population": 1000}
    data |= kw
    return geo_actions.grid_profile_set(grid=grid, boundary=boundary, actor=actor, **data)


@pytest.fixture
def mapped_city(city: Any) -> Any:
    """The shared ``city`` with boundaries on its three grids."""
    set_profile(city.grid_a1, A1_1)
    set_profile(city.grid_a2, A1_2)
    set_profile(city.grid_b1, B1_1)
    return city


# --- rosters fixtures below this line ---


def make_id_number(n: int, *, region: str = "150302", birth: str = "19850612") -> str:
    """A valid 18-character resident ID number (GB 11643 check digit), unique per ``n``."""
    from grids.rosters.validators import id_check_char

    first17 = f"{region}{birth}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def make_phone(n: int) -> str:
    return f"139{n:08d}"


class RosterKit:
    """Helpers to build workers and rosters through the actions (actor = system)."""

    def __init__(self) -> None:
        self.n = 0

    def worker(self, name: str | None = None, **kw: Any) -> Any:
        from grids.rosters import actions as roster_actions

        self.n += 1
        data = {
            "name": name or f"工作人员{self.n}",
            "phone": make_phone(self.n),
            "id_number": make_id_number(self.n),
        } | kw
        return roster_actions.worker_create(**data, actor=None)

    def add(self, grid: Any, worker: Any = None, role: str = "volunteer", **kw: Any) -> Any:
        import datetime as dt

        from grids.rosters import actions as roster_actions

        worker = worker or self.worker()
        data: dict[str, Any] = {
            "full_time": role == "full_time_worker",
            "start": dt.date(2024, 1, 1),
        } | kw
        return roster_actions.roster_add(grid=grid, worker=worker, role=role, actor=None, **data)

    def staff(self, grid: Any, *, extra: int = 2) -> list[Any]:
        """A compliant roster: head, police, full-time worker and ``extra`` part-timers."""
        entries = [
            self.add(grid, role="grid_head"),
            self.add(grid, role="grid_police"),
            self.add(grid, role="full_time_worker"),
        ]
        entries += [self.add(grid, role="building_head") for _ in range(extra)]
        return entries


@pytest.fixture
def roster_kit(city: Any) -> RosterKit:
    return RosterKit()
