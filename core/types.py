"""Type aliases shared by the apps, and the one "leave it as it is" marker."""

import enum
from typing import Final, Literal, TypeAlias

from django.contrib.auth.models import AnonymousUser, User

#: Whoever makes a request: a logged-in user or an anonymous visitor.
AnyUser = User | AnonymousUser
#: Who performs an action; ``None`` is the system itself (commands, tasks).
Actor = User | AnonymousUser | None


class _Unchanged(enum.Enum):
    """The type of :data:`UNCHANGED`: one member, so ``x is UNCHANGED`` narrows."""

    UNCHANGED = "UNCHANGED"

    def __repr__(self) -> str:
        return "UNCHANGED"


#: Default of every partial-update parameter: "not given, leave the field as
#: it is". ``None`` stays a value ("clear it") wherever the field can be empty.
#: Test with ``is`` / ``is not``; an enum member (not a bare ``object()``) so
#: mypy narrows ``x: Area | None | Unchanged`` to ``Area | None`` after the test.
UNCHANGED: Final = _Unchanged.UNCHANGED
#: Annotation for a parameter that may be left out: ``name: str | Unchanged = UNCHANGED``.
Unchanged: TypeAlias = Literal[_Unchanged.UNCHANGED]

__all__ = ["UNCHANGED", "Actor", "AnyUser", "Unchanged", "User"]
