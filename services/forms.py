"""Forms of the case pages. They check shapes (lengths, choices, what the
caller may pick); the rules live in the actions, which the views call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.identity import REPORTER_PHONE_PATTERN
from core.web import MultipleImageField
from governance.models import Area, Department
from services.models import (
    Category,
    Resolution,
    Satisfaction,
    Source,
    SupervisionKind,
    TicketState,
    Urgency,
    WhistleType,
)

TEXT = {"rows": 3, "maxlength": 4000}


class CategoryChoiceField(forms.ModelChoiceField):
    """Leaf categories grouped under their class: "市容环境 › 暴露垃圾"."""

    def label_from_instance(self, obj: Category) -> str:
        parent = obj.parent.name if obj.parent_id and obj.parent else ""
        return f"{parent} › {obj.name}" if parent else obj.name


class ReportForm(forms.Form):
    category = CategoryChoiceField(queryset=Category.objects.none(), label=_("Category"))
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("What is the problem?"), max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )
    grid = forms.ModelChoiceField(
        queryset=Area.objects.none(),
        required=False,
        label=_("Grid"),
        empty_label=_("— from my location —"),
    )
    lat = forms.DecimalField(
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        widget=forms.HiddenInput,
    )
    lng = forms.DecimalField(
        required=False,
        max_digits=10,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        widget=forms.HiddenInput,
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    source = forms.ChoiceField(
        label=_("Source"), choices=Source.choices, initial=Source.GRID_PATROL
    )
    reporter_name = forms.CharField(label=_("Reporter's name"), max_length=60, required=False)
    reporter_phone = forms.RegexField(
        label=_("Reporter's phone"),
        regex=REPORTER_PHONE_PATTERN,
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    photos = MultipleImageField(label=_("Photos (up to 9)"))

    def __init__(
        self, *args: Any, categories: QuerySet[Category], grids: QuerySet[Area], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            categories.filter(parent__isnull=False)
            .select_related("parent")
            .order_by("kind", "code")
        )
        grid_field = self.fields["grid"]
        assert isinstance(grid_field, forms.ModelChoiceField)
        grid_field.queryset = grids
        self.fields["photos"].widget.attrs["capture"] = "environment"


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, address, text")}),
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *TicketState.choices]
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("Any urgency")), *Urgency.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        out: dict[str, Any] = {"q": data.get("q") or ""}
        if data.get("state"):
            out["state"] = [data["state"]]
        if data.get("urgency"):
            out["urgency"] = data["urgency"]
        if data.get("overdue"):
            out["overdue"] = True
        return out


# --- one form per step -----------------------------------------------------------


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )


class RequiredNoteForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs=TEXT))


class ResultForm(forms.Form):
    result = forms.CharField(label=_("Result"), max_length=4000, widget=forms.Textarea(attrs=TEXT))
    photos = MultipleImageField(label=_("Photos (up to 9)"))


class ProgressForm(forms.Form):
    note = forms.CharField(label=_("Progress"), max_length=4000, widget=forms.Textarea(attrs=TEXT))
    photos = MultipleImageField(label=_("Photos (up to 9)"))


class DepartmentChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class WhistleForm(forms.Form):
    whistle_type = forms.ChoiceField(
        label=_("Whistle type"), choices=WhistleType.choices, initial=WhistleType.RESIDENT_DEMAND
    )
    lead = forms.ModelChoiceField(queryset=Department.objects.none(), label=_("Lead (主办)"))
    assists = DepartmentChoices(
        queryset=Department.objects.none(), required=False, label=_("Assist (协办)")
    )
    informs = DepartmentChoices(
        queryset=Department.objects.none(), required=False, label=_("Inform (知会)")
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("lead", "assists", "informs"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = departments


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for returning"), max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )
    legal_basis = forms.CharField(
        label=_("Legal basis (why it is not this department's duty)"),
        max_length=4000,
        widget=forms.Textarea(attrs=TEXT),
    )


class ExtensionForm(forms.Form):
    requested_due_at = forms.DateTimeField(
        label=_("New deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs=TEXT))
    legal_basis = forms.CharField(
        label=_("Legal basis"), required=False, max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )


class OnAccountForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it cannot be solved now"), max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )


class CallbackForm(forms.Form):
    contacted = forms.TypedChoiceField(
        label=_("Was the requester reached?"),
        choices=[("1", _("Yes")), ("0", _("No, could not be reached"))],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    resolution = forms.ChoiceField(
        label=_("Resolved?"),
        choices=[("", "—"), *Resolution.choices],
        required=False,
    )
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"),
        choices=[("", "—"), *Satisfaction.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )


class ReopenForm(forms.Form):
    resolution = forms.ChoiceField(label=_("Resolved?"), choices=Resolution.choices)
    note = forms.CharField(
        label=_("What the resident says"), max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )


class SuperviseForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=SupervisionKind.choices, initial=SupervisionKind.LEADER
    )
    note = forms.CharField(
        label=_("Instruction"), required=False, max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )


class ReviewForm(forms.Form):
    request = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
