"""Forms of the roster pages; the rules live in grids.rosters.actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.rosters.models import Gender, RosterRole, Worker


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Worker) -> str:
        from core.logging import mask_phone

        return f"{obj.name} · {obj.code} · {mask_phone(obj.phone)}"


class RosterAddForm(forms.Form):
    """Add someone to the grid: an existing worker, or a new person."""

    worker = WorkerChoiceField(
        queryset=Worker.objects.none(),
        required=False,
        label=_("Existing worker"),
        empty_label=_("— a new person (fill in below) —"),
    )
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "—"), *Gender.choices], required=False
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=RosterRole.choices)
    full_time = forms.BooleanField(label=_("Full time"), required=False)
    start = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, workers: QuerySet[Worker], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["worker"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = workers

    def chosen_worker(self) -> tuple[str, str] | None:
        """(value, label) of the worker picked before the form came back with
        errors, so the page shows the person, not a bare id; None when none
        was picked or the id is not one the user may choose."""
        value = self["worker"].value()
        if not value:
            return None
        field = self.fields["worker"]
        assert isinstance(field, WorkerChoiceField)
        try:
            worker = field.clean(value)
        except forms.ValidationError:
            return None
        return (str(worker.pk), field.label_from_instance(worker)) if worker else None


class RosterEndForm(forms.Form):
    end = forms.DateField(
        label=_("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (XLSX or CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
