"""Admin: categories and routing rules are reference data edited here;
tickets and their timeline are read-only (they change only through actions)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.logging import mask_phone
from services.models import (
    Category,
    CategoryCitySetting,
    CityPolicy,
    Clock,
    Dispatch,
    RoutingRule,
    Ticket,
    TicketEvent,
)


class CategoryCitySettingInline(admin.TabularInline[CategoryCitySetting, Category]):
    model = CategoryCitySetting
    extra = 0
    autocomplete_fields = ["city"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["code", "name", "kind", "parent", "clock_amount", "clock_unit", "enabled"]
    list_filter = ["kind", "enabled", "clock_unit"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    inlines = [CategoryCitySettingInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tickets point at categories; switch one off instead


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin[RoutingRule]):
    list_display = ["order", "area", "category", "department", "role", "active"]
    list_filter = ["active", "role"]
    list_select_related = ["area", "category", "department"]
    autocomplete_fields = ["area", "category", "department"]
    ordering = ["order", "id"]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TicketEventInline(admin.TabularInline[TicketEvent, Ticket]):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["at", "verb", "from_state", "to_state", "actor", "dispatch", "note"]
    readonly_fields = ["at", "verb", "from_state", "to_state", "actor", "dispatch", "note"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DispatchInline(admin.TabularInline[Dispatch, Ticket]):
    model = Dispatch
    extra = 0
    can_delete = False
    fields = [
        "department",
        "role",
        "state",
        "dispatched_at",
        "claim_due_at",
        "claimed_by",
        "claimed_at",
        "handle_due_at",
    ]
    readonly_fields = [
        "department",
        "role",
        "state",
        "dispatched_at",
        "claim_due_at",
        "claimed_by",
        "claimed_at",
        "handle_due_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClockInline(admin.TabularInline[Clock, Ticket]):
    """Every deadline of the case; a provisional one is flagged here too."""

    model = Clock
    extra = 0
    can_delete = False
    fields = ["kind", "state", "started_at", "due_at", "provisional", "level", "dispatch"]
    readonly_fields = ["kind", "state", "started_at", "due_at", "provisional", "level", "dispatch"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "urgency", "category", "grid", "masked_phone", "created_at"]
    list_filter = ["state", "urgency", "source", "supervised"]
    search_fields = ["number", "address", "external_no"]
    list_select_related = ["category", "grid"]
    date_hierarchy = "created_at"
    exclude = ["reporter_phone"]
    readonly_fields = ["masked_phone"]
    inlines = [DispatchInline, ClockInline, TicketEventInline]
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is waste

    @admin.display(description=_("reporter's phone"))
    def masked_phone(self, obj: Ticket) -> str:
        return mask_phone(obj.reporter_phone)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "verb", "from_state", "to_state", "actor", "at"]
    list_filter = ["verb"]
    search_fields = ["ticket__number"]
    list_select_related = ["ticket", "actor"]
    show_full_result_count = False


@admin.register(CityPolicy)
class CityPolicyAdmin(admin.ModelAdmin[CityPolicy]):
    """Who may whistle in each city (a city without a row: community and street)."""

    list_display = ["city", "grid_may_whistle", "community_may_whistle", "street_may_whistle"]
    autocomplete_fields = ["city"]
