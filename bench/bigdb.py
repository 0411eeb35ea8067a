"""Generate a big TextDesk database (default 1M messages / 20k contacts) for benchmarks, fast.

    python bench/bigdb.py PATH [--messages N] [--contacts N] [--fts triggers|rebuild] [--force]

Importable: ``ensure_bigdb(path, messages, contacts) -> Path``. A finished database is cached
by path: a sidecar ``PATH.meta.json`` records the parameters, and a second call with the same
ones returns at once. The file is built under a temporary name and renamed when complete, so an
interrupted build is never mistaken for a cached one.

How: the real schema (desk.store.db.open_database runs the migrations), then raw ``executemany`` in
large transactions with journaling off. Message ids grow with time (three years, oldest first),
as in a real shop. Conversation sizes are skewed: a few customers have thousands of messages (the
"large thread" the benchmarks open), most have a handful. The full-text index is filled either
by the triggers row by row, or (default, faster) with the message trigger dropped during the load
and one FTS5 'rebuild' at the end; both timings are printed with ``--fts`` so they can be
compared.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GENERATOR_VERSION = 1
BATCH = 50_000
SPAN = timedelta(days=3 * 365)

FIRST = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Iris",
    "Jack",
    "Kira",
    "Liam",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Victor",
    "Wendy",
    "Xavier",
    "Yara",
    "Zoe",
    "José",
    "Zoë",
    "Chloé",
    "Renée",
    "Björn",
    "Łukasz",
    "Søren",
    "Ana",
    "María",
    "Mohammed",
    "Fatima",
    "Wei",
    "Yuki",
    "Priya",
    "Arjun",
    "Sofia",
    "Lucas",
    "Hana",
    "Omar",
    "Leila",
    "Mateo",
    "Elena",
    "Ivan",
    "Nina",
]
LAST = [
    "Smith",
    "Jones",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Johnson",
    "Roberts",
    "Walker",
    "Wright",
    "Müller",
    "Schmidt",
    "García",
    "Martínez",
    "Rossi",
    "Russo",
    "Dubois",
    "Lefèvre",
    "Novak",
    "Kowalski",
    "Nielsen",
    "Andersson",
    "Silva",
    "Santos",
    "Kim",
    "Lee",
    "Park",
    "Chen",
    "Wang",
    "Singh",
    "Patel",
    "Khan",
    "Ali",
    "Cohen",
    "Levi",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Byrne",
]
TAGS = ["vip", "new", "late", "family", "insurance", "student", "senior", "regular", ""]
NOTES = [
    "",
    "",
    "",
    "prefers mornings",
    "allergic to latex",
    "pays by invoice",
    "call before 5pm",
    "spouse also a customer",
    "needs wheelchair access",
    "speaks Spanish",
]

IN_BODIES = [
    "Hi, can I book an appointment for {day}?",
    "Is my {item} ready yet?",
    "Running {n} minutes late, sorry!",
    "Thanks so much, see you {day}",
    "Do you have anything free {day} {time}?",
    "C",
    "R",
    "Yes that works",
    "How much will the {item} cost?",
    "Can you call me back please",
    "I need to cancel my appointment on {day}",
    "Great, thank you {name}!",
    "What time do you close {day}?",
    "Is parking available near the shop?",
    "My {item} is making a strange noise again",
    "Could you send me the invoice by email?",
    "STOP",
    "Perfect 👍",
    "Can I bring my {relative} along?",
    "Where exactly are you located? Next to the café?",
]
OUT_BODIES = [
    "Hi {name}, your appointment is confirmed for {day} at {time}.",
    "Your {item} is ready for pick-up. We are open until 6pm.",
    "Reminder: {name}, you have an appointment {day} at {time}. Reply C to confirm, R to reschedule.",
    "Thanks {name}! See you {day}.",
    "Sorry, {day} is full. Would {time} on Friday work?",
    "The {item} will be about {n}0 dollars including parts.",
    "We will call you back within the hour.",
    "No problem, your appointment has been cancelled.",
    "It's time for your six-month check-up, {name}. Reply to book.",
    "Parking is free behind the building.",
]
ITEMS = [
    "bike",
    "car",
    "crown",
    "filling",
    "prescription",
    "glasses",
    "watch",
    "laptop",
    "phone",
    "order",
    "repair",
    "cleaning",
]
DAYS = ["today", "tomorrow", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
TIMES = ["9:00", "9:30", "10:00", "11:15", "12:00", "14:00", "15:30", "16:45", "17:00"]
RELATIVES = ["son", "daughter", "husband", "wife", "mother", "father", "friend"]


def meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _wanted(messages: int, contacts: int, seed: int) -> dict:
    return {
        "generator": GENERATOR_VERSION,
        "messages": messages,
        "contacts": contacts,
        "seed": seed,
    }


def is_cached(path: Path, messages: int, contacts: int, seed: int = 1) -> bool:
    try:
        meta = json.loads(meta_path(path).read_text())
    except (OSError, ValueError):
        return False
    if not path.exists():
        return False
    st = path.stat()
    return (
        all(meta.get(k) == v for k, v in _wanted(messages, contacts, seed).items())
        and meta.get("size") == st.st_size
    )


def ensure_bigdb(
    path: str | os.PathLike[str],
    messages: int = 1_000_000,
    contacts: int = 20_000,
    *,
    seed: int = 1,
    fts: str = "rebuild",
    force: bool = False,
    quiet: bool = False,
) -> Path:
    """The database at ``path`` with ``messages`` messages for ``contacts`` contacts (built if
    missing or built with other parameters)."""
    path = Path(path)
    if not force and is_cached(path, messages, contacts, seed):
        return path
    timings = build(path, messages, contacts, seed=seed, fts=fts, quiet=quiet)
    meta = {**_wanted(messages, contacts, seed), "size": path.stat().st_size, "timings": timings}
    meta_path(path).write_text(json.dumps(meta, indent=2))
    return path


def _say(quiet: bool, text: str) -> None:
    if not quiet:
        print(text, flush=True)


def _fmt(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def _conversation_weights(rng: random.Random, contacts: int) -> list[float]:
    # Pareto-like: a handful of regulars with thousands of messages, a long tail of few.
    weights = [1.0 / (i + 1) ** 0.9 for i in range(contacts)]
    rng.shuffle(weights[10:])  # keep the top 10 heavy at the lowest ids (easy to find)
    return weights


def build(
    path: Path,
    messages: int,
    contacts: int,
    *,
    seed: int = 1,
    fts: str = "rebuild",
    quiet: bool = False,
) -> dict[str, float]:
    from desk.store.db import close_database, open_database
    from desk.store.migrations import FTS_SQL

    if fts not in ("rebuild", "triggers"):
        raise ValueError("fts must be 'rebuild' or 'triggers'")
    if contacts < 1 or messages < 0:
        raise ValueError("need at least one contact")
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    tmp = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    open_database(tmp)  # the real schema, migrations and FTS triggers
    close_database()
    con = sqlite3.connect(str(tmp), isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")  # 256 MB while building
    con.execute("PRAGMA temp_store=MEMORY")

    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    start = end - SPAN

    # --- contacts and conversations ---------------------------------------------------------
    con.execute("BEGIN")
    contact_rows = []
    for i in range(contacts):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.85 else None
        tags = ",".join(sorted({rng.choice(TAGS), rng.choice(TAGS)} - {""}))
        contact_rows.append(
            (
                f"+1{202 + i // 10000:03d}555{i % 10000:04d}",
                name,
                rng.choice(NOTES),
                tags,
                0,
                0,
                _fmt(start),
            )
        )
    con.executemany(
        "INSERT INTO contact (number, name, notes, tags, opted_out, callback_requested,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        contact_rows,
    )
    con.executemany(
        "INSERT INTO conversation (contact_id, status, unread, last_activity_at, last_preview,"
        " needs_attention) VALUES (?, 'done', 0, ?, '', 0)",
        [(i + 1, _fmt(start)) for i in range(contacts)],
    )
    con.execute("COMMIT")
    timings["contacts_s"] = time.perf_counter() - t0

    # --- messages ---------------------------------------------------------------------------
    if fts == "rebuild":
        con.execute("DROP TRIGGER IF EXISTS message_fts_ai")
    t1 = time.perf_counter()
    weights = _conversation_weights(rng, contacts)
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    step = SPAN.total_seconds() / max(1, messages)
    first_names = [r[1].split(" ")[0] if r[1] else "there" for r in contact_rows]
    last_seen: dict[int, tuple[str, str, str]] = {}
    base_epoch = start.timestamp()
    sql = (
        "INSERT INTO message (conversation_id, direction, body, encoding, parts, state,"
        " created_at, sent_at, delivered_at, sender_time, read, staff, source, automated,"
        " priority, attempts, parts_sent, flags, masked) VALUES"
        " (?, ?, ?, 'gsm7', 1, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, 0, ?, '', 0)"
    )
    done = 0
    while done < messages:
        n = min(BATCH, messages - done)
        rows = []
        for k in range(done, done + n):
            conv = bisect.bisect_left(cum, rng.random() * total) + 1
            when = datetime.fromtimestamp(base_epoch + k * step + rng.random() * step, UTC)
            created = _fmt(when)
            fill = {
                "day": rng.choice(DAYS),
                "time": rng.choice(TIMES),
                "item": rng.choice(ITEMS),
                "n": rng.randrange(2, 30),
                "name": first_names[conv - 1],
                "relative": rng.choice(RELATIVES),
            }
            if rng.random() < 0.5:
                body = rng.choice(IN_BODIES).format(**fill)
                rows.append(
                    (conv, "in", body, "received", created, None, None, created, None, "staff",
                     0, 0, 0)
                )  # fmt: skip
                direction = "in"
            else:
                body = rng.choice(OUT_BODIES).format(**fill)
                automated = body.startswith(("Reminder", "It's time"))
                state = "delivered" if rng.random() < 0.93 else rng.choice(("sent", "failed"))
                later = _fmt(when + timedelta(seconds=5))
                rows.append(
                    (conv, "out", body, state, created, created,
                     later if state == "delivered" else None, None,
                     None if automated else rng.choice(("anna", "ben", "carla")),
                     "reminder" if automated else "staff", int(automated),
                     10 if automated else 0, 1 if state != "failed" else 0)
                )  # fmt: skip
                direction = "out"
            last_seen[conv] = (created, body[:80], direction)
        con.execute("BEGIN")
        con.executemany(sql, rows)
        con.execute("COMMIT")
        done += n
        _say(quiet, f"  {done:>9,} messages  {time.perf_counter() - t1:6.1f}s")
    timings["messages_s"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    con.execute("BEGIN")
    con.executemany(
        "UPDATE conversation SET last_activity_at = ?, last_preview = ?, last_direction = ?"
        " WHERE id = ?",
        [(at, preview, d, conv) for conv, (at, preview, d) in last_seen.items()],
    )
    con.execute("COMMIT")
    timings["previews_s"] = time.perf_counter() - t2

    if fts == "rebuild":
        t3 = time.perf_counter()
        con.execute("INSERT INTO message_fts(message_fts) VALUES ('rebuild')")
        for stmt in FTS_SQL:
            if "message_fts_ai" in stmt:
                con.execute(stmt)
        timings["fts_rebuild_s"] = time.perf_counter() - t3
    t4 = time.perf_counter()
    con.execute("INSERT INTO message_fts(message_fts) VALUES ('optimize')")
    con.execute("INSERT INTO contact_fts(contact_fts) VALUES ('optimize')")
    con.execute("ANALYZE")
    timings["optimize_analyze_s"] = time.perf_counter() - t4
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    timings["total_s"] = time.perf_counter() - t0
    _say(quiet, "  " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    return timings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--contacts", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fts", choices=("rebuild", "triggers"), default="rebuild",
                    help="fill the full-text index by one rebuild (default) or by the triggers")  # fmt: skip
    ap.add_argument("--force", action="store_true", help="build even if a cached one matches")
    args = ap.parse_args(argv)
    if not args.force and is_cached(args.path, args.messages, args.contacts, args.seed):
        print(f"{args.path}: cached ({args.messages:,} messages, {args.contacts:,} contacts)")
        return 0
    t = time.perf_counter()
    ensure_bigdb(args.path, args.messages, args.contacts, seed=args.seed, fts=args.fts,
                 force=True)  # fmt: skip
    size = args.path.stat().st_size / 1e6
    print(f"{args.path}: built in {time.perf_counter() - t:.1f}s, {size:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
