"""Case pages: log a case, the case lists, the case page with its steps,
the department queue and the leader's overview.

Every step calls the same action as the API (services.actions); a rule the
action refuses comes back as a message on the form, never as an error page.
Reads go through services.selectors / services.access, so a case outside the
caller's posts is a 404 here exactly as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError, Conflict, NotFound
from core.logging import mask_phone
from core.types import User
from core.web import is_htmx, keyset_page, redirect, run_action
from governance.models import Area
from governance.selectors import area_list, department_list, user_scope
from services import actions, selectors
from services import forms as f
from services.access import access_dispatch, access_ticket, allowed_verbs, capacities
from services.labels import EVENT_LABELS, TONES
from services.models import (
    ACTIVE_DISPATCH_STATES,
    Attachment,
    Dispatch,
    DispatchState,
    ExtensionRequest,
    OnAccountRequest,
    ReturnRequest,
    ReviewState,
    Ticket,
    TicketState,
)
from services.serializers import clock_rows


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _ticket_or_404(request: HttpRequest, pk: int) -> Ticket:
    try:
        return access_ticket(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _work_grids(user: Any) -> QuerySet[Area]:
    """Grids where the user may log a case (their area posts' grids)."""
    scope = user_scope(user)
    return Area.objects.filter(scope.work_q(), level="grid", is_active=True).order_by("code")


def _city(user: Any) -> Area | None:
    return area_list(user=user).filter(depth=1).first()


# --- log a case -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    categories = selectors.categories_for_city(_city(user))
    grids = _work_grids(user)
    form = f.ReportForm(
        request.POST or None, request.FILES or None, categories=categories, grids=grids
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        ticket = run_action(form, lambda: actions.ticket_report(actor=user, **data))
        if ticket is not None:
            messages.success(request, _("Case %(number)s was logged.") % {"number": ticket.number})
            return redirect(request, reverse("ticket-detail", args=[ticket.pk]))
    status = 400 if form.errors else 200
    return render(
        request,
        "services/ticket_new.html",
        {"form": form, "grid_count": grids.count()},
        status=status,
    )


@login_required
@require_GET
def ticket_locate(request: HttpRequest) -> HttpResponse:
    """htmx: which grid a device position falls in (for the report form)."""
    from grids.geography.lookup import grid_at

    try:
        lat = float(request.GET.get("lat", ""))
        lng = float(request.GET.get("lng", ""))
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValueError
    except ValueError:
        return render(request, "services/_locate.html", {"error": _("No usable position.")})
    grid = grid_at(lat, lng)
    mine = grid is not None and _work_grids(request.user).filter(pk=grid.pk).exists()
    return render(request, "services/_locate.html", {"grid": grid, "mine": mine})


# --- lists ----------------------------------------------------------------------


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    """ "My cases" (logged by me) and "my area's cases" (everything I may read)."""
    tab = request.GET.get("tab", "mine")
    if tab not in ("mine", "area"):
        tab = "mine"
    filters = f.CaseFilterForm(request.GET or None)
    qs = selectors.ticket_list_for_display(user=request.user)
    if tab == "mine":
        qs = qs.filter(reported_by_id=request.user.pk)
    qs = selectors.ticket_filter(qs, filters.filters())
    page = keyset_page(qs, request.GET.get("after"))
    params = request.GET.copy()
    params.pop("after", None)
    context = {"tab": tab, "filters": filters, "page": page, "query": params.urlencode()}
    if is_htmx(request) and request.GET.get("after"):
        return render(request, "services/_ticket_rows.html", context)
    return render(request, "services/ticket_list.html", context)


# --- the case page --------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step a person can take from the case page."""

    verb: str  # the workflow verb that enables it
    title: Promise
    form: type[forms.Form] | None
    run: Callable[[HttpRequest, Ticket, Dispatch | None, dict[str, Any]], Any]
    tone: str = "primary"
    help: Promise | str = ""

    @property
    def has_form(self) -> bool:
        # Templates call callables, so they must not see the form class itself.
        return self.form is not None


def _on_ticket(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda request, ticket, _dispatch, data: fn(ticket=ticket, actor=_user(request), **data)


def _on_dispatch(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(
        request: HttpRequest, _ticket: Ticket, dispatch: Dispatch | None, data: dict[str, Any]
    ) -> Any:
        if dispatch is None:
            raise NotFound(_("Your department has no live dispatch on this case."))
        return fn(dispatch=dispatch, actor=_user(request), **data)

    return run


STEPS: dict[str, Step] = {
    s.verb: s
    for s in [
        Step(
            "self_handle",
            gettext_lazy("Handle locally"),
            f.NoteForm,
            _on_ticket(actions.ticket_self_handle),
            "secondary",
            gettext_lazy("The grid or community fixes it itself (自行处置)."),
        ),
        Step(
            "self_close",
            gettext_lazy("Close as fixed"),
            f.ResultForm,
            _on_ticket(actions.ticket_self_close),
            "success",
        ),
        Step(
            "whistle",
            gettext_lazy("Whistle to departments"),
            f.WhistleForm,
            _on_ticket(actions.ticket_whistle),
            "danger",
            gettext_lazy("吹哨: one lead department, any number to assist or be informed."),
        ),
        Step("claim", gettext_lazy("Claim"), None, _on_dispatch(actions.ticket_claim), "primary"),
        Step(
            "progress",
            gettext_lazy("Add progress"),
            f.ProgressForm,
            _on_dispatch(actions.ticket_progress),
            "secondary",
        ),
        Step(
            "reply",
            gettext_lazy("Reply with the result"),
            f.ResultForm,
            _on_dispatch(actions.ticket_reply),
            "success",
        ),
        Step(
            "request_return",
            gettext_lazy("Return the case"),
            f.ReturnForm,
            _on_dispatch(actions.ticket_request_return),
            "outline-danger",
            gettext_lazy("退单: the street reviews the return."),
        ),
        Step(
            "request_extension",
            gettext_lazy("Ask for more time"),
            f.ExtensionForm,
            _on_dispatch(actions.ticket_request_extension),
            "outline-secondary",
            gettext_lazy("Only before the deadline; the street decides."),
        ),
        Step(
            "request_on_account",
            gettext_lazy("Put on account"),
            f.OnAccountForm,
            _on_dispatch(actions.ticket_request_on_account),
            "outline-secondary",
            gettext_lazy("挂账: cannot be solved now; needs the street's approval."),
        ),
        Step(
            "close",
            gettext_lazy("Verify and close"),
            f.NoteForm,
            _on_ticket(actions.ticket_close),
            "success",
        ),
        Step(
            "rework",
            gettext_lazy("Send back for rework"),
            f.RequiredNoteForm,
            _on_ticket(actions.ticket_rework),
            "outline-danger",
        ),
        Step(
            "callback",
            gettext_lazy("Record the callback"),
            f.CallbackForm,
            _on_ticket(actions.ticket_callback),
            "primary",
            gettext_lazy("回访: call the resident and record what they say."),
        ),
        Step("resume", gettext_lazy("Resume"), f.NoteForm, _on_ticket(actions.ticket_resume)),
        Step(
            "supervise",
            gettext_lazy("Open supervision"),
            f.SuperviseForm,
            _on_ticket(actions.ticket_supervise),
            "outline-danger",
            gettext_lazy("督办: the case goes on the supervision list."),
        ),
    ]
}

_REVIEWS: dict[str, tuple[Any, Callable[..., Any]]] = {
    "return": (ReturnRequest, actions.ticket_review_return),
    "extension": (ExtensionRequest, actions.ticket_review_extension),
    "on_account": (OnAccountRequest, actions.ticket_review_on_account),
}
_REVIEW_VERBS = {
    "return": "approve_return",
    "extension": "review_extension",
    "on_account": "approve_on_account",
}


def _pending_reviews(ticket: Ticket, verbs: list[str]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for kind, (model, _run) in _REVIEWS.items():
        if _REVIEW_VERBS[kind] not in verbs:
            continue
        pending = model.objects.filter(
            dispatch__ticket=ticket, state=ReviewState.PENDING
        ).select_related("dispatch__department", "requested_by")
        out.extend((kind, r) for r in pending)
    return out


def _step_form(step: Step, request: HttpRequest, ticket: Ticket, data: Any = None) -> Any:
    if step.form is None:
        return None
    files = request.FILES if data is not None else None
    if step.form is f.WhistleForm:
        departments = department_list(user=request.user).filter(is_active=True).order_by("name")
        initial = _whistle_initial(ticket) if data is None else None
        return f.WhistleForm(data, files, departments=departments, initial=initial)
    return step.form(data, files)


def _whistle_initial(ticket: Ticket) -> dict[str, Any]:
    rules = selectors.routing_suggestions(ticket)
    initial: dict[str, Any] = {"assists": [], "informs": []}
    for rule in rules:
        if rule.role == "lead" and "lead" not in initial:
            initial["lead"] = rule.department_id
        elif rule.role == "assist":
            initial["assists"].append(rule.department_id)
        elif rule.role == "inform":
            initial["informs"].append(rule.department_id)
    return initial


_REPORT_VERBS = ("report",)


def _detail_context(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    verbs, mine = allowed_verbs(request.user, ticket)
    dispatches = list(ticket.dispatches.select_related("department", "claimed_by").order_by("id"))
    timeline = list(selectors.ticket_timeline(ticket).order_by("at", "id"))
    for event in timeline:
        event.label = EVENT_LABELS.get(event.verb, event.verb)  # type: ignore[attr-defined]
    photos = list(ticket.attachments.filter(event__verb__in=_REPORT_VERBS).order_by("id"))
    # The people who own the case call the resident back: they see the
    # number; departments see it masked, as in every list.
    phone = ticket.reporter_phone
    return {
        "reporter_phone": phone if capacities(request.user, ticket) else mask_phone(phone),
        "ticket": ticket,
        "tone": TONES.get(ticket.state, "secondary"),
        "dispatches": dispatches,
        "timeline": timeline,
        "clocks": clock_rows(ticket),
        "photos": photos,
        "steps": [STEPS[v] for v in STEPS if v in verbs],
        "reviews": _pending_reviews(ticket, verbs),
        "mine": mine,
        "routing": selectors.routing_suggestions(ticket) if "whistle" in verbs else [],
    }


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    return render(request, "services/ticket_detail.html", _detail_context(request, ticket))


@login_required
@require_http_methods(["GET", "POST"])
def ticket_step(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """GET: the step's form (a dialog under htmx, a page without). POST: run it."""
    ticket = _ticket_or_404(request, pk)
    step = STEPS.get(verb)
    if step is None:
        raise Http404
    verbs, mine = allowed_verbs(request.user, ticket)
    detail_url = reverse("ticket-detail", args=[ticket.pk])
    if verb not in verbs:
        messages.warning(request, _("This step is not open to you on this case now."))
        return redirect(request, detail_url)
    form = _step_form(step, request, ticket, request.POST if request.method == "POST" else None)
    carrier = form if form is not None else forms.Form(request.POST or None)
    if request.method == "POST" and carrier.is_valid():
        data = dict(carrier.cleaned_data)
        done = run_action(carrier, lambda: step.run(request, ticket, mine, data) or True)
        if done:
            messages.success(request, _("Done: %(step)s.") % {"step": step.title})
            return redirect(request, detail_url)
    context = {"ticket": ticket, "step": step, "form": carrier, "mine": mine}
    template = "services/_step_form.html" if is_htmx(request) else "services/ticket_step.html"
    status = 400 if request.method == "POST" else 200
    if is_htmx(request) and request.method == "POST":
        # htmx swaps 2xx only by default; keep the form on screen with its errors.
        status = 200
    return render(request, template, context, status=status)


@login_required
@require_POST
def ticket_review(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The street decides a pending return, extension or on-account request."""
    ticket = _ticket_or_404(request, pk)
    if kind not in _REVIEWS:
        raise Http404
    model, run = _REVIEWS[kind]
    form = f.ReviewForm(request.POST)
    detail_url = reverse("ticket-detail", args=[ticket.pk])
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect(request, detail_url)
    pending = model.objects.filter(pk=form.cleaned_data["request"], dispatch__ticket=ticket).first()
    if pending is None:
        raise Http404
    approve = form.cleaned_data["decision"] == "approve"
    if run_action(
        form,
        lambda: (
            run(
                request=pending,
                actor=_user(request),
                approve=approve,
                note=form.cleaned_data["note"],
            )
            or True
        ),
    ):
        messages.success(request, _("Approved.") if approve else _("Rejected."))
    else:
        for error in form.non_field_errors():
            messages.error(request, str(error))
    return redirect(request, detail_url)


@login_required
@require_GET
def ticket_photo(request: HttpRequest, pk: int, photo: int) -> FileResponse:
    """A case photo, only for people who may read the case (never public)."""
    ticket = _ticket_or_404(request, pk)
    attachment = Attachment.objects.filter(pk=photo, ticket=ticket).first()
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the department queue -------------------------------------------------------

QUEUE_TABS = {
    "awaiting": (gettext_lazy("To claim"), Q(state=DispatchState.AWAITING_CLAIM)),
    "in_progress": (
        gettext_lazy("In progress"),
        Q(state__in=[DispatchState.CLAIMED, DispatchState.RETURN_REQUESTED]),
    ),
    "replied": (gettext_lazy("Replied"), Q(state=DispatchState.REPLIED)),
    "overdue": (gettext_lazy("Overdue"), None),
}


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """待签收 / 办理中 / 已回单 / 已超时 for the caller's departments."""
    tab = request.GET.get("tab", "awaiting")
    if tab not in QUEUE_TABS:
        tab = "awaiting"
    now = timezone.now()
    base = selectors.dispatch_queue(user=request.user).filter(state__in=ACTIVE_DISPATCH_STATES)
    counts = base.aggregate(
        awaiting=Count("id", filter=QUEUE_TABS["awaiting"][1]),
        in_progress=Count("id", filter=QUEUE_TABS["in_progress"][1]),
        replied=Count("id", filter=QUEUE_TABS["replied"][1]),
        overdue=Count("id", filter=selectors.overdue_dispatch_q(now)),
    )
    condition = QUEUE_TABS[tab][1]
    rows_qs = base.filter(condition if condition is not None else selectors.overdue_dispatch_q(now))
    order = ("claim_due_at", "id") if tab in ("awaiting", "overdue") else ("handle_due_at", "id")
    rows = list(rows_qs.order_by(*order)[:100])
    tabs = [(key, label, counts[key]) for key, (label, _q) in QUEUE_TABS.items()]
    return render(
        request,
        "services/queue.html",
        {"tab": tab, "tabs": tabs, "rows": rows, "total": counts[tab], "now": now},
    )


@login_required
@require_POST
def queue_claim(request: HttpRequest, dispatch_id: int) -> HttpResponse:
    """Claim from the queue. A lost race is a friendly line, not an error page."""
    try:
        dispatch = access_dispatch(request.user, dispatch_id)
    except NotFound:
        raise Http404 from None
    error = ""
    try:
        dispatch = actions.ticket_claim(dispatch=dispatch, actor=_user(request))
    except Conflict as exc:
        error = exc.message
        dispatch = Dispatch.objects.select_related(
            "ticket", "ticket__category", "ticket__grid", "department", "claimed_by"
        ).get(pk=dispatch.pk)
    except ApplicationError as exc:
        error = exc.message
    if is_htmx(request):
        return render(
            request,
            "services/_queue_row.html",
            {"d": dispatch, "claim_error": error, "just_claimed": not error},
        )
    if error:
        messages.warning(request, error)
    else:
        messages.success(request, _("Claimed %(number)s.") % {"number": dispatch.ticket.number})
    return redirect(request, reverse("queue"))


# --- the leader's overview ------------------------------------------------------


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """督办清单, overdue counts by street and department, and today's intake."""
    supervision = selectors.supervision_list_for_display(user=request.user)
    top = list(supervision.order_by("overdue_since", "id")[:50])
    summary = selectors.supervision_summary(user=request.user)
    today_start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = selectors.ticket_list(user=request.user).filter(created_at__gte=today_start)
    by_state = dict(today.values_list("state").annotate(n=Count("id")).order_by())
    by_category = list(
        today.values("category__parent__name")
        .annotate(n=Count("id"))
        .order_by("-n", "category__parent__name")[:10]
    )
    latest = list(
        selectors.ticket_list_for_display(user=request.user)
        .filter(created_at__gte=today_start)
        .order_by("-created_at", "-id")[:10]
    )
    return render(
        request,
        "services/overview.html",
        {
            "rows": selectors.supervision_rows(list(top)),
            "summary": summary,
            "today_total": sum(by_state.values()),
            "today_by_state": [
                (TicketState(state).label, TONES.get(state, "secondary"), n)
                for state, n in sorted(by_state.items(), key=lambda kv: -kv[1])
            ],
            "today_by_category": by_category,
            "latest": latest,
        },
    )
