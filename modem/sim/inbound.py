"""Messages from the network to the modem: SMS-DELIVER and status reports, routed by AT+CNMI.

The "network" keeps what it could not hand over (modem off, SIM full, +CMT not acknowledged) and
tries again later, as a real SMSC does; nothing is dropped silently.

Under AT+CSMS=1 (27.005 §3.4.4, +CNMA) a +CMT and a +CDS both wait for the terminal's +CNMA, and
the modem routes no other +CMT or +CDS to the terminal until it comes. AT+CNMA=2 (RP-ERROR), or
no answer within ``cnma_timeout`` (the ME sends RP-ERROR itself and turns routing off: <mt> and
<ds> of +CNMI to 0), leaves the message or report with the network, which delivers it again
``redeliver_delay`` later: a message is then stored (or routed, if +CNMI was set again); a
report the terminal cannot take yet (<ds> 0 after such a timeout) is kept and tried again once
+CNMI routes reports again. A report that finds the SR storage full is kept too and tried again
``redeliver_delay`` later (the ME refused it: memory capacity exceeded).
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from modem.codec.pdu import encode_status_report
from modem.sim.errors import CmsError
from modem.sim.sms_store import Stat
from modem.sim.text_mode import message_lines, tpdu_length

if TYPE_CHECKING:
    from modem.sim.core import ModemCore
    from modem.sim.scheduler import Timer


@dataclass(frozen=True)
class Report:
    """A status report the network has for the modem (its PDU made once: a retry is the same)."""

    reference: int
    recipient: str
    status: int
    pdu: str
    retried: bool = False  # came back unacknowledged: kept until the terminal can take it


@dataclass(frozen=True)
class Routed:
    """What waits for the terminal's +CNMA: a +CMT (``report`` None) or a +CDS."""

    pdu: str
    report: Report | None = None


class Inbound:
    def __init__(self, core: ModemCore) -> None:
        self.core = core
        self.queue: collections.deque[str] = collections.deque()
        self.awaiting: Routed | None = None  # a +CMT or +CDS waiting for +CNMA
        self._ack_timer: Timer | None = None
        self._retry: Timer | None = None
        self.ta_buffer: list[bytes] = []  # SMS URCs held while +CNMI <mode> is 0
        self.reports: collections.deque[Report] = collections.deque()

    # ------------------------------------------------------------------ power
    def power_on(self) -> None:
        self.ta_buffer.clear()
        self._requeue_awaiting()

    def power_off(self) -> None:
        self._requeue_awaiting()

    def _requeue_awaiting(self) -> None:
        if self.awaiting is not None:
            self._give_back(self.awaiting)
            self.awaiting = None
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None

    def _give_back(self, routed: Routed) -> None:
        """The terminal did not take it: the network keeps it, first in line."""
        if routed.report is None:
            self.queue.appendleft(routed.pdu)
        else:
            r = routed.report
            self.reports.appendleft(Report(r.reference, r.recipient, r.status, r.pdu, True))

    # ------------------------------------------------------------------ SMS-DELIVER
    def can_receive(self) -> bool:
        m = self.core
        return (
            m.power == "on"
            and m.cfun == 1
            and m.sim.state == "ready"
            and time.monotonic() >= m.sim_busy_until
            and m.registered
        )

    def deliver(self, pdus: list[str], *, burst: bool = False) -> None:
        self.queue.extend(pdus)
        self.pump(burst=burst)

    def _schedule_retry(self) -> None:
        if self._retry is None:

            def again() -> None:
                self._retry = None
                self.pump()

            self._retry = self.core.call_later(self.core.config.redeliver_delay, again)

    def pump(self, *, burst: bool = False) -> None:
        """Hand queued messages and reports to the modem per the current +CNMI; none routed to
        the terminal while one waits for its +CNMA."""
        m = self.core
        if not self.can_receive():
            if self.queue or self.reports:
                self._schedule_retry()
            return
        if burst:
            m.coalesce_begin()
        try:
            while self.queue and self.awaiting is None:
                pdu = self.queue[0]
                mt = m.settings.cnmi[1]
                if mt == 2:
                    self.queue.popleft()
                    self._send_cmt(pdu)
                    continue
                store = m.storage(2)
                index = store.add(pdu, Stat.REC_UNREAD)
                if index is None:
                    m.emit({"event": "rejected", "reason": "storage full", "memory": store.name})
                    self._schedule_retry()
                    break
                self.queue.popleft()
                m.emit(
                    {
                        "event": "delivered",
                        "via": "stored",
                        "memory": store.name,
                        "index": index,
                        "pdu": pdu,
                    }
                )
                if mt in (1, 3):
                    m.urc(f'+CMTI: "{store.name}",{index}', sms=True)
            while self.reports:
                ds = m.settings.cnmi[3]
                if ds == 1 and self.awaiting is not None:
                    break  # routed after the +CNMA of what waits
                if ds == 0 and self.reports[0].retried:
                    break  # the network tries again once the terminal takes reports again
                report = self.reports.popleft()
                if not self._route_report(report):
                    self._give_back(Routed(report.pdu, report))  # SR full: tried again later
                    self._schedule_retry()
                    break
        finally:
            if burst:
                m.coalesce_end()

    def _send_cmt(self, pdu: str) -> None:
        m = self.core
        if m.settings.cmgf == 1:
            lines = message_lines(m, pdu, head="+CMT", stat=None, listing=False)
        else:
            lines = [f"+CMT: ,{tpdu_length(pdu)}", pdu]
        m.urc("\r\n".join(lines), sms=True)
        m.emit({"event": "delivered", "via": "cmt", "pdu": pdu})
        if m.settings.csms == 1:
            self._await(Routed(pdu))

    def _await(self, routed: Routed) -> None:
        m = self.core
        self.awaiting = routed
        self._ack_timer = m.call_later(m.config.cnma_timeout, self._ack_timeout)

    def _ack_timeout(self) -> None:
        """27.005 3.4.4: no +CNMA in time: the ME sends RP-ERROR, turns routing to the terminal
        off (<mt> and <ds> to 0), and the network delivers the message (now to storage) or the
        report again."""
        m = self.core
        if self.awaiting is None:
            return
        routed, self.awaiting, self._ack_timer = self.awaiting, None, None
        m.settings.cnmi[1] = 0
        m.settings.cnmi[3] = 0
        self._give_back(routed)
        m.emit({"event": "cnma_timeout", "via": _via(routed), "pdu": routed.pdu})
        self._schedule_retry()

    def acknowledge(self, ok: bool) -> None:
        """AT+CNMA (ok) or AT+CNMA=2 (negative: the network retries later)."""
        m = self.core
        if self.awaiting is None or m.settings.csms != 1:
            raise CmsError(340)
        routed, self.awaiting = self.awaiting, None
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None
        if ok:
            m.emit({"event": "acked", "via": _via(routed), "pdu": routed.pdu})
            m.call_later(0.0, self.pump)
        else:
            m.emit({"event": "nacked", "via": _via(routed), "pdu": routed.pdu})
            self._give_back(routed)
            self._schedule_retry()

    # ------------------------------------------------------------------ status reports
    def status_report(self, reference: int, recipient: str, status: int) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        pdu = encode_status_report(
            reference, recipient, status, scts=now, discharge=now, smsc=self.core.network.smsc
        )
        self.reports.append(Report(reference, recipient, status, pdu))
        self.pump()

    def _route_report(self, report: Report) -> bool:
        """Route (or store) one report; False when the SR storage is full (the ME refuses it
        with "memory capacity exceeded" and the network keeps it)."""
        m = self.core
        pdu = report.pdu
        ds = m.settings.cnmi[3]
        event: dict[str, object] = {
            "event": "report",
            "reference": report.reference,
            "to": report.recipient,
            "status": report.status,
        }
        if report.retried:
            event["again"] = True
        if ds == 1:
            if m.settings.cmgf == 1:
                lines = message_lines(m, pdu, head="+CDS", stat=None, listing=False)
            else:
                lines = [f"+CDS: {tpdu_length(pdu)}", pdu]
            m.urc("\r\n".join(lines), sms=True)
            event["via"] = "cds"
            if m.settings.csms == 1:
                self._await(Routed(pdu, report))
        elif ds == 2:
            store = m.stores["SR"]
            index = store.add(pdu, Stat.REC_UNREAD)
            if index is None:
                m.emit({"event": "rejected", "reason": "storage full", "memory": "SR"})
                return False
            else:
                m.urc(f'+CDSI: "SR",{index}', sms=True)
                event.update(via="cdsi", index=index)
        else:
            event["via"] = "dropped"
            event["reason"] = "+CNMI <ds> is 0"
        event["pdu"] = pdu
        m.emit(event)
        return True

    def flush_ta_buffer(self, discard: bool) -> None:
        buffered, self.ta_buffer = self.ta_buffer, []
        if not discard:
            for data in buffered:
                self.core.urc_bytes(data)


def _via(routed: Routed) -> str:
    return "cmt" if routed.report is None else "cds"
