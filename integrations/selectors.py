"""Scoped reads for connected systems: a client sees its own subscriptions
and delivery log, nothing of any other client's."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import AccessDenied, NotFound
from core.types import AnyUser
from integrations.models import ApiClient, WebhookDelivery, WebhookSubscription


def client_of(user: AnyUser) -> ApiClient:
    """The API client the caller is (403 ``not_an_api_client`` for a person)."""
    client = ApiClient.objects.filter(user_id=int(user.pk or 0), is_active=True).first()
    if client is None:
        raise AccessDenied(
            _("Only connected systems (API keys) can do this."), code="not_an_api_client"
        )
    return client


def subscription_list(*, client: ApiClient) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(client=client)


def access_subscription(client: ApiClient, subscription_id: int | str) -> WebhookSubscription:
    try:
        return subscription_list(client=client).get(pk=int(subscription_id))
    except (WebhookSubscription.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Webhook not found."), code="webhook_not_found") from None


def delivery_log(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(subscription=subscription).select_related("delivery")


def access_delivery(subscription: WebhookSubscription, delivery_id: int | str) -> WebhookDelivery:
    try:
        return delivery_log(subscription=subscription).get(pk=int(delivery_id))
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Delivery not found."), code="delivery_not_found") from None
