"""Who may change what: roles, the acting user (:class:`Actor`) and :func:`authorize`, which
every write path in ``core`` calls. A leaf module: it imports nothing above ``core.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import GenreLabError

#: Roles: editors may train, import and cancel their own jobs; admins anyone's; viewers browse,
#: compare and predict.
EDITOR, VIEWER, ADMIN = "editor", "viewer", "admin"


class AccessError(GenreLabError):
    """Access refused: a read-only user, a full job queue, a path outside the data folder."""


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: a user name and a role (:data:`EDITOR`, :data:`VIEWER`,
    :data:`ADMIN`). Every write path in ``core`` takes one (``actor=``) and checks it with
    :func:`authorize`; ``None`` there means :data:`LOCAL`, the machine's own user (CLI, scripts).

    >>> Actor("viv", VIEWER).can_write
    False
    """

    user: str
    role: str = EDITOR

    @property
    def can_write(self) -> bool:
        """Whether this actor may change anything (viewers may not)."""
        return self.role in (EDITOR, ADMIN)


#: The machine's own user: the command line and scripts act as an admin.
LOCAL = Actor("", ADMIN)


def authorize(actor: Actor | None, action: str, owner: str = "") -> Actor:
    """The actor (``None``: :data:`LOCAL`) if it may ``action``; AccessError saying why if not.

    ``owner``: the user a job or run belongs to; then only that user or an admin may act on it.

    >>> authorize(Actor("ann"), "cancel this job", owner="ann").user
    'ann'
    >>> authorize(Actor("viv", VIEWER), "scan")
    Traceback (most recent call last):
    core.policy.AccessError: Your account is read-only: you can browse and predict, not scan.
    """
    actor = LOCAL if actor is None else actor
    if not actor.can_write:
        raise AccessError(f"Your account is read-only: you can browse and predict, not {action}.")
    if owner and actor.role != ADMIN and actor.user != owner:
        raise AccessError(f"Only {owner} (who started it) or an admin may {action}.")
    return actor


def allowed(actor: Actor | None, owner: str = "") -> bool:
    """Whether :func:`authorize` would let ``actor`` act (on something ``owner`` owns); for
    enabling buttons."""
    try:
        authorize(actor, "act", owner)
    except AccessError:
        return False
    return True
