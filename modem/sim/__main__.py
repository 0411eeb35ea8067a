"""``python -m modem.sim`` / ``textdesk-modem-sim``: the virtual modem with a JSON-lines control
channel (modem.sim.jsonlines, shared with the HTTP devices). Commands come on stdin, events (and
one "reply" per command) go to stdout; the first
line is ``{"event": "ready", "device": "/dev/pts/N"}`` (``"socket://127.0.0.1:PORT"`` with
``--tcp``, ``"rfc2217://127.0.0.1:PORT"`` with ``--rfc2217``). EOF on stdin or {"cmd": "quit"}
stops it.

``--kind hilink`` and ``--kind android`` run the HTTP devices instead (their own servers in
``modem.sim.hilink`` and ``modem.sim.android``, which take the rest of the arguments).
"""

from __future__ import annotations

import argparse
import logging
import sys

from modem.sim.android import server as android_server
from modem.sim.hilink import server as hilink_server
from modem.sim.jsonlines import serve, stdout_emitter
from modem.sim.pty_port import has_pty
from modem.sim.tcp_port import split_address
from modem.sim.vendors import VENDORS
from modem.sim.virtual_modem import VirtualModem

KINDS = ("at", "hilink", "android")
DESCRIPTION = (
    "The virtual GSM modem (AT commands on a pty or TCP) with a JSON-lines control channel."
)


def address(text: str) -> str:
    """argparse type for HOST:PORT: the text itself, or argparse's one-line error."""
    try:
        split_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="textdesk-modem-sim", description=DESCRIPTION)
    p.add_argument("--kind", default="at", choices=KINDS, help="which device (default: at)")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--tcp", metavar="HOST:PORT", type=address, help="serve raw TCP instead of a pty"
    )
    where.add_argument(
        "--rfc2217", metavar="HOST:PORT", type=address, help="serve RFC 2217 instead of a pty"
    )
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


def kind_of(argv: list[str]) -> tuple[str, list[str]]:
    """The ``--kind`` value (default "at") and the other arguments, for the device's own parser."""
    rest: list[str] = []
    kind = "at"
    it = iter(argv)
    for arg in it:
        if arg == "--kind":
            kind = next(it, "")
        elif arg.startswith("--kind="):
            kind = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return kind, rest


def run_other_kind(kind: str, argv: list[str]) -> int:
    """Hand over to the HTTP device's server (imported plainly: a bundle that lacks one fails at
    start, loudly); an unknown kind is one plain line (exit 2)."""
    servers = {"hilink": hilink_server.run_cli, "android": android_server.run_cli}
    run_cli = servers.get(kind)
    if run_cli is None:
        print(
            f"textdesk-modem-sim: --kind {kind} is not available (known: at, {', '.join(servers)})",
            file=sys.stderr,
        )
        return 2
    return int(run_cli(argv))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    kind, rest = kind_of(argv)
    if kind in ("hilink", "android"):
        return run_other_kind(kind, rest)
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    if not (args.tcp or args.rfc2217 or has_pty()):
        print("textdesk-modem-sim: no pseudo-terminals here: serving TCP (see the ready line)",
              file=sys.stderr)  # fmt: skip
        args.tcp = "127.0.0.1:0"
    emit = stdout_emitter()

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
        tcp=args.tcp,
        rfc2217=args.rfc2217,
        on_event=emit,
        record=False,  # events go to stdout; keeping them too would grow without end
    )
    try:
        vm.start()
    except OSError as exc:  # the address is taken, or not ours to listen on
        print(
            f"textdesk-modem-sim: cannot listen on {args.tcp or args.rfc2217}: {exc}",
            file=sys.stderr,
        )
        return 2

    try:
        return serve(vm.control, emit)
    finally:
        vm.stop()


if __name__ == "__main__":
    sys.exit(main())
