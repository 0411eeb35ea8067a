"""ModemService.release_incoming against the virtual modem on a real pty: a message the core
could not store stays on the SIM and is handed again soon (the wait growing while it keeps
failing); a direct one is refused with AT+CNMA=2 and the network delivers it again."""

from __future__ import annotations

import time

from modem.events import IncomingSms
from modem.service.incoming import RELEASE_SWEEP_FIRST
from tests.helpers.service_harness import Harness


def _handed_at(h: Harness, count: int, timeout: float = 30.0) -> tuple[IncomingSms, float]:
    """The ``count``-th IncomingSms and the monotonic time it was seen."""
    got = h.wait_for(IncomingSms, count=count, timeout=timeout)[count - 1]
    return got, time.monotonic()


def test_released_stored_message_stays_and_is_handed_again_then_deleted_on_ack() -> None:
    # sweep_interval 600 s (the harness's): only the release can bring the sweep this soon
    h = Harness(auto_ack=False)
    try:
        h.ready()
        h.vm.deliver("+15559870001", "Arrived while the disk was full")
        first = h.wait_for(IncomingSms)[0]
        released = time.monotonic()
        h.svc.release_incoming(first.token)
        again, seen = _handed_at(h, 2, timeout=15.0)
        assert seen - released >= RELEASE_SWEEP_FIRST * 0.9  # a sweep "soon", not a spin
        assert again.token != first.token
        assert (again.storage, again.index, again.raw) == (first.storage, first.index, first.raw)
        assert len(h.stored()) == 1  # still on the SIM: nothing deleted on a release
        h.svc.ack_incoming(first.token)  # the released token is forgotten: no delete
        h.svc.ack_incoming(again.token)
        h.wait_until(lambda: h.stored() == [], what="deleted after the ack of the new token")
        assert len(h.of(IncomingSms)) == 2
    finally:
        h.close()


def test_ack_of_a_released_token_deletes_nothing() -> None:
    h = Harness(auto_ack=False, sim={"trace": True})
    try:
        h.ready()
        h.vm.deliver("+15559870002", "keep me")
        msg = h.wait_for(IncomingSms)[0]
        h.svc.release_incoming(msg.token)
        h.svc.ack_incoming(msg.token)
        again = h.wait_for(IncomingSms, count=2, timeout=15.0)[1]
        cmgd = [e for e in h.vm.history if e.get("event") == "rx" and "CMGD" in e["data"]]
        assert cmgd == [] and len(h.stored()) == 1
        h.svc.ack_incoming(again.token)
        h.wait_until(lambda: h.stored() == [], what="deleted")
    finally:
        h.close()


def test_repeated_releases_back_off_and_an_ack_resets_the_wait() -> None:
    h = Harness(auto_ack=False)
    try:
        h.ready()
        h.vm.deliver("+15559870003", "the disk is still full")
        msg = h.wait_for(IncomingSms)[0]
        waits: list[float] = []
        for n in (2, 3):
            t0 = time.monotonic()
            h.svc.release_incoming(msg.token)
            msg, seen = _handed_at(h, n)
            waits.append(seen - t0)
        assert waits[0] >= RELEASE_SWEEP_FIRST * 0.9
        assert waits[1] >= 2 * RELEASE_SWEEP_FIRST * 0.9  # the wait doubled
        assert waits[1] > waits[0]
        h.svc.ack_incoming(msg.token)  # space came back: stored, deleted, the wait reset
        h.wait_until(lambda: h.stored() == [], what="deleted")
        h.vm.deliver("+15559870004", "after the disk was freed")
        nxt = h.wait_for(IncomingSms, count=4)[3]
        t0 = time.monotonic()
        h.svc.release_incoming(nxt.token)
        _again, seen = _handed_at(h, 5)
        assert seen - t0 < 2 * RELEASE_SWEEP_FIRST * 0.9 + 1.5  # back to the first wait
    finally:
        h.close()


def test_released_direct_message_is_refused_with_cnma2_and_delivered_again() -> None:
    h = Harness(direct_delivery=True, auto_ack=False, sim={"trace": True, "redeliver_delay": 0.5})
    try:
        h.ready()
        assert h.vm.control({"cmd": "status"})["csms"] == 1
        h.vm.deliver("+15557770001", "straight to you, but the disk is full")
        first = h.wait_for(IncomingSms)[0]
        assert first.storage is None
        h.svc.release_incoming(first.token)
        assert h.vm.wait_event("nacked")["pdu"] == first.raw  # RP-ERROR: the network keeps it
        sent = [e["data"] for e in h.vm.history if e.get("event") == "rx"]
        assert any(d.startswith("AT+CNMA=2") for d in sent)
        again = h.wait_for(IncomingSms, count=2, timeout=15.0)[1]
        assert again.raw == first.raw and again.token != first.token
        status = h.vm.control({"cmd": "status"})
        assert status["cnmi"][1] == 2  # direct routing still on (no +CNMA timeout)
        h.svc.ack_incoming(first.token)  # forgotten: no +CNMA for it
        h.svc.ack_incoming(again.token)
        assert h.vm.wait_event("acked")["pdu"] == first.raw
        acks = [e for e in h.vm.history if e.get("event") == "acked"]
        assert len(acks) == 1
        assert h.stored() == []  # never stored on the SIM
    finally:
        h.close()


def test_release_of_unknown_tokens_is_harmless() -> None:
    h = Harness()
    try:
        h.ready()
        h.svc.release_incoming("nonsense")
        h.svc.release_incoming("SM:1:999")
        h.vm.deliver("+15559870005", "business as usual")
        assert h.wait_for(IncomingSms)[0].pdu.text == "business as usual"  # type: ignore[union-attr]
        h.wait_until(lambda: h.stored() == [], what="deleted after the auto ack")
    finally:
        h.close()
