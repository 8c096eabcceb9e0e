"""Command-line interface: every action of the dashboard, without a browser."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from core.errors import GenreLabError


def _dataset_info(args: argparse.Namespace) -> None:
    from core.dataset import discover, format_summary, summarize
    from core.dataset.library import resolve

    print(format_summary(summarize(discover(resolve(args.path)))))


def _dataset_demo(args: argparse.Namespace) -> None:
    from core.dataset.demo import generate_demo

    print(generate_demo(Path(args.dest), seed=args.seed))


def _dataset_download(args: argparse.Namespace) -> None:
    from core.dataset.download import fetch_gtzan

    def progress(done: int, total: int | None) -> None:
        print(
            f"\r{done / 2**20:8.1f} MiB" + (f" of {total / 2**20:.1f}" if total else ""),
            end="",
            file=sys.stderr,
        )

    print(fetch_gtzan(url=args.url, sha256=args.sha256, progress=progress))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m core``."""
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True)

    dataset = groups.add_parser(
        "dataset", help="summarise, generate or download datasets"
    )
    cmds = dataset.add_subparsers(dest="command", required=True)
    info = cmds.add_parser(
        "info", help="summarise a folder or archive ('demo': the demo)"
    )
    info.add_argument("path")
    info.set_defaults(func=_dataset_info)
    from core.settings import DEMO_DIR

    demo = cmds.add_parser("demo", help="generate the synthetic demo dataset")
    demo.add_argument("--dest", default=str(DEMO_DIR))
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_dataset_demo)
    download = cmds.add_parser("download", help="download and unpack GTZAN (needs internet)")
    download.add_argument("--url", default=None, help="archive URL (default: a public mirror)")
    download.add_argument("--sha256", default=None, help="expected checksum of the archive")
    download.set_defaults(func=_dataset_download)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; typed errors print as one clear line and exit with status 2."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], None] = args.func
    try:
        func(args)
    except GenreLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
