"""Vendor profiles: what the common USB / embedded GSM modems do differently.

Every quirk the simulator knows is a field of :class:`VendorProfile`, set per vendor below with a
note on where it comes from. ``generic`` follows 3GPP TS 27.007 / 27.005 to the letter.

Quirks (all observed in the field or documented by the makers):

* ``sim_busy``: for this many seconds after power-on the SIM is still being read; +CPIN? and every
  command needing the SIM answer ``+CME ERROR: 14`` (SIM busy). Huawei E-series, SIMCom SIM800
  (until "SMS Ready"), ZTE MF-series and Quectel all do this for a second or two.
* ``cpin_no_ok``: +CPIN? answers ``+CPIN: READY`` without the final ``OK`` (old Wavecom firmware;
  python-gsmmodem carries a workaround for it, issue #19).
* ``refused``: commands the model answers with ERROR although the standard has them. Huawei E173
  refuses ``AT+CGREG=2`` (it only knows modes 0/1 for +CGREG); Wavecom has no AT+CLAC.
* ``cpms_before_cnmi``: ZTE MF-series refuse ``AT+CNMI`` with ``+CMS ERROR: 302`` until the storage
  was chosen with ``AT+CPMS`` after power-on.
* ``boot_urcs``: lines the modem prints by itself after power-on, with their delay: Quectel's
  ``RDY``/``+QIND: SMS DONE``, SIMCom's ``Call Ready``/``SMS Ready``, Huawei's ``^SIMST``/``^MODE``,
  Wavecom's ``+WIND: n``, ZTE's ``+ZUSIMR``.
* ``periodic_urcs``: Huawei sticks ``^BOOT:...`` into the line every few seconds (until ^CURC=0).
* ``signal_urc`` / ``registration_urc``: Huawei ``^RSSI: n`` and ``^MODE: 5,4``, ZTE ``+ZPASR``.
* ``iccid``: which command reads the ICCID and how the answer is prefixed: ``+CCID: ...`` (generic),
  ``^ICCID: ...`` (Huawei), bare digits to ``AT+CCID`` (SIMCom), ``+QCCID: ...`` (Quectel).
* ``index_base``: Huawei numbers SIM slots from 0, everybody else from 1.
* ``cmgr_empty_ok``: AT+CMGR of an empty slot answers just ``OK`` (SIMCom) instead of
  ``+CMS ERROR: 321``.
* ``sms_pin_cme``: SMS commands while the SIM is locked answer ``+CME ERROR: 11`` (Huawei, ZTE)
  instead of the 27.005 ``+CMS ERROR: 311``.
* ``cpin_ready_urc``: after a correct PIN the modem also prints ``+CPIN: READY`` unsolicited
  (SIMCom, Quectel), and ``SMS Ready``-style lines follow.
* ``ussd_packed``: Huawei sends and expects USSD strings as hex of packed GSM 7-bit septets unless
  ``AT^USSDMODE=0`` selects plain text.
* ``extra_commands``: vendor commands answered with OK (so AT+CLAC lists them and init scripts that
  use them work): ^CURC, ^USSDMODE, ^CVOICE (Huawei), +ZPAS (ZTE), +WIND (Wavecom), ...
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class VendorProfile:
    name: str
    manufacturer: str
    model: str
    revision: str
    imei: str = "356938035643809"
    index_base: int = 1
    capacity: dict[str, int] = field(default_factory=lambda: {"SM": 30, "ME": 100, "SR": 20})
    sim_busy: float = 0.0
    cpin_no_ok: bool = False
    refused: tuple[str, ...] = ()
    cpms_before_cnmi: bool = False
    boot_urcs: tuple[tuple[float, str], ...] = ()
    periodic_urcs: tuple[tuple[float, str], ...] = ()
    signal_urc: str | None = None
    registration_urc: str | None = None
    iccid: dict[str, str] = field(default_factory=lambda: {"+CCID": "+CCID: "})
    cmgr_empty_ok: bool = False
    sms_pin_cme: bool = False
    cpin_ready_urc: bool = False
    ussd_packed: bool = False
    extra_commands: tuple[str, ...] = ()
    clac: bool = True


GENERIC = VendorProfile(
    name="generic",
    manufacturer="TextDesk",
    model="Virtual GSM Modem",
    revision="1.0.0",
)

HUAWEI = VendorProfile(
    name="huawei",
    manufacturer="huawei",
    model="E173",
    revision="11.126.85.00.209",
    imei="353142040123456",
    index_base=0,
    capacity={"SM": 20, "ME": 100, "SR": 10},
    sim_busy=1.0,
    refused=("+CGREG=2",),
    boot_urcs=((0.2, "^SIMST: 1"), (0.4, "^SRVST: 2"), (0.5, "^MODE: 5,4"), (0.6, "^RSSI: {rssi}")),
    periodic_urcs=((3.0, "^BOOT:20952991,0,0,0,77"),),
    signal_urc="^RSSI: {rssi}",
    registration_urc="^MODE: {mode}",
    iccid={"^ICCID": "^ICCID: "},
    sms_pin_cme=True,
    ussd_packed=True,
    extra_commands=("^CURC", "^USSDMODE", "^CVOICE", "^DTMF", "^SYSCFG", "^PORTSEL", "^U2DIAG"),
)

ZTE = VendorProfile(
    name="zte",
    manufacturer="ZTE INCORPORATED",
    model="MF626",
    revision="BD_P671A2V1.0.0B08",
    imei="358511020123457",
    capacity={"SM": 25, "ME": 100, "SR": 10},
    sim_busy=1.5,
    cpms_before_cnmi=True,
    boot_urcs=((0.3, "+ZUSIMR:2"), (0.6, '+ZPASR: "UMTS"')),
    registration_urc='+ZPASR: "{zpas}"',
    iccid={"+ZGETICCID": "+ZGETICCID: ", "+CCID": "+CCID: "},
    sms_pin_cme=True,
    extra_commands=("+ZPAS", "+ZOPRT", "+ZSNT", "+ZCDRUN"),
)

SIMCOM = VendorProfile(
    name="simcom",
    manufacturer="SIMCOM_Ltd",
    model="SIMCOM_SIM800L",
    revision="Revision:1418B04SIM800L24",
    imei="865067020123458",
    capacity={"SM": 30, "ME": 50, "SR": 10},
    sim_busy=1.4,  # until just before "SMS Ready"
    boot_urcs=(
        (0.1, "RDY"),
        (0.3, "+CFUN: 1"),
        (0.5, "+CPIN: {cpin}"),
        (1.2, "Call Ready"),
        (1.5, "SMS Ready"),
    ),
    iccid={"+CCID": ""},
    cmgr_empty_ok=True,
    cpin_ready_urc=True,
    extra_commands=("+DDET", "+CSCLK", "+CLTS", "+CIURC"),
)

QUECTEL = VendorProfile(
    name="quectel",
    manufacturer="Quectel",
    model="EC25",
    revision="EC25EFAR06A06M4G",
    imei="866758040123459",
    capacity={"SM": 30, "ME": 255, "SR": 20},
    sim_busy=0.9,  # until just before "+QIND: SMS DONE"
    boot_urcs=(
        (0.1, "RDY"),
        (0.3, "+CFUN: 1"),
        (0.5, "+CPIN: {cpin}"),
        (1.0, "+QIND: SMS DONE"),
        (1.1, "+QIND: PB DONE"),
    ),
    iccid={"+QCCID": "+QCCID: ", "+CCID": "+CCID: "},
    cpin_ready_urc=True,
    extra_commands=("+QURCCFG", "+QINDCFG", "+QCFG", "+QSCLK"),
)

WAVECOM = VendorProfile(
    name="wavecom",
    manufacturer="WAVECOM MODEM",
    model="MULTIBAND  900E  1800",
    revision="R7.46.0.201108091301.FXT002 2091568 080911 13:01",
    imei="012345678901232",
    capacity={"SM": 20, "ME": 99, "SR": 10},
    sim_busy=0.8,
    cpin_no_ok=True,
    refused=("+CLAC",),
    boot_urcs=((0.2, "+WIND: 1"), (0.5, "+WIND: 3"), (0.8, "+WIND: 4")),
    extra_commands=("+WIND", "+WOPEN", "+WIPC"),
    clac=False,
)

VENDORS: dict[str, VendorProfile] = {
    p.name: p for p in (GENERIC, HUAWEI, ZTE, SIMCOM, QUECTEL, WAVECOM)
}


def get_vendor(name: str, **overrides: object) -> VendorProfile:
    """The profile called ``name`` (KeyError lists the known ones), with fields overridden."""
    try:
        profile = VENDORS[name.lower()]
    except KeyError:
        raise KeyError(f"unknown vendor {name!r}; known: {', '.join(VENDORS)}") from None
    return replace(profile, **overrides) if overrides else profile  # type: ignore[arg-type]
