"""Case pages: log a case, the case lists, the case page with its steps,
the department queue and the leader's overview.

Every step calls the same action as the API (services.actions); a rule the
action refuses comes back as a message on the form, never as an error page.
Reads go through services.selectors / services.access, so a case outside the
caller's posts is a 404 here exactly as in the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError, Conflict, NotFound
from core.idempotency import idempotent_form
from core.logging import mask_phone
from core.types import User
from core.web import is_htmx, keyset_page, redirect, run_action
from governance.models import Area
from governance.selectors import area_list, department_list, user_scope
from services import actions, selectors, verbs
from services import forms as f
from services.access import access_dispatch, access_ticket, capacities, user_verbs
from services.labels import EVENT_LABELS, TONES
from services.models import (
    ACTIVE_DISPATCH_STATES,
    Attachment,
    Dispatch,
    DispatchState,
    ReviewState,
    Ticket,
    TicketState,
)
from services.selectors import clock_rows


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
@idempotent_form  # a double-clicked submit logs one case
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


#: The case page's steps, from the verb registry.
STEPS = verbs.STEPS


def _pending_reviews(ticket: Ticket, allowed: list[str]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for kind, review in verbs.REVIEWS.items():
        if review.approve not in allowed:
            continue
        pending = review.model.objects.filter(
            dispatch__ticket=ticket, state=ReviewState.PENDING
        ).select_related("dispatch__department", "requested_by")
        out.extend((kind, r) for r in pending)
    return out


def _step_form(step: verbs.Verb, request: HttpRequest, ticket: Ticket, data: Any = None) -> Any:
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
    allowed, mine = user_verbs(request.user, ticket)
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
        "steps": [STEPS[v] for v in STEPS if v in allowed],
        "reviews": _pending_reviews(ticket, allowed),
        "mine": mine,
        "routing": selectors.routing_suggestions(ticket) if "whistle" in allowed else [],
    }


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    return render(request, "services/ticket_detail.html", _detail_context(request, ticket))


@login_required
@require_http_methods(["GET", "POST"])
@idempotent_form  # a double-submitted step acts once
def ticket_step(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """GET: the step's form (a dialog under htmx, a page without). POST: run it."""
    ticket = _ticket_or_404(request, pk)
    step = STEPS.get(verb)
    if step is None:
        raise Http404
    allowed, mine = user_verbs(request.user, ticket)
    detail_url = reverse("ticket-detail", args=[ticket.pk])
    if verb not in allowed:
        messages.warning(request, _("This step is not open to you on this case now."))
        return redirect(request, detail_url)
    form = _step_form(step, request, ticket, request.POST if request.method == "POST" else None)
    carrier = form if form is not None else forms.Form(request.POST or None)
    if request.method == "POST" and carrier.is_valid():
        data = dict(carrier.cleaned_data)
        done = run_action(carrier, lambda: step.run(_user(request), ticket, mine, data) or True)
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
    if kind not in verbs.REVIEWS:
        raise Http404
    model, run = verbs.REVIEWS[kind].model, verbs.REVIEWS[kind].action
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
        overdue=Count("id", filter=selectors.dispatch_overdue_q(now)),
    )
    condition = QUEUE_TABS[tab][1]
    rows_qs = base.filter(condition if condition is not None else selectors.dispatch_overdue_q(now))
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
