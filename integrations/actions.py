"""Every change to clients, keys, subscriptions and intake.

Keyword-only, one transaction each, audited (core.audit) or, for intake,
written through services.actions.ticket_report (which writes the timeline).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.errors import Conflict, NotFound, ValidationFailed
from core.models import Delivery
from core.types import UNCHANGED, Actor, Unchanged, User
from governance import actions as governance_actions
from governance.models import Area, Department, Post, Role
from governance.selectors import forget_scope
from integrations import keys
from integrations.models import (
    ApiClient,
    ApiKey,
    AttributeType,
    HotlineAreaMapping,
    HotlineCategoryMapping,
    IntakeChannel,
    IntakeRecord,
    ServiceAttribute,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from services.access import forget_posts
from services.models import Category, Source, Urgency

logger = logging.getLogger(__name__)
_CLIENT_FIELDS = ["name", "contact", "default_grid", "is_active"]
_KEY_FIELDS = ["client", "name", "prefix", "can_write", "expires_at", "revoked_at"]
_HOOK_FIELDS = ["client", "url", "events", "is_active"]


# --- clients and keys -----------------------------------------------------------


@transaction.atomic
def client_create(
    *,
    name: str,
    actor: Actor,
    contact: str = "",
    areas: Iterable[Area] = (),
    departments: Iterable[Department] = (),
    default_grid: Area | None = None,
) -> ApiClient:
    """A client and its service account: active, no usable password (it can
    only authenticate with a key), its scope given by ``client_set_scope``."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(extra={"fields": {"name": [_("This field may not be blank.")]}})
    if ApiClient.objects.filter(name=name).exists():
        raise Conflict(_("A client of this name exists."), code="client_exists")
    user = get_user_model()(
        username=f"api-{secrets.token_hex(6)}", first_name=name[:150], is_active=True
    )
    user.set_unusable_password()
    user.save()
    client = ApiClient.objects.create(
        name=name, user=user, contact=contact.strip()[:200], default_grid=default_grid
    )
    audit.record(client, verb="created", actor=actor, after=audit.snapshot(client, _CLIENT_FIELDS))
    client_set_scope(client=client, areas=areas, departments=departments, actor=actor)
    return client


@transaction.atomic
def client_update(
    *,
    client: ApiClient,
    actor: Actor,
    name: str | None = None,
    contact: str | None = None,
    default_grid: Area | Unchanged | None = UNCHANGED,
    is_active: bool | None = None,
) -> ApiClient:
    before = audit.snapshot(client, _CLIENT_FIELDS)
    if name is not None:
        client.name = name.strip()[:100]
        client.user.first_name = client.name[:150]
        client.user.save(update_fields=["first_name"])
    if contact is not None:
        client.contact = contact.strip()[:200]
    if default_grid is not UNCHANGED:
        client.default_grid = default_grid
    if is_active is not None:
        client.is_active = is_active
    client.save()
    audit.record(
        client,
        verb="updated",
        actor=actor,
        before=before,
        after=audit.snapshot(client, _CLIENT_FIELDS),
    )
    return client


@transaction.atomic
def client_set_scope(
    *,
    client: ApiClient,
    areas: Iterable[Area],
    departments: Iterable[Department],
    actor: Actor,
) -> ApiClient:
    """Make the service account hold exactly an intake post per area and a
    department officer post per department (posts are granted and ended
    through governance's actions, so each change is audited there)."""
    user = client.user
    wanted_areas = {a.pk: a for a in areas}
    wanted_departments = {d.pk: d for d in departments}
    for area in wanted_areas.values():
        if area.level == "grid":
            raise ValidationFailed(
                extra={"fields": {"areas": [_("Choose a community or a larger area.")]}}
            )
    current = list(Post.objects.filter(user=user, active=True))
    for post in current:
        keep = (post.role == Role.INTAKE and post.area_id in wanted_areas) or (
            post.role == Role.DEPARTMENT_OFFICER and post.department_id in wanted_departments
        )
        if not keep:
            governance_actions.post_end(post=post, actor=actor, note="API client scope")
    held_areas = {p.area_id for p in current if p.role == Role.INTAKE}
    held_departments = {p.department_id for p in current if p.role == Role.DEPARTMENT_OFFICER}
    for pk, area in wanted_areas.items():
        if pk not in held_areas:
            governance_actions.post_grant(user=user, role=Role.INTAKE, area=area, actor=actor)
    for pk, department in wanted_departments.items():
        if pk not in held_departments:
            governance_actions.post_grant(
                user=user, role=Role.DEPARTMENT_OFFICER, department=department, actor=actor
            )
    forget_scope(user)
    forget_posts(user)
    return client


@transaction.atomic
def key_issue(
    *,
    client: ApiClient,
    actor: Actor,
    can_write: bool = False,
    name: str = "",
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key; returns it with the full key text, which is never stored."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            extra={"fields": {"expires_at": [_("Choose a time in the future.")]}}
        )
    raw, prefix, secret_hash = keys.new_key()
    key = ApiKey.objects.create(
        client=client,
        name=name.strip()[:60],
        prefix=prefix,
        secret_hash=secret_hash,
        can_write=can_write,
        expires_at=expires_at,
        created_by=actor if isinstance(actor, User) else None,
    )
    audit.record(key, verb="issued", actor=actor, after=audit.snapshot(key, _KEY_FIELDS))
    logger.info("API key %s issued for client %s", keys.masked(raw), client.pk)
    return key, raw


@transaction.atomic
def key_revoke(*, key: ApiKey, actor: Actor) -> ApiKey:
    if key.revoked_at is None:
        before = audit.snapshot(key, _KEY_FIELDS)
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit.record(
            key, verb="revoked", actor=actor, before=before, after=audit.snapshot(key, _KEY_FIELDS)
        )
    return key


# --- webhooks ---------------------------------------------------------------------


def _clean_events(events: Sequence[str]) -> list[str]:
    unknown = [e for e in events if e not in WebhookEvent.values]
    if unknown or not events:
        raise ValidationFailed(
            extra={
                "fields": {
                    "events": [
                        _("Choose one or more of: %(events)s.")
                        % {"events": ", ".join(WebhookEvent.values)}
                    ]
                }
            }
        )
    return sorted(set(events))


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or len(url) > 300:
        raise ValidationFailed(extra={"fields": {"url": [_("Enter an http(s) URL.")]}})
    return url


@transaction.atomic
def webhook_subscribe(
    *, client: ApiClient, url: str, events: Sequence[str], actor: Actor, secret: str = ""
) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.create(
        client=client,
        url=_clean_url(url),
        events=_clean_events(events),
        secret=(secret or "").strip()[:64] or secrets.token_urlsafe(32),
    )
    audit.record(
        subscription,
        verb="subscribed",
        actor=actor,
        after=audit.snapshot(subscription, _HOOK_FIELDS),
    )
    return subscription


@transaction.atomic
def webhook_update(
    *,
    subscription: WebhookSubscription,
    actor: Actor,
    url: str | None = None,
    events: Sequence[str] | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    before = audit.snapshot(subscription, _HOOK_FIELDS)
    if url is not None:
        subscription.url = _clean_url(url)
    if events is not None:
        subscription.events = _clean_events(events)
    if is_active is not None:
        subscription.is_active = is_active
    subscription.save()
    audit.record(
        subscription,
        verb="updated",
        actor=actor,
        before=before,
        after=audit.snapshot(subscription, _HOOK_FIELDS),
    )
    return subscription


@transaction.atomic
def webhook_unsubscribe(*, subscription: WebhookSubscription, actor: Actor) -> None:
    """Remove a subscription; deliveries still waiting for it are given up."""
    waiting = Delivery.objects.filter(
        pk__in=WebhookDelivery.objects.filter(subscription=subscription).values("delivery_id"),
        state__in=[Delivery.State.PENDING, Delivery.State.FAILED],
    )
    waiting.update(state=Delivery.State.DEAD, last_error="subscription removed")
    audit.record(
        subscription,
        verb="unsubscribed",
        actor=actor,
        before=audit.snapshot(subscription, _HOOK_FIELDS),
    )
    subscription.delete()


@transaction.atomic
def webhook_redeliver(*, link: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Send a delivery again now, with the same idempotency key (the receiver
    can tell a redelivery from a new event)."""
    from core.notify import _enqueue

    delivery_id = link.delivery_id
    Delivery.objects.filter(pk=delivery_id).update(
        state=Delivery.State.PENDING, next_attempt_at=timezone.now()
    )
    audit.record(link.subscription, verb="redeliver", actor=actor, note=str(delivery_id))
    transaction.on_commit(lambda: _enqueue([delivery_id]))
    return link


# --- intake -------------------------------------------------------------------------


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        number = Decimal("NaN")
    # NaN, infinities and 1e999 would break the location arithmetic downstream.
    if not number.is_finite() or abs(number) > 180:
        raise ValidationFailed(extra={"fields": {field: [_("Enter a number.")]}})
    return number


def map_hotline_category(code: str) -> Category:
    mapping = (
        HotlineCategoryMapping.objects.select_related("category")
        .filter(external_code=(code or "").strip())
        .first()
    )
    if mapping is None:
        raise ValidationFailed(
            _("The hotline category %(code)s is not mapped to a portal category.") % {"code": code},
            code="unmapped_category",
            extra={"fields": {"category_code": [_("Not in the category mapping table.")]}},
        )
    return mapping.category


def map_hotline_area(*, code: str = "", name: str = "") -> Area:
    code, name = (code or "").strip(), (name or "").strip()
    mapping = None
    if code:
        mapping = (
            HotlineAreaMapping.objects.select_related("grid").filter(external_code=code).first()
        )
    if mapping is None and name:
        mapping = (
            HotlineAreaMapping.objects.select_related("grid").filter(external_name=name).first()
        )
    if mapping is None:
        raise ValidationFailed(
            _("The hotline area %(area)s is not mapped to a grid.") % {"area": code or name},
            code="unmapped_area",
            extra={"fields": {"area_code": [_("Not in the area mapping table.")]}},
        )
    return mapping.grid


def _existing(client: ApiClient, channel: str, external_no: str) -> IntakeRecord | None:
    return (
        IntakeRecord.objects.select_related("ticket")
        .filter(client=client, channel=channel, external_no=external_no)
        .first()
    )


def intake_hotline(
    *,
    client: ApiClient,
    external_no: str,
    category_code: str,
    description: str,
    area_code: str = "",
    area_name: str = "",
    lat: Any = None,
    lng: Any = None,
    address: str = "",
    urgency: str = Urgency.NORMAL,
    reporter_name: str = "",
    reporter_phone: str = "",
) -> tuple[IntakeRecord, bool]:
    """Take in a 12345 work order; idempotent on (client, external number).

    Returns the intake record and whether it was created now. A repeat — even
    one racing the first — gets the first call's ticket: the unique
    constraints on the intake record and on the ticket's (source, external
    number) make the loser's transaction fail, and it then reads the winner's.
    Every mapping is checked before anything is written.
    """
    external_no = (external_no or "").strip()
    if not external_no or len(external_no) > 64:
        raise ValidationFailed(
            extra={"fields": {"external_no": [_("Give the hotline's work order number.")]}}
        )
    found = _existing(client, IntakeChannel.HOTLINE_12345, external_no)
    if found is not None:
        return found, False
    category = map_hotline_category(category_code)
    lat_d, lng_d = _decimal(lat, "lat"), _decimal(lng, "lng")
    grid: Area | None = None
    if area_code or area_name:
        grid = map_hotline_area(code=area_code, name=area_name)
    elif lat_d is None or lng_d is None:
        raise ValidationFailed(
            _("Give the hotline area or a location."),
            code="location_missing",
            extra={"fields": {"area_code": [_("Give the hotline area or a location.")]}},
        )
    try:
        with transaction.atomic():
            from services.actions import ticket_report

            ticket = ticket_report(
                actor=client.user,
                category=category,
                description=description,
                grid=grid,
                lat=lat_d,
                lng=lng_d,
                address=address,
                urgency=urgency,
                source=Source.HOTLINE_12345,
                reporter_name=reporter_name,
                reporter_phone=reporter_phone,
                external_no=external_no,
            )
            record = IntakeRecord.objects.create(
                client=client,
                channel=IntakeChannel.HOTLINE_12345,
                external_no=external_no,
                token=secrets.token_hex(16),
                ticket=ticket,
            )
    except (IntegrityError, Conflict) as exc:
        if isinstance(exc, Conflict) and exc.code != "duplicate_external_no":
            raise
        found = _existing(client, IntakeChannel.HOTLINE_12345, external_no)
        if found is None:
            raise Conflict(
                _("This external number was already taken in."), code="duplicate_external_no"
            ) from exc
        return found, False
    return record, True


# --- Open311 ------------------------------------------------------------------------


def check_attributes(category: Category, given: dict[str, list[str]]) -> dict[str, Any]:
    """Validate ``attribute[code]`` answers against the category's definition;
    return them cleaned (lists for multivaluelist, strings otherwise)."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for attr in ServiceAttribute.objects.filter(category=category).order_by("order", "id"):
        values = [v for v in given.get(attr.code, []) if v != ""]
        if not values:
            if attr.required:
                errors[attr.code] = [_("This attribute is required.")]
            continue
        keys_allowed = {str(v.get("key")) for v in attr.values or [] if isinstance(v, dict)}
        if attr.datatype == AttributeType.MULTIVALUELIST:
            if any(v not in keys_allowed for v in values):
                errors[attr.code] = [_("Choose among the listed values.")]
            out[attr.code] = values
            continue
        value = values[0]
        if attr.datatype == AttributeType.SINGLEVALUELIST and value not in keys_allowed:
            errors[attr.code] = [_("Choose among the listed values.")]
        elif attr.datatype == AttributeType.NUMBER:
            try:
                finite = Decimal(value).is_finite()  # NaN and Infinity parse, but are no answer
            except ArithmeticError:
                finite = False
            if not finite:
                errors[attr.code] = [_("Enter a number.")]
        elif attr.datatype == AttributeType.DATETIME:
            from django.utils.dateparse import parse_datetime

            try:
                moment = parse_datetime(value)
            except ValueError:  # well formed but impossible, e.g. 2025-02-30
                moment = None
            if moment is None or moment.tzinfo is None:  # GeoReport: every datetime has a zone
                errors[attr.code] = [_("Enter an ISO 8601 date and time.")]
        out[attr.code] = value[:1000]
    if errors:
        raise ValidationFailed(code="invalid_attribute", extra={"fields": errors})
    return out


def open311_submit(
    *,
    client: ApiClient,
    category: Category,
    description: str,
    lat: Any = None,
    lng: Any = None,
    address: str = "",
    address_id: str = "",
    attributes: dict[str, list[str]] | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
) -> IntakeRecord:
    """An Open311 ``POST requests``: a ticket now (synchronous), and a token
    that maps to it."""
    answers = check_attributes(category, attributes or {})
    lat_d, lng_d = _decimal(lat, "lat"), _decimal(lng, "long")
    grid: Area | None = None
    if lat_d is None or lng_d is None:
        if address_id:
            grid = map_hotline_area(code=address_id)
        elif address and client.default_grid_id:
            grid = client.default_grid
        else:
            raise ValidationFailed(
                _("Give lat and long, an address_id, or an address string this client can place."),
                code="location_missing",
            )
    text = (description or "").strip()
    if answers:
        lines = [
            f"{code}: {', '.join(v) if isinstance(v, list) else v}" for code, v in answers.items()
        ]
        text = f"{text}\n\n" + "\n".join(lines) if text else "\n".join(lines)
    from services.actions import ticket_report

    with transaction.atomic():
        ticket = ticket_report(
            actor=client.user,
            category=category,
            description=text[:4000] or category.name,
            grid=grid,
            lat=lat_d,
            lng=lng_d,
            address=address,
            source=Source.OPEN311,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
        )
        return IntakeRecord.objects.create(
            client=client, channel=IntakeChannel.OPEN311, token=secrets.token_hex(16), ticket=ticket
        )


def intake_for_token(token: str) -> IntakeRecord:
    record = (
        IntakeRecord.objects.select_related("ticket")
        .filter(token=(token or "")[:32], channel=IntakeChannel.OPEN311)
        .first()
    )
    if record is None:
        raise NotFound(_("Token not found."), code="token_not_found")
    return record
