"""Every change to the tree, departments and posts.

Each action: keyword-only, one transaction, validates first, writes its audit
row in the same transaction. ``actor=None`` means the system itself
(management commands); otherwise the actor's rights are checked here, so the
admin, the API and commands cannot drift apart.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.errors import AccessDenied, Conflict, ValidationFailed
from core.identity import MOBILE_PATTERN, normalize_phone
from core.logging import mask_phone
from core.types import UNCHANGED, Actor, Unchanged, User
from governance import hooks
from governance.access import ensure_can_grant_post, ensure_can_manage_area
from governance.codes import COMMITTEE_NUMBERS, CommitteeKind, code_errors, committee_kind
from governance.models import (
    DEPARTMENT_ROLES,
    LEVELS,
    ROLE_AREA_LEVELS,
    Area,
    AreaCodeHistory,
    AreaLevel,
    Department,
    Post,
    Role,
)
from governance.selectors import forget_scope

_AREA_FIELDS = ["name", "code", "level", "is_active", "merged_into", "retired_at"]
#: Digits of an area's code that its descendants' codes repeat.
_SIGNIFICANT_PREFIX = {
    AreaLevel.CITY: 4,
    AreaLevel.DISTRICT: 6,
    AreaLevel.STREET: 9,
    AreaLevel.COMMUNITY: 12,
    AreaLevel.GRID: 15,
}


def _clean_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(extra={"fields": {field: [_("This field may not be blank.")]}})
    if len(name) > 100:
        raise ValidationFailed(
            extra={"fields": {field: [_("Ensure this field has at most 100 characters.")]}}
        )
    return name


def _check_code(
    level: str,
    code: str,
    parent: Area | None,
    *,
    exclude_pk: int | None = None,
    committee: str | None = None,
) -> None:
    errors = code_errors(
        level,
        code,
        parent.level if parent else None,
        parent.code if parent else None,
        committee=committee,
    )
    if errors:
        raise ValidationFailed(extra={"fields": {"code": errors}})
    taken = Area.objects.filter(code=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationFailed(
            _("Code %(code)s is already in use.") % {"code": code},
            code="code_taken",
            extra={"fields": {"code": [_("This code is already in use.")]}},
        )


def _check_committee(level: str, committee: str | None) -> None:
    if committee is None:
        return
    if level != AreaLevel.COMMUNITY:
        raise ValidationFailed(
            extra={"fields": {"committee": [_("Only a community has a committee kind.")]}}
        )
    if committee not in CommitteeKind.values:
        raise ValidationFailed(extra={"fields": {"committee": [_("Unknown committee kind.")]}})


def next_child_code(parent: Area, *, committee: str | None = None) -> str:
    """The next free code for a new child of ``parent`` (streets, communities, grids).

    A community is numbered in its ``committee`` kind's range (a 居委会 by
    default: 001–199; a 村委会 200–399), per governance.codes.
    """
    level = LEVELS[parent.level_index + 1]
    numbers = range(1, 600)  # township numbers in use (governance.codes)
    if level == AreaLevel.STREET:
        stem, tail = parent.code[:6], "000"
    elif level == AreaLevel.COMMUNITY:
        stem, tail = parent.code[:9], ""
        numbers = COMMITTEE_NUMBERS[CommitteeKind(committee or CommitteeKind.RESIDENTS)]
    elif level == AreaLevel.GRID:
        stem, tail, numbers = parent.code, "", range(1, 1000)
    else:
        raise ValidationFailed(_("Codes of cities and districts are never generated."))
    used = set(
        Area.objects.filter(code__startswith=stem, level=level).values_list("code", flat=True)
    ) | set(AreaCodeHistory.objects.filter(code__startswith=stem).values_list("code", flat=True))
    for n in numbers:
        candidate = f"{stem}{n:03d}{tail}"
        if candidate not in used:
            return candidate
    raise Conflict(_("No free code is left under %(area)s.") % {"area": parent})


@transaction.atomic
def area_create(
    *,
    parent: Area | None,
    name: str,
    code: str | None = None,
    actor: Actor,
    committee: str | None = None,
) -> Area:
    """Add an area under ``parent`` (a city when ``parent`` is None).

    The level follows from the parent. ``code`` may be omitted for streets,
    communities and grids: the next free number is taken. ``committee``
    (communities only: a CommitteeKind value) says what the community is; its
    number must lie in that kind's range, and a generated one is taken there.
    """
    name = _clean_name(name)
    if parent is None:
        if actor is not None and not getattr(actor, "is_superuser", False):
            raise AccessDenied(_("Only a superuser adds a city."), code="cannot_manage_area")
        level = AreaLevel.CITY
    else:
        ensure_can_manage_area(actor, parent)
        if parent.level == AreaLevel.GRID:
            raise ValidationFailed(_("A grid has no children."), code="grid_has_no_children")
        if not parent.is_active:
            raise ValidationFailed(_("Merged areas take no new children."), code="area_retired")
        level = AreaLevel(LEVELS[parent.level_index + 1])
    _check_committee(level, committee)
    code = (code or "").strip() or (next_child_code(parent, committee=committee) if parent else "")
    _check_code(level, code, parent, committee=committee)
    try:
        with transaction.atomic():
            if parent is None:
                area = Area.objects.add_root({"name": name, "code": code, "level": level})
            else:
                parent.refresh_from_db()
                area = Area.objects.add_child(parent, {"name": name, "code": code, "level": level})
    except IntegrityError as exc:
        raise Conflict(_("The area could not be added: %(e)s") % {"e": exc}) from exc
    audit.record(area, verb="created", actor=actor, after=audit.snapshot(area, _AREA_FIELDS))
    return area


@transaction.atomic
def area_rename(*, area: Area, name: str, actor: Actor) -> Area:
    ensure_can_manage_area(actor, area)
    name = _clean_name(name)
    if name == area.name:
        return area
    before = audit.snapshot(area, _AREA_FIELDS)
    AreaCodeHistory.objects.create(
        area=area, code=area.code, name=area.name, reason=AreaCodeHistory.Reason.RENAMED
    )
    Area.objects.filter(pk=area.pk).update(name=name)
    area.name = name
    audit.record(
        area, verb="renamed", actor=actor, before=before, after=audit.snapshot(area, _AREA_FIELDS)
    )
    return area


def _recode_subtree(area: Area, new_code: str) -> None:
    """Give ``area`` a new code and carry the change into every descendant's code.

    Old codes go to AreaCodeHistory so lookups by a former code still work.
    """
    k = _SIGNIFICANT_PREFIX[AreaLevel(area.level)]
    old_prefix, new_prefix = area.code[:k], new_code[:k]
    now = timezone.now()
    subtree = list(Area.objects.filter(path__startswith=area.path).order_by("depth", "path"))
    AreaCodeHistory.objects.bulk_create(
        [
            AreaCodeHistory(
                area=a, code=a.code, name=a.name, reason=AreaCodeHistory.Reason.RECODED, until=now
            )
            for a in subtree
        ]
    )
    for a in subtree:
        if a.pk == area.pk:
            a.code = new_code
        elif a.code.startswith(old_prefix):
            a.code = new_prefix + a.code[k:]
    taken = Area.objects.filter(code__in=[a.code for a in subtree]).exclude(
        pk__in=[a.pk for a in subtree]
    )
    if taken.exists():
        raise Conflict(_("Re-coding would clash with existing codes."), code="code_taken")
    # Two passes through a temporary code avoid transient unique clashes
    # inside the subtree (a child taking a sibling's old code).
    for a in subtree:
        Area.objects.filter(pk=a.pk).update(code=f"~{a.pk}".rjust(len(a.code), "~"))
    for a in subtree:
        Area.objects.filter(pk=a.pk).update(code=a.code)


def _kept_committee(area: Area) -> str | None:
    """The committee kind a re-coded community keeps (None for other levels)."""
    return committee_kind(area.code) if area.level == AreaLevel.COMMUNITY else None


def _move_node(area: Area, new_parent: Area, *, actor: Actor) -> None:
    old_path = area.path
    Area.objects.move(area, new_parent, pos="last-child")
    area.refresh_from_db()
    hooks.path_moved(actor=actor, old_path=old_path, new_path=area.path)


@transaction.atomic
def area_move(*, area: Area, new_parent: Area, actor: Actor, code: str | None = None) -> Area:
    """Move ``area`` (and its subtree) under ``new_parent`` of the level above.

    The code is re-derived under the new parent unless ``code`` is given;
    descendants' codes follow, former codes are kept.
    """
    ensure_can_manage_area(actor, area)
    ensure_can_manage_area(actor, new_parent)
    area.refresh_from_db()
    new_parent.refresh_from_db()
    if area.level == AreaLevel.CITY:
        raise ValidationFailed(_("A city cannot be moved."), code="invalid_move")
    if new_parent.level_index != area.level_index - 1:
        raise ValidationFailed(
            _("A %(level)s must sit under a %(parent)s.")
            % {
                "level": area.get_level_display(),
                "parent": AreaLevel(LEVELS[area.level_index - 1]).label,
            },
            code="invalid_move",
        )
    if not new_parent.is_active:
        raise ValidationFailed(_("Merged areas take no new children."), code="area_retired")
    if Area.objects.get_parent(area).pk == new_parent.pk:
        return area
    before = audit.snapshot(area, _AREA_FIELDS) | {"parent": Area.objects.get_parent(area).pk}
    new_code = (code or "").strip()
    if new_code:
        _check_code(area.level, new_code, new_parent, exclude_pk=area.pk)
    elif code_errors(area.level, area.code, new_parent.level, new_parent.code):
        if area.level == AreaLevel.DISTRICT:
            raise ValidationFailed(_("Give the district's new code."), code="code_required")
        # A moved community keeps its kind: a 村委会 stays in 200–399.
        new_code = next_child_code(new_parent, committee=_kept_committee(area))
    _move_node(area, new_parent, actor=actor)
    if new_code and new_code != area.code:
        _recode_subtree(area, new_code)
        area.refresh_from_db()
    audit.record(
        area,
        verb="moved",
        actor=actor,
        before=before,
        after=audit.snapshot(area, _AREA_FIELDS) | {"parent": new_parent.pk},
    )
    return area


@transaction.atomic
def area_merge(*, source: Area, target: Area, actor: Actor, note: str = "") -> Area:
    """Merge ``source`` into ``target`` (two streets or two communities).

    Children of the source move under the target and are re-coded there;
    posts on the source and departments stationed at it move to the target;
    higher apps move what they hang on the source through
    ``hooks.AREA_MERGED``, as the same actor. The source stays in the tree,
    inactive, with ``merged_into`` set and its code kept: nothing is deleted.
    """
    ensure_can_manage_area(actor, source)
    ensure_can_manage_area(actor, target)
    source.refresh_from_db()
    target.refresh_from_db()
    if source.pk == target.pk:
        raise ValidationFailed(_("An area cannot be merged into itself."), code="invalid_merge")
    if source.level != target.level or source.level not in (AreaLevel.STREET, AreaLevel.COMMUNITY):
        raise ValidationFailed(
            _("Only two streets or two communities can be merged."), code="invalid_merge"
        )
    if not (source.is_active and target.is_active):
        raise ValidationFailed(_("Both areas must be active."), code="area_retired")
    before_source = audit.snapshot(source, _AREA_FIELDS)
    moved = []
    for child in list(Area.objects.get_children(source).order_by("code")):
        old_code = child.code
        _move_node(child, target, actor=actor)
        target.refresh_from_db()
        _recode_subtree(child, next_child_code(target, committee=_kept_committee(child)))
        child.refresh_from_db()
        moved.append({"id": child.pk, "from": old_code, "to": child.code})
    now = timezone.now()
    post_moves = []
    for post in Post.objects.filter(area=source, active=True).select_related("user"):
        clash = Post.objects.filter(
            user=post.user, role=post.role, area=target, active=True
        ).exists()
        if clash:
            _end_post(
                post, actor=actor, note=_("Ended by merge: already holds this post at the target.")
            )
            continue
        Post.objects.filter(pk=post.pk).update(area=target)
        audit.record(
            post,
            verb="moved_by_merge",
            actor=actor,
            before={"area": source.pk},
            after={"area": target.pk},
        )
        post_moves.append(post.pk)
    station_moves = []
    for department in Department.objects.filter(stationed_at=source).order_by("pk"):
        Department.objects.filter(pk=department.pk).update(stationed_at=target)
        audit.record(
            department,
            verb="moved_by_merge",
            actor=actor,
            before={"stationed_at": source.pk},
            after={"stationed_at": target.pk},
        )
        station_moves.append(department.pk)
    AreaCodeHistory.objects.create(
        area=source,
        code=source.code,
        name=source.name,
        reason=AreaCodeHistory.Reason.MERGED,
        until=now,
    )
    Area.objects.filter(pk=source.pk).update(is_active=False, merged_into=target, retired_at=now)
    source.refresh_from_db()
    hooks.area_merged(actor=actor, source=source, target=target)
    audit.record(
        source,
        verb="merged_into",
        actor=actor,
        before=before_source,
        after=audit.snapshot(source, _AREA_FIELDS),
        note=note,
    )
    audit.record(
        target,
        verb="merged_from",
        actor=actor,
        after={
            "source": source.pk,
            "children": moved,
            "posts": post_moves,
            "stations": station_moves,
        },
        note=note,
    )
    target.refresh_from_db()
    return target


_DEPARTMENT_FIELDS = ["name", "short_name", "area", "stationed_at", "is_active"]


def _check_department_places(area: Area, stationed_at: Area | None) -> None:
    if area.level not in (AreaLevel.CITY, AreaLevel.DISTRICT):
        raise ValidationFailed(
            extra={"fields": {"area": [_("A department belongs to a district or a city.")]}}
        )
    if stationed_at is not None and (
        stationed_at.level != AreaLevel.STREET or not stationed_at.path.startswith(area.path)
    ):
        raise ValidationFailed(
            extra={
                "fields": {
                    "stationed_at": [_("A department is stationed at a street of its own area.")]
                }
            }
        )


@transaction.atomic
def department_create(
    *,
    name: str,
    area: Area,
    actor: Actor,
    short_name: str = "",
    stationed_at: Area | None = None,
) -> Department:
    ensure_can_manage_area(actor, area)
    name = _clean_name(name)
    _check_department_places(area, stationed_at)
    if Department.objects.filter(area=area, name=name).exists():
        raise ValidationFailed(
            _("%(area)s already has a department called %(name)s.")
            % {"area": area.name, "name": name},
            code="department_exists",
            extra={"fields": {"name": [_("This name is already in use in this area.")]}},
        )
    department = Department.objects.create(
        name=name, short_name=short_name.strip()[:30], area=area, stationed_at=stationed_at
    )
    audit.record(
        department,
        verb="created",
        actor=actor,
        after=audit.snapshot(department, _DEPARTMENT_FIELDS),
    )
    return department


@transaction.atomic
def department_update(
    *,
    department: Department,
    actor: Actor,
    name: str | None = None,
    short_name: str | None = None,
    stationed_at: Area | Unchanged | None = UNCHANGED,
    is_active: bool | None = None,
) -> Department:
    """Change a department; ``stationed_at`` left out stays as it is, ``None`` clears it."""
    ensure_can_manage_area(actor, department.area)
    before = audit.snapshot(department, _DEPARTMENT_FIELDS)
    if name is not None:
        name = _clean_name(name)
        if (
            Department.objects.filter(area=department.area, name=name)
            .exclude(pk=department.pk)
            .exists()
        ):
            raise ValidationFailed(
                code="department_exists",
                extra={"fields": {"name": [_("This name is already in use in this area.")]}},
            )
        department.name = name
    if short_name is not None:
        department.short_name = short_name.strip()[:30]
    if stationed_at is not UNCHANGED:
        _check_department_places(department.area, stationed_at)
        department.stationed_at = stationed_at
    if is_active is not None:
        department.is_active = is_active
    department.save()
    after = audit.snapshot(department, _DEPARTMENT_FIELDS)
    if after != before:
        audit.record(department, verb="updated", actor=actor, before=before, after=after)
    return department


_POST_FIELDS = ["user", "role", "area", "department", "title", "active", "started_at", "ended_at"]


def _clean_phone(phone: str) -> str:
    """A post's mobile for urgent notices, normalised (``core.identity``); blank is allowed."""
    phone = normalize_phone(phone)
    if phone and not re.match(MOBILE_PATTERN, phone):
        raise ValidationFailed(
            extra={"fields": {"phone": [_("Enter an 11-digit mainland mobile number.")]}}
        )
    return phone


def _sync_group(user: User, role: str) -> None:
    """The user is in the role's group exactly while an active post holds it."""
    group, _created = Group.objects.get_or_create(name=role)
    if Post.objects.filter(user=user, role=role, active=True).exists():
        group.user_set.add(user)
    else:
        group.user_set.remove(user)
    forget_scope(user)


@transaction.atomic
def post_grant(
    *,
    user: User,
    role: str,
    actor: Actor,
    area: Area | None = None,
    department: Department | None = None,
    title: str = "",
    phone: str = "",
) -> Post:
    """Give ``user`` a post in ``role`` at an area or a department; ``phone``
    is the mobile the escalation ladder texts at its urgent steps."""
    ensure_can_grant_post(actor, area=area, department=department)
    phone = _clean_phone(phone)
    if role not in Role.values:
        raise ValidationFailed(extra={"fields": {"role": [_("Unknown role.")]}})
    if (area is None) == (department is None):
        raise ValidationFailed(
            _("A post is held at an area or at a department, not both."), code="post_place"
        )
    if role in DEPARTMENT_ROLES and department is None:
        raise ValidationFailed(
            extra={"fields": {"department": [_("This role is held at a department.")]}}
        )
    if role not in DEPARTMENT_ROLES:
        if area is None:
            raise ValidationFailed(extra={"fields": {"area": [_("This role is held at an area.")]}})
        if area.level not in ROLE_AREA_LEVELS[role]:
            allowed = ", ".join(
                str(AreaLevel(lv).label) for lv in LEVELS if lv in ROLE_AREA_LEVELS[role]
            )
            raise ValidationFailed(
                extra={
                    "fields": {
                        "area": [_("This role is held at: %(levels)s.") % {"levels": allowed}]
                    }
                }
            )
        if not area.is_active:
            raise ValidationFailed(_("Merged areas take no new posts."), code="area_retired")
    if not user.is_active:
        raise ValidationFailed(extra={"fields": {"user": [_("This account is disabled.")]}})
    try:
        with transaction.atomic():
            post = Post.objects.create(
                user=user,
                role=role,
                area=area,
                department=department,
                title=title.strip()[:60],
                phone=phone,
            )
    except IntegrityError:
        raise Conflict(_("This person already holds this post."), code="post_exists") from None
    _sync_group(user, role)
    after = audit.snapshot(post, _POST_FIELDS)
    if phone:  # audit rows show a phone masked, like every other record of one
        after["phone"] = mask_phone(phone)
    audit.record(post, verb="granted", actor=actor, after=after)
    return post


@transaction.atomic
def post_set_phone(*, post: Post, phone: str, actor: Actor) -> Post:
    """Change an active post's mobile for urgent notices (blank: no SMS).

    The one thing about a post that changes in place: a phone is contact
    data, not history. Whoever may grant the post may set it.
    """
    ensure_can_grant_post(actor, area=post.area, department=post.department)
    phone = _clean_phone(phone)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not post.active:
        raise Conflict(_("This post has already ended."), code="post_already_ended")
    if phone == post.phone:
        return post
    before = {"phone": mask_phone(post.phone)}
    post.phone = phone
    post.save(update_fields=["phone"])
    audit.record(
        post, verb="phone_set", actor=actor, before=before, after={"phone": mask_phone(phone)}
    )
    return post


def _end_post(post: Post, *, actor: Actor, note: str = "") -> Post:
    before = audit.snapshot(post, _POST_FIELDS)
    post.active = False
    post.ended_at = timezone.now()
    post.save(update_fields=["active", "ended_at"])
    _sync_group(post.user, post.role)
    audit.record(
        post,
        verb="ended",
        actor=actor,
        before=before,
        after=audit.snapshot(post, _POST_FIELDS),
        note=note,
    )
    return post


@transaction.atomic
def post_end(*, post: Post, actor: Actor, note: str = "") -> Post:
    ensure_can_grant_post(actor, area=post.area, department=post.department)
    # Lock the row: two admins ending the same post must not both audit it.
    post = Post.objects.select_for_update().select_related("user").get(pk=post.pk)
    if not post.active:
        raise Conflict(_("This post has already ended."), code="post_already_ended")
    return _end_post(post, actor=actor, note=note)
