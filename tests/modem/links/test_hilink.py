"""HiLink behaviours of real sticks, each on the virtual stick over HTTP on 127.0.0.1, driven
through huawei-lte-api by HiLinkLink."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemState,
    PartSent,
    SendFailed,
    SendJob,
    StatusChanged,
)
from modem.hilink.link import HiLinkLink
from tests.modem.links.rigs import HiLinkRig, Rig

MakeRig = Callable[..., Rig]


def hilink(make_rig: MakeRig, **kw: object) -> HiLinkRig:
    rig = make_rig("hilink", **kw)
    assert isinstance(rig, HiLinkRig)
    return rig


def test_an_expired_session_is_logged_in_again_and_the_request_repeated(make_rig: MakeRig) -> None:
    rig = hilink(make_rig).ready()
    assert rig.dev.stick.logins == 1
    for code in (125002, 125003):
        rig.control({"cmd": "expire_session"})
        rig.control({"cmd": "error", "endpoint": "sms/sms-count", "code": code})
        rig.deliver("+15551110000", f"after {code}")
        rig.wait_for(
            IncomingSms, lambda e, c=code: e.pdu is not None and e.pdu.text == f"after {c}"
        )
    assert 3 <= rig.dev.stick.logins <= 5  # logged in again (the library reloads tokens first)
    assert not [
        e
        for e in rig.events
        if isinstance(e, StatusChanged) and e.status.state == ModemState.DISCONNECTED
    ]


def test_someone_else_logged_in_is_said_and_retried(make_rig: MakeRig) -> None:
    rig = hilink(make_rig)
    rig.link.stop()
    rig.control({"cmd": "other_session", "count": 2})
    link = HiLinkLink(
        rig.dev.url, rig.sink, password="pass-123", zone=UTC, backoff_initial=0.05, backoff_max=0.2
    )
    rig.link = link
    link.start()
    rig.wait_until(
        lambda: link.status.state == ModemState.READY, 20, "READY after the other session left"
    )
    words = [e.status.last_error for e in rig.of(StatusChanged) if e.status.last_error]
    assert any("Someone else is logged in" in w for w in words)


def test_a_wrong_password_stops_and_says_so_without_hammering(make_rig: MakeRig) -> None:
    rig = hilink(make_rig)
    rig.link.stop()
    link = HiLinkLink(rig.dev.url, rig.sink, password="wrong", zone=UTC, backoff_initial=0.05)
    rig.link = link
    link.start()
    rig.wait_until(lambda: link.status.state == ModemState.ERROR, 20, "ERROR")
    assert "password" in (link.status.last_error or "")
    time.sleep(1.5)
    assert (
        rig.control({"cmd": "state"})["requests"].get("user/login") == 2
    )  # the first link's + one
    link.submit(SendJob(1, "+15551110001", "held, not lost"))
    link.stop()
    assert rig.wait_for(SendFailed, lambda e: e.job_id == 1)[0].retryable


def test_send_refused_by_the_stick_in_plain_words(make_rig: MakeRig) -> None:
    rig = hilink(make_rig).ready()
    rig.control({"cmd": "error", "endpoint": "sms/send-sms", "code": 113114})
    rig.link.submit(SendJob(1, "+15551110002", "bad number"))
    bad = rig.wait_for(SendFailed, lambda e: e.job_id == 1)[0]
    assert (bad.code, bad.retryable, bad.uncertain) == (113114, False, False)
    assert "phone number" in bad.reason
    rig.control({"cmd": "error", "endpoint": "sms/send-sms", "code": 113004})
    rig.link.submit(SendJob(2, "+15551110002", "busy"))
    busy = rig.wait_for(SendFailed, lambda e: e.job_id == 2)[0]
    assert busy.retryable and not busy.uncertain and "busy" in busy.reason
    rig.control({"cmd": "send_result", "result": "failed"})
    rig.link.submit(SendJob(3, "+15551110002", "network says no"))
    failed = rig.wait_for(SendFailed, lambda e: e.job_id == 3)[0]
    assert failed.retryable and not failed.uncertain
    assert rig.submitted()[-1]["text"] == "network says no"


def test_each_text_is_deleted_once_stored_so_a_small_stick_never_drops(make_rig: MakeRig) -> None:
    rig = hilink(make_rig, stick={"capacity": 3}).ready()
    for n in range(10):
        rig.deliver("+15551110003", f"text {n}")
        rig.wait_for(IncomingSms, count=n + 1)
    assert not [e for e in rig.dev.history if e.get("event") == "dropped"]
    rig.wait_until(lambda: rig.held() == 0, 10, "all deleted")
    assert rig.link.status.storage_total == 3


def test_a_full_stick_is_said_in_plain_words(make_rig: MakeRig) -> None:
    rig = hilink(make_rig, auto_ack=False, stick={"capacity": 2}, status_interval=0.3).ready()
    rig.deliver("+15551110004", "one")
    rig.deliver("+15551110004", "two")
    rig.wait_until(lambda: "storage is full" in (rig.link.status.last_error or ""), 10, "full said")


def test_textdesks_copies_in_outbox_and_drafts_are_cleaned_up_and_others_kept(
    make_rig: MakeRig,
) -> None:
    rig = hilink(make_rig).ready()
    with rig.dev.stick.lock:  # the shop once sent one from the stick's own web page
        rig.dev.stick.sent.append(rig.dev.stick._entry("+15550001111", "sent by hand", 3, 1))
    rig.control({"cmd": "report", "mode": "none"})
    rig.link.submit(SendJob(1, "+15551110005", "copy one", request_report=False))
    rig.wait_for(PartSent, lambda e: e.job_id == 1)
    rig.control({"cmd": "send_result", "result": "failed"})
    rig.link.submit(SendJob(2, "+15551110005", "copy two"))
    rig.wait_for(SendFailed, lambda e: e.job_id == 2)

    def boxes() -> list[str]:
        state = rig.control({"cmd": "state"})
        return [m["Content"] for m in state["sent"] + state["drafts"]]

    rig.wait_until(
        lambda: boxes() == ["sent by hand"], 10, f"only the hand-sent copy left: {boxes()}"
    )


def test_polling_costs_one_small_request_per_interval(make_rig: MakeRig) -> None:
    rig = hilink(make_rig, poll_interval=0.25).ready()
    time.sleep(0.5)
    before = dict(rig.control({"cmd": "state"})["requests"])
    time.sleep(3.0)
    after = rig.control({"cmd": "state"})["requests"]
    counts = after.get("sms/sms-count", 0) - before.get("sms/sms-count", 0)
    assert 6 <= counts <= 16  # about every 0.25 s
    assert (
        after.get("sms/sms-list", 0) - before.get("sms/sms-list", 0) <= 1
    )  # nothing new: no listing


def test_the_sticks_local_time_becomes_utc(make_rig: MakeRig) -> None:
    zone = ZoneInfo("America/New_York")
    rig = hilink(make_rig, stick={"zone": zone}, zone=zone).ready()
    rig.control(
        {"cmd": "deliver", "from": "+15551110006", "text": "summer", "date": "2026-07-01 09:30:00"}
    )
    rig.control(
        {"cmd": "deliver", "from": "+15551110006", "text": "winter", "date": "2026-01-15 09:30:00"}
    )
    got = {e.pdu.text: e.pdu.timestamp for e in rig.wait_for(IncomingSms, count=2) if e.pdu}
    assert got["summer"] == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    assert got["winter"] == datetime(2026, 1, 15, 14, 30, tzinfo=UTC)


def test_delivery_reports_as_flags_on_the_outbox_copy(make_rig: MakeRig) -> None:
    rig = hilink(make_rig, stick={"report": "flag"}).ready()
    rig.link.submit(SendJob(1, "+15551110007", "flag me"))
    sent = rig.wait_for(PartSent)[0]
    report = rig.wait_for(DeliveryReport)[0]
    assert (report.reference, report.delivered, report.token) == (sent.reference, True, None)
    rig.wait_until(
        lambda: not rig.control({"cmd": "state"})["sent"], 10, "copy deleted after its report"
    )


def test_a_failed_delivery_report_message(make_rig: MakeRig) -> None:
    rig = hilink(make_rig).ready()
    rig.control({"cmd": "report", "mode": "message", "delivered": False})
    rig.link.submit(SendJob(1, "+15551110008", "never arrives"))
    sent = rig.wait_for(PartSent)[0]
    report = rig.wait_for(DeliveryReport)[0]
    assert report.reference == sent.reference and not report.delivered and report.status == 0x40


def test_older_firmware_password_in_base64_also_logs_in(make_rig: MakeRig) -> None:
    rig = hilink(make_rig, stick={"password_type": 0}).ready()
    assert rig.dev.stick.logins == 1


def test_a_multipart_text_waits_until_the_stick_joined_it(make_rig: MakeRig) -> None:
    rig = hilink(make_rig, multipart_wait=1.5).ready()
    rig.control(
        {"cmd": "deliver", "from": "+15551110009", "text": "long text, part one", "multipart": True}
    )
    time.sleep(0.8)
    assert not rig.of(IncomingSms)
    rig.wait_for(IncomingSms, timeout=10)


def test_the_command_line_stick(tmp_path: object) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from modem.sim.hilink.server import run_cli; sys.exit(run_cli(['--password', 'pw9']))"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        ready = json.loads(proc.stdout.readline())
        assert (
            ready["event"] == "ready"
            and ready["url"].startswith("http://127.0.0.1:")
            and ready["password"] == "pw9"
        )
        events: list[object] = []
        link = HiLinkLink(ready["url"], events.append, password="pw9", zone=UTC, poll_interval=0.2)
        link.start()
        link.submit(SendJob(1, "+15551110010", "over the command line"))
        line = json.loads(proc.stdout.readline())
        while line.get("event") != "submitted":
            line = json.loads(proc.stdout.readline())
        assert (line["number"], line["text"]) == ("+15551110010", "over the command line")
        link.stop()
        proc.stdin.write(json.dumps({"cmd": "deliver", "from": "+1555", "text": "hi"}) + "\n")
        proc.stdin.flush()
        line = json.loads(proc.stdout.readline())
        while line.get("event") != "reply":
            line = json.loads(proc.stdout.readline())
        assert line["ok"]
        proc.stdin.write('{"cmd": "quit"}\n')
        proc.stdin.flush()
        assert proc.wait(10) == 0
    finally:
        proc.kill()


def test_a_stick_that_never_says_how_the_send_went_gives_uncertain(make_rig: MakeRig) -> None:
    rig = hilink(make_rig, send_timeout=1.0).ready()
    rig.control({"cmd": "send_result", "result": "silent"})
    rig.link.submit(SendJob(1, "+15551110011", "did it go?"))
    failed = rig.wait_for(SendFailed, lambda e: e.job_id == 1, timeout=10)[0]
    assert failed.uncertain and not failed.retryable
    rig.link.submit(SendJob(2, "+15551110011", "next"))
    rig.wait_for(SendFailed, lambda e: e.job_id == 2, timeout=10)  # still silent: uncertain too
    assert [s["text"] for s in rig.submitted()] == ["did it go?", "next"]  # each went out once


def test_balance_code_by_ussd(make_rig: MakeRig) -> None:
    from modem.events import UssdResult

    rig = hilink(make_rig).ready()
    rig.control({"cmd": "ussd_text", "text": "Balance 5.00"})
    rig.link.query_ussd("*100#")
    result = rig.wait_for(UssdResult, timeout=10)[0]
    assert (result.text, result.code, result.error) == ("Balance 5.00", "*100#", None)


def test_the_sim_pin_is_entered_through_the_stick(make_rig: MakeRig) -> None:
    rig = hilink(make_rig, status_interval=0.3).ready()
    rig.control({"cmd": "sim_pin", "pin": "4321"})
    rig.wait_state(ModemState.PIN_NEEDED)
    assert rig.link.status.pin_kind == "SIM PIN"
    rig.link.enter_pin("0000")
    rig.wait_until(
        lambda: "did not take the PIN" in (rig.link.status.last_error or ""), 20, "wrong PIN said"
    )
    rig.link.enter_pin("4321")  # sent RSA-encrypted, the way the library does
    rig.wait_until(lambda: rig.link.status.state == ModemState.READY, 20, "READY after the PIN")


def test_probe_finds_the_stick_and_nothing_elsewhere(make_rig: MakeRig) -> None:
    from modem.hilink.session import probe
    from modem.sim.android.server import VirtualAndroid

    rig = hilink(make_rig)
    assert probe(rig.dev.url) == "E3372h-320"
    assert probe("http://127.0.0.1:9") is None  # nothing listening
    phone = VirtualAndroid()
    try:
        assert probe(phone.start()) is None  # something answers, but not a stick
    finally:
        phone.stop()
