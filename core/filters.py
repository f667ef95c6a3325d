"""Shared django-filter pieces."""

from __future__ import annotations

import django_filters
from django import forms

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
