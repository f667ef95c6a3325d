"""Admin pages. Every save goes through governance.actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.admin import GuardedModelAdminMixin
from treebeard.admin import TreeAdmin

from core import audit
from core.admin import ActionAdminMixin
from core.errors import ApplicationError
from governance import actions
from governance.models import Area, AreaCodeHistory, AreaLevel, Department, Post


class AreaAddForm(forms.ModelForm[Area]):
    parent = forms.ModelChoiceField(
        label=gettext_lazy("parent"),
        queryset=Area.objects.filter(is_active=True).exclude(level=AreaLevel.GRID).order_by("path"),
        required=False,
        help_text=gettext_lazy("Leave empty only to add a city."),
    )
    code = forms.CharField(
        label=gettext_lazy("division code"),
        required=False,
        max_length=15,
        help_text=gettext_lazy(
            "Leave empty for streets, communities and grids to take the next free number."
        ),
    )

    class Meta:
        model = Area
        fields = ["name"]


class AreaChangeForm(forms.ModelForm[Area]):
    new_parent = forms.ModelChoiceField(
        label=gettext_lazy("move under"),
        queryset=Area.objects.filter(is_active=True).exclude(level=AreaLevel.GRID).order_by("path"),
        required=False,
    )

    class Meta:
        model = Area
        fields = ["name"]


class AreaCodeHistoryInline(admin.TabularInline[AreaCodeHistory, Area]):
    model = AreaCodeHistory
    extra = 0
    can_delete = False
    readonly_fields = ["code", "name", "reason", "until"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(label=gettext_lazy("merge into"), queryset=Area.objects.none())
    note = forms.CharField(
        label=gettext_lazy("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@admin.register(Area)
class AreaAdmin(ActionAdminMixin, GuardedModelAdminMixin, TreeAdmin):  # type: ignore[misc]
    list_display = ["name", "code", "level", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "code"]
    inlines = [AreaCodeHistoryInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Area | None = None) -> list[str]:
        return (
            ["code", "level", "is_active", "merged_into", "retired_at", "history_table"]
            if obj
            else []
        )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = AreaChangeForm if obj else AreaAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Area | None = None) -> Any:
        if obj is None:
            return ["parent", "name", "code"]
        return [
            "name",
            "code",
            "level",
            "is_active",
            "merged_into",
            "retired_at",
            "new_parent",
            "history_table",
        ]

    @admin.display(description=gettext_lazy("change history"))
    def history_table(self, obj: Area) -> str:
        rows = audit.history(obj)[:20]
        return "\n".join(f"{e.at:%Y-%m-%d %H:%M} {e.verb} {e.actor or '-'}" for e in rows) or "-"

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        # An error in the move undoes the rename too (ActionAdminMixin).
        if not change:
            created = actions.area_create(
                parent=form.cleaned_data.get("parent"),
                name=form.cleaned_data["name"],
                code=form.cleaned_data.get("code") or None,
                actor=request.user,
            )
            obj.pk = created.pk
            obj.__dict__.update(created.__dict__)
            return
        original = Area.objects.get(pk=obj.pk)
        if form.cleaned_data["name"] != original.name:
            actions.area_rename(area=original, name=form.cleaned_data["name"], actor=request.user)
        new_parent = form.cleaned_data.get("new_parent")
        if new_parent is not None:
            actions.area_move(area=original, new_parent=new_parent, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # areas are merged or retired, never deleted

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:area_id>/merge/",
                self.admin_site.admin_view(self.merge_view),
                name="governance_area_merge",
            ),
            *super().get_urls(),
        ]

    def move_node(self, request: HttpRequest) -> HttpResponse:
        """Drag-and-drop in the tree: re-parent through area_move."""
        try:
            node = Area.objects.get(pk=int(request.POST["node"]))
            target = Area.objects.get(pk=int(request.POST["target"]))
        except (KeyError, ValueError, Area.DoesNotExist):
            return HttpResponseBadRequest("Invalid form data provided")
        new_parent = (
            target if request.POST.get("relation") == "child" else Area.objects.get_parent(target)
        )
        if new_parent is None:
            messages.error(request, _("A city cannot be moved."))
            return HttpResponseBadRequest("invalid move")
        try:
            actions.area_move(area=node, new_parent=new_parent, actor=request.user)
        except ApplicationError as exc:
            self.message_action_error(request, exc)
            return HttpResponseBadRequest(exc.code)
        messages.info(
            request, _("Moved %(node)s under %(parent)s.") % {"node": node, "parent": new_parent}
        )
        return HttpResponse("OK")

    def merge_view(self, request: HttpRequest, area_id: int) -> HttpResponse:
        source = get_object_or_404(Area, pk=area_id)
        if not self.has_change_permission(request, source):
            raise PermissionDenied
        form = MergeForm(request.POST or None)
        parent_path = source.path[: -Area.steplen]
        form.fields["target"].queryset = (  # type: ignore[attr-defined]
            Area.objects.filter(
                level=source.level,
                is_active=True,
                path__startswith=parent_path[: -Area.steplen]
                if source.level == AreaLevel.COMMUNITY
                else parent_path,
            )
            .exclude(pk=source.pk)
            .order_by("path")
        )
        if request.method == "POST" and form.is_valid():
            try:
                actions.area_merge(
                    source=source,
                    target=form.cleaned_data["target"],
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as exc:
                self.message_action_error(request, exc)
            else:
                messages.success(request, _("%(source)s was merged.") % {"source": source})
                return HttpResponseRedirect(
                    reverse("admin:governance_area_change", args=[form.cleaned_data["target"].pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "source": source,
            "opts": self.opts,
            "title": _("Merge %(area)s") % {"area": source},
        }
        return render(request, "admin/governance/area/merge.html", context)


class DepartmentForm(forms.ModelForm[Department]):
    class Meta:
        model = Department
        fields = ["name", "short_name", "area", "stationed_at", "is_active"]


@admin.register(Department)
class DepartmentAdmin(ActionAdminMixin, GuardedModelAdminMixin, admin.ModelAdmin[Department]):  # type: ignore[misc]
    form = DepartmentForm
    list_display = ["name", "short_name", "area", "stationed_at", "is_active"]
    list_filter = ["is_active", "area"]
    search_fields = ["name", "short_name"]
    list_select_related = ["area", "stationed_at"]
    autocomplete_fields = ["area", "stationed_at"]

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            original = Department.objects.get(pk=obj.pk)
            if data["area"] != original.area:
                raise ApplicationError(
                    _("A department cannot change its area."), code="department_area_fixed"
                )
            actions.department_update(
                department=original,
                actor=request.user,
                name=data["name"],
                short_name=data["short_name"],
                stationed_at=data["stationed_at"],
                is_active=data["is_active"],
            )
        else:
            created = actions.department_create(
                name=data["name"],
                short_name=data["short_name"],
                area=data["area"],
                stationed_at=data["stationed_at"],
                actor=request.user,
            )
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PostForm(forms.ModelForm[Post]):
    class Meta:
        model = Post
        fields = ["user", "role", "area", "department", "title", "phone"]


@admin.register(Post)
class PostAdmin(ActionAdminMixin, admin.ModelAdmin[Post]):
    form = PostForm
    list_display = ["user", "role", "area", "department", "active", "started_at", "ended_at"]
    list_filter = ["active", "role"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "area__name",
        "department__name",
    ]
    list_select_related = ["user", "area", "department"]
    autocomplete_fields = ["user", "area", "department"]
    actions = ["end_posts"]

    def get_readonly_fields(self, request: HttpRequest, obj: Post | None = None) -> list[str]:
        # A post is granted and ended, not edited: history stays true. Only
        # its mobile for urgent notices changes in place (post_set_phone).
        return (
            ["user", "role", "area", "department", "title", "active", "started_at", "ended_at"]
            if obj
            else []
        )

    def save_model(self, request: HttpRequest, obj: Post, form: Any, change: bool) -> None:
        if change:
            if "phone" in form.changed_data:
                actions.post_set_phone(
                    post=obj, phone=form.cleaned_data.get("phone") or "", actor=request.user
                )
            return
        data = form.cleaned_data
        created = actions.post_grant(
            user=data["user"],
            role=data["role"],
            area=data.get("area"),
            department=data.get("department"),
            title=data.get("title") or "",
            phone=data.get("phone") or "",
            actor=request.user,
        )
        obj.pk = created.pk

    @admin.action(description=gettext_lazy("End the selected posts"))
    def end_posts(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        # All or nothing: one refusal undoes the others (ActionAdminMixin).
        ended = 0
        for post in queryset.filter(active=True):
            actions.post_end(post=post, actor=request.user)
            ended += 1
        messages.success(request, _("%(n)d posts ended.") % {"n": ended})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
