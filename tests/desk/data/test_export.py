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
from desk.data import export
from desk.store.db import close_database, open_database
from desk.store.models import AuditLog, Contact, Conversation, Message

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
