"""Migration 0004 pads stored codes to the 统计用区划代码 shape (docs/decisions/0025)."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from governance.selectors import area_by_code

BEFORE = ("governance", "0003_post_phone")
AFTER = ("governance", "0004_statistical_area_codes")

#: (path, level, old code, name): a tree as the 6-digit scheme stored it, with
#: one grid whose code had drifted from its community's.
OLD_TREE = [
    ("0001", "city", "150300", "乌海市"),
    ("00010001", "district", "150302", "海勃湾区"),
    ("000100010001", "street", "150302001000", "新华街道"),
    ("0001000100010001", "community", "150302001001", "新华社区"),
    ("00010001000100010001", "grid", "150302001001001", "新华社区第一网格"),
    ("00010001000100010002", "grid", "150302009009005", "新华社区第五网格"),
]


def migrate(target: tuple[str, str]) -> Any:
    """Migrate the test database to ``target``; the app registry of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def old_state(transactional_db: None) -> Iterator[Any]:
    """The schema before 0004 holding OLD_TREE; every app back at its latest afterwards."""
    apps = migrate(BEFORE)
    Area = apps.get_model("governance", "Area")
    for path, level, code, name in OLD_TREE:
        children = sum(1 for p, *_ in OLD_TREE if p[:-4] == path)
        Area.objects.create(
            path=path, depth=len(path) // 4, numchild=children, level=level, code=code, name=name
        )
    try:
        yield apps
    finally:
        migrate_to_latest()


def codes(apps: Any) -> dict[str, str]:
    return dict(apps.get_model("governance", "Area").objects.values_list("name", "code"))


def test_forward_pads_every_level_to_12_digits_and_grids_extend_their_community(old_state):
    apps = migrate(AFTER)
    assert codes(apps) == {
        "乌海市": "150300000000",
        "海勃湾区": "150302000000",
        "新华街道": "150302001000",
        "新华社区": "150302001001",
        "新华社区第一网格": "150302001001001",
        "新华社区第五网格": "150302001001005",
    }


def test_former_codes_still_find_their_areas(old_state):
    apps = migrate(AFTER)
    history = apps.get_model("governance", "AreaCodeHistory").objects
    assert set(history.values_list("code", "reason")) == {
        ("150300", "recoded"),
        ("150302", "recoded"),
        ("150302009009005", "recoded"),
    }
    migrate_to_latest()  # area_by_code reads through the real models
    district = area_by_code("150302")
    assert district is not None and district.code == "150302000000"


def test_backward_restores_six_digit_cities_and_districts(old_state):
    migrate(AFTER)
    apps = migrate(BEFORE)
    restored = codes(apps)
    assert restored["乌海市"] == "150300"
    assert restored["海勃湾区"] == "150302"
    assert restored["新华社区"] == "150302001001"
    history = apps.get_model("governance", "AreaCodeHistory").objects
    assert not history.filter(code__in=["150300", "150302"]).exists()
