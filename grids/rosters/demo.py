"""Demo data for grids.rosters (called by seed_demo)."""

from __future__ import annotations

from typing import Any


def seed(city: Any) -> dict[str, int]:
    return {}
