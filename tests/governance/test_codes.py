import pytest
from django.utils import translation

from governance.codes import code_errors


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the UI default is Chinese."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("level", "code", "parent_level", "parent_code"),
    [
        ("city", "150300", None, None),
        ("district", "150302", "city", "150300"),
        ("district", "110101", "city", "110000"),  # province-level municipality
        ("street", "150302001000", "district", "150302"),
        ("street", "150302101000", "district", "150302"),  # a town (镇)
        ("community", "150302001001", "street", "150302001000"),
        ("grid", "150302001001001", "community", "150302001001"),
        ("grid", "150302001001999", "community", "150302001001"),
    ],
)
def test_it_accepts_valid_codes(level, code, parent_level, parent_code):
    assert code_errors(level, code, parent_level, parent_code) == []


@pytest.mark.parametrize(
    ("level", "code", "parent_level", "parent_code", "fragment"),
    [
        ("city", "15030", None, None, "6"),
        ("city", "150301", None, None, "00"),
        ("district", "1503O2", "city", "150300", "6"),  # letter O
        ("district", "160302", "city", "150300", "1503"),
        ("district", "150302", "street", "150302001000", "city"),
        ("street", "150302001", "district", "150302", "12"),
        ("street", "150303001000", "district", "150302", "150302"),
        ("street", "150302000000", "district", "150302", "000"),
        ("street", "150302001001", "district", "150302", "000"),
        ("community", "150302002001", "street", "150302001000", "150302001"),
        ("community", "150302001000", "street", "150302001000", "000"),
        ("grid", "150302001001", "community", "150302001001", "15"),
        ("grid", "150302001002001", "community", "150302001001", "150302001001"),
        ("grid", "150302001001000", "community", "150302001001", "001"),
        ("grid", "150302001001001", "street", "150302001000", "community"),
        ("town", "150302001001001", "street", "150302001000", "level"),
    ],
)
def test_it_rejects_invalid_codes_with_a_reason(level, code, parent_level, parent_code, fragment):
    errors = code_errors(level, code, parent_level, parent_code)
    assert errors, f"{code} should be rejected as a {level}"
    assert any(fragment.lower() in e.lower() for e in errors), errors
