"""What a dataset holds, in numbers: the home page and ``python -m core dataset info`` show this."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.dataset.discover import Dataset


@dataclass(frozen=True)
class Summary:
    """Counts and durations of a dataset, and the files that could not be read."""

    name: str
    root: str
    layout: str
    clips: int
    readable: int
    per_genre: pd.DataFrame  # genre, clips, readable, minutes, mean_seconds
    durations: dict[str, float]  # min, median, max, total_minutes (audio only)
    sample_rates: dict[int, int]  # rate -> clips
    problems: pd.DataFrame  # track_id, path, problem
    artists_known: int
    fault_counts: dict[str, int]  # fault kind -> clips flagged


def summarize(dataset: Dataset) -> Summary:
    """Summarise a discovered dataset."""
    m = dataset.manifest
    ok = m[m["readable"]]
    per_genre = (
        m.groupby("genre", sort=False)
        .agg(
            clips=("track_id", "size"),
            readable=("readable", "sum"),
            minutes=("duration", lambda d: d.sum(skipna=True) / 60),
            mean_seconds=("duration", "mean"),
        )
        .reindex(dataset.genres)
        .reset_index()
    )
    audio = ok[ok["kind"] == "audio"]["duration"]
    durations = (
        {
            "min": float(audio.min()),
            "median": float(audio.median()),
            "max": float(audio.max()),
            "total_minutes": float(audio.sum() / 60),
        }
        if len(audio)
        else {}
    )
    rates = ok[ok["kind"] == "audio"]["sample_rate"].value_counts().sort_index()
    faults: dict[str, int] = {}
    for cell in m.get("faults", pd.Series(dtype=str)):
        for kind in filter(None, str(cell).split(";")):
            faults[kind] = faults.get(kind, 0) + 1
    artists = m.get("artist", pd.Series(dtype=str))
    return Summary(
        name=dataset.name,
        root=str(dataset.root),
        layout=dataset.layout,
        clips=len(m),
        readable=int(m["readable"].sum()),
        per_genre=per_genre,
        durations=durations,
        sample_rates={int(k): int(v) for k, v in rates.items()},
        problems=m.loc[~m["readable"], ["track_id", "path", "problem"]].reset_index(drop=True),
        artists_known=int((artists.astype(str) != "").sum()),
        fault_counts=dict(sorted(faults.items())),
    )


def format_summary(s: Summary) -> str:
    """Plain-text rendering of a summary, for the terminal."""
    lines = [
        f"Dataset {s.name} ({s.layout}) at {s.root}",
        f"{s.clips} clips, {s.readable} readable, {len(s.problems)} with problems",
    ]
    if s.durations:
        d = s.durations
        lines.append(
            f"Duration: {d['total_minutes']:.1f} min in all; per clip min {d['min']:.1f} s, "
            f"median {d['median']:.1f} s, max {d['max']:.1f} s"
        )
        rates = ", ".join(f"{rate} Hz x{n}" for rate, n in s.sample_rates.items())
        lines.append(f"Sample rates: {rates}")
    lines.append("")
    lines.append(s.per_genre.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    if s.artists_known:
        lines.append(f"\nArtist known for {s.artists_known} clips.")
    if s.fault_counts:
        lines.append("Flagged faults: " + ", ".join(f"{k} {v}" for k, v in s.fault_counts.items()))
    for row in s.problems.itertuples():
        lines.append(f"PROBLEM {row.track_id}: {row.problem}")
    return "\n".join(lines)
