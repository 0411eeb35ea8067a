"""SIM PIN handling and network status polling for ModemService (run on the modem thread).

The configured PIN is entered once; a PIN the SIM refused is never tried again by itself (three
wrong PINs lock the SIM). Status polling reads signal, registration, operator and storage use,
and notices when the modem lost the settings we gave it (it restarted behind our back).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from modem.at.channel import CommandError, ModemRestarted
from modem.events import ModemState
from modem.service import init_ops
from modem.service.sms_ops import parse_cpms_query

if TYPE_CHECKING:
    from modem.service.modem_service import ModemService


def check_pin(svc: ModemService) -> None:
    """Ask for the PIN state; enter the configured PIN once; finish init when ready."""
    ch = svc.channel
    deadline = time.monotonic() + svc.sim_busy_wait
    state = init_ops.wait_sim(lambda: init_ops.pin_state(ch, svc.command_timeout), deadline)
    if not state.ready and state.kind == "SIM PIN" and svc._pin and not svc._pin_refused:
        if try_pin(svc, svc._pin):
            state = init_ops.wait_sim(
                lambda: init_ops.pin_state(ch, svc.command_timeout),
                time.monotonic() + svc.sim_busy_wait,
            )
        else:
            return
    if state.ready:
        svc._finish_init()
    elif state.error:
        svc.set_status(state=ModemState.ERROR, pin_kind=None, last_error=state.error)
    elif state.kind == "SIM PIN":
        svc.set_status(
            state=ModemState.PIN_NEEDED,
            pin_kind=state.kind,
            last_error=svc.status.last_error if svc._pin_refused else "Enter the SIM PIN.",
        )
    else:
        puk = "PUK" in (state.kind or "")
        svc.set_status(
            state=ModemState.ERROR if puk else ModemState.PIN_NEEDED,
            pin_kind=state.kind,
            last_error=(
                "The SIM is locked after wrong PINs: it needs its PUK code (put it in a phone)."
                if puk
                else f"The modem asks for {state.kind}."
            ),
        )


def try_pin(svc: ModemService, pin: str) -> bool:
    try:
        init_ops.send_pin(svc.channel, pin, svc.command_timeout)
    except CommandError as exc:
        svc._pin_refused = True
        svc.set_status(
            state=ModemState.PIN_NEEDED,
            pin_kind="SIM PIN",
            last_error=(
                "The SIM refused that PIN. TextDesk will not try it again by itself: enter the "
                "right PIN (after 3 wrong PINs the SIM locks and needs its PUK)."
                if exc.code in (16, None) or exc.kind == "error"
                else f"The PIN could not be entered: {exc.reason}"
            ),
        )
        return False
    svc._pin, svc._pin_refused = pin, False
    return True


def enter_user_pin(svc: ModemService, pin: str) -> None:
    ch = svc.channel
    try:
        state = init_ops.pin_state(ch, svc.command_timeout)
    except init_ops.SimBusy:
        svc._pins.appendleft(pin)
        svc._sleep(0.3)
        return
    if state.ready:
        if not svc._sim_ready:
            svc._finish_init()
        return
    if try_pin(svc, pin):
        check_pin(svc)


def poll_status(svc: ModemService) -> None:
    ch = svc.channel
    t = svc.command_timeout
    svc._next_poll = time.monotonic() + svc.poll_interval
    if not init_ops.cnmi_intact(ch, svc._cnmi, t):
        raise ModemRestarted("settings lost")
    rssi = init_ops.signal(ch, t)
    stat = init_ops.registration(ch, t)
    op = init_ops.operator(ch, t)
    counts = None
    resp = init_ops.optional(ch, "AT+CPMS?", t)
    if resp is not None:
        counts = parse_cpms_query(resp.first("+CPMS") or "", svc._incoming.storage)
    apply_registration(svc, stat, signal=rssi, operator=op, counts=counts)


def apply_registration(
    svc: ModemService,
    stat: int | None,
    *,
    signal: int | bool | None = False,
    operator: str | bool | None = False,
    counts: tuple[int, int] | None = None,
) -> None:
    changes: dict[str, object] = {}
    if signal is not False:
        changes["signal"] = signal
    if operator is not False:
        changes["operator"] = operator
    if counts is not None:
        changes["storage_used"], changes["storage_total"] = counts
    if stat is not None:
        changes["registration"] = init_ops.REGISTRATION.get(stat, "unknown")
        registered = stat in (1, 5, 6, 7)
        changes["state"] = ModemState.READY if registered else ModemState.NO_NETWORK
        changes["last_error"] = (
            None
            if registered
            else "Not registered on a network: "
            f"{init_ops.REGISTRATION.get(stat, 'unknown')} (check coverage and the SIM)."
        )
    elif svc.status.state in (ModemState.CONNECTING, ModemState.PIN_NEEDED):
        changes["state"] = ModemState.NO_NETWORK
        changes["last_error"] = "The modem does not say whether it is on a network."
    svc.set_status(**changes)
