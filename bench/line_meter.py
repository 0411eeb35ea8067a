"""The bytes on the virtual modem's serial line, both ways, and the line's limit for a run.

``install()`` wraps the virtual modem's line (``modem.sim.line.Line``) so every byte the client
sends (recorded when it has crossed the paced wire) and every byte the modem writes is kept with
its time (``time.monotonic``, the same clock in every process on Linux). Benchmarks in this
process call it before starting a ``VirtualModem``; benchmarks that run the virtual modem as its
own process start ``python bench/line_meter.py --record FILE -- <modem.sim arguments>``: the same
``python -m modem.sim`` main, the records written to FILE when it exits.

``Exchange`` reads a run back: the ``AT+CMGS`` commands and PDUs the program really sent, the
``+CMGS: <mr>`` answers, and the bytes on the line in a time window. ``limit()`` turns the exact
PDUs of the run and the status reports the modem produced into the least the line must carry
per SMS, and so the most SMS a second the line allows (see ``limit``).
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

IN, OUT = 0, 1  # to the modem, from the modem


@dataclass
class Meter:
    """Every piece of the line's traffic: (monotonic time, IN or OUT, bytes)."""

    records: list[tuple[float, int, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, direction: int, data: bytes) -> None:
        with self.lock:
            self.records.append((time.monotonic(), direction, bytes(data)))

    def snapshot(self) -> list[tuple[float, int, bytes]]:
        with self.lock:
            return list(self.records)


METER = Meter()
_installed = False


def install() -> Meter:
    """Wrap the virtual modem's line (input after its wire time, output as written)."""
    global _installed
    from modem.sim.line import Line
    from modem.sim.pty_port import PtyPort

    if _installed:
        return METER
    hand_over = Line._hand_over
    send_some = PtyPort._send_some

    def metered_hand_over(self: Line, data: bytes) -> None:
        METER.add(IN, data)
        hand_over(self, data)

    def metered_send_some(self: PtyPort, view: memoryview) -> int:
        n = send_some(self, view)
        if n > 0:
            METER.add(OUT, bytes(view[:n]))
        return n

    Line._hand_over = metered_hand_over  # type: ignore[method-assign]
    PtyPort._send_some = metered_send_some  # type: ignore[method-assign]
    _installed = True
    return METER


def load(path: Path) -> list[tuple[float, int, bytes]]:
    with path.open("rb") as fh:
        records: list[tuple[float, int, bytes]] = pickle.load(fh)
    return records


CMGS_IN = re.compile(rb"AT\+CMGS=(\d+)\r\n?\s*([0-9A-Fa-f]+)\x1a", re.IGNORECASE)
CMGS_OUT = re.compile(rb"\+CMGS: ?(\d+)")


@dataclass
class Exchange:
    """One program's traffic in a time window."""

    to_modem: bytes
    from_modem: bytes

    @classmethod
    def of(
        cls, records: list[tuple[float, int, bytes]], t0: float = 0.0, t1: float = float("inf")
    ) -> Exchange:
        inside = [r for r in records if t0 <= r[0] <= t1]
        return cls(
            b"".join(d for _, k, d in inside if k == IN),
            b"".join(d for _, k, d in inside if k == OUT),
        )

    @property
    def total(self) -> int:
        return len(self.to_modem) + len(self.from_modem)

    def sends(self) -> list[tuple[int, str]]:
        """(length given to AT+CMGS, PDU hex) for every SMS the program handed over."""
        return [(int(n), h.decode()) for n, h in CMGS_IN.findall(self.to_modem)]

    def references(self) -> list[str]:
        return [r.decode() for r in CMGS_OUT.findall(self.from_modem)]

    def commands(self) -> dict[str, int]:
        """How often each AT command went to the modem (AT+CMGS=42 counts as AT+CMGS)."""
        counts: dict[str, int] = {}
        for m in re.finditer(rb"AT([+^$%#&][A-Za-z]+|[A-Za-z]+)?", self.to_modem, re.IGNORECASE):
            name = ("AT" + (m.group(1) or b"").decode()).upper()
            counts[name] = counts.get(name, 0) + 1
        return counts

    def first(self, records: list[tuple[float, int, bytes]], needle: bytes) -> float | None:
        """The time of the first input record holding ``needle`` (e.g. b"AT+CMGS")."""
        for t, kind, data in records:
            if kind == IN and needle in data.upper():
                return t
        return None


def tpdu_length(pdu_hex: str) -> int:
    """TPDU octets of a PDU given with its SMSC prefix (what +CDS: / +CMGR: state)."""
    return len(pdu_hex) // 2 - 1 - int(pdu_hex[:2], 16)


def send_bytes(length: int, pdu_hex: str, reference: str) -> tuple[int, int]:
    """(to the modem, from the modem) of the least exchange for one SMS-SUBMIT, echo off:
    ``AT+CMGS=<n>\\r``, the PDU and Ctrl-Z; ``\\r\\n> ``, ``\\r\\n+CMGS: <mr>\\r\\n\\r\\nOK\\r\\n``."""
    to_modem = len(f"AT+CMGS={length}\r") + len(pdu_hex) + 1
    from_modem = len("\r\n> ") + len(f"\r\n+CMGS: {reference}\r\n\r\nOK\r\n")
    return to_modem, from_modem


def report_bytes_cds(pdu_hex: str, *, acked: bool) -> tuple[int, int]:
    """A status report routed to the terminal: ``\\r\\n+CDS: <len>\\r\\n<pdu>\\r\\n`` (and, on a
    modem that needs it, ``AT+CNMA\\r`` answered ``\\r\\nOK\\r\\n``)."""
    from_modem = len(f"\r\n+CDS: {tpdu_length(pdu_hex)}\r\n{pdu_hex}\r\n")
    if not acked:
        return 0, from_modem
    return len("AT+CNMA\r"), from_modem + len("\r\nOK\r\n")


def report_bytes_cdsi(pdu_hex: str, index: int = 1) -> tuple[int, int]:
    """A status report stored: ``+CDSI: "SR",<i>``, one ``AT+CMGR=<i>`` and one ``AT+CMGD=<i>``
    (the storage chosen once, nothing read twice)."""
    from_modem = len(f'\r\n+CDSI: "SR",{index}\r\n')
    from_modem += len(f"\r\n+CMGR: 0,,{tpdu_length(pdu_hex)}\r\n{pdu_hex}\r\n\r\nOK\r\n")
    from_modem += len("\r\nOK\r\n")
    to_modem = len(f"AT+CMGR={index}\r") + len(f"AT+CMGD={index}\r")
    return to_modem, from_modem


@dataclass
class Limit:
    """The least bytes per SMS and the SMS/s they allow."""

    bytes_per_sms: float
    per_second: float
    how: str
    # The busier direction alone: the SMS/s if every byte one way overlapped the other way's.
    # AT is stop-and-wait, so no program reaches it; ``per_second`` (both ways in series) can be
    # beaten, since a modem may send its report lines while the host is still sending a command.
    duplex_per_second: float = 0.0


def limit(
    sends: list[tuple[int, str]],
    references: list[str],
    reports: list[str],
    *,
    baud: int,
    delay: float = 0.0,
    report_way: str = "cds",
) -> Limit:
    """The line's limit for these exact SMS and reports at ``baud`` (10 bits a byte).

    Full duplex: the echo of what the host sends rides alongside it and costs no time, so it is
    not counted. AT itself is stop-and-wait (a command, then its answer), and a modem holds its
    unsolicited lines (+CDS, +CDSI) while a command or the ``>`` prompt is in progress (27.005
    +CNMI <mode>=2, as this virtual modem does), so the report traffic adds to the send
    exchange rather than overlapping it. Per SMS: its send exchange both ways, plus its report
    by ``report_way`` ("cds": routed with the PDU inline, no acknowledgement, as a modem under
    AT+CSMS=0 sends it; "cds+cnma": acknowledged with AT+CNMA, as this virtual modem and other
    phase 2+ modems under AT+CSMS=1 hold it until then; "cdsi": stored, read once, deleted
    once), plus ``delay`` seconds of the network answering +CMGS.
    """
    if not sends:
        return Limit(0.0, 0.0, "no AT+CMGS seen")
    to_modem = from_modem = 0
    for i, (length, pdu_hex) in enumerate(sends):
        ref = references[i] if i < len(references) else "0"
        a, b = send_bytes(length, pdu_hex, ref)
        to_modem, from_modem = to_modem + a, from_modem + b
    for pdu_hex in reports:
        if report_way == "cdsi":
            a, b = report_bytes_cdsi(pdu_hex)
        else:
            a, b = report_bytes_cds(pdu_hex, acked=report_way == "cds+cnma")
        to_modem, from_modem = to_modem + a, from_modem + b
    per_sms = (to_modem + from_modem) / len(sends)
    seconds = per_sms * 10 / baud + delay
    busier = max(to_modem, from_modem) / len(sends)
    return Limit(per_sms, 1 / seconds, report_way, 1 / (busier * 10 / baud + delay))


def _run_sim(argv: list[str]) -> int:
    """``python -m modem.sim`` with the line metered; the records go to --record at exit."""
    p = argparse.ArgumentParser(description="the virtual modem with its line metered")
    p.add_argument("--record", type=Path, required=True)
    args, rest = p.parse_known_args(argv)
    if rest and rest[0] == "--":
        rest = rest[1:]
    install()
    from modem.sim.__main__ import main as sim_main

    try:
        return sim_main(rest)
    finally:
        tmp = args.record.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(METER.snapshot(), fh)
        tmp.replace(args.record)


if __name__ == "__main__":
    sys.exit(_run_sim(sys.argv[1:]))
