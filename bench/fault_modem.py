"""The modem-side faults, each through the virtual modem's control channel only (see
modem/sim/control.py): inject, hold while traffic goes on, clear, then probe one text each way
to time the recovery. Each returns its FaultRow (bench/fault_kit.py); bench/soak.py cycles
through them, bench/faults.py runs each once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from fault_kit import FaultRow, Shop

from modem.codec.pdu import encode_deliver

CUSTOMER = "+12025550143"
SHOP_TO = "+12025550111"


def unplug(shop: Shop, hold: float = 10.0) -> FaultRow:
    row = shop.begin("unplug/replug")
    shop.sim.control({"cmd": "unplug"})
    time.sleep(hold / 2)
    row.status = shop.status()
    time.sleep(hold / 2)
    shop.sim.control({"cmd": "replug"})
    row.cleared = time.monotonic()
    shop.finish(row)
    return row


def reboot(shop: Shop, seconds: float = 5.0) -> FaultRow:
    row = shop.begin("modem reboot")
    shop.sim.control({"cmd": "reboot", "seconds": seconds})
    time.sleep(seconds / 2)
    row.status = shop.status()
    time.sleep(seconds / 2)
    row.cleared = time.monotonic()
    shop.finish(row)
    return row


def cms(code: int, count: int = 2) -> Callable[[Shop], FaultRow]:
    def fault(shop: Shop) -> FaultRow:
        row = shop.begin(f"CMS ERROR {code} (x{count})")
        shop.sim.control({"cmd": "cms_error", "code": code, "count": count})
        t = shop.send(SHOP_TO, f"cms{code}-{shop.next_n():05d} your order is ready")
        deadline = time.monotonic() + 60
        while shop.sim_status() and time.monotonic() < deadline:
            events = [e for e in shop.sim.history if e.get("event") == "send_failed"]
            if len([e for e in events if e.get("error") == code]) >= count:
                break
            time.sleep(0.3)
        row.note = f"text {t.mid}"
        shop.sim.control({"cmd": "cms_error", "code": 0, "count": 0})
        row.cleared = time.monotonic()
        shop.finish(row)
        return row

    return fault


def network_lost(shop: Shop, hold: float = 20.0) -> FaultRow:
    row = shop.begin("network lost and back")
    shop.sim.control({"cmd": "lose_network", "state": "searching"})
    shop.send(SHOP_TO)  # a text to send while there is no network
    time.sleep(hold / 2)
    row.status = shop.status()
    time.sleep(hold / 2)
    shop.sim.control({"cmd": "restore_network"})
    row.cleared = time.monotonic()
    shop.finish(row)
    return row


def sim_full(shop: Shop, hold: float = 10.0) -> FaultRow:
    """The receive memory filled with old read texts; new ones must still get in (the network
    keeps them until there is room) and the old ones must be stored, each once."""
    row = shop.begin("SIM full")
    memory = (shop.sim_status().get("cpms") or ["SM", "SM", "SM"])[2]
    reply = shop.sim.control({"cmd": "fill_storage", "memory": memory}) or {}
    added = int(reply.get("added", 0))
    # The copies are identical (sender, time stamp, text): the same SMS, stored once.
    row.expect_extra_in["Old message kept on the SIM"] += 1 if added else 0
    row.note = f"{added} identical old texts put in {memory}"
    for _ in range(3):
        shop.deliver(CUSTOMER)
    time.sleep(hold)
    row.status = shop.status()
    row.cleared = time.monotonic()
    shop.finish(row, probe_timeout=180)
    return row


def cmgs_silent(shop: Shop, hold: float = 75.0) -> FaultRow:
    """+CMGS gets its PDU and never answers (the modem goes silent right after): that text may
    have gone out, so it must end "uncertain" (or sent once), never be sent again by itself.
    The network takes it after 5 s; the modem hangs before answering; serve's send timeout is
    60 s, so the hang lasts ``hold`` seconds, then the modem answers again."""
    row = shop.begin("+CMGS never answers")
    shop.sim.control({"cmd": "config", "cmgs_delay": 5.0})
    mark = len(shop.sim.history)
    t = shop.send(SHOP_TO, f"silent-{shop.next_n():05d} your order is ready")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(e.get("event") == "submitting" and e.get("text") == t.body
               for e in shop.sim.history[mark:]):  # fmt: skip
            break
        time.sleep(0.2)
    shop.sim.control({"cmd": "hang"})
    row.note = f"text {t.mid}"
    time.sleep(hold / 2)
    row.status = shop.status()
    time.sleep(hold / 2)
    shop.sim.control({"cmd": "config", "cmgs_delay": 0.0})
    shop.sim.control({"cmd": "unhang"})
    row.cleared = time.monotonic()
    shop.finish(row)
    return row


def storm(shop: Shop, count: int = 200) -> FaultRow:
    row = shop.begin(f"{count}-SMS URC storm")
    tag = f"storm{len(shop.rows):03d}"
    shop.sim.control({"cmd": "urc_burst", "count": count, "from": "+12025550178",
                      "text": tag + " message {n} about my car"})  # fmt: skip
    for i in range(count):
        row.expect_extra_in[f"{tag} message {i + 1} about my car"] += 1
    row.cleared = time.monotonic()
    shop.finish(row, probe_timeout=300)
    return row


def malformed_pdu(shop: Shop) -> FaultRow:
    row = shop.begin("malformed PDU")
    raw_before = shop.raw_count()
    # A real SMS-DELIVER cut short: its user-data length promises more than it carries.
    good = encode_deliver(
        CUSTOMER,
        f"cut-{shop.next_n():05d} this text loses its tail",
        timestamp=datetime.now(UTC).replace(microsecond=0),
    )[0]
    shop.sim.control({"cmd": "deliver_pdu", "pdu": good[:-8]})
    shop.deliver(CUSTOMER)  # the next good text still gets in
    row.cleared = time.monotonic()
    shop.finish(row)
    kept = shop.raw_count() - raw_before
    row.note = f"raw data kept: {kept}"
    return row


def garbage(shop: Shop, length: int = 64) -> FaultRow:
    row = shop.begin("garbage on the line")
    for _ in range(3):
        shop.sim.control({"cmd": "garbage", "length": length})
        shop.deliver(CUSTOMER)
        shop.sim.control({"cmd": "garbage", "length": length, "in_reply": True})
        time.sleep(1.0)
    row.cleared = time.monotonic()
    shop.finish(row)
    return row


def pin_state(shop: Shop, hold: float = 40.0) -> FaultRow:
    """The SIM asks for its PIN (a SIM swapped or the modem power-cycled with the lock on) and
    later is ready again (the PIN typed on another device)."""
    row = shop.begin("SIM asks for PIN, then ready")
    shop.sim.control({"cmd": "set_pin", "enabled": True})
    shop.sim.control({"cmd": "reboot", "seconds": 1.0})
    time.sleep(hold / 2)
    row.status = shop.status()
    time.sleep(hold / 2)
    shop.sim.control({"cmd": "set_pin", "enabled": False})
    shop.sim.control({"cmd": "set_sim_state", "state": "ready"})
    row.cleared = time.monotonic()
    shop.finish(row)
    return row


CYCLE: list[Callable[[Shop], FaultRow]] = [
    unplug, reboot, cms(38), network_lost, cms(42), sim_full, cms(500), cmgs_silent, storm,
    malformed_pdu, garbage, pin_state,
]  # fmt: skip
