"""Names and labels are plain text everywhere: the exported comparison HTML (parsed here, and
opened in chromium by tests/test_browser_hardening.py), the Markdown of the pages, and messages
that would show server paths in hosted mode."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import settings
from core.evaluation.report import build_report
from core.public_paths import hide_paths, public_path
from core.runs import delete_run
from tests.test_evaluate import _fake_run
from ui.text import error_text, plain

APP = str(Path(__file__).resolve().parents[1] / "app.py")
#: A run name that runs script if written into HTML unescaped, and loads a remote image if
#: rendered as Markdown.
EVIL = (
    "</script><script>window.__xss=1</script><img src=x onerror=window.__xss=2>"
    "![x](http://127.0.0.1:9/x.png) :red[red]"
)


class _Tags(HTMLParser):
    """Every start tag and its attributes, and the text of each script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _parse(report: str) -> _Tags:
    parser = _Tags()
    parser.feed(report)
    return parser


def evil_report(root: Path) -> str:
    """A comparison report of two runs named :data:`EVIL` (and ``B`` + it)."""
    a = _fake_run(root, EVIL, [1, 1, 0, 1, 0, 1, 0, 1])
    b = _fake_run(root, "B" + EVIL, [1] * 8, lr=3e-3)
    return build_report([a, b])


def test_run_names_in_the_report_are_text_not_markup(tmp_path):
    evil = _parse(evil_report(tmp_path / "evil"))
    a = _fake_run(tmp_path / "plain", "A", [1, 1, 0, 1, 0, 1, 0, 1])
    b = _fake_run(tmp_path / "plain", "B", [1] * 8, lr=3e-3)
    plain_report = _parse(build_report([a, b]))
    # the same elements as with harmless names: no script, image or handler came from a name
    assert [t for t, _ in evil.tags] == [t for t, _ in plain_report.tags]
    assert not any(k.startswith("on") for _, attrs in evil.tags for k in attrs)
    # inside scripts (Plotly's JSON) a name cannot close the element: "</" is escaped
    assert all("</script" not in s.lower() for s in evil.scripts)
    assert not any(s.lstrip().startswith("window.__xss") for s in evil.scripts)


def test_plain_markdown_shows_names_as_typed():
    escaped = plain(EVIL)
    assert not re.search(r"(?<!\\)(!\[|\]\(|<|:red\[)", escaped), escaped
    assert re.sub(r"\\(.)", r"\1", escaped) == EVIL  # un-escaping gives the name back
    assert plain("line one\n# line two") == "line one \\# line two"


def test_compare_page_shows_run_names_as_plain_text():
    runs = [
        _fake_run(settings.current().models_dir, EVIL, [1, 1, 0, 1, 0, 1, 0, 1]),
        _fake_run(settings.current().models_dir, "B" + EVIL, [1] * 8, lr=3e-3),
    ]
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["runs"] = ",".join(r.id for r in runs)
        at.run()
        at.switch_page("pages/compare.py").run()
        assert not at.exception, at.exception
        shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
        shown += [w.value for w in (*at.warning, *at.success, *at.info, *at.error)]
        assert any("beats" in text and "script" in text for text in shown), shown
        for text in shown:  # a name never reaches Markdown unescaped
            assert not re.search(r"(?<!\\)(!\[x\]|<img|<script|:red\[)", text), text
    finally:
        for r in runs:
            delete_run(r.id)


def test_messages_hide_server_paths_in_hosted_mode(monkeypatch):
    data, models = settings.current().data_dir, settings.current().models_dir
    message = f"No such file: {data}/GTZAN/a.wav; see {models}/run-1/worker.log or /etc/x.conf."
    assert hide_paths(message, hosted=False) == message
    hidden = hide_paths(message, hosted=True)
    expected = "No such file: data/GTZAN/a.wav; see models/run-1/worker.log or x.conf."
    assert hidden == expected, hidden
    assert public_path(data / "x" / "y.wav") == "data/x/y.wav"
    monkeypatch.setenv("GENRELAB_HOSTED", "1")
    from core.dataset import discover
    from core.errors import DatasetError

    with pytest.raises(DatasetError) as caught:
        discover(data / "nowhere")
    assert str(data) in str(caught.value)  # core says where, for the log and the CLI
    assert str(data) not in error_text(caught.value) and "data/nowhere" in error_text(caught.value)
    assert "http\\://host/a" in error_text(ValueError("see http://host/a"))  # URLs left alone
