"""Property: whatever the modem answers and wherever the app crashes, no part is handed to the
modem twice unless a person pressed "resend" on an uncertain message, and nothing is lost: at
the end every message is sent, failed (with a reason) or uncertain.

A simulated modem records every part "written" to it. Actions are drawn at random: take jobs,
a part accepted, a transient or permanent failure, an uncertain failure (the part may have gone
out), a crash (the next part of some in-flight job may have been written, nothing of it recorded;
on restart ``recover_interrupted``), staff pressing resend, time passing.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from desk.base.clock import FakeClock
from desk.messaging import outbox, send_queue, staff_decisions
from desk.store.models import FAILED, SENT, UNCERTAIN, Message
from desk.store.settings import Settings
from modem.events import PartSent, PartSubmitting, SendFailed
from tests.helpers.databases import fresh_database, reopen

NUMBERS = ["+12015550123", "+14155552671", "+17185550199"]
TEXTS = ["short", "Your crown is ready. " * 9, "Your crown is ready. " * 20]  # 1, 2, 3 parts
ACTIONS = ["take", "ok", "ok", "ok", "retry", "fail", "uncertain", "crash", "resend", "wait"]


class Modem:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.written: Counter[tuple[int, int]] = Counter()
        self.flights: dict[int, list[int]] = {}  # job id -> [next part, parts]
        self.reference = 0

    def take(self, config: Settings) -> None:
        for job in send_queue.take_jobs(settings=config, clock=self.clock, limit=5):
            assert job.job_id not in self.flights, "a job taken twice while in flight"
            parts = Message.get_by_id(job.job_id).parts
            self.flights[job.job_id] = [job.start_part, parts]

    def write(self, job_id: int) -> tuple[int, int]:
        part, parts = self.flights[job_id]
        outbox.on_part_submitting(PartSubmitting(job_id, part, parts, None), clock=self.clock)
        self.written[(job_id, part)] += 1
        return part, parts

    def ok(self, job_id: int) -> None:
        part, parts = self.write(job_id)
        self.reference = (self.reference + 1) % 256
        outbox.on_part_sent(PartSent(job_id, part, parts, self.reference, None), clock=self.clock)
        if part == parts:
            del self.flights[job_id]
        else:
            self.flights[job_id][0] += 1

    def failure(self, job_id: int, *, retryable: bool, uncertain: bool = False) -> None:
        part, parts = self.flights.pop(job_id)
        if uncertain:
            self.written[(job_id, part)] += 1  # it may have gone out
        event = SendFailed(job_id, part, parts, None, 42, "The network is congested.", retryable)
        if uncertain:
            event = SendFailed(job_id, part, parts, None, None, "Modem gone.", False, True)
        outbox.on_send_failed(event, clock=self.clock)


@hsettings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    messages=st.lists(st.tuples(st.sampled_from(NUMBERS), st.sampled_from(TEXTS)), min_size=1,
                      max_size=5),
    steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 10), st.booleans()),
                   max_size=40),
)  # fmt: skip
def test_no_part_written_twice_without_staff_and_nothing_lost(messages, steps):
    with fresh_database() as path:
        clock = FakeClock(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
        config = Settings()
        config.set("rate_per_minute", 60)
        ids = [
            outbox.queue_message(n, t, source="staff", settings=config, clock=clock).id
            for n, t in messages
        ]
        modem = Modem(clock)
        resends: Counter[int] = Counter()
        for action, pick, flag in steps:
            flights = sorted(modem.flights)
            job = flights[pick % len(flights)] if flights else None
            if action == "take":
                modem.take(config)
            elif action == "ok" and job is not None:
                modem.ok(job)
            elif action == "retry" and job is not None:
                modem.failure(job, retryable=True)
            elif action == "fail" and job is not None:
                modem.failure(job, retryable=False)
            elif action == "uncertain" and job is not None:
                modem.failure(job, retryable=False, uncertain=True)
            elif action == "crash":
                if job is not None and flag:
                    modem.write(job)  # written, and the app died before hearing back
                modem.flights.clear()
                reopen(path)
                outbox.recover_interrupted(clock=clock)
            elif action == "resend":
                target = ids[pick % len(ids)]
                if Message.get_by_id(target).state in (UNCERTAIN, FAILED):
                    staff_decisions.resend(target, clock=clock)
                    resends[target] += 1
            elif action == "wait":
                clock.advance(timedelta(seconds=30 * (pick + 1)))
            for (mid, _part), count in modem.written.items():
                assert count <= 1 + resends[mid], f"message {mid} written {count} times"
        # Drain: the modem now accepts everything; time passes for the backoffs.
        for _ in range(60):
            if outbox.queued_count() == 0 and not modem.flights:
                break
            modem.take(config)
            for job in sorted(modem.flights):
                while job in modem.flights:
                    modem.ok(job)
            clock.advance(timedelta(minutes=31))
        for (mid, _part), count in modem.written.items():
            assert count <= 1 + resends[mid], f"message {mid} written {count} times"
        for mid in ids:
            message = Message.get_by_id(mid)
            assert message.state in (SENT, FAILED, UNCERTAIN), message.state
            if message.state == SENT:
                for part in range(1, message.parts + 1):
                    assert modem.written[(mid, part)] >= 1
            else:
                assert message.error
