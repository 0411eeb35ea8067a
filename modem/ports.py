"""Finding the modem: list candidate serial ports, probe them with AT, explain open errors.

Known USB modem makers come first (by USB vendor id), then other USB serial ports, then any
/dev/ttyUSB* and /dev/ttyACM* the port lister missed. A modem on the network (ser2net on a
router) is named by a pyserial URL, ``socket://host:port`` or ``rfc2217://host:port``. ``probe`` opens a port, asks AT / AT+CGMI /
AT+CGMM with a short timeout and says in plain words what it found.
"""

from __future__ import annotations

import errno
import glob
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import serial
import serial.tools.list_ports

from modem.at.channel import AtChannel, AtError, CommandError

KNOWN_VENDORS: dict[int, str] = {
    0x12D1: "Huawei",
    0x19D2: "ZTE",
    0x2C7C: "Quectel",
    0x05C6: "Qualcomm (Quectel/SIMCom)",
    0x1E0E: "SIMCom",
    0x1199: "Sierra Wireless",
    0x1BC7: "Telit",
    0x1546: "u-blox",
    0x2CB7: "Fibocom",
    0x1E2D: "Cinterion/Thales",
    0x0681: "Siemens/Cinterion",
    0x0BDB: "Ericsson",
    0x413C: "Dell (Sierra/Telit inside)",
    0x03F0: "HP (Huawei/Sierra inside)",
    0x1410: "Novatel",
    0x106C: "Pantech",
    0x1C9E: "Longcheer",
    0x1E89: "Quanta",
    0x2001: "D-Link",
    0x0AF0: "Option",
    0x1A86: "QinHeng CH340 (USB serial adapter)",
    0x10C4: "Silicon Labs CP210x (USB serial adapter)",
    0x0403: "FTDI (USB serial adapter)",
    0x067B: "Prolific (USB serial adapter)",
}
_ADAPTERS = {0x1A86, 0x10C4, 0x0403, 0x067B}


@dataclass(frozen=True)
class PortInfo:
    device: str
    description: str = ""
    vid: int | None = None
    pid: int | None = None
    maker: str | None = None  # from the USB vendor id, when known
    stable_path: str | None = None  # /dev/serial/by-id/... pointing at ``device``

    @property
    def likely_modem(self) -> bool:
        return self.vid is not None and self.vid in KNOWN_VENDORS and self.vid not in _ADAPTERS


@dataclass(frozen=True)
class ProbeResult:
    path: str
    ok: bool  # answered AT like a modem
    manufacturer: str | None = None
    model: str | None = None
    error: str | None = None  # plain words when not ok

    @property
    def summary(self) -> str:
        if self.ok:
            name = " ".join(x for x in (self.manufacturer, self.model) if x) or "a modem"
            return f"{self.path}: {name}"
        return f"{self.path}: {self.error}"


def _stable_paths() -> dict[str, str]:
    out: dict[str, str] = {}
    for link in sorted(glob.glob("/dev/serial/by-id/*")):
        try:
            out.setdefault(os.path.realpath(link), link)
        except OSError:
            continue
    return out


def list_candidates(
    *,
    include_legacy: bool = False,
    comports: Iterable[Any] | None = None,
    extra_devices: Iterable[str] | None = None,
) -> list[PortInfo]:
    """Serial ports that may be a modem, the likeliest first. Legacy on-board /dev/ttyS* ports
    are left out unless ``include_legacy``. ``comports`` / ``extra_devices`` replace what
    pyserial's lister and the /dev/ttyUSB* / ttyACM* globs report (for tests)."""
    stable = _stable_paths()
    found: dict[str, PortInfo] = {}
    listed = serial.tools.list_ports.comports() if comports is None else comports
    for p in listed:
        if not include_legacy and p.vid is None and p.device.startswith("/dev/ttyS"):
            continue
        found[p.device] = PortInfo(
            device=p.device,
            description=p.description or "",
            vid=p.vid,
            pid=p.pid,
            maker=KNOWN_VENDORS.get(p.vid) if p.vid is not None else None,
            stable_path=stable.get(os.path.realpath(p.device)) if os.name == "posix" else None,
        )
    if extra_devices is None:
        extra_devices = [d for pat in ("/dev/ttyUSB*", "/dev/ttyACM*") for d in glob.glob(pat)]
    for dev in sorted(extra_devices):
        found.setdefault(dev, PortInfo(dev, stable_path=stable.get(os.path.realpath(dev))))

    def rank(info: PortInfo) -> tuple[int, str]:
        if info.likely_modem:
            return (0, info.device)
        if info.vid is not None:
            return (1, info.device)
        return (2, info.device)

    return sorted(found.values(), key=rank)


def explain_open_error(exc: BaseException, path: str, *, platform: str | None = None) -> str:
    """Plain words for why ``path`` could not be opened."""
    platform = platform or sys.platform
    err = exc.errno if isinstance(exc, OSError) else None
    if err is None and exc.__cause__ is not None and isinstance(exc.__cause__, OSError):
        err = exc.__cause__.errno
    text = str(exc)
    if is_url(path):
        why = text.rsplit("]", 1)[-1].strip() if "]" in text else text
        return (
            f"Nothing answers at {path} ({why or 'no connection'}). Check the address and that "
            "the modem's server (ser2net or the router's serial server) is running."
        )
    if "Access is denied" in text or (platform.startswith("win") and err == errno.EACCES):
        return f"{path} is in use by another program (close the modem's own software)."
    if err in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        if platform.startswith("linux"):
            return (
                f"Permission denied on {path}. Your user is not allowed to use serial ports: "
                "add it to the 'dialout' group with  sudo usermod -aG dialout $USER  "
                "then log out and back in."
            )
        return f"Permission denied on {path}."
    if err in (errno.ENOENT, errno.ENODEV, errno.ENXIO) or "No such file" in text:
        return f"{path} does not exist (is the modem plugged in?)."
    if err == errno.EBUSY or "busy" in text.lower():
        return f"{path} is in use by another program."
    return f"{path} could not be opened: {text}"


URL_SCHEMES = ("socket://", "rfc2217://")


def is_url(path: str) -> bool:
    """Whether ``path`` is a pyserial URL of a modem on the network (``socket://host:port``
    raw TCP, e.g. ser2net; ``rfc2217://host:port``) rather than a device path."""
    return path.strip().lower().startswith(URL_SCHEMES)


def open_port(path: str, baudrate: int = 115200) -> serial.Serial:
    """Open a modem port the way the service does (raises serial.SerialException / OSError):
    a device path, or a network URL with ``serial.serial_for_url`` (its connection loss raises
    like an unplug)."""
    if is_url(path):
        url = path.strip()
        if url.lower().startswith("rfc2217://"):  # pyserial's RFC 2217 client: no write timeout
            return serial.serial_for_url(url, baudrate=baudrate, timeout=0.05)
        return serial.serial_for_url(url, baudrate=baudrate, timeout=0.05, write_timeout=5)
    return serial.Serial(
        path,
        baudrate=baudrate,
        timeout=0.05,
        write_timeout=5,
        rtscts=False,
        dsrdtr=False,
        exclusive=True if os.name == "posix" else None,
    )


def probe(path: str, *, timeout: float = 1.0, baudrate: int = 115200) -> ProbeResult:
    """Open ``path`` (a device or a ``socket://`` / ``rfc2217://`` URL), ask AT (twice: the
    first may meet leftovers), then AT+CGMI / AT+CGMM."""
    try:
        port = open_port(path, baudrate)
    except (serial.SerialException, OSError) as exc:
        return ProbeResult(path, False, error=explain_open_error(exc, path))
    try:
        ch = AtChannel(port)
        answered = False
        for _ in range(2):
            try:
                ch.command("AT", timeout)
                answered = True
                break
            except CommandError:
                answered = True  # it speaks AT, only this line was garbled
                break
            except AtError:
                continue
        if not answered:
            return ProbeResult(path, False, error=f"{path} does not answer AT commands.")
        manufacturer = _ask(ch, "AT+CGMI", timeout)
        model = _ask(ch, "AT+CGMM", timeout)
        return ProbeResult(path, True, manufacturer, model)
    except AtError as exc:
        return ProbeResult(path, False, error=f"{path} stopped answering: {exc}")
    finally:
        try:
            port.close()
        except Exception:
            pass


def _ask(ch: AtChannel, cmd: str, timeout: float) -> str | None:
    try:
        resp = ch.command(cmd, timeout, expect=None)
    except AtError:
        return None
    for line in resp.lines:
        value = line.split(":", 1)[1].strip() if line.startswith("+") and ":" in line else line
        if value:
            return value.strip('"')
    return None


def discover(*, timeout: float = 1.0) -> ProbeResult | None:
    """The first candidate that answers like a modem, or None."""
    for info in list_candidates():
        result = probe(info.stable_path or info.device, timeout=timeout)
        if result.ok:
            return result
    return None
