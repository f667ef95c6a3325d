"""Pure geometry helpers: boundary validation, area in m², bounding boxes.

No database access here, so the demo seeder and the benchmark use exactly
the checks and derived values that ``grid_profile_set`` uses.

Area: each polygon is projected with a cylindrical equal-area projection
whose standard parallel is the polygon's own centroid latitude, scaled by the
WGS84 ellipsoid's meridional (M) and prime-vertical (N) radii there:

    x = N0·cos φ0·(λ − λ0)      y = M0·(sin φ − sin φ0) / cos φ0

so dx·dy = M0·N0·cos φ·dφ·dλ, the ellipsoid's own area element except that M
and N are frozen at φ0. Their relative change is about 4e²·sin φ·cos φ·Δφ
(≈ 1.3e-4 per 0.01 rad, ~64 km, at 40°N), and it largely cancels around the
centroid: for grids (hundreds of metres to a few km) the error is far below
0.01 %, well inside what hand-drawn boundaries can claim. CGCS2000 and WGS84
differ by less than their own drawing precision, so either datum may be used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from core.errors import ValidationFailed

# WGS84 ellipsoid.
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)

#: Rough bounds of China (incl. the South China Sea islands' latitudes).
CHINA_LNG = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)

# Stable error codes (tests and clients match them).
NOT_POLYGON = "boundary_not_polygon"
TOO_FEW_POINTS = "boundary_too_few_points"
RING_OPEN = "boundary_ring_open"
OUTSIDE_CHINA = "boundary_outside_china"
INVALID = "boundary_invalid"


@dataclass(frozen=True)
class BBox:
    min_lat: float
    max_lat: float
    min_lng: float
    max_lng: float

    def intersects(self, other: BBox) -> bool:
        return not (
            other.min_lat > self.max_lat
            or other.max_lat < self.min_lat
            or other.min_lng > self.max_lng
            or other.max_lng < self.min_lng
        )


@dataclass(frozen=True)
class CleanBoundary:
    """A validated boundary: normalised GeoJSON, its polygon and derived values."""

    geojson: dict[str, Any]
    polygon: Polygon
    area_m2: float
    bbox: BBox


def _fail(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, extra={"fields": {"boundary": [message]}})


def _is_number(v: Any) -> bool:
    if not isinstance(v, int | float) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:  # a 400-digit integer literal
        return False


def clean_boundary(value: Any) -> CleanBoundary:
    """Validate a GeoJSON Polygon; raise ValidationFailed with a stable code.

    Rings must have at least four positions, be closed (first == last),
    stay within China's rough bounds and make a valid polygon (no
    self-intersection: the message carries GEOS's explanation).
    """
    if not isinstance(value, dict) or value.get("type") != "Polygon":
        raise _fail(_("The boundary must be a GeoJSON Polygon."), NOT_POLYGON)
    rings_in = value.get("coordinates")
    if not isinstance(rings_in, list) or not rings_in:
        raise _fail(_("A GeoJSON Polygon needs a list of rings in 'coordinates'."), NOT_POLYGON)
    rings: list[list[tuple[float, float]]] = []
    for r, ring in enumerate(rings_in, start=1):
        if not isinstance(ring, list):
            raise _fail(_("Ring %(ring)d is not a list of positions.") % {"ring": r}, NOT_POLYGON)
        points: list[tuple[float, float]] = []
        for p, pos in enumerate(ring, start=1):
            if (
                not isinstance(pos, list | tuple)
                or len(pos) not in (2, 3)
                or not all(_is_number(v) for v in pos)
            ):
                raise _fail(
                    _("Position %(pos)d of ring %(ring)d is not [longitude, latitude].")
                    % {"pos": p, "ring": r},
                    NOT_POLYGON,
                )
            # GeoJSON allows an altitude; a grid is flat, so it is dropped.
            points.append((float(pos[0]), float(pos[1])))
        if len(points) < 4:
            raise _fail(
                _("Ring %(ring)d has %(n)d positions; a closed ring needs at least 4.")
                % {"ring": r, "n": len(points)},
                TOO_FEW_POINTS,
            )
        if points[0] != points[-1]:
            raise _fail(
                _("Ring %(ring)d is not closed: its first and last positions differ.")
                % {"ring": r},
                RING_OPEN,
            )
        rings.append(points)
    for ring_points in rings:
        for lng, lat in ring_points:
            if not (CHINA_LNG[0] <= lng <= CHINA_LNG[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]):
                raise _fail(
                    _(
                        "Position (%(lng)s, %(lat)s) lies outside China "
                        "(longitude 73–136, latitude 3–54). Positions are [longitude, latitude]."
                    )
                    % {"lng": lng, "lat": lat},
                    OUTSIDE_CHINA,
                )
    polygon = Polygon(rings[0], rings[1:])
    if not shapely.is_valid(polygon):
        raise _fail(
            _("The boundary is not a valid polygon: %(reason)s")
            % {"reason": explain_validity(polygon)},
            INVALID,
        )
    if polygon.area <= 0:
        raise _fail(_("The boundary encloses no area."), INVALID)
    min_lng, min_lat, max_lng, max_lat = polygon.bounds
    geojson = {"type": "Polygon", "coordinates": [[[x, y] for x, y in ring] for ring in rings]}
    return CleanBoundary(
        geojson=geojson,
        polygon=polygon,
        area_m2=area_m2(polygon),
        bbox=BBox(min_lat=min_lat, max_lat=max_lat, min_lng=min_lng, max_lng=max_lng),
    )


def polygon_from_geojson(value: dict[str, Any]) -> Polygon:
    """A stored (already validated) boundary as a shapely Polygon."""
    rings = value["coordinates"]
    return Polygon([tuple(p[:2]) for p in rings[0]], [[tuple(p[:2]) for p in r] for r in rings[1:]])


def _projector(lat0_deg: float, lng0_deg: float) -> Any:
    phi0 = math.radians(lat0_deg)
    s = math.sin(phi0)
    w = math.sqrt(1 - _E2 * s * s)
    n0 = _A / w
    m0 = _A * (1 - _E2) / (w**3)
    cos0 = math.cos(phi0)
    lam0 = math.radians(lng0_deg)

    def project(coords: np.ndarray) -> np.ndarray:
        lam = np.radians(coords[:, 0])
        phi = np.radians(coords[:, 1])
        x = n0 * cos0 * (lam - lam0)
        y = m0 * (np.sin(phi) - s) / cos0
        return np.column_stack([x, y])

    return project


def project_equal_area(geom: Any, origin: tuple[float, float] | None = None) -> Any:
    """``geom`` (lng/lat) in metres, equal-area around ``origin`` (lng, lat) or its centroid."""
    if origin is None:
        c = geom.centroid
        origin = (c.x, c.y)
    return shapely.transform(geom, _projector(origin[1], origin[0]))


def area_m2(geom: Any, origin: tuple[float, float] | None = None) -> float:
    """Area of a lng/lat geometry in m² (see the module docstring for accuracy)."""
    if geom.is_empty:
        return 0.0
    return float(project_equal_area(geom, origin).area)


def overlap_m2(a: Polygon, b: Polygon) -> float:
    """Area shared by two lng/lat polygons, in m² (0 when they only touch)."""
    if not a.intersects(b):
        return 0.0
    inter = a.intersection(b)
    c = a.centroid
    return area_m2(inter, (c.x, c.y))
