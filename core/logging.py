"""Logging helpers: masking of personal data in every log line."""

from __future__ import annotations

import logging
import re

# Mainland mobile numbers (11 digits starting 1[3-9]) and resident ID numbers
# (GB 11643: 17 digits + check digit or X). Lookarounds avoid eating longer
# digit runs such as 15-digit grid codes.
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")


def mask_phone(value: str | None) -> str:
    """138****5678 for mobiles; shorter numbers (landlines) keep at most their
    last third, so at least two thirds are always hidden."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    keep = len(digits) // 3
    return "*" * (len(digits) - keep) + (digits[-keep:] if keep else "")


def mask_id_number(value: str | None) -> str:
    """110105********123X: region code and check block stay, birth date goes."""
    if not value:
        return ""
    v = value.strip()
    if len(v) >= 10:
        return v[:6] + "*" * (len(v) - 10) + v[-4:]
    return "*" * len(v)


def mask_text(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


class MaskPersonalDataFilter(logging.Filter):
    """Masks phone and ID numbers in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        return True
