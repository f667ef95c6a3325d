"""统计用区划代码 per level (governance.codes; docs/decisions/0025)."""

import pytest
from django.db import IntegrityError, transaction

from core.errors import ValidationFailed
from governance import actions
from governance.codes import (
    CITY_HAS_NO_PARENT,
    CITY_SHAPE,
    COMMITTEE_RANGE,
    COMMUNITY_NUMBER,
    COMMUNITY_PREFIX,
    DISTRICT_PREFIX,
    DISTRICT_SHAPE,
    GRID_PREFIX,
    GRID_SERIAL,
    STREET_PREFIX,
    STREET_SHAPE,
    UNKNOWN_LEVEL,
    WRONG_LENGTH,
    WRONG_PARENT,
    CommitteeKind,
    code_errors,
    committee_kind,
    committee_kind_from_name,
    level_of,
    parent_code_of,
)
from governance.models import Area

CITY, DISTRICT = "150300000000", "150302000000"
STREET, COMMUNITY = "150302001000", "150302001001"


@pytest.mark.parametrize(
    ("level", "code", "parent_level", "parent_code"),
    [
        ("city", CITY, None, None),
        ("city", "110000000000", None, None),  # province-level municipality
        ("district", DISTRICT, "city", CITY),
        ("district", "150371000000", "city", CITY),  # NBS 开发区 (71–80)
        ("district", "110101000000", "city", "110000000000"),
        ("street", STREET, "district", DISTRICT),  # 街道 001–099
        ("street", "150302101000", "district", DISTRICT),  # 镇 100–199
        ("street", "150302201000", "district", DISTRICT),  # 乡 200–399
        ("street", "150302599000", "district", DISTRICT),  # 类似乡级 400–599
        ("community", COMMUNITY, "street", STREET),  # 居委会 001–199
        ("community", "150302001199", "street", STREET),
        ("community", "150302001200", "street", STREET),  # 村委会 200–399
        ("community", "150302001399", "street", STREET),
        ("community", "150302001498", "street", STREET),  # virtual unit (类似)
        ("grid", "150302001001001", "community", COMMUNITY),
        ("grid", "150302001001999", "community", COMMUNITY),
        ("grid", "150302001200007", "community", "150302001200"),  # a village's grid
    ],
)
def test_it_accepts_valid_codes(level, code, parent_level, parent_code):
    assert code_errors(level, code, parent_level, parent_code) == []


def length(label, n=12):
    return WRONG_LENGTH, {"level": label, "n": n}


# Messages are (template, parameters), formatted in the test: parametrize
# runs at import, before the test's language is set.
@pytest.mark.parametrize(
    ("level", "code", "parent_level", "parent_code", "message"),
    [
        ("city", "150300", None, None, length("City")),  # the old 6-digit shape
        ("city", "150301000000", None, None, (CITY_SHAPE, None)),
        ("city", "150300000001", None, None, (CITY_SHAPE, None)),
        ("city", "000000000000", None, None, (CITY_SHAPE, None)),
        ("city", CITY, "city", "110000000000", (CITY_HAS_NO_PARENT, None)),
        ("district", "150302", "city", CITY, length("District")),
        ("district", "1503O2000000", "city", CITY, length("District")),  # letter O
        ("district", "160302000000", "city", CITY, (DISTRICT_PREFIX, {"prefix": "1503"})),
        ("district", "150300000000", "city", CITY, (DISTRICT_SHAPE, None)),  # digits 5–6: 00
        ("district", "150302001000", "city", CITY, (DISTRICT_SHAPE, None)),
        (
            "district",
            DISTRICT,
            "street",
            STREET,
            (WRONG_PARENT, {"level": "District", "parent": "City"}),
        ),
        ("street", "150302001", "district", DISTRICT, length("Street")),
        ("street", "150303001000", "district", DISTRICT, (STREET_PREFIX, {"prefix": "150302"})),
        ("street", "150302000000", "district", DISTRICT, (STREET_SHAPE, None)),  # township 000
        ("street", "150302600000", "district", DISTRICT, (STREET_SHAPE, None)),  # 600+ unused
        ("street", "150302001001", "district", DISTRICT, (STREET_SHAPE, None)),  # must end 000
        (
            "community",
            "150302002001",
            "street",
            STREET,
            (COMMUNITY_PREFIX, {"prefix": "150302001"}),
        ),
        ("community", "150302001600", "street", STREET, (COMMUNITY_NUMBER, None)),
        ("grid", COMMUNITY, "community", COMMUNITY, length("Grid", 15)),
        ("grid", "150302001002001", "community", COMMUNITY, (GRID_PREFIX, {"code": COMMUNITY})),
        ("grid", "150302001001000", "community", COMMUNITY, (GRID_SERIAL, None)),
        (
            "grid",
            "150302001001001",
            "street",
            STREET,
            (WRONG_PARENT, {"level": "Grid", "parent": "Community"}),
        ),
        ("town", "150302001001001", "street", STREET, (UNKNOWN_LEVEL, {"level": "town"})),
    ],
)
def test_it_rejects_invalid_codes_with_a_reason(level, code, parent_level, parent_code, message):
    template, params = message
    expected = template % params if params else str(template)
    assert expected in code_errors(level, code, parent_level, parent_code)


def test_the_number_of_a_community_is_its_kind():
    assert committee_kind("150302001001") == CommitteeKind.RESIDENTS
    assert committee_kind("150302001199") == CommitteeKind.RESIDENTS
    assert committee_kind("150302001200") == CommitteeKind.VILLAGERS
    assert committee_kind("150302001399") == CommitteeKind.VILLAGERS
    assert committee_kind("150302001598") == CommitteeKind.SIMILAR
    assert committee_kind("150302001600") is None
    assert committee_kind("150302001000") is None


def villagers_range():
    return COMMITTEE_RANGE % {"kind": CommitteeKind.VILLAGERS.label, "first": "200", "last": "399"}


@pytest.mark.parametrize("number", ["001", "199", "400"])
def test_a_village_is_numbered_200_to_399(number):
    code = f"150302101{number}"
    assert code_errors("community", code, "street", "150302101000", committee="villagers") == [
        villagers_range()
    ]


def test_a_residents_committee_is_numbered_001_to_199():
    errors = code_errors("community", "150302001200", "street", STREET, committee="residents")
    assert errors == [
        COMMITTEE_RANGE % {"kind": CommitteeKind.RESIDENTS.label, "first": "001", "last": "199"}
    ]
    assert code_errors("community", "150302001200", "street", STREET, committee="villagers") == []
    assert code_errors("community", "150302001001", "street", STREET, committee="residents") == []


def test_names_in_the_official_lists_claim_a_kind():
    assert committee_kind_from_name("新华社区居委会") == CommitteeKind.RESIDENTS
    assert committee_kind_from_name("新华社区居民委员会") == CommitteeKind.RESIDENTS
    assert committee_kind_from_name("千里山村委会") == CommitteeKind.VILLAGERS
    assert committee_kind_from_name("千里山村村民委员会") == CommitteeKind.VILLAGERS
    assert committee_kind_from_name("团部社区") is None


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("150300000000", "city", None),
        ("110100000000", "city", None),
        ("150302000000", "district", "150300000000"),
        ("150302101000", "street", "150302000000"),
        ("150302101200", "community", "150302101000"),
        ("150302101200003", "grid", "150302101200"),
    ],
)
def test_the_shape_of_a_code_gives_its_level_and_parent(code, level, parent):
    assert level_of(code) == level
    assert parent_code_of(code, level) == parent


@pytest.mark.parametrize("code", ["150000000000", "150302", "1503020010011", "15030200100A"])
def test_provinces_and_malformed_codes_have_no_level(code):
    assert level_of(code) is None


def test_a_generated_village_code_starts_at_200_and_a_community_at_001(city):
    village = actions.area_create(
        parent=city.street_b, name="海北村委会", committee="villagers", actor=None
    )
    community = actions.area_create(parent=city.street_b, name="海北二社区", actor=None)
    assert village.code == "150302002200"
    assert community.code == "150302002002"
    grid = actions.area_create(parent=village, name="海北村第一网格", actor=None)
    assert grid.code == "150302002200001"  # a grid extends its community's code


def test_create_rejects_a_village_numbered_as_a_residents_committee(city):
    with pytest.raises(ValidationFailed) as exc:
        actions.area_create(
            parent=city.street_b,
            name="海北村委会",
            code="150302002005",
            committee="villagers",
            actor=None,
        )
    assert exc.value.extra["fields"]["code"] == [villagers_range()]
    assert not Area.objects.filter(code="150302002005").exists()


def test_only_a_community_takes_a_committee_kind(city):
    with pytest.raises(ValidationFailed) as exc:
        actions.area_create(parent=city.community_a, name="网格", committee="villagers", actor=None)
    assert "committee" in exc.value.extra["fields"]
    with pytest.raises(ValidationFailed):
        actions.area_create(parent=city.street_a, name="村", committee="hamlet", actor=None)


def test_a_merged_or_moved_village_stays_a_village(city):
    village = actions.area_create(
        parent=city.street_b, name="海北村委会", committee="villagers", actor=None
    )
    moved = actions.area_move(area=village, new_parent=city.street_a, actor=None)
    assert moved.code == "150302001200"
    actions.area_merge(source=city.street_b, target=city.street_a, actor=None)
    assert Area.objects.get(pk=city.community_b.pk).code == "150302001002"  # 居委会 range


def test_the_database_refuses_the_old_short_codes(city):
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.filter(pk=city.district.pk).update(code="150302")
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.filter(pk=city.street_a.pk).update(code="150302001001")
