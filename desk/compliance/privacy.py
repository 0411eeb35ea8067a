"""Sensitive data in message text: card numbers, national ID numbers, passwords, IBANs.

``scan`` finds them (the composer warns before sending; the inbox flags incoming messages as
"sensitive"), ``warning_text`` words the confirmation, ``mask`` hides them, and ``mask_message``
replaces a stored body with its masked form for good.

The patterns lean towards precision: a warning nobody believes is worse than none. Card numbers
must pass Luhn, start with a real issuer prefix, have a length that issuer uses and be grouped
like a card (4-4-4-4, 4-6-5, …) or not at all; phone numbers, dates and order numbers are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desk.base.clock import Clock
from desk.store import audit
from desk.store.db import db
from desk.store.models import IncomingPart, Message

CARD, NATIONAL_ID, PASSWORD, IBAN = "card", "national_id", "password", "iban"

LABELS = {
    CARD: "a card number",
    NATIONAL_ID: "an ID number",
    PASSWORD: "a password",
    IBAN: "a bank account number (IBAN)",
}
_PLURALS = {
    CARD: "Card numbers",
    NATIONAL_ID: "ID numbers",
    PASSWORD: "Passwords",
    IBAN: "Bank account numbers",
}
# When two findings overlap, the more specific kind wins.
_PRIORITY = {CARD: 0, IBAN: 1, NATIONAL_ID: 2, PASSWORD: 3}

BULLET = "•"
PASSWORD_MASK = "*****"


@dataclass(frozen=True)
class Finding:
    kind: str  # card | national_id | password | iban
    start: int
    end: int
    label: str  # plain words: "a card number"

    def text(self, source: str) -> str:
        return source[self.start : self.end]


# --- card numbers ---------------------------------------------------------------------------

# Digit groups ("4111", "1111", …); a card is one to five of them in a row, joined by single
# spaces or dashes. Found by a linear walk, never by a backtracking regex: a hostile SMS of
# thousands of digit groups must not stall the inbox.
_GROUP = re.compile(r"[0-9]+")
_MAX_GROUPS = 5  # 4-4-4-4-3 is the longest card grouping
_WORDCH = re.compile(r"\w")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _issuer_lengths(digits: str) -> range | tuple[int, ...]:
    """Lengths the issuer with this prefix uses; empty when no card network starts so."""
    p2 = int(digits[:2])
    p3 = int(digits[:3])
    p4 = int(digits[:4])
    if digits[0] == "4":  # Visa
        return (13, 16, 19)
    if p2 in (34, 37):  # American Express
        return (15,)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:  # Mastercard
        return (16,)
    if p2 == 36 or 300 <= p3 <= 305 or p2 in (38, 39):  # Diners Club
        return (14, 15, 16, 17, 18, 19)
    if 3528 <= p4 <= 3589:  # JCB
        return range(16, 20)
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649 or p2 == 62:  # Discover, UnionPay
        return range(16, 20)
    if p2 == 50 or 56 <= p2 <= 69:  # Maestro and other 5x/6x debit
        return range(13, 20)
    return ()


def _grouping_ok(groups: list[str]) -> bool:
    if len(groups) == 1:
        return True
    sizes = [len(g) for g in groups]
    if sizes in ([4, 6, 5], [4, 6, 4]):  # Amex, Diners
        return True
    # 4-4-4-4, 4-4-4-4-3, 4-4-4-1 …: fours, the last one shorter or equal.
    return all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4


def _is_card(groups: list[str], seps: list[str]) -> bool:
    digits = "".join(groups)
    if not 13 <= len(digits) <= 19:
        return False
    if len(set(seps)) > 1:  # "4111 1111-1111 1111" is not how anyone writes a card
        return False
    if not _grouping_ok(groups):
        return False
    if len(set(digits)) == 1:  # 0000000000000000
        return False
    return len(digits) in _issuer_lengths(digits) and luhn_ok(digits)


def _scan_cards(text: str) -> list[Finding]:
    found: list[Finding] = []
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(text)]
    # Split into runs: consecutive groups joined by exactly one space or dash.
    runs: list[list[tuple[int, int]]] = []
    for g in groups:
        if runs and g[0] - runs[-1][-1][1] == 1 and text[g[0] - 1] in " -":
            runs[-1].append(g)
        else:
            runs.append([g])
    for run in runs:
        i = 0
        while i < len(run):
            best = None
            before = text[run[i][0] - 1] if run[i][0] > 0 else ""
            if not (before and (before == "+" or _WORDCH.match(before))):
                for j in range(min(len(run), i + _MAX_GROUPS), i, -1):
                    end = run[j - 1][1]
                    after = text[end] if end < len(text) else ""
                    if after and _WORDCH.match(after):
                        continue
                    parts = [text[a:b] for a, b in run[i:j]]
                    seps = [text[run[k][1]] for k in range(i, j - 1)]
                    if _is_card(parts, seps):
                        best = j
                        break
            if best is None:
                i += 1
                continue
            found.append(Finding(CARD, run[i][0], run[best - 1][1], LABELS[CARD]))
            i = best
    return found


# --- national ID numbers --------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w\-])(\d{3})([ \-])(\d{2})\2(\d{4})(?![\w\-])")
_UK_NI = re.compile(
    r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])"
    r" ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_UK_NI_BAD_PREFIX = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
_ID_KEYWORD = re.compile(
    r"\b(?:social\s+security(?:\s+(?:number|no\.?|#))?|ssn|sin|nino|"
    r"national\s+(?:id|insurance)(?:\s+(?:number|no\.?|#))?|"
    r"passport(?:\s+(?:number|no\.?|#))?|"
    r"driver'?s?\s+licen[cs]e(?:\s+(?:number|no\.?|#))?|"
    r"tax\s+id(?:\s+(?:number|no\.?|#))?|"
    r"id\s*(?:number|no\.?|#|card(?:\s+(?:number|no\.?))?))"
    r"\s*(?:is|was|:|=|-)?\s*"
    r"(?P<value>[A-Z0-9](?:[A-Z0-9]|[ \-](?=[A-Z0-9])){4,24})",
    re.IGNORECASE,
)
_NOT_PERSONAL_ID = re.compile(
    r"\b(?:order|customer|booking|ticket|tracking|invoice|reference|ref|transaction|"
    r"account|job|case|member)\s*$",
    re.IGNORECASE,
)


def _ssn_ok(area: str, group: str, serial: str) -> bool:
    a = int(area)
    return a != 0 and a != 666 and a < 900 and group != "00" and serial != "0000"


def _scan_national_ids(text: str) -> list[Finding]:
    found = []
    for m in _SSN.finditer(text):
        if _ssn_ok(m.group(1), m.group(3), m.group(4)):
            found.append(Finding(NATIONAL_ID, m.start(), m.end(), LABELS[NATIONAL_ID]))
    for m in _UK_NI.finditer(text):
        if m.group(1).upper() not in _UK_NI_BAD_PREFIX:
            found.append(Finding(NATIONAL_ID, m.start(), m.end(), LABELS[NATIONAL_ID]))
    for m in _ID_KEYWORD.finditer(text):
        value = m.group("value")
        if sum(ch.isdigit() for ch in value) < 4:
            continue
        if _NOT_PERSONAL_ID.search(text[: m.start()]):
            continue
        found.append(Finding(NATIONAL_ID, m.start("value"), m.end("value"), LABELS[NATIONAL_ID]))
    return found


# --- passwords ------------------------------------------------------------------------------

_PW_KEYWORD = re.compile(
    r"\b(?P<kw>passwords?|passwd|pwd|pw|pass\s*code|passcode|pass\s*word|pin(?:\s*(?:code|number|no\.?))?|"
    r"login\s+code|wi-?fi\s+(?:password|key)|security\s+code|cvv|cvc)\b"
    r"(?P<sep>\s*(?:is|was|:|=|-|→)\s*|\s+)"
    r"(?P<value>[^\s]+)",
    re.IGNORECASE,
)
_PW_STOPWORDS = {
    "a", "an", "the", "is", "in", "on", "of", "to", "for", "and", "or", "not", "no", "yes",
    "wrong", "incorrect", "correct", "reset", "expired", "changed", "change", "forgot",
    "forgotten", "please", "again", "working", "work", "doesn't", "does", "did", "was",
    "will", "be", "been", "same", "new", "old", "it", "this", "that", "my", "your", "our",
    "there", "here", "please.", "now", "ok", "okay", "required", "needed", "sent", "below",
    "above", "attached", "too", "still", "also", "just", "with", "at", "by", "from", "me",
    "you", "we", "they", "he", "she", "should", "would", "could", "can", "cant", "can't",
    "has", "have", "had", "locked", "blocked", "later", "tomorrow", "today", "number",
    "code", "manager", "protected", "policy", "box", "field", "hint",
}  # fmt: skip


def _scan_passwords(text: str) -> list[Finding]:
    found = []
    for m in _PW_KEYWORD.finditer(text):
        value = m.group("value").rstrip(".,;!?)\"'")
        if not value:
            continue
        kw = re.sub(r"\s+", " ", m.group("kw").lower())
        explicit = m.group("sep").strip() != ""
        has_digit = any(ch.isdigit() for ch in value)
        if kw.startswith("pin") or kw in ("cvv", "cvc", "security code"):
            # "pin 1234", "pin: 0000": a PIN is digits, 3 to 8 of them.
            if not re.fullmatch(r"\d{3,8}", value):
                continue
        elif value.lower() in _PW_STOPWORDS:
            continue
        elif not explicit and not has_digit:
            # "password reset link" is not a password; "password Tr0ub4dor" likely is.
            continue
        start = m.start("value")
        found.append(Finding(PASSWORD, start, start + len(value), LABELS[PASSWORD]))
    return found


# --- IBAN -----------------------------------------------------------------------------------

_IBAN = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])"
)


def iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _scan_ibans(text: str) -> list[Finding]:
    return [
        Finding(IBAN, m.start(1), m.end(1), LABELS[IBAN])
        for m in _IBAN.finditer(text)
        if iban_ok(m.group(1))
    ]


# --- public API -----------------------------------------------------------------------------


def scan(text: str) -> list[Finding]:
    """Every piece of sensitive data in ``text``, in order, without overlaps."""
    if not text:
        return []
    candidates = (
        _scan_cards(text) + _scan_ibans(text) + _scan_national_ids(text) + _scan_passwords(text)
    )
    candidates.sort(key=lambda f: (_PRIORITY[f.kind], f.start))
    kept: list[Finding] = []
    for f in candidates:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    kept.sort(key=lambda f: f.start)
    return kept


def kinds(findings: list[Finding]) -> list[str]:
    out: list[str] = []
    for f in findings:
        if f.kind not in out:
            out.append(f.kind)
    return out


def _and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe(findings: list[Finding]) -> str:
    """ "a card number and a password" (no data, safe for logs)."""
    return _and_list([LABELS[k] for k in kinds(findings)])


def warning_text(findings: list[Finding]) -> str:
    """The composer's confirmation question; empty when there is nothing to warn about."""
    found = kinds(findings)
    if not found:
        return ""
    what = describe(findings)
    if len(found) == 1:
        rule = f"{_PLURALS[found[0]]} should never be sent by SMS."
    else:
        names = [_PLURALS[k].lower() for k in found]
        names[0] = names[0][0].upper() + names[0][1:]
        rule = f"{_and_list(names)} should never be sent by SMS."
    return f"This text contains {what}. {rule} Send anyway?"


def _mask_span(kind: str, value: str) -> str:
    if kind == PASSWORD:
        return PASSWORD_MASK
    keep = {CARD: 4, IBAN: 4, NATIONAL_ID: 2}[kind]
    total = sum(ch.isalnum() for ch in value)
    out = []
    seen = 0
    for ch in value:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen > total - keep else BULLET)
        else:
            out.append(ch)
    return "".join(out)


def mask(text: str, findings: list[Finding] | None = None) -> str:
    """``text`` with each finding hidden: cards keep their last four digits
    ("•••• •••• •••• 1234"), ID numbers their last two, passwords become *****."""
    if findings is None:
        findings = scan(text)
    out = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos:
            continue
        out.append(text[pos : f.start])
        out.append(_mask_span(f.kind, text[f.start : f.end]))
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


class MaskError(LookupError):
    pass


def mask_message(message_id: int, *, staff: str | None = None, clock: Clock) -> int:
    """Replace a stored message's body with its masked form, for good (the full-text index
    follows through its triggers; the received parts' text and raw PDUs are scrubbed too).

    Returns how many findings were masked (0: nothing sensitive, nothing changed)."""
    with db.atomic():
        message = Message.get_or_none(Message.id == message_id)
        if message is None:
            raise MaskError(f"There is no message {message_id}.")
        findings = scan(message.body)
        if not findings:
            return 0
        flags = message.flag_list
        if "sensitive" not in flags:
            flags.append("sensitive")
        Message.update(body=mask(message.body, findings), masked=True, flags=",".join(flags)).where(
            Message.id == message_id
        ).execute()
        for part in IncomingPart.select().where(IncomingPart.message == message_id):
            IncomingPart.update(text=mask(part.text), raw_data="").where(
                IncomingPart.id == part.id
            ).execute()
        audit.record(
            "masked",
            f"message {message_id}: {describe(findings)} hidden",
            staff,
            clock=clock,
        )
        return len(findings)
