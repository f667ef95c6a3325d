"""Admin pages of core, and the one mixin every admin that calls actions uses."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import workcalendar
from core.actions import calendar_load_year, calendar_set_day
from core.calendar import parse_csv
from core.errors import ApplicationError
from core.models import AuditEntry, WorkCalendarDay

#: A year's arrangement file is a few dozen lines; anything bigger is not one.
_MAX_ARRANGEMENT_BYTES = 64 * 1024

#: Shown on the form when an action refused the submission; the action's own
#: message is at the top of the page.
NOTHING_SAVED = gettext_lazy("Nothing was saved. Correct the form and save again.")

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

#: The error of the submission being shown again (see ActionAdminMixin.changeform_view).
_refused: ContextVar[ApplicationError | None] = ContextVar("admin_action_refused", default=None)

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


def action_error_text(exc: ApplicationError) -> str:
    """The action's message, followed by its field messages."""
    fields = exc.extra.get("fields") or {}
    details = "; ".join(
        f"{name}: {' '.join(str(m) for m in _as_list(msgs))}" for name, msgs in fields.items()
    )
    return f"{exc.message} {details}".strip()


def _as_list(msgs: Any) -> list[Any]:
    return list(msgs) if isinstance(msgs, list | tuple) else [msgs]


def _refusing(form_class: type[forms.BaseForm], exc: ApplicationError) -> type[forms.BaseForm]:
    """``form_class``, failing validation with ``exc``: its field messages on
    the fields the form has, and :data:`NOTHING_SAVED` above them."""
    fields = exc.extra.get("fields") or {}
    base: Any = form_class

    class Refusing(base):
        def clean(self) -> Any:
            data = super().clean()
            for name, msgs in fields.items():
                if name in self.fields:
                    self.add_error(name, [str(m) for m in _as_list(msgs)])
            self.add_error(None, str(NOTHING_SAVED))
            return data

    Refusing.__name__ = Refusing.__qualname__ = form_class.__name__
    return Refusing


class ActionAdminMixin(_ModelAdmin):
    """For a ModelAdmin whose saves call actions (``save_model``,
    ``save_formset``, ``delete_model``, admin actions): an action's
    :class:`~core.errors.ApplicationError` undoes the whole submission and is
    shown to the user.

    Built on the admin's public views. Each unsafe request runs in one
    transaction of ours that the error leaves, so everything the submission
    wrote — the object, its inlines, earlier actions of the same save, the
    admin's log entry — is rolled back, whichever action raised. Then:

    - add/change form: the message goes to the top of the page and the form is
      shown again with what the user typed, failing validation with the
      action's field messages (nothing is written on that second pass);
    - delete page, change list (admin actions, list_editable): the message,
      and a redirect back to the same page.

    Put it first among the bases: ``class X(ActionAdminMixin, admin.ModelAdmin[M])``.
    """

    def message_action_error(self, request: HttpRequest, exc: ApplicationError) -> None:
        self.message_user(request, action_error_text(exc), level=messages.ERROR)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        exc = _refused.get()
        return form_class if exc is None else _refusing(form_class, exc)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method in _SAFE_METHODS:
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            refused = exc
        # Rolled back. Show the submission again; get_form makes it invalid,
        # so this pass saves nothing and renders the user's input with errors.
        self.message_action_error(request, refused)
        token = _refused.set(refused)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        finally:
            _refused.reset(token)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method in _SAFE_METHODS:
            return super().delete_view(request, object_id, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_action_error(request, exc)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Django runs admin actions outside any transaction: one here makes a
        # bulk action all or nothing.
        if request.method in _SAFE_METHODS:
            return super().changelist_view(request, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        except ApplicationError as exc:
            self.message_action_error(request, exc)
            return HttpResponseRedirect(request.get_full_path())


class LoadYearForm(forms.Form):
    """A year's arrangement as the State Council publishes it: the exceptions
    to Monday–Friday work, uploaded as a CSV or pasted, or the package's."""

    year = forms.IntegerField(label=gettext_lazy("year"), min_value=2000, max_value=2100)
    file = forms.FileField(
        label=gettext_lazy("arrangement file (CSV)"),
        required=False,
        help_text=gettext_lazy(
            "day,is_workday,name, one line per holiday or make-up workday, "
            "e.g. 2027-01-01,0,元旦 and 2027-02-06,1,春节调休."
        ),
    )
    text = forms.CharField(
        label=gettext_lazy("or paste the lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 60}),
    )
    from_package = forms.BooleanField(
        label=gettext_lazy("take the arrangement from the chinese-calendar package instead"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        text = (data.get("text") or "").strip()
        if data.get("from_package"):
            if upload or text:
                raise forms.ValidationError(
                    _("Choose the package, a file or pasted lines, not several.")
                )
            data["days"] = None
            return data
        if upload is not None:
            if upload.size > _MAX_ARRANGEMENT_BYTES:
                raise forms.ValidationError(_("The file is too large for an arrangement."))
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc
        if not text:
            raise forms.ValidationError(
                _("Give the arrangement: a file, pasted lines or the package.")
            )
        year = data.get("year")
        if year is None:
            return data
        listed, errors = parse_csv(text, year)
        if errors:
            raise forms.ValidationError(
                [
                    _("line %(line)d: %(message)s") % {"line": line, "message": message}
                    for line, message in errors
                ]
            )
        data["days"] = listed
        return data


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(ActionAdminMixin, admin.ModelAdmin[WorkCalendarDay]):
    list_display = ["day", "kind", "is_workday", "name", "periods", "source"]
    list_filter = ["kind", "source"]
    date_hierarchy = "day"
    fields = ["day", "is_workday", "name", "periods", "note"]

    def save_model(
        self, request: HttpRequest, obj: WorkCalendarDay, form: Any, change: bool
    ) -> None:
        row = calendar_set_day(
            day=obj.day,
            is_workday=obj.is_workday,
            name=obj.name,
            periods=obj.periods,
            note=obj.note,
            actor=request.user,
        )
        obj.pk = row.pk
        if not workcalendar.year_loaded(obj.day.year):
            messages.warning(
                request,
                _(
                    "%(year)d is not loaded yet, so this day alone does not count: deadlines "
                    "stay provisional until the whole year's arrangement is loaded "
                    "(Load a year)."
                )
                % {"year": obj.day.year},
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        return [
            path(
                "load-year/",
                self.admin_site.admin_view(self.load_year_view),
                name="core_workcalendarday_load_year",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        today = timezone.localdate()
        missing = [y for y in (today.year, today.year + 1) if not workcalendar.year_loaded(y)]
        extra = {**(extra_context or {}), "calendar_years_missing": missing}
        return super().changelist_view(request, extra_context=extra)

    def load_year_view(self, request: HttpRequest) -> HttpResponse:
        """Load a whole year from the admin: the same action as ``load_calendar``,
        so provisional deadlines reaching that year are recomputed with a
        timeline entry."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        initial = {"year": request.GET.get("year") or timezone.localdate().year + 1}
        form = LoadYearForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            year = form.cleaned_data["year"]
            days = form.cleaned_data["days"]
            try:
                changed = calendar_load_year(
                    year=year,
                    actor=request.user,
                    days=days,
                    source="package" if days is None else "import",
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                if changed:
                    messages.success(
                        request,
                        _(
                            "%(year)d: %(n)d day(s) loaded or changed; provisional deadlines were recomputed."
                        )
                        % {"year": year, "n": changed},
                    )
                else:
                    messages.info(
                        request,
                        _("%(year)d: already up to date; nothing changed.") % {"year": year},
                    )
                return HttpResponseRedirect(reverse("admin:core_workcalendarday_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.opts,
            "title": _("Load a year's working calendar"),
        }
        return render(request, "admin/core/workcalendarday/load_year.html", context)


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
