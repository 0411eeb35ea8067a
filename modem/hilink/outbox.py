"""What TextDesk sent through a HiLink stick, until the stick's copies are gone.

A stick keeps a copy of every text sent through it in its Outbox (or Drafts, when it failed),
and those boxes share the storage that incoming texts need: a full stick drops new SMS. So each
text TextDesk sent is remembered (number, text, reference) and its copy is deleted on the next
sweep, once its delivery report is in (firmware that reports by flagging the Outbox copy with
SmsType 7/8 is read here too) or when no report is expected; copies that are not TextDesk's are
left alone. Reports carry no TP-MR, so the link gives each sent text a reference of its own and
a report goes to the oldest open one for that number (``take_ref``).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from huawei_lte_api.Client import Client
from huawei_lte_api.enums.sms import BoxTypeEnum
from huawei_lte_api.exceptions import ResponseErrorException

from modem.events import DeliveryReport
from modem.hilink import parse
from modem.hilink.session import BadAnswer, HiLinkSession
from modem.link import EventSink

log = logging.getLogger(__name__)

NO_REFERENCE = -1  # a report that matches nothing we sent
REPORT_TYPES = {7: True, 8: False}  # SmsType -> delivered
MAX_OPEN_REFS = 256


def digits(number: str | None) -> str:
    """The number's last nine digits (the stick may drop or add the country code)."""
    d = "".join(ch for ch in number or "" if ch.isdigit())
    return d[-9:] if len(d) >= 9 else d


@dataclass
class _SentCopy:
    number: str
    text: str
    reference: int
    wants_report: bool
    since: float = field(default_factory=time.monotonic)


class SentCopies:
    def __init__(
        self, session: HiLinkSession, emit: EventSink, zone: tzinfo, report_wait: float
    ) -> None:
        self.session = session
        self.emit = emit
        self.zone = zone
        self.report_wait = report_wait
        self._copies: list[_SentCopy] = []
        self._open_refs: dict[str, deque[int]] = {}
        self._next_ref = 0

    @property
    def waiting(self) -> bool:
        return bool(self._copies)

    def new_ref(self, number: str, wants_report: bool) -> int:
        ref = self._next_ref
        self._next_ref = (self._next_ref + 1) % 256
        if wants_report:
            self._open_refs.setdefault(digits(number), deque(maxlen=MAX_OPEN_REFS)).append(ref)
        return ref

    def add(self, number: str, text: str, reference: int, wants_report: bool) -> None:
        self._copies.append(_SentCopy(number, text, reference, wants_report))

    def take_ref(self, number: str | None, ref: int | None = None) -> int:
        refs = self._open_refs.get(digits(number))
        if not refs:
            return NO_REFERENCE
        if ref is None:
            return refs.popleft()
        if ref in refs:
            refs.remove(ref)
        return ref

    def sweep(self) -> None:
        """One page of the Outbox and one of Drafts (bounded cost per sweep)."""
        for box in (BoxTypeEnum.LOCAL_SENT, BoxTypeEnum.LOCAL_DRAFT):

            def listing(c: Client, box: BoxTypeEnum = box) -> dict[str, Any]:
                return c.sms.get_sms_list(1, box, 20)

            try:
                answer = self.session.call(listing)
            except (ResponseErrorException, BadAnswer) as exc:
                log.info("the stick could not list box %s: %s", box, exc)
                continue
            items, _ = parse.messages(answer)
            for item in items:
                self._clean(item, box)
        now = time.monotonic()
        self._copies = [c for c in self._copies if now - c.since < self.report_wait]

    def _clean(self, item: Mapping[str, object], box: BoxTypeEnum) -> None:
        index = parse.as_int(item.get("Index"))
        phone = parse.as_text(item.get("Phone"))
        content = item.get("Content")
        copy = next(
            (c for c in self._copies if digits(c.number) == digits(phone) and c.text == content),
            None,
        )
        if index is None or copy is None:
            return  # not TextDesk's: leave it alone
        kind = parse.as_int(item.get("SmsType"))
        if kind in REPORT_TYPES and copy.reference != NO_REFERENCE and copy.wants_report:
            delivered = REPORT_TYPES[kind]
            ref = self.take_ref(phone, copy.reference)
            when = parse.local_to_utc(item.get("Date"), self.zone)
            raw = parse.raw_text(item)
            self.emit(
                DeliveryReport(
                    None, ref, phone, 0 if delivered else 0x40, delivered, True, when, raw
                )
            )
        elif (
            box == BoxTypeEnum.LOCAL_SENT
            and copy.wants_report
            and copy.reference in self._open_refs.get(digits(phone), ())
        ):
            return  # its report may still come as a flag on this copy
        try:
            self.session.call(lambda c: c.sms.delete_sms(index))
        except (ResponseErrorException, BadAnswer) as exc:
            log.info("the stick did not delete its copy %s: %s", index, exc)
            return
        self._copies.remove(copy)
