"""The webhook listener the SMS Gateway app posts to: a small http.server on its own thread,
bound only to the address it is given (the shop's LAN address the user picked; never all
interfaces unless that is asked for explicitly).

Each request must carry the app's signature: ``X-Timestamp`` (Unix seconds) and ``X-Signature``,
the hex HMAC-SHA256 of the raw body followed by that timestamp, keyed with the signing key set in
the app (its Webhooks settings). Refused: no or wrong signature (401), a timestamp more than
``max_skew`` seconds off or a signature already accepted (a replay, 409), no Content-Length (411)
or a body over ``body_limit`` (413), anything but ``POST <path>`` (404).

A verified webhook goes to ``handler(data, body)``, which returns a ``Hold`` when the answer must
wait for the core (an SMS received, a delivery report) or None. The listener waits for it up to
``ack_timeout`` and answers 200 only when it was set as stored (``Hold.stored()``), else 503 (at
once when the core gave it back: ``Hold.give_back()``), so the phone retries what TextDesk did
not store. ``tls`` (an ssl.SSLContext) serves
HTTPS, which the app's secure build needs for anything but 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

BODY_LIMIT = 64 * 1024  # one SMS webhook is well under 2 KB
Handler = Callable[[dict[str, Any], bytes], "Hold | None"]
Refusal = Callable[[str], None]


class Hold:
    """The answer a webhook waits for: ``stored()`` (200) or ``give_back()`` (503 now)."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self.kept = False

    def stored(self) -> None:
        self.kept = True
        self._done.set()

    def give_back(self) -> None:
        self._done.set()

    def wait(self, timeout: float) -> bool:
        """True when the core stored it within ``timeout`` seconds."""
        return self._done.wait(timeout) and self.kept


def sign(key: str, body: bytes, timestamp: str) -> str:
    """The app's signature of one webhook (what ``X-Signature`` must be)."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


class _Seen:
    """Signatures accepted recently (bounded; older than the skew window cannot replay)."""

    def __init__(self, window: float, limit: int = 4096) -> None:
        self.window = window
        self.limit = limit
        self._items: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def add(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._items[key] = now
            while self._items and (
                len(self._items) > self.limit
                or next(iter(self._items.values())) < now - self.window
            ):
                self._items.popitem(last=False)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    listener: WebhookListener


class _Request(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        log.debug("webhook %s", format % args)

    def _reply(self, code: int, text: str) -> None:
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply(404, "not here")

    def do_POST(self) -> None:
        listener = self.server.listener
        if self.path.split("?")[0] != listener.path:
            self._reply(404, "not here")
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._refuse(411, "a webhook without Content-Length")
            return
        length = int(length_text)
        if length > listener.body_limit:
            self.close_connection = True
            self._refuse(413, f"a webhook of {length} bytes (over {listener.body_limit})")
            return
        body = self.rfile.read(length)
        verdict = listener.verify(
            body, self.headers.get("X-Timestamp"), self.headers.get("X-Signature")
        )
        if verdict is not None:
            code, why = verdict
            self._refuse(code, why)
            return
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            data = {"event": None, "error": f"unreadable JSON ({exc})"}
        try:
            wait = listener.handler(data, body)
        except Exception:
            log.exception("webhook handler failed")
            self._reply(500, "TextDesk could not take it")
            return
        if wait is not None and not wait.wait(listener.ack_timeout):
            self._reply(503, "not stored; send it again")
            return
        listener.accepted(self.headers.get("X-Signature") or "")
        self._reply(200, "ok")

    def _refuse(self, code: int, why: str) -> None:
        self.server.listener.refused(why)
        self._reply(code, "refused")


class WebhookListener:
    def __init__(
        self,
        host: str,
        port: int,
        signing_key: str,
        handler: Handler,
        *,
        path: str = "/webhook",
        body_limit: int = BODY_LIMIT,
        max_skew: float = 300.0,
        ack_timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
        on_refused: Refusal | None = None,
    ) -> None:
        if not signing_key:
            raise ValueError("the webhook listener needs the signing key set in the gateway app")
        self.host = host
        self.port = port
        self.signing_key = signing_key
        self.handler = handler
        self.path = path
        self.body_limit = body_limit
        self.max_skew = max_skew
        self.ack_timeout = ack_timeout
        self.tls = tls
        self.on_refused = on_refused
        self.refusals = 0
        self._seen = _Seen(2 * max_skew)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}{self.path}"

    def start(self) -> str:
        """Listen (OSError when the address is not this computer's or the port is taken)."""
        server = _Server((self.host, self.port), _Request)
        server.listener = self
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.1,), name="textdesk-webhooks", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def verify(
        self, body: bytes, timestamp: str | None, signature: str | None
    ) -> tuple[int, str] | None:
        """None when the webhook is the app's and new, else (HTTP code, why)."""
        if not timestamp or not signature:
            return 401, "an unsigned webhook"
        try:
            when = int(timestamp)
        except ValueError:
            return 401, "a webhook with a malformed timestamp"
        if not hmac.compare_digest(sign(self.signing_key, body, timestamp), signature.lower()):
            return 401, "a webhook with a wrong signature (is the signing key the app's?)"
        if abs(time.time() - when) > self.max_skew:
            return 409, "a webhook signed too long ago (replayed, or the phone's clock is off)"
        if signature.lower() in self._seen:
            return 409, "a webhook already taken (replayed)"
        return None

    def accepted(self, signature: str) -> None:
        self._seen.add(signature.lower())

    def refused(self, why: str) -> None:
        self.refusals += 1
        log.warning("refused %s", why)
        if self.on_refused is not None:
            self.on_refused(why)
