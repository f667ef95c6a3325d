"""Extension points for apps higher up the stack.

governance knows nothing of what hangs on the tree (rosters, tickets, Party
organisations). When an action changes the tree, it fires the hooks declared
here (through the one registry, core.hooks) inside its own transaction, so a
failure in any receiver rolls the whole change back, and it passes its actor
on, so what a receiver audits is recorded as the person's who made the change.
Receivers connect in their AppConfig.ready():
``core.hooks.connect(governance.hooks.AREA_MERGED, fn)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import hooks

if TYPE_CHECKING:
    from core.types import Actor
    from governance.models import Area

#: fn(*, actor, old_path, new_path): every path starting with old_path now
#: starts with new_path.
PATH_MOVED = hooks.declare("governance.path_moved")
#: fn(*, actor, source, target): source was merged into target (its children
#: already moved under the target).
AREA_MERGED = hooks.declare("governance.area_merged")


def path_moved(*, actor: Actor, old_path: str, new_path: str) -> None:
    hooks.fire(PATH_MOVED, actor=actor, old_path=old_path, new_path=new_path)


def area_merged(*, actor: Actor, source: Area, target: Area) -> None:
    hooks.fire(AREA_MERGED, actor=actor, source=source, target=target)
