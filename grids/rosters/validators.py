"""Pure checks for personal identifiers (no database).

Kept apart from the models so the import can validate a whole file before
any row exists.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext as _

# GB 11643-1999 公民身份号码: 6-digit address code, 8-digit birth date,
# 3-digit sequence, ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
# Mainland mobile numbers, or a landline with its area code (police stations).
_PHONE_SHAPE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def id_number_errors(value: str) -> list[str]:
    """Messages for a resident ID number that breaks GB 11643; empty if valid."""
    v = normalize_id_number(value)
    if not _ID_SHAPE.match(v):
        return [_("An ID number has 17 digits and a check digit or X (18 characters).")]
    try:
        birth = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return [_("The birth date inside the ID number is not a real date.")]
    if birth.year < 1900 or birth > timezone.localdate():
        return [_("The birth date inside the ID number is out of range.")]
    if id_check_char(v[:17]) != v[17]:
        return [_("The check digit of the ID number is wrong.")]
    return []


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s]", "", value or "")


def phone_errors(value: str) -> list[str]:
    if not _PHONE_SHAPE.match(normalize_phone(value)):
        return [_("Enter an 11-digit mobile number or a landline with its area code.")]
    return []


def is_masked(value: str) -> bool:
    """True for a value shown masked (``138****5678``): it carries no new data."""
    return "*" in (value or "")
