"""Demo boundaries and profiles for the Wuhai demo city (called by seed_demo).

Each district is laid out around its real centre (海勃湾区 ≈ 39.68N 106.82E,
海南区 ≈ 39.44N 106.89E, 乌达区 ≈ 39.50N 106.72E): streets sit in a 3-wide
block pattern, communities in a 3 × 2 pattern inside each street, and each
community's grids tile its rectangle exactly (rows of up to four cells of
about 250 m × 250 m). Streets and communities are separated by "roads", so
every grid lies inside its community's outline, every community inside its
street's, and no two grids overlap (neighbours in a community share edges).

Deterministic: the same tree gives the same polygons and numbers. Profiles
are bulk-created with one audit row each (two bulk inserts, not 786 action
calls) after the same boundary checks the action runs.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.models import AuditEntry
from governance.models import Area
from grids.geography.actions import boundaries_changed
from grids.geography.geometry import clean_boundary
from grids.geography.models import GridKind, GridProfile, GridSubtype

#: District code → (lat, lng) of its centre.
CENTRES: dict[str, tuple[float, float]] = {
    "150302000000": (39.68, 106.82),  # 海勃湾区
    "150303000000": (39.44, 106.89),  # 海南区
    "150304000000": (39.50, 106.72),  # 乌达区
}
_DEFAULT_CENTRE = (39.60, 106.80)
CELL_M = 250.0  # a grid cell's nominal side
COMMUNITY_COLS = 4  # grid cells per community row
COMMUNITY_ROWS = 4  # at most (13 grids → 4 rows)
COMMUNITY_GAP_M = 30.0
STREET_GAP_M = 120.0
STREET_COMMUNITY_COLS, STREET_COMMUNITY_ROWS = 3, 2  # at most 6 communities a street
DISTRICT_STREET_COLS = 3

#: Box in metres, local to the district centre: (x0, y0, x1, y1).
Box = tuple[float, float, float, float]
#: Box in degrees, GeoJSON order: (min_lng, min_lat, max_lng, max_lat).
DegBox = tuple[float, float, float, float]


def _children(parent: Area, candidates: list[Area]) -> list[Area]:
    return sorted(
        (a for a in candidates if a.path.startswith(parent.path) and a.depth == parent.depth + 1),
        key=lambda a: a.code,
    )


def _grid_boxes(box: Box, n: int) -> list[Box]:
    """Tile ``box`` with ``n`` cells: rows of up to COMMUNITY_COLS, top row first."""
    x0, _y0, x1, y1 = box
    rows = max(1, math.ceil(n / COMMUNITY_COLS))
    per_row = [n // rows + (1 if r < n % rows else 0) for r in range(rows)]
    out: list[Box] = []
    for r, k in enumerate(per_row):
        top = y1 - r * CELL_M
        width = (x1 - x0) / k
        out.extend((x0 + c * width, top - CELL_M, x0 + (c + 1) * width, top) for c in range(k))
    return out


class _DegreeFrame:
    """Metres east/north of a centre → degrees (a linear map is exact enough for a demo)."""

    def __init__(self, lat0: float, lng0: float) -> None:
        self.lat0, self.lng0 = lat0, lng0
        self.m_per_deg_lat = 111_132.954 - 559.822 * math.cos(2 * math.radians(lat0))
        self.m_per_deg_lng = 111_412.84 * math.cos(math.radians(lat0))

    def __call__(self, b: Box) -> DegBox:
        return (
            round(self.lng0 + b[0] / self.m_per_deg_lng, 7),
            round(self.lat0 + b[1] / self.m_per_deg_lat, 7),
            round(self.lng0 + b[2] / self.m_per_deg_lng, 7),
            round(self.lat0 + b[3] / self.m_per_deg_lat, 7),
        )


def layout(city: Any) -> dict[int, DegBox]:
    """Rectangles (degrees) for every street, community and grid of the demo city, by area id."""
    community_w = COMMUNITY_COLS * CELL_M
    community_slot_w = community_w + COMMUNITY_GAP_M
    community_slot_h = COMMUNITY_ROWS * CELL_M + COMMUNITY_GAP_M
    street_w = STREET_COMMUNITY_COLS * community_slot_w - COMMUNITY_GAP_M
    street_h = STREET_COMMUNITY_ROWS * community_slot_h - COMMUNITY_GAP_M
    out: dict[int, DegBox] = {}
    for district in city.districts:
        lat0, lng0 = CENTRES.get(district.code, _DEFAULT_CENTRE)
        to_deg = _DegreeFrame(lat0, lng0)
        streets = _children(district, city.streets)
        cols = min(DISTRICT_STREET_COLS, len(streets))
        rows = math.ceil(len(streets) / cols)
        total_w = cols * (street_w + STREET_GAP_M) - STREET_GAP_M
        total_h = rows * (street_h + STREET_GAP_M) - STREET_GAP_M
        for s, street in enumerate(streets):
            sx0 = -total_w / 2 + (s % cols) * (street_w + STREET_GAP_M)
            sy1 = total_h / 2 - (s // cols) * (street_h + STREET_GAP_M)
            communities = _children(street, city.communities)
            used_rows = math.ceil(len(communities) / STREET_COMMUNITY_COLS)
            street_box: Box = (
                sx0,
                sy1 - used_rows * community_slot_h + COMMUNITY_GAP_M,
                sx0 + street_w,
                sy1,
            )
            out[street.pk] = to_deg(street_box)
            for c, community in enumerate(communities):
                cx0 = sx0 + (c % STREET_COMMUNITY_COLS) * community_slot_w
                cy1 = sy1 - (c // STREET_COMMUNITY_COLS) * community_slot_h
                grids = _children(community, city.grids)
                grid_rows = max(1, math.ceil(len(grids) / COMMUNITY_COLS))
                community_box: Box = (cx0, cy1 - grid_rows * CELL_M, cx0 + community_w, cy1)
                out[community.pk] = to_deg(community_box)
                for grid, gbox in zip(grids, _grid_boxes(community_box, len(grids)), strict=True):
                    out[grid.pk] = to_deg(gbox)
    return out


def _polygon(b: DegBox) -> dict[str, Any]:
    x0, y0, x1, y1 = b
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]  # counter-clockwise (RFC 7946)
    return {"type": "Polygon", "coordinates": [ring]}


def _numbers(i: int) -> tuple[str, str, int, int]:
    """Kind, subtype, households and population of the i-th demo grid."""
    if i == 5:
        return GridKind.DEDICATED, GridSubtype.SCHOOL, 0, 1200  # pupils and staff
    if i == 17:
        return GridKind.DEDICATED, GridSubtype.PARK, 0, 0
    households = 300 + (i * 53) % 201  # 300–500: inside the guidance
    population = round(households * (2.4 + (i % 7) * 0.1))
    # A few grids deliberately outside the guidance, so the warnings show.
    if i % 131 == 7:
        households, population = 560, 1510
    elif i % 173 == 11:
        households, population = 260, 690
    elif i == 100:
        households, population = 480, 2650
    return GridKind.GENERAL, "", households, population


@transaction.atomic
def seed(city: Any) -> dict[str, int]:
    boxes = layout(city)
    now = timezone.now()
    profiles: list[GridProfile] = []
    for i, grid in enumerate(sorted(city.grids, key=lambda a: a.code)):
        clean = clean_boundary(_polygon(boxes[grid.pk]))
        kind, subtype, households, population = _numbers(i)
        profiles.append(
            GridProfile(
                grid=grid,
                kind=kind,
                subtype=subtype,
                households=households,
                population=population,
                boundary=clean.geojson,
                area_m2=round(clean.area_m2, 1),
                min_lat=clean.bbox.min_lat,
                max_lat=clean.bbox.max_lat,
                min_lng=clean.bbox.min_lng,
                max_lng=clean.bbox.max_lng,
                created_at=now,
                updated_at=now,
            )
        )
    GridProfile.objects.bulk_create(profiles, batch_size=500)
    content_type = ContentType.objects.get_for_model(GridProfile)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                content_type=content_type,
                object_id=p.pk,
                verb="created",
                actor=None,
                at=now,
                after={
                    "grid": p.grid_id,
                    "kind": p.kind,
                    "subtype": p.subtype,
                    "households": p.households,
                    "population": p.population,
                    "boundary": p.boundary,
                    "area_m2": p.area_m2,
                },
                note="seed_demo",
            )
            for p in profiles
        ],
        batch_size=500,
    )
    boundaries_changed()
    return {"grid profiles": len(profiles)}
