"""Benchmark the point → grid index: build time and per-lookup latency.

    DEBUG=true .venv/bin/python bench/grid_lookup.py [--grids 5000] [--points 10000]

Uses its own SQLite file (var/bench/grid_lookup.sqlite3) unless DATABASE_URL
is set. Creates a city of N grids (a jittered lattice of quadrilaterals about
250 m across near Wuhai, with ~8 % of cells left unmapped so some points
miss), stores their profiles with the same validation the action runs, then
times the real ``lookup.rebuild()`` and the real ``lookup.grid_at()`` —
including its database read of the grid — over random points. All rows are
rolled back at the end. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if not os.environ.get("DATABASE_URL"):
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'grid_lookup.sqlite3'}"

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from governance.models import Area  # noqa: E402
from grids.geography import lookup  # noqa: E402
from grids.geography.actions import boundaries_changed  # noqa: E402
from grids.geography.geometry import clean_boundary  # noqa: E402
from grids.geography.models import GridGeometryVersion, GridProfile  # noqa: E402

LAT0, LNG0 = 39.60, 106.80
CELL_LAT = 250 / 111_035  # ≈ 250 m
CELL_LNG = 250 / 85_800
COMMUNITY_GRIDS, STREET_COMMUNITIES, DISTRICT_STREETS = 10, 25, 10


def ensure_schema() -> None:
    """Migrate governance (and what it needs); create the geography tables if no migration has yet."""
    call_command("migrate", "governance", verbosity=0)
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in (GridProfile, GridGeometryVersion):
            if model._meta.db_table not in existing:
                editor.create_model(model)
    assert apps.get_model("grids", "GridProfile") is GridProfile


def build_tree(n_grids: int) -> list[Area]:
    """Bulk-create city → districts → streets → communities → grids with valid treebeard paths."""
    rows: list[Area] = []

    def node(parent: Area | None, index: int, **fields: object) -> Area:
        path = Area._get_path(
            parent.path if parent else None, (parent.depth + 1) if parent else 1, index
        )
        area = Area(path=path, depth=len(path) // Area.steplen, numchild=0, **fields)
        if parent is not None:
            parent.numchild += 1
        rows.append(area)
        return area

    city = node(None, 9000, name="基准市", code="159900000000", level="city")
    grids: list[Area] = []
    n_comm = -(-n_grids // COMMUNITY_GRIDS)
    n_streets = -(-n_comm // STREET_COMMUNITIES)
    n_districts = -(-n_streets // DISTRICT_STREETS)
    made = 0
    for d in range(n_districts):
        district = node(city, d + 1, name=f"区{d}", code=f"1599{d + 1:02d}000000", level="district")
        for s in range(DISTRICT_STREETS):
            street_code = f"{district.code[:6]}{s + 1:03d}000"
            street = node(district, s + 1, name=f"街道{d}-{s}", code=street_code, level="street")
            for c in range(STREET_COMMUNITIES):
                code = f"{street_code[:9]}{c + 1:03d}"
                community = node(street, c + 1, name=f"社区{code}", code=code, level="community")
                for g in range(COMMUNITY_GRIDS):
                    if made == n_grids:
                        break
                    grids.append(
                        node(
                            community,
                            g + 1,
                            name=f"网格{code}{g + 1:03d}",
                            code=f"{code}{g + 1:03d}",
                            level="grid",
                        )
                    )
                    made += 1
    Area.objects.bulk_create(rows, batch_size=2000)
    codes = [g.code for g in grids]
    return list(Area.objects.filter(code__in=codes).order_by("code"))


def lattice_boundaries(
    n: int, rng: random.Random
) -> tuple[list[dict], tuple[float, float, float, float]]:
    """n non-overlapping quadrilaterals from a jittered vertex lattice (some cells skipped)."""
    cols = int((n * 1.09) ** 0.5 * 1.4) + 1
    rows = -(-int(n * 1.09) // cols) + 1
    jitter = 0.3
    vertex = {}
    for i in range(cols + 1):
        for j in range(rows + 1):
            edge = i in (0, cols) or j in (0, rows)
            dx = 0 if edge else rng.uniform(-jitter, jitter)
            dy = 0 if edge else rng.uniform(-jitter, jitter)
            vertex[i, j] = (
                round(LNG0 + (i + dx) * CELL_LNG, 7),
                round(LAT0 + (j + dy) * CELL_LAT, 7),
            )
    cells = [(i, j) for j in range(rows) for i in range(cols)]
    rng.shuffle(cells)
    kept = sorted(cells[:n], key=lambda c: (c[1], c[0]))
    out = []
    for i, j in kept:
        ring = [
            vertex[i, j],
            vertex[i + 1, j],
            vertex[i + 1, j + 1],
            vertex[i, j + 1],
            vertex[i, j],
        ]
        out.append({"type": "Polygon", "coordinates": [[list(p) for p in ring]]})
    bounds = (LNG0, LAT0, LNG0 + cols * CELL_LNG, LAT0 + rows * CELL_LAT)
    return out, bounds


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=5000)
    parser.add_argument("--points", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ensure_schema()
    print(f"database: {connection.vendor} ({settings.DATABASES['default']['NAME']})")

    with transaction.atomic():
        Area.objects.filter(code__startswith="1599").delete()
        started = time.perf_counter()
        grids = build_tree(args.grids)
        boundaries, (min_lng, min_lat, max_lng, max_lat) = lattice_boundaries(len(grids), rng)
        profiles = []
        for grid, boundary in zip(grids, boundaries, strict=True):
            clean = clean_boundary(boundary)
            b = clean.bbox
            profiles.append(
                GridProfile(
                    grid=grid, households=400, population=1000, boundary=clean.geojson,
                    area_m2=clean.area_m2, min_lat=b.min_lat, max_lat=b.max_lat,
                    min_lng=b.min_lng, max_lng=b.max_lng,
                )
            )  # fmt: skip
        GridProfile.objects.bulk_create(profiles, batch_size=1000)
        boundaries_changed()
        print(
            f"setup: {len(grids)} grids with validated boundaries in {time.perf_counter() - started:.1f} s"
        )

        builds = []
        for _ in range(3):
            lookup.invalidate()
            t = time.perf_counter()
            idx = lookup.rebuild()
            builds.append(time.perf_counter() - t)
        print(
            f"index build ({len(idx.ids)} polygons, read + parse + STRtree): "
            f"median {statistics.median(builds) * 1000:.0f} ms (runs: "
            + ", ".join(f"{b * 1000:.0f}" for b in builds)
            + " ms)"
        )

        pad_lng, pad_lat = (max_lng - min_lng) * 0.05, (max_lat - min_lat) * 0.05
        points = [
            (
                rng.uniform(min_lat - pad_lat, max_lat + pad_lat),
                rng.uniform(min_lng - pad_lng, max_lng + pad_lng),
            )
            for _ in range(args.points)
        ]
        for ttl_label, ttl in (
            ("version check cached 1 s (default)", 1.0),
            ("version check on every call", 0.0),
        ):
            settings.GRID_LOOKUP_VERSION_TTL = ttl
            lookup.grid_at(*points[0])  # warm
            times, hits = [], 0
            for lat, lng in points:
                t = time.perf_counter_ns()
                found = lookup.grid_at(lat, lng)
                times.append((time.perf_counter_ns() - t) / 1000)
                hits += found is not None
            print(
                f"grid_at, {ttl_label}: {len(points)} points, median {statistics.median(times):.0f} µs, "
                f"p99 {pct(times, 0.99):.0f} µs, max {max(times) / 1000:.1f} ms, hit rate {hits / len(points):.1%}"
            )

        # The index alone (no database): what the STRtree + prepared polygons cost.
        idx = lookup.rebuild()
        from shapely.geometry import Point

        times = []
        for lat, lng in points:
            t = time.perf_counter_ns()
            lookup._candidates(idx, Point(lng, lat), "intersects")
            times.append((time.perf_counter_ns() - t) / 1000)
        print(
            f"index query only (no database): median {statistics.median(times):.1f} µs, p99 {pct(times, 0.99):.1f} µs"
        )
        transaction.set_rollback(True)
    lookup.invalidate()


if __name__ == "__main__":
    main()
