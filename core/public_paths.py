"""Server paths as users may see them: relative to the data or models folder, or by name.

In hosted mode, messages shown to users must not reveal where the server keeps its files.
:func:`public_path` names one path that way; :func:`hide_paths` rewrites every absolute path in
a message (an error's text, say) and leaves the message as it is outside hosted mode.

Examples
--------
>>> from pathlib import Path
>>> public_path(Path("/srv/gl/data/GTZAN/blues.00001.wav"), {"data": Path("/srv/gl/data")})
'data/GTZAN/blues.00001.wav'
>>> public_path("/etc/passwd", {})
'passwd'
>>> hide_paths("No such file: /srv/gl/data/x.wav (see /tmp/a b)", {"data": Path("/srv/gl/data")},
...            hosted=True)
'No such file: data/x.wav (see a b)'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from core import settings
from core.errors import GenreLabError

#: An absolute POSIX path inside a message: a ``/`` not preceded by a word character, a dot,
#: a colon or another slash (so ``a/b`` and ``http://host/x`` are left alone).
_ABSOLUTE = re.compile(r"(?<![\w.:/~-])/[^\s'\"`,;()\[\]{}<>]*[^\s'\"`,;()\[\]{}<>.:]")


def known_roots() -> dict[str, Path]:
    """The folders users know by name: ``data`` and ``models`` (from :mod:`core.settings`;
    none while the settings are invalid)."""
    try:
        now = settings.current()
    except GenreLabError:
        return {}
    return {"data": now.data_dir, "models": now.models_dir}


def public_path(path: str | os.PathLike, roots: Mapping[str, Path] | None = None) -> str:
    """``path`` relative to a known folder (``data/...``, ``models/...``), else its name."""
    path = PurePosixPath(os.fspath(path))
    for name, root in (known_roots() if roots is None else roots).items():
        try:
            rest = path.relative_to(PurePosixPath(root))
        except ValueError:
            continue
        return str(PurePosixPath(name) / rest)
    return path.name or str(path)


def hide_paths(
    text: str, roots: Mapping[str, Path] | None = None, hosted: bool | None = None
) -> str:
    """``text`` with every absolute path replaced by :func:`public_path` in hosted mode
    (``hosted`` default: the hosted-mode setting, taken as hosted while the settings are
    invalid, so that the message reporting them leaks nothing); unchanged otherwise."""
    if hosted is None:
        try:
            hosted = settings.current().hosted
        except GenreLabError:
            hosted = True
    if not hosted:
        return text
    return _ABSOLUTE.sub(lambda m: public_path(m.group(0), roots), text)
