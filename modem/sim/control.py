"""The control channel: the commands a test or the JSON-lines stdin sends to the virtual modem.

Each command is a Event with "cmd"; the answer is a Event with "ok" (and "error" when not ok). The
same commands work in-process (``VirtualModem.control``) and over ``python -m modem.sim``.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from modem.codec.pdu import encode_deliver
from modem.sim import calls
from modem.sim.commands_network import (
    announce_registration,
    set_radio,
    set_registration,
    set_signal,
)
from modem.sim.event_log import Event
from modem.sim.jsonlines import ControlError, answer, need
from modem.sim.network import REG_STATES
from modem.sim.sms_store import Stat, Storage

if TYPE_CHECKING:
    from modem.sim.core import ModemCore


log = logging.getLogger(__name__)


class Control:
    UNLOCKED = frozenset({"unplug", "replug"})
    cmd_call = calls.cmd_call  # {"cmd": "call", ...}: a caller rings the SIM (modem.sim.calls)

    def __init__(self, core: ModemCore) -> None:
        self.core = core

    def handle(self, cmd: Event) -> Event:
        name = str(cmd.get("cmd", ""))
        fn = getattr(self, "cmd_" + name, None)
        if fn is None:
            return {"ok": False, "error": f"unknown command {name!r}"}
        if name in self.UNLOCKED:  # they join the pty reader thread, which may want the lock
            return answer(lambda: fn(cmd), name)
        with self.core.lock:
            return answer(lambda: fn(cmd), name)

    # ------------------------------------------------------------------ information
    def cmd_ping(self, cmd: Event) -> Event:
        return {}

    def cmd_status(self, cmd: Event) -> Event:
        m = self.core
        s = m.settings
        return {
            "device": m.port.device if m.port else None,
            "vendor": m.profile.name,
            "power": m.power,
            "echo": s.echo,
            "cmee": s.cmee,
            "cmgf": s.cmgf,
            "cnmi": list(s.cnmi),
            "csms": s.csms,
            "cpms": list(s.cpms),
            "sim": m.sim.state,
            "pin_attempts": m.sim.pin_attempts,
            "registration": m.network.registration,
            "rssi": m.network.rssi,
            "cfun": m.cfun,
            "next_reference": m.tp_mr,
            "storage": {n: {"used": st.used, "total": st.capacity} for n, st in m.stores.items()},
            "network_queue": len(m.inbound.queue),
            "awaiting_ack": m.inbound.awaiting is not None,
        }

    def cmd_storage(self, cmd: Event) -> Event:
        store = self._store(cmd)
        return {
            "messages": [
                {"index": s.index, "stat": int(s.stat), "pdu": s.pdu} for s in store.listing(None)
            ]
        }

    def _store(self, cmd: Event) -> Storage:
        name = str(cmd.get("memory", "SM")).upper()
        if name not in self.core.stores:
            raise ControlError(f"unknown memory {name!r}")
        return self.core.stores[name]

    # ------------------------------------------------------------------ incoming messages
    def cmd_deliver(self, cmd: Event) -> Event:
        sender, text = str(need(cmd, "from")), str(need(cmd, "text"))
        pdus = self._pdus(sender, text, cmd)
        self.core.inbound.deliver(pdus)
        return {"parts": len(pdus), "pdus": pdus}

    def _pdus(self, sender: str, text: str, cmd: Event) -> list[str]:
        ts = cmd.get("timestamp")
        when = datetime.fromisoformat(ts) if ts else datetime.now(UTC).replace(microsecond=0)
        return encode_deliver(
            sender,
            text,
            timestamp=when,
            smsc=cmd.get("smsc", self.core.network.smsc),
            concat_ref=cmd.get("concat_ref"),
        )

    def cmd_deliver_pdu(self, cmd: Event) -> Event:
        pdu = str(need(cmd, "pdu")).strip()
        if not cmd.get("smsc", True):
            pdu = "00" + pdu
        self.core.inbound.deliver([pdu])
        return {}

    def cmd_urc_burst(self, cmd: Event) -> Event:
        count = int(cmd.get("count", 5))
        sender = str(cmd.get("from", "+15557654321"))
        pdus: list[str] = []
        for i in range(count):
            pdus += self._pdus(
                sender, str(cmd.get("text", "Burst message {n}")).format(n=i + 1), {}
            )
        self.core.inbound.deliver(pdus, burst=True)
        return {"parts": len(pdus)}

    def cmd_fill_storage(self, cmd: Event) -> Event:
        store = self._store(cmd)
        leave = int(cmd.get("leave", 0))
        pdu = self._pdus("+15550009999", "Old message kept on the SIM", {})[0]
        added = 0
        while store.used < store.capacity - leave:
            store.add(pdu, Stat.REC_READ)
            added += 1
        return {"added": added, "used": store.used}

    def cmd_clear_storage(self, cmd: Event) -> Event:
        self._store(cmd).clear()
        return {}

    # ------------------------------------------------------------------ network
    def cmd_set_signal(self, cmd: Event) -> Event:
        set_signal(self.core, int(need(cmd, "rssi")), int(cmd.get("ber", 99)))
        return {}

    def cmd_set_registration(self, cmd: Event) -> Event:
        state = str(need(cmd, "state"))
        if state not in REG_STATES:
            raise ControlError(f"state must be one of {', '.join(REG_STATES)}")
        net = self.core.network
        net.lac = str(cmd.get("lac", net.lac))
        net.ci = str(cmd.get("ci", net.ci))
        set_registration(self.core, state)
        return {}

    def cmd_set_operator(self, cmd: Event) -> Event:
        op = self.core.network.operator
        op.long = str(need(cmd, "name"))
        op.short = str(cmd.get("short", op.long[:8]))
        op.numeric = str(cmd.get("numeric", op.numeric))
        return {}

    def cmd_lose_network(self, cmd: Event) -> Event:
        net = self.core.network
        if net.saved_registration is None:
            net.saved_registration = net.registration
        set_registration(self.core, str(cmd.get("state", "searching")))
        return {}

    def cmd_restore_network(self, cmd: Event) -> Event:
        net = self.core.network
        state = net.saved_registration or "home"
        net.saved_registration = None
        if self.core.cfun != 1:
            set_radio(self.core, 1)
        set_registration(self.core, state)
        return {}

    def cmd_ussd_text(self, cmd: Event) -> Event:
        self.core.config.ussd_text = str(need(cmd, "text"))
        return {}

    # ------------------------------------------------------------------ SIM
    def cmd_set_pin(self, cmd: Event) -> Event:
        sim = self.core.sim
        if "pin" in cmd:
            sim.pin = str(cmd["pin"])
        if "puk" in cmd:
            sim.puk = str(cmd["puk"])
        sim.lock_enabled = bool(cmd.get("enabled", True))
        return {}

    def cmd_set_sim_state(self, cmd: Event) -> Event:
        state = str(need(cmd, "state"))
        aliases = {"SIM PIN": "pin", "SIM PUK": "puk", "READY": "ready"}
        state = aliases.get(state, state)
        if state not in ("ready", "pin", "puk", "blocked", "absent"):
            raise ControlError("state must be ready, pin, puk, blocked or absent")
        self.core.sim.state = state
        if state == "pin":
            self.core.sim.pin_attempts = 3
        if state == "ready":
            announce_registration(self.core)
        return {}

    # ------------------------------------------------------------------ faults
    def cmd_slow(self, cmd: Event) -> Event:
        f = self.core.faults
        f.slow_seconds = float(cmd.get("seconds", 2.0))
        count = cmd.get("count")
        f.slow_count = int(count) if count is not None else None
        return {}

    def cmd_cms_error(self, cmd: Event) -> Event:
        f = self.core.faults
        f.cms_code = int(cmd.get("code", 500))
        f.cms_count = int(cmd.get("count", 1))
        return {}

    def cmd_garbage(self, cmd: Event) -> Event:
        m = self.core
        if "data" in cmd:
            data = bytes.fromhex(str(cmd["data"]))
        else:
            n = int(cmd.get("length", 16))
            data = bytes(
                m.rng.choice(range(0x80, 0x100)) if i % 2 else m.rng.randrange(256)
                for i in range(n)
            )
        if cmd.get("in_reply"):
            m.faults.garbage_in_reply = data
        else:
            m.urc_bytes(data)
        return {"data": data.hex()}

    def cmd_split_write(self, cmd: Event) -> Event:
        self.core.faults.split_pause = float(cmd.get("pause", 0.3))
        return {}

    def cmd_late_reply(self, cmd: Event) -> Event:
        self.core.faults.late_after = float(cmd.get("seconds", 15.0))
        return {}

    def cmd_deliver_report(self, cmd: Event) -> Event:
        f = self.core.faults
        mode = str(cmd.get("mode", "normal"))
        if mode not in ("normal", "fail", "delay", "drop"):
            raise ControlError("mode must be normal, fail, delay or drop")
        f.report_mode = mode
        f.report_delay = float(cmd["delay"]) if "delay" in cmd else None
        f.report_status = int(cmd.get("status", 0x41))
        count = cmd.get("count")
        f.report_count = int(count) if count is not None else None
        return {}

    def cmd_clear_faults(self, cmd: Event) -> Event:
        from modem.sim.state import Faults

        self.core.faults = Faults()
        return {}

    def cmd_send_urc(self, cmd: Event) -> Event:
        self.core.urc(str(need(cmd, "line")))
        return {}

    def cmd_config(self, cmd: Event) -> Event:
        conf = self.core.config
        for key in (
            "cmgs_delay",
            "report_delay",
            "cnma_timeout",
            "redeliver_delay",
            "ussd_delay",
            "customer_delay",
        ):
            if key in cmd:
                setattr(conf, key, float(cmd[key]))
        if "customer" in cmd:
            conf.customer = bool(cmd["customer"])
        return {}

    # ------------------------------------------------------------------ power and USB
    def cmd_reboot(self, cmd: Event) -> Event:
        m = self.core
        if cmd.get("pin_again"):
            m.sim.lock_enabled = True
        m.reboot(float(cmd.get("seconds", 2.0)))
        return {}

    def cmd_hang(self, cmd: Event) -> Event:
        self.core.power = "hung"
        self.core.emit({"event": "hung"})
        return {}

    def cmd_unhang(self, cmd: Event) -> Event:
        m = self.core
        if m.power == "hung":
            m.power = "on"
            m.busy = False
            m.flush_urcs()
            m.inbound.pump()
        return {}

    cmd_resume = cmd_unhang

    def cmd_unplug(self, cmd: Event) -> Event:
        m = self.core
        device = m.port.device if m.port else None
        m.unplug()
        m.emit({"event": "unplugged", "device": device})
        return {"device": device}

    def cmd_replug(self, cmd: Event) -> Event:
        m = self.core
        if m.port is not None:
            m.unplug()
        device = m.plug()
        m.emit({"event": "replugged", "device": device})
        listening = "://" in device  # a TCP address listens as soon as it is bound
        return {"device": device, "exists": listening or os.path.exists(device)}
