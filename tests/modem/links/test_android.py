"""Android gateway behaviours, each on the virtual phone over HTTP on 127.0.0.1, driven through
the android-sms-gateway client by AndroidLink, with webhooks posted to its listener."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

from modem.android import errors
from modem.android.link import AndroidLink
from modem.android.webhooks import sign
from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemState,
    PartSent,
    SendFailed,
    SendJob,
    StatusChanged,
)
from tests.modem.links.rigs import AndroidRig, Rig

MakeRig = Callable[..., Rig]


def android(make_rig: MakeRig, **kw: object) -> AndroidRig:
    rig = make_rig("android", **kw)
    assert isinstance(rig, AndroidRig)
    return rig


def post(rig: AndroidRig, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(
        rig.android.listener.url, content=body, headers=headers, timeout=5
    ).status_code


def signed(rig: AndroidRig, body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    return {
        "X-Timestamp": stamp,
        "X-Signature": sign(rig.dev.credentials["signing_key"], body, stamp),
    }


def test_unsigned_forged_replayed_stale_and_oversized_webhooks_are_refused(
    make_rig: MakeRig,
) -> None:
    rig = android(make_rig).ready()
    body = json.dumps(
        {
            "event": "sms:received",
            "id": "x1",
            "payload": {
                "messageId": "m1",
                "message": "forged?",
                "phoneNumber": "+15552220000",
                "receivedAt": "2026-12-01T10:00:00+01:00",
            },
        }
    ).encode()
    assert post(rig, body, {}) == 401
    assert post(rig, body, {"X-Timestamp": str(int(time.time())), "X-Signature": "00" * 32}) == 401
    assert post(rig, body, signed(rig, body, str(int(time.time()) - 3600))) == 409
    big = b'{"event": "sms:received", "pad": "' + b"x" * 100_000 + b'"}'
    assert post(rig, big, signed(rig, big)) == 413
    assert not rig.of(IncomingSms)  # none of those reached the core
    headers = signed(rig, body)
    assert post(rig, body, headers) == 200  # the real one (auto-acked)
    assert post(rig, body, headers) == 409  # the very same request again: a replay
    texts = rig.wait_for(IncomingSms)
    assert len(texts) == 1 and texts[0].pdu is not None and texts[0].pdu.text == "forged?"
    assert str(texts[0].pdu.timestamp) == "2026-12-01 09:00:00+00:00"  # the phone's offset, to UTC
    assert rig.android.listener.refusals == 5


def test_the_listener_is_bound_to_the_given_address_only(make_rig: MakeRig) -> None:
    rig = android(make_rig).ready()
    server = rig.android.listener._server
    assert server is not None and server.server_address[0] == "127.0.0.1"
    hooks = rig.control({"cmd": "state"})["webhooks"]
    assert {h["event"] for h in hooks} == {
        "sms:received",
        "sms:sent",
        "sms:delivered",
        "sms:failed",
    }
    assert {h["url"] for h in hooks} == {rig.android.webhook_url}


def test_a_webhook_is_answered_200_only_once_the_core_stored_it(make_rig: MakeRig) -> None:
    rig = android(make_rig, auto_ack=False).ready()
    rig.deliver("+15552220001", "please store me")
    first = rig.wait_for(IncomingSms)[0]
    rig.dev.wait_event("webhook", 10, lambda e: e["kind"] == "sms:received" and e["status"] == 503)
    again = rig.wait_for(IncomingSms, count=2, timeout=15)[1]  # the phone tried again
    assert again.pdu is not None and again.pdu.text == first.pdu.text if first.pdu else False
    rig.link.ack_incoming(again.token)
    rig.dev.wait_event("webhook", 10, lambda e: e["kind"] == "sms:received" and e["status"] == 200)


def test_a_webhook_given_back_is_answered_503_at_once(make_rig: MakeRig) -> None:
    rig = android(make_rig, auto_ack=False, ack_timeout=30.0).ready()
    rig.deliver("+15552220011", "store me later")
    first = rig.wait_for(IncomingSms)[0]
    start = time.monotonic()
    rig.link.release_incoming(first.token)  # not the 30 s wait: the phone retries now
    rig.dev.wait_event("webhook", 5, lambda e: e["kind"] == "sms:received" and e["status"] == 503)
    assert time.monotonic() - start < 5
    again = rig.wait_for(IncomingSms, count=2, timeout=10)[1]
    rig.link.ack_incoming(again.token)
    rig.dev.wait_event("webhook", 10, lambda e: e["kind"] == "sms:received" and e["status"] == 200)


def test_a_text_from_the_inbox_given_back_is_offered_again_from_it(make_rig: MakeRig) -> None:
    rig = android(make_rig, auto_ack=False, inbox_interval=1.0).ready()
    rig.control({"cmd": "webhooks", "lose": 1})
    rig.deliver("+15552220012", "only in the inbox")
    first = rig.wait_for(IncomingSms, timeout=15)[0]
    assert first.token.startswith("in-")  # no webhook for this text: found in the inbox
    rig.link.release_incoming(first.token)
    again = rig.wait_for(IncomingSms, count=2, timeout=10)[1]
    assert again.pdu is not None and again.pdu.text == "only in the inbox"
    rig.link.ack_incoming(again.token)
    time.sleep(2.5)  # later inbox reads: the core has it, nothing handed again
    assert len(rig.of(IncomingSms)) == 2


def test_a_sleeping_phone_is_said_in_plain_words_and_found_again(make_rig: MakeRig) -> None:
    rig = android(make_rig, health_interval=0.3).ready()
    mark = rig.mark()
    rig.down()
    lost = rig.wait_state(ModemState.DISCONNECTED, after=mark)
    assert lost.status.last_error == errors.ASLEEP
    assert "battery optimisation off" in lost.status.last_error
    rig.up()
    rig.ready(timeout=20)


def test_androids_send_limit_is_retried_later_and_told_to_staff(make_rig: MakeRig) -> None:
    rig = android(make_rig).ready()
    rig.control({"cmd": "fail_sends", "reason": "RESULT_ERROR_LIMIT_EXCEEDED"})
    rig.link.submit(SendJob(1, "+15552220002", "one too many"))
    failed = rig.wait_for(SendFailed, lambda e: e.job_id == 1)[0]
    assert failed.retryable and not failed.uncertain and failed.reason == errors.LIMIT
    rig.wait_until(lambda: rig.link.status.last_error == errors.LIMIT, 10, "staff told")


def test_a_text_whose_webhook_was_lost_is_found_in_the_phones_inbox(make_rig: MakeRig) -> None:
    rig = android(make_rig, inbox_interval=1.0).ready()
    rig.control({"cmd": "webhooks", "lose": 1})
    rig.deliver("+15552220003", "the webhook never came")
    sms = rig.wait_for(IncomingSms, timeout=15)
    assert [e.pdu.text for e in sms if e.pdu] == ["the webhook never came"]
    time.sleep(2.5)  # later inbox checks do not hand it over again
    assert len(rig.of(IncomingSms)) == 1


def test_duplicated_and_replayed_webhooks_give_one_text(make_rig: MakeRig) -> None:
    rig = android(make_rig, inbox_interval=1.0).ready()
    rig.control({"cmd": "webhooks", "duplicate": 1})
    rig.deliver("+15552220004", "said twice")
    rig.control({"cmd": "webhooks", "replay": 1})
    rig.deliver("+15552220004", "replayed")
    rig.wait_for(IncomingSms, count=2)
    time.sleep(2.5)
    assert sorted(e.pdu.text for e in rig.of(IncomingSms) if e.pdu) == ["replayed", "said twice"]
    assert any(
        e.get("replay") and e.get("status") == 409
        for e in rig.dev.history
        if e.get("event") == "webhook"
    )


def test_a_cut_send_the_phone_knows_is_followed_not_resent(make_rig: MakeRig) -> None:
    rig = android(make_rig).ready()
    rig.control({"cmd": "cut", "endpoint": "send"})
    rig.link.submit(SendJob(1, "+15552220005", "cut, but the phone has it"))
    sent = rig.wait_for(PartSent, lambda e: e.job_id == 1, timeout=20)[0]
    report = rig.wait_for(DeliveryReport, timeout=20)[0]
    assert report.reference == sent.reference
    assert len(rig.submitted()) == 1 and not rig.of(SendFailed)


def test_a_refused_number_is_not_retried(make_rig: MakeRig) -> None:
    rig = android(make_rig).ready()
    rig.control({"cmd": "error", "endpoint": "send", "code": 400})
    rig.link.submit(SendJob(1, "+1555", "bad"))
    failed = rig.wait_for(SendFailed)[0]
    assert (failed.code, failed.retryable, failed.uncertain) == (400, False, False)


def test_wrong_credentials_stop_with_plain_words(make_rig: MakeRig) -> None:
    rig = android(make_rig)
    rig.link.stop()
    c = rig.dev.credentials
    link = AndroidLink(
        rig.dev.url,
        rig.sink,
        username=c["username"],
        password="nope",
        signing_key=c["signing_key"],
        listen_host="127.0.0.1",
    )
    rig.link = link
    link.start()
    rig.wait_until(lambda: link.status.state == ModemState.ERROR, 20, "ERROR")
    assert "user name or password" in (link.status.last_error or "")
    link.stop()


def test_health_problems_are_reported(make_rig: MakeRig) -> None:
    rig = android(make_rig, health_interval=0.3).ready()
    rig.control({"cmd": "status", "connection": "fail"})
    rig.wait_state(ModemState.NO_NETWORK)
    words = [e.status.last_error for e in rig.of(StatusChanged) if e.status.last_error]
    assert any("connection:status" in w for w in words)


def test_the_command_line_phone() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from modem.sim.android.server import run_cli; sys.exit(run_cli([]))"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        ready = json.loads(proc.stdout.readline())
        assert ready["event"] == "ready" and ready["url"].startswith("http://127.0.0.1:")
        events: list[object] = []
        link = AndroidLink(
            ready["url"], events.append, username=ready["username"], password=ready["password"],
            signing_key=ready["signing_key"], listen_host="127.0.0.1", poll_interval=0.2,
        )  # fmt: skip
        link.start()
        link.submit(SendJob(1, "+15552220006", "over the command line"))
        line = json.loads(proc.stdout.readline())
        while line.get("event") != "submitted":
            line = json.loads(proc.stdout.readline())
        assert (line["number"], line["text"]) == ("+15552220006", "over the command line")
        link.stop()
        proc.stdin.write('{"cmd": "quit"}\n')
        proc.stdin.flush()
        assert proc.wait(10) == 0
    finally:
        proc.kill()


def test_nothing_arriving_for_long_is_said_with_the_rcs_hint(make_rig: MakeRig) -> None:
    rig = android(make_rig, health_interval=0.3, quiet_alert=0.5).ready()
    for n in range(5):
        rig.link.submit(SendJob(n, "+15552220007", f"reminder {n}"))
    rig.wait_for(PartSent, count=5)
    rig.wait_until(lambda: rig.link.status.last_error == errors.NOTHING_ARRIVES, 10, "RCS hint")
    rig.deliver("+15552220007", "a reply at last")
    rig.wait_for(IncomingSms)
    rig.wait_until(lambda: rig.link.status.last_error is None, 10, "hint cleared")
