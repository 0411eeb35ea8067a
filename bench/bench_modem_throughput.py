"""Send N SMS (mixed single and 2-part) through ModemService to the virtual modem paced at 115200
baud; print SMS/s next to the theoretical link limit for the same messages and next to a plain
python-gsmmodem-new ``GsmModem.sendSms`` loop against the same simulator in the same run.

    .venv/bin/python bench/bench_modem_throughput.py [-n 200] [--baud 115200]

The link limit counts the bytes of the minimal exchange per part, both ways (AT+CMGS=<len>\\r,
"\\r\\n> ", the PDU + Ctrl-Z, "\\r\\n+CMGS: <mr>\\r\\n\\r\\nOK\\r\\n") at baud/10 bytes per second:
AT is stop-and-wait, so the two directions add up. No asserts: figures only.
"""

from __future__ import annotations

import argparse
import queue
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modem.codec import pdu
from modem.events import PartSent, SendFailed, SendJob
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem

NUMBER = "+15551234567"


def messages(n: int) -> list[str]:
    short = "Hi {i}, your repair is ready for pickup. Reply STOP to opt out."
    long = (
        "Hello {i}! Reminder: your appointment is tomorrow at 10:30 at the shop on Main Street. "
        "Please bring your receipt and the charger. Reply C to confirm or R to reschedule."
    )
    return [(long if i % 3 == 0 else short).format(i=i) for i in range(n)]


def link_limit(texts: list[str], baud: int) -> tuple[float, int]:
    """(messages per second, bytes) for the minimal exchange of all parts at ``baud``."""
    total = 0
    for k, text in enumerate(texts):
        for part in pdu.encode_submit(NUMBER, text, concat_ref=k % 256):
            mr = f"{k % 256}"
            total += len(f"AT+CMGS={part.tpdu_length}\r") + len(part.hex) + 1  # to the modem
            total += len("\r\n> ") + len(f"\r\n+CMGS: {mr}\r\n\r\nOK\r\n")  # from the modem
    seconds = total / (baud / 10)
    return len(texts) / seconds, total


def start_sim(baud: int) -> VirtualModem:
    vm = VirtualModem("generic", baud=baud, sim_busy=0.0)
    vm.start()
    vm.control({"cmd": "deliver_report", "mode": "drop"})  # no report traffic in either run
    return vm


def run_service(texts: list[str], baud: int) -> float:
    vm = start_sim(baud)
    events: queue.Queue = queue.Queue()
    svc = ModemService(vm.device, events.put, baudrate=baud)
    svc.start()
    try:
        deadline = time.monotonic() + 60
        while svc.status.state.value != "ready":
            if time.monotonic() > deadline:
                raise RuntimeError(f"modem not ready: {svc.status}")
            time.sleep(0.01)
        parts_of = {i: len(pdu.split(t)[1]) for i, t in enumerate(texts)}
        done: set[int] = set()
        failed = 0
        start = time.perf_counter()
        for i, text in enumerate(texts):
            svc.submit(SendJob(i, NUMBER, text))
        while len(done) < len(texts):
            ev = events.get(timeout=120)
            if isinstance(ev, PartSent) and ev.part == parts_of[ev.job_id]:
                done.add(ev.job_id)  # type: ignore[arg-type]
            elif isinstance(ev, SendFailed):
                failed += 1
                done.add(ev.job_id)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        if failed:
            print(f"  (service: {failed} failed)")
        return len(texts) / elapsed
    finally:
        svc.stop()
        vm.stop()


def run_library(texts: list[str], baud: int) -> float | None:
    try:
        from gsmmodem.modem import GsmModem
    except ImportError:
        return None
    vm = start_sim(baud)
    m = GsmModem(vm.device, baud)
    try:
        m.connect()
        start = time.perf_counter()
        for text in texts:
            m.sendSms(NUMBER, text)
        return len(texts) / (time.perf_counter() - start)
    finally:
        m.close()
        vm.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--baud", type=int, default=115200)
    args = ap.parse_args()
    texts = messages(args.n)
    parts = sum(len(pdu.split(t)[1]) for t in texts)
    limit, nbytes = link_limit(texts, args.baud)
    print(f"{args.n} SMS ({parts} parts) at {args.baud} baud, {nbytes} bytes on the wire minimum")
    ours = run_service(texts, args.baud)
    lib = run_library(texts, args.baud)
    print(f"link limit            {limit:8.1f} SMS/s")
    print(f"ModemService          {ours:8.1f} SMS/s   {ours / limit:5.2f} of the link limit")
    if lib is not None:
        print(f"GsmModem.sendSms loop {lib:8.1f} SMS/s   {lib / limit:5.2f} of the link limit")
        print(f"ModemService / library: {ours / lib:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
