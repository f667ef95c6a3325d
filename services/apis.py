"""REST endpoints for tickets and dispatches.

Each endpoint: validate the input → fetch through access.py (404 outside the
caller's scope) → call one action → serialize. No rule lives here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.errors import NotFound
from core.filters import BoundedIsoDateTimeField, IdFilter
from core.pagination import DefaultCursorPagination
from core.parsers import FormParser, JSONParser
from core.types import User
from governance.models import Area, Department
from governance.selectors import department_list, user_scope
from services import actions, selectors, verbs
from services import serializers as s
from services.access import access_dispatch, access_ticket, my_live_dispatch, user_verbs
from services.models import (
    ACTIVE_DISPATCH_STATES,
    Category,
    Dispatch,
    DispatchState,
    Ticket,
    TicketState,
    Urgency,
)


def _actor(request: Request) -> User:
    """The logged-in caller (every endpoint here requires authentication)."""
    assert isinstance(request.user, User)
    return request.user


ERRORS = {
    400: OpenApiResponse(description="validation_error: {code, message, extra.fields}"),
    404: OpenApiResponse(description="ticket_not_found / dispatch_not_found (absent or not yours)"),
    409: OpenApiResponse(description="invalid_transition, already_claimed, …"),
}


class TicketPagination(DefaultCursorPagination):
    ordering = ("-created_at", "-id")


class DateOrDateTimeField(BoundedIsoDateTimeField):
    """ISO 8601 date-time, or a plain ``YYYY-MM-DD`` kept as a date (the whole day)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass  # the date-time parser explains what is wrong
        return super().to_python(value)


class DateOrDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = DateOrDateTimeField


class TicketFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=TicketState.choices, method="by")
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all(), method="by")
    area = django_filters.ModelChoiceFilter(queryset=Area.objects.all(), method="by")
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all(), method="by")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, method="by")
    overdue = django_filters.BooleanFilter(method="by")
    created_from = DateOrDateTimeFilter(
        method="by", help_text="ISO 8601 date-time, or a date for the start of that day"
    )
    created_to = DateOrDateTimeFilter(
        method="by", help_text="ISO 8601 date-time (exclusive), or a date to include that whole day"
    )
    q = django_filters.CharFilter(
        method="by", max_length=100, label="number prefix, address or description"
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def by(self, queryset: QuerySet[Ticket], name: str, value: Any) -> QuerySet[Ticket]:
        if value in (None, "", []):
            return queryset
        return selectors.ticket_filter(queryset, {name: value})


def _detail(ticket: Ticket, request: Request) -> dict[str, Any]:
    ticket.all_dispatches = list(ticket.dispatches.select_related("department", "claimed_by"))  # type: ignore[attr-defined]
    ticket.timeline = list(selectors.ticket_timeline(ticket))  # type: ignore[attr-defined]
    ticket.allowed_actions, _mine = user_verbs(request.user, ticket)  # type: ignore[attr-defined]
    return s.TicketDetailSerializer(ticket, context={"request": request}).data


class TicketViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Ticket]):
    """Cases in the caller's scope; ``POST /tickets/{id}/<verb>/`` moves one."""

    serializer_class = s.TicketListSerializer
    filterset_class = TicketFilter
    pagination_class = TicketPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.ticket_list_for_display(user=self.request.user)

    @extend_schema(
        request=s.TicketReportSerializer, responses={201: s.TicketDetailSerializer, **ERRORS}
    )
    def create(self, request: Request) -> Response:
        data = self._valid(s.TicketReportSerializer, request)
        ticket = actions.ticket_report(actor=_actor(request), **data)
        return Response(_detail(ticket, request), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.TicketDetailSerializer, 404: ERRORS[404]})
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_detail(access_ticket(request.user, pk), request))

    @extend_schema(responses={200: s.RoutingSuggestionSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def routing(self, request: Request, pk: str) -> Response:
        ticket = access_ticket(request.user, pk)
        return Response(
            s.RoutingSuggestionSerializer(selectors.routing_suggestions(ticket), many=True).data
        )

    def _valid(
        self, serializer_class: type[BaseSerializer[Any]], request: Request
    ) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        fields = getattr(serializer, "fields", {})
        # Ids outside the caller's scope fail exactly like ids that do not
        # exist: the answer must not tell the two apart.
        if "grid" in fields:
            scope = user_scope(request.user)
            fields["grid"].queryset = Area.objects.filter(
                scope.work_q(), level="grid", is_active=True
            )
        for name in ("lead", "assists", "informs"):
            if name in fields:
                field = fields[name]
                target = getattr(field, "child_relation", field)
                target.queryset = department_list(user=request.user)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _run_verb(self, request: Request, pk: str, verb: verbs.Verb) -> Response:
        data = self._valid(verb.serializer, request) if verb.serializer is not None else {}
        ticket = access_ticket(request.user, pk)
        dispatch = my_live_dispatch(request.user, ticket) if verb.on_dispatch else None
        if verb.on_dispatch and dispatch is None:
            raise NotFound(code="dispatch_not_found")
        verb.run(_actor(request), ticket, dispatch, data)
        return Response(_detail(access_ticket(request.user, pk), request))

    def _run_review(self, request: Request, pk: str, review: verbs.Review) -> Response:
        data = self._valid(s.ReviewSerializer, request)
        ticket = access_ticket(request.user, pk)
        pending = review.model.objects.filter(pk=data["request"], dispatch__ticket=ticket).first()
        if pending is None:
            raise NotFound(code="request_not_found")
        review.action(
            request=pending, actor=_actor(request), approve=data["approve"], note=data["note"]
        )
        return Response(_detail(access_ticket(request.user, pk), request))


def _verb_endpoint(verb: verbs.Verb) -> Callable[..., Response]:
    """``POST /tickets/{id}/<verb>/`` for one registry verb."""

    def endpoint(self: TicketViewSet, request: Request, pk: str) -> Response:
        return self._run_verb(request, pk, verb)

    endpoint.__name__ = endpoint.__qualname__ = verb.path
    endpoint.__doc__ = str(verb.help) if verb.help else None
    schema = extend_schema(
        summary=verb.title,
        request=verb.serializer,
        responses={200: s.TicketDetailSerializer, **ERRORS},
    )
    return action(detail=True, methods=["post"], url_path=verb.path)(schema(endpoint))


def _review_endpoint(review: verbs.Review) -> Callable[..., Response]:
    """``POST /tickets/{id}/review_<kind>/``: the street decides a request."""

    def endpoint(self: TicketViewSet, request: Request, pk: str) -> Response:
        return self._run_review(request, pk, review)

    endpoint.__name__ = endpoint.__qualname__ = f"review_{review.kind}"
    schema = extend_schema(
        request=s.ReviewSerializer, responses={200: s.TicketDetailSerializer, **ERRORS}
    )
    return action(detail=True, methods=["post"], url_path=f"review_{review.kind}")(schema(endpoint))


# The verb endpoints come from the verb registry: one per step, one per review.
for _verb in verbs.STEPS.values():
    setattr(TicketViewSet, _verb.path, _verb_endpoint(_verb))
for _review in verbs.REVIEWS.values():
    setattr(TicketViewSet, f"review_{_review.kind}", _review_endpoint(_review))


class DispatchFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=DispatchState.choices)
    department = IdFilter(field_name="department_id")

    class Meta:
        model = Dispatch
        fields = ["state", "department"]


class DispatchPagination(DefaultCursorPagination):
    ordering = ("dispatched_at", "id")


class DispatchViewSet(viewsets.ReadOnlyModelViewSet[Dispatch]):
    """The department's queue: ``?state=awaiting_claim`` for what to claim."""

    serializer_class = s.DispatchQueueSerializer
    filterset_class = DispatchFilter
    pagination_class = DispatchPagination

    def get_queryset(self) -> QuerySet[Dispatch]:
        live = Dispatch.objects.filter(state__in=ACTIVE_DISPATCH_STATES).select_related(
            "department"
        )
        return selectors.dispatch_queue(user=self.request.user).prefetch_related(
            Prefetch("ticket__dispatches", queryset=live, to_attr="live_dispatches")
        )

    def get_object(self) -> Dispatch:
        return access_dispatch(self.request.user, self.kwargs["pk"])

    @extend_schema(request=None, responses={200: s.DispatchSerializer, **ERRORS})
    @action(detail=True, methods=["post"], filterset_class=None)
    def claim(self, request: Request, pk: str) -> Response:
        dispatch = access_dispatch(request.user, pk)
        dispatch = actions.ticket_claim(dispatch=dispatch, actor=_actor(request))
        return Response(s.DispatchSerializer(dispatch).data)


class CategoryPagination(DefaultCursorPagination):
    ordering = ("code",)
    page_size = 200


class CategoryViewSet(viewsets.ReadOnlyModelViewSet[Category]):
    """Categories in use in the caller's city (``?kind=`` to narrow)."""

    serializer_class = s.CategorySerializer
    pagination_class = CategoryPagination
    filterset_fields = ["kind", "parent"]

    def get_queryset(self) -> QuerySet[Category]:
        from governance.selectors import area_list

        city = area_list(user=self.request.user).filter(depth=1).first()
        return selectors.categories_for_city(city)


class SupervisionPagination(DefaultCursorPagination):
    ordering = ("created_at", "id")  # oldest (usually longest overdue) first


class SupervisionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Ticket]):
    """督办清单: open cases that are overdue or under supervision, with how
    long each is overdue; ``summary/`` counts them by street and department."""

    serializer_class = s.SupervisionItemSerializer
    pagination_class = SupervisionPagination

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.supervision_list_for_display(user=self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        return self.get_paginated_response(
            s.SupervisionItemSerializer(selectors.supervision_rows(page), many=True).data
        )

    @extend_schema(responses=s.SupervisionSummarySerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request: Request) -> Response:
        data = selectors.supervision_summary(user=request.user)
        return Response(s.SupervisionSummarySerializer(data).data)
