"""Incoming SMS and status reports, and URC handling, on the modem thread (see ModemService).

Every stored message (+CMTI, +CDSI, or found by a sweep with AT+CMGL=4 over every storage of
AT+CPMS=?, status reports' SR included) and every direct one
(+CMT, +CDS) is handed to the consumer with a token; a stored one is deleted only when the
consumer acks that token (after checking the slot still holds the same PDU), a direct one is
acknowledged with +CNMA when AT+CSMS=1 is in use. A stored message is not handed twice while its
ack is pending; after a reconnect everything still stored is handed again (the core dedupes).
A token the consumer releases (it could not store the message) is forgotten: a stored message
stays and is handed again by a sweep soon (``release``); a direct one is refused with
AT+CNMA=2 so the network delivers it again.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass

from modem.at import urc
from modem.at.channel import CommandError
from modem.codec import gsm7, pdu
from modem.events import DeliveryReport, IncomingSms, UssdResult
from modem.service import health, sms_ops
from modem.service.calls import Calls
from modem.service.direct_acks import DirectAcks
from modem.service.host import ServiceHost

log = logging.getLogger(__name__)
RELEASE_SWEEP_FIRST = 2.0  # seconds from a release to the sweep that hands the slot again
RELEASE_SWEEP_MAX = 60.0  # the wait doubles up to this while releases keep coming


@dataclass(frozen=True)
class _Entry:
    kind: str  # "stored" or "direct"
    storage: str | None
    index: int | None
    raw: str
    generation: int  # connection number (a +CNMA is only valid on the same connection)


class Incoming:
    """Everything that comes in: URCs, stored and direct messages and reports, USSD answers.

    It owns the tokens handed out, the acks still to do (kept across a reconnect), the sweep
    schedule and the USSD code waiting for its answer; the service asks ``busy`` / ``has_acks`` /
    ``sweep_due`` / ``ussd_due`` what to do next.
    """

    def __init__(self, svc: ServiceHost, *, sweep_interval: float = 30.0) -> None:
        self.svc = svc
        self.storage = "SM"
        self.direct = DirectAcks(svc, self.sweep_soon)
        self.calls = Calls(svc)  # rings, caller ID, missed calls (RING / +CLIP / NO CARRIER)
        self.sweep_interval = sweep_interval
        self._next_sweep = 0.0
        self._acks: deque[str] = deque()
        self._release_delay = RELEASE_SWEEP_FIRST
        self._ussd_pending: tuple[str, float] | None = None
        self._sim_ready_seen = False
        self._boot_hint: str | None = None
        self._mem1: str | None = None
        self._storages: list[str] = []
        self._available: list[str] | None = None  # AT+CPMS=? of this connection
        self._tokens: dict[str, _Entry] = {}
        self._handed: set[tuple[str, int, str]] = set()
        # what each slot held when last read on this connection: a slot we read and have not
        # deleted cannot change under us unless a notification or a sweep says it did, so
        # deleting it needs no second read
        self._slots: dict[tuple[str, int], str] = {}
        self._ahead: set[tuple[str, int]] = set()  # listed by AT+CMGL=0 before their +CMTI
        self._todo: deque[tuple[str, int]] = deque()
        self._seq = itertools.count(1)
        self._generation = 0

    # --- bookkeeping --------------------------------------------------------------------------

    def on_disconnect(self) -> None:
        self._generation += 1
        self._handed.clear()
        self._slots.clear()
        self._ahead.clear()
        self._todo.clear()
        self.direct.reset()
        self.calls.on_disconnect()
        self._mem1 = None
        self._available = None

    def refuse_stale(self) -> None:
        """On a new connection under AT+CSMS=1: a +CMT or +CDS the modem routed before (to a
        process killed before its core stored it, or drained unread at connect) may still wait
        for its +CNMA, and until it comes (or the modem gives up after its timeout and turns
        routing off) nothing more is routed. AT+CNMA=2 answers it: RP-ERROR, the network keeps
        it and delivers it again (an error such as 340 says nothing waited). Whatever was
        routed up to that answer is handed to the consumer like any other (it comes again
        anyway: the core stores it once) and gets no +CNMA of its own: one would acknowledge
        the next message before anyone stored it."""
        if self.csms != 1:
            return
        self.handle_urcs()
        try:
            self.svc.command("AT+CNMA=2", expect=None)
        except CommandError as exc:
            log.debug("AT+CNMA=2 at connect: %s (nothing was waiting)", exc)
        self.handle_urcs()
        self.direct.forget_waiting()

    def busy(self) -> bool:
        return bool(self._todo)

    def queue_ack(self, token: str) -> None:
        self._acks.append(token)

    @property
    def csms(self) -> int:
        return self.direct.csms

    @csms.setter
    def csms(self, value: int) -> None:
        self.direct.csms = value

    @property
    def cnmi(self) -> str | None:
        return self.direct.cnmi

    @cnmi.setter
    def cnmi(self, value: str | None) -> None:
        self.direct.cnmi = value

    def has_acks(self) -> bool:
        return bool(self._acks) or self.direct.ready()

    def ack_next(self) -> None:
        """Do the oldest ack waiting (put back first in line if the modem fails meanwhile); a
        +CNMA first (the modem routes nothing more until it has it)."""
        if self.direct.ready():
            self.direct.send_next()
        else:
            self.ack(self._acks.popleft())

    def release(self, token: str) -> None:
        """The consumer could not store what it got with ``token``: forget the token. A stored
        message stays in its slot, which may be handed again: the next sweep comes
        RELEASE_SWEEP_FIRST s later, the wait doubling up to RELEASE_SWEEP_MAX while releases
        go on without an ack between them (the regular sweep is never put off). A direct one
        gets AT+CNMA=2 (RP-ERROR, 27.005 §3.4.4) on its own connection, so the network keeps
        it and delivers it again; without AT+CSMS=1 the modem acked it to the network itself
        and there is nothing left to do but say so."""
        entry = self._tokens.pop(token, None)
        if entry is None:
            return  # unknown, settled, or released already
        if entry.kind == "direct":
            if self.direct.waits_for(token):
                self.direct.settle(token, False)
            elif self.csms != 1 and entry.generation == self._generation:
                log.warning("a direct message the consumer could not store was acked by the modem")
            return  # else another connection: that modem gave up waiting; the network retries
        self._handed.discard((entry.storage or "", entry.index or 0, entry.raw))
        delay, self._release_delay = (
            self._release_delay,
            min(self._release_delay * 2, RELEASE_SWEEP_MAX),
        )
        self._next_sweep = min(self._next_sweep, time.monotonic() + delay)

    def next_due(self) -> float:
        """The monotonic time this needs the thread next by itself: the sweep, or the deadline
        of a USSD answer."""
        due = self._next_sweep
        if self._ussd_pending is not None:
            due = min(due, self._ussd_pending[1])
        return due

    def sweep_due(self, now: float) -> bool:
        return now >= self._next_sweep

    def sweep_soon(self) -> None:
        """Make the next idle moment sweep the storages (a message could not be read now)."""
        self._next_sweep = 0.0

    def take_boot_hint(self) -> str | None:
        """A line that may mean the modem restarted (RDY, +CFUN: 1, +CPIN: SIM PIN ...) seen
        since the last call, or None. Only a hint: the service looks for real evidence."""
        hint, self._boot_hint = self._boot_hint, None
        return hint

    def take_sim_ready(self) -> bool:
        """Whether the SIM said it is ready (+CPIN: READY) since the last call."""
        seen, self._sim_ready_seen = self._sim_ready_seen, False
        return seen

    def _token(self, entry: _Entry) -> str:
        token = f"{entry.storage or 'direct'}:{entry.index}:{next(self._seq)}"
        self._tokens[token] = entry
        return token

    def _use(self, storage: str) -> None:
        if self._mem1 != storage:
            self._mem1 = None
            sms_ops.select_read_storage(self.svc.channel, storage, self.svc.command_timeout)
            self._mem1 = storage
        if storage not in self._storages:
            self._storages.append(storage)

    # --- URCs ---------------------------------------------------------------------------------

    def handle_urcs(self) -> None:
        ch = self.svc.channel
        while ch.urcs:
            u = ch.urcs.popleft()
            if isinstance(u, urc.NewMessage | urc.NewStatusReport):
                slot = (u.storage, u.index)
                if slot in self._ahead:  # listed (and handed) before its notification came
                    self._ahead.discard(slot)
                    continue
                if slot in self._slots:  # ours was deleted behind our back: the slot is reused
                    del self._slots[slot]
                self._todo.append(slot)
            elif isinstance(u, urc.DirectMessage | urc.DirectStatusReport):
                entry = _Entry("direct", None, None, u.pdu, self._generation)
                token = self._token(entry)
                self.direct.arrived(token, report=isinstance(u, urc.DirectStatusReport))
                self._emit(token, entry)
            elif isinstance(u, urc.Ring | urc.CallerId | urc.CallEnded):
                self.calls.on_urc(u)
            elif isinstance(u, urc.Registration):
                health.apply_registration(self.svc, u.stat)
            elif isinstance(u, urc.Signal):
                self.svc.set_status(signal=u.rssi)
            elif isinstance(u, urc.Ussd):
                self._ussd(u)
            elif isinstance(u, urc.Boot):
                self._boot_hint = u.line
            elif isinstance(u, urc.SimState) and u.ready:
                self._sim_ready_seen = True
            elif isinstance(u, urc.SimState) and ("PIN" in u.line or "PUK" in u.line):
                self._boot_hint = u.line

    # --- USSD ---------------------------------------------------------------------------------

    def ussd_waiting(self) -> bool:
        return self._ussd_pending is not None

    def start_ussd(self, code: str, timeout: float) -> None:
        try:
            self.svc.command(f'AT+CUSD=1,"{code}",15', expect=None)
        except CommandError as exc:
            self.svc.emit(
                UssdResult(None, code, f"The network refused the USSD code: {exc.reason}")
            )
            return
        self._ussd_pending = (code, time.monotonic() + timeout)

    def ussd_due(self, now: float) -> bool:
        """True (and the code given up, with a UssdResult) when the answer is overdue."""
        if self._ussd_pending is None or now < self._ussd_pending[1]:
            return False
        code, self._ussd_pending = self._ussd_pending[0], None
        self.svc.emit(UssdResult(None, code, "No answer to the USSD code in time."))
        return True

    def _ussd(self, u: urc.Ussd) -> None:
        pending, self._ussd_pending = self._ussd_pending, None
        code = pending[0] if pending else ""
        text = decode_ussd(u.text, u.dcs) if u.text is not None else None
        errors = {
            2: "The network ended the USSD session.",
            3: "Another device answered the USSD session.",
            4: "The network does not support this code.",
            5: "The network did not answer in time.",
        }
        error = errors.get(u.status) if text is None or u.status in (4, 5) else None
        self.svc.emit(UssdResult(text, code, error))
        if u.status == 1:  # the network waits for a reply we will not give: close the session
            try:
                self.svc.command("AT+CUSD=2", expect=None)
            except CommandError:
                pass

    # --- reading ------------------------------------------------------------------------------

    def work(self) -> None:
        """Read what +CMTI / +CDSI announced: one AT+CMGR for one message; for several in the
        same storage one AT+CMGL=0 (the unread ones: whatever was read or handed before is not
        listed again), the rest by AT+CMGR. A slot handed already on this connection is not
        read again."""
        storage, index = self._todo.popleft()
        if self._pending_slot(storage, index):
            return
        same = [slot for slot in self._todo if slot[0] == storage]
        try:
            self._use(storage)
            if same:
                listed = sms_ops.list_unread(self.svc.channel, storage, self.svc.command_timeout)
                if listed is not None:
                    announced = {(storage, index), *same}
                    for entry in listed:
                        if (entry.storage, entry.index) not in announced:
                            self._ahead.add((entry.storage, entry.index))
                        self._hand_stored(entry)
                    if not self._pending_slot(storage, index):
                        self._todo.appendleft((storage, index))  # not listed: read it alone
                    return
            got = sms_ops.read(self.svc.channel, index, self.svc.command_timeout)
        except CommandError:
            self.sweep_soon()  # could not read it now: the sweep will find it
            return
        if got is not None:
            stat, raw = got
            self._hand_stored(sms_ops.StoredPdu(storage, index, stat, raw))

    def _pending_slot(self, storage: str, index: int) -> bool:
        """Whether the slot was read on this connection and is handed, not acked yet."""
        raw = self._slots.get((storage, index))
        return raw is not None and (storage, index, raw) in self._handed

    def sweep(self) -> None:
        """AT+CMGL=4 over every storage the modem has that can hold messages or reports (SR
        too: reports left there by a killed process are never announced again) and every one
        used so far, the working storage first; hands whatever is not pending already. The
        read storage is left where the last listing put it (it is selected again only when
        something must be read or deleted elsewhere)."""
        self._next_sweep = time.monotonic() + self.sweep_interval
        if self._available is None:
            self._available = sms_ops.readable_storages(self.svc.channel, self.svc.command_timeout)
        order = [self.storage, *self._available, *self._storages]
        if self._mem1 in order:  # no switch for the one selected now: list it first or last
            order.remove(self._mem1)
            order.insert(0, self._mem1)
        storages = list(dict.fromkeys(order))
        for storage in storages:
            try:
                self._use(storage)
                found = sms_ops.list_all(self.svc.channel, storage, self.svc.command_timeout)
            except CommandError as exc:
                log.info("sweep of %s failed: %s", storage, exc)
                self._mem1 = None
                continue
            listed = {(e.storage, e.index): e.raw for e in found}
            for slot in [k for k in self._slots if k[0] == storage]:
                if listed.get(slot) != self._slots[slot]:
                    del self._slots[slot]  # emptied or reused behind our back
            for entry in found:
                self._hand_stored(entry)
            if storage == self.storage:
                self.svc.set_status(storage_used=len(found))

    def _hand_stored(self, e: sms_ops.StoredPdu) -> None:
        key = (e.storage, e.index, e.raw)
        if e.stat in (2, 3):  # our own stored outgoing
            return
        self._slots[(e.storage, e.index)] = e.raw
        if key in self._handed:  # pending
            return
        self._handed.add(key)
        self._hand(_Entry("stored", e.storage, e.index, e.raw, self._generation))

    def _hand(self, entry: _Entry) -> None:
        self._emit(self._token(entry), entry)

    def _emit(self, token: str, entry: _Entry) -> None:
        raw = entry.raw
        try:
            decoded = pdu.decode(raw)
        except (pdu.PduError, ValueError) as exc:
            reason = "empty PDU" if not raw else str(exc)
            self.svc.emit(
                IncomingSms(
                    token, raw, None, f"Malformed message: {reason}", entry.storage, entry.index
                )
            )
            return
        if decoded.kind == "status-report":
            st = decoded.status if decoded.status is not None else 0
            self.svc.emit(
                DeliveryReport(
                    token=token,
                    reference=decoded.reference if decoded.reference is not None else -1,
                    number=decoded.number,
                    status=st,
                    delivered=st <= 0x02,
                    final=not 0x20 <= st <= 0x3F,
                    discharge_time=decoded.discharge_time,
                    raw=raw,
                )
            )
        elif decoded.kind == "deliver":
            self.svc.emit(IncomingSms(token, raw, decoded, None, entry.storage, entry.index))
        else:  # an SMS-SUBMIT filed as received: keep it visible rather than lose it
            self.svc.emit(
                IncomingSms(
                    token,
                    raw,
                    None,
                    f"Not an incoming message ({decoded.kind})",
                    entry.storage,
                    entry.index,
                )
            )

    # --- acknowledging ------------------------------------------------------------------------

    def ack(self, token: str) -> None:
        """The consumer stored it: a direct one gets its +CNMA in turn (``DirectAcks``); a
        stored one is deleted."""
        entry = self._tokens.get(token)
        if entry is None:
            return  # unknown or already acknowledged
        try:
            if entry.kind == "direct":
                self.direct.settle(token, True)
            else:
                self._delete(entry)
        except BaseException:
            self._acks.appendleft(token)  # not done: try again after reconnecting
            raise
        self._tokens.pop(token, None)
        self._release_delay = RELEASE_SWEEP_FIRST  # the consumer stores again

    def _delete(self, entry: _Entry) -> None:
        """Delete the slot of ``entry`` if it still holds its PDU. Read on this connection and
        not changed since (no notification or sweep said otherwise): deleted at once. Else
        (handed before a reconnect) it is read first and deleted only if it matches."""
        assert entry.storage is not None and entry.index is not None
        ch = self.svc.channel
        t = self.svc.command_timeout
        slot = (entry.storage, entry.index)
        self._use(entry.storage)
        held: str | None
        if entry.generation == self._generation and self._slots.get(slot) == entry.raw:
            held = entry.raw
        else:
            try:
                got = sms_ops.read(ch, entry.index, t)
            except CommandError:
                got = None
            held = got[1] if got is not None else None
        if held == entry.raw:
            try:
                sms_ops.delete(ch, entry.index, t)
            except CommandError as exc:
                if exc.code != 321:  # 321: the slot is empty already
                    raise
        # whatever was there, no other token may delete this slot now
        for tok, other in list(self._tokens.items()):
            if other.kind == "stored" and (other.storage, other.index) == slot:
                self._tokens.pop(tok, None)
        self._handed.discard((entry.storage, entry.index, entry.raw))
        self._slots.pop(slot, None)
        st = self.svc.status
        if held is not None and st.storage_used:
            self.svc.set_status(storage_used=max(0, st.storage_used - 1))


def _ussd_alphabet(dcs: int | None) -> str:
    """ "gsm7", "ucs2" or "8bit" per TS 23.038 §5 (cell broadcast / USSD coding groups)."""
    if dcs is None:
        return "gsm7"
    group = dcs >> 4
    if group in (0, 2, 3):
        return "gsm7"
    if dcs == 0x11:
        return "ucs2"
    if group in (4, 5, 6, 7, 9):
        return ("gsm7", "8bit", "ucs2", "gsm7")[(dcs >> 2) & 3]
    if group == 0xF:
        return "8bit" if dcs & 0x04 else "gsm7"
    return "gsm7"


def decode_ussd(text: str, dcs: int | None) -> str:
    """USSD text: UCS-2 as hex, Huawei's hex of packed GSM 7-bit, or plain text as most modems
    send it (then returned as is)."""
    clean = text.strip()
    is_hex = len(clean) >= 2 and len(clean) % 2 == 0
    is_hex = is_hex and all(c in "0123456789ABCDEFabcdef" for c in clean)
    alphabet = _ussd_alphabet(dcs)
    if is_hex and alphabet == "ucs2":
        try:
            return bytes.fromhex(clean).decode("utf-16-be")
        except UnicodeDecodeError:
            return text
    if is_hex and alphabet == "gsm7" and len(clean) >= 8 and not clean.isdigit():
        data = bytes.fromhex(clean)
        try:
            decoded = gsm7.decode(gsm7.unpack(data, len(data) * 8 // 7)).rstrip("\r\x00@")
        except ValueError:
            return text
        if decoded and all(ch.isprintable() or ch in "\n\r" for ch in decoded):
            return decoded
    return text
