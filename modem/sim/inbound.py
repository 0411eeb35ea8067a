"""Messages from the network to the modem: SMS-DELIVER and status reports, routed by AT+CNMI.

The "network" keeps what it could not hand over (modem off, SIM full, +CMT not acknowledged) and
tries again later, as a real SMSC does; nothing is dropped silently.
"""

from __future__ import annotations

import collections
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from modem.codec.pdu import encode_status_report
from modem.sim.errors import CmsError
from modem.sim.sms_store import Stat
from modem.sim.text_mode import message_lines, tpdu_length

if TYPE_CHECKING:
    from modem.sim.core import ModemCore
    from modem.sim.scheduler import Timer


class Inbound:
    def __init__(self, core: ModemCore) -> None:
        self.core = core
        self.queue: collections.deque[str] = collections.deque()
        self.awaiting: str | None = None  # a +CMT waiting for +CNMA
        self._ack_timer: Timer | None = None
        self._retry: Timer | None = None
        self.ta_buffer: list[bytes] = []  # SMS URCs held while +CNMI <mode> is 0
        self.reports: collections.deque[tuple[int, str, int]] = collections.deque()

    # ------------------------------------------------------------------ power
    def power_on(self) -> None:
        self.ta_buffer.clear()
        self._requeue_awaiting()

    def power_off(self) -> None:
        self._requeue_awaiting()

    def _requeue_awaiting(self) -> None:
        if self.awaiting is not None:
            self.queue.appendleft(self.awaiting)
            self.awaiting = None
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None

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
        """Hand queued messages to the modem per the current +CNMI."""
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
                self._route_report(*self.reports.popleft())
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
            self.awaiting = pdu
            self._ack_timer = m.call_later(m.config.cnma_timeout, self._ack_timeout)

    def _ack_timeout(self) -> None:
        """27.005 3.4.1: no +CNMA in time: the ME turns direct routing off (<mt> and <ds> to 0)
        and the network will deliver the message again (now to storage)."""
        m = self.core
        if self.awaiting is None:
            return
        pdu, self.awaiting, self._ack_timer = self.awaiting, None, None
        m.settings.cnmi[1] = 0
        m.settings.cnmi[3] = 0
        self.queue.appendleft(pdu)
        m.emit({"event": "cnma_timeout", "pdu": pdu})
        self._schedule_retry()

    def acknowledge(self, ok: bool) -> None:
        """AT+CNMA (ok) or AT+CNMA=2 (negative: the network retries later)."""
        m = self.core
        if self.awaiting is None or m.settings.csms != 1:
            raise CmsError(340)
        pdu, self.awaiting = self.awaiting, None
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None
        if ok:
            m.emit({"event": "acked", "pdu": pdu})
            m.call_later(0.0, self.pump)
        else:
            m.emit({"event": "nacked", "pdu": pdu})
            self.queue.appendleft(pdu)
            self._schedule_retry()

    # ------------------------------------------------------------------ status reports
    def status_report(self, reference: int, recipient: str, status: int) -> None:
        self.reports.append((reference, recipient, status))
        self.pump()

    def _route_report(self, reference: int, recipient: str, status: int) -> None:
        m = self.core
        now = datetime.now(UTC).replace(microsecond=0)
        pdu = encode_status_report(
            reference, recipient, status, scts=now, discharge=now, smsc=m.network.smsc
        )
        ds = m.settings.cnmi[3]
        event = {"event": "report", "reference": reference, "to": recipient, "status": status}
        if ds == 1:
            if m.settings.cmgf == 1:
                lines = message_lines(m, pdu, head="+CDS", stat=None, listing=False)
            else:
                lines = [f"+CDS: {tpdu_length(pdu)}", pdu]
            m.urc("\r\n".join(lines), sms=True)
            event["via"] = "cds"
        elif ds == 2:
            store = m.stores["SR"]
            index = store.add(pdu, Stat.REC_UNREAD)
            if index is None:
                event["via"] = "dropped"
                event["reason"] = "SR storage full"
            else:
                m.urc(f'+CDSI: "SR",{index}', sms=True)
                event.update(via="cdsi", index=index)
        else:
            event["via"] = "dropped"
            event["reason"] = "+CNMI <ds> is 0"
        event["pdu"] = pdu
        m.emit(event)

    def flush_ta_buffer(self, discard: bool) -> None:
        buffered, self.ta_buffer = self.ta_buffer, []
        if not discard:
            for data in buffered:
                self.core.urc_bytes(data)
