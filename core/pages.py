"""The inbox pages (notifications; the unread count sits in the header)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.inbox import inbox_mark_all_read, inbox_mark_read
from core.models import Notification
from core.web import is_htmx, keyset_page, redirect


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(user=request.user)  # type: ignore[misc]
    if request.GET.get("unread") == "1":
        qs = qs.filter(read_at__isnull=True)
    page = keyset_page(qs, request.GET.get("after"), size=30)
    return render(
        request,
        "core/inbox.html",
        {"page": page, "unread_only": request.GET.get("unread") == "1"},
    )


@login_required
@require_POST
def inbox_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to what it is about."""
    note = Notification.objects.filter(pk=pk, user=request.user).first()  # type: ignore[misc]
    if note is None:
        raise Http404
    inbox_mark_read(notification=note, actor=request.user)
    target = note.url or reverse("inbox")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("inbox")
    return redirect(request, target)


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    n = inbox_mark_all_read(user=request.user)
    if not is_htmx(request):
        messages.success(request, _("%(n)d notifications marked read.") % {"n": n})
    return redirect(request, reverse("inbox"))
