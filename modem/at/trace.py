"""A modem log for support: the AT conversation, line by line, in a rotating file.

``AtTrace`` writes what TextDesk sent (``>``) and what the modem answered (``<``) with a UTC
time stamp, to a file that rotates at ``max_bytes`` (``backups`` old files kept), or to a
logger the caller gives. Unless ``full_detail`` is asked for, what is private is masked before
it is written: the SIM PIN / PUK (``AT+CPIN="..."``, ``AT+CLCK`` / ``AT+CPWD`` passwords), SMS
bodies (the PDU written after the +CMGS prompt, the PDU lines after +CMGR / +CMGL / +CMT /
+CDS, any other long hex line) and USSD text (both the code sent and the network's answer,
which may hold a voucher or a balance). The rest (commands, result codes, URCs) stays, which
is what support needs to see how a modem answers.
"""

from __future__ import annotations

import itertools
import logging
import logging.handlers
import os
import re
import time
from pathlib import Path

DEFAULT_NAME = "modem-trace.log"
MASK = "***"
_QUOTED = re.compile(r'"[^"]*"')
_SECRET_COMMANDS = ("AT+CPIN=", "AT+CLCK=", "AT+CPWD=", "AT^CPIN=")
_PDU_HEADERS = ("+CMGR:", "+CMGL:", "+CMT:", "+CDS:")
_HEX_LINE = re.compile(r"^[0-9A-Fa-f]{16,}$")
_ids = itertools.count(1)


def _mask_quoted(text: str) -> str:
    return _QUOTED.sub(f'"{MASK}"', text)


def mask_sent(command: str) -> str:
    """``command`` as it may be written to the trace: PINs and USSD codes masked."""
    upper = command.upper()
    if upper.startswith(_SECRET_COMMANDS):
        head, _, rest = command.partition("=")
        # AT+CLCK="SC",1,"1234": the facility may stay, every other quoted value goes
        if upper.startswith("AT+CLCK="):
            fac, sep, tail = rest.partition(",")
            return f"{head}={fac}{sep}{_mask_quoted(tail)}"
        masked = _mask_quoted(rest) if '"' in rest else MASK
        return f"{head}={masked}"
    if upper.startswith("AT+CUSD="):
        return _mask_quoted(command)
    return command


class AtTrace:
    """The rotating trace of one service's AT conversation (see the module docstring).

    Give either ``path`` (a file; its folder is made) or ``logger`` (records at INFO). Call
    ``close`` when done (the service does on stop)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        logger: logging.Logger | None = None,
        full_detail: bool = False,
        max_bytes: int = 1_000_000,
        backups: int = 3,
    ) -> None:
        if (path is None) == (logger is None):
            raise ValueError("AtTrace needs a path or a logger (one of them)")
        self.full_detail = full_detail
        self.path = Path(path) if path is not None else None
        self._handler: logging.Handler | None = None
        self._pdu_next = False  # the next received line is a PDU (after +CMGR: and kin)
        if logger is not None:
            self._log = logger
            return
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            self.path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
        self._handler = handler
        # a logger of its own, not propagated: message text must not reach the app's log
        self._log = logging.getLogger(f"textdesk.modem.trace.{next(_ids)}")
        self._log.propagate = False
        self._log.setLevel(logging.INFO)
        self._log.addHandler(handler)

    def _write(self, direction: str, text: str) -> None:
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        self._log.info("%s.%03dZ %s %s", stamp, int(now * 1000) % 1000, direction, text)

    def sent(self, data: bytes) -> None:
        """Bytes TextDesk wrote: a command (CR-terminated), ESC, or a bare AT."""
        text = data.decode("ascii", errors="replace")
        for part in text.replace("\x1b", "\r<ESC>\r").split("\r"):
            if part.strip():
                self._write(">", part if self.full_detail else mask_sent(part))

    def sent_pdu(self, pdu_hex: str) -> None:
        """The SMS PDU written after the "> " prompt (Ctrl-Z follows it)."""
        if self.full_detail:
            self._write(">", f"{pdu_hex}<Ctrl-Z>")
        else:
            self._write(">", f"<SMS PDU, {len(pdu_hex) // 2} octets, masked><Ctrl-Z>")

    def received(self, line: str) -> None:
        """One line the modem sent (``>`` for the SMS prompt)."""
        pdu_line = self._pdu_next
        self._pdu_next = line.startswith(_PDU_HEADERS)
        if self.full_detail:
            self._write("<", line)
        elif pdu_line or _HEX_LINE.match(line):
            self._write("<", f"<PDU, {len(line) // 2} octets, masked>")
        elif line.startswith("+CUSD:"):
            self._write("<", _mask_quoted(line))
        else:
            self._write("<", line)

    def note(self, text: str) -> None:
        """A line of TextDesk's own (connected to, restarted, ...)."""
        self._write("#", text)

    def close(self) -> None:
        if self._handler is not None:
            self._log.removeHandler(self._handler)
            self._handler.close()
            self._handler = None
