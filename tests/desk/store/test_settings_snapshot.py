"""Settings.snapshot(): every setting in one query, frozen, typed, the same values throughout."""

from __future__ import annotations

import dataclasses

import pytest

from desk.base import quiet_hours
from desk.store.models import Setting
from desk.store.settings import SPECS, SettingError, Settings, Snapshot
from tests.helpers.sql_trace import statements


def test_one_query_with_defaults_and_undecodable_values(database):
    settings = Settings()
    settings.set("rate_per_minute", 7)
    settings.set("quiet_hours", "09:00-18:00")
    Setting.insert(key="rate_per_day", value="{not json").on_conflict(
        conflict_target=[Setting.key], update={Setting.value: "{not json"}
    ).execute()
    with statements(database) as seen:
        snap = settings.snapshot()
    assert len(seen) == 1
    assert snap.rate_per_minute == 7
    assert snap.rate_per_day == SPECS["rate_per_day"].default  # bad JSON: the default
    assert snap.grace_minutes == 120 and snap.skip_after_confirm is True
    assert snap.reminder_offsets == [2880, 120]
    assert snap.window == quiet_hours.parse_window("09:00-18:00")
    assert {key: snap.get(key) for key in SPECS} == {key: settings.get(key) for key in SPECS}
    with statements(database) as seen:
        snap.get("shop_name"), snap.quiet_window(), snap.rate_per_day
    assert seen == []  # nothing more is read


def test_frozen_and_blind_to_later_changes(database):
    settings = Settings()
    settings.set("shop_name", "Smile Dental")
    snap = settings.snapshot()
    settings.set("shop_name", "Other")
    assert snap.shop_name == "Smile Dental"
    assert settings.snapshot().shop_name == "Other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.values = {}  # type: ignore[misc]
    assert snap.snapshot() is snap


def test_zone_from_the_setting_looked_up_once(database):
    settings = Settings()
    settings.set("timezone", "Asia/Tokyo")
    snap = settings.snapshot()
    assert snap.shop_zone().key == "Asia/Tokyo"
    assert snap.zone is snap.shop_zone()
    assert settings.shop_zone().key == "Asia/Tokyo"


def test_unknown_keys_are_refused_as_by_settings(database):
    with pytest.raises(SettingError, match="unknown setting"):
        Settings().snapshot().get("no_such_setting")


def test_a_snapshot_is_what_settings_readers_accept():
    assert isinstance(Snapshot({k: s.default for k, s in SPECS.items()}).timezone, str)


@pytest.mark.parametrize(
    ("key", "stored"),
    [
        ("rate_per_minute", '"lots"'),
        ("rate_per_minute", "true"),
        ("skip_after_confirm", "1"),
        ("reminder_offsets", '["48h"]'),
        ("shop_name", "42"),
        ("quiet_hours", "null"),
    ],
)
def test_a_stored_value_of_the_wrong_kind_reads_as_the_default(database, key, stored):
    Setting.insert(key=key, value=stored).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: stored}
    ).execute()
    settings = Settings()
    assert settings.get(key) == SPECS[key].default
    assert settings.snapshot().get(key) == SPECS[key].default
