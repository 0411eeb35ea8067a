"""A recorded AT conversation answered on a real pseudo-terminal, the way the device answered it.

The recording format (``*.at`` files next to this module), one item a line:

    # comment                      ignored; so are empty lines
    @ key: value                   metadata (device, to, from, text, reply ...), for the test
    == stage                       starts a stage (see below); the lines before the first one
                                   belong to the stage "any"
    > AT+CNMI?                     what the client sends (case and surrounding blanks ignored)
    > ~AT\\+CNMI=2,1,0,[01],0       the same as a regular expression (full match, any case)
    > {pdu}                        a PDU typed at the "> " prompt, up to Ctrl-Z (hex digits)
    ? AT+CMGF=0                    the exchange above answers ERROR until this was sent first
    < OK                           the device's answer, one line each ("\\r\\nOK\\r\\n")
    <                              a blank line (just "\\r\\n": devices that pad their answers)
    < >                            the SMS prompt ("\\r\\n> "): what follows is a PDU
    ! 0.5 +CMTI: "SM",3            a URC the device printed by itself, 0.5 s after the answer
                                   above (before any exchange: after power-on)
    !+ 0791...                     the next line of the same URC (+CDS: 25 and its PDU)

Stages make one recording serve a client that asks in its own order: a command is answered
from the current stage, else from the next stage (which then becomes current: the
conversation moved on), else from "any". So "AT+CMGL=4" can answer empty before a message
arrives, list it once the client reads it, and answer empty again once the client deleted it.
A command the recording does not have is answered ERROR (as a device answers what it does not
know) and listed in ``unrecorded``, so a failing test can say what the client asked.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from modem.sim.pty_port import PtyPort

HERE = Path(__file__).resolve().parent
PDU_RE = "[0-9A-Fa-f]+"


@dataclass
class Urc:
    delay: float
    lines: list[str]


@dataclass
class Exchange:
    pattern: re.Pattern[str]
    source: str  # the "> ..." text, for messages
    answer: list[str | None] = field(default_factory=list)  # None: a blank line
    needs: list[str] = field(default_factory=list)
    urcs: list[Urc] = field(default_factory=list)
    line_no: int = 0

    @property
    def prompts(self) -> bool:
        return bool(self.answer) and self.answer[-1] == ">"


@dataclass
class Stage:
    name: str
    exchanges: list[Exchange] = field(default_factory=list)
    boot: list[Urc] = field(default_factory=list)


@dataclass
class Recording:
    path: Path
    meta: dict[str, str]
    stages: list[Stage]  # stages[0] is "any"

    @property
    def name(self) -> str:
        return self.path.stem


class RecordingError(ValueError):
    pass


def _pattern(text: str) -> re.Pattern[str]:
    if text == "{pdu}":
        return re.compile(PDU_RE)
    if text.startswith("~"):
        return re.compile(text[1:], re.IGNORECASE)
    return re.compile(re.escape(text), re.IGNORECASE)


def parse(path: Path) -> Recording:
    """Read a recording; RecordingError names the line that is wrong."""
    meta: dict[str, str] = {}
    stages = [Stage("any")]
    current: Exchange | None = None
    for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tag, _, rest = line.partition(" ")
        if tag == "@":
            key, sep, value = rest.partition(":")
            if not sep:
                raise RecordingError(f"{path.name}:{no}: metadata is '@ key: value'")
            meta[key.strip()] = value.strip()
        elif tag == "==":
            stages.append(Stage(rest.strip()))
            current = None
        elif tag == ">":
            current = Exchange(_pattern(rest.strip()), rest.strip(), line_no=no)
            stages[-1].exchanges.append(current)
        elif tag == "<":
            if current is None:
                raise RecordingError(f"{path.name}:{no}: an answer before any '>' line")
            current.answer.append(rest if rest else None)
        elif tag == "?":
            if current is None:
                raise RecordingError(f"{path.name}:{no}: '?' belongs to an exchange")
            current.needs.append(rest.strip().upper())
        elif tag == "!":
            delay, _, text = rest.partition(" ")
            try:
                urc = Urc(float(delay), [text])
            except ValueError:
                raise RecordingError(f"{path.name}:{no}: '! SECONDS TEXT'") from None
            (current.urcs if current is not None else stages[-1].boot).append(urc)
        elif tag == "!+":
            urcs = current.urcs if current is not None else stages[-1].boot
            if not urcs:
                raise RecordingError(f"{path.name}:{no}: '!+' continues a '!' line")
            urcs[-1].lines.append(rest)
        else:
            raise RecordingError(f"{path.name}:{no}: unknown line {line!r}")
    return Recording(path, meta, stages)


def recordings() -> list[Path]:
    return sorted(HERE.glob("*.at"))


class Replayer:
    """Answers a recording on a pty. ``device`` is the path a client opens."""

    def __init__(self, recording: Recording | Path) -> None:
        self.recording = recording if isinstance(recording, Recording) else parse(recording)
        self.echo = True
        self.stage = 1 if len(self.recording.stages) > 1 else 0
        self.received: list[str] = []  # every command and PDU, in order
        self.unrecorded: list[str] = []
        self.pdus: list[str] = []
        self._seen: set[str] = set()
        self._buf = b""
        self._prompt = False
        self._lock = threading.RLock()
        self._timers: list[threading.Timer] = []
        self._port: PtyPort | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> str:
        self._port = PtyPort(self._on_data)
        for stage in self.recording.stages[: self.stage + 1]:
            for urc in stage.boot:
                self._later(urc)
        return self._port.device

    @property
    def device(self) -> str:
        assert self._port is not None, "not started"
        return self._port.device

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._port is not None:
            self._port.close()

    def __enter__(self) -> Replayer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def stage_name(self) -> str:
        return self.recording.stages[self.stage].name

    # ------------------------------------------------------------------ input
    def _on_data(self, data: bytes) -> None:
        with self._lock:
            if self.echo and not self._prompt:
                self._write(data)
            self._buf += data
            while True:
                if self._prompt:
                    end = min((i for i in (self._buf.find(b"\x1a"), self._buf.find(b"\x1b"))
                               if i >= 0), default=-1)  # fmt: skip
                    if end < 0:
                        return
                    text, cancel = self._buf[:end], self._buf[end] == 0x1B
                    self._buf = self._buf[end + 1 :]
                    self._prompt = False
                    if cancel:
                        self._write(b"\r\nOK\r\n")
                    else:
                        self._answer(text.decode("latin-1").strip(), pdu=True)
                    continue
                end = self._buf.find(b"\r")
                if end < 0:
                    return
                line = self._buf[:end].decode("latin-1").replace("\n", "").strip()
                self._buf = self._buf[end + 1 :]
                at = line.upper().find("AT")
                line = line[at:] if at > 0 else line  # a modem skips what comes before "AT"
                if line:
                    self._answer(line, pdu=False)

    def _find(self, text: str, pdu: bool) -> Exchange | None:
        stages = self.recording.stages

        def match(stage: Stage) -> Exchange | None:
            for ex in stage.exchanges:
                if (ex.source == "{pdu}") == pdu and ex.pattern.fullmatch(text):
                    return ex
            return None

        if self.stage:
            found = match(stages[self.stage])
            if found is not None:
                return found
            if self.stage + 1 < len(stages):
                found = match(stages[self.stage + 1])
                if found is not None:
                    self.stage += 1
                    for urc in stages[self.stage].boot:
                        self._later(urc)
                    return found
        return match(stages[0])

    def _answer(self, text: str, *, pdu: bool) -> None:
        self.received.append(text)
        if pdu:
            self.pdus.append(text)
        ex = self._find(text, pdu)
        if ex is None:
            self.unrecorded.append(text)
            self._write(b"\r\nERROR\r\n")
            return
        if any(need not in self._seen for need in ex.needs):
            self._write(b"\r\nERROR\r\n")
            return
        if not pdu:
            self._seen.add(text.upper())
            if re.fullmatch(r"AT\s*E0", text, re.IGNORECASE):
                self.echo = False
            elif re.fullmatch(r"AT\s*E1?", text, re.IGNORECASE):
                self.echo = True
        out = b""
        for line in ex.answer:
            if line is None:
                out += b"\r\n"
            elif line == ">":
                out += b"\r\n> "
                self._prompt = True
            else:
                out += b"\r\n" + line.encode("latin-1") + b"\r\n"
        self._write(out)
        for urc in ex.urcs:
            self._later(urc)

    # ------------------------------------------------------------------ output
    def _write(self, data: bytes) -> None:
        if self._port is not None and data:
            self._port.write(data)

    def _later(self, urc: Urc) -> None:
        data = b"\r\n" + "\r\n".join(urc.lines).encode("latin-1") + b"\r\n"

        def fire() -> None:
            with self._lock:
                self._write(data)

        timer = threading.Timer(urc.delay, fire)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def wait_for(self, text: str, timeout: float = 30.0) -> bool:
        """True once the client sent ``text`` (case ignored)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(t.upper() == text.upper() for t in list(self.received)):
                return True
            time.sleep(0.05)
        return False
