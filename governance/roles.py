"""Role groups and the model permissions each role gets in the admin.

Synced after every migrate (governance.apps), so a fresh database has the
groups and a new model permission reaches its roles without a data migration.
Object scope never comes from these: it comes from posts (selectors.py).
"""

from __future__ import annotations

from typing import Any

from governance.models import Role

#: role → app_label.codename permissions for the Django admin.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ROSTER_ADMIN: [
        "governance.view_area",
        "governance.add_area",
        "governance.change_area",
        "governance.view_department",
        "governance.add_department",
        "governance.change_department",
        "governance.view_post",
        "governance.add_post",
        "governance.change_post",
    ],
    Role.SYSADMIN: [
        "governance.view_area",
        "governance.add_area",
        "governance.change_area",
        "governance.view_department",
        "governance.add_department",
        "governance.change_department",
        "governance.view_post",
        "governance.add_post",
        "governance.change_post",
        "core.view_auditentry",
    ],
}


def sync_role_groups(**kwargs: Any) -> None:
    from django.contrib.auth.models import Group, Permission

    for role in Role.values:
        group, _created = Group.objects.get_or_create(name=role)
        wanted = ROLE_PERMISSIONS.get(role, [])
        if not wanted:
            continue
        perms = []
        for dotted in wanted:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.add(*perms)
