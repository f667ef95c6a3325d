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
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.errors import NotFound
from core.filters import IdFilter
from core.pagination import DefaultCursorPagination
from core.types import User
from governance.models import Area, Department
from governance.selectors import department_list, user_scope
from services import actions, selectors
from services import serializers as s
from services.access import access_dispatch, access_ticket, allowed_verbs, my_live_dispatch
from services.models import (
    Category,
    Dispatch,
    DispatchState,
    ExtensionRequest,
    OnAccountRequest,
    ReturnRequest,
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


class DateOrDateTimeField(django_filters.fields.IsoDateTimeField):
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
    ticket.allowed_actions, _mine = allowed_verbs(request.user, ticket)  # type: ignore[attr-defined]
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

    def _ticket_verb(
        self,
        request: Request,
        pk: str,
        serializer_class: type[BaseSerializer[Any]],
        run: Callable[[Ticket, dict[str, Any]], Any],
    ) -> Response:
        data = self._valid(serializer_class, request)
        ticket = access_ticket(request.user, pk)
        run(ticket, data)
        return Response(_detail(access_ticket(request.user, pk), request))

    def _dispatch_verb(
        self,
        request: Request,
        pk: str,
        serializer_class: type[BaseSerializer[Any]],
        run: Callable[[Dispatch, dict[str, Any]], Any],
    ) -> Response:
        data = self._valid(serializer_class, request)
        ticket = access_ticket(request.user, pk)
        dispatch = my_live_dispatch(request.user, ticket)
        if dispatch is None:
            raise NotFound(code="dispatch_not_found")
        run(dispatch, data)
        return Response(_detail(access_ticket(request.user, pk), request))

    # --- ticket verbs (grid, community, street, leader) ---

    @extend_schema(request=s.NoteSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="self_handle")
    def self_handle(self, request: Request, pk: str) -> Response:
        return self._ticket_verb(
            request,
            pk,
            s.NoteSerializer,
            lambda t, d: actions.ticket_self_handle(ticket=t, actor=_actor(request), **d),
        )

    @extend_schema(request=s.ResultSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="self_close")
    def self_close(self, request: Request, pk: str) -> Response:
        return self._ticket_verb(
            request,
            pk,
            s.ResultSerializer,
            lambda t, d: actions.ticket_self_close(ticket=t, actor=_actor(request), **d),
        )

    @extend_schema(request=s.WhistleSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def whistle(self, request: Request, pk: str) -> Response:
        return self._ticket_verb(
            request,
            pk,
            s.WhistleSerializer,
            lambda t, d: actions.ticket_whistle(ticket=t, actor=_actor(request), **d),
        )

    @extend_schema(request=s.NoteSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        return self._ticket_verb(
            request,
            pk,
            s.NoteSerializer,
            lambda t, d: actions.ticket_close(ticket=t, actor=_actor(request), **d),
        )

    @extend_schema(
        request=s.RequiredNoteSerializer, responses={200: s.TicketDetailSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def rework(self, request: Request, pk: str) -> Response:
        return self._ticket_verb(
            request,
            pk,
            s.RequiredNoteSerializer,
            lambda t, d: actions.ticket_rework(ticket=t, actor=_actor(request), **d),
        )

    @extend_schema(
        request=s.CallbackSerializer, responses={200: s.TicketDetailSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def callback(self, request: Request, pk: str) -> Response:
        return self._ticket_verb(
            request,
            pk,
            s.CallbackSerializer,
            lambda t, d: actions.ticket_callback(ticket=t, actor=_actor(request), **d),
        )

    @extend_schema(request=s.NoteSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return self._ticket_verb(
            request,
            pk,
            s.NoteSerializer,
            lambda t, d: actions.ticket_resume(ticket=t, actor=_actor(request), **d),
        )

    @extend_schema(
        request=s.SuperviseSerializer, responses={200: s.TicketDetailSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def supervise(self, request: Request, pk: str) -> Response:
        return self._ticket_verb(
            request,
            pk,
            s.SuperviseSerializer,
            lambda t, d: actions.ticket_supervise(ticket=t, actor=_actor(request), **d),
        )

    def _review(self, request: Request, pk: str, model: Any, run: Callable[..., Any]) -> Response:
        data = self._valid(s.ReviewSerializer, request)
        ticket = access_ticket(request.user, pk)
        pending = model.objects.filter(pk=data["request"], dispatch__ticket=ticket).first()
        if pending is None:
            raise NotFound(code="request_not_found")
        run(request=pending, actor=_actor(request), approve=data["approve"], note=data["note"])
        return Response(_detail(access_ticket(request.user, pk), request))

    @extend_schema(request=s.ReviewSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="review_return")
    def review_return(self, request: Request, pk: str) -> Response:
        return self._review(request, pk, ReturnRequest, actions.ticket_review_return)

    @extend_schema(request=s.ReviewSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="review_extension")
    def review_extension(self, request: Request, pk: str) -> Response:
        return self._review(request, pk, ExtensionRequest, actions.ticket_review_extension)

    @extend_schema(request=s.ReviewSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="review_on_account")
    def review_on_account(self, request: Request, pk: str) -> Response:
        return self._review(request, pk, OnAccountRequest, actions.ticket_review_on_account)

    # --- department verbs, on the caller's department's live dispatch ---

    @extend_schema(request=None, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        ticket = access_ticket(request.user, pk)
        dispatch = my_live_dispatch(request.user, ticket)
        if dispatch is None:
            raise NotFound(code="dispatch_not_found")
        actions.ticket_claim(dispatch=dispatch, actor=_actor(request))
        return Response(_detail(access_ticket(request.user, pk), request))

    @extend_schema(request=s.ReturnSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def request_return(self, request: Request, pk: str) -> Response:
        return self._dispatch_verb(
            request,
            pk,
            s.ReturnSerializer,
            lambda dp, d: actions.ticket_request_return(dispatch=dp, actor=_actor(request), **d),
        )

    @extend_schema(
        request=s.ProgressSerializer, responses={200: s.TicketDetailSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def progress(self, request: Request, pk: str) -> Response:
        return self._dispatch_verb(
            request,
            pk,
            s.ProgressSerializer,
            lambda dp, d: actions.ticket_progress(dispatch=dp, actor=_actor(request), **d),
        )

    @extend_schema(request=s.ResultSerializer, responses={200: s.TicketDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        return self._dispatch_verb(
            request,
            pk,
            s.ResultSerializer,
            lambda dp, d: actions.ticket_reply(dispatch=dp, actor=_actor(request), **d),
        )

    @extend_schema(
        request=s.ExtensionSerializer, responses={200: s.TicketDetailSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def extension(self, request: Request, pk: str) -> Response:
        return self._dispatch_verb(
            request,
            pk,
            s.ExtensionSerializer,
            lambda dp, d: actions.ticket_request_extension(dispatch=dp, actor=_actor(request), **d),
        )

    @extend_schema(
        request=s.OnAccountSerializer, responses={200: s.TicketDetailSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="on_account")
    def on_account(self, request: Request, pk: str) -> Response:
        return self._dispatch_verb(
            request,
            pk,
            s.OnAccountSerializer,
            lambda dp, d: actions.ticket_request_on_account(
                dispatch=dp, actor=_actor(request), **d
            ),
        )


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
        live = Dispatch.objects.filter(
            state__in=["awaiting_claim", "claimed", "return_requested", "replied"]
        ).select_related("department")
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
