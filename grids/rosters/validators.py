"""Helpers of the roster import for personal identifiers (no database).

The rules themselves (GB 11643 ID numbers, mainland phone numbers) live in
``core.identity``; the names re-exported here keep older imports working.
"""

from __future__ import annotations

from core.identity import (
    id_check_char,
    id_number_errors,
    normalize_id_number,
    normalize_phone,
    phone_errors,
)

__all__ = [
    "id_check_char",
    "id_number_errors",
    "is_masked",
    "normalize_id_number",
    "normalize_phone",
    "phone_errors",
]


def is_masked(value: str) -> bool:
    """True for a value shown masked (``138****5678``): it carries no new data."""
    return "*" in (value or "")
