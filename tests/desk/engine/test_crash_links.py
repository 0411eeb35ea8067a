"""The crash test on each HTTP link: ``textdesk serve`` killed with SIGKILL while an incoming
text is stored but not yet let go by the device, and at random moments while texts flow both
ways; after a restart nothing is lost and nothing is doubled.

The device (the virtual HiLink stick, the virtual Android gateway) runs in this process and
outlives every kill; ``textdesk serve`` runs in a subprocess on a temporary profile, its
passwords in a password store kept in a file (tests.desk.engine.file_keyring).

Between store and delete, made certain rather than left to luck: on the stick, its delete page
fails (the text is stored, still on the stick) when serve is killed; on the phone, the text's
webhook is lost, so it reaches TextDesk from the phone's inbox (which the phone never empties)
and the kill comes once it is stored. After the restart the stick lists it again and the phone's
inbox offers it again: stored once, and the stick's copy deleted.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desk.base.clock import SystemClock
from desk.base.paths import Profile, resolve_profile
from desk.messaging.outbox import queue_message
from desk.store.db import close_database, db, open_database
from desk.store.settings import Settings
from tests.desk.engine.file_keyring import ROOT, env_for
from tests.desk.engine.http_devices import KINDS, Device

SENDERS = ["+12025550143", "+447700900123"]
RECIPIENTS = ["+12025550111", "+12025550122"]


class Serve:
    """``textdesk serve`` on ``profile``, killed and started again at will."""

    def __init__(self, tmp: Path, profile: Profile, device: Device) -> None:
        self.profile = profile
        self.env = env_for(tmp / "keyring.json", **device.secrets)
        self.log = tmp / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "desk.cli.main", "serve", "--profile",
                 str(self.profile.data_dir)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill(self) -> None:
        assert self.proc is not None
        assert self.proc.poll() is None, f"serve exited by itself {self.why()}"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.kills += 1

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def why(self) -> str:
        tail = self.log.read_text(errors="replace")[-2500:] if self.log.exists() else ""
        return f"(serve log tail:\n{tail})"

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        con = sqlite3.connect(self.profile.db_path, timeout=30)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def incoming(self) -> Counter[str]:
        return Counter(
            str(b) for (b,) in self.rows("SELECT body FROM message WHERE direction='in'")
        )

    def wait(self, cond: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            assert self.proc is None or self.proc.poll() is None, f"serve died {self.why()}"
            assert time.monotonic() < deadline, f"timed out: {what} {self.why()}"
            time.sleep(0.05)


@pytest.fixture(params=KINDS)
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Device, Serve]]:
    device = Device(str(request.param))
    profile = resolve_profile(tmp_path / "profile")
    profile.ensure()
    open_database(profile.db_path)
    s = Settings()
    s.set("rate_per_minute", 60)
    for key, value in device.settings.items():
        s.set(key, value)
    close_database()
    serve = Serve(tmp_path, profile, device)
    yield device, serve
    if serve.proc is not None and serve.proc.poll() is None:
        serve.proc.kill()
        serve.proc.wait()
    device.stop()


def hold_between_store_and_delete(device: Device) -> None:
    if device.kind == "hilink":
        device.control({"cmd": "error", "endpoint": "sms/delete-sms", "code": 100005, "count": 999})
    else:
        device.control({"cmd": "webhooks", "lose": 1})


@pytest.mark.timeout(120)
def test_killed_between_store_and_delete_the_text_is_stored_once(
    rig: tuple[Device, Serve],
) -> None:
    device, serve = rig
    hold_between_store_and_delete(device)
    text = "Is the bike ready for pick-up?"
    device.deliver(SENDERS[0], text)
    serve.start()
    serve.wait(lambda: serve.incoming()[text] == 1, "the text stored")
    assert device.waiting() == 1, "the device still holds it (not deleted / not answered)"
    serve.kill()  # stored, and the device never told

    device.control({"cmd": "clear_faults"})
    inbox_reads = device.requests("inbox")
    serve.start()
    if device.kind == "hilink":
        serve.wait(lambda: device.waiting() == 0, "the stick's copy deleted after the restart")
    else:  # the phone keeps its inbox; the restarted link offers it again from there
        serve.wait(lambda: device.requests("inbox") > inbox_reads, "the phone's inbox read again")
        time.sleep(1.0)
    assert serve.stop() == 0
    assert serve.incoming() == Counter({text: 1})


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_killed_at_random_moments_nothing_lost_nothing_sent_twice(
    rig: tuple[Device, Serve],
) -> None:
    device, serve = rig
    seed = random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    incoming: list[str] = []
    outgoing: dict[str, str] = {}
    n = 0
    open_database(serve.profile.db_path)
    for _trial in range(2):
        serve.start()
        end = time.monotonic() + rng.uniform(0.8, 1.8)
        while time.monotonic() < end:
            n += 1
            if rng.random() < 0.5:
                text = f"in-{n:03d} when do you open?"
                device.deliver(rng.choice(SENDERS), text)
                incoming.append(text)
            else:
                body, to = f"out-{n:03d} your order is ready", rng.choice(RECIPIENTS)
                with db.atomic("IMMEDIATE"):  # as `textdesk send` does, beside the engine
                    queue_message(to, body, source="cli", settings=Settings(), clock=SystemClock())
                outgoing[body] = to
            time.sleep(rng.uniform(0.05, 0.3))
        serve.kill()

    serve.start()  # a clean run drains everything

    def drained() -> bool:
        waiting = serve.rows(
            "SELECT COUNT(*) FROM message WHERE direction='out' AND state IN ('queued','sending')"
        )[0][0]
        stored = serve.incoming()
        # the stick must be empty; the phone keeps its inbox (and stops retrying webhooks that
        # a killed serve never answered: those texts come from its inbox)
        emptied = device.kind != "hilink" or device.waiting() == 0
        return not waiting and all(stored[t] >= 1 for t in incoming) and emptied

    serve.wait(drained, f"everything settled (seed {seed})", timeout=60)
    time.sleep(1.0)
    assert serve.stop() == 0
    close_database()

    stored = serve.incoming()
    for text in incoming:
        assert stored[text] == 1, f"{text!r} stored {stored[text]} times (seed {seed})"
    assert sum(stored.values()) == len(incoming)
    at_device = Counter(str(e["text"]) for e in device.submitted())
    assert set(at_device) <= set(outgoing), "the device got texts nobody queued"
    states = dict(
        (str(body), str(state))
        for body, state in serve.rows("SELECT body, state FROM message WHERE direction='out'")
    )
    assert set(states) == set(outgoing), f"outgoing lost (seed {seed})"
    for body, state in states.items():
        assert at_device[body] <= 1, f"{body!r} reached the device twice (seed {seed})"
        if state in ("sent", "delivered"):
            assert at_device[body] == 1, f"{body!r} {state} but never at the device"
        else:
            assert state == "uncertain", f"{body!r} ended {state} (seed {seed})"
    print(
        f"{device.kind}: {serve.kills} kills, {len(incoming)} in, {len(outgoing)} out, seed {seed}"
    )
