"""AndroidLink: a phone running the "SMS Gateway for Android" app (local-server mode) as a
modem.link.ModemLink.

Client: the app's own Python client from PyPI (``android-sms-gateway``). It covers everything
TextDesk needs from the phone: send with a message id of our choosing and per-recipient states,
message state by id, webhook registration, health, and the inbox list (for texts whose webhook
was lost). It is given an httpx transport with timeouts (the library's default has none, and a
sleeping phone must not hang the link). What it lacks, verifying the webhooks' signatures, is in
modem.android.webhooks.

Sending: each job goes out with the id ``td-<job>-<nonce>``, so a webhook or a state query names
the job, and its reference (a CRC of the id) matches the delivery report even after a restart.
The phone queues texts: PartSent comes when it says Sent (webhook ``sms:sent`` or the state
query every ``poll_interval``), SendFailed with Android's reason in plain words when it says
Failed. A request cut after it went out is checked once by id: known to the phone, it is
followed; otherwise it is ``uncertain`` and never resent.

Receiving: webhooks ``sms:received`` / ``sms:delivered`` are answered 200 only after
``ack_incoming`` (the core stored them); on start-up and every ``inbox_interval`` the phone's
inbox is also asked for what came in (``inbox_lookback`` back at first), and anything not
handed over yet goes to the sink too (the core drops what it already has).
"""

from __future__ import annotations

import json
import logging
import secrets
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import android_sms_gateway as asg
import httpx
import tzlocal
from android_sms_gateway import errors as asg_errors
from android_sms_gateway.http import HttpxHttpClient

from modem.android import errors, parse, transport
from modem.android.transport import BadAnswer
from modem.android.webhooks import Hold, WebhookListener
from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemState,
    PartSent,
    PartSubmitting,
    SendFailed,
    SendJob,
)
from modem.link import EventSink, GiveBack, LinkLost, LinkRefused, LinkWorker

log = logging.getLogger(__name__)

EVENTS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed")
MAX_REMEMBERED = 5000


@dataclass
class _Out:
    job: SendJob
    reference: int
    since: float = field(default_factory=time.monotonic)
    next_check: float = field(default_factory=lambda: time.monotonic() + 2.0)


class AndroidLink(LinkWorker):
    thread_name = "textdesk-android"

    def __init__(
        self,
        url: str,
        sink: EventSink,
        *,
        username: str,
        password: str,
        signing_key: str,
        listen_host: str,
        listen_port: int = 0,
        public_url: str | None = None,
        zone: tzinfo | None = None,
        tls: ssl.SSLContext | None = None,
        timeout: float = 5.0,
        poll_interval: float = 2.0,
        health_interval: float = 30.0,
        inbox_interval: float = 180.0,
        inbox_lookback: float = 24 * 3600.0,
        send_timeout: float = 900.0,
        ack_timeout: float = 10.0,
        quiet_alert: float = 3 * 24 * 3600.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        super().__init__(
            sink,
            poll_interval=poll_interval,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
        )
        self.url = url.rstrip("/")
        self.zone: tzinfo = zone if zone is not None else tzlocal.get_localzone()
        self._username, self._password = username, password
        self.timeout = timeout
        self.health_interval = health_interval
        self.inbox_interval = inbox_interval
        self.inbox_lookback = inbox_lookback
        self.send_timeout = send_timeout
        self.quiet_alert = quiet_alert
        self.listener = WebhookListener(
            listen_host, listen_port, signing_key, self._webhook, ack_timeout=ack_timeout, tls=tls,
        )  # fmt: skip
        self._public_url = public_url
        self._http: httpx.Client | None = None
        self._api: Any = None
        self._out: dict[str, _Out] = {}
        self._lock = threading.Lock()  # guards the two maps below (listener threads use them)
        self._waits: dict[str, Hold] = {}
        self._handed: OrderedDict[str, str] = OrderedDict()  # message id -> token, not acked yet
        self._stored: OrderedDict[str, None] = OrderedDict()  # message ids the core stored
        self._token_ids: dict[str, str] = {}
        self._give_back = GiveBack()
        self._next_health = 0.0
        self._next_inbox = 0.0
        self._inbox_since: datetime | None = None
        self._last_incoming = time.monotonic()
        self._sent_since_incoming = 0
        self._limit_hit = False

    # --- life -----------------------------------------------------------------------------------

    def start(self) -> None:
        self.listener.start()  # OSError at once when the address is wrong: said by the engine
        super().start()

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        self.listener.stop()

    def ack_incoming(self, token: str) -> None:
        """Stored by the core: the webhook waiting for it is answered 200 (no device I/O)."""
        self._give_back.stored()
        with self._lock:
            wait = self._waits.pop(token, None)
            mid = self._token_ids.pop(token, None)
            if mid is not None:
                self._handed.pop(mid, None)
                self._stored[mid] = None
                while len(self._stored) > MAX_REMEMBERED:
                    self._stored.popitem(last=False)
        if wait is not None:
            wait.stored()

    def _release(self, token: str) -> None:
        """The core could not store it: a webhook waiting for the answer gets 503 now (the
        phone sends it again), and the text is forgotten so that the phone's inbox, read again
        over the whole look-back after a short wait (GiveBack) rather than at the next
        ``inbox_interval``, offers it too (should the phone give up its retries)."""
        with self._lock:
            wait = self._waits.pop(token, None)
            mid = self._token_ids.pop(token, None)
            if mid is not None and self._handed.get(mid) == token:
                del self._handed[mid]
        if wait is not None:
            wait.give_back()
        if mid is not None:
            self._inbox_since = None  # it may be older than the last read's window
            self._next_inbox = min(self._next_inbox, self._give_back.next_time())
        log.info("%s given back by the core: the phone offers it again", token)

    @property
    def webhook_url(self) -> str:
        return self._public_url or self.listener.url

    # --- connection -----------------------------------------------------------------------------

    def _open(self) -> None:
        self._http = transport.client(self.timeout)
        self._api = asg.APIClient(
            self._username, self._password, base_url=self.url, http=HttpxHttpClient(self._http)
        )
        try:
            self._call(self._register_webhooks)  # before READY: nothing arrives unregistered
        except asg_errors.APIError as exc:
            raise LinkLost(
                f"The phone did not take TextDesk's webhooks (it answered {exc.status_code})."
            ) from exc
        self.update_status(port=self.url, manufacturer="Android", model="SMS Gateway")
        self._check_health()
        self._next_inbox = 0.0

    def _close(self) -> None:
        http, self._http, self._api = self._http, None, None
        if http is not None:
            http.close()

    def _call(self, fn: Any) -> Any:
        """``fn()`` against the phone: LinkLost when it does not answer, LinkRefused for wrong
        credentials, BadAnswer for an answer that cannot be read; other API errors pass."""
        try:
            return fn()
        except asg_errors.UnauthorizedError as exc:
            raise LinkRefused(
                "The phone refused the user name or password: copy them from the gateway app's "
                "Local server screen into TextDesk's modem settings."
            ) from exc
        except httpx.TransportError as exc:
            raise LinkLost(errors.ASLEEP) from exc
        except asg_errors.APIError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadAnswer(f"{type(exc).__name__}: {exc}") from exc

    def _register_webhooks(self) -> None:
        for event in EVENTS:
            hook = asg.Webhook(
                id=f"textdesk-{event.replace(':', '-')}",
                url=self.webhook_url,
                event=asg.WebhookEvent(event),
            )
            self._api.create_webhook(hook)  # the same id replaces an older registration

    def _check_health(self) -> None:
        self._next_health = time.monotonic() + self.health_interval
        try:
            health = self._call(self._api.health_check)
        except asg_errors.APIError as exc:
            raise LinkLost(f"{errors.ASLEEP} (it answered {exc.status_code})") from exc
        except BadAnswer as exc:
            raise LinkLost(
                f"Something at {self.url} answered, but not like the gateway app ({exc})."
            ) from exc
        failing = [
            name
            for name, check in (health.checks or {}).items()
            if getattr(check.status, "value", "") == "fail"
        ]
        state = (
            ModemState.NO_NETWORK
            if any(n.startswith("connection") for n in failing)
            else ModemState.READY
        )
        words = f"The phone reports a problem: {', '.join(sorted(failing))}." if failing else None
        if self._limit_hit:
            words = errors.LIMIT
        elif (
            words is None
            and self._sent_since_incoming >= 5
            and time.monotonic() - self._last_incoming > self.quiet_alert
        ):
            words = errors.NOTHING_ARRIVES
        # the app's health says nothing reliable about signal or operator: those stay unknown
        self.update_status(state=state, last_error=words)

    # --- polling --------------------------------------------------------------------------------

    def _poll(self) -> None:
        now = time.monotonic()
        if now >= self._next_health:
            self._check_health()
        if now >= self._next_inbox:
            self._next_inbox = now + self.inbox_interval
            self._read_inbox()
        due = [mid for mid, out in self._out.items() if now >= out.next_check][:5]
        for mid in due:
            self._check_state(mid)

    def _read_inbox(self) -> None:
        until = datetime.now(UTC)
        since = self._inbox_since or until - timedelta(seconds=self.inbox_lookback)
        query = asg.InboxQueryFilter(
            message_type="SMS", from_=since - timedelta(minutes=5), to=until
        )
        try:
            items = self._call(lambda: self._api.list_inbox_messages(inbox_filter=query))
        except (asg_errors.APIError, BadAnswer) as exc:
            log.info("the phone's inbox could not be read: %s", exc)
            return
        self._inbox_since = until
        for item in items:
            mid = str(item.id)
            with self._lock:
                if mid in self._stored or mid in self._handed:
                    continue
                token = f"in-{mid}"
                self._handed[mid] = token
                self._token_ids[token] = mid
            raw, pdu = parse.inbox_entry(mid, item.sender, item.content_preview, item.created_at,
                                         self.zone)  # fmt: skip
            self._incoming()
            self.emit(IncomingSms(token, raw, pdu, None, "android"))

    def _incoming(self) -> None:
        self._last_incoming = time.monotonic()
        self._sent_since_incoming = 0

    # --- sending --------------------------------------------------------------------------------

    def _send(self, job: SendJob) -> None:
        mid = f"{parse.OUR_PREFIX}{job.job_id}-{secrets.token_hex(3)}"
        message = asg.Message(
            phone_numbers=[job.number], text_message=asg.TextMessage(text=job.text),
            with_delivery_report=job.request_report, id=mid,
        )  # fmt: skip
        self.emit(PartSubmitting(job.job_id, 1, 1, job.concat_ref))
        out = _Out(job, parse.reference(mid))
        try:
            state = self._api.send(message, skip_phone_validation=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            self._failed(job, "The phone did not answer; the text was not sent.", True)
            raise LinkLost(errors.ASLEEP) from exc
        except httpx.TransportError as exc:
            self._after_cut(mid, out)
            raise LinkLost(errors.ASLEEP) from exc
        except asg_errors.UnauthorizedError as exc:
            self._failed(job, "The phone refused TextDesk's login; the text was not sent.", True)
            raise LinkRefused("The phone refused the user name or password.") from exc
        except asg_errors.APIError as exc:
            code = exc.status_code
            retry = code is None or code >= 500 or code == 429
            self._failed(
                job, f"The phone refused the text ({code}): {str(exc)[:120]}", retry, code=code
            )
            return
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("the phone's answer to a send could not be read: %s", exc)
            self._after_cut(mid, out)
            return
        self._out[mid] = out
        self._apply_state(mid, state)

    def _after_cut(self, mid: str, out: _Out) -> None:
        """The request went out but no readable answer came: follow it only if the phone knows it."""
        try:
            state = self._api.get_state(mid) if self._api is not None else None
        except Exception:
            state = None
        if state is None:
            self._failed(
                out.job, "The connection to the phone was cut while sending.", False, uncertain=True
            )
            return
        self._out[mid] = out
        self._apply_state(mid, state)

    def _check_state(self, mid: str) -> None:
        out = self._out.get(mid)
        if out is None:
            return
        try:
            state = self._call(lambda: self._api.get_state(mid))
        except asg_errors.NotFoundError:
            state = None
        except (asg_errors.APIError, BadAnswer) as exc:
            log.info("state of %s not known: %s", mid, exc)
            state = None
        if state is not None:
            self._apply_state(mid, state)
        if mid in self._out:
            if time.monotonic() - out.since > self.send_timeout:
                del self._out[mid]
                self._failed(
                    out.job,
                    "The phone took the text but never said whether it went out.",
                    False,
                    uncertain=True,
                )
            else:
                out.next_check = time.monotonic() + max(5.0, self.poll_interval)

    def _apply_state(self, mid: str, state: Any) -> None:
        recipients = getattr(state, "recipients", None) or []
        name = getattr(getattr(recipients[0], "state", None), "value", None) if recipients else None
        name = name or getattr(getattr(state, "state", None), "value", None)
        error = getattr(recipients[0], "error", None) if recipients else None
        if name in ("Sent", "Delivered"):
            self._mark_sent(mid)
            if name == "Delivered":
                self._report(mid, None, True, None, None)
        elif name == "Failed":
            self._mark_failed(mid, error if isinstance(error, str) else None)

    def _mark_sent(self, mid: str) -> None:
        out = self._out.pop(mid, None)
        if out is not None:
            self._limit_hit = False
            self._sent_since_incoming += 1
            self.emit(PartSent(out.job.job_id, 1, 1, out.reference, out.job.concat_ref))

    def _mark_failed(self, mid: str, reason: str | None) -> bool:
        out = self._out.pop(mid, None)
        if out is None:
            return False
        words = errors.explain(reason)
        if words.tell_staff:
            self._limit_hit = words.reason == errors.LIMIT
            self.update_status(last_error=words.reason)
        self._failed(out.job, words.reason, words.retryable)
        return True

    def _failed(
        self,
        job: SendJob,
        reason: str,
        retryable: bool,
        *,
        code: int | None = None,
        uncertain: bool = False,
    ) -> None:
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

    def _report(
        self, mid: str, token: str | None, delivered: bool, at: datetime | None, raw: str | None
    ) -> None:
        self.emit(
            DeliveryReport(
                token, parse.reference(mid), None, 0x00 if delivered else 0x40, delivered, True, at,
                raw or json.dumps({"state": mid}),
            )
        )  # fmt: skip

    # --- webhooks (listener threads) ------------------------------------------------------------

    def _webhook(self, data: dict[str, Any], body: bytes) -> Hold | None:
        event = data.get("event")
        payload = data.get("payload")
        raw = body.decode("utf-8", "replace")
        if event == "sms:received" or (event is None and "error" in data):
            return self._received(payload, raw, data.get("error"))
        mid = parse.field(payload, "messageId")
        if mid is None or not mid.startswith(parse.OUR_PREFIX):
            return None  # not about a text TextDesk sent
        if event == "sms:sent":
            self.call_soon(lambda: self._mark_sent(mid))
            return None
        if event not in ("sms:delivered", "sms:failed"):
            return None
        token = f"wh-{secrets.token_hex(8)}"
        wait = Hold()
        with self._lock:
            self._waits[token] = wait
        stamp = parse.when(
            parse.field(payload, "deliveredAt") or parse.field(payload, "failedAt"), self.zone
        )
        if event == "sms:delivered":

            def delivered() -> None:
                self._mark_sent(mid)  # a lost sms:sent: delivered says it went out
                self._report(mid, token, True, stamp, raw)

            self.call_soon(delivered)
        else:
            reason = parse.field(payload, "reason")

            def failed() -> None:
                if not self._mark_failed(mid, reason):  # already sent: it was not delivered
                    self._report(mid, token, False, stamp, raw)
                else:
                    self.ack_incoming(token)

            self.call_soon(failed)
        return wait

    def _received(self, payload: object, raw: str, problem: object) -> Hold | None:
        mid, pdu, error = parse.received(payload, self.zone)
        if problem:
            error = str(problem)
        token = f"wh-{secrets.token_hex(8)}"
        wait = Hold()
        with self._lock:
            if mid is not None and mid in self._stored:
                return None  # a duplicate of one the core has: 200 at once
            self._waits[token] = wait
            if mid is not None:
                self._handed[mid] = token
                self._token_ids[token] = mid
        self._incoming()
        self.emit(IncomingSms(token, raw, pdu, error, "android"))
        return wait
