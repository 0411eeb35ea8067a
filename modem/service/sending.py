"""Sending one SendJob, part by part, on the modem thread (see ModemService).

For each part from ``start_part``: PartSubmitting, AT+CMGS + "> " + PDU + Ctrl-Z, +CMGS: <mr>,
PartSent. A +CMS ERROR stops the job with SendFailed (plain words, retryable per modem.at.errors);
one that means "no network service" is the truth about registration and holds the queue
(``health.no_service``), whatever AT+CREG? said or did not say;
silence or a vanished modem after the PDU was written is ``uncertain`` and never retried. A
stop() while waiting (at.Interrupted) ends the job with SendFailed: ``uncertain`` if the PDU was
written, else retryable with the reason CLOSING.
"""

from __future__ import annotations

import random
from collections import deque

from modem.at.channel import AtTimeout, CommandError, Interrupted, ModemRestarted, PortGone
from modem.at.errors import describe_cms, is_retryable_cme, is_retryable_cms
from modem.codec import pdu
from modem.events import PartSent, PartSubmitting, SendFailed, SendJob
from modem.service import health
from modem.service.host import ServiceHost
from modem.service.sms_ops import parse_cmgs

_UNCERTAIN = (
    "The modem {what} after the message was handed to it: it may or may not have gone out. "
    "Check with the customer before sending it again."
)


CLOSING = "TextDesk was closing; not sent"
_CLOSING_UNCERTAIN = (
    "TextDesk was closing while the modem was sending this message: it may or may not have gone "
    "out. Check with the customer before sending it again."
)


def part_count(job: SendJob) -> int:
    """How many parts ``job`` has (1 when it cannot be encoded at all)."""
    try:
        return len(pdu.encode_submit(job.number, job.text, concat_ref=job.concat_ref or 0))
    except (pdu.PduError, ValueError):
        return 1


class _ConcatRefs:
    """Concatenation references for long messages: a rotating 8-bit counter, random start."""

    def __init__(self) -> None:
        self._next = random.randrange(256)

    def take(self) -> int:
        ref = self._next
        self._next = (self._next + 1) % 256
        return ref


_refs = _ConcatRefs()


def fail(
    svc: ServiceHost,
    job: SendJob,
    part: int,
    parts: int,
    ref: int | None,
    reason: str,
    *,
    retryable: bool,
    uncertain: bool = False,
    code: int | None = None,
) -> None:
    """Emit SendFailed for part ``part`` of ``job`` (that part and the rest were not sent, or
    with ``uncertain`` may have been)."""
    svc.emit(SendFailed(job.job_id, part, parts, ref, code, reason, retryable, uncertain))


def fail_closing(svc: ServiceHost, jobs: deque[SendJob]) -> None:
    """Stopping: every job in ``jobs`` gets SendFailed (retryable, certainly not sent)."""
    while jobs:
        job = jobs.popleft()
        part = max(1, job.start_part)
        fail(svc, job, part, max(part, part_count(job)), job.concat_ref, CLOSING, retryable=True)


def send_job(svc: ServiceHost, job: SendJob) -> None:
    """Send ``job``; emits the events. Re-raises PortGone / ModemRestarted / Hung after emitting
    SendFailed so the service reconnects."""
    ref = job.concat_ref if job.concat_ref is not None else _refs.take()
    try:
        parts = pdu.encode_submit(
            job.number, job.text, concat_ref=ref, request_status_report=job.request_report
        )
    except (pdu.PduError, ValueError) as exc:
        first = max(1, job.start_part)
        fail(svc, job, first, first, job.concat_ref, f"The message cannot be sent: {exc}",
             retryable=False)  # fmt: skip
        return
    total = len(parts)
    ref_out = ref if total > 1 else None
    if not 1 <= job.start_part <= total:
        reason = f"There is no part {job.start_part}: the message has {total} part(s)."
        fail(svc, job, job.start_part, total, ref_out, reason, retryable=False)
        return
    ch = svc.channel
    for part in parts[job.start_part - 1 :]:
        n = part.sequence
        svc.emit(PartSubmitting(job.job_id, n, total, ref_out))
        try:
            resp = ch.send_pdu(
                part.tpdu_length,
                part.hex,
                prompt_timeout=svc.command_timeout,
                reply_timeout=svc.send_timeout,
            )
        except CommandError as exc:
            if exc.kind == "cms":
                reason, retry = describe_cms(exc.code), is_retryable_cms(exc.code)
            elif exc.kind == "cme":
                reason, retry = exc.reason, is_retryable_cme(exc.code)
            else:
                reason, retry = "The modem refused the message without saying why.", True
            code = exc.code if exc.kind == "cms" else None
            fail(svc, job, n, total, ref_out, reason, retryable=retry, code=code)
            no_service = health.NO_SERVICE_CMS if exc.kind == "cms" else health.NO_SERVICE_CME
            if exc.code in no_service:
                health.no_service(svc, reason)
            return
        except AtTimeout as exc:
            if exc.after_pdu:
                reason = _UNCERTAIN.format(what="went silent")
            else:
                reason = "The modem did not ask for the message (no prompt); it was not sent."
            after = exc.after_pdu
            fail(svc, job, n, total, ref_out, reason, retryable=not after, uncertain=after)
            svc.check_alive()  # raises Hung when the modem is silent: reconnect
            return
        except Interrupted as exc:  # stop() while waiting for the prompt or the reply
            reason = _CLOSING_UNCERTAIN if exc.written else CLOSING
            w = exc.written
            fail(svc, job, n, total, ref_out, reason, retryable=not w, uncertain=w)
            raise
        except (PortGone, ModemRestarted) as exc:
            written = exc.written
            what = "was disconnected" if isinstance(exc, PortGone) else "restarted"
            reason = (
                _UNCERTAIN.format(what=what)
                if written
                else f"The modem {what} before the message was handed to it; it was not sent."
            )
            fail(svc, job, n, total, ref_out, reason, retryable=not written, uncertain=written)
            raise
        mr = parse_cmgs(resp.lines)
        svc.emit(PartSent(job.job_id, n, total, mr if mr is not None else -1, ref_out))
