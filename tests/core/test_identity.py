"""core.identity: the one rule for resident ID numbers and phone numbers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core import identity

# The two worked examples of GB 11643-1999, appendix: independent of our code.
STANDARD_EXAMPLES = ["11010519491231002X", "440524188001010014"]
#: 2026-03-01 noon in Asia/Shanghai ("today" in the birth-date tests).
TODAY = dt.datetime(2026, 3, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def with_check(first17: str) -> str:
    """A number whose only possible fault is in its first 17 characters."""
    return first17 + identity.id_check_char(first17)


@pytest.mark.parametrize("value", STANDARD_EXAMPLES)
def test_the_check_character_follows_the_standard(value):
    assert identity.id_check_char(value[:17]) == value[17]


def test_the_standard_examples_validate_except_a_birth_before_1900():
    assert identity.validate_id_number(STANDARD_EXAMPLES[0]) == STANDARD_EXAMPLES[0]
    # 1880: the standard's example, but nobody on a roster was born then.
    assert identity.id_number_errors(STANDARD_EXAMPLES[1]) == [str(identity.ID_NUMBER_OUT_OF_RANGE)]


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("11010519491231002x", "11010519491231002X"),  # lower-case x
        (" 110105 19491231 002X ", "11010519491231002X"),  # typed with spaces
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),  # full-width
        (with_check("15030220260301001"), with_check("15030220260301001")),  # born today
    ],
)
def test_it_accepts_and_normalises_valid_id_numbers(value, normalised):
    with time_machine.travel(TODAY, tick=False):
        assert identity.validate_id_number(value) == normalised
        assert identity.id_number_errors(value) == []


@pytest.mark.parametrize(
    ("value", "message", "code"),
    [
        ("110105194912310021", identity.ID_NUMBER_CHECK_DIGIT, "id_number_check_digit"),
        ("150302198506120015", identity.ID_NUMBER_CHECK_DIGIT, "id_number_check_digit"),
        (with_check("15030219900230001"), identity.ID_NUMBER_NOT_A_DATE, "id_number_birth_date"),
        (with_check("15030219901301001"), identity.ID_NUMBER_NOT_A_DATE, "id_number_birth_date"),
        (with_check("15030220260302001"), identity.ID_NUMBER_IN_FUTURE, "id_number_birth_date"),
        (with_check("15030218991231001"), identity.ID_NUMBER_OUT_OF_RANGE, "id_number_birth_date"),
        ("11010519491231002", identity.ID_NUMBER_SHAPE, "id_number_shape"),  # 17 characters
        ("11010519491231002X1", identity.ID_NUMBER_SHAPE, "id_number_shape"),  # 19
        ("1101051949123100X2", identity.ID_NUMBER_SHAPE, "id_number_shape"),  # X inside
        ("11010519491231002Y", identity.ID_NUMBER_SHAPE, "id_number_shape"),
        ("", identity.ID_NUMBER_SHAPE, "id_number_shape"),
        (None, identity.ID_NUMBER_SHAPE, "id_number_shape"),
    ],
)
def test_it_refuses_invalid_id_numbers_with_one_message(value, message, code):
    with time_machine.travel(TODAY, tick=False), pytest.raises(ValidationError) as exc:
        identity.validate_id_number(value)
    assert exc.value.messages == [str(message)]
    assert exc.value.code == code
    with time_machine.travel(TODAY, tick=False):
        assert identity.id_number_errors(value) == [str(message)]


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits
        ("0473-1234567", "0473-1234567"),
        ("04731234567", "0473-1234567"),
        ("0473 12345678", "0473-12345678"),
        ("010-12345678", "010-12345678"),
        ("(010) 1234 5678", "010-12345678"),
        ("021-87654321", "021-87654321"),
        ("0473-1234567-801", "0473-1234567-801"),
        ("0473-1234567转801", "0473-1234567-801"),
        ("010-12345678 ext. 12", "010-12345678-12"),
        ("+86 10 12345678", "010-12345678"),
        ("+86-473-1234567", "0473-1234567"),
        ("0086 10 12345678", "010-12345678"),
    ],
)
def test_it_accepts_and_normalises_mobiles_and_landlines(value, normalised):
    assert identity.validate_phone(value) == normalised
    assert identity.normalize_phone(value) == normalised
    assert identity.phone_errors(value) == []
    assert len(normalised) <= 20  # fits every phone column


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "12345",
        "137",
        "12812345678",  # no mobile range starts with 12
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "+1 555 123 4567",  # not a mainland number
        "+85 13812345678",
        "011-12345678",  # no area code 011
        "0473-123456",  # 6-digit local number
        "0473",
        "0473-1234567-1234567",  # extension too long
        "13812345678-801",  # mobiles have no extension
        "abc",
        "138-1234-567x",
    ],
)
def test_it_refuses_junk_phone_numbers(value):
    with pytest.raises(ValidationError) as exc:
        identity.validate_phone(value)
    assert exc.value.messages == [str(identity.PHONE_INVALID)]
    assert exc.value.code == "phone_invalid"
    assert identity.phone_errors(value) == [str(identity.PHONE_INVALID)]


def test_the_mobile_pattern_matches_stored_mobiles_only():
    import re

    assert re.match(identity.MOBILE_PATTERN, "13812345678")
    assert not re.match(identity.MOBILE_PATTERN, "+8613812345678")
    assert not re.match(identity.MOBILE_PATTERN, "0473-1234567")
