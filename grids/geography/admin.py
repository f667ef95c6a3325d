"""Admin for grid profiles. Every save goes through grid_profile_set."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from core.admin import ActionAdminMixin
from grids.geography import actions
from grids.geography.models import GridProfile


class GridProfileForm(forms.ModelForm[GridProfile]):
    class Meta:
        model = GridProfile
        fields = ["grid", "kind", "subtype", "households", "population", "boundary"]

    def _post_clean(self) -> None:
        # No model validation here: grid_profile_set owns the rules and
        # derives area and bbox (which the model's constraints require).
        return


@admin.register(GridProfile)
class GridProfileAdmin(ActionAdminMixin, admin.ModelAdmin[GridProfile]):
    form = GridProfileForm
    list_display = ["grid", "kind", "subtype", "households", "population", "area_m2", "updated_at"]
    list_filter = ["kind", "subtype"]
    search_fields = ["grid__name", "grid__code"]
    list_select_related = ["grid"]
    autocomplete_fields = ["grid"]
    readonly_fields = ["area_m2", "min_lat", "max_lat", "min_lng", "max_lng", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: GridProfile | None = None) -> Any:
        fields = list(self.readonly_fields)
        return ["grid", *fields] if obj else fields

    def save_model(self, request: HttpRequest, obj: GridProfile, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = actions.grid_profile_set(
            grid=obj.grid if change else data["grid"],
            kind=data["kind"],
            subtype=data.get("subtype") or "",
            households=data["households"],
            population=data["population"],
            boundary=data.get("boundary"),
            actor=request.user,
        )
        obj.pk = saved.profile.pk
        obj.__dict__.update(saved.profile.__dict__)
        for warning in saved.warnings:
            messages.warning(request, warning["message"])

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a grid keeps its profile; redraw it instead
