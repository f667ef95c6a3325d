"""In-process extension points: one registry, the actor passed through.

An app low in the stack (governance, services, core) tells apps above it that
something happened, without importing them: it *declares* a hook by name in
its own ``hooks`` module and *fires* it from inside the action's transaction.
Apps above *connect* receivers in their ``AppConfig.ready()``.

Every receiver is called with keywords only: ``actor`` (who did it, ``None``
for the system) and the hook's payload. Whatever a receiver writes commits or
rolls back with the action, and its audit rows name the same actor as the
action's own. A receiver that raises rolls the whole action back.

This is not Django's signals: no senders, no weak references, no
``dispatch_uid``; a name that was never declared is an error at start-up, not
a hook that silently never fires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from core.types import Actor

#: fn(*, actor, **payload); the return value is ignored.
Receiver = Callable[..., object]
_R = TypeVar("_R", bound=Receiver)

_receivers: dict[str, list[Receiver]] = {}


def declare(name: str) -> str:
    """Declare hook ``name`` (``"<app>.<event>"``); returns the name to fire and connect.

    The declaring module documents the payload beside the constant it assigns.
    """
    _receivers.setdefault(name, [])
    return name


def _known(name: str) -> list[Receiver]:
    try:
        return _receivers[name]
    except KeyError:
        raise LookupError(f"hook {name!r} was never declared") from None


def connect(name: str, fn: _R) -> _R:
    """Call ``fn(actor=…, **payload)`` whenever ``name`` fires; connecting twice is a no-op."""
    receivers = _known(name)
    if fn not in receivers:
        receivers.append(fn)
    return fn


def register(name: str) -> Callable[[_R], _R]:
    """Decorator form of :func:`connect`."""

    def decorate(fn: _R) -> _R:
        return connect(name, fn)

    return decorate


def disconnect(name: str, fn: Receiver) -> None:
    receivers = _known(name)
    if fn in receivers:
        receivers.remove(fn)


def receivers(name: str) -> tuple[Receiver, ...]:
    return tuple(_known(name))


def fire(name: str, *, actor: Actor, **payload: Any) -> None:
    """Call every receiver of ``name``, in the order they connected."""
    for fn in tuple(_known(name)):
        fn(actor=actor, **payload)
