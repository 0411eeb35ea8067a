"""The HTTP client the Android link hands to the android-sms-gateway library: httpx with a
timeout on every request (a sleeping phone must not hang the link) and a size limit on answers
(one the phone announces over ``BODY_LIMIT`` is refused unread, as an unreadable answer)."""

from __future__ import annotations

import httpx

BODY_LIMIT = 1_000_000  # no honest answer of the app is anywhere near this


class BadAnswer(Exception):
    """The phone answered, but not something TextDesk can read."""


class TooBig(ValueError):
    """The phone announced an answer over the size limit (read as an unreadable answer)."""


def _bounded(response: httpx.Response) -> None:
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) > BODY_LIMIT:
        response.close()
        raise TooBig(f"the phone's answer is {length} bytes (over {BODY_LIMIT})")


def client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, event_hooks={"response": [_bounded]})
