"""REST endpoints for connected systems: the 12345 intake and the client's
webhook subscriptions with their delivery log.

Each endpoint: validate → find the calling client (403 for a person) →
fetch within that client (404 otherwise) → one action → serialize.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import DefaultCursorPagination
from integrations import actions, selectors
from integrations import serializers as s
from integrations.models import WebhookDelivery, WebhookSubscription


class HotlineIntakeView(APIView):
    """12345 hotline: hand in a work order. Repeating an external number
    returns the ticket made the first time (200 instead of 201)."""

    @extend_schema(
        request=s.HotlineIntakeSerializer,
        responses={201: s.HotlineIntakeResultSerializer, 200: s.HotlineIntakeResultSerializer},
    )
    def post(self, request: Request) -> Response:
        client = selectors.client_of(request.user)
        data = s.HotlineIntakeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record, created = actions.intake_hotline(client=client, **data.validated_data)
        ticket = record.ticket
        body = {
            "ticket": ticket.pk,
            "number": ticket.number,
            "external_no": record.external_no,
            "state": ticket.state,
            "created": created,
        }
        return Response(
            s.HotlineIntakeResultSerializer(body).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class WebhookPagination(DefaultCursorPagination):
    ordering = ("id",)


class DeliveryPagination(DefaultCursorPagination):
    ordering = ("-id",)


class WebhookViewSet(viewsets.ModelViewSet[WebhookSubscription]):
    """The calling client's webhook subscriptions; ``deliveries/`` is the
    delivery log (attempts, state, next retry) and ``redeliver/`` sends one again."""

    serializer_class = s.WebhookSerializer
    pagination_class = WebhookPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_class = None

    queryset = WebhookSubscription.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        return selectors.subscription_list(client=selectors.client_of(self.request.user))

    def get_object(self) -> WebhookSubscription:
        client = selectors.client_of(self.request.user)
        return selectors.access_subscription(client, self.kwargs["pk"])

    @extend_schema(request=s.WebhookSerializer, responses={201: s.WebhookCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        client = selectors.client_of(request.user)
        data = s.WebhookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = actions.webhook_subscribe(
            client=client,
            url=data.validated_data["url"],
            events=data.validated_data["events"],
            actor=request.user,
        )
        if data.validated_data.get("is_active") is False:
            actions.webhook_update(subscription=subscription, actor=request.user, is_active=False)
        return Response(
            s.WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.WebhookSerializer, responses={200: s.WebhookSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        data = s.WebhookSerializer(subscription, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = actions.webhook_update(
            subscription=subscription, actor=request.user, **data.validated_data
        )
        return Response(s.WebhookSerializer(subscription).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actions.webhook_unsubscribe(subscription=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: s.WebhookDeliverySerializer(many=True)})
    @action(
        detail=True,
        methods=["get"],
        pagination_class=DeliveryPagination,
        serializer_class=s.WebhookDeliverySerializer,
    )
    def deliveries(self, request: Request, pk: str) -> Response:
        log: QuerySet[WebhookDelivery] = selectors.delivery_log(subscription=self.get_object())
        page = self.paginate_queryset(log)  # type: ignore[arg-type]
        assert page is not None
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: s.WebhookDeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>\d+)/redeliver",
        serializer_class=s.WebhookDeliverySerializer,
    )
    def redeliver(self, request: Request, pk: str, delivery_id: str) -> Response:
        link = selectors.access_delivery(self.get_object(), delivery_id)
        actions.webhook_redeliver(link=link, actor=request.user)
        link = selectors.access_delivery(link.subscription, link.pk)
        return Response(s.WebhookDeliverySerializer(link).data, status=status.HTTP_202_ACCEPTED)
