"""desk.data.export: JSON and CSV contents, times in UTC and local, audit lines."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.base.clock import FakeClock, to_db
from desk.cli.main import main as cli_main
from desk.data import export
from desk.engine.incoming_rules import RULES
from desk.messaging.inbox import store_incoming
from desk.store.db import close_database, open_database
from desk.store.models import AuditLog, Contact, Conversation, Message
from desk.store.settings import Settings
from modem.codec import pdu as codec
from modem.events import IncomingSms

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def dbfile(tmp_path):
    database = open_database(tmp_path / "t.sqlite3")
    yield database
    close_database()


@pytest.fixture
def shop(dbfile):
    anna = Contact.create(
        number="+15551230001", name="Anna Lee", tags="vip,new", created_at=to_db(T0)
    )
    bob = Contact.create(number="+15551230002", name="=cmd|calc", created_at=to_db(T0))
    ca = Conversation.create(contact=anna, last_activity_at=to_db(T0 + timedelta(hours=2)))
    cb = Conversation.create(contact=bob, last_activity_at=to_db(T0 + timedelta(hours=3)))
    m1 = Message.create(
        conversation=ca, direction="in", body="Hi, is Tuesday ok?", state="received",
        created_at=to_db(T0), sender_time=to_db(T0 - timedelta(seconds=5)),
    )  # fmt: skip
    m2 = Message.create(
        conversation=ca, direction="out", body="Yes, 10:00 — see you", state="delivered",
        created_at=to_db(T0 + timedelta(hours=2)), sent_at=to_db(T0 + timedelta(hours=2, seconds=3)),
        delivered_at=to_db(T0 + timedelta(hours=2, seconds=9)), staff="anna", encoding="ucs2",
    )  # fmt: skip
    m3 = Message.create(
        conversation=cb, direction="out", body="=HYPERLINK(\"x\")", state="failed",
        created_at=to_db(T0 + timedelta(hours=3)), error="The number is barred.",
    )  # fmt: skip
    return {"ca": ca.id, "cb": cb.id, "m1": m1.id, "m2": m2.id, "m3": m3.id}


def test_export_json_everything(shop) -> None:
    clock = FakeClock(T0 + timedelta(days=1))
    data = export.export_json(tz=BERLIN, staff="owner", clock=clock)
    assert data["format"] == "textdesk-export" and data["timezone"] == "Europe/Berlin"
    assert data["exported_at"] == "2026-07-02T08:00:00Z"
    convs = data["conversations"]
    assert [c["id"] for c in convs] == [shop["cb"], shop["ca"]]  # most recent activity first
    anna = convs[1]
    assert anna["contact"] == {
        "id": anna["contact"]["id"], "number": "+15551230001", "name": "Anna Lee",
        "notes": "", "tags": ["vip", "new"], "opted_out": False, "callback_requested": False,
    }  # fmt: skip
    first, second = anna["messages"]
    assert first["id"] == shop["m1"] and first["state"] == "received"
    assert first["created_utc"] == "2026-07-01T08:00:00Z"
    assert first["created_local"] == "2026-07-01T10:00:00+02:00"  # Berlin summer time
    assert first["sender_time_utc"] == "2026-07-01T07:59:55Z"
    assert second["state"] == "delivered" and second["staff"] == "anna"
    assert second["sent_utc"] == "2026-07-01T10:00:03Z"
    assert second["delivered_local"] == "2026-07-01T12:00:09+02:00"
    assert convs[0]["messages"][0]["error"] == "The number is barred."
    json.dumps(data)  # serialisable as is
    log = AuditLog.get(AuditLog.action == "exported")
    assert log.staff == "owner" and "all conversations" in log.detail and "3 messages" in log.detail


def test_export_one_conversation_and_unknown_id(shop) -> None:
    data = export.export_json([shop["ca"]], tz=BERLIN)
    assert [c["id"] for c in data["conversations"]] == [shop["ca"]]
    assert AuditLog.get(AuditLog.action == "exported").detail.startswith(
        f"JSON, conversation {shop['ca']}"
    )
    with pytest.raises(export.ExportError, match="No conversation 9999"):
        export.export_json([9999])


def test_write_json_file_is_private(shop, tmp_path) -> None:
    path = tmp_path / "out.json"
    assert export.write_json(path, tz=BERLIN) == 3
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["conversations"][1]["messages"][1]["body"] == "Yes, 10:00 — see you"


def test_write_csv_contents(shop, tmp_path) -> None:
    path = tmp_path / "out.csv"
    assert export.write_csv(path, tz=BERLIN, staff="owner") == 3
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0].keys()) == export.CSV_COLUMNS
    by_id = {int(r["message_id"]): r for r in rows}
    m2 = by_id[shop["m2"]]
    assert m2["number"] == "+15551230001" and m2["direction"] == "out"
    assert m2["state"] == "delivered" and m2["body"] == "Yes, 10:00 — see you"
    assert m2["created_local"] == "2026-07-01T12:00:00+02:00"
    assert m2["delivered_utc"] == "2026-07-01T10:00:09Z"
    # Formula-looking text is defused for spreadsheets.
    m3 = by_id[shop["m3"]]
    assert m3["body"] == '\'=HYPERLINK("x")' and m3["name"] == "'=cmd|calc"
    assert m3["error"] == "The number is barred."
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    log = AuditLog.get(AuditLog.action == "exported")
    assert log.detail == "CSV, all conversations, 3 messages"


def test_csv_to_stream_one_conversation(shop) -> None:
    buf = io.StringIO()
    assert export.write_csv(None, [shop["ca"]], stream=buf, tz=ZoneInfo("UTC")) == 2
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [int(r["message_id"]) for r in rows] == [shop["m1"], shop["m2"]]
    assert rows[0]["created_local"] == "2026-07-01T08:00:00+00:00"


def test_export_of_an_empty_database(dbfile) -> None:
    assert export.export_json(tz=BERLIN)["conversations"] == []
    buf = io.StringIO()
    assert export.write_csv(None, stream=buf) == 0
    assert buf.getvalue().strip() == ",".join(export.CSV_COLUMNS)


# --- owner-only files ----------------------------------------------------------------------


@pytest.fixture
def open_umask():
    """The loosest umask, so a file's mode is only what the export asked for."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("kind", ["json", "csv"])
def test_an_export_replacing_a_world_readable_file_is_owner_only(
    shop, tmp_path, open_umask, kind
) -> None:
    path = tmp_path / f"shop.{kind}"
    path.write_text("an older export\n", encoding="utf-8")
    os.chmod(path, 0o644)
    write = export.write_json if kind == "json" else export.write_csv
    assert write(path, tz=BERLIN) == 3
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "Yes, 10:00 — see you" in path.read_text(encoding="utf-8")
    new = tmp_path / f"new.{kind}"
    write(new, tz=BERLIN)
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_failed_export_leaves_the_old_file_and_no_partial_one(shop, tmp_path) -> None:
    path = tmp_path / "shop.csv"
    path.write_text("an older export\n", encoding="utf-8")
    with pytest.raises(export.ExportError, match="No conversation 9999"):
        export.write_csv(path, [9999])
    assert path.read_text(encoding="utf-8") == "an older export\n"
    left = [p.name for p in tmp_path.iterdir() if "sqlite3" not in p.name]
    assert left == ["shop.csv"]


def test_write_private_for_the_windows_plain_text_export(tmp_path, open_umask) -> None:
    path = tmp_path / "Anna-Lee.txt"
    export.write_private(path, "Conversation with Anna Lee\n")
    assert path.read_text(encoding="utf-8") == "Conversation with Anna Lee\n"
    if os.name == "posix":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_an_export_needs_a_file_or_a_stream(shop) -> None:
    with pytest.raises(ValueError, match="file or a stream"):
        export.write_json(None)
    assert AuditLog.select().where(AuditLog.action == "exported").count() == 0


# --- unreadable incoming messages ------------------------------------------------------------


def _cut_pdu(sender: str, text: str) -> str:
    """A real SMS-DELIVER from ``sender`` cut inside its text (the decoder refuses it)."""
    (whole,) = codec.encode_deliver(sender, text, timestamp=T0)
    return whole[:-12]


@pytest.fixture
def unreadable_rows(shop) -> dict[str, int]:
    """Unreadable messages stored by the inbox: two from Anna (one as a card number that
    could not be decoded), one from a stranger, one whose sender cannot be read."""
    settings = Settings()
    settings.set("default_country", "US")
    clock = FakeClock(T0 + timedelta(hours=5))
    out = {}
    for name, raw in (
        ("anna", _cut_pdu("+15551230001", "my card is 4111 1111 1111 1111")),
        ("stranger", _cut_pdu("+15557654321", "hello?")),
        ("nobody", "0791FF"),
        ("anna_national", _cut_pdu("5551230001", "again")),
    ):
        clock.advance(60)
        event = IncomingSms(
            token=name, raw=raw, pdu=None, error="could not be decoded", storage="SM"
        )
        result = store_incoming(event, settings=settings, clock=clock, rules=RULES)
        assert result.message_id is None and result.raw_id is not None
        out[name] = result.raw_id
    return out


def test_unreadable_messages_are_in_the_full_json_export(shop, unreadable_rows) -> None:
    data = export.export_json(tz=BERLIN, clock=FakeClock(T0 + timedelta(days=1)))
    rows = data["unreadable"]
    assert [r["id"] for r in rows] == [
        unreadable_rows[k] for k in ("anna", "stranger", "nobody", "anna_national")
    ]
    anna, stranger, nobody, anna_national = rows
    assert anna["sender"] == "+15551230001" and anna["conversation_id"] == shop["ca"]
    assert anna_national["sender"] == "+15551230001"
    assert anna_national["conversation_id"] == shop["ca"]
    assert stranger["sender"] == "+15557654321" and stranger["conversation_id"] is None
    assert nobody["sender"] is None and nobody["conversation_id"] is None
    for row in rows:
        assert row["text"] == "this message could not be read; the raw data is kept"
        assert row["error"] == "could not be decoded" and row["storage"] == "SM"
    assert anna["received_utc"] == "2026-07-01T13:01:00Z"
    assert anna["received_local"] == "2026-07-01T15:01:00+02:00"
    text = json.dumps(data)
    assert "4111" not in text and _cut_pdu("+15551230001", "x")[:20] not in text  # no raw data
    assert "4 unreadable" in AuditLog.get(AuditLog.action == "exported").detail


def test_one_conversations_export_has_only_its_customers_unreadable(shop, unreadable_rows) -> None:
    data = export.export_json([shop["ca"]], tz=BERLIN)
    assert [r["id"] for r in data["unreadable"]] == [
        unreadable_rows["anna"],
        unreadable_rows["anna_national"],
    ]
    assert export.export_json([shop["cb"]], tz=BERLIN)["unreadable"] == []


def test_textdesk_export_json_lists_them(tmp_path, capsys) -> None:
    """``textdesk export --json`` end to end: a profile on disk, the real inbox, the CLI."""
    root = tmp_path / "profile"
    open_database(root / "textdesk.sqlite3")
    settings = Settings()
    settings.set("default_country", "US")
    clock = FakeClock(T0)
    good = codec.encode_deliver("+15551230001", "Hi there", timestamp=T0)[0]
    for event in (
        IncomingSms(token="g", raw=good, pdu=codec.decode(good)),
        IncomingSms(token="b", raw=_cut_pdu("+15551230001", "cut"), pdu=None, error="cut short"),
    ):
        store_incoming(event, settings=settings, clock=clock, rules=RULES)
    close_database()
    try:
        assert cli_main(["--profile", str(root), "export", "--json"]) == 0
    finally:
        close_database()
    data = json.loads(capsys.readouterr().out)
    (conv,) = data["conversations"]
    assert [m["body"] for m in conv["messages"]] == ["Hi there"]
    (row,) = data["unreadable"]
    assert row["sender"] == "+15551230001" and row["conversation_id"] == conv["id"]
    assert row["text"] == "this message could not be read; the raw data is kept"
