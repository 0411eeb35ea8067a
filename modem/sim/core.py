"""The modem itself: bytes in from the pty, AT commands dispatched, answers and URCs out.

One re-entrant lock guards all state. The pty reader thread runs commands; the scheduler thread
runs delayed work (status reports, USSD answers, boot URCs, redeliveries). Nothing here may raise
out to those threads: an exception inside a handler is logged and answered with ERROR.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable

from modem.sim import calls, commands_basic, commands_network, commands_send, commands_sms, framing  # noqa: F401
from modem.sim.at_parser import Assembler, Command, Form, ParseError, find_at, parse_line
from modem.sim.config import SimConfig
from modem.sim.errors import AtError, CmeError, CmsError
from modem.sim.inbound import Inbound
from modem.sim.line import Line
from modem.sim.network import Network
from modem.sim.pty_port import PtyPort
from modem.sim.registry import REGISTRY, NoFinal, Prompt
from modem.sim.scheduler import Scheduler, Timer
from modem.sim.sms_store import Storage
from modem.sim.state import Faults, Settings, SimCard
from modem.sim.tcp_port import TcpPort, split_address

__all__ = ["ModemCore", "SimConfig"]
from modem.sim.event_log import Event
from modem.sim.vendors import VendorProfile

log = logging.getLogger(__name__)

SIM_ERRORS = {  # SIM state -> (+CME code, +CMS code)
    "pin": (11, 311),
    "puk": (12, 316),
    "absent": (10, 310),
    "blocked": (13, 313),
}


class ModemCore:
    profile: VendorProfile
    sim: SimCard

    def __init__(
        self, profile: VendorProfile, config: SimConfig, emit: Callable[[Event], None]
    ) -> None:
        self.profile = profile
        self.config = config
        self._emit = emit
        self.lock = threading.RLock()
        self.rng = random.Random(config.seed)
        self.scheduler = Scheduler()
        self.settings = Settings()
        self.sim = SimCard(puk=config.puk)
        if config.pin is not None:
            self.sim.pin = config.pin
            self.sim.lock_enabled = True
        self.network = Network()
        base = profile.index_base
        self.stores = {name: Storage(name, cap, base) for name, cap in profile.capacity.items()}
        self.faults = Faults()
        self.inbound = Inbound(self)
        self.assembler = Assembler()
        self.port: Line | None = None
        self._listen_port: int | None = None  # the TCP port a replug binds again
        self.power = "off"  # on | off (booting) | hung | unplugged
        self.cfun = 1
        self.busy = False
        self.sim_busy_until = 0.0
        self.tp_mr = 0
        self.prompt: Prompt | None = None
        self.reply_delay = 0.0
        self.after_delay: list[Callable[[], None]] = []  # what happens once reply_delay is over
        self._urc_queue: list[bytes] = []
        self._coalesce: list[bytes] | None = None
        self._late_timer: Timer | None = None
        self._periodic: dict[str, Timer] = {}
        self.generation = 0  # bumped at every power change: stale boot URCs stay quiet
        self.set_since_power_on: set[str] = set()  # for the profile's needs_first
        self.answers = 0  # commands answered since power-on (for the profile's answer_urc)
        self.last_device: str | None = None
        self.call: calls.Call | None = None  # a voice call ringing (modem.sim.calls)

    # ------------------------------------------------------------------ events and timers
    def emit(self, event: Event) -> None:
        try:
            self._emit(event)
        except Exception:
            log.exception("event sink failed")

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        def run() -> None:
            with self.lock:
                try:
                    fn()
                except Exception as exc:
                    log.exception("virtual modem timer failed")
                    self.emit({"event": "error", "error": repr(exc)})

        return self.scheduler.call_later(delay, run)

    # ------------------------------------------------------------------ power and the port
    def plug(self) -> str:
        """Create the line and power on. A replug gets a new pty path (as a USB modem gets a new
        /dev/ttyUSBn) but the same TCP address (as a modem behind ser2net does)."""
        with self.lock:
            self.port = self._open_line()
            self.last_device = self.port.device
            self.power_on()
            return self.port.device

    def _open_line(self) -> Line:
        cfg = self.config
        if cfg.transport == "pty":
            return PtyPort(self.on_data, baud=cfg.baud, link=cfg.link, avoid=self.last_device)
        host, port = split_address(cfg.listen)
        if port == 0 and self._listen_port is not None:
            port = self._listen_port
        line = TcpPort(
            self.on_data,
            host=host,
            port=port,
            baud=cfg.baud,
            rfc2217_mode=cfg.transport == "rfc2217",
            on_client=self._client_changed,
        )
        self._listen_port = line.port
        return line

    def _client_changed(self, connected: bool) -> None:
        """A TCP client came or went; the modem itself carries on."""
        self.emit({"event": "client_connected" if connected else "client_left"})

    def unplug(self) -> None:
        with self.lock:
            port, self.port = self.port, None
            self.power = "unplugged"
            self.generation += 1
            self._stop_periodic()
        if port is not None:
            port.close()

    def shutdown(self) -> None:
        self.unplug()
        self.scheduler.stop()

    def power_on(self) -> None:
        """Cold start: defaults back, SIM asks for its PIN again, vendor boot URCs follow."""
        self.settings = Settings()
        self.assembler.reset()
        self.prompt = None
        self._urc_queue.clear()
        self.cfun = 1
        self.sim.power_on()
        busy = self.profile.sim_busy if self.config.sim_busy is None else self.config.sim_busy
        self.sim_busy_until = time.monotonic() + busy
        self.inbound.power_on()
        self.power = "on"
        self.generation += 1
        self.faults.late_stash = None
        for delay, line in self.profile.boot_urcs:
            self.call_later(delay, functools.partial(self._boot_urc, self.generation, line))
        self.set_since_power_on.clear()
        self.answers = 0
        self._stop_periodic()
        for interval, line in self.profile.periodic_urcs:
            self._start_periodic(interval, line)
        for interval, line in self.profile.chatter:
            self._start_periodic(interval, line, always=True)
        self.call_later(busy + 0.05, self.inbound.pump)

    def _boot_urc(self, generation: int, line: str) -> None:
        if generation == self.generation:
            self.urc(self.vendor_line(line))

    def _start_periodic(self, interval: float, line: str, *, always: bool = False) -> None:
        """Print ``line`` every ``interval`` s; ^CURC=0 stops it unless ``always``."""

        def tick() -> None:
            if self.power != "on":
                return
            if always or self.settings.curc:
                self.urc(self.vendor_line(line))
            self._periodic[line] = self.call_later(interval, tick)

        self._periodic[line] = self.call_later(interval, tick)

    def _stop_periodic(self) -> None:
        for timer in self._periodic.values():
            timer.cancel()
        self._periodic.clear()

    def reboot(self, seconds: float) -> None:
        """Stop answering for ``seconds``, then come back as after power-on."""
        self.power = "off"
        self.generation += 1
        self._stop_periodic()
        self.inbound.power_off()
        self.emit({"event": "rebooting", "seconds": seconds})

        generation = self.generation

        def back() -> None:
            if self.power == "off" and self.generation == generation:  # not re-rebooted since
                self.power_on()
                self.emit({"event": "rebooted"})

        self.call_later(seconds, back)

    def vendor_line(self, template: str) -> str:
        net = self.network
        mode = "5,4" if self.registered else "0,0"
        zpas = "UMTS" if self.registered else "No Service"
        cpin = {"ready": "READY", "pin": "SIM PIN", "puk": "SIM PUK"}.get(
            self.sim.state, "NOT READY"
        )
        return template.format(rssi=net.rssi, mode=mode, zpas=zpas, cpin=cpin)

    # ------------------------------------------------------------------ output
    def write(self, data: bytes) -> None:
        port = self.port
        if port is None or not data or self.power not in ("on",):
            return
        if self.config.trace:
            self.emit({"event": "tx", "data": data.decode("latin-1")})
        port.write(data)

    def urc(self, line: str, *, sms: bool = False) -> None:
        """An unsolicited result code. Held back while a command or a prompt is in progress."""
        data = b"\r\n" + line.encode("latin-1", "replace") + b"\r\n"
        if sms and self.settings.cnmi[0] == 0:
            self.inbound.ta_buffer.append(data)
            return
        self.urc_bytes(data)

    def urc_bytes(self, data: bytes) -> None:
        if self.power != "on":
            return
        if self._coalesce is not None:
            self._coalesce.append(data)
        elif self.busy or self.prompt is not None or self.faults.late_stash is not None:
            self._urc_queue.append(data)
        else:
            self._write_urc(data)

    def _write_urc(self, data: bytes) -> None:
        pause = self.faults.split_pause
        if pause is not None and len(data) > 1:
            self.faults.split_pause = None
            cut = len(data) // 2
            self.write(data[:cut])
            time.sleep(pause)  # the line really stalls mid-URC; everything waits
            self.write(data[cut:])
            self.emit({"event": "split_written", "data": data.decode("latin-1")})
        else:
            self.write(data)

    def coalesce_begin(self) -> None:
        self._coalesce = []

    def coalesce_end(self) -> None:
        chunks, self._coalesce = self._coalesce or [], None
        if chunks:
            self.urc_bytes(b"".join(chunks))

    def flush_urcs(self) -> None:
        if self.busy or self.prompt is not None or self.faults.late_stash is not None:
            return
        queued, self._urc_queue = self._urc_queue, []
        for data in queued:
            self._write_urc(data)

    # ------------------------------------------------------------------ input
    def on_data(self, data: bytes) -> None:
        """Bytes from the client (pty reader thread)."""
        with self.lock:
            if self.power != "on":
                return  # rebooting, hung: the bytes are lost, as on a real UART
            if self.settings.echo:
                self.write(data)
        rest = data
        while rest:
            with self.lock:
                if self.power != "on":
                    return
                events, rest = self.assembler.feed(rest)
            for kind, text in events:
                self._run_event(kind, text)

    def _run_event(self, kind: str, text: str) -> None:
        with self.lock:
            if self.power != "on":
                return
            self.busy = True  # URCs raised while the command runs come after its answer
            try:
                delay, out = self._process(kind, text)
            except Exception as exc:  # never die: log, answer ERROR
                log.exception("virtual modem failed on %r", text[:80])
                self.emit({"event": "error", "error": repr(exc), "input": text[:200]})
                self.prompt = None
                self.assembler.prompt = False
                self.after_delay.clear()
                delay, out = 0.0, self.final(AtError())
            after, self.after_delay = self.after_delay, []
            generation = self.generation
        if delay > 0:
            time.sleep(delay)  # the network (or a slow modem) at work: the next command waits
        with self.lock:
            self.busy = False
            if generation == self.generation:  # not unplugged or rebooted meanwhile
                for fn in after:
                    try:
                        fn()
                    except Exception as exc:
                        log.exception("virtual modem follow-up failed")
                        self.emit({"event": "error", "error": repr(exc)})
            self.write(out)
            self.flush_urcs()

    def _process(self, kind: str, text: str) -> tuple[float, bytes]:
        if kind in ("line", "repeat"):
            self._release_late()
            body = find_at(text)
            if body is None:
                return 0.0, b""
            self.assembler.last_line = text
            if self.config.trace:
                self.emit({"event": "rx", "data": text})
            self.reply_delay = 0.0
            out = framing.answer_urc(self, self.execute(body))
            return self._shape(out)
        if kind == "overflow":
            self.prompt = None
            return 0.0, self.final(AtError())
        prompt, self.prompt = self.prompt, None
        if prompt is None:
            return 0.0, b""
        if kind == "newline":
            self.prompt = prompt
            return 0.0, b"\r\n> "
        if kind == "cancel":
            if prompt.on_cancel:
                prompt.on_cancel()
            return 0.0, self.final(None)
        if self.config.trace:
            self.emit({"event": "rx", "data": text + "\x1a"})
        self.reply_delay = 0.0
        try:
            lines = prompt.on_text(text)
        except AtError as exc:
            return self._shape(self.final(exc))
        return self._shape(self.info(lines) + self.final(None))

    def _shape(self, out: bytes) -> tuple[float, bytes]:
        """Apply the reply faults (garbage, late, slow) to one complete answer."""
        f = self.faults
        if f.garbage_in_reply is not None and out:
            cut = len(out) // 2
            out = out[:cut] + f.garbage_in_reply + out[cut:]
            f.garbage_in_reply = None
        if f.late_after is not None and out and self.prompt is None:
            f.late_stash = out
            self._late_timer = self.call_later(f.late_after, self._release_late)
            f.late_after = None
            self.emit({"event": "late_armed"})
            return 0.0, b""
        delay = self.reply_delay
        if f.slow_seconds > 0 and out:
            delay += f.slow_seconds
            if f.slow_count is not None:
                f.slow_count -= 1
                if f.slow_count <= 0:
                    f.slow_seconds, f.slow_count = 0.0, None
        return delay, out

    def _release_late(self) -> None:
        stash = self.faults.late_stash
        if stash is None:
            return
        self.faults.late_stash = None
        if self._late_timer is not None:
            self._late_timer.cancel()
            self._late_timer = None
        self.write(stash)
        self.emit({"event": "late_reply_sent"})
        if not self.busy:
            self.flush_urcs()

    # ------------------------------------------------------------------ commands
    def execute(self, body: str) -> bytes:
        try:
            commands = parse_line(body)
        except ParseError:
            return self.final(AtError())
        out = bytearray()
        for cmd in commands:
            try:
                result = self.dispatch(cmd)
            except AtError as exc:
                return bytes(out) + self.final(exc)
            except Exception as exc:
                log.exception("handler for %s failed", cmd.name)
                self.emit({"event": "error", "error": repr(exc), "command": cmd.name})
                return bytes(out) + self.final(AtError())
            if cmd.form is Form.SET:
                self.set_since_power_on.add(cmd.name)
            if isinstance(result, Prompt):
                self.prompt = result
                self.assembler.prompt = True
                return bytes(out) + b"\r\n> "
            out += self.info(result)
            if isinstance(result, NoFinal):
                return bytes(out)
        return bytes(out) + self.final(None)

    def dispatch(self, cmd: Command) -> list[str] | Prompt:
        spec = REGISTRY.get(cmd.name)
        if spec is None or self.refused(cmd):
            if cmd.name in self.profile.extra_commands:
                return self._vendor_stub(cmd)
            raise AtError()
        if spec.vendor and not (
            cmd.name in self.profile.extra_commands or cmd.name in self.profile.iccid
        ):
            raise AtError()
        if spec.sim and cmd.form is not Form.TEST:
            self.require_sim(sms=spec.sms)
        if cmd.form is Form.SET:
            for name, first in self.profile.needs_first:
                if cmd.name == name and first not in self.set_since_power_on:
                    raise AtError()
        result = spec.fn(self, cmd)
        if cmd.form is Form.READ and cmd.name + "?" in self.profile.bare_reads:
            return []  # done, but the modem does not say what it holds
        return result

    def refused(self, cmd: Command) -> bool:
        text = cmd.name + ("=" + cmd.raw if cmd.form is Form.SET else "")
        if cmd.form is Form.READ:
            text = cmd.name + "?"
        return any(text.startswith(r) for r in self.profile.refused)

    def _vendor_stub(self, cmd: Command) -> list[str]:
        stubs = self.settings.stubs
        if cmd.form is Form.SET:
            stubs[cmd.name] = cmd.raw
        elif cmd.form is Form.READ:
            return [f"{cmd.name}: {stubs.get(cmd.name, '0')}"]
        return []

    def require_sim(self, *, sms: bool = False) -> None:
        cms = sms and not self.profile.sms_pin_cme
        if self.sim.state != "absent" and time.monotonic() < self.sim_busy_until:
            raise CmsError(314) if cms else CmeError(14)
        codes = SIM_ERRORS.get(self.sim.state)
        if codes is not None:
            raise CmsError(codes[1]) if cms else CmeError(codes[0])

    # ------------------------------------------------------------------ formatting
    def info(self, lines: list[str]) -> bytes:
        return framing.info(self, lines)

    def final(self, exc: AtError | None) -> bytes:
        return framing.final(self, exc)

    # ------------------------------------------------------------------ helpers for handlers
    @property
    def registered(self) -> bool:
        """Registered as a client sees it: a locked or missing SIM means no network service."""
        return self.sim.state == "ready" and self.network.registered

    def reg_stat(self) -> int:
        """<stat> of +CREG/+CGREG: 0 (not registered) until the SIM is unlocked."""
        return self.network.stat if self.sim.state == "ready" else 0

    def next_mr(self) -> int:
        mr = self.tp_mr
        self.tp_mr = (self.tp_mr + 1) % 256
        return mr

    def storage(self, slot: int) -> Storage:
        """The storage chosen for <mem1> (0: read/list/delete), <mem2> (1: write), <mem3> (2)."""
        return self.stores[self.settings.cpms[slot]]
