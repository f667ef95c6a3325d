"""Admin pages. Every save goes through partyorg.actions; nothing is deleted here.

Lists show phone and ID numbers masked.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from core.admin import ActionAdminMixin
from core.logging import mask_id_number, mask_phone
from governance.models import Area, AreaLevel
from partyorg import actions
from partyorg.models import (
    JOINT_KINDS,
    JointCommitteeMember,
    JointMeetingRotation,
    JointMeetingRotationSlot,
    PartyMember,
    PartyOrg,
    RotationPeriod,
)
from partyorg.selectors import party_member_list, party_org_list


class _ActionAdmin(ActionAdminMixin, admin.ModelAdmin[Any]):
    """Saves through actions (an error undoes the whole page); no deletes."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # organisations and members are deactivated or transferred, never deleted

    def scoped(self, request: HttpRequest) -> Any:
        """The rows the user may read, as the API would show them."""
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> Any:
        return self.scoped(request)


class PartyOrgAddForm(forms.ModelForm[PartyOrg]):
    parent = forms.ModelChoiceField(
        label=gettext_lazy("parent organisation"),
        queryset=PartyOrg.objects.filter(is_active=True).order_by("path"),
        required=False,
    )

    class Meta:
        model = PartyOrg
        fields = ["kind", "name", "area", "established_on"]


class PartyOrgChangeForm(forms.ModelForm[PartyOrg]):
    class Meta:
        model = PartyOrg
        fields = ["name", "established_on", "secretary", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "secretary" in self.fields and self.instance.pk:
            self.fields["secretary"].queryset = PartyMember.objects.filter(  # type: ignore[attr-defined]
                organisation=self.instance, is_active=True
            )


@admin.register(PartyOrg)
class PartyOrgAdmin(_ActionAdmin):
    list_display = ["name", "kind", "area", "secretary", "established_on", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "area__name", "area__code"]
    list_select_related = ["area", "secretary"]
    ordering = ["path"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = PartyOrgChangeForm if obj else PartyOrgAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["kind", "name", "area", "parent", "established_on"]
        return ["kind", "area", "name", "established_on", "secretary", "is_active"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["kind", "area"] if obj else []

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        return ["area"]

    def save_model(self, request: HttpRequest, obj: PartyOrg, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = actions.party_org_create(
                kind=data["kind"],
                name=data["name"],
                area=data["area"],
                parent=data.get("parent"),
                established_on=data.get("established_on"),
                actor=request.user,
            )
            obj.pk = created.pk
            obj.__dict__.update(created.__dict__)
            return
        actions.party_org_update(
            org=PartyOrg.objects.get(pk=obj.pk),
            name=data["name"],
            established_on=data.get("established_on"),
            secretary=data.get("secretary"),
            is_active=data["is_active"],
            actor=request.user,
        )

    def scoped(self, request: HttpRequest) -> Any:
        return party_org_list(user=request.user)


class PartyMemberForm(forms.ModelForm[PartyMember]):
    class Meta:
        model = PartyMember
        fields = [
            "organisation",
            "name",
            "gender",
            "phone",
            "id_number",
            "joined_on",
            "in_service",
            "employer",
            "residence_community",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "residence_community" in self.fields:
            self.fields["residence_community"].queryset = Area.objects.filter(  # type: ignore[attr-defined]
                level=AreaLevel.COMMUNITY, is_active=True
            )
        if "organisation" in self.fields:
            self.fields["organisation"].queryset = PartyOrg.objects.filter(  # type: ignore[attr-defined]
                is_active=True
            ).exclude(kind__in=JOINT_KINDS)
            self.fields["organisation"].help_text = gettext_lazy(
                "Changing it transfers the member (audited)."
            )


@admin.register(PartyMember)
class PartyMemberAdmin(_ActionAdmin):
    form = PartyMemberForm
    list_display = [
        "name",
        "organisation",
        "masked_phone",
        "masked_id_number",
        "in_service",
        "employer",
        "is_active",
    ]
    list_filter = ["in_service", "is_active"]
    search_fields = ["name", "organisation__name"]
    list_select_related = ["organisation"]

    @admin.display(description=gettext_lazy("phone"))
    def masked_phone(self, obj: PartyMember) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=gettext_lazy("ID number"))
    def masked_id_number(self, obj: PartyMember) -> str:
        return mask_id_number(obj.id_number)

    def save_model(self, request: HttpRequest, obj: PartyMember, form: Any, change: bool) -> None:
        data = dict(form.cleaned_data)
        organisation = data.pop("organisation")
        if not change:
            data.pop("is_active", None)
            created = actions.party_member_add(
                organisation=organisation, actor=request.user, **data
            )
            obj.pk = created.pk
            return
        original = PartyMember.objects.get(pk=obj.pk)
        actions.party_member_update(member=original, actor=request.user, **data)
        if organisation.pk != original.organisation_id:
            actions.party_member_transfer(
                member=original, organisation=organisation, actor=request.user
            )

    def scoped(self, request: HttpRequest) -> Any:
        return party_member_list(user=request.user)


class JointCommitteeMemberForm(forms.ModelForm[JointCommitteeMember]):
    class Meta:
        model = JointCommitteeMember
        fields = [
            "committee",
            "unit_name",
            "person_name",
            "position",
            "phone",
            "term_start",
            "term_end",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "committee" in self.fields:
            self.fields["committee"].queryset = PartyOrg.objects.filter(  # type: ignore[attr-defined]
                kind__in=JOINT_KINDS
            )


@admin.register(JointCommitteeMember)
class JointCommitteeMemberAdmin(_ActionAdmin):
    form = JointCommitteeMemberForm
    list_display = [
        "person_name",
        "unit_name",
        "committee",
        "position",
        "masked_phone",
        "term_start",
        "term_end",
    ]
    search_fields = ["person_name", "unit_name", "committee__name"]
    list_select_related = ["committee"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["committee", "unit_name", "person_name"] if obj else []

    @admin.display(description=gettext_lazy("phone"))
    def masked_phone(self, obj: JointCommitteeMember) -> str:
        return mask_phone(obj.phone)

    def save_model(
        self, request: HttpRequest, obj: JointCommitteeMember, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if not change:
            created = actions.joint_member_add(actor=request.user, **data)
            obj.pk = created.pk
            return
        actions.joint_member_update(
            member=JointCommitteeMember.objects.get(pk=obj.pk),
            position=data["position"],
            phone=data["phone"],
            term_start=data["term_start"],
            term_end=data["term_end"],
            actor=request.user,
        )

    def scoped(self, request: HttpRequest) -> Any:
        return JointCommitteeMember.objects.filter(
            committee__in=party_org_list(user=request.user)
        ).select_related("committee")


class RotationForm(forms.ModelForm[JointMeetingRotation]):
    units = forms.CharField(
        label=gettext_lazy("units in chairing order"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("One resident unit a line."),
    )
    period = forms.ChoiceField(label=gettext_lazy("period"), choices=RotationPeriod.choices)

    class Meta:
        model = JointMeetingRotation
        fields = ["committee", "period", "starts_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = PartyOrg.objects.filter(  # type: ignore[attr-defined]
            kind__in=JOINT_KINDS
        )


class RotationSlotInline(admin.TabularInline[JointMeetingRotationSlot, JointMeetingRotation]):
    model = JointMeetingRotationSlot
    extra = 0
    can_delete = False
    readonly_fields = ["position", "unit_name"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JointMeetingRotation)
class JointMeetingRotationAdmin(_ActionAdmin):
    """A rotation is set once; a new order is a new rotation from a later date."""

    list_display = ["committee", "period", "starts_on"]
    list_select_related = ["committee"]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [RotationSlotInline] if obj else []  # slots are written by the action

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = RotationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["committee", "period", "starts_on"] + ([] if obj else ["units"])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["committee", "period", "starts_on"] if obj else []

    def save_model(
        self, request: HttpRequest, obj: JointMeetingRotation, form: Any, change: bool
    ) -> None:
        if change:
            return
        data = form.cleaned_data
        created = actions.joint_rotation_set(
            committee=data["committee"],
            units=data["units"].splitlines(),
            period=data["period"],
            starts_on=data["starts_on"],
            actor=request.user,
        )
        obj.pk = created.pk

    def scoped(self, request: HttpRequest) -> Any:
        return JointMeetingRotation.objects.filter(
            committee__in=party_org_list(user=request.user)
        ).select_related("committee")
