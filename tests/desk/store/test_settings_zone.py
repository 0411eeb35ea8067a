"""The computer's time zone on any system: tzlocal (the Windows registry too), the zone database
from the tzdata package when the system has none, and a plain error when no zone is known."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

import pytest
import tzlocal

from desk.store import settings as settings_module
from desk.store.settings import Settings, ZoneUnknown, local_zone

ROOT = Path(__file__).resolve().parents[3]

# Run in a fresh interpreter: PYTHONTZPATH is read when zoneinfo is imported.
WINDOWS_LIKE = textwrap.dedent(
    r"""
    import builtins, json, os, sys, types, zoneinfo

    # No /etc/localtime or /etc/timezone to be seen, as on Windows.
    HIDDEN = ("/etc/localtime", "/etc/timezone")
    real_open, real_exists, real_islink = builtins.open, os.path.exists, os.path.islink

    def hidden(path):
        return str(path) in HIDDEN

    def fake_open(file, *args, **kwargs):
        if hidden(file):
            raise FileNotFoundError(file)
        return real_open(file, *args, **kwargs)

    builtins.open = fake_open
    os.path.exists = lambda p: False if hidden(p) else real_exists(p)
    os.path.islink = lambda p: False if hidden(p) else real_islink(p)

    # The Windows registry's answer for a computer set to Tokyo time.
    class Key:
        def Close(self):
            pass

    VALUES = [("TimeZoneKeyName", "Tokyo Standard Time\x00\x00", 1),
              ("DynamicDaylightTimeDisabled", 0, 4)]
    winreg = types.ModuleType("winreg")
    winreg.HKEY_LOCAL_MACHINE = 0x80000002
    winreg.ConnectRegistry = lambda machine, hive: "HKLM"
    def open_key(handle, name):
        assert name == r"SYSTEM\CurrentControlSet\Control\TimeZoneInformation", name
        return Key()
    winreg.OpenKey = open_key
    winreg.QueryInfoKey = lambda key: (0, len(VALUES), 0)
    winreg.EnumValue = lambda key, i: VALUES[i]
    sys.modules["winreg"] = winreg

    import tzlocal, tzlocal.win32
    tzlocal.get_localzone_name = tzlocal.win32.get_localzone_name

    from desk.base import phones
    from desk.store import settings as s
    import phonenumbers

    zones = sorted(zoneinfo.available_timezones())
    for name in zones:
        zoneinfo.ZoneInfo(name)
    region_zones = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        if example is None:
            continue
        zone = phones.region_timezone(
            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        )
        if zone:
            zoneinfo.ZoneInfo(zone)
            region_zones.add(zone)
    print(json.dumps({
        "tzpath": list(zoneinfo.TZPATH),
        "zones": len(zones),
        "region_zones": len(region_zones),
        "setting_ok": s._timezone("America/New_York"),
        "local": s.local_zone().key,
        "shop_default": s.zone_named("").key,
        "shop_set": s.zone_named("Europe/London").key,
    }))
    """
)


def test_zones_resolve_without_system_zone_data_and_the_registry_names_the_computer_s(tmp_path):
    empty = tmp_path / "no-zoneinfo"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "TZ"}
    env["PYTHONTZPATH"] = str(empty)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", WINDOWS_LIKE],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["tzpath"] == [str(empty)]  # no system zone database in use
    assert found["zones"] > 400  # every IANA zone, from the tzdata package
    assert found["region_zones"] > 150  # every zone a phone number's country gives
    assert found["setting_ok"] == "America/New_York"
    assert found["local"] == "Asia/Tokyo"  # from the (mocked) registry, not UTC
    assert found["shop_default"] == "Asia/Tokyo"
    assert found["shop_set"] == "Europe/London"


@pytest.mark.parametrize(
    "answer",
    [lambda: None, lambda: "", lambda: (_ for _ in ()).throw(ZoneInfoNotFoundError("no zone"))],
)
def test_no_zone_is_a_plain_error_never_utc(monkeypatch, answer):
    monkeypatch.setattr(tzlocal, "get_localzone_name", answer)
    with pytest.raises(ZoneUnknown, match="cannot tell which time zone") as raised:
        local_zone()
    assert "textdesk config timezone" in str(raised.value)


def test_a_zone_name_outside_the_database_is_a_plain_error(monkeypatch):
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Mars/Olympus_Mons")
    with pytest.raises(ZoneUnknown, match="Mars/Olympus_Mons"):
        local_zone()


def test_the_setting_wins_and_the_computer_is_not_asked(database, monkeypatch):
    def refuse() -> str:
        raise AssertionError("the computer's zone was looked up")

    monkeypatch.setattr(tzlocal, "get_localzone_name", refuse)
    settings = Settings()
    settings.set("timezone", "Europe/Berlin")
    assert settings.shop_zone().key == "Europe/Berlin"
    assert settings.snapshot().zone.key == "Europe/Berlin"


def test_an_empty_setting_follows_the_computer(database, monkeypatch):
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "America/Chicago")
    assert Settings().shop_zone().key == "America/Chicago"
    assert settings_module.zone_named("").key == "America/Chicago"


def test_the_command_line_says_it_in_one_line(tmp_path, monkeypatch, capsys):
    """No zone and no setting: ``textdesk reminders`` answers in plain words, no traceback."""
    from desk.cli.main import main
    from desk.store.db import close_database

    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: None)
    try:
        code = main(["--profile", str(tmp_path / "p"), "reminders"])
    finally:
        close_database()
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot tell which time zone" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
