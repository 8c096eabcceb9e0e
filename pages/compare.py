"""Compare: finished runs side by side, from their settings to the clips they got wrong.

The chosen runs live in the URL (``?runs=id1,id2``), so a copied link opens the same comparison.
"""

import streamlit as st

from core import settings
from core.errors import GenreLabError
from core.evaluation.report import build_report, highlight_differences, runs_settings
from core.runs import RunStatus
from core.runs.kinds import training_runs
from core.runs.table import runs_frame
from ui import compare_parts as parts
from ui.common import current_dataset
from ui.shell import require_shell
from ui.text import error_text, plain
from ui.view_link import share

require_shell()
st.title(":material/compare_arrows: Compare runs")
dataset = current_dataset()  # only needed to play the clips a run got wrong

runs = {run.id: run for run in training_runs()}
frame = runs_frame(list(runs.values()))
if frame.empty:
    st.info("No runs yet: train a model on the Train page, then compare runs here.")
    st.stop()

# -- the table of runs ----------------------------------------------------------------------------
st.subheader("Runs")
c1, c2, c3, c4 = st.columns(4)
found = sorted(set(frame["status"]))
statuses = c1.multiselect("Status", found, default=[s for s in ("completed",) if s in found])
frameworks = c2.multiselect("Framework", sorted(set(frame["framework"]) - {""}))
protocols = c3.multiselect("Protocol", sorted(set(frame["protocol"]) - {""}))
search = c4.text_input("Search", placeholder="name, id, user, model…", key="cmp_search")
shown = frame
for column, chosen in (("status", statuses), ("framework", frameworks), ("protocol", protocols)):
    if chosen:
        shown = shown[shown[column].isin(chosen)]
if search:
    text = (
        shown[["id", "name", "user", "architecture", "input", "dataset"]]
        .astype(str)
        .agg(" ".join, 1)
    )
    shown = shown[text.str.contains(search, case=False, regex=False)]
parts.table(
    shown,
    "runs",
    column_config={
        "mean_acc": st.column_config.NumberColumn("mean acc", format="%.3f"),
        "std_acc": st.column_config.NumberColumn("± std", format="%.3f"),
        "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
    },
)
st.caption("Click a column header to sort. Only completed runs can be compared.")

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
listed = set(shown["id"]) | set(st.session_state["cmp_runs"])
chosen = st.multiselect(
    "Runs to compare",
    [i for i in completed if i in listed],
    key="cmp_runs",
    format_func=lambda i: f"{runs[i].label} · {i}" if runs[i].name else i,
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
        results.append(
            parts.load_results(run_id, str(runs[run_id].status), str(settings.current().models_dir))
        )
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
    a = by_id[c1.selectbox("Run A", chosen, format_func=lambda i: by_id[i].label, key="cmp_a")]
    others = [i for i in chosen if i != a.id]
    b = by_id[c2.selectbox("Run B", others, format_func=lambda i: by_id[i].label, key="cmp_b")]
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
