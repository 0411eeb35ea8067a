"""HiLinkLink: a Huawei HiLink stick (web interface only, no AT port) as a modem.link.ModemLink.

One worker thread owns the stick's session (modem.hilink.session). There is no push from the
stick, so it asks the SMS count about every ``poll_interval`` (2 s: one small GET) and lists the
inbox only when the count says there is something it has not handed over yet. Each message goes
to the sink as an IncomingSms (token ``hl-<index>``) and is set read; it is deleted from the stick
only after ``ack_incoming`` (the core stored it), at once, because a full stick drops new texts.

Sending: ``send-sms`` hands the whole text to the stick (it splits it), then ``send-status`` says
whether the network took it (a stick without that page: its OK is taken as sent). A refused
send gets the stick's code in plain words (modem.hilink.errors); a connection cut after the
request went out, or an answer that cannot be read, is ``uncertain`` and never resent. The copies
the stick keeps of what TextDesk sent (Outbox, Drafts) are deleted on the next sweep.

Delivery reports: depending on firmware they arrive as inbox entries (SmsType 7 delivered,
8 failed) or as that type set on the Outbox copy. Reports carry no TP-MR, so each sent message
gets a reference of the link's own, and a report goes to the oldest open one for that number.

Times: the stick lists them in its own local time (``zone``, the computer's zone by default,
since the stick is set from it or from the network's local time); they are converted to UTC.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import tzlocal
from huawei_lte_api.Client import Client
from huawei_lte_api.enums.sms import BoxTypeEnum
from huawei_lte_api.exceptions import ResponseErrorException

from modem.codec.pdu import Pdu
from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemState,
    PartSent,
    PartSubmitting,
    SendFailed,
    SendJob,
    UssdResult,
)
from modem.hilink import errors, parse
from modem.hilink.outbox import NO_REFERENCE, REPORT_TYPES, SentCopies, digits
from modem.hilink.session import BODY_LIMIT, BadAnswer, Cut, HiLinkSession
from modem.link import EventSink, GiveBack, LinkLost, LinkRefused, LinkWorker

log = logging.getLogger(__name__)

TOKEN_PREFIX = "hl-"
NEEDS_PASSWORD = (
    "The stick asks for its admin password, and TextDesk has none (or not the right one): "
    "store it with `textdesk modem-password`, or in TextDesk's modem settings."
)


@dataclass
class _Sending:
    job: SendJob
    deadline: float
    next_check: float


class HiLinkLink(LinkWorker):
    thread_name = "textdesk-hilink"

    def __init__(
        self,
        url: str,
        sink: EventSink,
        *,
        password: str | None = None,
        username: str = "admin",
        zone: tzinfo | None = None,
        poll_interval: float = 2.0,
        timeout: float = 5.0,
        send_timeout: float = 60.0,
        status_interval: float = 15.0,
        sweep_interval: float = 30.0,
        report_wait: float = 3 * 24 * 3600.0,
        multipart_wait: float = 10.0,
        ussd_timeout: float = 20.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        body_limit: int = BODY_LIMIT,
    ) -> None:
        super().__init__(
            sink,
            poll_interval=poll_interval,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
        )
        self.url = url
        self.zone: tzinfo = zone if zone is not None else tzlocal.get_localzone()
        self.session = HiLinkSession(
            url, username=username, password=password, timeout=timeout, body_limit=body_limit
        )
        self.send_timeout = send_timeout
        self.status_interval = status_interval
        self.sweep_interval = sweep_interval
        self.report_wait = report_wait
        self.multipart_wait = multipart_wait
        self.ussd_timeout = ussd_timeout
        self._pending: dict[str, int] = {}  # token -> stick index, handed over, not acked yet
        self._held_back: dict[int, float] = {}  # index given back by the core -> offer again at
        self._give_back = GiveBack()
        self._first_seen: dict[int, float] = {}
        self._bad_seen: set[str] = set()
        self.copies = SentCopies(self.session, self.emit, self.zone, report_wait)
        self._sending: _Sending | None = None
        self._next_status = 0.0
        self._next_sweep = 0.0
        self._inbox_seen: int | None = None
        self._storage: tuple[int | None, int | None] = (None, None)
        self._problem: str | None = None  # the last unreadable answer, in plain words
        self._pin_problem: str | None = None
        self.polls = 0  # SMS-count requests so far (tests bound the cost with it)

    # --- connection -------------------------------------------------------------------------------

    def _open(self) -> None:
        self.session.open()
        info = self._get(lambda c: c.device.information())
        self.update_status(
            port=self.url,
            manufacturer="Huawei",
            model=parse.as_text(info.get("DeviceName")),
            imei=parse.as_text(info.get("Imei")),
            imsi=parse.as_text(info.get("Imsi")),
            iccid=parse.as_text(info.get("Iccid")),
        )
        self._pending.clear()  # listed again: the core dedupes what it already stored
        self._first_seen.clear()
        self._inbox_seen = None
        self._storage = parse.storage(self._count_or_refuse())
        self._poll_status()

    def _count_or_refuse(self) -> Mapping[str, object]:
        """The SMS count, which needs a login: a stick that still says "log in" after the
        session's own new login has a password TextDesk does not know (or has none for it)."""
        try:
            answer = self.session.call(lambda c: c.sms.sms_count())
        except ResponseErrorException as exc:
            if exc.code in errors.SESSION_CODES:
                raise LinkRefused(NEEDS_PASSWORD) from exc
            log.debug("stick error %s", exc.code)
            return {}
        except BadAnswer as exc:
            self._note_bad(str(exc))
            return {}
        return answer if isinstance(answer, Mapping) else {}

    def _close(self) -> None:
        if self._sending is not None:
            self._settle_uncertain(
                "The connection to the stick was lost before it said whether the text went out."
            )
        self.session.close()

    def _get(self, fn: Callable[[Client], Any]) -> Mapping[str, object]:
        """A read that may fail without harm: {} for a page the stick lacks or garbles."""
        try:
            answer = self.session.call(fn)
        except ResponseErrorException as exc:
            log.debug("stick error %s", exc.code)
            return {}
        except BadAnswer as exc:
            self._note_bad(str(exc))
            return {}
        return answer if isinstance(answer, Mapping) else {}

    def _note_bad(self, detail: str) -> None:
        log.warning("the stick sent an answer TextDesk cannot read: %s", detail)
        self._problem = "The stick sent an answer TextDesk could not read; it will ask again."

    # --- polling ----------------------------------------------------------------------------------

    def _poll(self) -> None:
        now = time.monotonic()
        self.polls += 1
        count = self._get(lambda c: c.sms.sms_count())
        self._storage = parse.storage(count)
        inbox = parse.as_int(count.get("LocalInbox"))
        if inbox is None or inbox > len(self._pending) or inbox != self._inbox_seen:
            self._read_inbox()
        self._inbox_seen = inbox
        if now >= self._next_sweep and self.copies.waiting:
            self._next_sweep = now + self.sweep_interval
            self.copies.sweep()
        if now >= self._next_status:
            self._poll_status()

    def _poll_status(self) -> None:
        self._next_status = time.monotonic() + self.status_interval
        monitoring = self._get(lambda c: c.monitoring.status())
        plmn = self._get(lambda c: c.net.current_plmn())
        pin = self._get(lambda c: c.pin.status())
        state, pin_kind, words = parse.state_for(monitoring, pin)
        if state == ModemState.PIN_NEEDED and self._pin_problem:
            words = self._pin_problem
        elif state != ModemState.PIN_NEEDED:
            self._pin_problem = None
        used, total = self._storage
        if words is None and used is not None and total and used >= total:
            words = (
                "The stick's message storage is full: it drops new texts until TextDesk clears it."
            )
        self.update_status(
            state=state,
            pin_kind=pin_kind,
            signal=parse.signal_rssi(monitoring),
            operator=parse.operator(plmn, parse.network_type(monitoring)),
            registration=parse.registration(monitoring),
            storage_used=used,
            storage_total=total,
            last_error=words or self._problem,
        )
        self._problem = None

    def _read_inbox(self) -> None:
        try:
            answer = self.session.call(
                lambda c: c.sms.get_sms_list(1, BoxTypeEnum.LOCAL_INBOX, 20, ascending=True)
            )
        except ResponseErrorException as exc:
            log.info("the stick could not list its inbox: %s", exc.code)
            return
        except BadAnswer as exc:
            self._note_bad(f"inbox: {exc}")
            return
        items, broken = parse.messages(answer)
        if broken:
            self._note_bad(f"inbox: {broken} entries that are not messages")
        listed = {parse.as_int(item.get("Index")) for item in items}
        for index in [i for i in self._held_back if i not in listed]:
            del self._held_back[index]  # gone from the stick (deleted elsewhere)
        for item in items:
            self._hand_over(item)

    def _hand_over(self, item: Mapping[str, object]) -> None:
        raw = parse.raw_text(item)
        index = parse.as_int(item.get("Index"))
        if index is None:
            key = hashlib.sha256(raw.encode()).hexdigest()[:16]
            if key not in self._bad_seen:  # cannot be deleted: hand it over once
                self._bad_seen.add(key)
                self.emit(
                    IncomingSms(
                        f"{TOKEN_PREFIX}x{key}", raw, None, "the stick gave no index", "hilink"
                    )
                )
            return
        token = f"{TOKEN_PREFIX}{index}"
        if token in self._pending:
            return
        again_at = self._held_back.get(index)
        if again_at is not None:
            if time.monotonic() < again_at:
                return  # given back by the core a moment ago: offered again a little later
            del self._held_back[index]
        kind = parse.as_int(item.get("SmsType"))
        if kind == 2:  # multipart still being joined by the stick: give it a moment
            seen = self._first_seen.setdefault(index, time.monotonic())
            if time.monotonic() - seen < self.multipart_wait:
                return
        self._first_seen.pop(index, None)
        phone = parse.as_text(item.get("Phone"))
        when = parse.local_to_utc(item.get("Date"), self.zone)
        self._pending[token] = index
        if kind in REPORT_TYPES:
            delivered = REPORT_TYPES[kind]
            self.emit(
                DeliveryReport(
                    token, self.copies.take_ref(phone), phone, 0x00 if delivered else 0x40,
                    delivered, True, when, raw,
                )
            )  # fmt: skip
            return
        content = item.get("Content")
        if phone is None or not isinstance(content, str):
            self.emit(
                IncomingSms(
                    token,
                    raw,
                    None,
                    "the stick listed a text without sender or text",
                    "hilink",
                    index,
                )
            )
        else:
            number_type = (
                "international"
                if phone.startswith("+")
                else ("unknown" if digits(phone) else "alphanumeric")
            )
            encoding = "gsm7" if all(ord(ch) < 128 for ch in content) else "ucs2"
            pdu = Pdu("deliver", phone, number_type, content, when, encoding=encoding)
            self.emit(IncomingSms(token, raw, pdu, None, "hilink", index))
        if parse.as_int(item.get("Smstat")) == 0:
            try:
                self.session.call(lambda c: c.sms.set_read(index))
            except (ResponseErrorException, BadAnswer):
                pass  # only the stick's unread mark

    def _ack(self, token: str) -> None:
        index = self._pending.get(token)
        if index is None:
            return  # nothing on the stick to delete (already gone, or not deletable)
        self._give_back.stored()
        try:
            self.session.call(lambda c: c.sms.delete_sms(index))
            self._pending.pop(token, None)
        except (ResponseErrorException, BadAnswer) as exc:
            self._pending.pop(token, None)
            # still listed: the next listing hands it over again, the core sees the duplicate
            # and acks once more, and the delete is tried again
            log.info("the stick did not delete message %s: %s", index, exc)

    def _release(self, token: str) -> None:
        """The core could not store it: forget the token, leave the text on the stick, and list
        it again after a short wait (GiveBack), not only at the next connection."""
        index = self._pending.pop(token, None)
        if index is None:
            return
        self._held_back[index] = self._give_back.next_time()
        self._inbox_seen = None  # list the inbox again at the next polls
        log.info("message %s given back by the core: it stays on the stick, listed again", index)

    # --- sending ----------------------------------------------------------------------------------

    def _busy(self) -> bool:
        return self._sending is not None

    def _work_pending(self) -> bool:
        return self._sending is not None and time.monotonic() >= self._sending.next_check

    def _send(self, job: SendJob) -> None:
        self.emit(PartSubmitting(job.job_id, 1, 1, job.concat_ref))
        try:
            answer = self.session.call(lambda c: c.sms.send_sms([job.number], job.text))
        except ResponseErrorException as exc:
            words = errors.explain(exc.code)
            self._failed(job, words.reason, words.retryable, code=exc.code)
            return
        except Cut as exc:
            if exc.not_sent:
                self._failed(job, "The stick did not answer; the text was not sent.", True)
            else:
                self._failed(
                    job, "The connection to the stick was cut while sending.", True, uncertain=True
                )
            raise
        except BadAnswer as exc:
            self._note_bad(f"send: {exc}")
            self._failed(
                job, "The stick's answer to the send could not be read.", False, uncertain=True
            )
            return
        if answer != "OK":
            self._failed(
                job,
                f"The stick answered the send with {str(answer)[:40]!r}.",
                False,
                uncertain=True,
            )
            return
        now = time.monotonic()
        self._sending = _Sending(job, now + self.send_timeout, now + 0.2)

    def _work(self) -> None:
        sending = self._sending
        if sending is None:
            return
        job = sending.job
        try:
            status = self.session.call(lambda c: c.sms.send_status())
        except ResponseErrorException as exc:
            if exc.code == 100002:  # no send-status page: the stick's OK is all there is
                self._sent(job)
            else:
                self._settle_uncertain(
                    f"The stick took the text but then said: {errors.explain(exc.code).reason}"
                )
            return
        except BadAnswer as exc:
            self._note_bad(f"send status: {exc}")
            status = {}
        except Cut:
            self._settle_uncertain(
                "The connection to the stick was lost before it said whether the text went out."
            )
            raise
        number = digits(job.number)
        sent = [digits(p) for p in str(status.get("SucPhone") or "").split(";")]
        failed = [digits(p) for p in str(status.get("FailPhone") or "").split(";")]
        if number and number in sent:
            self._sent(job)
        elif number and number in failed:
            self._sending = None
            self.copies.add(job.number, job.text, NO_REFERENCE, False)  # its copy is in Drafts
            self._failed(job, "The stick could not send the text (the network refused it).", True)
        elif time.monotonic() >= sending.deadline:
            self._settle_uncertain("The stick took the text but never said whether it went out.")
        else:
            sending.next_check = time.monotonic() + 0.5

    def _settle_uncertain(self, reason: str) -> None:
        sending, self._sending = self._sending, None
        if sending is not None:
            self._failed(sending.job, reason, False, uncertain=True)

    def _failed(
        self,
        job: SendJob,
        reason: str,
        retryable: bool,
        *,
        code: int | None = None,
        uncertain: bool = False,
    ) -> None:
        if uncertain:  # its copy may be on the stick: clean it up if it shows
            self.copies.add(job.number, job.text, NO_REFERENCE, False)
        self.emit(
            SendFailed(
                job.job_id,
                1,
                1,
                job.concat_ref,
                code,
                reason,
                retryable and not uncertain,
                uncertain,
            )
        )

    def _sent(self, job: SendJob) -> None:
        self._sending = None
        ref = self.copies.new_ref(job.number, job.request_report)
        self.copies.add(job.number, job.text, ref, job.request_report)
        self._next_sweep = min(self._next_sweep, time.monotonic() + 2.0)
        self.emit(PartSent(job.job_id, 1, 1, ref, job.concat_ref))

    # --- USSD and PIN ---------------------------------------------------------------------------

    def _ussd(self, code: str) -> None:
        try:
            self.session.call(lambda c: c.ussd.send(code))
        except (ResponseErrorException, BadAnswer) as exc:
            self.emit(UssdResult(None, code, f"The stick could not ask the balance code ({exc})."))
            return
        deadline = time.monotonic() + self.ussd_timeout
        while time.monotonic() < deadline:
            self._sleep(0.5)
            try:
                answer = self.session.call(lambda c: c.ussd.get())
            except ResponseErrorException:
                continue  # not answered yet
            except BadAnswer as exc:
                self.emit(UssdResult(None, code, f"The stick's answer could not be read ({exc})."))
                return
            text = parse.as_text(answer.get("content")) if isinstance(answer, Mapping) else None
            if text is not None:
                self.emit(UssdResult(text, code))
                return
        self.emit(UssdResult(None, code, "The network did not answer the balance code."))

    def _pin(self, pin: str) -> None:
        try:
            self.session.call(lambda c: c.pin.operate("0", pin))
        except ResponseErrorException as exc:
            self._pin_problem = (
                f"The stick did not take the PIN ({errors.explain(exc.code).reason}) "
                "Check it before trying again: a SIM locks after three wrong PINs."
            )
        except BadAnswer as exc:
            self._note_bad(f"pin: {exc}")
        self._poll_status()


__all__ = ["HiLinkLink", "LinkLost", "ModemState"]
