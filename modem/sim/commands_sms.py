"""SMS configuration and storage commands (27.005 chapter 3): +CMGF +CSMS +CSMP +CSDH +CSCA +CPMS
+CNMI +CNMA +CMMS +CMGL +CMGR +CMGD."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modem.sim.at_parser import Command, Form
from modem.sim.errors import AtError, CmsError
from modem.sim.registry import Handler, Prompt, command
from modem.sim.sms_store import Stat, Storage
from modem.sim.text_mode import message_lines, tpdu_length

if TYPE_CHECKING:
    from modem.sim.core import ModemCore

STAT_LIST_TEXT = '("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")'


def ints(c: Command, code: int = 302) -> list[int | None]:
    try:
        return [None if a is None else int(a) for a in c.args]
    except ValueError:
        raise CmsError(code) from None


def _bool_setting(name: str, attr: str, values: tuple[int, ...] = (0, 1)) -> Handler:
    def handler(m: ModemCore, c: Command) -> list[str]:
        if c.form is Form.TEST:
            return [f"{name}: ({','.join(map(str, values))})"]
        if c.form is Form.READ:
            return [f"{name}: {getattr(m.settings, attr)}"]
        value = (ints(c) or [0])[0] if c.form is Form.SET else 0
        if value not in values:
            raise CmsError(302)
        setattr(m.settings, attr, value)
        return []

    return handler


command("+CMGF")(_bool_setting("+CMGF", "cmgf"))
command("+CSDH")(_bool_setting("+CSDH", "csdh"))
command("+CMMS")(_bool_setting("+CMMS", "cmms", (0, 1, 2)))


@command("+CSMS")
def csms(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CSMS: (0,1)"]
    if c.form is Form.READ:
        return [f"+CSMS: {m.settings.csms},1,1,1"]
    value = (ints(c) or [0])[0] if c.form is Form.SET else 0
    if value not in (0, 1):
        raise CmsError(303)
    m.settings.csms = value
    return ["+CSMS: 1,1,1"]


@command("+CSMP")
def csmp(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return []
    if c.form is Form.READ:
        return ["+CSMP: " + ",".join(map(str, m.settings.csmp))]
    if c.form is not Form.SET:
        raise AtError()
    values = ints(c, 305)
    new = list(m.settings.csmp)
    for i, v in enumerate(values[:4]):
        if v is not None:
            if not 0 <= v <= 255:
                raise CmsError(305)
            new[i] = v
    m.settings.csmp = new
    return []


@command("+CSCA", sim=True, sms=True)
def csca(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return []
    sca = m.network.smsc
    if c.form is Form.READ:
        return [f'+CSCA: "{sca}",{145 if sca.startswith("+") else 129}']
    number = (c.arg(0) or "").strip()
    if c.form is not Form.SET or not number or not number.lstrip("+").isdigit():
        raise CmsError(304 if m.settings.cmgf == 0 else 305)
    m.network.smsc = number
    return []


MEMORIES = ("SM", "ME", "SR")


@command("+CPMS", sim=True, sms=True)
def cpms(m: ModemCore, c: Command) -> list[str]:
    s = m.settings
    if c.form is Form.TEST:
        return ['+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")']
    if c.form is Form.READ:
        return [
            "+CPMS: "
            + ",".join(
                f'"{name}",{m.stores[name].used},{m.stores[name].capacity}' for name in s.cpms
            )
        ]
    if c.form is not Form.SET:
        raise AtError()
    wanted = [(a or "").upper() for a in c.args[:3]]
    if not wanted or not wanted[0]:
        raise CmsError(302)
    new = list(s.cpms)
    for slot, name in enumerate(wanted):
        if not name:
            continue
        if name not in MEMORIES or (slot > 0 and name == "SR"):
            raise CmsError(302)
        new[slot] = name
    s.cpms = new
    s.cpms_set = True
    return ["+CPMS: " + ",".join(f"{m.stores[n].used},{m.stores[n].capacity}" for n in new)]


@command("+CNMI", sim=True, sms=True)
def cnmi(m: ModemCore, c: Command) -> list[str]:
    s = m.settings
    if c.form is Form.TEST:
        return ["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"]
    if c.form is Form.READ:
        return ["+CNMI: " + ",".join(map(str, s.cnmi))]
    if m.profile.cpms_before_cnmi and not s.cpms_set:
        raise CmsError(302)
    values = ints(c, 303) if c.form is Form.SET else []
    new = list(s.cnmi)
    limits = ((0, 1, 2, 3), (0, 1, 2, 3), (0, 1, 2, 3), (0, 1, 2), (0, 1))
    for i, v in enumerate(values[:5]):
        if v is None:
            continue
        if v not in limits[i]:
            raise CmsError(303)
        new[i] = v
    if len(values) > 5:
        raise CmsError(303)
    old_mode = s.cnmi[0]
    s.cnmi = new
    if new[0] != 0 and old_mode == 0:
        m.inbound.flush_ta_buffer(discard=new[4] == 1)
    m.call_later(0.0, m.inbound.pump)
    return []


@command("+CNMA", sms=True)
def cnma(m: ModemCore, c: Command) -> list[str] | Prompt:
    if c.form is Form.TEST:
        return ["+CNMA: (0-2)"] if m.settings.cmgf == 0 else []
    values = ints(c, 304) if c.form is Form.SET else []
    if values and m.settings.cmgf == 1:
        raise CmsError(305)
    n = values[0] if values and values[0] is not None else 0
    if n not in (0, 1, 2):
        raise CmsError(304)
    if m.inbound.awaiting is None or m.settings.csms != 1:
        raise CmsError(340)
    if len(values) > 1 and values[1]:
        return Prompt(lambda _pdu: _ack(m, n))  # an RP-ACK/RP-ERROR TPDU follows; not checked
    return _ack(m, n)


def _ack(m: ModemCore, n: int) -> list[str]:
    m.inbound.acknowledge(ok=n in (0, 1))
    return []


# ---------------------------------------------------------------------- reading and deleting
def _index(m: ModemCore, c: Command, store: Storage) -> int:
    try:
        index = c.int_arg(0)
    except ValueError:
        raise CmsError(321) from None
    if index is None or not store.valid_index(index):
        raise CmsError(321)
    return index


@command("+CMGR", sim=True, sms=True)
def cmgr(m: ModemCore, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return []
    if c.form is not Form.SET:
        raise AtError()
    store = m.storage(0)
    index = _index(m, c, store)
    msg = store.get(index)
    if msg is None:
        if m.profile.cmgr_empty_ok:
            return []
        raise CmsError(321)
    stat = msg.stat
    if msg.stat is Stat.REC_UNREAD:
        msg.stat = Stat.REC_READ
    if m.settings.cmgf == 1:
        return message_lines(m, msg.pdu, head="+CMGR", stat=stat.text, listing=False)
    return [f"+CMGR: {int(stat)},,{tpdu_length(msg.pdu)}", msg.pdu]


@command("+CMGL", sim=True, sms=True)
def cmgl(m: ModemCore, c: Command) -> list[str]:
    text_mode = m.settings.cmgf == 1
    if c.form is Form.TEST:
        return ["+CMGL: " + (STAT_LIST_TEXT if text_mode else "(0-4)")]
    if c.form is Form.READ:
        raise AtError()
    raw = c.arg(0)
    if text_mode:
        wanted = (raw or "REC UNREAD").upper()
        if wanted == "ALL":
            stat = None
        else:
            try:
                stat = Stat.from_text(wanted)
            except KeyError:
                raise CmsError(302) from None
    else:
        try:
            number = int(raw) if raw is not None else 0
        except ValueError:
            raise CmsError(302) from None
        if number not in (0, 1, 2, 3, 4):
            raise CmsError(302)
        stat = None if number == 4 else Stat(number)
    out: list[str] = []
    for msg in m.storage(0).listing(stat):
        shown = msg.stat
        if msg.stat is Stat.REC_UNREAD:
            msg.stat = Stat.REC_READ
        if text_mode:
            lines = message_lines(m, msg.pdu, head="+CMGL", stat=shown.text, listing=True)
            lines[0] = lines[0].replace("+CMGL: ", f"+CMGL: {msg.index},", 1)
            out += lines
        else:
            out += [f"+CMGL: {msg.index},{int(shown)},,{tpdu_length(msg.pdu)}", msg.pdu]
    return out


@command("+CMGD", sim=True, sms=True)
def cmgd(m: ModemCore, c: Command) -> list[str]:
    store = m.storage(0)
    if c.form is Form.TEST:
        used = ",".join(str(i) for i in sorted(store.slots))
        return [f"+CMGD: ({used}),(0-4)"]
    if c.form is not Form.SET:
        raise AtError()
    values = ints(c, 321)
    flag = values[1] if len(values) > 1 and values[1] is not None else 0
    if flag not in (0, 1, 2, 3, 4):
        raise CmsError(302)
    if flag == 0:
        index = values[0] if values else None
        if index is None or not store.valid_index(index):
            raise CmsError(321)
        if store.delete(index):
            m.emit({"event": "deleted", "memory": store.name, "index": index})
        return []
    count = store.delete_flag(flag)
    m.emit({"event": "deleted", "memory": store.name, "flag": flag, "count": count})
    return []
