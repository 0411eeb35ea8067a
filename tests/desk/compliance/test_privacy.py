"""desk.compliance.privacy: finding card numbers, ID numbers, passwords and IBANs; warning; masking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from desk.base.clock import FakeClock, to_db
from desk.compliance import privacy
from desk.store.db import close_database, open_database
from desk.store.models import AuditLog, Contact, Conversation, IncomingPart, Message


def kinds_and_text(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text(text)) for f in privacy.scan(text)]


# --- cards ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",  # Visa, spaces
        "4111-1111-1111-1111",  # dashes
        "4111111111111111",  # no grouping
        "5555 5555 5555 4444",  # Mastercard
        "2223 0031 2200 3222",  # Mastercard 2-series
        "3782 822463 10005",  # Amex 4-6-5
        "378282246310005",
        "6011 1111 1111 1117",  # Discover
        "4222222222222",  # 13-digit Visa
    ],
)
def test_luhn_valid_cards_are_found(card: str) -> None:
    text = f"Hi, my card is {card}, exp 12/27"
    assert kinds_and_text(text) == [("card", card)]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "4111111111111112",
        "1234 5678 9012 3456",  # no issuer starts with 1 (and Luhn fails)
        "0000 0000 0000 0000",  # Luhn-valid but not a card
        "4111 1111 1111 111",  # 15 digits: not a Visa length
        "41 11 11 11 11 11 11 11",  # not grouped like a card
        "4111 1111-1111 1111",  # mixed separators
    ],
)
def test_non_cards_are_not_flagged(text: str) -> None:
    assert [f for f in privacy.scan(text) if f.kind == "card"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Call me on 555-123-4567 after 5",
        "my number is (555) 123 4567",
        "ring +44 20 7946 0958 or +1 415 555 2671",
        "+4915112345678",
        "07700 900123",
        "See you 2026-01-15 at 10:30",
        "on 15/01/2026, 12.01.2026 or 20260115",
        "order 1234567890123456 shipped",  # 16 digits, no issuer prefix 1
        "invoice 2024 0001 0002 3456",  # 2-series only for 2221-2720, and Luhn fails
        "tracking 1Z999AA10123456784",
        "it costs 1,299.00 and 15 pounds",
    ],
)
def test_phone_numbers_dates_and_order_numbers_are_not_flagged(text: str) -> None:
    assert privacy.scan(text) == []


def test_card_found_after_a_phone_number_in_the_same_digit_run() -> None:
    text = "call 555 1234 4111111111111111"
    assert kinds_and_text(text) == [("card", "4111111111111111")]


def test_luhn() -> None:
    assert privacy.luhn_ok("79927398713")
    assert not privacy.luhn_ok("79927398710")


# --- national IDs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value",
    [
        ("my ssn is 219-09-9999", "219-09-9999"),
        ("SSN 123 45 6789 thanks", "123 45 6789"),
        ("NI number AB 12 34 56 C", "AB 12 34 56 C"),
        ("ni: JG103759A", "JG103759A"),
        ("passport no. 533380006", "533380006"),
        ("Passport number: X12345678", "X12345678"),
        ("my ID number is 88-1234-55", "88-1234-55"),
        ("social security number 987654321", "987654321"),
    ],
)
def test_national_id_patterns(text: str, value: str) -> None:
    assert kinds_and_text(text) == [("national_id", value)]


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456",  # area 000 never issued
        "666-12-3456",
        "912-34-5678",  # 9xx not SSNs
        "123-00-4567",  # group 00
        "123-45-0000",  # serial 0000
        "GB 12 34 56 A",  # excluded NI prefix
        "order ID number 12345678",  # order/customer numbers are not personal IDs
        "passport photo booth",
    ],
)
def test_invalid_id_ranges_not_flagged(text: str) -> None:
    assert [f for f in privacy.scan(text) if f.kind == "national_id"] == []


# --- passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value",
    [
        ("password: hunter2", "hunter2"),
        ("the password is Tr0ub4dor&3.", "Tr0ub4dor&3"),
        ("pw is xyz", "xyz"),
        ("PIN 1234", "1234"),
        ("my pin is 0000", "0000"),
        ("passcode 998877", "998877"),
        ("wifi password = sunflower", "sunflower"),
        ("Password Summer2024", "Summer2024"),
    ],
)
def test_password_patterns(text: str, value: str) -> None:
    assert kinds_and_text(text) == [("password", value)]


@pytest.mark.parametrize(
    "text",
    [
        "I clicked the password reset link",
        "my password is wrong",
        "forgot my password",
        "pin the note to the board",
        "can you pin it up",
        "password protected file",
    ],
)
def test_password_words_without_a_password(text: str) -> None:
    assert privacy.scan(text) == []


# --- IBAN -----------------------------------------------------------------------------------


def test_iban_with_checksum() -> None:
    assert kinds_and_text("pay to GB82 WEST 1234 5698 7654 32 pls") == [
        ("iban", "GB82 WEST 1234 5698 7654 32")
    ]
    assert kinds_and_text("DE89370400440532013000") == [("iban", "DE89370400440532013000")]
    assert privacy.scan("GB82 WEST 1234 5698 7654 33") == []  # bad check digits


# --- warnings and masking -------------------------------------------------------------------


def test_warning_text_single_and_several() -> None:
    one = privacy.scan("card 4111 1111 1111 1111")
    assert privacy.warning_text(one) == (
        "This text contains a card number. Card numbers should never be sent by SMS. Send anyway?"
    )
    two = privacy.scan("card 4111111111111111 and password: abc123, pin 9876")
    text = privacy.warning_text(two)
    assert text.startswith("This text contains a card number and a password.")
    assert "Card numbers and passwords should never be sent by SMS." in text
    assert privacy.warning_text([]) == ""


def test_mask_keeps_last_four_of_a_card_and_hides_passwords() -> None:
    text = "card 4111 1111 1111 1111 exp 01/28, password: hunter2!"
    masked = privacy.mask(text, privacy.scan(text))
    assert masked == "card •••• •••• •••• 1111 exp 01/28, password: *****!"
    assert privacy.mask("nothing here") == "nothing here"
    ssn = privacy.mask("ssn 219-09-9999")
    assert ssn == "ssn •••-••-••99"


def test_scan_findings_do_not_overlap() -> None:
    text = "pin 4111111111111111"  # a card written after "pin": the card wins
    found = privacy.scan(text)
    assert [f.kind for f in found] == ["card"]


# --- mask_message on a real database --------------------------------------------------------


@pytest.fixture
def dbfile(tmp_path):
    database = open_database(tmp_path / "t.sqlite3")
    yield database
    close_database()


def test_mask_message_replaces_body_scrubs_parts_and_audits(dbfile) -> None:
    clock = FakeClock(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    now = to_db(clock.now())
    contact = Contact.create(number="+15551234567", created_at=now)
    conv = Conversation.create(contact=contact, last_activity_at=now)
    body = "Here is my card 4111 1111 1111 1111 and pin 4321"
    msg = Message.create(
        conversation=conv, direction="in", body=body, state="received", created_at=now,
        flags="sensitive",
    )  # fmt: skip
    IncomingPart.create(
        dedupe_key="k1", sender=contact.number, text=body, received_at=now, raw_data="0791ABCDEF",
        message=msg,
    )  # fmt: skip
    from desk.read import search

    assert search.search("4111")  # indexed before masking

    assert privacy.mask_message(msg.id, staff="anna", clock=clock) == 2
    msg = Message.get_by_id(msg.id)
    assert msg.masked is True
    assert msg.body == "Here is my card •••• •••• •••• 1111 and pin *****"
    assert "sensitive" in msg.flag_list
    part = IncomingPart.get(IncomingPart.message == msg.id)
    assert "4111" not in part.text and part.raw_data == ""
    log = AuditLog.get(AuditLog.action == "masked")
    assert log.staff == "anna" and "a card number" in log.detail and "4111" not in log.detail
    # The full-text index followed the new body.
    assert [h for h in search.search("4111") if h.message_id] == []
    assert [h.message_id for h in search.search("card")] == [msg.id]
    # Nothing left to mask: nothing changes, nothing logged.
    assert privacy.mask_message(msg.id, clock=clock) == 0
    assert AuditLog.select().where(AuditLog.action == "masked").count() == 1


def test_mask_message_unknown_id(dbfile) -> None:
    with pytest.raises(privacy.MaskError, match="no message 999"):
        privacy.mask_message(999, clock=FakeClock())


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "text,expected",
    [
        ("1 " * 5000 + "a", 0),  # thousands of digit groups: once a regex backtracking trap
        ("12-" * 5000 + "x", 0),
        ("4" * 40000, 0),
        ("4111 1111 1111 1111 pin 1234 " * 500, 1000),
        ("passport no. " + "1 " * 5000, 1),
        ("GB82 " + "WEST " * 5000, 0),
        ("a1" * 20000, 0),
    ],
)
def test_hostile_long_texts_are_scanned_in_linear_time(text: str, expected: int) -> None:
    # A whole concatenated SMS (up to 255 parts) must never stall the inbox: the walk over
    # digit groups is linear; the timeout marker is the guard, not a speed assertion.
    assert len(privacy.scan(text)) == expected
