"""Shared django-filter pieces."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

from core.dates import validate_date_range

#: Largest value a BIGINT id column holds.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """An id query parameter: a whole number that fits a database id.

    ``NumberFilter`` parses to Decimal, so ``?grid=1e30`` reached the database
    and raised OverflowError (a 500); this answers 400 instead.
    """

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class BoundedDateField(forms.DateField):
    """A date inside 1900–2999 (core.dates): 9999-12-31 is a 400, not an
    OverflowError when a filter adds a day or converts a time zone."""

    default_validators = [validate_date_range]


class DateFilter(django_filters.DateFilter):
    """``django_filters.DateFilter`` with the portal's date range."""

    field_class = BoundedDateField


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time inside 1900–2999 (core.dates).

    The range is checked in ``validate`` so a subclass whose ``to_python``
    also accepts a plain date (services' created_from/created_to) is bounded
    the same way.
    """

    def validate(self, value: Any) -> None:
        super().validate(value)
        validate_date_range(value)
