"""HTML pages: home and the area tree browser."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.errors import NotFound
from governance.access import access_area
from governance.selectors import area_children, area_list, department_list, post_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    posts = list(post_list(user=request.user))
    return render(request, "governance/home.html", {"posts": posts})


@login_required
def area_tree(request: HttpRequest) -> HttpResponse:
    """The top of the caller's part of the tree."""
    visible = area_list(user=request.user)
    top_depth = visible.order_by("depth").values_list("depth", flat=True).first()
    roots = visible.filter(depth=top_depth).order_by("code") if top_depth else visible.none()
    return render(request, "governance/area_tree.html", {"roots": roots})


@login_required
def area_detail(request: HttpRequest, area_id: int) -> HttpResponse:
    try:
        area = access_area(request.user, area_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    ancestors = (
        area_list(user=request.user)
        .filter(path__in=[area.path[:i] for i in range(4, len(area.path), 4)])
        .order_by("depth")
    )
    children = area_children(area=area, user=request.user)
    departments = department_list(user=request.user).filter(area=area)
    return render(
        request,
        "governance/area_detail.html",
        {"area": area, "ancestors": ancestors, "children": children, "departments": departments},
    )
