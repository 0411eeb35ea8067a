"""Secrets (the HiLink stick's admin password, the Android gateway's password and webhook signing
key, the SIM PIN, the shop's database server's password) kept in the computer's own password store through ``keyring``, under the
service name "TextDesk": never in the settings table, never in a log line.

``get(name)`` is the stored secret or None when none is stored; ``put(name, value)`` stores one,
``forget(name)`` removes it. A password store that this computer does not have (no Secret
Service on a bare Linux, a locked keychain) raises ``SecretsUnavailable`` with a sentence for
the shop: the caller that needs the secret says it, nothing is silently taken as "no password".
"""

from __future__ import annotations

import keyring
import keyring.errors

SERVICE = "TextDesk"
HILINK_PASSWORD = "hilink-password"
ANDROID_PASSWORD = "android-password"
ANDROID_SIGNING_KEY = "android-signing-key"
SIM_PIN = "sim-pin"
DATABASE_PASSWORD = "database-password"  # the shop's PostgreSQL server (several counters)
NAMES = {
    HILINK_PASSWORD: "the HiLink stick's admin password",
    ANDROID_PASSWORD: "the Android gateway app's password",
    ANDROID_SIGNING_KEY: "the Android gateway app's webhook signing key",
    SIM_PIN: "the SIM PIN",
    DATABASE_PASSWORD: "the password of the shop's database server",
}


class SecretsUnavailable(RuntimeError):
    """This computer's password store cannot be used; the message says so in plain words."""


def _words(name: str, exc: BaseException) -> SecretsUnavailable:
    what = NAMES.get(name, name)
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return SecretsUnavailable(
        f"TextDesk cannot reach this computer's password store, so it cannot read or keep "
        f"{what} ({detail}). On Windows and macOS it is built in; on Linux install and unlock "
        f"a keyring (GNOME Keyring or KWallet), then try again."
    )


def _check(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown secret “{name}”; known: {', '.join(sorted(NAMES))}")


def get(name: str) -> str | None:
    """The stored secret ``name``, or None when none is stored. Raises SecretsUnavailable."""
    _check(name)
    try:
        value = keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError as exc:
        raise _words(name, exc) from None
    return value or None


def put(name: str, value: str) -> None:
    """Store ``value`` as secret ``name`` (an empty value forgets it). Raises SecretsUnavailable."""
    _check(name)
    if not value:
        forget(name)
        return
    try:
        keyring.set_password(SERVICE, name, value)
    except keyring.errors.KeyringError as exc:
        raise _words(name, exc) from None


def forget(name: str) -> None:
    """Remove secret ``name`` (nothing happens when none is stored). Raises SecretsUnavailable."""
    _check(name)
    try:
        keyring.delete_password(SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        return
    except keyring.errors.KeyringError as exc:
        raise _words(name, exc) from None
