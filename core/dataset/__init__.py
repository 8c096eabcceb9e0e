"""Datasets: discovery of GTZAN layouts and manifests, GTZAN metadata, the demo set, downloads."""

from core.dataset.discover import Dataset, discover
from core.dataset.summary import Summary, format_summary, summarize

__all__ = ["Dataset", "Summary", "discover", "format_summary", "summarize"]
