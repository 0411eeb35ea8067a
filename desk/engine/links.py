"""Which modem link the engine drives: an AT modem (modem.service.ModemService), a Huawei HiLink
stick (modem.hilink.link.HiLinkLink) or an Android phone running SMS Gateway for Android
(modem.android.link.AndroidLink), all modem.link.ModemLink.

``choose(settings, kind=, address=)`` reads the ``modem_kind`` setting (or the kind given on the
command line) and the address that goes with it (``modem_port`` / ``hilink_url`` /
``android_url``, or ``--port``) into a ``LinkChoice``; its ``key()`` changes whenever a setting
the link was built from changes, so the core restarts the link then. ``make_link(choice, sink)``
builds the unstarted link, with its passwords read from the OS keyring (desk.base.secrets) at
that moment: never from the settings table, never logged. A password that is needed and
missing, or a keyring this computer does not have, is a ``LinkNotReady`` with the sentence to
show (the core shows it and tries again later), not a link that quietly logs in without one.

The SIM PIN: kept in the keyring (``textdesk modem-password --pin``), read from there first. A
PIN still held in the older ``modem_pin`` setting is moved into the keyring by ``PinMover`` (on
the core thread, before the link is built) and the setting cleared; where this computer has no
keyring it stays in the setting and is used from there, with one warning in the log. The PIN
itself is never logged.

``trace_path(profile)``: where the AT modem's trace (masked: no PIN, no message text) is written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from desk.base import secrets
from desk.base.paths import Profile
from desk.store import audit
from desk.store.db import db
from desk.store.settings import Settings, SettingsReader
from modem.at.trace import DEFAULT_NAME as TRACE_NAME
from modem.events import ModemEvent
from modem.link import ModemLink
from modem.service.modem_service import ModemService

log = logging.getLogger(__name__)

KINDS = ("at", "hilink", "android")
HILINK_USERNAME = "admin"
SecretReader = Callable[[str], "str | None"]
SecretWriter = Callable[[str, str], None]
Sink = Callable[[ModemEvent], None]


class LinkNotReady(RuntimeError):
    """The link cannot be built yet (no address, no password, no keyring): a plain sentence."""


@dataclass(frozen=True)
class LinkChoice:
    """The link to build: ``kind`` and its ``address`` (the AT modem's port, None to find it;
    the stick's or the phone's URL), and for the phone the user name and the address and port
    of this computer that the phone's webhooks come to. ``secrets`` given here (the demo's
    virtual devices) are used instead of the keyring."""

    kind: str
    address: str | None
    android_username: str = ""
    listen_host: str = ""
    listen_port: int = 0
    decline_after: int = 0  # the AT modem hangs up a call after this many rings (0: never)
    secrets: Mapping[str, str] | None = field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        if self.kind == "at":
            return f"the AT modem on {self.address or 'the first port that answers'}"
        if self.kind == "hilink":
            return f"the HiLink stick at {self.address}"
        return f"the Android phone at {self.address} (webhooks to {self.listen_host}:{self.listen_port})"

    def key(self) -> tuple[str, ...]:
        """What the link was built from (no secrets): a change means restart it."""
        return (self.kind, self.address or "", self.android_username, self.listen_host,
                str(self.listen_port), str(self.decline_after))  # fmt: skip


def choose(
    settings: SettingsReader, *, kind: str | None = None, address: str | None = None
) -> LinkChoice:
    """The link the settings (or ``kind`` / ``address`` from the command line) ask for."""
    chosen = (kind or str(settings.get("modem_kind") or "at")).strip().lower()
    if chosen not in KINDS:
        raise LinkNotReady(f"“{chosen}” is not a kind of modem TextDesk knows: {', '.join(KINDS)}.")
    if chosen == "at":
        return LinkChoice(
            "at",
            address or str(settings.get("modem_port") or "") or None,
            decline_after=int(settings.get("decline_after_rings") or 0),
        )
    if chosen == "hilink":
        return LinkChoice("hilink", address or str(settings.get("hilink_url") or "") or None)
    return LinkChoice(
        "android",
        address or str(settings.get("android_url") or "") or None,
        android_username=str(settings.get("android_username") or ""),
        listen_host=str(settings.get("android_listen_host") or ""),
        listen_port=int(settings.get("android_listen_port")),
    )


def sim_pin(settings: SettingsReader, read: SecretReader = secrets.get) -> str | None:
    """The SIM PIN from the keyring; else the older ``modem_pin`` setting (one that PinMover
    could not move: no keyring here); else None. A keyring this computer lacks is logged, not
    fatal: most SIMs ask for no PIN, and one that does shows "PIN needed" in the status."""
    try:
        pin = read(secrets.SIM_PIN)
    except secrets.SecretsUnavailable as exc:
        log.warning("%s", exc)
        pin = None
    if pin:
        return pin
    return str(settings.get("modem_pin") or "") or None


def secrets_stamp(profile: Profile) -> Path:
    """A file touched whenever a password or the PIN changed in the keyring (by ``textdesk
    modem-password``, another process): a running engine sees its time change and starts its
    link again with the new secret, without reading the keyring every few seconds."""
    return profile.data_dir / "modem-secrets-changed"


def note_secrets_changed(profile: Profile) -> None:
    path = secrets_stamp(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{time.time_ns()}\n", encoding="utf-8")


class PinMover:
    """Moves a SIM PIN found in the older ``modem_pin`` setting into the keyring and clears the
    setting (core thread: it writes). ``watch(settings)`` is called before each link is built
    and every few seconds with the other link settings; it returns a part of the engine's link
    key (no secret in it) that changes when a PIN was moved, so the link restarts with it, as
    it did when the setting changed, and when ``stamp`` (secrets_stamp) was touched."""

    def __init__(self, put: SecretWriter = secrets.put, *, stamp: Path | None = None) -> None:
        self._put = put
        self._stamp = stamp
        self.moved = 0
        self._salt = os.urandom(16)  # digests of a PIN say nothing outside this process
        self._unmovable: str | None = None  # digest of a PIN the keyring refused

    def watch(self, settings: Settings) -> str | None:
        pin = self._pin_part(settings)
        changed = self._stamp_part()
        return " ".join(x for x in (pin, changed) if x) or None

    def _stamp_part(self) -> str | None:
        if self._stamp is None:
            return None
        try:
            return f"secrets {self._stamp.read_text(encoding='utf-8').strip()[:40]}"
        except OSError:  # never touched (or unreadable): nothing changed that TextDesk knows of
            return None

    def _pin_part(self, settings: Settings) -> str | None:
        legacy = str(settings.get("modem_pin") or "")
        if not legacy:
            return f"pin moved {self.moved}" if self.moved else None
        digest = hashlib.blake2b(legacy.encode(), key=self._salt, digest_size=8).hexdigest()
        if digest == self._unmovable:  # no keyring: the setting is the PIN, as before
            return f"pin in settings {digest}"
        try:
            self._put(secrets.SIM_PIN, legacy)
        except secrets.SecretsUnavailable as exc:
            self._unmovable = digest
            log.warning("the SIM PIN stays in the settings for now: %s", exc)
            return f"pin in settings {digest}"
        with db.atomic("IMMEDIATE"):
            settings.set("modem_pin", "")
            audit.record("settings", "the SIM PIN moved from the settings to the password store")
        self.moved += 1
        log.info("the SIM PIN moved from the settings to this computer's password store")
        return f"pin moved {self.moved}"


def make_link(
    choice: LinkChoice,
    sink: Sink,
    *,
    settings: SettingsReader,
    trace: Path | None = None,
    read: SecretReader = secrets.get,
) -> ModemLink:
    """The unstarted link for ``choice``; raises LinkNotReady in plain words."""
    if choice.secrets is not None:
        given = dict(choice.secrets)
        read = lambda name: given.get(name) or None  # noqa: E731

    if choice.kind == "at":
        return ModemService(
            choice.address, sink, pin=sim_pin(settings, read), trace=trace,
            direct_delivery=settings.get("modem_delivery") != "stored",
            decline_after_rings=choice.decline_after or None,
        )  # fmt: skip
    if not choice.address:
        setting = "hilink_url" if choice.kind == "hilink" else "android_url"
        raise LinkNotReady(
            f"TextDesk does not know the {_device(choice.kind)}'s address: "
            f"set it with `textdesk config {setting} http://…`."
        )
    if choice.kind == "hilink":
        # Imported here, not at start-up: huawei_lte_api (and requests) only for a HiLink stick.
        from modem.hilink.link import HiLinkLink

        password = _secret(read, secrets.HILINK_PASSWORD, needed=False)
        return HiLinkLink(
            choice.address, sink, password=password, username=HILINK_USERNAME, zone=None
        )
    if not choice.listen_host:
        raise LinkNotReady(
            "Choose the address of this computer on the shop's Wi-Fi that the phone sends "
            "received texts to: `textdesk config android_listen_host 192.168.1.20` (this "
            "computer's address, as the phone sees it)."
        )
    if not choice.android_username:
        raise LinkNotReady(
            "Set the user name shown in the phone's gateway app: "
            "`textdesk config android_username NAME`."
        )
    password = _secret(read, secrets.ANDROID_PASSWORD, needed=True)
    signing_key = _secret(read, secrets.ANDROID_SIGNING_KEY, needed=True)
    assert password is not None and signing_key is not None
    # Imported here, not at start-up: android_sms_gateway and httpx only for an Android phone.
    from modem.android.link import AndroidLink

    return AndroidLink(
        choice.address, sink, username=choice.android_username, password=password,
        signing_key=signing_key, listen_host=choice.listen_host, listen_port=choice.listen_port,
        public_url=None, tls=None,
    )  # fmt: skip


def trace_path(profile: Profile) -> Path:
    """Where the AT modem's trace (the modem log for support) is written: the log folder; it
    rotates to ``.1``, ``.2``, ... beside it."""
    return profile.log_dir / TRACE_NAME


def _device(kind: str) -> str:
    return "HiLink stick" if kind == "hilink" else "Android phone"


def _secret(read: SecretReader, name: str, *, needed: bool) -> str | None:
    """The secret ``name``: a keyring this computer lacks is always said (a HiLink stick may
    have no password, but TextDesk cannot tell that from a keyring it cannot read)."""
    try:
        value = read(name)
    except secrets.SecretsUnavailable as exc:
        raise LinkNotReady(str(exc)) from None
    if value is None and needed:
        flag = {secrets.ANDROID_PASSWORD: "--android", secrets.ANDROID_SIGNING_KEY: "--signing-key"}
        raise LinkNotReady(
            f"TextDesk has no {secrets.NAMES[name]} yet: store it with "
            f"`textdesk modem-password {flag.get(name, '')}`".rstrip()
            + " (it is kept in this computer's password store)."
        )
    return value
