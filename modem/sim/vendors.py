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
* ``call_end_urc``: what the modem prints when a caller hangs up before anyone answered:
  ``NO CARRIER`` (27.007), Huawei's ``^CEND:<id>,<duration>,<end status>,<cause>``.
* ``extra_commands``: vendor commands answered with OK (so AT+CLAC lists them and init scripts that
  use them work): ^CURC, ^USSDMODE, ^CVOICE (Huawei), +ZPAS (ZTE), +WIND (Wavecom), ...

The terse answers (what made clients that trust every answer give up, issue 10):

* ``bare_reads``: read commands answered with a bare ``OK`` and no information line, e.g.
  ``AT+CNMI?`` on Huawei sticks and phones, ``AT+CREG?`` on ZTE sticks before the first network
  scan finished. The setting still takes effect; the modem just does not say so.
* ``refused`` (above) doubles as "ERROR to optional queries": ``AT+CGREG?``, ``AT+CSCA?``,
  ``AT+CLAC``, ``AT+CIMI``... answered ``ERROR`` by models or firmware that lack them.
* ``blank_lines``: an extra empty line before every information and final line (Sierra and
  u-blox modules in verbose mode, several phones).
* ``chatter``: URCs the modem prints at any time, every few seconds, whatever ^CURC says
  (``^RSSI``, ``+ZPASR``, ``+CIEV``, ``#QSS``, ``+WIND``).
* ``answer_urc``: a URC that lands inside a command's answer, between the echo and the result,
  every ``answer_urc_every`` commands (``^RSSI`` on Huawei, ``+CIEV`` on u-blox).
* ``rewrites``: (regex, replacement) pairs applied to information lines: answers in another
  spacing or case (``+CSQ: 17, 99``, ``+CREG:0,1``, ``+cpms:``...).
* ``needs_first``: (command, prerequisite) pairs: the command answers ``ERROR`` until the
  prerequisite was set since power-on (``AT+CNMI`` before ``AT+CMGF`` on SIMCom and Telit).

Which profile carries which terse answer follows the makers' AT manuals and field reports where
they say; where they are silent, a quirk is placed so that every kind of terse answer is met by
at least two profiles. A profile is a test device, not a certificate for that firmware.
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
    bare_reads: tuple[str, ...] = ()
    blank_lines: bool = False
    chatter: tuple[tuple[float, str], ...] = ()
    answer_urc: str | None = None
    answer_urc_every: int = 4
    rewrites: tuple[tuple[str, str], ...] = ()
    needs_first: tuple[tuple[str, str], ...] = ()
    call_end_urc: str = "NO CARRIER"  # what it prints when a caller gives up ("": nothing)


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
    refused=("+CGREG=2", "+CEREG"),
    boot_urcs=((0.2, "^SIMST: 1"), (0.4, "^SRVST: 2"), (0.5, "^MODE: 5,4"), (0.6, "^RSSI: {rssi}")),
    periodic_urcs=((3.0, "^BOOT:20952991,0,0,0,77"),),
    signal_urc="^RSSI: {rssi}",
    registration_urc="^MODE: {mode}",
    iccid={"^ICCID": "^ICCID: "},
    sms_pin_cme=True,
    ussd_packed=True,
    extra_commands=("^CURC", "^USSDMODE", "^CVOICE", "^DTMF", "^SYSCFG", "^PORTSEL", "^U2DIAG"),
    bare_reads=("+CNMI?",),
    answer_urc="^RSSI: {rssi}",
    call_end_urc="^CEND:1,0,104,16",  # call id, duration, end status, cause 16 (normal)
)

ZTE = VendorProfile(
    name="zte",
    manufacturer="ZTE INCORPORATED",
    model="MF626",
    revision="BD_P671A2V1.0.0B08",
    imei="358511020123457",
    capacity={"SM": 25, "ME": 100, "SR": 10},
    sim_busy=1.5,
    refused=("+CEREG", "+CMMS"),
    cpms_before_cnmi=True,
    boot_urcs=((0.3, "+ZUSIMR:2"), (0.6, '+ZPASR: "UMTS"')),
    registration_urc='+ZPASR: "{zpas}"',
    iccid={"+ZGETICCID": "+ZGETICCID: ", "+CCID": "+CCID: "},
    sms_pin_cme=True,
    extra_commands=("+ZPAS", "+ZOPRT", "+ZSNT", "+ZCDRUN"),
    bare_reads=("+CREG?",),
    chatter=((4.0, '+ZPASR: "{zpas}"'),),
)

SIMCOM = VendorProfile(
    name="simcom",
    manufacturer="SIMCOM_Ltd",
    model="SIMCOM_SIM800L",
    revision="Revision:1418B04SIM800L24",
    imei="865067020123458",
    capacity={"SM": 30, "ME": 50, "SR": 10},
    sim_busy=1.4,  # until just before "SMS Ready"
    refused=("+CEREG",),  # a 2G module: no LTE registration
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
    bare_reads=("+CSCS?",),
    needs_first=(("+CNMI", "+CMGF"),),
)

SIM7600 = VendorProfile(
    name="sim7600",
    manufacturer="SIMCOM INCORPORATED",
    model="SIMCOM_SIM7600E-H",
    revision="+CGMR: LE20B04SIM7600M22",  # the LTE series prefixes its revision
    imei="862636050123451",
    capacity={"SM": 30, "ME": 255, "SR": 20},
    sim_busy=0.9,
    refused=("+CMMS",),
    boot_urcs=((0.1, "RDY"), (0.4, "+CPIN: {cpin}"), (1.0, "SMS DONE"), (1.2, "PB DONE")),
    extra_commands=("+CSCLK", "+CNMP", "+CICCID"),
    bare_reads=("+CNMI?", "+CSCS?"),
    needs_first=(("+CNMI", "+CMGF"),),
    rewrites=((r"^\+CSQ: (\d+),(\d+)$", r"+CSQ: \1,\2 "),),  # a trailing space
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
    bare_reads=("+CSCS?",),
    chatter=((5.0, '+QIND: "csq",{rssi},99'),),
)

SIERRA = VendorProfile(
    name="sierra",
    manufacturer="Sierra Wireless, Incorporated",
    model="MC7710",
    revision="SWI9200X_03.05.29.03ap r6485 CARMD-EV-FRMWR1 2013/05/29 21:41:28",
    imei="359225050123452",
    capacity={"SM": 30, "ME": 100, "SR": 20},
    sim_busy=0.5,
    refused=("+CMMS", "+COPS=3"),
    extra_commands=("!GSTATUS", "!SELRAT", "!BAND"),
    bare_reads=("+CREG?",),
    blank_lines=True,
    rewrites=((r"^\+CSQ: (\d+),(\d+)$", r"+CSQ: \1, \2"),),
)

TELIT = VendorProfile(
    name="telit",
    manufacturer="Telit",
    model="LE910C1-EU",
    revision="25.21.660",
    imei="354938080123453",
    capacity={"SM": 30, "ME": 100, "SR": 20},
    sim_busy=0.6,
    boot_urcs=((0.4, "#QSS: 1"),),
    extra_commands=("#QSS", "#SELINT", "#SMSMODE"),
    needs_first=(("+CNMI", "+CMGF"),),
    chatter=((5.0, "#QSS: 1"),),
    rewrites=((r"^\+CMGS: ", "+CMGS:  "), (r"^\+CREG: (\d),(\d)$", r"+CREG: \1, \2")),
)

UBLOX = VendorProfile(
    name="ublox",
    manufacturer="u-blox",
    model="SARA-U201",
    revision="23.60",
    imei="357520070123454",
    capacity={"SM": 30, "ME": 23, "SR": 20},
    sim_busy=0.7,
    refused=("+CEREG", "+CIMI"),
    extra_commands=("+UPSV", "+UCIND", "+UGPIOC"),
    bare_reads=("+CNMI?",),
    blank_lines=True,
    answer_urc="+CIEV: 2,3",
    answer_urc_every=3,
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
    refused=("+CLAC", "+CEREG"),
    boot_urcs=((0.2, "+WIND: 1"), (0.5, "+WIND: 3"), (0.8, "+WIND: 4")),
    extra_commands=("+WIND", "+WOPEN", "+WIPC"),
    clac=False,
    bare_reads=("+CSCS?",),
    chatter=((6.0, '+WIND: 10,"SM",1,"FD",1,"ON",1'),),
)

PHONE = VendorProfile(
    name="phone",
    manufacturer="Nokia",
    model="Nokia 6230i",
    revision="V 03.88",
    imei="354349011234563",
    capacity={"SM": 20, "ME": 150, "SR": 10},
    refused=("+CLAC", "+CUSD", "+CEREG", "+CGREG", "+CSMS=1", "+CMMS", "+CIMI"),
    clac=False,
    bare_reads=("+CNMI?", "+CREG?"),
    blank_lines=True,
    rewrites=((r"^(\+[A-Z]+): ", r"\1:"), (r"^\+CMGS:", "+cmgs:")),  # "+CSQ:18,99", "+cmgs:5"
)

VENDORS: dict[str, VendorProfile] = {
    p.name: p
    for p in (
        GENERIC,
        HUAWEI,
        ZTE,
        SIMCOM,
        SIM7600,
        QUECTEL,
        SIERRA,
        TELIT,
        UBLOX,
        WAVECOM,
        PHONE,
    )
}


def get_vendor(name: str, **overrides: object) -> VendorProfile:
    """The profile called ``name`` (KeyError lists the known ones), with fields overridden."""
    try:
        profile = VENDORS[name.lower()]
    except KeyError:
        raise KeyError(f"unknown vendor {name!r}; known: {', '.join(VENDORS)}") from None
    return replace(profile, **overrides) if overrides else profile  # type: ignore[arg-type]
