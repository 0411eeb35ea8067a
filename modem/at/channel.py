"""The AT transport: a chunked line reader and a command/response channel over one serial port.

Every line the modem sends is classified as it is read: the command's echo (skipped), a final
result (OK / ERROR / +CME ERROR / +CMS ERROR / ...), the command's own information response, or
an unsolicited result code (``modem.at.urc``), which is queued on ``AtChannel.urcs`` even when it
arrives in the middle of a command. Bytes are read in chunks into a line buffer and decoded with
``errors="replace"``, so garbage on the line can never kill the reader.

The channel is owned by the thread that created it and refuses calls from any other thread.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from modem.at import urc
from modem.at.errors import describe_cme, describe_cms
from modem.at.lines import LineBuffer, expected_prefix, final_kind
from modem.at.reader import PortReader
from modem.at.trace import AtTrace

CTRL_Z = b"\x1a"
ESC = b"\x1b"
INTERRUPT_SLICE = 0.2  # how often a long wait looks at AtChannel.interrupt
_CALL_COMMAND = re.compile(r"ATD|ATA|ATO|ATH", re.I)  # NO CARRIER may be their answer


class SerialLike(Protocol):
    """What the channel needs from a ``serial.Serial`` (and what tests may give it)."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def close(self) -> None: ...


class AtError(Exception):
    """Base for everything the channel raises. ``written``: an SMS PDU had already been handed
    to the modem when it happened (so the part may or may not have gone out). ``expected``:
    what TextDesk waited for instead, in plain words (shown when a reconnect loop repeats)."""

    written: bool = False
    expected: str | None = None


class PortGone(AtError):
    """The device vanished (unplugged, or the port broke)."""


class ModemRestarted(AtError):
    """Real evidence that the modem restarted (echo back on, the PIN asked again, our +CNMI
    setting gone): everything set up at init is lost. A boot line alone is only a hint."""

    def __init__(self, message: str, *, expected: str | None = None) -> None:
        super().__init__(message)
        self.expected = expected


class AtTimeout(AtError):
    """No final result in time. ``lines`` holds what did arrive."""

    def __init__(self, command: str, lines: list[str], *, after_pdu: bool = False) -> None:
        super().__init__(f"no answer to {command!r} in time")
        self.expected = f"an answer to {command}"
        self.command = command
        self.lines = lines
        self.after_pdu = after_pdu


class Interrupted(AtError):
    """``AtChannel.interrupt`` was set (the service is stopping) while waiting for the modem.
    ``written`` tells whether an SMS PDU had already been handed to the modem."""

    def __init__(self, command: str, *, written: bool = False) -> None:
        super().__init__(f"{command!r} interrupted")
        self.command = command
        self.written = written


class CommandError(AtError):
    """The modem answered with ERROR / +CME ERROR / +CMS ERROR."""

    def __init__(self, command: str, final: str, kind: str, code: int | None, lines: list[str]):
        super().__init__(f"{command!r} -> {final}")
        self.command = command
        self.final = final
        self.kind = kind  # "cme", "cms" or "error"
        self.code = code
        self.lines = lines

    @property
    def reason(self) -> str:
        if self.kind == "cms":
            return describe_cms(self.code)
        if self.kind == "cme":
            return describe_cme(self.code)
        return "The modem refused the command."


@dataclass
class Response:
    command: str
    lines: list[str] = field(default_factory=list)
    final: str = "OK"

    def first(self, prefix: str) -> str | None:
        """The value after ``prefix:`` of the first line that has it."""
        for line in self.lines:
            if line.startswith(prefix):
                return line[len(prefix) :].lstrip(":").strip()
        return None


# Answers of the commands the service issues; one of them during another command is a late reply.
_POLLED = frozenset(
    {"+CSQ", "+CREG", "+CGREG", "+CEREG", "+COPS", "+CPMS", "+CMGL", "+CMGR", "+CPIN", "+CMGS"}
    | {"+CSCA", "+CNMI", "+CSMS", "+CMGF", "+CGSN", "+CIMI"}
)


class AtChannel:
    """Commands and responses over one port, with URCs collected on the side.

    Without ``reader`` the channel reads the port itself, ``read_slice`` at a time (probes,
    tests). With a ``modem.at.reader.PortReader`` it takes the bytes that thread read and waits
    on it without a slice: an idle ``pump`` sleeps until the modem says something, its deadline,
    or ``reader.poke()`` (a request for the owner).
    """

    def __init__(
        self,
        port: SerialLike,
        *,
        read_slice: float = 0.05,
        trace: AtTrace | None = None,
        reader: PortReader | None = None,
    ) -> None:
        self._port = port
        self.reader = reader
        self.trace = trace  # the support log of this conversation (modem.at.trace)
        self._buf = LineBuffer()
        self._owner = threading.current_thread()
        self.read_slice = read_slice
        self.urcs: deque[urc.Urc] = deque()
        self.dirty = False  # a command timed out: its late reply may still come
        self.echo_seen = False  # an echo of our command came back
        self.echo_off = False  # a command was answered without its echo (ATE0 took)
        # the last command and every line it got (final result included), for diagnosis
        self.last_command: str | None = None
        self.last_lines: list[str] = []
        self.stray: deque[str] = deque(maxlen=50)  # discarded lines, for diagnosis
        self.bytes_in = 0
        self.bytes_out = 0
        # set by the owner to abandon a long wait (an SMS prompt or +CMGS reply): Interrupted
        self.interrupt: threading.Event | None = None

    # --- thread ownership -------------------------------------------------------------------

    def _assert_owner(self) -> None:
        if threading.current_thread() is not self._owner:
            raise RuntimeError(
                f"the serial port belongs to thread {self._owner.name!r}; "
                f"{threading.current_thread().name!r} may not use it"
            )

    # --- raw I/O ----------------------------------------------------------------------------

    def write(self, data: bytes, *, pdu: str | None = None) -> None:
        """Write ``data``; ``pdu``: it is this SMS PDU (the trace masks it)."""
        self._assert_owner()
        if self.trace is not None:
            if pdu is None:
                self.trace.sent(data)
            else:
                self.trace.sent_pdu(pdu)
        try:
            self._port.write(data)
        except Exception as exc:  # serial.SerialException, OSError, write timeout
            raise PortGone(f"writing to the modem failed: {exc}") from exc
        self.bytes_out += len(data)

    def _read_some(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for bytes; feed them to the buffer. True if any came (False
        too when the reader was poked)."""
        if self.reader is not None:
            try:
                data = self.reader.take(timeout)
            except Exception as exc:
                raise PortGone(f"reading from the modem failed: {exc}") from exc
            if data:
                self.bytes_in += len(data)
                self._buf.feed(data)
            return bool(data)
        try:
            waiting = self._port.in_waiting
            if waiting:
                data = self._port.read(waiting)
            else:
                data = b""
                end = time.monotonic() + max(timeout, 0.0)
                while True:
                    data = self._port.read(1)
                    if data or time.monotonic() >= end:
                        break
                if data:
                    more = self._port.in_waiting
                    if more:
                        data += self._port.read(more)
        except Exception as exc:  # serial.SerialException, OSError (EIO after unplug)
            raise PortGone(f"reading from the modem failed: {exc}") from exc
        if data:
            self.bytes_in += len(data)
            self._buf.feed(data)
            return True
        return False

    def _next(self, deadline: float, *, prompt: bool = False, wake: bool = False) -> str | None:
        """The next non-empty line, or None once ``deadline`` passes (with ``wake``, also when
        the reader is poked). With ``prompt``, returns ">" when an SMS prompt is seen."""
        while True:
            line = self._buf.next_line()
            if line:
                if self.trace is not None:
                    self.trace.received(line)
                if line == "NO CARRIER" and not _CALL_COMMAND.match(self.last_command or ""):
                    self.urcs.append(urc.CallEnded(line))  # a caller gave up: not our answer
                    if wake:
                        return None  # an idle wait ends: there is a URC to handle
                    continue
                return line
            if line is not None:
                continue
            if prompt and self._buf.take_prompt():
                if self.trace is not None:
                    self.trace.received(">")
                return ">"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if self.reader is not None:
                if not self._read_some(remaining) and wake:
                    return None
            else:
                self._read_some(min(remaining, self.read_slice))

    def _next_or_interrupt(
        self, deadline: float, cmd: str, *, written: bool, prompt: bool = False
    ) -> str | None:
        """``_next`` that checks ``interrupt`` at least every ``INTERRUPT_SLICE`` seconds."""
        while True:
            if self.interrupt is not None and self.interrupt.is_set():
                raise Interrupted(cmd, written=written)
            end = min(deadline, time.monotonic() + INTERRUPT_SLICE)
            line = self._next(end, prompt=prompt)
            if line is not None or end >= deadline:
                return line

    def _take_urc(self, head: str, deadline: float) -> urc.Urc:
        lines = [head]
        # the rest of a URC follows right away; do not let a command deadline cut it off
        end = max(deadline, time.monotonic() + 2.0)
        while urc.needs_more(lines):
            nxt = self._next(end)
            if nxt is None:
                break
            lines.append(nxt)
        parsed = urc.parse(lines)
        self.urcs.append(parsed)
        return parsed

    # --- commands ---------------------------------------------------------------------------

    def command(
        self,
        cmd: str,
        timeout: float,
        *,
        expect: str | bool | None = True,
        final_on_info: bool = False,
    ) -> Response:
        """Send ``cmd`` and return its response; raise CommandError / AtTimeout / PortGone.

        ``expect``: the information-response prefix (True: derive from the command, None: the
        command has no prefixed answer, so every prefixed URC is a URC). ``final_on_info``: some
        modems answer AT+CPIN? with the +CPIN line and no OK; accept the info line alone after a
        short grace period.
        """
        self._assert_owner()
        if self.dirty:
            self.resync(timeout)
        prefix = expected_prefix(cmd) if expect is True else (expect or None)
        self.write(cmd.encode("ascii", errors="replace") + b"\r")
        return self._collect(cmd, prefix, time.monotonic() + timeout, final_on_info)

    def _collect(
        self, cmd: str, prefix: str | None, deadline: float, final_on_info: bool = False
    ) -> Response:
        info: list[str] = []
        foreign = False  # a prefixed line that belongs to some other (late) command
        echoed = False
        self.last_command, self.last_lines = cmd, []
        while True:
            limit = deadline
            if final_on_info and info:
                limit = min(deadline, time.monotonic() + 0.5)
            line = self._next(limit)
            if line is None:
                self.last_lines = list(info)
                if final_on_info and info:
                    return Response(cmd, info, "")
                self.dirty = True
                raise AtTimeout(cmd, info)
            if self._is_echo(line, cmd):
                self.echo_seen = echoed = True
                continue
            fin = final_kind(line)
            if fin is not None:
                if foreign:  # the final result of a late reply to an earlier command
                    self.stray.append(line)
                    foreign = False
                    continue
                self.last_lines = [*info, line]
                if not echoed:
                    self.echo_off = True
                kind, code = fin
                if kind == "ok":
                    return Response(cmd, info, line)
                raise CommandError(cmd, line, kind, code, info)
            if urc.is_urc(line, prefix):
                self._take_urc(line, deadline)  # a boot line too: the service weighs it
                continue
            lp = urc.prefix_of(line)
            if prefix is not None and lp in _POLLED and lp != prefix:
                self.stray.append(line)
                foreign = True
                continue
            info.append(line)

    @staticmethod
    def _is_echo(line: str, cmd: str) -> bool:
        return line == cmd or (line.upper().startswith("AT") and line.upper() == cmd.upper())

    def send_pdu(
        self, length: int, pdu_hex: str, *, prompt_timeout: float, reply_timeout: float
    ) -> Response:
        """AT+CMGS=<length>, wait for "> ", write the PDU + Ctrl-Z, wait for +CMGS.

        Failures before the PDU is written raise as usual (a prompt that came too late is
        cancelled with ESC). After it was written, AtTimeout has ``after_pdu=True`` and PortGone
        has ``written=True``: the part may or may not have gone out. A boot line meanwhile is
        queued as a URC like any other (the service weighs it). Both waits
        check ``interrupt`` every ``INTERRUPT_SLICE`` s and raise Interrupted (``written`` set
        likewise) when it is set.
        """
        self._assert_owner()
        cmd = f"AT+CMGS={length}"
        if self.interrupt is not None and self.interrupt.is_set():
            raise Interrupted(cmd, written=False)
        if self.dirty:
            self.resync(prompt_timeout)
        self.write(cmd.encode() + b"\r")
        deadline = time.monotonic() + prompt_timeout
        while True:
            try:
                line = self._next_or_interrupt(deadline, cmd, written=False, prompt=True)
            except Interrupted:
                self.write(ESC)  # a prompt that comes after all is cancelled, never sent
                self.dirty = True
                raise
            if line is None:
                self.dirty = True
                self.write(ESC)
                raise AtTimeout(cmd, [])
            if line.startswith(">"):
                break
            if self._is_echo(line, cmd):
                continue
            fin = final_kind(line)
            if fin is not None:
                kind, code = fin
                raise CommandError(cmd, line, kind if kind != "ok" else "error", code, [])
            if urc.is_urc(line, "+CMGS"):
                self._take_urc(line, deadline)
                continue
            self.stray.append(line)
        try:
            self.write(pdu_hex.encode("ascii") + CTRL_Z, pdu=pdu_hex)
            return self._collect_pdu_reply(cmd, pdu_hex, time.monotonic() + reply_timeout)
        except PortGone as exc:
            exc.written = True
            raise

    def _collect_pdu_reply(self, cmd: str, pdu_hex: str, deadline: float) -> Response:
        info: list[str] = []
        while True:
            line = self._next_or_interrupt(deadline, cmd, written=True)
            if line is None:
                self.dirty = True
                raise AtTimeout(cmd, info, after_pdu=True)
            if pdu_hex and pdu_hex[:20] in line:  # the PDU echoed back by a modem with echo on
                continue
            fin = final_kind(line)
            if fin is not None:
                kind, code = fin
                if kind == "ok":
                    return Response(cmd, info, line)
                raise CommandError(cmd, line, kind, code, info)
            if line.startswith("+CMGS:"):
                info.append(line)
                continue
            if urc.is_urc(line, "+CMGS"):
                self._take_urc(line, deadline)
                continue
            self.stray.append(line)

    # --- idle and recovery -------------------------------------------------------------------

    def cancel_prompt(self, quiet: float = 0.3, limit: float = 2.0) -> bytes:
        """Write ESC and drain: a modem left in the SMS "> " prompt (by a process that died
        there) leaves it without sending (ESC cancels; Ctrl-Z would send the half PDU, so it is
        never written here); a modem in command mode ignores the ESC. Everything read until the
        line is quiet for ``quiet`` seconds (at most ``limit``) is discarded and returned."""
        self._assert_owner()
        self.write(ESC)
        self._buf.clear()
        drained = bytearray()
        end = time.monotonic() + limit
        while (left := end - time.monotonic()) > 0:
            if not self._read_some(min(quiet, left)):
                break
            drained += self._buf.pending
            self._buf.clear()
        self.dirty = False
        return bytes(drained)

    def pump(self, timeout: float) -> bool:
        """Read for up to ``timeout``, returning as soon as the input is used up after at least
        one line (or the reader is poked): URCs are queued; stray lines (a late final result,
        noise) are set aside. Returns True if a line came."""
        self._assert_owner()
        deadline = time.monotonic() + timeout
        got = False
        while True:
            line = self._next(deadline if not got else time.monotonic(), wake=True)
            if line is None:
                return got
            got = True
            self._handle_idle_line(line, deadline)

    def _handle_idle_line(self, line: str, deadline: float) -> None:
        if final_kind(line) is not None:
            self.stray.append(line)
        elif urc.is_urc(line) or urc.prefix_of(line) is not None:
            self._take_urc(line, deadline)
        else:
            self.urcs.append(urc.Other(line))

    def resync(self, timeout: float, settle: float = 0.3) -> bool:
        """After a timeout: make sure a late reply to the old command is not taken as the answer
        to the next one. Sends a bare AT and reads until a final result, then keeps reading while
        more lines come within ``settle`` seconds (a modem answers in order, so a late reply
        comes before the answer to a later command). Returns True when the modem answered."""
        self._assert_owner()
        self.dirty = False
        self.write(b"AT\r")
        deadline = time.monotonic() + timeout
        answered = False
        while True:
            end = min(deadline, time.monotonic() + settle) if answered else deadline
            line = self._next(end)
            if line is None:
                if not answered:
                    self.dirty = True
                return answered
            if final_kind(line) is not None:
                answered = True
                self.stray.append(line)
            elif line != "AT":
                self._handle_idle_line(line, end)
