"""The Engine end to end: the real ModemService against the virtual modem on a real pty, and a real
SQLite file in a temporary profile."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from desk.base import events as ev
from desk.base.lock import ProfileLocked
from desk.base.paths import Profile
from desk.engine.api import Engine, EngineNotRunning
from desk.store.models import (
    DELIVERED,
    DONE,
    IN,
    OUT,
    QUEUED,
    SENDING,
    SENT,
    UNCERTAIN,
    Contact,
    Conversation,
    Message,
    RawIncoming,
)
from desk.store.settings import Settings
from modem.events import ModemState
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem
from tests.desk.engine.harness import (
    CUSTOMER,
    Recorder,
    start_engine,
    updated_to,
    wait_ready,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[3]
OTHER = "+12025550178"


@pytest.fixture
def modem() -> Iterator[VirtualModem]:
    vm = VirtualModem(report_delay=0.05, ussd_text="Your balance is $5.00")
    vm.start()
    yield vm
    vm.stop()


@pytest.fixture
def running(profile: Profile, modem: VirtualModem) -> Iterator[tuple[Engine, Recorder]]:
    engine, rec = start_engine(profile, modem.device)
    try:
        wait_ready(rec)
        yield engine, rec
    finally:
        engine.stop()


def sim_storage_used(vm: VirtualModem) -> int:
    reply = vm.control({"cmd": "status"})
    assert reply is not None
    return sum(s["used"] for s in reply["storage"].values())


# --- incoming -------------------------------------------------------------------------------


def test_incoming_is_committed_before_the_modem_may_delete_it(
    profile: Profile, modem: VirtualModem
) -> None:
    acks: list[tuple[str, int]] = []

    class Checking(ModemService):
        def ack_incoming(self, token: str) -> None:
            # Another connection (another process, in effect) must already see the row.
            con = sqlite3.connect(profile.db_path)
            try:
                (n,) = con.execute(
                    "SELECT COUNT(*) FROM message WHERE direction='in' AND body=?",
                    ("Is my car ready?",),
                ).fetchone()
            finally:
                con.close()
            acks.append((token, n))
            super().ack_incoming(token)

    engine, rec = start_engine(profile, modem.device, modem_factory=Checking)
    try:
        wait_ready(rec)
        modem.deliver(CUSTOMER, "Is my car ready?")
        added = rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.direction == IN)
        rec.wait(
            lambda e: (
                isinstance(e, ev.ConversationUpdated) and e.conversation_id == added.conversation_id
            )
        )
        wait_until(lambda: acks, what="the ack")
        assert all(n == 1 for _, n in acks), acks
        wait_until(lambda: sim_storage_used(modem) == 0, what="the SIM emptied")
        msg = Message.get_by_id(added.message_id)
        assert (msg.direction, msg.body, msg.read) == (IN, "Is my car ready?", False)
        assert msg.conversation.contact.number == CUSTOMER
        assert Conversation.get_by_id(added.conversation_id).unread == 1
    finally:
        engine.stop()


def test_undecodable_pdu_is_kept_raw_and_the_next_text_still_arrives(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    _engine, rec = running
    modem.control({"cmd": "deliver_pdu", "pdu": "0004FFFF"})
    problem = rec.wait(lambda e: isinstance(e, ev.Problem))
    assert problem.text
    assert RawIncoming.select().count() == 1
    modem.deliver(CUSTOMER, "Second one is fine")
    added = rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.direction == IN)
    assert Message.get_by_id(added.message_id).body == "Second one is fine"
    wait_until(lambda: sim_storage_used(modem) == 0, what="both acknowledged")


def test_long_unicode_message_is_reassembled_once(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    _, rec = running
    text = "Ünïcödé 😀 " * 20
    modem.deliver(CUSTOMER, text)
    added = rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.direction == IN)
    assert Message.get_by_id(added.message_id).body == text
    wait_until(lambda: sim_storage_used(modem) == 0, what="all parts acknowledged")
    assert Message.select().where(Message.direction == IN).count() == 1


# --- outgoing -------------------------------------------------------------------------------


def test_send_reaches_the_modem_once_then_sent_then_delivered(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    engine, rec = running
    future = engine.send(CUSTOMER, "Your car is ready")
    assert isinstance(future, Future)
    mid = future.result(timeout=30)
    rec.wait(
        lambda e: isinstance(e, ev.MessageAdded) and e.message_id == mid and e.direction == OUT
    )
    submitted = modem.wait_event("submitted", timeout=30)
    assert (submitted["to"], submitted["text"]) == (CUSTOMER, "Your car is ready")
    rec.wait(updated_to(mid, SENT))
    rec.wait(updated_to(mid, DELIVERED))
    assert Message.get_by_id(mid).state == DELIVERED
    assert len(modem.submitted()) == 1
    rec.wait(lambda e: isinstance(e, ev.QueueChanged) and e.queued == 0)


def test_long_message_goes_in_parts_and_is_delivered_when_all_are(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    engine, rec = running
    text = "We found a second issue with the brakes. " * 6
    mid = engine.send(CUSTOMER, text).result(timeout=30)
    rec.wait(updated_to(mid, DELIVERED))
    parts = modem.submitted()
    assert len(parts) == Message.get_by_id(mid).parts >= 2
    assert "".join(p["text"] for p in sorted(parts, key=lambda p: p.get("part", 1))) == text


def test_refused_send_comes_back_through_the_future(running: tuple[Engine, Recorder]) -> None:
    engine, _ = running
    from desk.messaging.outbox import SendRefused

    with pytest.raises(SendRefused, match="not a phone number"):
        engine.send("12", "hello").result(timeout=30)
    with pytest.raises(SendRefused, match="empty"):
        engine.send(CUSTOMER, "   ").result(timeout=30)


def test_queue_written_by_another_process_is_picked_up(
    running: tuple[Engine, Recorder], modem: VirtualModem, profile: Profile
) -> None:
    _, rec = running
    out = subprocess.run(
        [sys.executable, "-m", "desk.cli.main", "send", "--profile", str(profile.data_dir),
         CUSTOMER, "Sent from the back office"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "queued message" in out.stdout and "sends it now" in out.stdout
    mid = int(out.stdout.split("queued message ")[1].split()[0])
    rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.message_id == mid)
    submitted = modem.wait_event("submitted", timeout=30)
    assert submitted["text"] == "Sent from the back office"
    rec.wait(updated_to(mid, SENT))
    assert Message.get_by_id(mid).source == "cli"


def test_stop_keyword_opts_out_and_the_confirmation_goes_out_once(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    engine, _rec = running
    modem.deliver(CUSTOMER, "STOP")
    confirm = modem.wait_event("submitted", timeout=30)
    assert confirm["to"] == CUSTOMER
    contact = Contact.get(Contact.number == CUSTOMER)
    assert wait_until(lambda: Contact.get_by_id(contact.id).opted_out, what="opt-out")
    from desk.messaging.outbox import SendRefused

    with pytest.raises(SendRefused, match="opted out"):
        engine.send(contact.id, "One more thing").result(timeout=30)
    assert len(modem.submitted()) == 1


# --- crash recovery, lock ----------------------------------------------------------------------


def test_interrupted_send_becomes_uncertain_and_is_never_resent_by_itself(
    profile: Profile, modem: VirtualModem
) -> None:
    from desk.base.clock import SystemClock
    from desk.messaging.outbox import queue_message

    stuck = queue_message(CUSTOMER, "Was this sent?", source="staff", settings=Settings(),
                          clock=SystemClock())  # fmt: skip
    Message.update(state=SENDING).where(Message.id == stuck.id).execute()  # as a crash leaves it
    engine, rec = start_engine(profile, modem.device)
    try:
        rec.wait(updated_to(stuck.id, UNCERTAIN))
        wait_ready(rec)
        later = engine.send(OTHER, "Next in line").result(timeout=30)
        rec.wait(updated_to(later, SENT))
        assert [s["text"] for s in modem.submitted()] == ["Next in line"]
        assert Message.get_by_id(stuck.id).state == UNCERTAIN
        # A person decides: resend continues it.
        engine.resend(stuck.id).result(timeout=30)
        rec.wait(updated_to(stuck.id, SENT))
        assert [s["text"] for s in modem.submitted()] == ["Next in line", "Was this sent?"]
    finally:
        engine.stop()


def test_a_second_engine_on_the_same_profile_is_refused(
    running: tuple[Engine, Recorder], profile: Profile
) -> None:
    second = Engine(profile, mode="window")
    with pytest.raises(ProfileLocked, match=r"already running for this profile \(pid \d+, a test"):
        second.start()
    assert not second.running


# --- API on the core thread --------------------------------------------------------------------


def test_staff_actions_update_the_conversation(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    engine, rec = running
    modem.deliver(CUSTOMER, "Can you call me back?")
    added = rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.direction == IN)
    conv_id = added.conversation_id
    contact_id = Conversation.get_by_id(conv_id).contact_id

    engine.mark_read(conv_id).result(timeout=30)
    assert Conversation.get_by_id(conv_id).unread == 0
    assert Message.get_by_id(added.message_id).read is True

    engine.set_status(conv_id, DONE).result(timeout=30)
    assert Conversation.get_by_id(conv_id).status == DONE
    with pytest.raises(ValueError, match="open"):
        engine.set_status(conv_id, "archived").result(timeout=30)

    engine.update_contact(contact_id, name="Ana Silva", tags="VIP, brakes,vip").result(timeout=30)
    contact = Contact.get_by_id(contact_id)
    assert (contact.name, contact.tags) == ("Ana Silva", "vip,brakes")
    with pytest.raises(ValueError, match="time zone"):
        engine.update_contact(contact_id, timezone="Mars/Olympus").result(timeout=30)
    with pytest.raises(ValueError, match="no field"):
        engine.update_contact(contact_id, number="+1").result(timeout=30)

    engine.set_opt_out(contact_id, True, staff="Bo").result(timeout=30)
    assert Contact.get_by_id(contact_id).opted_out
    rec.wait(lambda e: isinstance(e, ev.ConversationUpdated) and e.conversation_id == conv_id)
    assert engine.call(lambda: threading.current_thread().name).result(timeout=30) == "desk-core"


def test_balance_query_answers_with_an_event(running: tuple[Engine, Recorder]) -> None:
    engine, rec = running
    assert engine.query_balance() is None
    balance = rec.wait(lambda e: isinstance(e, ev.BalanceReceived), timeout=60)
    assert balance.text is not None and "5.00" in balance.text


def test_changing_the_port_setting_moves_the_engine_to_the_new_modem(
    profile: Profile, modem: VirtualModem
) -> None:
    Settings().set("modem_port", modem.device)
    engine, rec = start_engine(profile, None)  # no --port: the setting decides
    second = VirtualModem(report_delay=0.05)
    second.start()
    try:
        wait_ready(rec)
        assert engine.modem_status.port == modem.device
        Settings().set("modem_port", second.device)  # as `textdesk config modem_port` would
        wait_until(lambda: engine.modem_status.port == second.device
                   and engine.modem_status.state == ModemState.READY, 60, "the new modem")  # fmt: skip
        mid = engine.send(CUSTOMER, "From the new modem").result(timeout=30)
        rec.wait(updated_to(mid, SENT))
        assert [s["text"] for s in second.submitted()] == ["From the new modem"]
        assert modem.submitted() == []
    finally:
        engine.stop()
        second.stop()


# --- stopping -----------------------------------------------------------------------------------


def _stop_in_thread(engine: Engine) -> threading.Thread:
    t = threading.Thread(target=engine.stop, daemon=True)
    t.start()
    t.join(90)
    return t


def test_stop_returns_while_the_modem_hangs_and_nothing_is_sent_twice(
    running: tuple[Engine, Recorder], modem: VirtualModem, profile: Profile
) -> None:
    engine, rec = running
    modem.control({"cmd": "hang"})
    mid = engine.send(CUSTOMER, "Into the void").result(timeout=30)
    rec.wait(updated_to(mid, SENDING))
    assert not _stop_in_thread(engine).is_alive(), "stop() hung"
    assert not engine.running
    state = Message.get_by_id(mid).state
    assert state in (QUEUED, UNCERTAIN, SENDING), state
    assert modem.submitted() == []
    # The lock is free again: a new engine starts on the profile.
    again = Engine(profile, port=modem.device, mode="test")
    again.start()
    again.stop()


def test_stop_returns_when_the_service_itself_never_stops(profile: Profile) -> None:
    release = threading.Event()

    class Stuck:
        def __init__(self, **kw: Any) -> None:
            self.status = None

        def start(self) -> None:
            pass

        def stop(self) -> None:
            release.wait()  # a modem thread wedged in a driver call

        def submit(self, job: Any) -> None:
            pass

    engine, _ = start_engine(profile, "/dev/null", modem_factory=Stuck)
    try:
        assert not _stop_in_thread(engine).is_alive(), "stop() hung"
        with pytest.raises(EngineNotRunning):
            engine.send(CUSTOMER, "late").result(timeout=5)
    finally:
        release.set()


def test_a_clean_stop_returns_unsent_jobs_to_the_queue(
    profile: Profile, modem: VirtualModem
) -> None:
    """A job handed to the service but not yet written goes back to the queue (not uncertain);
    the one whose PDU the modem had when the stop came (the virtual modem says "submitted" only
    as +CMGS answers, after its delay) may have gone out: uncertain, for a person to decide."""
    modem.control({"cmd": "config", "cmgs_delay": 1.0})
    engine, rec = start_engine(profile, modem.device, max_in_flight=3)
    try:
        wait_ready(rec)
        ids = [engine.send(CUSTOMER, f"Batch {i}").result(timeout=30) for i in range(3)]
        rec.wait(updated_to(ids[2], SENDING))
    finally:
        assert not _stop_in_thread(engine).is_alive()
    states = {Message.get_by_id(i).body: Message.get_by_id(i).state for i in ids}
    sent = {s["text"] for s in modem.submitted()}
    cut = []
    for body, state in states.items():
        if body in sent:
            assert state in (SENT, DELIVERED, UNCERTAIN), (body, state)
        elif state == UNCERTAIN:
            cut.append(body)
        else:
            assert state == QUEUED, (body, state)
    assert len(cut) <= 1, cut  # the modem writes one PDU at a time
    assert list(states.values()).count(QUEUED) >= 1


def test_erasing_a_customer_removes_their_conversation(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    engine, rec = running
    modem.deliver(CUSTOMER, "Please delete my data")
    added = rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.direction == IN)
    contact_id = Conversation.get_by_id(added.conversation_id).contact_id
    engine.erase_contact(contact_id, staff="Ana").result(timeout=60)
    rec.wait(
        lambda e: (
            isinstance(e, ev.ConversationRemoved) and e.conversation_id == added.conversation_id
        )
    )
    assert Contact.get_or_none(Contact.id == contact_id) is None
    assert Message.get_or_none(Message.id == added.message_id) is None
