"""SIM PIN handling and network status polling for ModemService (run on the modem thread).

The configured PIN is entered once; a PIN the SIM refused is never tried again by itself (three
wrong PINs lock the SIM). Status polling reads signal, registration, operator and storage use,
and notices when the modem lost the settings we gave it (it restarted behind our back).
"""

from __future__ import annotations

import enum
import logging
import time

from modem.at.channel import CommandError, ModemRestarted
from modem.events import ModemState
from modem.service import init_ops
from modem.service.host import ServiceHost
from modem.service.sms_ops import parse_cpms_query

log = logging.getLogger(__name__)


class PinKeeper:
    """The PIN TextDesk may enter: the configured one, then the last one staff typed. After the
    SIM refused it, ``refused`` is set and it is not tried again by itself."""

    def __init__(self, pin: str | None) -> None:
        self.pin = pin
        self.refused = False


class PinEntry(enum.Enum):
    READY = "ready"  # the SIM is unlocked: finish setting up
    BUSY = "busy"  # the SIM is still being read: keep the PIN and try again shortly
    WAITING = "waiting"  # still locked (refused, PUK, ...): the status says why


def _pin_state(svc: ServiceHost) -> init_ops.PinState:
    ch = svc.channel
    return init_ops.wait_sim(
        lambda: init_ops.pin_state(ch, svc.command_timeout), time.monotonic() + svc.sim_busy_wait
    )


def check_pin(svc: ServiceHost, keeper: PinKeeper) -> bool:
    """Ask for the PIN state and enter the kept PIN once. True when the SIM is ready (the caller
    finishes setting up); otherwise the status says what the SIM wants."""
    state = _pin_state(svc)
    if not state.ready and state.kind == "SIM PIN" and keeper.pin and not keeper.refused:
        if not try_pin(svc, keeper, keeper.pin):
            return False
        state = _pin_state(svc)
    if state.ready:
        return True
    if state.error:
        svc.set_status(state=ModemState.ERROR, pin_kind=None, last_error=state.error)
    elif state.kind == "SIM PIN":
        svc.set_status(
            state=ModemState.PIN_NEEDED,
            pin_kind=state.kind,
            last_error=svc.status.last_error if keeper.refused else "Enter the SIM PIN.",
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
    return False


def try_pin(svc: ServiceHost, keeper: PinKeeper, pin: str) -> bool:
    """Enter ``pin``; True when the SIM took it (it is then kept for later restarts)."""
    try:
        init_ops.send_pin(svc.channel, pin, svc.command_timeout)
    except CommandError as exc:
        keeper.refused = True
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
    keeper.pin, keeper.refused = pin, False
    return True


def enter_user_pin(svc: ServiceHost, keeper: PinKeeper, pin: str) -> PinEntry:
    """A PIN staff typed: enter it unless the SIM is ready already."""
    try:
        state = init_ops.pin_state(svc.channel, svc.command_timeout)
    except init_ops.SimBusy:
        return PinEntry.BUSY
    if state.ready:
        return PinEntry.READY
    if try_pin(svc, keeper, pin) and check_pin(svc, keeper):
        return PinEntry.READY
    return PinEntry.WAITING


def restart_evidence(svc: ServiceHost, cnmi: str | None) -> ModemRestarted | None:
    """Real evidence that the modem restarted behind our back, or None: our +CNMI setting
    answered with other values, or the SIM asking for its PIN again. A bare OK, an ERROR or a
    line we cannot read is no evidence (modems answer these queries their own way)."""
    ch = svc.channel
    t = svc.command_timeout
    now = init_ops.cnmi_values(ch, t) if cnmi is not None else None
    if cnmi is not None and now is not None and now[:2] != cnmi.split(",")[:2]:
        return ModemRestarted(
            f"the modem's +CNMI is {','.join(now)}, not the {cnmi} TextDesk set",
            expected=f"+CNMI: {cnmi}",
        )
    try:
        pin = init_ops.pin_state(ch, t)
    except (init_ops.SimBusy, CommandError):
        return None
    if not pin.ready and pin.kind:
        return ModemRestarted(
            f"the SIM asks for its {pin.kind.removeprefix('SIM ')} again",
            expected="+CPIN: READY",
        )
    return None


def weigh_boot_hint(svc: ServiceHost, hint: str, cnmi: str | None) -> None:
    """A boot-looking line (RDY, +CFUN: 1, +CPIN: SIM PIN ...) came while serving. Vendors
    print these at any time, so it is a restart only with real evidence, raised as
    ModemRestarted: the echo back on (seen on the AT sent here), our +CNMI gone, or the SIM
    asking for its PIN again. Otherwise nothing changes."""
    ch = svc.channel
    try:
        svc.command("AT", expect=None)
    except CommandError:
        pass
    if ch.echo_seen and ch.echo_off:
        raise ModemRestarted(
            f"it printed {hint!r} and its echo came back on", expected="no echo (set with ATE0)"
        )
    evidence = restart_evidence(svc, cnmi)
    if evidence is not None:
        raise evidence
    log.info("the modem printed %r but kept its settings: carrying on", hint)


def poll_status(svc: ServiceHost, cnmi: str | None, storage: str) -> None:
    """Signal, registration, operator and storage use; ModemRestarted when the modem shows it
    lost the settings we gave it (see ``restart_evidence``)."""
    ch = svc.channel
    t = svc.command_timeout
    evidence = restart_evidence(svc, cnmi)
    if evidence is not None:
        raise evidence
    rssi = init_ops.signal(ch, t)
    stat = init_ops.registration(ch, t)
    op = init_ops.operator(ch, t)
    counts = None
    resp = init_ops.optional(ch, "AT+CPMS?", t)
    if resp is not None:
        counts = parse_cpms_query(resp.first("+CPMS") or "", storage)
    apply_registration(svc, stat, signal=rssi, operator=op, counts=counts)


UNKNOWN_REGISTRATION = "unknown"
_NOT_REGISTERED = (0, 2, 3)  # +CREG stat that say "not on a network"; 4 says "unknown"


def apply_registration(
    svc: ServiceHost,
    stat: int | None,
    *,
    signal: int | bool | None = False,
    operator: str | bool | None = False,
    counts: tuple[int, int] | None = None,
) -> None:
    """What a registration answer (``stat``; None when the modem did not say) means.

    Registered (1, 5, 6, 7): READY. Not registered (0, 2, 3): NO_NETWORK with the reason.
    Unknown (None, 4): no evidence, so nothing is held: a modem setting up, or held only by
    a "no network" answer to a send, becomes READY with registration "unknown" and the next
    send finds out (see ``no_service``); a positive "not registered" stays until the modem
    says otherwise."""
    changes: dict[str, object] = {}
    if signal is not False:
        changes["signal"] = signal
    if operator is not False:
        changes["operator"] = operator
    if counts is not None:
        changes["storage_used"], changes["storage_total"] = counts
    st = svc.status
    if stat is not None and stat != 4:
        changes["registration"] = init_ops.REGISTRATION.get(stat, f"status {stat}")
        registered = stat not in _NOT_REGISTERED
        changes["state"] = ModemState.READY if registered else ModemState.NO_NETWORK
        changes["last_error"] = (
            None
            if registered
            else "Not registered on a network: "
            f"{init_ops.REGISTRATION.get(stat, 'unknown')} (check coverage and the SIM)."
        )
    elif st.state in (ModemState.CONNECTING, ModemState.PIN_NEEDED) or (
        st.state == ModemState.NO_NETWORK and st.registration in (None, UNKNOWN_REGISTRATION)
    ):
        changes["registration"] = UNKNOWN_REGISTRATION
        changes["state"] = ModemState.READY
        changes["last_error"] = None
    svc.set_status(**changes)


# +CMS / +CME codes with which the network says it has no service for us right now
NO_SERVICE_CMS = frozenset({331})
NO_SERVICE_CME = frozenset({30, 32})


def no_service(svc: ServiceHost, reason: str) -> None:
    """A send was answered "no network": that is the truth, whatever registration said. Hold
    the queue (NO_NETWORK) with the reason; the next status poll lets a send try again unless
    the modem says positively that it is not registered."""
    svc.set_status(
        state=ModemState.NO_NETWORK,
        last_error=f"The network refused to send: {reason} Messages wait until it takes them.",
    )
