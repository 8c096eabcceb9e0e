"""End-to-end tests in a real browser: Debian's chromium, driven by Playwright, against
``streamlit run app.py`` on a free port with fresh data and models folders.

The demo dataset is generated on the first page load, and one tiny training run (mel "fast",
1 epoch, 2 folds) is started from the Train page and then compared and used for a prediction.
Screenshots of every step go to ``test-artifacts/`` (named after the test), with the server's log.
The deep-link test comes first on purpose: a freshly started server is the case where a page
opened by URL could run without the app's navigation.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.genres import GENRES
from core.runs import RunStatus, load_run
from tests.browser_support import (
    ARTIFACTS,
    REPO,
    Server,
    cancel_active_runs,
    free_port,
    launch_chromium,
    require_browser,
    start_server,
)
from tests.conftest import SHARED_GTZAN, write_tone

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 2600}  # tall: the main area scrolls inside the page
FIRST_LOAD_MS = 180_000  # the first page load generates the demo dataset
STEP_MS = 90_000  # one rerun on a loaded machine
TRAIN_S = 300  # the tiny run, queued to completed
PAGES = {  # navigation label: (page title, a text drawn late in the page; settle() does the rest)
    "Home": ("Genre Lab", "What next"),
    "Explore": ("Explore", "The published fault catalog is GTZAN's"),
    "Spectrogram Lab": ("Spectrogram Lab", "Feature stores"),
    "Train": ("Train", "All runs"),
    "Compare": ("Compare runs", re.compile("No runs yet|Pick two or more runs|Accuracy per fold")),
    "Sweeps": ("Sweeps", re.compile("No sweeps yet|Compare these trials|Sweeps train on mel")),
    "Predict": ("Predict", re.compile("No trained run yet|processed with the run's own settings")),
}
NAV = ".st-key-app_nav"  # the app's page links in the sidebar (ui/shell.py)
RUN_NAME = "browser run"
V1_RUN = "20261202-003815-9ff1"  # tests/data/run_v1: a finished run, for the tests that need one
PASSWORD = "open sesame"


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    root = tmp_path_factory.mktemp("browser")
    app = start_server(root / "data", root / "models", ARTIFACTS / "browser-server.log")
    yield app
    cancel_active_runs(app.models_dir)
    app.stop()


@pytest.fixture(scope="module")
def locked_server(server, tmp_path_factory) -> Server:
    """A second server, behind a password, on the first one's data folder (its demo set)."""
    from core.access import PASSWORD_HASH_KEY, hash_password

    root = tmp_path_factory.mktemp("locked")
    app = start_server(
        server.data_dir,
        root / "models",
        ARTIFACTS / "browser-locked-server.log",
        env={PASSWORD_HASH_KEY: hash_password(PASSWORD)},
    )
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@dataclass
class Session:
    """Browser contexts of one test, each a separate user; screenshots named after the test."""

    browser: object
    test: str
    contexts: list = field(default_factory=list)

    def page(self):
        """A page in a new context (fresh cookies and session)."""
        context = self.browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(STEP_MS)
        self.contexts.append(context)
        return context.new_page()

    def shot(self, page, step: str) -> Path:
        path = ARTIFACTS / f"{self.test}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path

    def close(self, failed: bool) -> None:
        """Close the contexts; after a failure, screenshot every page as it was left first."""
        for n, context in enumerate(self.contexts):
            for page in context.pages if failed else []:
                self.shot(page, f"failed-{n}")
            context.close()


@pytest.fixture
def session(browser, request) -> Session:
    s = Session(browser, request.node.name)
    failures = request.session.testsfailed
    yield s
    s.close(failed=request.session.testsfailed > failures)


_trained: dict[str, str] = {}  # the run test_train_page... made, for the tests after it


@pytest.fixture
def completed_run(server, browser, request) -> str:
    """The id of the tiny run; trained here when the Train test did not run (or failed)."""
    if "id" not in _trained:
        s = Session(browser, f"{request.node.name}-setup")
        try:
            train_in_browser(s, server)
        except BaseException:
            s.close(failed=True)
            raise
        s.close(failed=False)
    return _trained["id"]


# -- helpers --------------------------------------------------------------------------------------
def wait_title(page, title: str, timeout: float = STEP_MS) -> None:
    page.get_by_role("heading", level=1, name=title).wait_for(timeout=timeout)


def wait_text(page, text: str | re.Pattern, timeout: float = STEP_MS) -> None:
    """Wait until ``text`` is in the page (also inside a tab that is not shown)."""
    page.get_by_text(text).first.wait_for(state="attached", timeout=timeout)


def settle(page, timeout: float = STEP_MS) -> None:
    """Wait until the script has finished and every element is drawn (no loading skeletons)."""
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]')
                    ?.getAttribute("data-test-script-state") === "notRunning"
                 && !document.querySelector('[data-testid="stSkeleton"]')""",
        timeout=timeout,
    )


def assert_clean(page) -> None:
    """No exception box and no error message on the page."""
    for test_id in ("stException", "stAlertContentError"):
        boxes = page.locator(f'[data-testid="{test_id}"]')
        assert boxes.count() == 0, f"{test_id} on {page.url}: {boxes.first.inner_text()}"


def go(page, label: str) -> None:
    """Open a page with the sidebar navigation and wait until its script has drawn to the end."""
    page.locator(NAV).get_by_role("link", name=label, exact=True).click()
    title, end = PAGES[label]
    wait_title(page, title)
    wait_text(page, end)
    settle(page)


def nav_labels(page) -> list[str]:
    """The page names in the sidebar navigation (without the icons' ligature names)."""
    names = page.locator(
        f'{NAV} [data-testid="stPageLink-NavLink"] [data-testid="stMarkdownContainer"]'
    )
    names.first.wait_for()
    return [text.strip() for text in names.all_inner_texts()]


def choose(page, box: str, option: str | re.Pattern) -> None:
    """Pick ``option`` in the select box labelled ``box``."""
    page.get_by_role("combobox", name=box).click()
    page.get_by_role("option", name=option).first.click()
    settle(page)


def log_in(page, url: str, name: str) -> None:
    """Open ``url`` on the locked server and log in with the shared password."""
    page.goto(url)
    wait_title(page, "Genre Lab", FIRST_LOAD_MS)
    wait_text(page, "log in to continue")
    page.get_by_role("textbox", name="Your name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in with the password").click()


def drawn_shape(page) -> str:
    """The shape of the Spectrogram Lab's first mel spectrogram, as its caption gives it."""
    caption = page.get_by_text(re.compile(r"shape \d+ x")).first.inner_text()
    return re.search(r"shape [\d x]+\d", caption).group()


def shown_link(page) -> str:
    """The link in the sidebar's "Link to this view" box."""
    return page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').inner_text().strip()


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")


def slider_value(page, label: str):
    """The value shown on the thumb of the slider labelled ``label`` (a locator)."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label)
    return slider.locator('[data-testid="stSliderThumbValue"]')


def table_status(page, run_id: str) -> str | None:
    """The status cell of run ``run_id`` in the "All runs" table (its accessible copy)."""
    rows = page.locator('[data-testid="stDataFrame"] tr').filter(has_text=run_id)
    if rows.count() == 0:  # the id column sits last, out of view at this width: by the run's name
        rows = page.locator('[data-testid="stDataFrame"] tr').filter(has_text=RUN_NAME)
    if rows.count() == 0:
        return None
    cells = [c.strip() for c in rows.first.locator("td").all_text_contents()]
    return next((c for c in cells if c in {s.value for s in RunStatus}), None)


def train_in_browser(s: Session, server: Server) -> tuple[str, list[str]]:
    """Start the tiny run on the Train page and watch it to "completed" in the table.

    Returns the run id and the progress texts seen on the way.
    """
    page = s.page()
    page.goto(server.url)
    wait_title(page, "Genre Lab", FIRST_LOAD_MS)
    go(page, "Train")
    page.get_by_role("combobox", name="Mel spectrogram").click()
    page.get_by_role("option", name=re.compile(r"^preset: fast")).click()
    set_number(page, "Epochs", 1)
    set_number(page, "Folds (k)", 2)
    name = page.get_by_label("Run name (optional)")
    name.fill(RUN_NAME)
    name.press("Enter")
    page.get_by_role("button", name="Start training").click()
    queued = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Queued run")
    run_id = queued.locator("code").inner_text().strip()
    s.shot(page, "queued")

    progress: list[str] = []
    pattern = re.compile(r"Computing features: \d+ / \d+ clips|Fold \d+/\d+ · epoch \d+/\d+")
    deadline = time.monotonic() + TRAIN_S
    while (status := table_status(page, run_id)) != RunStatus.COMPLETED.value:
        if status in (RunStatus.FAILED.value, RunStatus.CANCELLED.value):
            log = server.models_dir / run_id / "worker.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            pytest.fail(f"run {run_id} {status}:\n{tail}")
        assert time.monotonic() < deadline, f"run {run_id} not completed in {TRAIN_S} s ({status})"
        seen = pattern.findall(page.locator('[data-testid="stMain"]').inner_text())
        if seen and not progress:
            s.shot(page, "progress")
        progress += [text for text in seen if text not in progress]
        time.sleep(1)
    s.shot(page, "completed")
    _trained["id"] = run_id
    return run_id, progress


# -- tests ----------------------------------------------------------------------------------------
def test_deep_link_opens_the_page_inside_the_app(server, session):
    page = session.page()
    page.goto(f"{server.url}/explore?dataset=demo")
    wait_title(page, "Explore", FIRST_LOAD_MS)
    wait_text(page, PAGES["Explore"][1])
    settle(page)
    session.shot(page, "explore")
    assert nav_labels(page) == list(PAGES)  # the app's navigation, not the pages/ folder
    assert page.get_by_role("tab", name="Clips").is_visible()
    assert re.search(r"/explore\?(.*&)?dataset=demo", page.url), page.url
    assert_clean(page)


PAGE_PATHS = {  # the URL path of each page but Home (its script's name), and its label
    "explore": "Explore",
    "spectrogram_lab": "Spectrogram Lab",
    "train": "Train",
    "compare": "Compare",
    "sweep": "Sweeps",
    "predict": "Predict",
}


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_a_page_url_is_the_first_request_of_a_fresh_server(server, session, tmp_path, path):
    """Why every page starts with ``require_shell()`` (ui/shell.py): a freshly started server
    whose first request is a page's URL runs that page's script bare, without app.py, when a
    ``pages/`` folder sits beside app.py. Measured with the ``require_shell()`` lines removed:
    /explore then showed Streamlit's own navigation of the pages/ folder (app, compare,
    explore, home, ...) and no dataset picker, so this test failed; with them it passes. Each
    URL gets its own new server and browser context."""
    fresh = start_server(server.data_dir, tmp_path / "models", ARTIFACTS / f"browser-{path}.log")
    try:
        page = session.page()
        page.goto(f"{fresh.url}/{path}")
        title, end = PAGES[PAGE_PATHS[path]]
        wait_title(page, title, FIRST_LOAD_MS)
        wait_text(page, end)
        settle(page)
        session.shot(page, path)
        assert nav_labels(page) == list(PAGES)  # the app's pages, not the pages/ folder
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_role("heading", name="Dataset", exact=True).is_visible()
        assert_clean(page)
    finally:
        fresh.stop()


def test_the_train_form_keeps_its_values_when_a_fresh_session_resumes_a_run(
    server, session, tmp_path
):
    """Measured without the first-run rerun in ui/shell.py: on a fresh server, resuming a run
    from the Train page's first view set every field of the form to its minimum (1 epoch,
    batch 1, lr 1e-06...), and the next run started would have used them."""
    import json

    stopped = tmp_path / "models" / "20200101-000000-5709"  # the v1 run, cancelled
    shutil.copytree(REPO / "tests" / "data" / "run_v1" / V1_RUN, stopped)
    status = json.loads((stopped / "status.json").read_text())
    (stopped / "status.json").write_text(json.dumps({**status, "status": "cancelled"}))
    models = stopped.parent
    fresh = start_server(server.data_dir, models, ARTIFACTS / "browser-resume.log")
    try:
        page = session.page()
        page.goto(f"{fresh.url}/train")
        wait_title(page, "Train", FIRST_LOAD_MS)
        page.get_by_text("Resume a stopped run").first.wait_for(timeout=FIRST_LOAD_MS)
        time.sleep(4)  # as a user reads the page
        page.get_by_text("Resume a stopped run").first.click()
        time.sleep(2)
        page.get_by_role("button", name="Resume run").click()
        wait_text(page, "it is queued")
        time.sleep(3)  # the job monitor refreshes meanwhile
        settle(page)
        session.shot(page, "resumed")
        epochs = page.get_by_label("Epochs", exact=True).input_value()
        batch = page.get_by_label("Batch size", exact=True).input_value()
        assert (epochs, batch) == ("30", "10"), (epochs, batch)
    finally:
        fresh.stop()


def test_every_page_opens_from_the_navigation(server, session):
    page = session.page()
    page.goto(server.url)
    wait_title(page, "Genre Lab", FIRST_LOAD_MS)
    assert nav_labels(page) == list(PAGES)
    for label in [*list(PAGES)[1:], "Home"]:
        go(page, label)
        session.shot(page, re.sub(r"\W+", "_", label.lower()))
        assert_clean(page)
    assert "demo" in page.get_by_role("heading", name="Dataset:").inner_text()


def test_train_page_runs_a_tiny_job_and_compare_shows_its_confusion(server, session):
    run_id, progress = train_in_browser(session, server)
    assert progress, "the Train page never showed the run's progress"
    run = load_run(run_id, server.models_dir)
    assert run.name == RUN_NAME
    assert (run.config["train"]["epochs"], run.config["train"]["k"]) == (1, 2)
    assert run.config["input"]["mel"]["n_mels"] == 64  # the "fast" preset

    page = session.page()
    page.goto(f"{server.url}/compare?runs={run_id}")
    wait_title(page, "Compare runs")
    page.get_by_role("tab", name="Confusion").click()
    chart = page.locator(".js-plotly-plot").filter(has=page.locator(".heatmaplayer image"))
    chart.first.wait_for()
    settle(page)
    session.shot(page, "confusion")
    text = chart.first.text_content()
    assert "true genre" in text and "predicted genre" in text
    assert all(genre in text for genre in GENRES)
    assert_clean(page)


def test_predict_page_names_the_genre_of_an_uploaded_clip(server, session, completed_run, tmp_path):
    clip = SHARED_GTZAN / "audio_sample" / "blues" / "blues.00000.wav"
    if not clip.exists():
        clip = write_tone(tmp_path / "tone.wav", seconds=12.0)
    page = session.page()
    page.goto(f"{server.url}/predict")
    wait_title(page, "Predict", FIRST_LOAD_MS)
    assert RUN_NAME in page.get_by_role("combobox", name="Trained run").input_value()
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(clip)
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Predicted genre")
    genre = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    wait_text(page, "Mel spectrogram (first window)")
    settle(page)
    session.shot(page, "predicted")
    assert genre in GENRES
    assert page.get_by_text(clip.name).count()  # the uploaded file is listed
    assert_clean(page)


def test_a_copied_compare_link_opens_the_same_selection(server, session, completed_run):
    page = session.page()
    page.goto(f"{server.url}/compare")
    wait_text(page, "Pick two or more runs", FIRST_LOAD_MS)
    page.get_by_role("combobox", name="Runs to compare").click()
    page.get_by_role("option", name=re.compile(re.escape(completed_run))).click()
    page.keyboard.press("Escape")
    wait_text(page, "Accuracy per fold")
    settle(page)
    deadline = time.monotonic() + STEP_MS / 1000
    while f"runs={completed_run}" not in page.url:
        assert time.monotonic() < deadline, f"the selection never reached the URL: {page.url}"
        time.sleep(0.2)
    session.shot(page, "chosen")

    other = session.page()  # a second browser context: another user opening the copied link
    other.goto(page.url)
    wait_title(other, "Compare runs")
    chosen = other.locator('[data-testid="stMultiSelect"]').filter(has_text="Runs to compare")
    chosen.get_by_text(completed_run).wait_for()  # the chip of the chosen run
    other.locator(".js-plotly-plot").first.wait_for()  # accuracy per fold of that run
    settle(other)
    session.shot(other, "opened")
    assert other.get_by_text("Not found among the completed runs").count() == 0
    assert f"runs={completed_run}" in other.url
    assert_clean(other)


def test_log_in_with_the_password_and_a_copied_lab_link_shows_the_same_view(locked_server, session):
    page = session.page()
    log_in(page, f"{locked_server.url}/spectrogram_lab", "ada")
    wait_title(page, "Spectrogram Lab", FIRST_LOAD_MS)
    wait_text(page, "Feature stores")
    settle(page)
    assert page.get_by_text("Signed in as ada").count()
    choose(page, "Genre", "metal")
    choose(page, "Clip", re.compile(r"^metal\.\d+$"))
    choose(page, "Preset", "fast")
    wait_text(page, re.compile(r"shape \d+ x 64 x"))
    settle(page)
    link = shown_link(page)
    session.shot(page, "tuned")
    assert link.startswith(f"{locked_server.url}/spectrogram_lab?"), link
    assert "mel=fast" in link and re.search(r"clip=metal\.\d+", link), link
    clip = page.get_by_role("combobox", name="Clip").input_value()
    shape = drawn_shape(page)

    other = session.page()  # a collaborator: a new context, logged out, opening the copied link
    log_in(other, link, "grace")
    wait_title(other, "Spectrogram Lab", FIRST_LOAD_MS)
    wait_text(other, "Feature stores")
    settle(other)
    session.shot(other, "opened")
    assert other.get_by_role("combobox", name="Clip").input_value() == clip
    assert other.get_by_role("combobox", name="Preset").first.input_value() == "fast"
    assert drawn_shape(other) == shape
    assert shown_link(other) == link
    assert_clean(other)


def test_openid_connect_login_through_a_loopback_provider(server, session, tmp_path):
    """st.login against a real (tiny) OpenID provider: redirect, code, signed ID token."""
    from tests.oidc_provider import OIDCProvider

    with OIDCProvider({"sub": "u-1", "email": "ada@example.org", "name": "Ada"}) as provider:
        port = free_port()
        secrets_toml = tmp_path / "secrets.toml"
        secrets_toml.write_text(provider.secrets_toml(f"http://127.0.0.1:{port}"))
        app = start_server(
            server.data_dir,
            tmp_path / "models",
            ARTIFACTS / "browser-oidc-server.log",
            port=port,
            args=["--secrets.files", str(secrets_toml)],
        )
        try:
            page = session.page()
            page.goto(app.url)
            wait_text(page, "log in to continue", FIRST_LOAD_MS)
            assert page.get_by_role("textbox", name="Password").count() == 0
            page.get_by_role("button", name="Log in", exact=True).click()
            wait_text(page, "Signed in as ada@example.org")
            wait_title(page, "Genre Lab")
            settle(page)
            session.shot(page, "signed-in")
            assert provider.token_requests == 1
            assert nav_labels(page) == list(PAGES)
            assert_clean(page)
            page.get_by_role("button", name="Log out").click()
            wait_text(page, "log in to continue")
            session.shot(page, "signed-out")
        finally:
            app.stop()


def test_train_settings_survive_a_detour_and_a_reload_and_keras_gets_its_dropout(server, session):
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_MS)
    page = session.page()
    page.goto(server.url)
    wait_title(page, "Genre Lab", FIRST_LOAD_MS)
    go(page, "Train")
    expect(slider_value(page, "Dropout")).to_have_text("0.00")
    page.locator('[data-testid="stRadio"]').get_by_text("Keras", exact=True).click()
    expect(slider_value(page, "Dropout")).to_have_text("0.50")  # the Keras paper preset's
    settle(page)
    set_number(page, "Epochs", 3)
    settle(page)
    set_number(page, "Folds (k)", 2)
    settle(page)
    wait_text(page, "changed from the paper preset")
    session.shot(page, "chosen")

    go(page, "Compare")  # a detour through the sidebar, then back
    go(page, "Train")
    session.shot(page, "back")
    expect(page.get_by_label("Epochs", exact=True)).to_have_value("3")
    expect(page.get_by_label("Folds (k)", exact=True)).to_have_value("2")
    expect(slider_value(page, "Dropout")).to_have_text("0.50")
    expect(page.get_by_role("radio", name="Keras")).to_be_checked()
    deadline = time.monotonic() + STEP_MS / 1000
    while "epochs=3" not in page.url:  # the URL agrees with the form again
        assert time.monotonic() < deadline, f"the settings never reached the URL: {page.url}"
        time.sleep(0.2)

    page.reload()
    wait_title(page, "Train")
    wait_text(page, "All runs")
    settle(page)
    expect(page.get_by_label("Epochs", exact=True)).to_have_value("3")
    expect(page.get_by_role("radio", name="Keras")).to_be_checked()
    assert_clean(page)


def test_the_compare_tab_survives_a_reload_through_its_link(server, session, completed_run):
    page = session.page()
    page.goto(f"{server.url}/compare?runs={completed_run}")
    wait_title(page, "Compare runs", FIRST_LOAD_MS)
    page.get_by_role("tab", name="Training curves").click()
    settle(page)
    deadline = time.monotonic() + STEP_MS / 1000
    while "tab=Training" not in page.url:
        assert time.monotonic() < deadline, f"the tab never reached the URL: {page.url}"
        time.sleep(0.2)
    assert "tab=Training" in shown_link(page)

    other = session.page()  # the copied link, in another browser context
    other.goto(page.url)
    wait_title(other, "Compare runs", FIRST_LOAD_MS)
    other.get_by_role("tab", name="Training curves", selected=True).wait_for()
    other.get_by_text("Training curves (mean over folds").first.wait_for()
    session.shot(other, "opened")
    assert_clean(other)


SEEN_RUNNING = """() => {  // note whether Streamlit's running indicator (with its Stop) ever shows
  window.__running = "";
  new MutationObserver(() => {
    const w = document.querySelector('[data-testid="stStatusWidget"]');
    if (w && w.innerText.trim()) window.__running = w.innerText.trim();
  }).observe(document, {subtree: true, childList: true, characterData: true});
}"""


def test_the_running_indicator_and_its_stop_show_during_a_slow_step(server, session):
    page = session.page()
    page.add_init_script(f"({SEEN_RUNNING})()")
    page.goto(f"{server.url}/spectrogram_lab?dataset=demo&clip=metal.00003")
    wait_title(page, "Spectrogram Lab", FIRST_LOAD_MS)
    page.wait_for_function("() => window.__running !== ''", timeout=STEP_MS)
    seen = page.evaluate("() => window.__running")
    session.shot(page, "running")
    assert "Stop" in seen, seen
    wait_text(page, PAGES["Spectrogram Lab"][1], FIRST_LOAD_MS)  # the first render is slow
    settle(page, FIRST_LOAD_MS)
    assert_clean(page)


def test_explore_shows_the_selected_clip_mel_and_opens_it_in_the_lab(server, session):
    page = session.page()
    page.goto(f"{server.url}/explore?dataset=demo")
    wait_title(page, "Explore", FIRST_LOAD_MS)
    settle(page)
    grid = page.locator('[data-testid="stDataFrame"]:visible').first
    box = grid.bounding_box()
    row_height = 35  # Streamlit's default row height; the header is one row
    grid.hover()
    page.mouse.click(box["x"] + 12, box["y"] + row_height * 3.5)  # row 3's selection marker
    settle(page, FIRST_LOAD_MS)
    heading = page.get_by_role("heading", level=4).filter(has_text=re.compile(r"\.\d{5}"))
    track = re.search(r"\w+\.\d{5}", heading.first.inner_text()).group()
    assert track != "blues.00000"
    wait_text(page, "Preset librosa")
    assert page.locator('[data-testid="stPlotlyChart"]:visible').count() >= 2  # waveform, mel
    session.shot(page, "explore-mel")
    page.get_by_role("link", name=re.compile("Open this clip in the Spectrogram Lab")).click()
    wait_title(page, "Spectrogram Lab")
    wait_text(page, PAGES["Spectrogram Lab"][1], FIRST_LOAD_MS)
    settle(page, FIRST_LOAD_MS)
    session.shot(page, "lab")
    assert f"clip={track}" in page.url, page.url
    assert page.get_by_role("combobox", name="Clip", exact=True).input_value() == track
    assert_clean(page)


def _old_run(server: Server, run_id: str, layout: str = "") -> str:
    """A copy of the v1 run folder (tests/data/run_v1: 1 s tones, 2 folds) in the server's models
    folder as ``run_id``; with ``layout``, its summary records that dataset layout."""
    import json

    shutil.copytree(REPO / "tests" / "data" / "run_v1" / V1_RUN, server.models_dir / run_id)
    if layout:
        summary = server.models_dir / run_id / "summary.json"
        data = json.loads(summary.read_text())
        summary.write_text(json.dumps({**data, "dataset": {"name": layout, "layout": layout}}))
    return run_id


def test_a_run_is_renamed_tagged_and_deleted_in_the_manage_panel(server, session):
    from playwright.sync_api import expect

    copy_id = _old_run(server, "20200101-000000-b0b0")
    page = session.page()
    page.set_viewport_size({"width": 1440, "height": 1800})
    page.goto(server.url)  # the demo ready first: its generation reruns the pages meanwhile
    wait_title(page, "Genre Lab", FIRST_LOAD_MS)
    wait_text(page, PAGES["Home"][1], FIRST_LOAD_MS)
    go(page, "Compare")
    session.shot(page, "table-1440")
    page.get_by_text("Manage runs: rename, tag, annotate, resume, delete").click()
    choose(page, "Run to manage", re.compile(re.escape(copy_id)))
    name = page.get_by_role("textbox", name="Name", exact=True)
    expect(name).to_have_value("v1 run", timeout=STEP_MS)  # the panel drawn for the copy
    name.fill("managed in the browser")
    name.press("Enter")
    settle(page)
    page.get_by_role("button", name="Save name").click()
    wait_text(page, "Renamed.")
    settle(page)
    assert load_run(copy_id, server.models_dir).name == "managed in the browser"
    tags = page.get_by_role("textbox", name="Tags (comma-separated)")
    tags.fill("baseline, browser")
    tags.press("Enter")
    settle(page)
    page.get_by_role("button", name="Save tags").click()
    settle(page)
    wait_text(page, "Tags saved.")
    search = page.get_by_role("textbox", name="Search")  # its row in view among many runs
    search.fill("managed in the browser")
    search.press("Enter")
    settle(page)
    table = page.locator('[data-testid="stDataFrame"]').first
    row = table.locator("tr").filter(has_text="managed in the browser")
    row.filter(has_text="baseline, browser").wait_for(state="attached")
    session.shot(page, "renamed-tagged")
    assert load_run(copy_id, server.models_dir).tags == ["baseline", "browser"]

    delete = page.get_by_role("button", name="Delete run")
    assert delete.is_disabled()  # only after the confirmation
    page.get_by_text(re.compile(r"Yes, delete managed in the browser")).click()
    settle(page)
    delete.click()
    wait_text(page, "Deleted managed in the browser.")
    settle(page)
    session.shot(page, "deleted")
    assert not (server.models_dir / copy_id).exists()
    rows = page.locator('[data-testid="stDataFrame"] tr')
    assert rows.filter(has_text="managed in the browser").count() == 0
    assert_clean(page)


def test_predict_warns_for_a_demo_run_and_refuses_a_10_ms_clip(server, session, tmp_path):
    run_id = _old_run(server, "20200101-000000-de70", layout="demo")
    # twins with the same name and settings, not trained on the demo: the link picks by id
    twins = [_old_run(server, f"20200101-000000-{t}") for t in ("0001", "fffe")]
    clip = SHARED_GTZAN / "audio_sample" / "blues" / "blues.00000.wav"
    if not clip.exists():
        clip = write_tone(tmp_path / "recording.wav", seconds=12.0)
    blip = write_tone(tmp_path / "blip.wav", seconds=0.01)
    page = session.page()
    page.set_viewport_size({"width": 1440, "height": 2400})
    page.goto(server.url)
    wait_title(page, "Genre Lab", FIRST_LOAD_MS)
    wait_text(page, PAGES["Home"][1], FIRST_LOAD_MS)
    page.goto(f"{server.url}/predict?run={run_id}")
    wait_title(page, "Predict")
    wait_text(page, "cross-validated accuracy")
    wait_text(page, re.compile(r"over 2 folds"))
    uploader = page.locator('[data-testid="stFileUploader"] input[type=file]')
    uploader.set_input_files(clip)
    warnings = page.locator('[data-testid="stAlertContentWarning"]')
    warnings.filter(has_text="synthetic demo").first.wait_for()
    wait_text(page, "Mel spectrogram (first window)")
    settle(page)
    session.shot(page, "demo-warning")
    uploader.set_input_files(blip)
    error = page.locator('[data-testid="stAlertContentError"]').filter(has_text="too short")
    error.first.wait_for()
    settle(page)
    session.shot(page, "refused")
    assert "blip.wav" in error.first.inner_text()
    assert page.locator('[data-testid="stMetric"]').filter(has_text="Predicted genre").count() == 0
    assert run_id in shown_link(page)
    for twin in twins:
        shutil.rmtree(server.models_dir / twin)
