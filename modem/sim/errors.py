"""Error results of the virtual modem: V.250 ERROR, +CME ERROR (27.007 9.2) and +CMS ERROR (27.005 3.2.5).

Handlers raise these; the dispatcher turns them into the text the current AT+CMEE mode asks for.
"""

from __future__ import annotations

CME_TEXT: dict[int, str] = {
    0: "phone failure",
    1: "no connection to phone",
    3: "operation not allowed",
    4: "operation not supported",
    5: "PH-SIM PIN required",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    15: "SIM wrong",
    16: "incorrect password",
    17: "SIM PIN2 required",
    18: "SIM PUK2 required",
    20: "memory full",
    21: "invalid index",
    22: "not found",
    23: "memory failure",
    24: "text string too long",
    25: "invalid characters in text string",
    26: "dial string too long",
    27: "invalid characters in dial string",
    30: "no network service",
    31: "network timeout",
    32: "network not allowed - emergency calls only",
    100: "unknown",
}

CMS_TEXT: dict[int, str] = {
    1: "unassigned (unallocated) number",
    8: "operator determined barring",
    10: "call barred",
    21: "short message transfer rejected",
    27: "destination out of service",
    38: "network out of order",
    41: "temporary failure",
    42: "congestion",
    47: "resources unavailable, unspecified",
    50: "requested facility not subscribed",
    69: "requested facility not implemented",
    96: "invalid mandatory information",
    111: "protocol error, unspecified",
    300: "ME failure",
    301: "SMS service of ME reserved",
    302: "operation not allowed",
    303: "operation not supported",
    304: "invalid PDU mode parameter",
    305: "invalid text mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    312: "PH-SIM PIN required",
    313: "SIM failure",
    314: "SIM busy",
    315: "SIM wrong",
    316: "SIM PUK required",
    320: "memory failure",
    321: "invalid memory index",
    322: "memory full",
    330: "SMSC address unknown",
    331: "no network service",
    332: "network timeout",
    340: "no +CNMA acknowledgement expected",
    500: "unknown error",
}


class AtError(Exception):
    """Plain ERROR (unknown command, syntax error) whatever AT+CMEE says."""


class CmeError(AtError):
    def __init__(self, code: int) -> None:
        super().__init__(f"+CME ERROR: {code}")
        self.code = code


class CmsError(AtError):
    def __init__(self, code: int) -> None:
        super().__init__(f"+CMS ERROR: {code}")
        self.code = code


def error_text(exc: AtError, cmee: int) -> str:
    """The final result line for ``exc`` under AT+CMEE=<cmee> (0 plain, 1 numeric, 2 verbose)."""
    if isinstance(exc, CmeError | CmsError) and cmee in (1, 2):
        prefix = "+CME ERROR" if isinstance(exc, CmeError) else "+CMS ERROR"
        if cmee == 2:
            table = CME_TEXT if isinstance(exc, CmeError) else CMS_TEXT
            return f"{prefix}: {table.get(exc.code, str(exc.code))}"
        return f"{prefix}: {exc.code}"
    return "ERROR"
