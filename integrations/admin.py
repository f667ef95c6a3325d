"""Admin: clients (with their scope), keys (shown once), webhooks, the 12345
mapping tables and Open311 attributes. Changes to clients, keys and
subscriptions go through integrations.actions (audited); an action's error
undoes the whole page (core.admin.ActionAdminMixin)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.admin import ActionAdminMixin
from governance.models import Area, Department, Post, Role
from integrations import actions
from integrations.models import (
    ApiClient,
    ApiKey,
    HotlineAreaMapping,
    HotlineCategoryMapping,
    IntakeRecord,
    ServiceAttribute,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)


class ApiClientForm(forms.ModelForm[ApiClient]):
    areas = forms.ModelMultipleChoiceField(
        label=_("area scope"),
        queryset=Area.objects.filter(is_active=True).exclude(level="grid").order_by("path"),
        required=False,
        help_text=_("The client reads cases in these subtrees and may take cases in there."),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("departments"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        help_text=_("The client works for these departments: their queue, claim, reply."),
    )

    class Meta:
        model = ApiClient
        fields = ["name", "contact", "default_grid", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            posts = Post.objects.filter(user_id=self.instance.user_id, active=True)
            self.fields["areas"].initial = [
                p.area_id for p in posts if p.role == Role.INTAKE and p.area_id
            ]
            self.fields["departments"].initial = [
                p.department_id
                for p in posts
                if p.role == Role.DEPARTMENT_OFFICER and p.department_id
            ]


class ApiKeyInline(admin.TabularInline[ApiKey, ApiClient]):
    model = ApiKey
    extra = 0
    can_delete = False
    _shown = [
        "prefix",
        "name",
        "can_write",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    fields = tuple(_shown)
    readonly_fields = _shown

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiClient)
class ApiClientAdmin(ActionAdminMixin, admin.ModelAdmin[ApiClient]):
    form = ApiClientForm
    list_display = ["name", "contact", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["default_grid"]

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            actions.client_update(
                client=obj,
                actor=request.user,
                name=data["name"],
                contact=data["contact"],
                default_grid=data["default_grid"],
                is_active=data["is_active"],
            )
            actions.client_set_scope(
                client=obj,
                areas=data["areas"],
                departments=data["departments"],
                actor=request.user,
            )
        else:
            created = actions.client_create(
                name=data["name"],
                contact=data["contact"],
                default_grid=data["default_grid"],
                areas=data["areas"],
                departments=data["departments"],
                actor=request.user,
            )
            obj.pk, obj.user_id = created.pk, created.user_id

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return [ApiKeyInline] if obj is not None else []  # keys are issued on their own page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a client off instead; its cases keep their author


@admin.register(ApiKey)
class ApiKeyAdmin(ActionAdminMixin, admin.ModelAdmin[ApiKey]):
    list_display = [
        "prefix",
        "client",
        "name",
        "can_write",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["can_write", "client"]
    list_select_related = ["client"]
    search_fields = ["prefix", "name", "client__name"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return ["client", "name", "can_write", "expires_at", "prefix", "revoked_at", "last_used_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        base = ["client", "name", "can_write", "expires_at"]
        return base if obj is None else [*base, "prefix", "revoked_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return  # keys are immutable; revoke and issue a new one
        key, raw = actions.key_issue(
            client=obj.client,
            actor=request.user,
            can_write=obj.can_write,
            name=obj.name,
            expires_at=obj.expires_at,
        )
        obj.pk = key.pk
        obj.prefix = key.prefix
        obj._raw_key = raw  # type: ignore[attr-defined]  # shown once by response_add

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: Any = None
    ) -> HttpResponse:
        """Show the key once, on this response only: it is never stored, not
        even in a message cookie."""
        return TemplateResponse(
            request,
            "admin/integrations/apikey/issued.html",
            {
                **self.admin_site.each_context(request),
                "title": _("API key issued"),
                "key": getattr(obj, "_raw_key", ""),
                "api_key": obj,
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            actions.key_revoke(key=key, actor=request.user)
        messages.success(request, _("Keys revoked."))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WebhookForm(forms.ModelForm[WebhookSubscription]):
    url = forms.URLField(label=_("URL"), max_length=300, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["client", "url", "events", "is_active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ActionAdminMixin, admin.ModelAdmin[WebhookSubscription]):
    form = WebhookForm
    list_display = ["client", "url", "is_active", "created_at"]
    list_filter = ["is_active", "client"]
    list_select_related = ["client"]

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            actions.webhook_update(
                subscription=obj,
                actor=request.user,
                url=data["url"],
                events=data["events"],
                is_active=data["is_active"],
            )
        else:
            created = actions.webhook_subscribe(
                client=data["client"],
                url=data["url"],
                events=data["events"],
                actor=request.user,
            )
            obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: WebhookSubscription) -> None:
        actions.webhook_unsubscribe(subscription=obj, actor=request.user)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_display = ["id", "subscription", "event", "ticket", "state", "attempts", "created_at"]
    list_filter = ["event"]
    list_select_related = ["subscription", "delivery", "ticket"]

    @admin.display(description=_("state"))
    def state(self, obj: WebhookDelivery) -> str:
        return obj.delivery.get_state_display()

    @admin.display(description=_("attempts"))
    def attempts(self, obj: WebhookDelivery) -> int:
        return obj.delivery.attempts

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HotlineCategoryMapping)
class HotlineCategoryMappingAdmin(admin.ModelAdmin[HotlineCategoryMapping]):
    list_display = ["external_code", "external_name", "category"]
    search_fields = ["external_code", "external_name"]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]


@admin.register(HotlineAreaMapping)
class HotlineAreaMappingAdmin(admin.ModelAdmin[HotlineAreaMapping]):
    list_display = ["external_code", "external_name", "grid"]
    search_fields = ["external_code", "external_name"]
    list_select_related = ["grid"]
    autocomplete_fields = ["grid"]


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin[ServiceAttribute]):
    list_display = ["category", "code", "datatype", "required", "order"]
    list_filter = ["datatype", "required"]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]


@admin.register(IntakeRecord)
class IntakeRecordAdmin(admin.ModelAdmin[IntakeRecord]):
    list_display = ["channel", "external_no", "client", "ticket", "created_at"]
    list_filter = ["channel", "client"]
    list_select_related = ["client", "ticket"]
    search_fields = ["external_no", "ticket__number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
