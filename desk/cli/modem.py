"""Modem subcommands for ``textdesk``: ``modem-password``, ``modem-log``, ``discover``.

``modem-password`` stores the HiLink stick's admin password (the default), the Android gateway
app's password (``--android``) or webhook signing key (``--signing-key``), or the SIM PIN
(``--pin``) in this computer's password store (desk.base.secrets), never in the settings. It
asks without echo when typed at a terminal, else reads one line from stdin (for scripts), and
prints one plain line; ``--forget`` removes it. Storing the PIN also clears a PIN left in the
older ``modem_pin`` setting (so the engine does not move the old one over the new). A running
TextDesk on the profile sees the change (desk.engine.links.note_secrets_changed) and connects
to the modem again with the new secret.

``modem-log`` says where the AT modem's trace is (``--save FILE`` copies it, oldest part first,
readable by its owner only: it holds customers' numbers). ``discover`` prints what
desk.engine.discovery found, one line each.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from desk.base import secrets
from desk.base.lock import holder
from desk.cli.output import CliError, out
from desk.cli.profiles import open_profile, profile_of
from desk.engine import links
from desk.engine.discovery import discover
from desk.store import audit
from desk.store.db import db
from desk.store.settings import Settings

ROTATIONS = 9  # more than the trace keeps; the missing ones are skipped
MAX_SECRET = 256
WHAT = {
    secrets.HILINK_PASSWORD: "HiLink stick's admin password",
    secrets.ANDROID_PASSWORD: "Android gateway app's password",
    secrets.ANDROID_SIGNING_KEY: "Android gateway app's webhook signing key",
    secrets.SIM_PIN: "SIM PIN",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "modem-password",
        help="keep the HiLink stick's password (or --android, --signing-key, --pin) in this "
        "computer's password store",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--pin", dest="secret", action="store_const", const=secrets.SIM_PIN,
                       help="the SIM PIN")  # fmt: skip
    which.add_argument("--android", dest="secret", action="store_const",
                       const=secrets.ANDROID_PASSWORD, help="the Android gateway app's password")  # fmt: skip
    which.add_argument("--signing-key", dest="secret", action="store_const",
                       const=secrets.ANDROID_SIGNING_KEY,
                       help="the Android gateway app's webhook signing key")  # fmt: skip
    p.add_argument("--forget", action="store_true", help="remove it from the password store")
    p.set_defaults(func=cmd_modem_password, secret=secrets.HILINK_PASSWORD)

    p = subparsers.add_parser("modem-log", help="where the modem's log for support is")
    p.add_argument("--save", metavar="FILE", help="copy the modem log to FILE")
    p.set_defaults(func=cmd_modem_log)

    p = subparsers.add_parser(
        "discover", help="look for modems: AT ports, HiLink sticks, an Android phone"
    )
    p.add_argument("--url", action="append", default=[], metavar="URL",
                   help="also ask this address (a phone's gateway app, a stick elsewhere)")  # fmt: skip
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to look (2)")
    p.set_defaults(func=cmd_discover)


# --- modem-password -------------------------------------------------------------------------


def _read_secret(what: str) -> str:
    if sys.stdin.isatty():
        try:
            return getpass.getpass(f"The {what} (not shown as you type): ")
        except EOFError:
            return ""
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _check(name: str, value: str) -> str:
    what = WHAT[name]
    if name == secrets.SIM_PIN:
        value = value.strip()
        if not (value.isdigit() and value.isascii() and 4 <= len(value) <= 8):
            raise CliError("A SIM PIN is 4 to 8 digits; nothing was stored.")
    if not value:
        raise CliError(f"No {what} given; nothing was stored.")
    if len(value) > MAX_SECRET or any(ch in value for ch in "\r\n\0"):
        raise CliError(f"That does not look like a {what} (too long, or control characters).")
    return value


def cmd_modem_password(args: argparse.Namespace) -> int:
    name: str = args.secret
    what = WHAT[name]
    try:
        if args.forget:
            secrets.forget(name)
            _changed(args, name, f"the {what} was removed from the password store")
            out(f"The {what} is no longer kept on this computer.")
            return 0
        value = _check(name, _read_secret(what))
        secrets.put(name, value)
    except secrets.SecretsUnavailable as exc:
        raise CliError(str(exc)) from None
    _changed(args, name, f"the {what} was stored in the password store")
    running = holder(profile_of(args).lock_path)
    when = (
        f"; the running TextDesk ({running.describe()}) connects to the modem again with it"
        if running is not None
        else ""
    )
    out(f"Stored the {what} in this computer's password store{when}.")
    return 0


def _changed(args: argparse.Namespace, name: str, detail: str) -> None:
    """Recorded in the audit log (never the value), and a PIN left in the older modem_pin
    setting cleared (it would be moved over the new one). Both the write and the touched
    stamp (links.note_secrets_changed) make a running engine connect again with the secret."""
    profile = profile_of(args)
    links.note_secrets_changed(profile)
    if not profile.db_path.exists():
        return  # nothing runs on this profile yet: the first start reads the keyring
    open_profile(args, create=False)
    settings = Settings()
    with db.atomic("IMMEDIATE"):
        if name == secrets.SIM_PIN and settings.get("modem_pin"):
            settings.set("modem_pin", "")
        audit.record("settings", detail + " (textdesk modem-password)")


# --- modem-log ------------------------------------------------------------------------------


def trace_files(current: Path) -> list[Path]:
    """The trace's files that exist, oldest first (``.9`` … ``.1``, then the current one)."""
    older = [current.with_name(f"{current.name}.{n}") for n in range(ROTATIONS, 0, -1)]
    return [p for p in [*older, current] if p.is_file()]


def cmd_modem_log(args: argparse.Namespace) -> int:
    profile = profile_of(args)
    current = links.trace_path(profile)
    files = trace_files(current)
    if args.save is None:
        if files:
            size = sum(p.stat().st_size for p in files)
            out(f"The modem log is {current} ({size} bytes in {len(files)} file(s)).")
        else:
            out(
                f"There is no modem log yet; it is written to {current} while TextDesk drives "
                "an AT modem (HiLink sticks and phones have none)."
            )
        return 0
    if not files:
        raise CliError(f"There is no modem log to save yet (it would be {current}).")
    target = Path(args.save).expanduser()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    written = 0
    with os.fdopen(fd, "wb") as sink:
        if hasattr(os, "fchmod"):
            os.fchmod(sink.fileno(), 0o600)
        for path in files:
            data = path.read_bytes()
            sink.write(data)
            written += len(data)
    out(f"Saved the modem log to {target} ({written} bytes).")
    return 0


# --- discover -------------------------------------------------------------------------------


def cmd_discover(args: argparse.Namespace) -> int:
    if not 0.1 <= args.timeout <= 60:
        raise CliError("--timeout is between 0.1 and 60 seconds.")
    for url in args.url:
        if not url.lower().startswith(("http://", "https://")):
            raise CliError(f"“{url}” is not an address like http://192.168.8.1.")
    running = holder(profile_of(args).lock_path)
    if running is not None:
        out(f"TextDesk is running ({running.describe()}) and owns its modem: serial ports are "
            "not probed.")  # fmt: skip
    found = discover(args.url, timeout=args.timeout, probe_ports=running is None)
    if not found:
        out("Nothing found: no modem answered on a serial port, and no HiLink stick or phone "
            "answered on the network.")  # fmt: skip
        return 1
    for item in found:
        line = item.label
        if item.explanation:
            line += f" — {item.explanation}"
        elif item.needs_password:
            flag = " --android" if item.kind == "android" else ""
            line += f" (password: textdesk modem-password{flag})"
        out(line)
    return 0
