"""In chromium: an exported comparison report with hostile run names runs no script and loads
nothing, and a fresh password-protected server lists no page before login."""

from __future__ import annotations

import pytest

from core.access import PASSWORD_HASH_KEY, hash_password
from tests.browser_support import ARTIFACTS, launch_chromium, require_browser, start_server
from tests.test_browser import NAV, PASSWORD, log_in
from tests.test_escaping import evil_report

pytestmark = pytest.mark.browser


#: Remembers in ``window.__navSeen`` whether Streamlit's page list was ever drawn.
_WATCH_NAV = """
new MutationObserver(() => {
  if (document.querySelector('[data-testid="stSidebarNav"]')) window.__navSeen = true;
}).observe(document, {childList: true, subtree: true});
"""


@pytest.fixture(scope="module")
def chromium():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def test_the_exported_report_runs_no_script_from_run_names(chromium, tmp_path):
    report = tmp_path / "report.html"
    report.write_text(evil_report(tmp_path / "models"), encoding="utf-8")
    page = chromium.new_page()
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    page.get_by_text("comparison of runs").first.wait_for()
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    assert dialogs == [] and [u for u in requests if u != report.as_uri()] == []
    assert page.get_by_text("<script>window.__xss=1</script>", exact=False).count() > 0
    page.close()


def test_a_fresh_server_lists_no_page_before_login(chromium, tmp_path):
    server = start_server(
        tmp_path / "data",
        tmp_path / "models",
        ARTIFACTS / "browser-fresh-server.log",
        env={PASSWORD_HASH_KEY: hash_password(PASSWORD)},
    )
    try:
        page = chromium.new_page()
        page.add_init_script(_WATCH_NAV)
        page.goto(f"{server.url}/explore")  # a deep link, the first request this server sees
        page.get_by_text("log in to continue").wait_for(timeout=120_000)
        page.screenshot(path=ARTIFACTS / "fresh-server-login.png", full_page=True)
        assert page.evaluate("() => window.__navSeen") is None  # not even for a moment
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert page.locator(NAV).count() == 0
        assert page.get_by_role("link", name="explore").count() == 0
        log_in(page, server.url, "ada")
        page.locator(NAV).get_by_role("link", name="Explore", exact=True).wait_for(timeout=120_000)
        assert page.locator(NAV).get_by_role("link").count() == 7  # pages, Sweeps too
        page.close()
    finally:
        server.stop()
