"""Role groups and the model permissions each role gets in the admin.

Synced after every migrate (governance.apps), so a fresh database has the
groups and a new model permission reaches its roles without a data migration.
Object scope never comes from these: it comes from posts (selectors.py).
"""

from __future__ import annotations

from typing import Any

from governance.models import Role


def _crud(app_models: list[str], verbs: tuple[str, ...] = ("view", "add", "change")) -> list[str]:
    out = []
    for dotted in app_models:
        app, model = dotted.split(".")
        out += [f"{app}.{verb}_{model}" for verb in verbs]
    return out


# Strings only: governance imports none of the apps above it.
_TREE = ["governance.area", "governance.department", "governance.post"]
_ROSTERS = [
    "grids.gridprofile",
    "grids.worker",
    "grids.rosterentry",
    "grids.visit",
    "partyorg.partyorg",
    "partyorg.partymember",
    "partyorg.jointcommitteemember",
    "partyorg.jointmeetingrotation",
]

#: role → app_label.codename permissions for the Django admin.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ROSTER_ADMIN: _crud(_TREE) + _crud(_ROSTERS),
    Role.SYSADMIN: _crud(_TREE)
    + _crud(_ROSTERS)
    + _crud(["services.category", "services.routingrule", "core.workcalendarday"])
    + ["core.view_auditentry", "services.view_ticket", "services.view_ticketevent"],
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
