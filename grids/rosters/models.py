"""grids.rosters models (re-exported by grids/models.py)."""

__all__: list[str] = []
