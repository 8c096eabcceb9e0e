"""Compare: finished runs side by side, from their settings to the clips they got wrong.

The chosen runs live in the URL (``?runs=id1,id2``), so a copied link opens the same comparison.
"""

import streamlit as st

from core import settings
from core.errors import GenreLabError
from core.evaluation.report import build_report, highlight_differences, runs_settings
from core.runs import RunStatus
from core.runs.kinds import training_runs
from core.runs.table import all_tags, runs_frame, with_tags
from ui import compare_parts as parts
from ui.common import current_dataset
from ui.run_manage import manage_panel, show_done
from ui.runs_table import RUN_COLUMN_CONFIG, RUN_COLUMNS
from ui.shell import require_shell
from ui.text import error_text, plain, run_option
from ui.view_link import share

require_shell()
st.title(":material/compare_arrows: Compare runs")
dataset = current_dataset()  # only needed to play the clips a run got wrong

runs = {run.id: run for run in training_runs()}
frame = runs_frame(list(runs.values()))
show_done()  # what the Manage panel below last did (a deleted last run included)
if frame.empty:
    st.info("No runs yet: train a model on the Train page, then compare runs here.")
    st.stop()

# -- the table of runs ----------------------------------------------------------------------------
st.subheader("Runs")
c1, c2, c3, c4, c5 = st.columns([1, 1, 1, 1, 1.4])
found = sorted(set(frame["status"]))
statuses = c1.multiselect("Status", found, default=[s for s in ("completed",) if s in found])
datasets = c2.multiselect("Dataset", sorted(set(frame["dataset"]) - {""}))
protocols = c3.multiselect("Protocol", sorted(set(frame["protocol"]) - {""}))
tags = c4.multiselect("Tags", all_tags(frame), key="cmp_tags", help="Runs carrying every tag")
search = c5.text_input("Search", placeholder="name, id, user, notes, settings…", key="cmp_search")
shown = with_tags(frame, tags)
for column, chosen in (("status", statuses), ("dataset", datasets), ("protocol", protocols)):
    if chosen:
        shown = shown[shown[column].isin(chosen)]
if search:
    columns = ["id", "name", "user", "architecture", "input", "notes", "settings", "source"]
    text = shown[columns].astype(str).agg(" ".join, 1)
    shown = shown[text.str.contains(search, case=False, regex=False)]
parts.table(shown, "runs", column_order=RUN_COLUMNS, column_config=RUN_COLUMN_CONFIG)
st.caption(
    "Accuracy: mean ± standard deviation of the test accuracy over the folds. Preset: the "
    "closest training preset and every setting that differs from it. Click a column header to "
    "sort; the CSV holds every setting. Only completed runs can be compared."
)
manage_panel({i: runs[i] for i in shown["id"]})

# -- choosing runs (kept in the URL) --------------------------------------------------------------
completed = [i for i in frame["id"] if runs[i].status == RunStatus.COMPLETED]
if not completed:
    st.info("No completed run yet: runs can be compared once they finish.")
    st.stop()
if "cmp_runs" not in st.session_state:  # first run of the page: the link's runs, else the last
    linked = st.query_params.get("runs", "")
    wanted = linked.split(",") if linked else st.session_state.get("cmp_kept", [])
    wanted = [i for i in wanted if i]
    missing = [i for i in wanted if i not in completed]
    if missing:
        st.warning(f"Not found among the completed runs (deleted?): {plain(', '.join(missing))}")
    st.session_state["cmp_runs"] = [i for i in wanted if i in completed]
else:  # a run deleted meanwhile leaves the selection
    st.session_state["cmp_runs"] = [i for i in st.session_state["cmp_runs"] if i in completed]
listed = set(shown["id"]) | set(st.session_state["cmp_runs"])
chosen = st.multiselect(
    "Runs to compare",
    [i for i in completed if i in listed],
    key="cmp_runs",
    format_func=lambda i: run_option(runs[i]),
    help="Each run's settings and provenance are listed below the selection",
    placeholder="Pick two or more completed runs (the filters above narrow this list)",
)
st.session_state["cmp_kept"] = chosen  # the widget's own state goes when another page shows
share({"runs": ",".join(chosen) or None})
if not chosen:
    st.info("Pick two or more runs above to compare them.")
    st.stop()

results = []
for run_id in chosen:
    try:
        status, models = str(runs[run_id].status), str(settings.current().models_dir)
        result = parts.load_results(run_id, status, models)
        result.label = runs[run_id].label  # renamed since it was read
        results.append(result)
    except (GenreLabError, OSError, ValueError, KeyError) as exc:
        st.error(f"Could not read run {plain(runs[run_id].label)}: {error_text(exc)}")
if not results:
    st.stop()
chosen = [r.id for r in results]
labels = [r.label for r in results]
if len(set(labels)) < len(labels):  # two runs named alike: tell them apart by id
    for r in results:
        r.label = f"{r.label} ({r.id})"
by_id = {r.id: r for r in results}
parts.provenance_captions([runs[i] for i in chosen], by_id)

# -- settings -------------------------------------------------------------------------------------
st.subheader("Settings")
config = runs_settings(results)
only_diff = st.toggle("Only the settings that differ", value=len(results) > 1)
if only_diff and len(results) > 1:
    config = config[config["differs"]]
if config.empty:
    st.caption("The runs' settings are identical.")
else:
    parts.table(
        config.drop(columns="differs"), "settings", index=True, styled=highlight_differences(config)
    )
    st.caption("Highlighted: settings that differ between the runs.")

# -- which two runs to pair -----------------------------------------------------------------------
a, b = results[0], (results[1] if len(results) > 1 else None)
if len(results) > 2:
    c1, c2 = st.columns(2)

    def option(run_id: str) -> str:
        return run_option(by_id[run_id])

    a = by_id[c1.selectbox("Run A", chosen, format_func=option, key="cmp_a")]
    others = [i for i in chosen if i != a.id]
    b = by_id[c2.selectbox("Run B", others, format_func=option, key="cmp_b")]
    st.caption("Statistics and confusion matrices compare run B with run A.")

st.download_button(
    "Export the comparison as one HTML file",
    data=lambda: build_report(results, (chosen.index(a.id), chosen.index(b.id) if b else 0)),
    file_name="genrelab-comparison.html",
    mime="text/html",
    on_click="ignore",
    icon=":material/description:",
    type="primary",
)

tabs = st.tabs(  # the chosen tab is kept in the URL (``tab=Statistics``) and links reopen it
    ["Accuracy per fold", "Statistics", "Confusion", "Per genre", "Training curves", "Wrong clips"],
    key="tab",
    bind="query-params",
)
with tabs[0]:
    parts.accuracy_section(results)
with tabs[1]:
    if b is None:
        st.info("Pick a second run to test whether their difference is more than chance.")
    else:
        parts.statistics_section(a, b)
with tabs[2]:
    parts.confusion_section(a, b)
with tabs[3]:
    parts.scores_section(results)
with tabs[4]:
    parts.curves_section(results)
with tabs[5]:
    parts.wrong_section(results, dataset)
