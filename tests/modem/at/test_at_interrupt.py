"""AtChannel: cancelling a leftover SMS prompt (ESC, never Ctrl-Z) and interrupting the long
waits of send_pdu, over a real pseudo-terminal."""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator

import pytest
import serial

from modem.at.channel import ESC, AtChannel, Interrupted


@pytest.fixture
def pty() -> Iterator[tuple[int, AtChannel]]:
    master, slave = os.openpty()
    port = serial.Serial(os.ttyname(slave), 115200, timeout=0.05, write_timeout=2)
    try:
        yield master, AtChannel(port, read_slice=0.05)
    finally:
        port.close()
        os.close(master)
        os.close(slave)


def _read_master(master: int, want: bytes, timeout: float = 10.0) -> bytes:
    """What the channel wrote, until ``want`` is in it (or ``timeout``)."""
    got = b""
    end = threading.Event()
    timer = threading.Timer(timeout, end.set)
    timer.start()
    try:
        while want not in got and not end.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                got += os.read(master, 4096)
    finally:
        timer.cancel()
    return got


def test_cancel_prompt_writes_only_esc_and_drains_what_was_pending(pty) -> None:
    master, ch = pty
    os.write(master, b"0011000B91\r\n> ")  # what a modem left in the prompt may still say
    drained = ch.cancel_prompt(quiet=0.3)
    written = _read_master(master, ESC, timeout=2.0)
    assert written == ESC  # ESC cancels; a Ctrl-Z here would send the half message
    assert b"> " in drained
    os.write(master, b"\r\nOK\r\n")
    assert ch.command("AT", 5).final == "OK"  # only the next answer is read as the answer


def test_interrupt_while_waiting_for_the_reply_marks_the_part_written(pty) -> None:
    master, ch = pty
    ch.interrupt = threading.Event()
    caught: list[BaseException] = []

    def send() -> None:
        try:
            ch.send_pdu(3, "0011AA", prompt_timeout=10, reply_timeout=60)
        except BaseException as exc:  # handed to the test thread
            caught.append(exc)

    ch._owner = thread = threading.Thread(target=send)
    thread.start()
    assert b"AT+CMGS=3\r" in _read_master(master, b"\r")
    os.write(master, b"\r\n> ")
    assert _read_master(master, b"\x1a").endswith(b"0011AA\x1a")  # the PDU is with the modem
    ch.interrupt.set()  # stop() now: the 60 s reply wait must give up
    thread.join(10)
    assert not thread.is_alive()
    assert len(caught) == 1 and isinstance(caught[0], Interrupted)
    assert caught[0].written


def test_interrupt_before_the_prompt_cancels_and_is_not_written(pty) -> None:
    master, ch = pty
    ch.interrupt = threading.Event()
    caught: list[BaseException] = []

    def send() -> None:
        try:
            ch.send_pdu(3, "0011AA", prompt_timeout=60, reply_timeout=60)
        except BaseException as exc:  # handed to the test thread
            caught.append(exc)

    ch._owner = thread = threading.Thread(target=send)
    thread.start()
    assert b"AT+CMGS=3\r" in _read_master(master, b"\r")
    ch.interrupt.set()  # the prompt never came
    thread.join(10)
    assert not thread.is_alive()
    assert isinstance(caught[0], Interrupted) and not caught[0].written
    assert _read_master(master, ESC, timeout=2.0) == ESC  # a late prompt is cancelled


def test_an_interrupt_set_before_send_pdu_writes_nothing(pty) -> None:
    master, ch = pty
    ch.interrupt = threading.Event()
    ch.interrupt.set()
    with pytest.raises(Interrupted) as exc:
        ch.send_pdu(3, "0011AA", prompt_timeout=5, reply_timeout=5)
    assert not exc.value.written
    assert _read_master(master, b"\r", timeout=0.5) == b""
