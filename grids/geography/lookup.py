"""Point → grid lookup: ``grid_at(lat, lng) -> Area | None``.

The services app calls this to place a ticket; keep the signature.

One shapely 2.x ``STRtree`` over the boundaries of all active grids, built
lazily once per process and kept until the boundaries change:

- in this process, ``grid_profile_set`` calls ``invalidate()`` at once and
  again after commit (so a rebuild racing the commit cannot keep old data);
- other processes compare the version the index was built from with
  ``GridGeometryVersion`` (bumped in the action's transaction) — one
  primary-key read, at most once every ``GRID_LOOKUP_VERSION_TTL`` seconds
  (default 1 s), so a web worker sees a new boundary within about a second.

A point on an edge shared by two grids (or, if boundaries overlap despite
the warning, inside both) resolves to the grid with the lowest code.
See docs/decisions/0008-grid-lookup.md for the numbers.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from shapely import STRtree
from shapely.geometry import Point, box

from governance.models import Area
from grids.geography.geometry import polygon_from_geojson
from grids.geography.models import GridGeometryVersion
from grids.geography.selectors import lookup_rows

__all__ = ["current_version", "grid_at", "grids_at_bbox", "invalidate", "rebuild"]


@dataclass
class _Index:
    version: int
    #: Grid area ids, sorted by grid code: a lower position = a lower code.
    ids: list[int]
    geoms: np.ndarray
    tree: STRtree | None
    checked_at: float = field(default_factory=time.monotonic)


_lock = threading.Lock()
_index: _Index | None = None


def _ttl() -> float:
    return float(getattr(settings, "GRID_LOOKUP_VERSION_TTL", 1.0))


def current_version() -> int:
    """The boundary version in the database (0 before any boundary was set)."""
    v = GridGeometryVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(v or 0)


def invalidate() -> None:
    """Drop this process's index; the next lookup rebuilds it."""
    global _index
    with _lock:
        _index = None


def _build() -> _Index:
    # Read the version before the rows: if a change commits in between, the
    # index holds newer rows under an older number and is merely rebuilt
    # once more — never the reverse.
    version = current_version()
    ids: list[int] = []
    polygons = []
    for grid_id, _code, boundary in lookup_rows():
        ids.append(grid_id)
        polygons.append(polygon_from_geojson(boundary))
    geoms = np.array(polygons, dtype=object)
    if len(geoms):
        # Prepared polygons make the exact point-in-polygon test cheap.
        shapely.prepare(geoms)
    return _Index(version=version, ids=ids, geoms=geoms, tree=STRtree(geoms) if ids else None)


def rebuild() -> _Index:
    """Build the index now (used at start-up and by the benchmark)."""
    global _index
    built = _build()
    with _lock:
        _index = built
    return built


def _current_index() -> _Index:
    global _index
    idx = _index
    if idx is not None:
        now = time.monotonic()
        if now - idx.checked_at < _ttl():
            return idx
        if current_version() == idx.version:
            idx.checked_at = now
            return idx
    with _lock:
        # Another thread may have rebuilt while this one waited.
        if _index is not None and _index is not idx:
            return _index
        _index = _build()
        return _index


def _candidates(idx: _Index, geom: Any, predicate: str) -> list[int]:
    if idx.tree is None:
        return []
    hits = idx.tree.query(geom)
    if len(hits) == 0:
        return []
    exact = getattr(shapely, predicate)(idx.geoms[hits], geom)
    return sorted(int(i) for i in hits[exact])


def grid_at(lat: float, lng: float) -> Area | None:
    """The active grid containing the point (edges included), or None.

    On a shared edge the grid with the lowest code wins.
    """
    idx = _current_index()
    positions = _candidates(idx, Point(lng, lat), "intersects")
    if not positions:
        return None
    wanted = [idx.ids[i] for i in positions]
    # Positions follow code order; the database decides whether each grid
    # is still active (the index may be up to one TTL old).
    areas = {a.pk: a for a in Area.objects.filter(pk__in=wanted, is_active=True)}
    return next((areas[i] for i in wanted if i in areas), None)


def grids_at_bbox(min_lat: float, min_lng: float, max_lat: float, max_lng: float) -> list[Area]:
    """Active grids whose boundary meets the box, ordered by code."""
    idx = _current_index()
    positions = _candidates(idx, box(min_lng, min_lat, max_lng, max_lat), "intersects")
    if not positions:
        return []
    wanted = [idx.ids[i] for i in positions]
    areas = {a.pk: a for a in Area.objects.filter(pk__in=wanted, is_active=True)}
    return [areas[i] for i in wanted if i in areas]
