"""The one home of the rules for resident ID numbers and phone numbers.

Every app validates and normalises these through this module (rosters,
Party members, joint committees); masking for lists and logs is a separate
concern and stays in ``core.logging``.

- ``validate_id_number`` / ``validate_phone`` return the normalised value or
  raise ``django.core.exceptions.ValidationError`` with a translatable
  message (the message constants below, which tests import) and a stable
  ``code``;
- ``id_number_errors`` / ``phone_errors`` give the same messages as a list
  (empty when valid), for code that collects errors field by field;
- ``normalize_*`` never raise: they give the canonical form of a valid value
  and a tidied copy of anything else, so two spellings of one number compare
  equal without a validation round trip.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ID_NUMBER_SHAPE = _("An ID number has 17 digits and a check digit or X (18 characters).")
ID_NUMBER_NOT_A_DATE = _("The birth date inside the ID number is not a real date.")
ID_NUMBER_IN_FUTURE = _("The birth date inside the ID number is in the future.")
ID_NUMBER_OUT_OF_RANGE = _("The birth date inside the ID number is out of range.")
ID_NUMBER_CHECK_DIGIT = _("The check digit of the ID number is wrong.")
PHONE_INVALID = _("Enter an 11-digit mobile number or a landline with its area code.")

# GB 11643-1999 公民身份号码: 6-digit address code, 8-digit birth date
# (YYYYMMDD), 3-digit sequence, ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$", re.ASCII)
#: Nobody alive was born before this year; earlier dates are typing errors.
_ID_MIN_BIRTH_YEAR = 1900

_MOBILE_DIGITS = r"1[3-9][0-9]{9}"
#: A mainland mobile number (numbering plan: 13x–19x, 11 digits), as stored;
#: plain enough for a database ``__regex`` check constraint.
MOBILE_PATTERN = rf"^{_MOBILE_DIGITS}$"
#: A caller's number as intake takes it (12345, Open311, the case form): any
#: digits, spaces, dashes and "+", up to 20 characters. Deliberately loose:
#: refusing a caller's odd number would lose the case.
REPORTER_PHONE_PATTERN = r"^[0-9+\- ]{0,20}$"
_MOBILE = re.compile(rf"^(?:\+86|0086)?({_MOBILE_DIGITS})$", re.ASCII)
# Landlines: trunk prefix 0, area code 10 (Beijing), 2x (the large cities)
# or three digits from 3xx to 9xx (e.g. 0473 Wuhai), a 7- or 8-digit local
# number, and optionally an extension. The area-code grammar makes the
# split unambiguous even without a hyphen. International form: +86 / 0086
# and the area code without its 0.
_AREA = r"(?P<area>10|2\d|[3-9]\d{2})"
_LOCAL = r"(?P<local>\d{7,8})"
_EXT = r"(?:(?:-|转|分机|ext\.?|x|#)(?P<ext>\d{1,6}))?"
_LANDLINE = re.compile(rf"^(?:0|(?:\+|00)86-?0?){_AREA}-?{_LOCAL}{_EXT}$", re.ASCII | re.IGNORECASE)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (0–9 or X) of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str | None) -> str:
    """Half-width, no spaces, upper-case X: ``11010519491231002x`` → ``…002X``."""
    text = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"\s+", "", text).upper()


def validate_id_number(value: str | None) -> str:
    """The normalised resident ID number, or ValidationError.

    Checked in this order: shape, a real birth date, not before 1900 and not
    in the future (Asia/Shanghai date), then the check character.
    """
    v = normalize_id_number(value)
    if not _ID_SHAPE.match(v):
        raise ValidationError(ID_NUMBER_SHAPE, code="id_number_shape")
    try:
        birth = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(ID_NUMBER_NOT_A_DATE, code="id_number_birth_date") from None
    if birth > timezone.localdate():
        raise ValidationError(ID_NUMBER_IN_FUTURE, code="id_number_birth_date")
    if birth.year < _ID_MIN_BIRTH_YEAR:
        raise ValidationError(ID_NUMBER_OUT_OF_RANGE, code="id_number_birth_date")
    if id_check_char(v[:17]) != v[17]:
        raise ValidationError(ID_NUMBER_CHECK_DIGIT, code="id_number_check_digit")
    return v


def _phone_text(value: str | None) -> str:
    """Half-width, without spaces and brackets: ``（0473）123 4567`` → ``04731234567``."""
    text = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s()]+", "", text)


def normalize_phone(value: str | None) -> str:
    """``13812345678`` for a mobile, ``0473-1234567`` or ``010-12345678-801``
    for a landline (any +86 / 0086 prefix dropped); anything else tidied."""
    text = _phone_text(value)
    if m := _MOBILE.match(text.replace("-", "")):
        return m.group(1)
    if m := _LANDLINE.match(text):
        number = f"0{m['area']}-{m['local']}"
        return f"{number}-{m['ext']}" if m["ext"] else number
    return text


def validate_phone(value: str | None) -> str:
    """The normalised mainland mobile or landline number, or ValidationError."""
    text = _phone_text(value)
    if _MOBILE.match(text.replace("-", "")) or _LANDLINE.match(text):
        return normalize_phone(text)
    raise ValidationError(PHONE_INVALID, code="phone_invalid")


def id_number_errors(value: str | None) -> list[str]:
    """The messages ``validate_id_number`` would raise; empty when valid."""
    try:
        validate_id_number(value)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def phone_errors(value: str | None) -> list[str]:
    """The messages ``validate_phone`` would raise; empty when valid."""
    try:
        validate_phone(value)
    except ValidationError as exc:
        return list(exc.messages)
    return []
