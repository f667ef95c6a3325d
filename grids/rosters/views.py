"""Roster pages for roster administrators: a grid's roster with its
compliance, add and end entries, compliance under an area, and the
upload → preview → apply import. Downloads use the API's export endpoints
(session authentication), so the file formats live in one place (io.py)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError, NotFound, ValidationFailed
from core.web import attach_error, redirect, run_action
from governance.models import Area
from governance.selectors import ancestor_paths, user_scope
from grids.rosters import actions, io
from grids.rosters.access import access_grid, access_roster_area, access_roster_entry
from grids.rosters.forms import RosterAddForm, RosterEndForm, RosterUploadForm
from grids.rosters.models import RosterRole
from grids.rosters.selectors import (
    reason_message,
    roster_compliance,
    roster_current,
    roster_history,
    worker_list,
)

IMPORT_DIR = "roster-imports"


def _grid_or_404(request: HttpRequest, grid_id: int) -> Area:
    try:
        return access_grid(request.user, grid_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _ancestors(area: Area) -> list[Area]:
    return list(Area.objects.filter(path__in=ancestor_paths((area.path,))).order_by("depth"))


def _grid_context(
    request: HttpRequest, grid: Area, add_form: RosterAddForm | None = None
) -> dict[str, Any]:
    entries = list(roster_current(grid=grid).select_related("worker"))
    compliance = next(iter(roster_compliance(user=request.user, area=grid)), None)
    manages = user_scope(request.user).manages_path(grid.path)
    return {
        "grid": grid,
        "ancestors": _ancestors(grid),
        "entries": entries,
        "compliance": compliance,
        "reasons": [reason_message(c) for c in compliance.reasons] if compliance else [],
        "manages": manages,
        "add_form": add_form
        or RosterAddForm(
            workers=worker_list(user=request.user), initial={"role": "part_time_worker"}
        ),
        "end_form": RosterEndForm(),
        "history": _history_rows(list(roster_history(grid=grid)[:20])),
    }


_HISTORY_VERBS = {
    "added": gettext_lazy("joined the roster"),
    "ended": gettext_lazy("left the roster"),
    "created": gettext_lazy("person created"),
    "updated": gettext_lazy("person updated"),
}


def _history_rows(history: list[Any]) -> list[dict[str, Any]]:
    """Who did what to whom, in words (entries' snapshots hold worker ids)."""
    from grids.rosters.models import Worker

    ids = {h.after.get("worker") or h.before.get("worker") for h in history} - {None}
    names = dict(Worker.objects.filter(pk__in=ids).values_list("pk", "name"))
    roles = dict(RosterRole.choices)
    rows = []
    for h in history:
        snap = h.after or h.before
        who = names.get(snap.get("worker"), "") or snap.get("name", "")
        role = roles.get(snap.get("role", ""), "")
        rows.append(
            {
                "at": h.at,
                "actor": h.actor,
                "what": _HISTORY_VERBS.get(h.verb, h.verb),
                "whom": f"{who} ({role})" if role else who,
            }
        )
    return rows


@login_required
@require_GET
def grid_roster(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = _grid_or_404(request, grid_id)
    return render(request, "grids/grid_roster.html", _grid_context(request, grid))


@login_required
@require_POST
def roster_add(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = _grid_or_404(request, grid_id)
    form = RosterAddForm(request.POST, workers=worker_list(user=request.user))
    if form.is_valid():
        data = form.cleaned_data

        entry = run_action(
            form,
            lambda: actions.roster_add_person(
                grid=grid,
                worker=data["worker"],
                new_worker={k: data[k] for k in ("name", "gender", "phone", "id_number")},
                role=data["role"],
                full_time=data["full_time"],
                start=data["start"],
                note=data["note"],
                actor=request.user,
            ),
        )
        if entry is not None:
            messages.success(
                request,
                _("%(name)s joined the roster as %(role)s.")
                % {"name": entry.worker.name, "role": entry.get_role_display()},
            )
            return redirect(request, reverse("grid-roster-page", args=[grid.pk]))
    return render(
        request, "grids/grid_roster.html", _grid_context(request, grid, add_form=form), status=400
    )


@login_required
@require_POST
def roster_end(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        entry = access_roster_entry(request.user, entry_id)
    except NotFound:
        raise Http404 from None
    form = RosterEndForm(request.POST)
    back = reverse("grid-roster-page", args=[entry.grid_id])
    if form.is_valid():
        done = run_action(
            form,
            lambda: actions.roster_end(
                entry=entry,
                end=form.cleaned_data["end"],
                note=form.cleaned_data["note"],
                actor=request.user,
            ),
        )
        if done is not None:
            messages.success(
                request,
                _("%(name)s left the roster (%(role)s).")
                % {"name": entry.worker.name, "role": entry.get_role_display()},
            )
            return redirect(request, back)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect(request, back)


@login_required
@require_GET
def worker_search(request: HttpRequest) -> HttpResponse:
    """htmx: workers matching a name, code or phone tail, as <option>s."""
    q = (request.GET.get("q") or "").strip()[:40]
    workers: list[Any] = []
    if q:
        from django.db.models import Q

        from grids.rosters.models import Worker

        match = Q(name__icontains=q) | Q(phone__endswith=q)
        pk = Worker.pk_from_code(q)
        if pk is not None:
            match |= Q(pk=pk)
        workers = list(
            worker_list(user=request.user)
            .filter(active=True)
            .filter(match)
            .order_by("name", "id")[:30]
        )
    return render(request, "grids/_worker_options.html", {"workers": workers, "q": q})


@login_required
@require_GET
def area_compliance(request: HttpRequest, area_id: int) -> HttpResponse:
    """一格一长一警一专多兼 for every grid under an area, problems first."""
    try:
        area = access_roster_area(request.user, area_id)
    except NotFound:
        raise Http404 from None
    report = roster_compliance(user=request.user, area=area)
    bad = [(g, [reason_message(c) for c in g.reasons]) for g in report if not g.compliant]
    return render(
        request,
        "grids/area_compliance.html",
        {
            "area": area,
            "ancestors": _ancestors(area),
            "total": len(report),
            "compliant": len(report) - len(bad),
            "bad": bad,
            "roles": RosterRole,
        },
    )


# --- import: upload → preview → apply --------------------------------------------


def _stash(request: HttpRequest, name: str, content: bytes) -> str:
    """Keep the uploaded bytes between preview and apply; the token names the
    uploader so nobody else can apply it."""
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    token = f"{request.user.pk}-{uuid.uuid4().hex}{suffix}"
    default_storage.save(f"{IMPORT_DIR}/{token}", ContentFile(content))
    return token


def _unstash(request: HttpRequest, token: str) -> SimpleUploadedFile:
    owner, _sep, rest = token.partition("-")
    if owner != str(request.user.pk) or not rest or "/" in token or ".." in token:
        raise Http404
    path = f"{IMPORT_DIR}/{token}"
    if not default_storage.exists(path):
        raise ValidationFailed(_("The preview has expired; upload the file again."))
    with default_storage.open(path, "rb") as fh:
        content = fh.read()
    return SimpleUploadedFile(token, content)


_IMPORT_ACTIONS = {
    "add": gettext_lazy("add to the roster"),
    "end": gettext_lazy("end the entry"),
    "create_worker": gettext_lazy("new person"),
    "update_worker": gettext_lazy("update the person"),
    "unchanged": gettext_lazy("unchanged"),
}


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    """Step 1 (upload) and 2 (preview with per-row errors and changes)."""
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = io.read_upload(upload)
            plan = io.plan_import(rows, actor=request.user)
        except ApplicationError as exc:
            attach_error(form, exc)
            _file_error_details(form, exc)
        else:
            upload.seek(0)
            report = plan.report(dry_run=True, applied=False)
            for change in report["changes"]:
                change["label"] = _IMPORT_ACTIONS.get(change["action"], change["action"])
            context |= {
                "report": report,
                "token": _stash(request, upload.name or "roster.csv", upload.read()),
                "filename": upload.name,
                "roles": dict(RosterRole.choices),
            }
    status = 400 if form.errors else 200
    return render(request, "grids/roster_import.html", context, status=status)


def _file_error_details(form: RosterUploadForm, exc: ApplicationError) -> None:
    missing = exc.extra.get("missing")
    if missing:
        form.add_error("file", _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)})


@login_required
@require_POST
def roster_import_apply(request: HttpRequest) -> HttpResponse:
    """Step 3: apply the previewed file, all or nothing."""
    token = request.POST.get("token", "")
    try:
        upload = _unstash(request, token)
        rows = io.read_upload(upload)
        plan = io.plan_import(rows, actor=request.user)
        if plan.errors:
            raise ValidationFailed(_("The file has errors; nothing was imported."))
        io.apply_import(plan, actor=request.user)
        if plan.errors:  # an action refused a row: everything was rolled back
            raise ValidationFailed(_("The file has errors; nothing was imported."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(request, reverse("roster-import"))
    default_storage.delete(f"{IMPORT_DIR}/{token}")
    counts = plan.counts
    messages.success(
        request,
        _(
            "Imported: %(add)d added, %(end)d ended, %(create)d new people, "
            "%(update)d people updated, %(same)d unchanged."
        )
        % {
            "add": counts["add"],
            "end": counts["end"],
            "create": counts["create_worker"],
            "update": counts["update_worker"],
            "same": counts["unchanged"],
        },
    )
    return redirect(request, reverse("roster-import"))
