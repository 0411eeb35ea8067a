"""Acknowledging what the modem routed to us (+CMT messages, +CDS status reports) with +CNMA.

Under AT+CSMS=1 (27.005 §3.2.1, "phase 2+") the modem holds its answer to the network until the
terminal says ``AT+CNMA`` (RP-ACK) or ``AT+CNMA=2`` (RP-ERROR: the network keeps the message and
delivers it again), and sends nothing else routed until then (§3.4.4). ``AT+CNMA`` names no
message, so the answers go out in the order the messages came, each only once the consumer
stored it (``settle(token, True)``) or could not (``settle(token, False)``); one settled early
waits for those before it.

Some modems do not hold a +CDS for its +CNMA (the network's status report needs no answer from
the terminal on them). That is known only from what the modem does: another +CMT / +CDS coming
while a +CDS still waits, or +CMS ERROR: 340 ("no +CNMA expected") to the +CNMA of a +CDS. From
then on (this connection) a +CDS gets no +CNMA; one +CNMA that does come is always answered
first, so this never acknowledges a +CMT by mistake.

A +CNMA refused with 340 for a +CMT came too late: the modem already answered the network
(which delivers the message again) and, per §3.4.4, turned direct routing off. The +CNMI setting
is given again at once and the storages are swept soon (the network's next try may be stored).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from modem.at.channel import CommandError
from modem.service.host import ServiceHost

log = logging.getLogger(__name__)
NO_ACK_EXPECTED = 340  # +CMS ERROR: 340, no +CNMA acknowledgement expected


class DirectAcks:
    def __init__(self, svc: ServiceHost, on_routing_lost: Callable[[], None]) -> None:
        self.svc = svc
        self.csms = 0
        self.cnmi: str | None = None  # the +CNMI setting given at init (set again when lost)
        self.report_acks: bool | None = None  # whether a +CDS wants +CNMA (None: not known)
        self._on_routing_lost = on_routing_lost
        self._order: deque[str] = deque()  # tokens waiting for their +CNMA, oldest first
        self._is_report: dict[str, bool] = {}
        self._settled: dict[str, bool] = {}  # token -> True (store done) / False (released)
        self.sent = 0  # +CNMA commands written (figures for tests and benchmarks)

    def reset(self) -> None:
        """A new connection: a modem restarted or reconnected waits for no old +CNMA."""
        self._order.clear()
        self._is_report.clear()
        self._settled.clear()
        self.report_acks = None

    def arrived(self, token: str, *, report: bool) -> None:
        """A +CMT (``report`` False) or +CDS was handed to the consumer with ``token``."""
        if self.csms != 1:
            return  # the modem acknowledged it to the network itself
        # a modem that holds +CDS routes nothing while one waits for its +CNMA (settled by the
        # consumer or not: the +CNMA is not written yet), so a status report coming while
        # anything waits, or anything coming while a report waits, says this one does not
        # hold them; a +CNMA meant for such a report would acknowledge the +CMT after it
        if self._order and (report or any(self._is_report.get(t) for t in self._order)):
            self._reports_need_no_ack("it routed more while a +CNMA was still to come")
        if report and self.report_acks is False:
            return
        self._order.append(token)
        self._is_report[token] = report

    def forget_waiting(self) -> None:
        """AT+CNMA=2 went out on a new connection (``Incoming.refuse_stale``): whatever was
        routed before it was answered by it (or needed no answer); none of it gets a +CNMA."""
        self._order.clear()
        self._is_report.clear()
        self._settled.clear()

    def waits_for(self, token: str) -> bool:
        return token in self._is_report

    def settle(self, token: str, ok: bool) -> None:
        """The consumer stored (``ok``) or could not store what came with ``token``."""
        if token in self._is_report:
            self._settled[token] = ok

    def ready(self) -> bool:
        """Whether a +CNMA can go now (the oldest waiting one is settled)."""
        return bool(self._order) and self._order[0] in self._settled

    def send_next(self) -> None:
        """AT+CNMA (or AT+CNMA=2) for the oldest waiting message, which is settled."""
        token = self._order.popleft()
        ok = self._settled.pop(token)
        report = self._is_report.pop(token)
        self.sent += 1
        try:
            self.svc.command("AT+CNMA" if ok else "AT+CNMA=2", expect=None)
        except CommandError as exc:
            if exc.kind != "cms" or exc.code != NO_ACK_EXPECTED:
                log.info("+CNMA refused: %s", exc)
            elif report and self.report_acks is None:
                self._reports_need_no_ack("it answered +CMS ERROR: 340 to the +CNMA of one")
            elif not report:
                log.info("+CNMA came after the modem gave up waiting: routing set again")
                self._routing_lost()
            return
        if report:
            self.report_acks = True

    def _reports_need_no_ack(self, why: str) -> None:
        if self.report_acks is not False:
            log.info("this modem does not wait for +CNMA after a status report (%s)", why)
        self.report_acks = False
        for token in [t for t in self._order if self._is_report.get(t)]:
            self._order.remove(token)
            self._is_report.pop(token, None)
            self._settled.pop(token, None)

    def _routing_lost(self) -> None:
        if self.cnmi is not None:
            try:
                self.svc.command(f"AT+CNMI={self.cnmi}", expect=None)
            except CommandError as exc:
                log.info("could not set +CNMI again: %s", exc)
        self._on_routing_lost()
