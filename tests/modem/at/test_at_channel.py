"""AtChannel over a real pseudo-terminal, with a tiny scripted peer playing the modem."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import serial

from modem.at import urc
from modem.at.channel import AtChannel, AtTimeout, CommandError, PortGone

Reply = Callable[[str], bytes | None]


class Peer:
    """Reads what the channel writes (commands end in CR, PDUs in Ctrl-Z) and answers by script."""

    def __init__(self, script: Reply) -> None:
        self.master, self.slave = os.openpty()
        self.device = os.ttyname(self.slave)
        self.script = script
        self.received: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def _run(self) -> None:
        buf = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                buf += os.read(self.master, 4096)
            except OSError:
                return
            while True:
                cut = min((i for i in (buf.find(b"\r"), buf.find(b"\x1a")) if i >= 0), default=-1)
                if cut < 0:
                    break
                item, buf = buf[:cut].decode(errors="replace"), buf[cut + 1 :]
                self.received.append(item)
                answer = self.script(item)
                if answer:
                    self.send(answer)

    def unplug(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty_pair() -> Iterator[Callable[[Reply], tuple[Peer, AtChannel]]]:
    made: list[tuple[Peer, serial.Serial]] = []

    def make(script: Reply) -> tuple[Peer, AtChannel]:
        peer = Peer(script)
        port = serial.Serial(peer.device, 115200, timeout=0.05, write_timeout=2)
        made.append((peer, port))
        return peer, AtChannel(port, read_slice=0.05)

    yield make
    for peer, port in made:
        port.close()
        if not peer._stop.is_set():
            peer.unplug()


def simple(cmd: str) -> bytes | None:
    table = {
        "AT": b"\r\nOK\r\n",
        "AT+CSQ": b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n",
        "AT+CGMI": b"\r\nhuawei\r\n\r\nOK\r\n",
        "AT+BAD": b"\r\nERROR\r\n",
        "AT+CPIN?": b"\r\n+CME ERROR: 14\r\n",
    }
    return table.get(cmd)


def test_command_returns_info_lines(pty_pair) -> None:
    _, ch = pty_pair(simple)
    resp = ch.command("AT+CSQ", 5)
    assert resp.lines == ["+CSQ: 21,99"]
    assert resp.first("+CSQ") == "21,99"
    assert ch.command("AT+CGMI", 5).lines == ["huawei"]


def test_errors_raise_with_their_code(pty_pair) -> None:
    _, ch = pty_pair(simple)
    with pytest.raises(CommandError) as bad:
        ch.command("AT+BAD", 5)
    assert bad.value.kind == "error"
    with pytest.raises(CommandError) as busy:
        ch.command("AT+CPIN?", 5)
    assert (busy.value.kind, busy.value.code) == ("cme", 14)
    assert busy.value.reason == "The SIM card is busy."


def test_urc_in_the_middle_of_a_command_is_kept_not_swallowed(pty_pair) -> None:
    def script(cmd: str) -> bytes | None:
        if cmd == "AT+CMGL=4":
            return (
                b'\r\n+CMGL: 1,0,,5\r\n0011223344\r\n+CMTI: "SM",2\r\n'
                b'+CMT: ,3\r\n001122\r\n+CMGL: 3,0,,5\r\n5566778899\r\n+CDSI: "SR",0\r\n\r\nOK\r\n'
            )
        return simple(cmd)

    _, ch = pty_pair(script)
    resp = ch.command("AT+CMGL=4", 5)
    assert resp.lines == ["+CMGL: 1,0,,5", "0011223344", "+CMGL: 3,0,,5", "5566778899"]
    assert list(ch.urcs) == [
        urc.NewMessage('+CMTI: "SM",2', "SM", 2),
        urc.DirectMessage("+CMT: ,3", "001122"),
        urc.NewStatusReport('+CDSI: "SR",0', "SR", 0),
    ]


def test_echo_is_skipped(pty_pair) -> None:
    _, ch = pty_pair(lambda c: c.encode() + b"\r\r\n+CSQ: 5,99\r\n\r\nOK\r\n")
    assert ch.command("AT+CSQ", 5).lines == ["+CSQ: 5,99"]


def test_cds_split_across_reads_is_assembled(pty_pair) -> None:
    peer, ch = pty_pair(simple)
    peer.send(b"\r\n+CDS: 2")
    ch.pump(0.2)
    peer.send(b"5\r\n07914477581006500")
    # the rest of the PDU line comes in a later read, while the channel waits for it
    threading.Timer(0.3, peer.send, args=(b"006D1\r\n",)).start()
    deadline = time.monotonic() + 5
    while not ch.urcs and time.monotonic() < deadline:
        ch.pump(0.1)
    assert list(ch.urcs) == [urc.DirectStatusReport("+CDS: 25", "07914477581006500006D1")]


def test_garbage_does_not_break_the_channel(pty_pair) -> None:
    peer, ch = pty_pair(simple)
    peer.send(b"\xff\xfe\x00\x81\r\n\xc3\x28 junk\r\n")
    ch.pump(0.5)
    assert ch.command("AT+CSQ", 5).lines == ["+CSQ: 21,99"]


def test_timeout_then_late_reply_is_not_taken_as_the_next_answer(pty_pair) -> None:
    late: list[bytes] = []

    def script(cmd: str) -> bytes | None:
        if cmd == "AT+CSQ":
            late.append(b"\r\n+CSQ: 9,99\r\n\r\nOK\r\n")  # answer withheld until the next command
            return None
        if cmd == "AT" and late:
            return late.pop() + b"\r\nOK\r\n"
        if cmd == "AT+CMGF=0":
            return b"\r\nERROR\r\n"
        return simple(cmd)

    _, ch = pty_pair(script)
    with pytest.raises(AtTimeout):
        ch.command("AT+CSQ", 0.5)
    assert ch.dirty
    # the next command must get its own answer (ERROR), not the late OK of AT+CSQ
    with pytest.raises(CommandError):
        ch.command("AT+CMGF=0", 5)
    assert not ch.dirty


def test_late_prefixed_reply_mid_command_is_discarded(pty_pair) -> None:
    def script(cmd: str) -> bytes | None:
        if cmd == "AT+CGMI":  # a late +CSQ answer arrives in front of the real one
            return b"\r\n+CSQ: 9,99\r\n\r\nOK\r\n\r\nhuawei\r\n\r\nOK\r\n"
        return simple(cmd)

    _, ch = pty_pair(script)
    assert ch.command("AT+CGMI", 5).lines == ["huawei"]


def test_cpin_answer_without_ok(pty_pair) -> None:
    _, ch = pty_pair(lambda c: b"\r\n+CPIN: READY\r\n" if c == "AT+CPIN?" else simple(c))
    resp = ch.command("AT+CPIN?", 5, final_on_info=True)
    assert resp.first("+CPIN") == "READY"


def test_send_pdu_waits_for_prompt_then_reference(pty_pair) -> None:
    def script(item: str) -> bytes | None:
        if item.startswith("AT+CMGS="):
            return b'\r\n+CMTI: "SM",1\r\n\r\n> '
        if item == "0011AA":
            return b"\r\n+CMGS: 42\r\n\r\nOK\r\n"
        return simple(item)

    peer, ch = pty_pair(script)
    resp = ch.send_pdu(3, "0011AA", prompt_timeout=5, reply_timeout=5)
    assert resp.first("+CMGS") == "42"
    assert peer.received[-2:] == ["AT+CMGS=3", "0011AA"]
    assert list(ch.urcs) == [urc.NewMessage('+CMTI: "SM",1', "SM", 1)]


def test_send_pdu_error_before_prompt_is_not_after_pdu(pty_pair) -> None:
    _, ch = pty_pair(lambda c: b"\r\n+CMS ERROR: 331\r\n" if c.startswith("AT+CMGS") else None)
    with pytest.raises(CommandError) as err:
        ch.send_pdu(3, "0011AA", prompt_timeout=5, reply_timeout=5)
    assert err.value.code == 331


def test_send_pdu_silence_after_pdu_is_marked(pty_pair) -> None:
    _, ch = pty_pair(lambda c: b"\r\n> " if c.startswith("AT+CMGS") else None)
    with pytest.raises(AtTimeout) as err:
        ch.send_pdu(3, "0011AA", prompt_timeout=5, reply_timeout=0.5)
    assert err.value.after_pdu


def test_no_prompt_is_a_timeout_before_the_pdu(pty_pair) -> None:
    peer, ch = pty_pair(lambda c: None)
    with pytest.raises(AtTimeout) as err:
        ch.send_pdu(3, "0011AA", prompt_timeout=0.5, reply_timeout=5)
    assert not err.value.after_pdu
    assert "0011AA" not in peer.received


def test_boot_line_mid_command_is_queued_as_a_hint_not_raised(pty_pair) -> None:
    """RDY in the middle of an answer is a URC (vendors print it at other times too): the
    command still gets its answer and the service decides, from real evidence, what it means."""
    _, ch = pty_pair(
        lambda c: b"\r\nRDY\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n" if c == "AT+CSQ" else simple(c)
    )
    resp = ch.command("AT+CSQ", 5)
    assert resp.first("+CSQ") == "20,99"
    assert [type(u) for u in ch.urcs] == [urc.Boot]


def test_unplug_raises_port_gone(pty_pair) -> None:
    peer, ch = pty_pair(simple)
    assert ch.command("AT", 5).final == "OK"
    peer.unplug()
    with pytest.raises(PortGone):
        for _ in range(20):
            ch.command("AT", 0.5)


def test_other_threads_may_not_use_the_channel(pty_pair) -> None:
    _, ch = pty_pair(simple)
    caught: list[BaseException] = []

    def intruder() -> None:
        try:
            ch.command("AT", 1)
        except BaseException as exc:
            caught.append(exc)

    t = threading.Thread(target=intruder)
    t.start()
    t.join()
    assert isinstance(caught[0], RuntimeError)
    assert "belongs to thread" in str(caught[0])
