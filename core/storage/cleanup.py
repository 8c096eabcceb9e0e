"""What killed work leaves behind, removed at start: hidden build and trash folders.

Folders are built out of sight and renamed into place (:mod:`core.storage.publish`), so a kill -9
during an unpacking, a demo generation, a feature build or a run import leaves only a hidden
folder. :func:`clean_leftovers` removes those of processes that are gone, and the folders older
versions named differently (``.<name>.<random>.part``, ``.demo-partial-*``, ``.demo-old-*``,
``.import-*``: nothing makes these any more). The app, the command line and the job scheduler
call it when they start::

    clean_leftovers()
"""

from __future__ import annotations

import re
import shutil

from core import settings
from core.storage.publish import remove_leftovers

#: Hidden folders of versions before core.storage.publish (no process id in their names).
_OLD_STYLE = re.compile(r"^\.(?:.+\.part|.+-partial-.+|.+-old-.+|import-[0-9a-f]+)$")


def clean_leftovers() -> None:
    """Remove the leftovers of killed work from the data and models folders (see module)."""
    s = settings.current()
    for folder in (s.data_dir, s.unpack_dir, s.uploads_dir, s.features_dir, s.models_dir):
        remove_leftovers(folder)
        if folder.is_dir():
            for path in folder.iterdir():
                if _OLD_STYLE.match(path.name) and path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
