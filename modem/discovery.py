"""Finding a HiLink stick or a phone: what the USB bus and the network say, in plain words.

The parsing half is pure (no I/O): ``classify_usb`` names the mode a Huawei device is in from its
USB ids and interface classes, ``parse_routes`` reads Linux's ``/proc/net/route`` text into the
default gateway of each network interface, ``read_hilink_answer`` / ``read_android_health``
decide from an HTTP answer whether a HiLink web interface or SMS Gateway for Android spoke.

The I/O half is small and bounded: ``usb_devices(root)`` reads ``/sys/bus/usb/devices`` (Linux;
elsewhere, or with no such folder, nothing), ``gateways()`` the default gateways (Linux's
``/proc/net/route``, Windows' ``route print``, macOS's ``netstat -rn``), and
``probe_all(urls, timeout=, budget=)`` asks every URL at once, each request with ``timeout``
seconds, and returns after ``budget`` seconds at most whatever has answered by then (a stick
that answers later is simply not in this round). Proxies from the environment are never used:
the stick is on this computer's own link.

Huawei ids: 12d1:14db and 12d1:14dc are the HiLink network mode (CDC Ethernet/NCM, the stick is
a router at 192.168.8.1); 12d1:1f01 and its relatives (1446, 14fe, 1505, 1520, 14d1, 1c0b,
1c1b, 1f1c...) are the "CD-ROM" (storage) mode a stick starts in before it is switched; 1506,
1001, 1436, 1465, 140c, 14ac, 1c05, 1442 are the serial (AT) modes, found by the port list. A
Huawei device whose only interfaces are mass storage (class 08) is in storage mode whatever its
id; one with CDC Ethernet or RNDIS interfaces and no vendor-specific serial ones is taken for a
HiLink stick.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import xmltodict

HUAWEI = 0x12D1
HILINK_PIDS = frozenset({0x14DB, 0x14DC})
STORAGE_PIDS = frozenset(
    {0x1F01, 0x1F02, 0x1F03, 0x1F11, 0x1F15, 0x1F16, 0x1F17, 0x1F18, 0x1F19, 0x1F1B, 0x1F1C,
     0x1F1D, 0x1F1E, 0x1446, 0x14FE, 0x1505, 0x1520, 0x14D1, 0x1C0B, 0x1C1B, 0x1C24, 0x1DA1}
)  # fmt: skip
SERIAL_PIDS = frozenset({0x1506, 0x1001, 0x1003, 0x1436, 0x1465, 0x140C, 0x14AC, 0x1C05, 0x1442})
CLASS_STORAGE = 0x08
CLASS_CDC = 0x02
CLASS_CDC_DATA = 0x0A
CLASS_WIRELESS = 0xE0  # RNDIS
CLASS_MISC = 0xEF  # RNDIS on some firmware
CLASS_VENDOR = 0xFF  # the serial (AT) interfaces of a stick in modem mode
DEFAULT_HILINK = ("http://192.168.8.1", "http://192.168.1.1")
BODY_LIMIT = 64_000  # an honest answer to these pages is under 2 kB
NEEDS_LOGIN = {100003, 125002, 125003, 108003}  # the stick answered, but wants its password

SYS_USB = Path("/sys/bus/usb/devices")
PROC_ROUTE = Path("/proc/net/route")


@dataclass(frozen=True)
class UsbDevice:
    """One USB device as sysfs shows it."""

    vid: int
    pid: int
    name: str = ""  # sysfs folder, e.g. "1-2"
    manufacturer: str = ""
    product: str = ""
    interface_classes: tuple[int, ...] = ()

    @property
    def ids(self) -> str:
        return f"{self.vid:04x}:{self.pid:04x}"

    @property
    def title(self) -> str:
        words = " ".join(x for x in (self.manufacturer, self.product) if x)
        return words or f"USB device {self.ids}"


def classify_usb(device: UsbDevice) -> str | None:
    """The mode a Huawei device is in: "hilink", "storage" or "serial"; None for other makers
    and for a Huawei device whose mode cannot be told."""
    if device.vid != HUAWEI:
        return None
    classes = set(device.interface_classes)
    if device.pid in HILINK_PIDS:
        return "hilink"
    if device.pid in SERIAL_PIDS or CLASS_VENDOR in classes:
        return "serial"
    if device.pid in STORAGE_PIDS or (classes and classes <= {CLASS_STORAGE}):
        return "storage"
    if classes & {CLASS_CDC, CLASS_CDC_DATA, CLASS_WIRELESS, CLASS_MISC}:
        return "hilink"
    return None


def storage_explanation(device: UsbDevice, platform: str) -> str:
    """What the shop does about a stick still in storage (CD-ROM) mode, in plain words."""
    first = (
        f"The {device.title} ({device.ids}) is still in its storage mode: the computer sees a "
        "CD-ROM drive, not a modem."
    )
    if platform.startswith("linux"):
        return (
            first + " Install usb-modeswitch (sudo apt install usb-modeswitch), then unplug the "
            "stick and plug it back in; it then shows up as a HiLink stick or a modem."
        )
    if platform.startswith("win"):
        return (
            first + " Open the drive it shows in File Explorer and run the stick's own installer "
            "once (or wait a minute after plugging it in); it then shows up as a network "
            "connection or a modem."
        )
    return first + " Run the installer on the drive it shows, then plug the stick in again."


def parse_routes(text: str) -> list[tuple[str, str]]:
    """(interface, gateway address) of every default route in ``/proc/net/route``'s text."""
    found: list[tuple[str, str]] = []
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 4 or cols[1] != "00000000":
            continue
        try:
            gateway, flags = int(cols[2], 16), int(cols[3], 16)
        except ValueError:
            continue
        if gateway == 0 or not flags & 0x2:  # RTF_GATEWAY
            continue
        address = ".".join(str((gateway >> shift) & 0xFF) for shift in (0, 8, 16, 24))
        if (cols[0], address) not in found:
            found.append((cols[0], address))
    return found


def parse_route_print(text: str) -> list[str]:
    """Default gateways in Windows' ``route print -4 0.0.0.0`` (the rows ``0.0.0.0  0.0.0.0
    GATEWAY  INTERFACE  METRIC``) or macOS's ``netstat -rn -f inet`` (``default  GATEWAY ...``)."""
    found: list[str] = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 3 and cols[0] == "0.0.0.0" and cols[1] == "0.0.0.0":
            gateway = cols[2]
        elif len(cols) >= 2 and cols[0] == "default":
            gateway = cols[1]
        else:
            continue
        parts = gateway.split(".")
        dotted = len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)
        if dotted and gateway != "0.0.0.0" and gateway not in found:
            found.append(gateway)
    return found


@dataclass(frozen=True)
class Answer:
    """What one URL said: ``kind`` "hilink" or "android"; the device's name when it gave one."""

    url: str
    kind: str
    needs_password: bool
    device_name: str = ""


def _xml(body: bytes) -> Mapping[str, object] | None:
    try:
        data = xmltodict.parse(body, disable_entities=True)
    except Exception:  # expat errors, entities refused: not a stick
        return None
    return data if isinstance(data, Mapping) else None


def read_hilink_answer(url: str, session: bytes | None, information: bytes | None) -> Answer | None:
    """A HiLink stick when ``/api/webserver/SesTokInfo`` gave a session and token, or
    ``/api/device/information`` gave the device's name or the stick's "log in first" error."""
    name = ""
    needs_password = False
    evidence = False
    ses = _xml(session) if session else None
    if ses is not None:
        inner = ses.get("response")
        if isinstance(inner, Mapping) and isinstance(inner.get("TokInfo"), str):
            evidence = True
    info = _xml(information) if information else None
    if info is not None:
        inner = info.get("response")
        err = info.get("error")
        if isinstance(inner, Mapping) and isinstance(inner.get("DeviceName"), str):
            name, evidence = str(inner["DeviceName"]).strip(), True
        elif isinstance(err, Mapping) and str(err.get("code", "")).strip().isdigit():
            code = int(str(err["code"]).strip())
            needs_password = code in NEEDS_LOGIN
            evidence = evidence or needs_password
    if not evidence:
        return None
    return Answer(url, "hilink", needs_password, name)


def read_android_health(url: str, status: int, body: bytes | None) -> Answer | None:
    """SMS Gateway for Android: its ``/health`` answers JSON with "status" and "checks" (200),
    or asks for its user name and password (401 with a JSON message)."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    if (
        status == 200
        and isinstance(data.get("status"), str)
        and isinstance(data.get("checks"), dict)
    ):
        return Answer(url, "android", True)
    if status == 401 and isinstance(data.get("message"), str):
        return Answer(url, "android", True)
    return None


# --- I/O --------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def usb_devices(root: Path = SYS_USB) -> list[UsbDevice]:
    """USB devices under ``root`` (sysfs layout: ``idVendor``, ``idProduct``, ``manufacturer``,
    ``product``, and one ``N-M:C.I`` folder per interface with ``bInterfaceClass``)."""
    try:
        entries = sorted(p for p in root.iterdir() if ":" not in p.name)
    except OSError:
        return []
    devices: list[UsbDevice] = []
    for entry in entries:
        try:
            vid, pid = int(_read(entry / "idVendor"), 16), int(_read(entry / "idProduct"), 16)
        except ValueError:
            continue
        classes: list[int] = []
        for iface in sorted(_interfaces(root, entry)):
            try:
                classes.append(int(_read(iface / "bInterfaceClass"), 16))
            except ValueError:
                continue
        devices.append(
            UsbDevice(vid, pid, entry.name, _read(entry / "manufacturer"),
                      _read(entry / "product"), tuple(classes))
        )  # fmt: skip
    return devices


def _interfaces(root: Path, entry: Path) -> Iterable[Path]:
    """The interface folders of ``entry``: inside it (the device's own sysfs folder), else its
    siblings in ``root`` (the bus listing has both)."""
    for where in (entry, root):
        try:
            found = [p for p in where.iterdir() if p.name.startswith(entry.name + ":")]
        except OSError:
            continue
        if found:
            return found
    return []


def gateways(route_file: Path | None = None, *, platform: str | None = None) -> list[str]:
    """The default gateway of each network interface: from ``route_file`` (Linux's route table
    layout) when given; else Linux's own, or on Windows and macOS what ``route print`` /
    ``netstat -rn`` say (within a second; none when they fail)."""
    platform = platform or sys.platform
    if route_file is not None:
        return [gw for _iface, gw in parse_routes(_read(route_file))]
    if platform.startswith("win"):
        return parse_route_print(_run(["route", "print", "-4", "0.0.0.0"]))
    if platform == "darwin":
        return parse_route_print(_run(["netstat", "-rn", "-f", "inet"]))
    return [gw for _iface, gw in parse_routes(_read(PROC_ROUTE))]


def _run(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=1.0, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout


def candidate_urls(
    extra: Sequence[str], gateway_addresses: Sequence[str], *, defaults: bool = True
) -> list[str]:
    """The URLs to ask, each once: ``extra`` first, then each gateway, then (``defaults``) the
    stick's usual addresses."""
    urls: list[str] = []
    usual = DEFAULT_HILINK if defaults else ()
    for url in [*extra, *(f"http://{gw}" for gw in gateway_addresses), *usual]:
        url = url.strip().rstrip("/")
        if url and url not in urls:
            urls.append(url)
    return urls


def _get(opener: urllib.request.OpenerDirector, url: str, timeout: float) -> tuple[int, bytes]:
    try:
        with opener.open(url, timeout=timeout) as response:
            return int(response.status), response.read(BODY_LIMIT + 1)[:BODY_LIMIT]
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(BODY_LIMIT)
        finally:
            exc.close()
        return exc.code, body


def probe(url: str, timeout: float) -> Answer | None:
    """Ask ``url`` whether it is a HiLink stick, else whether it is the phone's gateway app."""
    jar = CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
    )
    try:
        _, session = _get(opener, url + "/api/webserver/SesTokInfo", timeout)
        _, information = _get(opener, url + "/api/device/information", timeout)
    except (OSError, ValueError):  # nothing answers there (refused, timed out, not HTTP)
        return None
    found = read_hilink_answer(url, session, information)
    if found is not None:
        return found
    try:
        status, health = _get(opener, url + "/health", timeout)
    except (OSError, ValueError):
        return None
    return read_android_health(url, status, health)


def probe_all(urls: Sequence[str], *, timeout: float, budget: float) -> list[Answer]:
    """Every URL asked at once; what answered within ``budget`` seconds, in ``urls`` order."""
    results: dict[str, Answer] = {}
    lock = threading.Lock()

    def one(url: str) -> None:
        answer = probe(url, timeout)
        if answer is not None:
            with lock:
                results[url] = answer

    threads = [threading.Thread(target=one, args=(u,), daemon=True, name="probe") for u in urls]
    for thread in threads:
        thread.start()
    end = time.monotonic() + budget
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    with lock:
        return [results[u] for u in urls if u in results]
