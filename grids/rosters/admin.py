"""Admin pages for workers, roster entries and visits.

Every save goes through grids.rosters.actions; nothing is deleted (entries
are ended, workers deactivated). Lists show phone and ID number masked and
each page is scoped like the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ActionAdminMixin
from grids.rosters import actions
from grids.rosters.models import RosterEntry, Visit, VisitPhoto, Worker
from grids.rosters.selectors import roster_entries, visit_list, worker_list


class _ActionAdmin(ActionAdminMixin):
    """Saves through actions: an error undoes the worker and its inline
    entries together (ActionAdminMixin); nothing is deleted."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _NoModelValidation:
    def _post_clean(self) -> None:
        # The actions own the rules (and their error codes).
        return


class WorkerForm(_NoModelValidation, forms.ModelForm[Worker]):
    class Meta:
        model = Worker
        fields = ["name", "gender", "phone", "id_number", "user", "notes", "active"]


class RosterEntryInlineForm(_NoModelValidation, forms.ModelForm[RosterEntry]):
    class Meta:
        model = RosterEntry
        fields = ["grid", "role", "full_time", "start", "end", "note"]


class RosterEntryInline(admin.TabularInline[RosterEntry, Worker]):
    model = RosterEntry
    form = RosterEntryInlineForm
    extra = 1
    can_delete = False
    autocomplete_fields = ["grid"]
    fields = ["grid", "role", "full_time", "start", "end", "note"]
    verbose_name_plural = gettext_lazy("roster entries (set an end date to end one)")


@admin.register(Worker)
class WorkerAdmin(_ActionAdmin, admin.ModelAdmin[Worker]):
    form = WorkerForm
    list_display = ["name", "code", "gender", "masked_phone", "masked_id_number", "active"]
    list_filter = ["active", "gender"]
    search_fields = ["name"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    inlines = [RosterEntryInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Worker]:
        return worker_list(user=request.user)

    @admin.display(description=gettext_lazy("phone"))
    def masked_phone(self, obj: Worker) -> str:
        return obj.masked_phone

    @admin.display(description=gettext_lazy("ID number"))
    def masked_id_number(self, obj: Worker) -> str:
        return obj.masked_id_number

    def save_model(self, request: HttpRequest, obj: Worker, form: Any, change: bool) -> None:
        data = dict(form.cleaned_data)
        if change:
            original = Worker.objects.get(pk=obj.pk)
            saved = actions.worker_update(worker=original, actor=request.user, **data)
        else:
            data.pop("active", None)
            saved = actions.worker_create(**data, actor=request.user)
        obj.pk = saved.pk
        obj.__dict__.update(saved.__dict__)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        worker: Worker = form.instance
        # The admin's change message reads these; the actions audit the real changes.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for f in formset.forms:
            if not f.has_changed() or not hasattr(f, "cleaned_data"):
                continue
            data = f.cleaned_data
            if f.instance.pk is None:
                entry = actions.roster_add(
                    grid=data["grid"],
                    worker=worker,
                    role=data["role"],
                    full_time=data.get("full_time", False),
                    start=data["start"],
                    note=data.get("note") or "",
                    actor=request.user,
                )
                if data.get("end"):
                    actions.roster_end(entry=entry, end=data["end"], actor=request.user)
                continue
            original = RosterEntry.objects.select_related("grid").get(pk=f.instance.pk)
            if original.end is None and data.get("end"):
                actions.roster_end(
                    entry=original,
                    end=data["end"],
                    note=data.get("note") or "",
                    actor=request.user,
                )
            else:
                messages.warning(
                    request,
                    _("Roster entries are ended, not edited: other changes were ignored."),
                )


class RosterEntryForm(_NoModelValidation, forms.ModelForm[RosterEntry]):
    class Meta:
        model = RosterEntry
        fields = ["grid", "worker", "role", "full_time", "start", "end", "note"]


@admin.register(RosterEntry)
class RosterEntryAdmin(_ActionAdmin, admin.ModelAdmin[RosterEntry]):
    form = RosterEntryForm
    list_display = ["grid", "worker", "role", "full_time", "start", "end"]
    list_filter = ["role", "full_time"]
    search_fields = ["worker__name", "grid__code", "grid__name"]
    list_select_related = ["grid", "worker"]
    autocomplete_fields = ["grid", "worker"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RosterEntry]:
        return roster_entries(user=request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: RosterEntry | None = None) -> Any:
        if obj is None:
            return []
        fixed = ["grid", "worker", "role", "full_time", "start"]
        return [*fixed, "end", "note"] if obj.end else fixed

    def save_model(self, request: HttpRequest, obj: RosterEntry, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            original = RosterEntry.objects.select_related("grid").get(pk=obj.pk)
            if original.end is None and data.get("end"):
                actions.roster_end(
                    entry=original, end=data["end"], note=data.get("note") or "", actor=request.user
                )
            return
        saved = actions.roster_add(
            grid=data["grid"],
            worker=data["worker"],
            role=data["role"],
            full_time=data.get("full_time", False),
            start=data["start"],
            note=data.get("note") or "",
            actor=request.user,
        )
        if data.get("end"):
            saved = actions.roster_end(entry=saved, end=data["end"], actor=request.user)
        obj.pk = saved.pk
        obj.__dict__.update(saved.__dict__)


class VisitPhotoInline(admin.TabularInline[VisitPhoto, Visit]):
    model = VisitPhoto
    extra = 0
    can_delete = False
    readonly_fields = ["image", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VisitForm(_NoModelValidation, forms.ModelForm[Visit]):
    class Meta:
        model = Visit
        fields = ["grid", "worker", "visited_at", "kind", "household", "address", "notes"]


@admin.register(Visit)
class VisitAdmin(_ActionAdmin, admin.ModelAdmin[Visit]):
    form = VisitForm
    list_display = ["visited_at", "grid", "worker", "kind", "household"]
    list_filter = ["kind"]
    search_fields = ["household", "address", "worker__name", "grid__code"]
    list_select_related = ["grid", "worker"]
    autocomplete_fields = ["grid", "worker"]
    date_hierarchy = "visited_at"
    inlines = [VisitPhotoInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Visit]:
        return visit_list(user=request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Visit | None = None) -> Any:
        # A visit log is a record of what happened: written once, never edited.
        return [*VisitForm.Meta.fields, "created_by", "created_at"] if obj else []

    def save_model(self, request: HttpRequest, obj: Visit, form: Any, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        saved = actions.visit_log(
            grid=data["grid"],
            worker=data["worker"],
            visited_at=data["visited_at"],
            kind=data["kind"],
            household=data.get("household") or "",
            address=data.get("address") or "",
            notes=data.get("notes") or "",
            actor=request.user,
        )
        obj.pk = saved.pk
        obj.__dict__.update(saved.__dict__)
