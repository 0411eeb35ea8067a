"""What bench/run_all.py reads from each benchmark of issue 12, and the target of each figure.

Each benchmark keeps its own human table. The figures are read from its output: a
``RESULT {json}`` line where it prints one (bench_peers.py), otherwise the lines it prints
(parsed here, so benchmarks others are working on need no edit; a line that no longer matches
shows as "unknown" in the summary and makes the runner exit non-zero).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

Figures = dict[str, float]


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    target: str = "—"
    ok: Callable[[float], bool] | None = None


def at_least(key: str, label: str, goal: float) -> Figure:
    return Figure(key, label, f"≥ {goal:g}", lambda v: v >= goal)


def at_most(key: str, label: str, goal: float, unit: str = "") -> Figure:
    return Figure(key, label, f"≤ {goal:g}{unit}", lambda v: v <= goal)


def holds(key: str, label: str) -> Figure:
    return Figure(key, label, "holds", lambda v: v == 1)


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    goal: str
    figures: tuple[Figure, ...]
    parse: Callable[[str], Figures]
    big_db: bool = False  # takes --messages / --contacts (the 1M-message database)


NUM = r"(-?[\d.]+|nan)"


def _f(text: str) -> float:
    return float(text.replace(",", ""))


def result_line(out: str) -> Figures:
    """The last ``RESULT {json}`` line's numbers."""
    lines = [x for x in out.splitlines() if x.startswith("RESULT ")]
    if not lines:
        return {}
    data = json.loads(lines[-1][len("RESULT ") :])
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float)}


def _ratio(fig: Figures, key: str, a: str, b: str) -> None:
    if fig.get(b):
        fig[key] = fig[a] / fig[b] if a in fig else float("nan")


PEER = {"TextDesk (serve)": "textdesk", "gammu-smsd": "gammu", "smstools3": "smstools3"}


def parse_peers(out: str) -> Figures:
    fig = result_line(out)
    # the progress lines, for a run that stopped before its RESULT line
    done = re.findall(r"^  (.+?), network delay " + NUM + r" s \.\.\.\n    " + NUM
                      + r" SMS/s, limit " + NUM + r", (\d+) B/SMS", out, re.M)  # fmt: skip
    for program, delay, rate, limit, per_sms in done:
        key = f"{PEER.get(program, program)}_{'0' if float(delay) == 0 else 'd'}"
        fig.setdefault(f"{key}_rate", _f(rate))
        if _f(limit):
            fig.setdefault(f"{key}_of_limit", _f(rate) / _f(limit))
        fig.setdefault(f"{key}_bytes_per_sms", _f(per_sms))
        if key.startswith("textdesk_"):
            fig.setdefault(f"limit_{key[-1]}_rate", _f(limit))
    for d in ("0", "d"):
        if f"textdesk_{d}_rate" in fig and f"smstools3_{d}_rate" in fig:
            _ratio(fig, f"td_vs_smstools_{d}", f"textdesk_{d}_rate", f"smstools3_{d}_rate")
    return fig


def parse_modem(out: str) -> Figures:
    fig: Figures = {}
    rows = re.findall(
        r"^ModemService\s+" + NUM + r" parts/s\s+" + NUM + " of the line limit", out, re.M
    )
    for (rate, ratio), d in zip(rows, ("0", "d"), strict=False):
        fig[f"service_{d}_rate"], fig[f"service_{d}_of_limit"] = _f(rate), _f(ratio)
    lib = re.search(r"^GsmModem\.sendSms loop\s+" + NUM + " parts/s", out, re.M)
    if lib:
        fig["library_rate"] = _f(lib.group(1))
    return fig


def parse_engine(out: str) -> Figures:
    fig: Figures = {}
    names = {"modem layer alone": "alone", "engine, queued -> submitted": "queued",
             "engine, Engine.send() each": "api"}  # fmt: skip
    for name, key in names.items():
        m = re.search(re.escape(name) + r"\s+" + NUM + r" s\s+" + NUM + " SMS/s", out)
        if m:
            fig[f"{key}_rate"] = _f(m.group(2))
    m = re.search(r"ratio engine \(queued -> submitted\) / modem layer alone:\s+" + NUM, out)
    if m:
        fig["ratio_queued"] = _f(m.group(1))
    m = re.search(r"ratio engine \(Engine\.send\(\) each\) / modem layer alone:\s+" + NUM, out)
    if m:
        fig["ratio_api"] = _f(m.group(1))
    if "INVARIANT FAILED" in out or "ratio_api" in fig:  # it got to its end, or said so
        fig["invariants_hold"] = 0.0 if "INVARIANT FAILED" in out else 1.0
    return fig


def parse_incoming(out: str) -> Figures:
    fig: Figures = {}
    m = re.search(r"stored (\d+) of (\d+) \((\d+) twice\) in " + NUM + r" s: " + NUM
                  + r"/s, " + NUM + " of the line's limit", out)  # fmt: skip
    if m:
        fig["burst_stored_once"] = float(m.group(1) == m.group(2) and m.group(3) == "0")
        fig["burst_rate"], fig["burst_of_limit"] = _f(m.group(5)), _f(m.group(6))
    m = re.search(r"stored (\d+) of (\d+) \((\d+) twice\), " + NUM + "/s; sent", out)
    if m:
        fig["mixed_stored_once"] = float(m.group(1) == m.group(2) and m.group(3) == "0")
        fig["mixed_rate"] = _f(m.group(4))
    # each run's latency from its own section (a burst that stopped early prints none)
    sections = re.split(r"^(?=2\. )", out, maxsplit=1, flags=re.M)
    for part, run in zip(sections, ("burst", "mixed"), strict=False):
        lat = re.search(r"committed row: p50 (\d+) ms, p95 (\d+) ms, max (\d+) ms", part)
        if lat:
            fig[f"{run}_p50"], fig[f"{run}_p95"] = _f(lat.group(1)), _f(lat.group(2))
    if "INVARIANT FAILED" in out or "mixed_p95" in fig:  # it got to its end, or said so
        fig["invariants_hold"] = 0.0 if "INVARIANT FAILED" in out else 1.0
    return fig


def parse_reminders(out: str) -> Figures:
    fig: Figures = {}
    for name in ("baseline", "day"):
        m = re.search(rf"^\s+{name}\s+(\d+) reminders:\s+{NUM} s in\s+\d+ tick\(s\),\s+{NUM}"
                      rf" ms per reminder, longest tick\s+{NUM} ms", out, re.M)  # fmt: skip
        if m:
            fig[f"{name}_count"], fig[f"{name}_s"] = _f(m.group(1)), _f(m.group(2))
            fig[f"{name}_ms_each"], fig[f"{name}_longest_ms"] = _f(m.group(3)), _f(m.group(4))
    m = re.search(r"per-reminder cost ratio .*?: " + NUM + "x", out)
    if m:
        fig["cost_ratio"] = _f(m.group(1))
    m = re.search(r"^Rate limit: .*: (OK|VIOLATED)$", out, re.M)
    if m:
        fig["rate_limit_holds"] = float(m.group(1) == "OK")
    m = re.search(r"^Quiet hours .*: (OK|VIOLATED)$", out, re.M)
    if m:
        fig["quiet_hours_hold"] = float(m.group(1) == "OK")
    return fig


def parse_idle(out: str) -> Figures:
    fig: Figures = {}
    names = {"textdesk serve": "serve", "the window (offscreen)": "window",
             "baseline: python time.sleep": "baseline"}  # fmt: skip
    for name, key in names.items():
        m = re.search(r"^\| " + re.escape(name) + r" \| " + NUM + r" \| (\d+) \|", out, re.M)
        if m:
            fig[f"{key}_cpu"], fig[f"{key}_wakeups"] = _f(m.group(1)), _f(m.group(2))
    return fig


def parse_window(out: str) -> Figures:
    fig: Figures = {}
    rows = {"launch to usable window (s)": "usable", "open largest thread (ms)": "thread",
            "RSS after use (MB)": "rss"}  # fmt: skip
    for label, key in rows.items():
        m = re.search(r"^" + re.escape(label) + r"\s+(\S+)\s+" + NUM, out, re.M)
        if m:
            fig[f"{key}_big"] = _f(m.group(2))
            if m.group(1) != "n/a":
                fig[f"{key}_empty"] = _f(m.group(1))
    m = re.search(r"^largest thread: ([\d,]+) messages", out, re.M)
    if m:
        fig["thread_messages"] = _f(m.group(1))
    return fig


def parse_queries(out: str) -> Figures:
    fig: Figures = {}
    row = re.compile(r"^((?:search|thread|list):.*?)\s+" + r"\s+".join([NUM] * 5) + r"\s*$", re.M)
    searches: list[tuple[float, float]] = []
    for m in row.finditer(out):
        label, s95, b95 = m.group(1), _f(m.group(3)), _f(m.group(5))
        if label.startswith("search:"):
            searches.append((s95, b95))
        elif label.startswith("thread: latest 50 of the largest"):
            fig["thread_small_p95"], fig["thread_big_p95"] = s95, b95
        elif label.startswith("list:"):
            fig["list_small_p95"], fig["list_big_p95"] = s95, b95
    if searches:
        fig["search_small_p95"] = max(s for s, _ in searches)
        fig["search_big_p95"] = max(b for _, b in searches)
        _ratio(fig, "search_growth", "search_big_p95", "search_small_p95")
    return fig


def parse_insight(out: str) -> Figures:
    fig: Figures = {}
    for label, key in (("last 4 weeks (the page's default)", "weeks4"), ("last year", "year")):
        m = re.search(r"^" + re.escape(label) + r"\s+" + r"\s+".join([NUM] * 4), out, re.M)
        if m:
            fig[f"{key}_small_p95"], fig[f"{key}_big_p95"] = _f(m.group(2)), _f(m.group(4))
    _ratio(fig, "weeks4_growth", "weeks4_big_p95", "weeks4_small_p95")
    return fig


# fmt: off
BENCHES: tuple[Bench, ...] = (
    Bench("peers", "bench_peers.py", "Goals 1 and 2: sending, TextDesk against gammu-smsd and "
          "smstools3 on the same virtual modem, reports requested", (
        Figure("textdesk_0_rate", "TextDesk, no network delay (SMS/s)"),
        at_least("textdesk_0_of_limit", "TextDesk, no delay: share of the line's limit", 0.8),
        Figure("textdesk_d_rate", "TextDesk, +CMGS after 1 s (SMS/s)"),
        at_least("textdesk_d_of_limit", "TextDesk, 1 s delay: share of the line's limit", 0.98),
        Figure("smstools3_0_rate", "smstools3 (report = yes), no delay (SMS/s)"),
        Figure("smstools3_d_rate", "smstools3 (report = yes), 1 s delay (SMS/s)"),
        at_least("td_vs_smstools_0", "TextDesk / smstools3, no delay", 1.0),
        at_least("td_vs_smstools_d", "TextDesk / smstools3, 1 s delay", 1.0),
        Figure("gammu_0_rate", "gammu-smsd, no delay (SMS/s)"),
        Figure("gammu_d_rate", "gammu-smsd, 1 s delay (SMS/s)"),
        Figure("limit_0_rate", "the line's limit, no delay (SMS/s)"),
        Figure("limit_d_rate", "the line's limit, 1 s delay (SMS/s)"),
        Figure("textdesk_0_bytes_per_sms", "TextDesk bytes on the line per SMS"),
        Figure("smstools3_0_bytes_per_sms", "smstools3 bytes on the line per SMS"),
        Figure("gammu_0_bytes_per_sms", "gammu-smsd bytes on the line per SMS"),
    ), parse_peers),
    Bench("modem", "bench_modem_throughput.py", "Goal 1: the modem layer against the line's "
          "limit for this run's exact bytes", (
        Figure("service_0_rate", "ModemService, no delay (parts/s)"),
        at_least("service_0_of_limit", "ModemService, no delay: share of the limit", 0.8),
        Figure("service_d_rate", "ModemService, +CMGS after 1 s (parts/s)"),
        at_least("service_d_of_limit", "ModemService, 1 s delay: share of the limit", 0.98),
        Figure("library_rate", "python-gsmmodem-new sendSms loop (parts/s)"),
    ), parse_modem),
    Bench("engine", "bench_engine.py", "Goal 5: the engine adds nothing (reports on in both runs)", (
        Figure("alone_rate", "modem layer alone (SMS/s)"),
        Figure("queued_rate", "engine, queued -> submitted (SMS/s)"),
        Figure("api_rate", "engine, Engine.send() each (SMS/s)"),
        at_least("ratio_queued", "engine (queued) / modem layer alone", 0.95),
        Figure("ratio_api", "engine (Engine.send()) / modem layer alone"),
        holds("invariants_hold", "nothing lost, doubled or unmatched"),
    ), parse_engine),
    Bench("incoming", "bench_incoming.py", "Goal 3: incoming bursts", (
        holds("burst_stored_once", "burst: every SMS stored once"),
        Figure("burst_rate", "burst: rows a second"),
        at_least("burst_of_limit", "burst: share of the line's limit (+CMT/+CNMA)", 0.8),
        Figure("burst_p50", "burst: notification -> row p50 (ms)"),
        at_most("burst_p95", "burst: notification -> row p95 (ms)", 150),
        holds("mixed_stored_once", "while sending: every SMS stored once"),
        Figure("mixed_rate", "while sending: rows a second"),
        at_most("mixed_p95", "while sending: notification -> row p95 (ms)", 150),
        holds("invariants_hold", "nothing lost, doubled or unmatched"),
    ), parse_incoming),
    Bench("reminders", "bench_reminders.py", "Goal 4: reminders all due in the same minute", (
        Figure("day_count", "reminders due"),
        at_most("day_s", "materialised in (s)", 5),
        Figure("day_ms_each", "per reminder (ms)"),
        at_most("day_longest_ms", "longest tick: the core thread held (ms)", 200),
        Figure("cost_ratio", "per-reminder cost against the baseline of 100 (1 = linear)"),
        holds("rate_limit_holds", "rate limit"),
        holds("quiet_hours_hold", "quiet hours"),
    ), parse_reminders),
    Bench("idle", "bench_idle.py", "Goal 7: idle costs nothing (modem attached, nothing happening)", (
        at_most("serve_cpu", "textdesk serve: CPU, % of one core", 0.2),
        Figure("serve_wakeups", "textdesk serve: wakeups per minute"),
        at_most("window_cpu", "the window: CPU, % of one core", 0.2),
        Figure("window_wakeups", "the window: wakeups per minute"),
        Figure("baseline_cpu", "baseline time.sleep: CPU, % of one core"),
    ), parse_idle),
    Bench("window", "bench_window.py", "Goal 6: the window on the big database (against empty)", (
        at_most("usable_big", "launch to usable window, big database (s)", 1.0),
        Figure("usable_empty", "launch to usable window, empty database (s)"),
        at_most("thread_big", "open the largest thread (ms)", 100),
        Figure("thread_messages", "messages in the largest thread"),
        at_most("rss_big", "RSS after use, big database (MB)", 200),
        Figure("rss_empty", "RSS after use, empty database (MB)"),
    ), parse_window, big_db=True),
    Bench("queries", "bench_core_queries.py", "Goal 6: core queries, growth from the small "
          "database (10k) to the big one (1M)", (
        Figure("search_small_p95", "search, worst p95, small database (ms)"),
        at_most("search_big_p95", "search, worst p95, big database (ms)", 100),
        Figure("search_growth", "search worst p95 growth, big / small"),
        Figure("thread_small_p95", "latest 50 of the largest thread p95, small (ms)"),
        at_most("thread_big_p95", "latest 50 of the largest thread p95, big (ms)", 100),
        Figure("list_big_p95", "conversation list first page p95, big (ms)"),
    ), parse_queries, big_db=True),
    Bench("insight", "bench_insight.py", "The insight page, small (10k) against big (1M)", (
        Figure("weeks4_small_p95", "4-week page p95, small database (ms)"),
        at_most("weeks4_big_p95", "4-week page p95, big database (ms)", 300),
        Figure("weeks4_growth", "4-week page growth, big / small"),
        Figure("year_big_p95", "last year p95, big database (ms)"),
    ), parse_insight, big_db=True),
    Bench("counters", "bench_counters.py", "Issue 15: three counters on PostgreSQL, side by side "
          "with one PC on SQLite (1M messages)", (
        at_most("pg_usable_s", "PostgreSQL: launch to usable window (s)", 1.0),
        at_most("sqlite_usable_s", "SQLite: launch to usable window (s)", 1.0),
        at_most("pg_thread_ms", "PostgreSQL: open the largest thread (ms)", 100),
        at_most("sqlite_thread_ms", "SQLite: open the largest thread (ms)", 100),
        Figure("pg_thread_messages", "messages in the largest thread"),
        at_most("pg_search_p95_ms", "PostgreSQL: search p95 (ms)", 100),
        at_most("sqlite_search_p95_ms", "SQLite: search p95 (ms)", 100),
        Figure("pg_search_worst_p95_ms", "PostgreSQL: worst search query's p95 (ms)"),
        Figure("pg_other_p50_ms", "PostgreSQL: modem -> another counter p50 (ms)"),
        at_most("pg_other_p95_ms", "PostgreSQL: modem -> another counter p95 (ms)", 1000),
        Figure("pg_own_p95_ms", "PostgreSQL: modem -> the owner's counter p95 (ms)"),
        Figure("sqlite_own_p95_ms", "SQLite: modem -> the counter p95 (ms)"),
        holds("all_shown", "every text shown at every counter"),
        Figure("move_s", "textdesk database move of the shop (s)"),
    ), result_line, big_db=True),
)
# fmt: on
