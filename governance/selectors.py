"""Reads of the tree, departments and posts, shaped and scoped.

Scope rules (docs/decisions/0004-scoping.md):
- an area post lets a user read its area's subtree and the area's ancestors
  (for breadcrumbs), and manage the subtree when the role is sysadmin or
  roster_admin;
- a department post lets a user read the department and the subtree of the
  area it belongs to;
- a django-guardian ``view_area`` / ``view_department`` object grant works
  like a post for reading;
- superusers read and manage everything.
List queries never test permissions row by row: they filter by path prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from core.types import AnyUser
from governance.models import Area, Department, Post, Role

STEPLEN = Area.steplen
_SCOPE_CACHE_ATTR = "_gridgov_scope"
_MANAGE_ROLES = frozenset({Role.SYSADMIN, Role.ROSTER_ADMIN})


def minimal_prefixes(paths: list[str]) -> tuple[str, ...]:
    """Drop every path that lies under another one in the list."""
    kept: list[str] = []
    for p in sorted(set(paths)):
        if not kept or not p.startswith(kept[-1]):
            kept.append(p)
    return tuple(kept)


def ancestor_paths(paths: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for p in paths:
        out.update(p[:i] for i in range(STEPLEN, len(p), STEPLEN))
    return out


@dataclass(frozen=True)
class Scope:
    """What one user may see and manage, computed once per request."""

    everything: bool = False
    #: Subtrees whose areas the user may read (includes departments' areas).
    area_paths: tuple[str, ...] = ()
    #: Subtrees the user works in through area posts or grants: what they
    #: see of cases and rosters hung on the tree. Department posts are not
    #: here: a department sees the cases dispatched to it, not its district's.
    work_paths: tuple[str, ...] = ()
    manage_paths: tuple[str, ...] = ()
    department_ids: frozenset[int] = field(default_factory=frozenset)

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.area_paths)

    def manages_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.manage_paths)

    def area_q(self, prefix: str = "") -> Q:
        """Q matching rows whose ``<prefix>path`` lies in a readable subtree."""
        return self._paths_q(self.area_paths, prefix)

    def work_q(self, prefix: str = "") -> Q:
        """Q matching rows whose ``<prefix>path`` lies where the user works."""
        return self._paths_q(self.work_paths, prefix)

    def _paths_q(self, paths: tuple[str, ...], prefix: str) -> Q:
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(**{f"{prefix}path__startswith": p})
        return q


def user_scope(user: AnyUser) -> Scope:
    """The user's scope; cached on the user object for the request."""
    cached = getattr(user, _SCOPE_CACHE_ATTR, None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    setattr(user, _SCOPE_CACHE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    if hasattr(user, _SCOPE_CACHE_ATTR):
        delattr(user, _SCOPE_CACHE_ATTR)


def _compute_scope(user: AnyUser) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope()
    if getattr(user, "is_superuser", False):
        return Scope(everything=True)
    read: list[str] = []
    work: list[str] = []
    manage: list[str] = []
    department_ids: set[int] = set()
    posts = Post.objects.filter(user=user, active=True).values_list(
        "role", "area__path", "department_id", "department__area__path"
    )
    for role, area_path, department_id, department_area_path in posts:
        if area_path:
            read.append(area_path)
            work.append(area_path)
            if role in _MANAGE_ROLES:
                manage.append(area_path)
        if department_id:
            department_ids.add(department_id)
            read.append(department_area_path)
    granted_areas: QuerySet[Area] = get_objects_for_user(
        user, "governance.view_area", accept_global_perms=False, with_superuser=False
    )
    granted_paths = list(granted_areas.values_list("path", flat=True))
    read.extend(granted_paths)
    work.extend(granted_paths)
    granted_departments: QuerySet[Department] = get_objects_for_user(
        user, "governance.view_department", accept_global_perms=False, with_superuser=False
    )
    for department_id, department_area_path in granted_departments.values_list("id", "area__path"):
        department_ids.add(department_id)
        read.append(department_area_path)
    return Scope(
        area_paths=minimal_prefixes(read),
        work_paths=minimal_prefixes(work),
        manage_paths=minimal_prefixes(manage),
        department_ids=frozenset(department_ids),
    )


def area_list(*, user: AnyUser) -> QuerySet[Area]:
    """Areas the user may read: their subtrees plus the ancestors above them."""
    scope = user_scope(user)
    qs = Area.objects.all()
    if not scope.everything:
        qs = qs.filter(scope.area_q() | Q(path__in=ancestor_paths(scope.area_paths)))
    return qs.select_related("merged_into")


def area_children(*, area: Area, user: AnyUser) -> QuerySet[Area]:
    return (
        area_list(user=user)
        .filter(path__startswith=area.path, depth=area.depth + 1)
        .order_by("code")
    )


def department_list(*, user: AnyUser) -> QuerySet[Department]:
    """Departments of the user's posts, and those above or inside their areas.

    A street officer needs the district's departments to whistle to them, so
    departments of ancestor areas are readable too.
    """
    scope = user_scope(user)
    qs = Department.objects.all()
    if not scope.everything:
        roots = scope.area_paths
        qs = qs.filter(
            scope.area_q("area__")
            | Q(area__path__in=ancestor_paths(roots) | set(roots))
            | Q(id__in=scope.department_ids)
        )
    return qs.select_related("area", "stationed_at")


def post_list(*, user: AnyUser, active_only: bool = True) -> QuerySet[Post]:
    qs = Post.objects.filter(user=user) if user.is_authenticated else Post.objects.none()
    if active_only:
        qs = qs.filter(active=True)
    return qs.select_related("area", "department", "department__area")


def area_by_code(code: str) -> Area | None:
    """Current area for a code, following former codes (merges, re-codes)."""
    area = Area.objects.filter(code=code).first()
    if area is None:
        from governance.models import AreaCodeHistory

        hist = AreaCodeHistory.objects.filter(code=code).select_related("area").first()
        area = hist.area if hist else None
    while area is not None and area.merged_into_id is not None:
        area = area.merged_into
    return area
