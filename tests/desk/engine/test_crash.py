"""The crash test: `textdesk serve` killed with SIGKILL at random moments while texts flow both ways.

The virtual modem runs as its own process (``python -m modem.sim --link``, so the port path stays
the same), `textdesk serve` runs in a subprocess on a temporary profile. Incoming texts are
delivered through the sim and outgoing ones queued (through `textdesk send` and straight into the
database, as another process would) while serve is killed and restarted many times. At the end,
after a clean run has drained everything:

- every incoming SMS the sim delivered is stored exactly once, and the SIM is empty: no received
  SMS (SM/ME) and no status report (SR) is left behind by a killed engine;
- every outgoing one reached the modem exactly once (sent/delivered), or is marked uncertain and
  reached it at most once — never twice, never lost.

It runs in both delivery modes (the ``modem_delivery`` setting): inline, where texts and reports
come as +CMT / +CDS and a kill leaves one waiting for a +CNMA nobody sends (the next engine
answers AT+CNMA=2 and the network delivers it again), and stored, where they wait on the SIM.

Seeded: set TEXTDESK_CRASH_SEED to replay a plan; the seed is printed (and in every failure).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from desk.base.clock import SystemClock
from desk.base.paths import resolve_profile
from desk.messaging.outbox import queue_message
from desk.store.db import close_database, db, open_database
from desk.store.settings import Settings
from modem.codec.pdu import split
from modem.sim import SimProcess

ROOT = Path(__file__).resolve().parents[3]
TRIALS = int(os.environ.get("TEXTDESK_CRASH_TRIALS", "12"))  # per delivery mode
SENDERS = ["+12025550143", "+12025550178", "+447700900123"]
RECIPIENTS = ["+12025550111", "+12025550122", "+12025550133"]


def _long_body(n: int) -> str:
    head = f"long-{n:03d} "
    filler = "Your repair estimate is ready, please see the details here "
    body = head + (filler * 3)[: 160 - len(head)]
    return body + f" tail-{n:03d} call us back any time."


class Run:
    def __init__(self, tmp: Path, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.profile = resolve_profile(tmp / "profile")
        self.link = tmp / "modem-link"
        self.log = tmp / "serve.log"
        self.sim = SimProcess(link=str(self.link), report_delay=0.1, seed=seed)
        self.serve: subprocess.Popen[bytes] | None = None
        self.incoming: list[str] = []
        self.outgoing: dict[str, str] = {}  # body -> recipient
        self.queued_ids: list[int] = []
        self.n_in = 0
        self.n_out = 0
        self.kills = 0

    def why(self) -> str:
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        return f"(seed {self.seed}; serve log tail:\n{tail})"

    # --- processes ------------------------------------------------------------------------------

    def start_serve(self) -> None:
        with self.log.open("ab") as out:
            self.serve = subprocess.Popen(
                [sys.executable, "-m", "desk.cli.main", "serve", "--profile",
                 str(self.profile.data_dir), "--port", str(self.link)],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill_serve(self) -> None:
        assert self.serve is not None
        code = self.serve.poll()
        assert code is None, f"serve exited by itself with {code} {self.why()}"
        self.serve.send_signal(signal.SIGKILL)
        self.serve.wait(30)
        self.kills += 1

    # --- traffic --------------------------------------------------------------------------------

    def deliver_one(self) -> None:
        self.n_in += 1
        n = self.n_in
        text = f"in-{n:03d} is my order ready?"
        if self.rng.random() < 0.15:
            text = f"in-{n:03d} " + "a longer question about the invoice and the parts " * 4
        reply = self.sim.deliver(self.rng.choice(SENDERS), text)
        assert reply and reply.get("ok"), reply
        self.incoming.append(text)

    def queue_one(self) -> None:
        self.n_out += 1
        n = self.n_out
        body = _long_body(n) if self.rng.random() < 0.2 else f"out-{n:03d} your car is ready"
        to = self.rng.choice(RECIPIENTS)
        if self.rng.random() < 0.25:
            out = subprocess.run(
                [sys.executable, "-m", "desk.cli.main", "send", "--profile",
                 str(self.profile.data_dir), to, body],
                cwd=ROOT, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert out.returncode == 0, out.stderr
            mid = int(out.stdout.split("queued message ")[1].split()[0])
        else:
            with db.atomic("IMMEDIATE"):  # as `textdesk send` does, next to a running engine
                message = queue_message(
                    to, body, source="cli", settings=Settings(), clock=SystemClock()
                )
            mid = message.id
        self.outgoing[body] = to
        self.queued_ids.append(mid)

    def traffic_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            roll = self.rng.random()
            if roll < 0.45:
                self.deliver_one()
            elif roll < 0.75:
                self.queue_one()
            time.sleep(min(left, self.rng.uniform(0.05, 0.4)))

    # --- reading the result -----------------------------------------------------------------------

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.profile.db_path, timeout=30)

    def pending(self) -> str:
        """What the drain still waits for, for a failure message."""
        con = self.db()
        try:
            waiting = con.execute(
                "SELECT id, state, attempts, next_attempt_at, error FROM message "
                "WHERE direction='out' AND state IN ('queued','sending')"
            ).fetchall()
            bodies = {b for (b,) in con.execute("SELECT body FROM message WHERE direction='in'")}
        finally:
            con.close()
        missing = [t[:12] for t in self.incoming if t not in bodies]
        status = self.sim.control({"cmd": "status"}) or {}
        return f"outgoing waiting {waiting}; incoming missing {missing}; sim {status}"

    def drained(self) -> bool:
        con = self.db()
        try:
            waiting = con.execute(
                "SELECT COUNT(*) FROM message WHERE direction='out' AND state IN ('queued','sending')"
            ).fetchone()[0]
            bodies = Counter(
                b for (b,) in con.execute("SELECT body FROM message WHERE direction='in'")
            )
        finally:
            con.close()
        if waiting or any(bodies[t] < 1 for t in self.incoming):
            return False
        return self.sim_empty()

    def sim_empty(self) -> bool:
        status = self.sim.control({"cmd": "status"}) or {}
        storage = status.get("storage", {})
        # Received SMS live in SM/ME, status reports in SR: the engine must leave none behind.
        used = sum(storage[name]["used"] for name in ("SM", "ME", "SR") if name in storage)
        return used == 0 and not status.get("network_queue")

    def reports_left(self) -> int:
        status = self.sim.control({"cmd": "status"}) or {}
        return int(status.get("storage", {}).get("SR", {}).get("used", 0))

    def settled(self, gap: float = 2.0) -> bool:
        """Drained now and still drained ``gap`` seconds later: a status report the sim schedules
        0.1 s after a submit (a timer, not yet in its network queue) has arrived and been
        handled by then."""
        if not self.drained():
            return False
        time.sleep(gap)
        return self.drained()


@pytest.mark.slow
@pytest.mark.timeout(420)
@pytest.mark.parametrize("delivery", ["inline", "stored"])
def test_sigkill_at_random_moments_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, delivery: str
) -> None:
    """``delivery``: texts and reports routed inline (+CMT / +CDS acknowledged with +CNMA; a
    kill leaves one waiting for a +CNMA nobody sends) or stored on the SIM and read from it."""
    seed = int(os.environ.get("TEXTDESK_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
    print(f"\ncrash test seed: {seed} (TEXTDESK_CRASH_SEED={seed} replays the plan)")
    run = Run(tmp_path, seed)
    run.sim.start()
    try:
        run.profile.ensure()
        open_database(run.profile.db_path)
        Settings().set("rate_per_minute", 60)  # the most the setting allows: many messages flow
        Settings().set("modem_delivery", delivery)

        for _ in range(TRIALS):
            run.start_serve()
            run.traffic_for(run.rng.uniform(0.2, 3.0))  # from a cold start to a busy engine
            run.kill_serve()
            if run.rng.random() < 0.3:
                run.traffic_for(run.rng.uniform(0.1, 0.8))  # traffic while nothing runs

        # A last, clean run drains everything.
        run.start_serve()
        for _ in range(3):
            run.deliver_one()
        deadline = time.monotonic() + 150
        while not run.settled():
            assert run.serve is not None and run.serve.poll() is None, f"serve died {run.why()}"
            assert time.monotonic() < deadline, f"did not drain: {run.pending()} {run.why()}"
            time.sleep(0.5)
        assert run.serve is not None
        run.serve.send_signal(signal.SIGTERM)
        assert run.serve.wait(60) == 0, f"serve did not stop cleanly {run.why()}"

        submitted = run.sim.submitted()
        reports_left = run.reports_left()
        routing = (run.sim.control({"cmd": "status"}) or {}).get("cnmi", [])
        # the mode asked for is the one the modem was driven in: +CMT routed (<mt> 2) or stored
        assert (routing[1:2] == [2]) == (delivery == "inline"), routing
    finally:
        if run.serve is not None and run.serve.poll() is None:
            run.serve.kill()
            run.serve.wait()
        run.sim.stop()
        close_database()

    con = run.db()
    try:
        incoming = Counter(
            b for (b,) in con.execute("SELECT body FROM message WHERE direction='in'")
        )
        outgoing = {
            body: (mid, state, to)
            for mid, body, state, to in con.execute(
                "SELECT m.id, m.body, m.state, c.number FROM message m "
                "JOIN conversation v ON m.conversation_id = v.id "
                "JOIN contact c ON v.contact_id = c.id WHERE m.direction='out'"
            )
        }
        raw = con.execute("SELECT COUNT(*) FROM raw_incoming").fetchone()[0]
    finally:
        con.close()

    # Incoming: each exactly once, nothing else, nothing undecodable; no status report piles up
    # on the SIM (the modem sweeps SR at connect; the engine acknowledges each after storing it).
    assert raw == 0
    assert reports_left == 0, f"{reports_left} status reports left on the SIM {run.why()}"
    for text in run.incoming:
        assert incoming[text] == 1, (
            f"incoming {text[:20]!r} stored {incoming[text]} times {run.why()}"
        )
    assert sum(incoming.values()) == len(run.incoming)

    # Outgoing: every queued message is there; each part reached the modem once, or at most once
    # when uncertain; nothing reached the modem that was not queued.
    by_part = Counter((e["to"], e["text"]) for e in submitted)
    segments: dict[str, list[str]] = {body: split(body)[1] for body in run.outgoing}
    assert len({s for segs in segments.values() for s in segs}) == sum(map(len, segments.values()))
    known = {(to, s) for body, to in run.outgoing.items() for s in segments[body]}
    assert set(by_part) <= known, f"the modem got texts nobody queued {run.why()}"
    states: Counter[str] = Counter()
    for body, to in run.outgoing.items():
        assert body in outgoing, f"outgoing {body[:20]!r} lost {run.why()}"
        mid, state, number = outgoing[body]
        assert number == to
        states[state] += 1
        counts = [by_part[(to, s)] for s in segments[body]]
        assert max(counts) <= 1, f"message {mid} part sent twice: {counts} {run.why()}"
        if state in ("sent", "delivered"):
            assert counts == [1] * len(counts), f"message {mid} {state} but {counts} {run.why()}"
        else:
            assert state == "uncertain", f"message {mid} ended {state} {run.why()}"
    assert len(outgoing) == len(run.outgoing) == len(run.queued_ids)
    print(
        f"crash test ({delivery}): {run.kills} kills, {len(run.incoming)} incoming stored once, "
        f"{len(run.outgoing)} outgoing: {dict(states)}, {len(submitted)} parts at the modem; "
        f"{reports_left} status reports left in the modem's SR storage"
    )
