"""The one range of dates a client may send (issue 18, finding 8).

Python's dates run from year 1 to 9999, but adding a day to 9999-12-31 or
moving 0001-01-01 00:00 +08:00 to UTC overflows, and those OverflowErrors were
500s on the case list, the visits, the deadline API and Open311. Nothing the
portal records happens before 1900 or after 2999, so every date or date-time
a request carries (filters, query parameters, cursors) is checked against
this range first and refused with a 400 naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

EARLIEST_YEAR = 1900
LATEST_YEAR = 2999

#: The ``code`` of the field error (``extra.fields.<name>``).
DATE_OUT_OF_RANGE = "date_out_of_range"
DATE_OUT_OF_RANGE_MESSAGE = _("Give a date between the years %(low)d and %(high)d.")


def date_in_range(value: dt.date) -> bool:
    """True when ``value`` (a date or a date-time) lies in 1900–2999.

    For an aware date-time the year is judged in UTC as well, so a value at
    the edge never overflows when the database converts it.
    """
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        try:
            utc_year = value.astimezone(dt.UTC).year
        except OverflowError:
            return False
        if not EARLIEST_YEAR <= utc_year <= LATEST_YEAR:
            return False
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def out_of_range_message() -> str:
    return str(DATE_OUT_OF_RANGE_MESSAGE) % {"low": EARLIEST_YEAR, "high": LATEST_YEAR}


def validate_date_range(value: dt.date | None) -> None:
    """A Django/DRF validator: refuse a date outside 1900–2999."""
    if value is not None and not date_in_range(value):
        raise ValidationError(out_of_range_message(), code=DATE_OUT_OF_RANGE)


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, refusing dates outside 1900–2999 before it
    converts time zones: DRF turns a naive ``0001-01-01`` into an aware one
    and checks it by moving it to UTC, which overflowed (a 500)."""

    default_error_messages = {DATE_OUT_OF_RANGE: DATE_OUT_OF_RANGE_MESSAGE}

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if not date_in_range(value):
            self.fail(DATE_OUT_OF_RANGE, low=EARLIEST_YEAR, high=LATEST_YEAR)
        return super().enforce_timezone(value)


class DateField(serializers.DateField):
    """DRF's DateField inside 1900–2999: a term ending 9999-12-31 would
    overflow the day after it, later, in a list nobody can open any more."""

    default_validators = [validate_date_range]
