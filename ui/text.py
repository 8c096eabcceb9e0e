"""User text inside Markdown: run names, labels, user names, file names and error messages are
shown as plain text (no links, images, colours or icons from their characters), with server
paths hidden in hosted mode."""

from __future__ import annotations

import re

from core.evaluation.comparison import RunResults
from core.public_paths import hide_paths
from core.runs import Run
from core.runs.provenance import provenance

#: The characters that make Markdown load or run something, or restyle text: links and images
#: (``[``, ``]``, ``!``), code, emphasis, HTML, tables, headings, and Streamlit's own directives
#: (``:red[...]``, ``:material/x:``, ``$...$``). Dots, dashes, underscores and quotes stay
#: as they are (CommonMark leaves them alone inside words), so ids and file names read unchanged.
_SPECIAL = re.compile(r"([\\`*\[\]<>!$:~|#])")


def plain(text: object) -> str:
    """``text`` escaped for ``st.markdown`` and the Markdown of ``st.caption``, ``st.error``...:
    it shows as typed (underscores aside), on one line.

    >>> print(plain("![x](http://a/b.png) **b** run_1.wav"))
    \\!\\[x\\](http\\://a/b.png) \\*\\*b\\*\\* run_1.wav
    """
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))


def error_text(exc: BaseException) -> str:
    """An error's message for the page: plain text, server paths hidden in hosted mode."""
    return plain(hide_paths(str(exc)))


def provenance_markdown(run: Run) -> str:
    """A run's :func:`~core.runs.provenance.provenance` as Markdown lines (``**what**: value``),
    every value shown as plain text."""
    return "  \n".join(f"**{what}**: {plain(value)}" for what, value in provenance(run))


def run_option(run: Run | RunResults) -> str:
    """A run as a choice in a select box: its name and id (two runs may share a name, and a
    select box tells its choices apart by their text)."""
    return run.id if run.label == run.id else f"{run.label} · {run.id}"
