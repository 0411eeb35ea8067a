"""SMS storage and sending over an AtChannel: select storage, list, read, delete, send a part.

These run on the modem thread (the channel checks it) and raise the channel's errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modem.at.channel import AtChannel, CommandError

_CMGL = re.compile(r"^\+CMGL:\s*(\d+)\s*,\s*(\d+)")
_CMGR = re.compile(r"^\+CMGR:\s*(\d+)")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")


@dataclass(frozen=True)
class StoredPdu:
    storage: str
    index: int
    stat: int  # 0 received unread, 1 received read, 2 stored unsent, 3 stored sent
    raw: str  # hex PDU with the SMSC prefix, as the modem gave it


def parse_cmgl(lines: list[str], storage: str) -> list[StoredPdu]:
    """Pair each ``+CMGL: <index>,<stat>,[<alpha>],<length>`` with the PDU line after it.

    A header without a PDU line (or with garbage instead) still yields an entry, with the raw
    text it got, so the consumer sees it and can keep it; nothing is silently dropped.
    """
    out: list[StoredPdu] = []
    header: re.Match[str] | None = None
    for line in lines:
        m = _CMGL.match(line)
        if m:
            if header is not None:
                out.append(StoredPdu(storage, int(header.group(1)), int(header.group(2)), ""))
            header = m
            continue
        if header is not None:
            out.append(StoredPdu(storage, int(header.group(1)), int(header.group(2)), line.strip()))
            header = None
    if header is not None:
        out.append(StoredPdu(storage, int(header.group(1)), int(header.group(2)), ""))
    return out


def select_storage(ch: AtChannel, storage: str, timeout: float) -> tuple[int, int] | None:
    """Make ``storage`` the one read, written and received into. Returns (used, total)."""
    resp = ch.command(f'AT+CPMS="{storage}","{storage}","{storage}"', timeout)
    return parse_cpms_counts(resp.first("+CPMS") or "")


def select_read_storage(ch: AtChannel, storage: str, timeout: float) -> None:
    """Make ``storage`` the one listed/read/deleted (mem1) only."""
    ch.command(f'AT+CPMS="{storage}"', timeout)


def parse_cpms_counts(value: str) -> tuple[int, int] | None:
    """(used, total) of the first storage in a +CPMS answer (set or query form)."""
    nums = [int(x) for x in re.findall(r"\d+", re.sub(r'"[^"]*"', "", value))]
    return (nums[0], nums[1]) if len(nums) >= 2 else None


def parse_cpms_query(value: str, storage: str) -> tuple[int, int] | None:
    """(used, total) of ``storage`` in an ``AT+CPMS?`` answer: "SM",1,30,"SR",0,20,"SM",1,30."""
    for m in re.finditer(r'"([A-Z]{2})"\s*,\s*(\d+)\s*,\s*(\d+)', value):
        if m.group(1) == storage:
            return int(m.group(2)), int(m.group(3))
    return None


def parse_cpms_test(value: str) -> list[str]:
    """The storages ``AT+CPMS=?`` offers for reading (its first list):
    ``("SM","ME","SR"),("SM","ME"),("SM","ME")`` -> ["SM", "ME", "SR"]."""
    value = value.strip()
    if value.startswith("("):
        value = value[1 : value.find(")")] if ")" in value else value[1:]
    out: list[str] = []
    for name in re.findall(r'"([A-Za-z]{2})"', value):
        if name.upper() not in out:
            out.append(name.upper())
    return out


def readable_storages(ch: AtChannel, timeout: float) -> list[str]:
    """Every storage that can hold messages or status reports (SM, ME, SR, MT as the modem has
    them); [] when the modem will not say. MT (SM and ME together on some modems) is left out
    when SM and ME are listed themselves, so nothing is handed twice under two names."""
    try:
        resp = ch.command("AT+CPMS=?", timeout)
    except CommandError:
        return []
    names = [n for n in parse_cpms_test(resp.first("+CPMS") or "") if n in ("SM", "ME", "SR", "MT")]
    if "SM" in names and "ME" in names and "MT" in names:
        names.remove("MT")
    return names


def list_all(ch: AtChannel, storage: str, timeout: float) -> list[StoredPdu]:
    """Every message in the current read storage (AT+CMGL=4), read or not."""
    try:
        resp = ch.command("AT+CMGL=4", timeout)
    except CommandError as exc:
        if exc.kind == "cms" and exc.code == 321:  # some modems: "empty" is an error
            return []
        raise
    return parse_cmgl(resp.lines, storage)


def list_unread(ch: AtChannel, storage: str, timeout: float) -> list[StoredPdu] | None:
    """The unread messages of the current read storage (AT+CMGL=0; the modem marks them read,
    so they are not listed by it again); None when the modem refuses the command."""
    try:
        resp = ch.command("AT+CMGL=0", timeout)
    except CommandError as exc:
        if exc.kind == "cms" and exc.code == 321:
            return []
        return None
    return parse_cmgl(resp.lines, storage)


def read(ch: AtChannel, index: int, timeout: float) -> tuple[int, str] | None:
    """(stat, raw PDU) at ``index`` of the read storage, None when the slot is empty."""
    try:
        resp = ch.command(f"AT+CMGR={index}", timeout)
    except CommandError as exc:
        if exc.code in (321, 22, 21) or exc.kind == "error":
            return None
        raise
    stat = 0
    for i, line in enumerate(resp.lines):
        m = _CMGR.match(line)
        if m:
            stat = int(m.group(1))
            if i + 1 < len(resp.lines):
                return stat, resp.lines[i + 1].strip()
            return stat, ""
    return None


def delete(ch: AtChannel, index: int, timeout: float) -> None:
    ch.command(f"AT+CMGD={index}", timeout)


def parse_cmgs(lines: list[str]) -> int | None:
    for line in lines:
        m = re.match(r"^\+CMGS:\s*(\d+)", line)
        if m:
            return int(m.group(1))
    return None


def looks_like_pdu(raw: str) -> bool:
    return bool(raw) and len(raw) % 2 == 0 and bool(_HEX.match(raw))
