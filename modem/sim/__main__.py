"""``python -m modem.sim`` / ``textdesk-modem-sim``: the virtual modem with a JSON-lines control
channel. Commands come on stdin, events (and one "reply" per command) go to stdout; the first
line is ``{"event": "ready", "device": "/dev/pts/N"}``. EOF on stdin or {"cmd": "quit"} stops it.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from modem.sim.vendors import VENDORS
from modem.sim.virtual_modem import VirtualModem


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="textdesk-modem-sim", description=__doc__.split("\n")[0])
    p.add_argument("--vendor", default="generic", choices=sorted(VENDORS))
    p.add_argument("--pin", help="the SIM asks for this PIN at power-on")
    p.add_argument("--puk", default="12345678")
    p.add_argument("--baud", type=int, help="pace the line at this baud rate (e.g. 115200)")
    p.add_argument("--cmgs-delay", type=float, default=0.0, help="seconds before +CMGS answers")
    p.add_argument("--report-delay", type=float, default=0.2, help="seconds to a status report")
    p.add_argument("--cnma-timeout", type=float, default=5.0)
    p.add_argument("--sim-busy", type=float, help="override the vendor's SIM-busy seconds")
    p.add_argument("--customer", action="store_true", help="answer the shop like a customer")
    p.add_argument("--customer-delay", type=float, default=1.0)
    p.add_argument("--link", help="keep a symlink to the current device here")
    p.add_argument("--trace", action="store_true", help="report every AT line as an event")
    p.add_argument("--ussd-text", help="the network's answer to USSD requests")
    p.add_argument("--seed", type=int)
    p.add_argument("--log-level", default="WARNING")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    out_lock = threading.Lock()

    def emit(event: dict) -> None:
        line = json.dumps(event, ensure_ascii=False)
        with out_lock:
            try:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            except (BrokenPipeError, ValueError):
                pass

    vm = VirtualModem(
        args.vendor,
        pin=args.pin,
        puk=args.puk,
        baud=args.baud,
        cmgs_delay=args.cmgs_delay,
        report_delay=args.report_delay,
        cnma_timeout=args.cnma_timeout,
        sim_busy=args.sim_busy,
        customer=args.customer,
        customer_delay=args.customer_delay,
        link=args.link,
        trace=args.trace,
        ussd_text=args.ussd_text,
        seed=args.seed,
        on_event=emit,
        record=False,  # events go to stdout; keeping them too would grow without end
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    vm.start()

    def read_commands() -> None:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line)
                if not isinstance(cmd, dict):
                    raise ValueError("a command is a JSON object")
            except ValueError as exc:
                emit({"event": "reply", "ok": False, "error": f"bad command: {exc}"})
                continue
            if cmd.get("cmd") == "quit":
                emit({"event": "reply", "id": cmd.get("id"), "ok": True})
                break
            try:
                reply = vm.control(cmd) or {}
            except Exception as exc:  # never die from one command
                logging.exception("control command failed")
                reply = {"ok": False, "error": repr(exc)}
            emit({"event": "reply", "id": cmd.get("id"), **reply})
        stop.set()

    threading.Thread(target=read_commands, daemon=True, name="sim-stdin").start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    vm.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
