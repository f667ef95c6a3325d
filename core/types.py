"""Type aliases shared by the apps."""

from django.contrib.auth.models import AnonymousUser, User

#: Whoever makes a request: a logged-in user or an anonymous visitor.
AnyUser = User | AnonymousUser
#: Who performs an action; ``None`` is the system itself (commands, tasks).
Actor = User | AnonymousUser | None

__all__ = ["Actor", "AnyUser", "User"]
