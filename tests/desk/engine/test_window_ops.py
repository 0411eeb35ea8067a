"""The window's writes (desk.engine.window_ops) on a real SQLite file, called directly and through
a real Engine's core thread (the virtual modem on a real pseudo-terminal)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.base.clock import FakeClock, to_db
from desk.base.paths import resolve_profile
from desk.base.phones import InvalidNumber
from desk.engine import window_ops
from desk.engine.api import Engine
from desk.store.db import close_database, db, open_database
from desk.store.models import AuditLog, Contact, Conversation
from desk.store.settings import SettingError, Settings
from modem.sim import VirtualModem


def test_open_conversation_creates_contact_and_conversation_once(
    database: object, settings: Settings, clock: FakeClock
) -> None:
    with db.atomic():
        cid = window_ops.open_conversation("+12025550177", settings=settings, clock=clock)
    conv = Conversation.get_by_id(cid)
    assert conv.contact.number == "+12025550177"
    assert conv.contact.name in ("", None)
    assert conv.last_activity_at == to_db(clock.now())
    # The same customer typed the local way: the same conversation, nothing new.
    with db.atomic():
        again = window_ops.open_conversation("(202) 555-0177", settings=settings, clock=clock)
    assert again == cid
    assert Contact.select().count() == 1 and Conversation.select().count() == 1


def test_open_conversation_refuses_what_is_not_a_number(
    database: object, settings: Settings, clock: FakeClock
) -> None:
    with pytest.raises(InvalidNumber, match="not a phone number"):
        window_ops.open_conversation("call Anna", settings=settings, clock=clock)
    assert Contact.select().count() == 0


def test_save_settings_sets_each_and_audits_the_keys_not_the_values(
    database: object, settings: Settings, clock: FakeClock
) -> None:
    with db.atomic():
        window_ops.save_settings(
            {"shop_name": "Main Street Repairs", "sound": "on", "modem_pin": "4321"},
            settings=settings,
            clock=clock,
            staff="Bo",
        )
    assert settings.get("shop_name") == "Main Street Repairs"
    assert settings.get("sound") is True
    (row,) = AuditLog.select().where(AuditLog.action == "settings")
    assert row.detail == "modem_pin, shop_name, sound changed in the window"
    assert row.staff == "Bo" and "4321" not in row.detail


def test_save_settings_with_a_bad_value_saves_nothing(
    database: object, settings: Settings, clock: FakeClock
) -> None:
    with pytest.raises(SettingError, match="default_country"), db.atomic():
        window_ops.save_settings(
            {"shop_name": "Main Street Repairs", "default_country": "Narnia"},
            settings=settings,
            clock=clock,
        )
    assert settings.get("shop_name") == "Smile Dental"
    assert AuditLog.select().where(AuditLog.action == "settings").count() == 0


def test_save_settings_with_no_changes_writes_nothing(
    database: object, settings: Settings, clock: FakeClock
) -> None:
    window_ops.save_settings({}, settings=settings, clock=clock)
    assert AuditLog.select().count() == 0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    profile = resolve_profile(tmp_path / "profile").ensure()
    open_database(profile.db_path)
    vm = VirtualModem()
    vm.start()
    eng = Engine(profile, port=vm.device, mode="test", interval=0.1)
    eng.start()
    try:
        yield eng
    finally:
        eng.stop()
        vm.stop()
        close_database()


def test_through_the_engine_a_refused_setting_rolls_back_and_a_good_one_commits(
    engine: Engine,
) -> None:
    s = engine.settings
    bad = engine.call(
        window_ops.save_settings,
        {"shop_name": "Half Saved", "quiet_hours": "25:00-08:00"},
        settings=s,
        clock=engine.clock,
    )
    with pytest.raises(SettingError, match="quiet_hours"):
        bad.result(timeout=30)
    assert s.get("shop_name") != "Half Saved"

    engine.call(
        window_ops.save_settings, {"shop_name": "Main St"}, settings=s, clock=engine.clock
    ).result(timeout=30)
    assert s.get("shop_name") == "Main St"

    cid = engine.call(
        window_ops.open_conversation, "+12025550177", settings=s, clock=engine.clock
    ).result(timeout=30)
    assert Conversation.get_by_id(cid).contact.number == "+12025550177"
