"""+CMS ERROR and +CME ERROR codes in plain words, and whether trying again later can help.

Sources: 3GPP TS 27.005 §3.2.5 (+CMS), TS 24.011 Annex E-2 (RP causes 0..127), TS 23.040 §9.2.3.22
(TP-FCS 128..255), TS 27.007 §9.2 (+CME), plus the manufacturer-specific codes (512 and up) that
common USB modems (Huawei, ZTE, Sierra/Wavecom, SIMCom, Quectel) actually return.

"Retryable" means: the same message may well go through if sent again later, without anyone
changing it (no network, congestion, modem or SIM busy, temporary failure). Not retryable: the
number, the message or the subscription is wrong, and resending the same thing will fail again.
"""

from __future__ import annotations

from typing import NamedTuple


class ErrorInfo(NamedTuple):
    text: str
    retryable: bool


def _e(text: str, retryable: bool) -> ErrorInfo:
    return ErrorInfo(text, retryable)


CMS_ERRORS: dict[int, ErrorInfo] = {
    # --- network (RP cause, TS 24.011 E-2) ---
    1: _e("The number does not exist (unassigned number).", False),
    8: _e("The operator has barred this SIM from sending.", False),
    10: _e("Sending to this number is barred.", False),
    17: _e("The network is busy right now.", True),
    21: _e("The network rejected the message.", False),
    22: _e("The network is congested or the recipient's memory is full.", True),
    27: _e("The recipient's phone is out of service.", True),
    28: _e("The number is not known to the network.", False),
    29: _e("The network refused the request (facility rejected).", False),
    30: _e("The recipient is not a known subscriber.", False),
    38: _e("The network is out of order.", True),
    41: _e("A temporary network failure.", True),
    42: _e("The network is congested.", True),
    47: _e("Network resources are unavailable right now.", True),
    50: _e("The SIM's plan does not include this service.", False),
    69: _e("The network does not support this service.", False),
    81: _e("The network lost track of the message (invalid reference).", True),
    95: _e("The network says the message is invalid.", False),
    96: _e("The message is missing required information.", False),
    97: _e("The network does not know this kind of message.", False),
    98: _e("The message arrived at a bad moment for the network.", True),
    99: _e("The network does not support a part of the message.", False),
    111: _e("A protocol error between the modem and the network.", False),
    127: _e("An error between networks (interworking).", True),
    # --- SMS centre / TP-FCS (TS 23.040) ---
    128: _e("The SMS centre cannot deliver to this kind of destination.", False),
    129: _e("The SMS centre does not support this message type.", False),
    130: _e("The SMS centre cannot replace the message.", False),
    143: _e("The SMS centre rejected the message's protocol setting.", False),
    144: _e("The SMS centre does not support this character set.", False),
    145: _e("The SMS centre does not support this message class.", False),
    159: _e("The SMS centre rejected the message's coding.", False),
    160: _e("The SMS centre cannot carry out the command.", False),
    161: _e("The SMS centre does not support the command.", False),
    175: _e("The SMS centre rejected the command.", False),
    176: _e("The SMS centre does not support this message format.", False),
    192: _e("The SMS centre is busy.", True),
    193: _e("The SIM has no subscription with the SMS centre.", False),
    194: _e("The SMS centre has a system failure.", True),
    195: _e("The SMS centre says the number is invalid.", False),
    196: _e("The recipient is barred.", False),
    197: _e("The SMS centre rejected it as a duplicate.", False),
    198: _e("The SMS centre does not support the validity-period format.", False),
    199: _e("The SMS centre does not support the validity period.", False),
    208: _e("The SIM's message storage is full.", True),
    209: _e("The SIM cannot store messages.", False),
    210: _e("An error in the modem.", True),
    211: _e("The modem's memory is full.", True),
    212: _e("The SIM toolkit is busy.", True),
    213: _e("The SIM data download failed.", True),
    255: _e("The SMS centre gave no reason.", True),
    # --- modem / SIM (TS 27.005 300..) ---
    300: _e("The modem failed.", True),
    301: _e("The modem's SMS service is reserved.", True),
    302: _e("The modem does not allow this right now.", True),
    303: _e("The modem does not support this.", False),
    304: _e("The modem rejected the message format (invalid PDU).", False),
    305: _e("The modem rejected a text-mode parameter.", False),
    310: _e("No SIM card is inserted.", True),
    311: _e("The SIM needs its PIN.", True),
    312: _e("The modem needs its phone-lock PIN.", True),
    313: _e("The SIM card failed.", True),
    314: _e("The SIM card is busy.", True),
    315: _e("The SIM card is the wrong one.", True),
    316: _e("The SIM is locked and needs its PUK code.", True),
    317: _e("The SIM needs its PIN2.", True),
    318: _e("The SIM needs its PUK2.", True),
    320: _e("The modem's memory failed.", True),
    321: _e("No message is stored at that position.", False),
    322: _e("The message storage is full.", True),
    330: _e("The SMS centre number is not set on the SIM.", True),
    331: _e("No network: the modem is not registered.", True),
    332: _e("The network did not answer in time.", True),
    340: _e("No acknowledgement was expected.", False),
    500: _e("The modem reported an unknown error.", True),
    # --- manufacturer specific (Sierra/Wavecom, Huawei, SIMCom, Quectel) ---
    512: _e("The modem could not reach the network (MM establishment failure).", True),
    513: _e("The radio link to the network failed.", True),
    514: _e("A protocol error with the network.", True),
    515: _e("The modem is still starting up or busy.", True),
    517: _e("The SIM toolkit is not supported.", False),
    527: _e("The modem's radio is busy.", True),
    528: _e("Location update failed: emergency calls only.", True),
    531: _e("The number is not in the SIM's fixed dialling list.", False),
    532: _e("The modem is not registered on a network.", True),
}

CME_ERRORS: dict[int, ErrorInfo] = {
    0: _e("The modem failed.", True),
    1: _e("No connection to the phone.", True),
    2: _e("The phone link is reserved.", True),
    3: _e("The modem does not allow this right now.", True),
    4: _e("The modem does not support this.", False),
    5: _e("The modem needs its phone-lock PIN.", False),
    6: _e("The modem needs its phone-lock PIN.", False),
    7: _e("The modem needs its phone-lock PUK.", False),
    10: _e("No SIM card is inserted.", True),
    11: _e("The SIM needs its PIN.", False),
    12: _e("The SIM is locked and needs its PUK code.", False),
    13: _e("The SIM card failed.", True),
    14: _e("The SIM card is busy.", True),
    15: _e("The SIM card is the wrong one.", False),
    16: _e("The PIN was wrong.", False),
    17: _e("The SIM needs its PIN2.", False),
    18: _e("The SIM needs its PUK2.", False),
    20: _e("The memory is full.", True),
    21: _e("No entry at that position.", False),
    22: _e("Not found.", False),
    23: _e("The memory failed.", True),
    24: _e("The text is too long.", False),
    25: _e("The text has characters the modem cannot take.", False),
    26: _e("The number is too long.", False),
    27: _e("The number has characters the modem cannot take.", False),
    30: _e("No network service.", True),
    31: _e("The network did not answer in time.", True),
    32: _e("The network allows emergency calls only.", True),
    40: _e("The modem needs its network-lock PIN.", False),
    100: _e("The modem reported an unknown error.", True),
    103: _e("The network rejected the SIM (illegal MS).", False),
    106: _e("The network rejected the modem (illegal ME).", False),
    107: _e("Data services are not allowed.", False),
    111: _e("This network is not allowed.", False),
    112: _e("This area is not allowed.", True),
    113: _e("Roaming is not allowed here.", True),
    148: _e("Unspecified data-service error.", True),
    149: _e("Data-service authentication failed.", False),
    150: _e("Invalid mobile class.", False),
    260: _e("The modem does not allow this right now.", True),
}

# Text forms (AT+CMEE=2, or modems that ignore CMEE=1) -> code.
_CME_TEXT: dict[str, int] = {
    "phone failure": 0,
    "operation not allowed": 3,
    "operation not supported": 4,
    "sim not inserted": 10,
    "sim pin required": 11,
    "sim puk required": 12,
    "sim failure": 13,
    "sim busy": 14,
    "sim wrong": 15,
    "incorrect password": 16,
    "sim pin2 required": 17,
    "sim puk2 required": 18,
    "memory full": 20,
    "invalid index": 21,
    "not found": 22,
    "memory failure": 23,
    "no network service": 30,
    "network timeout": 31,
    "unknown": 100,
    "unknown error": 100,
}
_CMS_TEXT: dict[str, int] = {
    "me failure": 300,
    "operation not allowed": 302,
    "operation not supported": 303,
    "invalid pdu mode parameter": 304,
    "invalid text mode parameter": 305,
    "sim not inserted": 310,
    "sim pin required": 311,
    "sim failure": 313,
    "sim busy": 314,
    "sim puk required": 316,
    "memory failure": 320,
    "invalid memory index": 321,
    "memory full": 322,
    "smsc address unknown": 330,
    "no network service": 331,
    "network timeout": 332,
    "unknown error": 500,
}


def code_from_text(kind: str, value: str) -> int | None:
    """The numeric code for ``+CME ERROR: <value>`` / ``+CMS ERROR: <value>`` (digits or text)."""
    value = value.strip().strip('"')
    if value.isdigit():
        return int(value)
    table = _CMS_TEXT if kind == "cms" else _CME_TEXT
    return table.get(value.lower())


def describe_cms(code: int | None) -> str:
    """Plain words for a +CMS ERROR code, for staff."""
    if code is None:
        return "The modem refused the message without saying why."
    info = CMS_ERRORS.get(code)
    if info is not None:
        return info.text
    if 0 <= code <= 127:
        return f"The network refused the message (cause {code})."
    if 128 <= code <= 255:
        return f"The SMS centre refused the message (code {code})."
    return f"The modem reported error {code}."


def is_retryable_cms(code: int | None) -> bool:
    """Whether sending the same message again later can help.

    Unknown network codes (0..255) count as permanent, so a message that cannot go through is not
    sent over and over; unknown modem and manufacturer codes (300 and up) count as temporary.
    """
    if code is None:
        return True
    info = CMS_ERRORS.get(code)
    if info is not None:
        return info.retryable
    return code >= 300


def describe_cme(code: int | None) -> str:
    """Plain words for a +CME ERROR code."""
    if code is None:
        return "The modem refused the command without saying why."
    info = CME_ERRORS.get(code)
    return info.text if info is not None else f"The modem reported error {code}."


def is_retryable_cme(code: int | None) -> bool:
    if code is None:
        return True
    info = CME_ERRORS.get(code)
    return info.retryable if info is not None else True
