"""Permission-checked fetches. Absent and out-of-scope give the same 404."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import AccessDenied, NotFound
from core.types import AnyUser
from governance.models import Area, Department, Post
from governance.selectors import area_list, department_list, user_scope


def access_area(user: AnyUser, area_id: int | str, *, for_write: bool = False) -> Area:
    try:
        area = area_list(user=user).get(pk=int(area_id))
    except (Area.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Area not found."), code="area_not_found") from None
    if for_write:
        ensure_can_manage_area(user, area)
    return area


def access_department(
    user: AnyUser, department_id: int | str, *, for_write: bool = False
) -> Department:
    try:
        department = department_list(user=user).get(pk=int(department_id))
    except (Department.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Department not found."), code="department_not_found") from None
    if for_write:
        ensure_can_manage_area(user, department.area)
    return department


def ensure_can_manage_area(user: AnyUser | None, area: Area) -> None:
    """Raise unless ``user`` may change ``area`` and what hangs under it.

    ``None`` is the system itself (management commands, migrations).
    """
    if user is None:
        return
    if not user_scope(user).manages_path(area.path):
        raise AccessDenied(
            _("Only a system or roster administrator of this area may change it."),
            code="cannot_manage_area",
        )


def ensure_can_grant_post(
    user: AnyUser | None,
    *,
    area: Area | None,
    department: Department | None,
) -> None:
    if user is None:
        return
    if department is not None:
        # A department head staffs their own department.
        is_head = Post.objects.filter(
            user_id=int(user.pk or 0), active=True, role="department_head", department=department
        ).exists()
        if is_head:
            return
        ensure_can_manage_area(user, department.area)
    elif area is not None:
        ensure_can_manage_area(user, area)
