from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound as DRFNotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from core.dates import date_in_range
from core.errors import ValidationFailed

#: The ``code`` of a refused ``?cursor=`` (tests and clients match it).
INVALID_CURSOR = "invalid_cursor"
INVALID_CURSOR_MESSAGE = _("The cursor is not valid; start again from the first page.")


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        extra={"fields": {"cursor": [str(INVALID_CURSOR_MESSAGE)]}}, code=INVALID_CURSOR
    )


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination: stable under inserts and O(page) on deep pages.

    Views set ``ordering`` to a unique column (or a tuple ending in one).

    A cursor is client input: DRF decodes it but filters with its position
    as it is, so ``p=x`` on an id-ordered list raised ValueError (a 500,
    issue 18, finding 8). Here a cursor that does not decode, or whose
    position is not a value of the ordering column, is a 400 ``invalid_cursor``.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering: str | tuple[str, ...] = "-id"

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except DRFNotFound:
            raise invalid_cursor() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(str(cursor.position))  # a str (stubs say int)
        return cursor

    def _check_position(self, position: str) -> None:
        if "\x00" in position:
            raise invalid_cursor()  # PostgreSQL text cannot hold NUL
        model = getattr(self, "_model", None)
        name = self.ordering[0].lstrip("-")
        try:
            field = model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            return  # an annotation: the database judges it
        if field is None:
            return
        try:
            value = field.to_python(position)
        except (ValidationError, ValueError, TypeError, OverflowError):
            raise invalid_cursor() from None
        if isinstance(value, dt.date) and not date_in_range(value):
            raise invalid_cursor()
