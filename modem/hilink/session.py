"""One logged-in session with a HiLink stick, through huawei-lte-api.

``HiLinkSession.call(fn)`` runs ``fn(client)`` and turns what can go wrong into three answers:
the stick's own error code (``ResponseErrorException`` passes through, after one new login and
one repeat when the session or token expired: 125002/125003, or 100003 "log in again");
``Cut`` when the connection failed (``not_sent`` tells a refused connection, which certainly
delivered nothing, from one cut after the request went out, which may have); and ``BadAnswer``
when the stick answered something that cannot be read (malformed XML, a body over the size
limit). There is one session at a time: a new login closes (logs out) the old one first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TypeVar
from xml.parsers.expat import ExpatError

import requests
from huawei_lte_api.Client import Client
from huawei_lte_api.Connection import Connection
from huawei_lte_api.exceptions import (
    LoginErrorAlreadyLoginException,
    LoginErrorInvalidCredentialsException,
    LoginErrorUsernamePasswordOverrunException,
    ResponseErrorException,
)
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError

from modem.hilink import errors
from modem.link import LinkLost, LinkRefused

log = logging.getLogger(__name__)
T = TypeVar("T")
BODY_LIMIT = 1_000_000  # no honest answer of a stick is anywhere near this


class BadAnswer(Exception):
    """The stick answered, but not something TextDesk can read."""


class Cut(LinkLost):
    """The connection failed during a request. ``not_sent``: it was refused before anything went
    out (so a send certainly did not reach the stick)."""

    def __init__(self, reason: str, *, not_sent: bool) -> None:
        super().__init__(reason)
        self.not_sent = not_sent


class TooBig(requests.exceptions.RequestException):
    pass


class BoundedAdapter(HTTPAdapter):
    """Reads at most ``limit`` bytes of any answer (a stick gone wrong can stream without end)."""

    def __init__(self, limit: int) -> None:
        super().__init__(max_retries=0)
        self.limit = limit

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        response = super().send(
            request, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )
        if stream:
            return response
        body = response.raw.read(self.limit + 1, decode_content=True)
        if len(body) > self.limit:
            response.close()
            raise TooBig(f"the stick's answer is over {self.limit} bytes")
        response._content = body  # what Response.content would have read, bounded
        response._content_consumed = True  # type: ignore[attr-defined]
        response.close()
        return response


def refused_before_sending(exc: BaseException) -> bool:
    """True when the connection was never made (refused, no route, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        inner = exc.args[0] if exc.args else None
        if isinstance(inner, MaxRetryError):
            inner = inner.reason
        return isinstance(inner, NewConnectionError)
    return False


class HiLinkSession:
    def __init__(
        self,
        url: str,
        *,
        username: str = "admin",
        password: str | None = None,
        timeout: float = 5.0,
        body_limit: int = BODY_LIMIT,
    ) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.timeout = timeout
        self.body_limit = body_limit
        self._http: requests.Session | None = None
        self._connection: Connection | None = None
        self._client: Client | None = None
        self.logins = 0

    @property
    def client(self) -> Client:
        if self._client is None:
            raise LinkLost("Not connected to the stick.")
        return self._client

    def open(self) -> None:
        """Log in (closing any session of ours first). LinkRefused for a wrong password."""
        self.close()
        http = requests.Session()
        adapter = BoundedAdapter(self.body_limit)
        http.mount("http://", adapter)
        http.mount("https://", adapter)
        self._http = http
        try:
            connection = Connection(
                self.url,
                username=self.username if self.password else None,
                password=self.password or None,
                timeout=self.timeout,
                requests_session=http,
            )
        except LoginErrorInvalidCredentialsException as exc:
            raise LinkRefused(
                "The stick refused its admin password: enter the password printed on the "
                "stick (or the one you set on its web page) in TextDesk's modem settings."
            ) from exc
        except LoginErrorAlreadyLoginException as exc:
            raise LinkLost(errors.explain(errors.ALREADY_LOGGED_IN).reason) from exc
        except LoginErrorUsernamePasswordOverrunException as exc:
            raise LinkLost(errors.explain(errors.TOO_MANY_TRIES).reason) from exc
        except ResponseErrorException as exc:
            raise LinkLost(
                f"The stick refused the login: {errors.explain(exc.code).reason}"
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise LinkLost(f"The stick at {self.url} does not answer (unplugged?).") from exc
        except (ExpatError, ValueError, KeyError, TypeError) as exc:
            raise LinkLost(
                f"Something at {self.url} answered, but not like a HiLink stick ({exc})."
            ) from exc
        self._connection = connection
        self._client = Client(connection)
        self.logins += 1

    def close(self) -> None:
        connection, self._connection, self._client = self._connection, None, None
        http, self._http = self._http, None
        if connection is not None:
            try:
                connection.close()  # logs out: the stick allows one session at a time
            except Exception:
                log.debug("logout failed", exc_info=True)
        if http is not None:
            http.close()

    def call(self, fn: Callable[[Client], T]) -> T:
        """``fn(client)``; a session that expired is logged in again and ``fn`` repeated once."""
        try:
            return self._once(fn)
        except ResponseErrorException as exc:
            if exc.code not in errors.SESSION_CODES:
                raise
            log.info("the stick's session expired (%s): logging in again", exc.code)
        self.open()
        return self._once(fn)

    def _once(self, fn: Callable[[Client], T]) -> T:
        client = self.client
        try:
            return fn(client)
        except ResponseErrorException:
            raise
        except TooBig as exc:
            raise BadAnswer(str(exc)) from exc
        except requests.exceptions.RequestException as exc:
            raise Cut(
                "The stick stopped answering (unplugged, or restarting?).",
                not_sent=refused_before_sending(exc),
            ) from exc
        except (ExpatError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadAnswer(f"{type(exc).__name__}: {exc}") from exc


def probe(url: str, timeout: float = 2.0) -> str | None:
    """The model name of a HiLink stick answering at ``url`` (no login: the basic information
    page is open on these sticks), or None when nothing like one answers there. For discovery:
    the gateway of a new network interface (192.168.8.1, sometimes 192.168.1.1)."""
    http = requests.Session()
    http.mount("http://", BoundedAdapter(64 * 1024))
    try:
        connection = Connection(url, timeout=timeout, requests_session=http)
        try:
            info = Client(connection).device.basic_information()
        finally:
            connection.close()
    except (
        requests.exceptions.RequestException,
        ResponseErrorException,
        ExpatError,
        ValueError,
        KeyError,
        TypeError,
    ):
        return None
    finally:
        http.close()
    if not isinstance(info, Mapping):
        return None
    name = info.get("DeviceName") or info.get("devicename")
    return str(name) if name else "Huawei HiLink stick"
