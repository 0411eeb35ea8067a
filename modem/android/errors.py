"""Plain words for what the SMS Gateway app reports when a text fails, and whether to retry.

The app passes on Android's SmsManager result names (``RESULT_ERROR_LIMIT_EXCEEDED`` ...) in a
recipient's ``error`` or a ``sms:failed`` webhook's ``reason``; ``explain`` finds the name in that
text. An unknown reason is said as the phone gave it and retried (the core bounds attempts).
"""

from __future__ import annotations

from typing import NamedTuple


class Explained(NamedTuple):
    reason: str
    retryable: bool
    tell_staff: bool = False


ASLEEP = (
    "The phone is not answering: open the gateway app, turn battery optimisation off for it "
    "(Android puts it to sleep), and keep the phone on the shop's Wi-Fi."
)
LIMIT = (
    "Android's own limit on texts per hour was reached on the phone: TextDesk will try again "
    "later. If this happens often, send fewer texts at once or raise the limit on the phone."
)
NOTHING_ARRIVES = (
    "No texts have arrived through the phone for a long time: if its Messages app uses chat "
    "features (RCS), turn them off so that customers' texts reach the gateway app."
)

_TABLE: dict[str, Explained] = {
    "RESULT_ERROR_LIMIT_EXCEEDED": Explained(LIMIT, True, True),
    "RESULT_ERROR_GENERIC_FAILURE": Explained("The phone could not send the text (the network refused it).", True),
    "RESULT_ERROR_RADIO_OFF": Explained("The phone's mobile radio is off (flight mode?).", True, True),
    "RESULT_ERROR_NO_SERVICE": Explained("The phone has no mobile network.", True),
    "RESULT_ERROR_NULL_PDU": Explained("The phone could not make the text.", False),
    "RESULT_ERROR_FDN_CHECK_FAILURE": Explained("The phone's SIM only allows fixed numbers (FDN).", False, True),
    "RESULT_ERROR_SHORT_CODE_NOT_ALLOWED": Explained("The phone does not allow texts to short codes.", False),
    "RESULT_ERROR_SHORT_CODE_NEVER_ALLOWED": Explained("The phone never allows texts to this short code.", False),
    "RESULT_NETWORK_REJECT": Explained("The network refused the text.", True),
    "RESULT_INVALID_SMS_FORMAT": Explained("The phone found the text malformed.", False),
    "RESULT_INVALID_ARGUMENTS": Explained("The phone refused the number or the text.", False),
    "RESULT_SMS_SEND_RETRY_FAILED": Explained("The phone tried to send it and gave up.", True),
    "RESULT_NO_DEFAULT_SMS_APP": Explained("The phone needs the gateway app allowed to send texts.", False, True),
    "RESULT_RIL_SMS_SEND_FAIL_RETRY": Explained("The phone's modem asked to try again.", True),
}  # fmt: skip


def explain(text: str | None) -> Explained:
    reason = (text or "").strip()
    for name, known in _TABLE.items():
        if name in reason:
            return known
    if not reason:
        return Explained("The phone could not send the text (it gave no reason).", True)
    return Explained(f"The phone could not send the text: {reason[:200]}", True)
