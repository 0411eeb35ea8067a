"""The two databases the query benchmarks compare in one run: a big one (default 1M messages /
20k contacts) and a small baseline (10k / 500), built or reused by bench/bigdb.py; the options
to size them, and ``--quick`` for a short smoke run."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bigdb import ensure_bigdb


def add_arguments(ap: argparse.ArgumentParser, *, repeat: int) -> None:
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "textdesk-bench")
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--contacts", type=int, default=20_000)
    ap.add_argument("--small-messages", type=int, default=10_000)
    ap.add_argument("--small-contacts", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=repeat)
    ap.add_argument("--quick", action="store_true", help="a short smoke run (50k messages)")


def databases(args: argparse.Namespace, *, quick_repeat: int) -> tuple[Path, Path]:
    """(big, small), after ``--quick`` shrank the sizes (and the repeats) if given."""
    if args.quick:
        args.messages, args.contacts = min(args.messages, 50_000), min(args.contacts, 2_000)
        args.small_messages, args.small_contacts = min(args.small_messages, 5_000), 200
        args.repeat = min(args.repeat, quick_repeat)
    args.dir.mkdir(parents=True, exist_ok=True)
    big = ensure_bigdb(
        args.dir / f"big-{args.messages}-{args.contacts}.sqlite3", args.messages, args.contacts
    )
    small = ensure_bigdb(
        args.dir / f"small-{args.small_messages}-{args.small_contacts}.sqlite3",
        args.small_messages,
        args.small_contacts,
        quiet=True,
    )
    return big, small
