"""Open311 GeoReport v2 under /open311/v2/ (shared/reference/open311.md).

Formats by suffix (``.json``/``.xml``); XML roots per the spec
(``services/service``, ``service_requests/request``, ``errors/error``,
``service_definition``, ``discovery``); JSON is the same data with lists as
top-level arrays. Errors are the spec's list of ``code`` + ``description``
(code = the HTTP status). Datetimes are ISO 8601 with the +08:00 offset.

Who sees what: ``POST requests`` needs an ``api_key`` that may write; the
ticket is made by ``integrations.actions.open311_submit`` (services'
``ticket_report``, source Open311) as the key's client. ``GET requests`` with
an ``api_key`` lists the client's scope; without one it lists only requests
that came in through Open311, with phone and ID numbers masked — the
portal's other cases are not public (docs/decisions/0013).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions as drf
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from core.dates import date_in_range, out_of_range_message
from core.errors import ApplicationError, NotFound, from_suspicious
from core.logging import mask_text
from core.parsers import FormParser
from core.workcalendar import TZ
from governance.models import Area
from integrations import actions
from integrations.auth import check_key
from integrations.models import ApiKey, ServiceAttribute
from services.models import OPEN_STATES, Category, Clock, Dispatch, Ticket

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00+08:00"
MAX_WINDOW = dt.timedelta(days=90)
MAX_RECORDS = 1000
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        self.status = status
        self.descriptions = list(descriptions) or [""]
        super().__init__(self.descriptions[0])


# --- rendering ------------------------------------------------------------------


def iso(value: dt.datetime | None) -> str | None:
    """W3C datetime with the offset, seconds precision: 2025-10-01T09:30:00+08:00."""
    if value is None:
        return None
    return value.astimezone(TZ).replace(microsecond=0).isoformat()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            child = ET.SubElement(element, key)
            if isinstance(item, list):
                for entry in item:
                    _fill(ET.SubElement(child, _singular(key)), entry)
            else:
                _fill(child, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        # XML 1.0 cannot carry most control characters; drop them.
        element.text = _CONTROL.sub("", str(value))


def to_xml(data: Any, root: str, item: str | None = None) -> bytes:
    top = ET.Element(root)
    if item is None:
        _fill(top, data)
    else:
        for entry in data:
            _fill(ET.SubElement(top, item), entry)
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode").encode()
    )


def respond(
    data: Any, fmt: str, *, root: str, item: str | None = None, status: int = 200
) -> HttpResponse:
    body = to_xml(data, root, item) if fmt == "xml" else JSONRenderer().render(data)
    return HttpResponse(
        body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["json"])
    )


def error_response(exc: Open311Error, fmt: str) -> HttpResponse:
    items = [{"code": exc.status, "description": d} for d in exc.descriptions]
    return respond(items, fmt, root="errors", item="error", status=exc.status)


# --- authentication (api_key is a parameter in GeoReport v2) ----------------------


class Open311KeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = request.query_params.get("api_key") or ""
        if not raw and request.method == "POST":
            raw = str(request.data.get("api_key") or "")
        if not raw:
            return None
        # Wrong keys are counted per address like on the API (429 past the limit).
        key = check_key(request, raw)
        if key is None:
            raise drf.AuthenticationFailed(_("Invalid api_key received."))
        return (key.client.user, key)


# --- base view ----------------------------------------------------------------------


@extend_schema(exclude=True)
class Open311View(APIView):
    authentication_classes = [Open311KeyAuthentication]
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The suffix picks the format, not the Accept header.
        return (JSONRenderer(), "application/json")

    def fmt(self) -> str:
        return str(self.kwargs.get("fmt") or "xml")

    def handle_exception(self, exc: Exception) -> HttpResponse:  # type: ignore[override]
        fmt = self.fmt()
        if isinstance(exc, Open311Error):
            return error_response(exc, fmt)
        if isinstance(exc, drf.Throttled):
            response = error_response(Open311Error(429, str(exc.detail)), fmt)
            wait = getattr(exc, "wait", None)
            if wait is not None:
                response["Retry-After"] = str(int(wait))
            return response
        if isinstance(exc, drf.AuthenticationFailed):
            return error_response(Open311Error(403, str(exc.detail)), fmt)
        if isinstance(exc, drf.APIException):
            return error_response(Open311Error(exc.status_code, str(exc.detail)), fmt)
        if isinstance(exc, SuspiciousOperation):
            # A body too large or with too many fields: the spec's 400, not
            # Django's HTML page (issue 18, finding 8); logged as Django does.
            logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
            exc = from_suspicious(exc)
        if isinstance(exc, ApplicationError):
            return error_response(Open311Error(exc.status, *_describe(exc)), fmt)
        raise exc

    def check_jurisdiction(self, request: Request) -> None:
        wanted = settings.OPEN311_JURISDICTION_ID
        given = request.query_params.get("jurisdiction_id") or (
            request.data.get("jurisdiction_id") if request.method == "POST" else ""
        )
        if given and wanted and given != wanted:
            raise Open311Error(404, _("jurisdiction_id provided was not found."))

    def key(self, request: Request) -> ApiKey | None:
        return request.auth if isinstance(request.auth, ApiKey) else None


def _describe(exc: ApplicationError) -> list[str]:
    fields = exc.extra.get("fields") if isinstance(exc.extra, dict) else None
    if isinstance(fields, dict) and fields:
        return [
            f"{field}: {message}"
            for field, messages in fields.items()
            for message in (messages if isinstance(messages, list) else [messages])
        ]
    return [exc.message]


# --- services -----------------------------------------------------------------------


def _city() -> Area | None:
    return Area.objects.filter(level="city", is_active=True).order_by("path").first()


def service_list() -> QuerySet[Category]:
    from services.selectors import categories_for_city

    return (
        categories_for_city(_city())
        .filter(~Exists(Category.objects.filter(parent=OuterRef("pk"))))
        .annotate(has_attributes=Exists(ServiceAttribute.objects.filter(category=OuterRef("pk"))))
        .select_related("parent")
        .order_by("kind", "code")
    )


def service_record(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": bool(getattr(category, "has_attributes", False)),
        "type": "realtime",
        "keywords": "",
        "group": category.parent.name if category.parent else "",
    }


class DiscoveryView(Open311View):
    def get(self, request: Request, fmt: str) -> HttpResponse:
        base = request.build_absolute_uri("/open311/v2/")
        data = {
            "changeset": CHANGESET,
            "contact": settings.OPEN311_CONTACT,
            "key_service": _("Ask the portal's administrator for an API key."),
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }
        return respond(data, fmt, root="discovery")


class ServiceListView(Open311View):
    def get(self, request: Request, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        return respond(
            [service_record(c) for c in service_list()], fmt, root="services", item="service"
        )


def _service(code: str) -> Category:
    category = service_list().filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("service_code provided was not found."))
    return category


class ServiceDefinitionView(Open311View):
    def get(self, request: Request, code: str, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        category = _service(code)
        attributes = [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [
                    {"key": str(v.get("key", "")), "name": str(v.get("name", ""))}
                    for v in (a.values or [])
                    if isinstance(v, dict)
                ],
            }
            for a in ServiceAttribute.objects.filter(category=category).order_by("order", "id")
        ]
        data = {"service_code": category.code, "attributes": attributes}
        return respond(data, fmt, root="service_definition")


# --- requests -----------------------------------------------------------------------


def _visible(key: ApiKey | None) -> QuerySet[Ticket]:
    from services.models import Source
    from services.selectors import ticket_list

    if key is not None:
        return ticket_list(user=key.client.user)
    return Ticket.objects.filter(source=Source.OPEN311)


def _with_display(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    leads = Dispatch.objects.filter(role="lead").select_related("department").order_by("-id")
    handle = Clock.objects.filter(state="running", kind="handle").order_by("due_at")
    return qs.select_related("category").prefetch_related(
        Prefetch("dispatches", queryset=leads, to_attr="leads"),
        Prefetch("clocks", queryset=handle, to_attr="handle_clocks"),
    )


def request_record(ticket: Ticket, *, public: bool) -> dict[str, Any]:
    is_open = ticket.state in OPEN_STATES
    leads = getattr(ticket, "leads", [])
    live = [d for d in leads if d.state not in ("returned", "cancelled")]
    lead = (live or leads or [None])[0]
    clocks = getattr(ticket, "handle_clocks", [])
    notes = str(ticket.get_state_display())
    if not is_open and ticket.result:
        notes = f"{notes}: {ticket.result}"
    description = mask_text(ticket.description) if public else ticket.description
    return {
        "service_request_id": ticket.number,
        "status": "open" if is_open else "closed",
        "status_notes": mask_text(notes) if public else notes,
        "service_name": ticket.category.name,
        "service_code": ticket.category.code,
        "description": description,
        "agency_responsible": lead.department.name if lead is not None else None,
        "service_notice": None,
        "requested_datetime": iso(ticket.created_at),
        "updated_datetime": iso(
            ticket.updated_at if is_open else (ticket.closed_at or ticket.updated_at)
        ),
        "expected_datetime": iso(clocks[0].due_at) if is_open and clocks else None,
        "address": ticket.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": float(ticket.lat) if ticket.lat is not None else None,
        "long": float(ticket.lng) if ticket.lng is not None else None,
        "media_url": None,
    }


def _when(value: str, name: str) -> dt.datetime:
    parsed: dt.datetime | None = None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is not None:
                parsed = dt.datetime.combine(day, dt.time())
    except ValueError:
        # well formed but impossible (2025-02-30, 25:00, +25:00): dateparse raises
        parsed = None
    if parsed is None:
        raise Open311Error(400, _("%(name)s is not an ISO 8601 date and time.") % {"name": name})
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=TZ)
    if not date_in_range(parsed):
        # 0001-01-01 overflowed when moved to UTC, 9999-12-31 when widened.
        raise Open311Error(400, f"{name}: {out_of_range_message()}")
    return parsed


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a whole number.") % {"name": name}) from None
    if not low <= number <= high:
        raise Open311Error(
            400,
            _("%(name)s must be between %(low)d and %(high)d.")
            % {"name": name, "low": low, "high": high},
        )
    return number


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


class RequestListView(Open311View):
    def get(self, request: Request, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        key = self.key(request)
        params: dict[str, str] = {k: str(v) for k, v in request.query_params.items() if v != ""}
        qs = _visible(key)
        if "service_request_id" in params:
            qs = qs.filter(number__in=_csv(params["service_request_id"])[:MAX_RECORDS])
        else:
            if "service_code" in params:
                qs = qs.filter(category__code__in=_csv(params["service_code"]))
            start = _when(params["start_date"], "start_date") if "start_date" in params else None
            end = _when(params["end_date"], "end_date") if "end_date" in params else None
            if start and end and end < start:
                raise Open311Error(400, _("end_date is before start_date."))
            if start and end and end - start > MAX_WINDOW:
                raise Open311Error(400, _("The date range may span at most 90 days."))
            if start is None:
                start = (end or timezone.now()) - MAX_WINDOW
            qs = qs.filter(created_at__gte=start)
            if end is not None:
                qs = qs.filter(created_at__lte=end)
            if "status" in params:
                wanted = set(_csv(params["status"]))
                if not wanted <= {"open", "closed"}:
                    raise Open311Error(400, _("status must be open, closed or both."))
                if wanted == {"open"}:
                    qs = qs.filter(state__in=OPEN_STATES)
                elif wanted == {"closed"}:
                    qs = qs.exclude(state__in=OPEN_STATES)
        page = _int(params.get("page", "1"), "page", 1, 1_000_000)
        size = _int(params.get("page_size", str(MAX_RECORDS)), "page_size", 1, MAX_RECORDS)
        rows = _with_display(qs.order_by("-created_at", "-id"))[(page - 1) * size : page * size]
        data = [request_record(t, public=key is None) for t in rows]
        return respond(data, fmt, root="service_requests", item="request")

    def post(self, request: Request, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        key = self.key(request)
        if key is None:
            raise Open311Error(400, _("api_key is required to create a request."))
        if not key.can_write:
            raise Open311Error(403, _("This api_key may only read."))
        data: Any = request.data
        if any("\x00" in str(v) for name in data for v in data.getlist(name)):
            raise Open311Error(400, _("Null characters are not allowed."))
        code = str(data.get("service_code") or "")
        if not code:
            raise Open311Error(400, _("service_code is required."))
        category = _service(code)
        description = str(data.get("description") or "")
        if len(description) > 4000:
            raise Open311Error(400, _("description may be at most 4000 characters."))
        lat, lng = data.get("lat") or None, data.get("long") or None
        address, address_id = (
            str(data.get("address_string") or ""),
            str(data.get("address_id") or ""),
        )
        if (lat is None) != (lng is None):
            raise Open311Error(400, _("Give both lat and long."))
        if lat is None and not address and not address_id:
            raise Open311Error(
                400, _("A location is required: lat and long, address_string or address_id.")
            )
        attributes: dict[str, list[str]] = {}
        for name in data:
            if name.startswith("attribute[") and name.endswith("]"):
                attr = name[len("attribute[") : -1].removesuffix("][")
                attributes.setdefault(attr, []).extend(str(v) for v in data.getlist(name))
        name = " ".join(p for p in (data.get("last_name"), data.get("first_name")) if p).strip()
        record = actions.open311_submit(
            client=key.client,
            category=category,
            description=description,
            lat=lat,
            lng=lng,
            address=address[:200],
            address_id=address_id,
            attributes=attributes,
            reporter_name=name[:60],
            reporter_phone=str(data.get("phone") or "")[:20],
        )
        body = [
            {
                "service_request_id": record.ticket.number,
                "token": record.token,
                "service_notice": None,
                "account_id": None,
            }
        ]
        return respond(body, fmt, root="service_requests", item="request", status=201)


class RequestDetailView(Open311View):
    def get(self, request: Request, request_id: str, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        key = self.key(request)
        ticket = _with_display(_visible(key).filter(number=request_id)).first()
        if ticket is None:
            raise Open311Error(404, _("service_request_id provided was not found."))
        return respond(
            [request_record(ticket, public=key is None)],
            fmt,
            root="service_requests",
            item="request",
        )


class TokenView(Open311View):
    def get(self, request: Request, token: str, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        try:
            record = actions.intake_for_token(token)
        except NotFound:
            raise Open311Error(404, _("token provided was not found.")) from None
        body = [{"service_request_id": record.ticket.number, "token": record.token}]
        return respond(body, fmt, root="service_requests", item="request")


class NotFoundView(Open311View):
    def get(self, request: Request, rest: str) -> HttpResponse:
        raise Open311Error(404, _("No such Open311 resource."))

    post = get

    def fmt(self) -> str:
        return "xml" if str(self.kwargs.get("rest", "")).endswith(".xml") else "json"
