"""Extension points for apps higher up the stack.

governance knows nothing of what hangs on the tree (rosters, tickets, Party
organisations). When an action changes the tree, it calls the receivers
registered here inside its own transaction, so a failure in any of them rolls
the whole change back. Receivers register in their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from governance.models import Area

#: fn(old_path, new_path): every path starting with old_path now starts with new_path.
PathMoved = Callable[[str, str], None]
#: fn(source, target): source was merged into target (children already moved).
AreaMerged = Callable[["Area", "Area"], None]

_path_moved: list[PathMoved] = []
_area_merged: list[AreaMerged] = []


def on_path_moved(fn: PathMoved) -> PathMoved:
    if fn not in _path_moved:
        _path_moved.append(fn)
    return fn


def on_area_merged(fn: AreaMerged) -> AreaMerged:
    if fn not in _area_merged:
        _area_merged.append(fn)
    return fn


def path_moved(old_path: str, new_path: str) -> None:
    for fn in _path_moved:
        fn(old_path, new_path)


def area_merged(source: Area, target: Area) -> None:
    for fn in _area_merged:
        fn(source, target)
