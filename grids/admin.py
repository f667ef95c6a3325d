"""Admin pages of the grids app live in its sub-packages; importing them registers them."""

from grids.geography import admin as _geo_admin  # noqa: F401
from grids.rosters import admin as _roster_admin  # noqa: F401
