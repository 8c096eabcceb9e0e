"""Descriptive statistics of a manifest: how concentrated each genre is on a few artists."""

from __future__ import annotations

import pandas as pd


def artist_concentration(manifest: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """Per genre: clips, distinct known artists, the top artist, and the share its top artists fill.

    Clips of unknown artist ("") count in ``clips`` but not as an artist. Rows are sorted by
    ``top_share`` (the share of the genre's clips by its ``top`` most frequent artists).
    """
    if "artist" not in manifest:
        return pd.DataFrame()
    rows = []
    for genre, clips in manifest.groupby("genre"):
        counts = clips.loc[clips["artist"] != "", "artist"].value_counts()
        rows.append(
            {
                "genre": genre,
                "clips": len(clips),
                "unknown_artist": int((clips["artist"] == "").sum()),
                "artists": len(counts),
                "top_artist": counts.index[0] if len(counts) else "",
                "top_artist_clips": int(counts.iloc[0]) if len(counts) else 0,
                "top_share": counts.iloc[:top].sum() / len(clips),
            }
        )
    return pd.DataFrame(rows).sort_values("top_share", ascending=False, ignore_index=True)
