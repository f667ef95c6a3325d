from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from core.actions import calendar_set_day
from core.errors import ApplicationError
from core.models import AuditEntry, WorkCalendarDay


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin[WorkCalendarDay]):
    list_display = ["day", "kind", "is_workday", "name", "periods", "source"]
    list_filter = ["kind", "source"]
    date_hierarchy = "day"
    fields = ["day", "is_workday", "name", "periods", "note"]

    def save_model(
        self, request: HttpRequest, obj: WorkCalendarDay, form: Any, change: bool
    ) -> None:
        try:
            row = calendar_set_day(
                day=obj.day,
                is_workday=obj.is_workday,
                name=obj.name,
                periods=obj.periods,
                note=obj.note,
                actor=request.user,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = row.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = ["at", "verb", "content_type", "object_id", "actor"]
    list_filter = ["verb", "content_type"]
    list_select_related = ["content_type", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
