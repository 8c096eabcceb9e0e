"""Who may use a shared Genre Lab, and what hosted mode allows: the pure logic of the gate.

- Password hashes: ``scrypt$<salt hex>$<hash hex>`` or ``pbkdf2_sha256$<iterations>$<salt
  hex>$<hash hex>``, compared in constant time. Make one with
  ``python -m core.access hash-password``.
- Who acts: an :class:`Actor` (user and role) that every write path in ``core`` checks with
  :func:`authorize` (viewers change nothing; only the owner or an admin touches another's job).
- The login throttle: after each failed attempt for a user name, the next one waits longer,
  server-wide (kept in a small locked file under the data folder, so a new tab does not reset it).
- The access configuration, read from a mapping (``.streamlit/secrets.toml`` and environment
  variables): the editor and viewer password hashes, the ``[auth]`` section of OpenID Connect
  login (Streamlit's ``st.login``), and the read-only users.
- Hosted mode rules: datasets only from the server's data folder (or the demo), a cap on the
  jobs each user may have queued or running, no jobs for read-only users.

Streamlit lives in ``ui/access.py``; this module never imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import settings
from core.errors import GenreLabError, ParamsError
from core.policy import ADMIN, EDITOR, VIEWER, AccessError, Actor, authorize
from core.storage.atomic import write_json
from core.storage.lock import locked

if TYPE_CHECKING:
    from core.runs import Run, RunConfig

#: Settings read by :func:`read_config` (secrets.toml root keys or environment variables).
PASSWORD_HASH_KEY = "GENRELAB_PASSWORD_HASH"
VIEWER_HASH_KEY = "GENRELAB_VIEWER_PASSWORD_HASH"
READONLY_USERS_KEY = "GENRELAB_READONLY_USERS"
ADMIN_USERS_KEY = "GENRELAB_ADMIN_USERS"
#: The provider name :func:`read_config` gives the unnamed ``[auth]`` provider.
DEFAULT_PROVIDER = "default"

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PBKDF2_ITERATIONS = 600_000
_HEX = re.compile(r"[0-9a-f]+")

#: Throttle: seconds to wait after the first failed attempt, doubling up to the maximum.
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0
#: Throttle: a user name's failures are forgotten this long after its last wait ended.
FORGET_AFTER_S = 900.0
#: The server-wide throttle file, in the settings' ``data_dir``.
THROTTLE_FILE = ".login-throttle.json"

MAX_USER_NAME = 40


# ---- password hashes -----------------------------------------------------------------------------


def hash_password(password: str, method: str = "scrypt", salt: bytes | None = None) -> str:
    """The string to store for ``password``: ``scrypt$<salt>$<hash>`` or ``pbkdf2_sha256$...``.

    A fresh random 16-byte salt is drawn unless ``salt`` is given.
    """
    if not password:
        raise ParamsError("The password must not be empty.")
    salt = secrets.token_bytes(16) if salt is None else salt
    if method == "scrypt":
        return f"scrypt${salt.hex()}${_scrypt(password, salt).hex()}"
    if method == "pbkdf2":
        digest = _pbkdf2(password, salt, PBKDF2_ITERATIONS)
        return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt.hex()}${digest.hex()}"
    raise ParamsError(f"Unknown hash method {method!r}: use 'scrypt' or 'pbkdf2'.")


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (constant-time comparison).

    Raises ParamsError if ``stored`` is not a hash made by :func:`hash_password`.
    """
    method, params, salt, expected = _parse_hash(stored)
    if method == "scrypt":
        actual = _scrypt(password, salt, len(expected))
    else:
        actual = _pbkdf2(password, salt, params, len(expected))
    return hmac.compare_digest(actual, expected)


def check_hash(stored: str) -> str:
    """``stored`` itself if it is a well-formed hash; ParamsError saying what is wrong otherwise."""
    _parse_hash(stored)
    return stored


def _scrypt(password: str, salt: bytes, length: int = 32) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=length
    )


def _pbkdf2(password: str, salt: bytes, iterations: int, length: int = 32) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations, length)


def _parse_hash(stored: str) -> tuple[str, int, bytes, bytes]:
    """``(method, iterations, salt, digest)`` of a stored hash (iterations 0 for scrypt)."""
    parts = stored.strip().split("$") if isinstance(stored, str) else []
    hint = "make one with `python -m core.access hash-password`"
    if len(parts) == 3 and parts[0] == "scrypt":
        method, iterations, salt, digest = "scrypt", 0, parts[1], parts[2]
    elif len(parts) == 4 and parts[0] == "pbkdf2_sha256" and parts[1].isdigit():
        method, iterations, salt, digest = "pbkdf2_sha256", int(parts[1]), parts[2], parts[3]
        if iterations < 100_000:
            raise ParamsError(f"The pbkdf2 hash uses only {iterations} iterations; {hint}.")
    else:
        raise ParamsError(
            "A password hash must look like 'scrypt$<salt hex>$<hash hex>' or "
            f"'pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>'; {hint}."
        )
    if not all(len(h) >= 16 and len(h) % 2 == 0 and _HEX.fullmatch(h) for h in (salt, digest)):
        raise ParamsError(f"The salt and hash of a password hash must be hex digits; {hint}.")
    return method, iterations, bytes.fromhex(salt), bytes.fromhex(digest)


# ---- the login throttle --------------------------------------------------------------------------


def delay_after(failures: int) -> float:
    """Seconds to wait after ``failures`` failed attempts in a row: 0, 1, 2, 4, ... up to 60."""
    if failures <= 0:
        return 0.0
    return min(FIRST_DELAY_S * 2 ** min(failures - 1, 32), MAX_DELAY_S)


@dataclass(frozen=True)
class Throttle:
    """Failed login attempts of one session; ``now`` is any monotonic clock in seconds."""

    failures: int = 0
    blocked_until: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds before the next attempt is accepted (0: now)."""
        return max(0.0, self.blocked_until - now)

    def failed(self, now: float) -> Throttle:
        """The throttle after one more failed attempt at ``now``."""
        failures = self.failures + 1
        return Throttle(failures, now + delay_after(failures))


def throttle_file() -> Path:
    """Where the server-wide throttle lives (in the settings' ``data_dir``)."""
    return settings.current().data_dir / THROTTLE_FILE


def login_wait(user: str, path: Path | None = None, now: float | None = None) -> float:
    """Seconds before the next login attempt for ``user`` is accepted, for every session."""
    now = time.time() if now is None else now
    with _throttles(path) as table:
        return _throttle_of(table, user, now).wait(now)


def login_failed(user: str, path: Path | None = None, now: float | None = None) -> Throttle:
    """Record a failed login for ``user`` (any session); returns its throttle now."""
    now = time.time() if now is None else now
    with _throttles(path, write=True) as table:
        throttle = _throttle_of(table, user, now).failed(now)
        table[_user_key(user)] = [throttle.failures, throttle.blocked_until]
        for key, (_, until) in list(table.items()):
            if now - until > FORGET_AFTER_S:
                del table[key]
    return throttle


def login_succeeded(user: str, path: Path | None = None) -> None:
    """Forget ``user``'s failed logins."""
    with _throttles(path, write=True) as table:
        table.pop(_user_key(user), None)


def _user_key(user: str) -> str:
    return " ".join(str(user).split()).casefold()


def _throttle_of(table: dict, user: str, now: float) -> Throttle:
    failures, until = table.get(_user_key(user), (0, 0.0))
    if now - until > FORGET_AFTER_S:
        return Throttle()
    return Throttle(int(failures), float(until))


@contextlib.contextmanager
def _throttles(path: Path | None, write: bool = False):
    """The throttle table ``{user: [failures, blocked_until]}`` under a lock; written back
    atomically when ``write``. A damaged file counts as empty."""
    path = throttle_file() if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.with_name(path.name + ".lock")):
        try:
            table = json.loads(path.read_text(encoding="utf-8"))
            table = table if isinstance(table, dict) else {}
        except (OSError, ValueError):
            table = {}
        yield table
        if write:
            write_json(path, table)


# ---- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessConfig:
    """How users get in. With nothing configured the app is open (as on one's own machine).

    ``providers`` are the OpenID Connect providers of the ``[auth]`` secrets section, as passed
    to ``st.login`` (:data:`DEFAULT_PROVIDER` for the unnamed one).
    """

    password_hash: str | None = None
    viewer_password_hash: str | None = None
    providers: tuple[str, ...] = ()
    readonly_users: frozenset[str] = field(default_factory=frozenset)
    admin_users: frozenset[str] = field(default_factory=frozenset)

    @property
    def open(self) -> bool:
        """Whether no login is needed."""
        return not (self.password_hash or self.viewer_password_hash or self.providers)

    @property
    def has_password(self) -> bool:
        """Whether the login form asks for a password."""
        return bool(self.password_hash or self.viewer_password_hash)

    def password_role(self, password: str) -> str | None:
        """:data:`EDITOR` or :data:`VIEWER` for a right password, None for a wrong one.

        Both hashes are always checked, so the time taken does not tell which one matched.
        """
        editor = self.password_hash is not None and verify_password(password, self.password_hash)
        viewer = self.viewer_password_hash is not None and verify_password(
            password, self.viewer_password_hash
        )
        return EDITOR if editor else VIEWER if viewer else None

    def role_of(self, user: str, role: str = EDITOR) -> str:
        """``role``, lowered to :data:`VIEWER` for a user listed as read-only, raised to
        :data:`ADMIN` for an editor listed as an admin."""
        if user.casefold() in self.readonly_users:
            return VIEWER
        return ADMIN if role == EDITOR and user.casefold() in self.admin_users else role


def read_config(
    secrets_map: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> AccessConfig:
    """The access configuration from secrets.toml's contents and the environment.

    An environment variable wins over the secrets key of the same name. Raises ParamsError for
    a malformed hash, an ``[auth]`` section without a provider, or a plain-text password.
    """
    env = os.environ if env is None else env

    def get(key: str) -> Any:
        value = env.get(key)
        return value if value not in (None, "") else secrets_map.get(key)

    for plain in ("GENRELAB_PASSWORD", "GENRELAB_VIEWER_PASSWORD"):
        if get(plain):
            raise ParamsError(
                f"{plain} holds a plain-text password: store its hash in {plain}_HASH instead "
                "(make one with `python -m core.access hash-password`)."
            )
    hashes = [get(key) for key in (PASSWORD_HASH_KEY, VIEWER_HASH_KEY)]
    editor, viewer = (check_hash(str(h)) if h else None for h in hashes)
    readonly, admins = (_user_set(get(key)) for key in (READONLY_USERS_KEY, ADMIN_USERS_KEY))
    return AccessConfig(editor, viewer, _providers(secrets_map.get("auth")), readonly, admins)


def _user_set(users: Any) -> frozenset[str]:
    """A comma-separated string or a list of user names, as a set of case-folded names."""
    users = users.split(",") if isinstance(users, str) else users or ()
    return frozenset(str(u).strip().casefold() for u in users if str(u).strip())


def _providers(auth: Any) -> tuple[str, ...]:
    """Provider names of an ``[auth]`` section: the unnamed one and ``[auth.<name>]`` tables."""
    if not auth:
        return ()
    if not isinstance(auth, Mapping):
        raise ParamsError("[auth] in secrets.toml must be a table (see docs/DEPLOY.md).")
    names = [DEFAULT_PROVIDER] if "client_id" in auth else []
    names += [k for k, v in auth.items() if isinstance(v, Mapping) and "client_id" in v]
    if not names:
        raise ParamsError(
            "The [auth] section of secrets.toml names no provider: give it client_id, "
            "client_secret and server_metadata_url, or add [auth.<provider>] tables."
        )
    return tuple(names)


def clean_user_name(name: str) -> str:
    """A typed user name, trimmed and with inner whitespace collapsed; AccessError if empty."""
    cleaned = " ".join(str(name).split())[:MAX_USER_NAME]
    if not cleaned:
        raise AccessError("Enter your name: the runs you start are labelled with it.")
    return cleaned


# ---- hosted mode ---------------------------------------------------------------------------------


def check_queue_cap(runs: Iterable[Run], user: str, cap: int) -> None:
    """AccessError if ``user`` already has ``cap`` of ``runs`` (read with details) queued or
    running; ``cap`` <= 0 means no limit."""
    count = sum(1 for run in runs if run.status.active and run.user == user)
    if cap > 0 and count >= cap:
        raise AccessError(
            f"You already have {count} job(s) queued or running, the most one user may have "
            "here. Wait for one to finish, or cancel one."
        )


def submit_job(
    config: RunConfig | dict,
    name: str,
    user: str,
    role: str = EDITOR,
    cap: int = 0,
    root: str | os.PathLike | None = None,
) -> Run:
    """Queue a job of any kind (``config.kind``, default training) for ``user`` acting as
    ``role``, through :func:`core.runs.jobs.submit`.

    Refused (AccessError) for a viewer and when ``user`` has ``cap`` jobs of any kind queued or
    running (``cap`` <= 0: no limit). Counting and queueing happen under one lock, so two
    sessions of the same user submitting at once cannot pass the cap together.
    """
    from core.runs import jobs
    from core.runs.kinds import VERBS, kind_of

    authorize(Actor(user, role), VERBS[kind_of(config)])
    with _queue_room(user, cap, root):
        return jobs.submit(config, name=name, user=user, root=root)


def resume_job(
    run_id: str, user: str, role: str = EDITOR, cap: int = 0, root: str | os.PathLike | None = None
) -> Run:
    """Queue a failed or cancelled training run again (see :func:`core.runs.jobs.resume`) for
    ``user`` acting as ``role``: its owner or an admin, within the cap and quota of
    :func:`submit_job`."""
    from core.runs import jobs

    with _queue_room(user, cap, root):
        return jobs.resume(run_id, root, actor=Actor(user, role))


@contextlib.contextmanager
def _queue_room(user: str, cap: int, root: str | os.PathLike | None) -> Iterator[None]:
    """Hold the queue's lock while ``user`` is checked against ``cap`` and their disk quota
    and a job is queued."""
    from core.runs import list_runs, models_root
    from core.storage import quota

    folder = models_root(root)
    folder.mkdir(parents=True, exist_ok=True)
    with locked(folder / ".submit.lock"):
        if cap > 0:
            check_queue_cap(list_runs(folder), user, cap)
        quota.check_room(user, 0, "start a run")
        yield


# ---- command line --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``python -m core.access hash-password [--method scrypt|pbkdf2]``: print a hash to store.

    Asks for the password twice on a terminal; reads one line from standard input otherwise.
    """
    parser = argparse.ArgumentParser(prog="python -m core.access")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("hash-password", help="hash a password for GENRELAB_PASSWORD_HASH")
    make.add_argument("--method", choices=("scrypt", "pbkdf2"), default="scrypt")
    args = parser.parse_args(argv)
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("The passwords differ.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        print(hash_password(password, args.method))
    except ParamsError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())


def delete_stored(category: str, name: str, actor: Actor | None = None) -> None:
    """Delete the stored item ``name`` of ``category`` (see :mod:`core.storage.quota`): only
    its owner or an admin may (``actor`` None: the local user).

    Raises GenreLabError for an unknown item, AccessError for someone else's.
    """
    from core.features import delete_store
    from core.runs import delete_run
    from core.storage import quota
    from core.storage.publish import discard

    folder = quota.roots().get(category)
    if folder is None or not name or name.startswith(".") or "/" in name:
        raise GenreLabError(f"There is no {category} item named {name!r}.")
    path = folder / name
    if not path.exists():
        raise GenreLabError(f"There is no {quota.CATEGORIES[category][:-1]} named {name!r}.")
    actor = authorize(actor, f"delete {name}", owner=quota.owner(category, path))
    if category == "runs":
        delete_run(name, folder, actor=actor)
    elif category == "features":
        delete_store(name, folder, actor=actor)
    elif path.is_dir():
        discard(path)
    else:
        path.unlink()
    quota.forget(category, name)
