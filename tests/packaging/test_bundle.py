"""The built executable: launched for real (offscreen --self-test), its .deb, and an upgrade."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tarfile
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

from smoke import clean_env, run_smoke, unexpected_stderr  # noqa: E402

from tests.packaging.selftest_lines import SAFETY_LINES  # noqa: E402

# The first test pays for the build (PyInstaller, a few minutes on a busy 2-core machine), inside
# pytest-timeout's per-test limit: give these tests room beyond the project's default of 120 s.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(sys.platform != "linux", reason="Linux build"),
]


def test_bundle_passes_self_test_exercising_every_safety_feature(built):
    exe, _, _, output = built
    result = run_smoke(exe)
    for line in SAFETY_LINES:
        assert line in result.stdout, result.stdout
    assert "bundle:" in output and "deb:" in output


def _bundled_modules(exe: Path) -> set[str]:
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(exe))
    (pyz,) = [name for name, entry in archive.toc.items() if entry[-1] == "z"]
    return set(archive.open_embedded_archive(pyz).toc)


# Modules deliberately left out of the bundle, each with its reason. Empty: everything TextDesk
# ships is in it (the virtual modem included, for --demo and --self-test).
NOT_BUNDLED: dict[str, str] = {}


def _source_modules() -> set[str]:
    found = set()
    for package in ("desk", "modem", "ui"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":
                continue  # ``python -m`` entry points; the bundle has its own launcher
            found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_bundle_holds_every_module_and_frozen_migration(built):
    """A module PyInstaller missed raises ImportError only when it is first needed: compare the
    bundle's archive with the source tree instead."""
    exe, _, _, _ = built
    missing = sorted(_source_modules() - _bundled_modules(exe) - set(NOT_BUNDLED))
    assert not missing, f"the bundle lacks: {', '.join(missing)}"
    sql = ROOT / "desk" / "store" / "migrations" / "sqlite"
    internal = exe.parent / "_internal"
    for path in sql.rglob("*.sql"):
        assert (internal / path.relative_to(ROOT)).is_file(), f"the bundle lacks {path.name}"


def test_bundle_is_trimmed_of_unused_qt(built):
    exe, _, _, _ = built
    names = {p.name for p in exe.parent.rglob("*")}
    for unwanted in (
        "libQt6WebEngineCore.so.6",
        "libQt6Quick.so.6",
        "libQt6Qml.so.6",
        "libQt6Pdf.so.6",
    ):
        assert unwanted not in names
    assert not list(exe.parent.rglob("translations/*.qm"))


def test_tarball_holds_the_bundle(built):
    _, _, tar_path, _ = built
    with tarfile.open(tar_path) as tar:
        names = tar.getnames()
    assert any(n.endswith("/textdesk") for n in names)


def test_deb_has_desktop_entry_icon_and_dialout_note_and_runs(built, tmp_path):
    _, deb, _, _ = built
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    )
    assert "./usr/share/applications/textdesk.desktop" in listing.stdout
    assert "./usr/share/icons/hicolor/256x256/apps/textdesk.png" in listing.stdout
    assert "./opt/textdesk/textdesk" in listing.stdout
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    assert "dialout" in (control / "postinst").read_text()
    assert "Package: textdesk" in (control / "control").read_text()
    # Customers send emoji: without a colour emoji font they show as empty boxes.
    assert "fonts-noto-color-emoji" in (control / "control").read_text()
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    run_smoke(root / "opt" / "textdesk" / "textdesk")


def test_new_build_opens_an_old_schema_database_and_keeps_settings(built, tmp_path):
    """Upgrade: a schema-1 profile (as an older build left it) opened by this build."""
    exe, _, _, _ = built
    sys.path.insert(0, str(ROOT))
    from desk.store import migrations
    from desk.store.db import close_database, open_database

    profile = tmp_path / "profile"
    db_path = profile / "textdesk.sqlite3"
    database = open_database(db_path, migrate=False)
    migrations.migrate(database, db_path, target=1)
    # Rows in schema 1's own columns (today's models have more), as an older build wrote them.
    now = str(datetime(2025, 5, 1, 12, 0))
    database.execute_sql(
        "INSERT INTO contact (number, name, notes, tags, opted_out, callback_requested, "
        "created_at) VALUES ('+12025550143', 'Old Customer', '', '', 0, 0, ?)",
        (now,),
    )
    database.execute_sql(
        "INSERT INTO conversation (contact_id, status, unread, last_activity_at, last_preview, "
        "needs_attention) VALUES (1, 'open', 0, ?, 'hello', 0)",
        (now,),
    )
    database.execute_sql(
        "INSERT INTO message (conversation_id, direction, body, encoding, parts, state, "
        "created_at, read, source, automated, priority, attempts, parts_sent, flags, masked) "
        "VALUES (1, 'in', 'hello from 2025', 'gsm7', 1, 'received', ?, 0, 'modem', 0, 0, 0, 0, "
        "'', 0)",
        (now,),
    )
    database.execute_sql("INSERT INTO setting(key, value) VALUES ('shop_name', '\"Smile Dental\"')")
    database.close()
    close_database()

    env = clean_env(tmp_path / "home")
    (tmp_path / "home").mkdir()
    proc = subprocess.run(
        [str(exe), "config", "shop_name", "--profile", str(profile)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Smile Dental" in proc.stdout
    assert not unexpected_stderr(proc.stderr)
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    assert con.execute("SELECT body FROM message").fetchall() == [("hello from 2025",)]
    assert con.execute("SELECT count(*) FROM reminder").fetchone()[0] == 0
    con.close()
    assert list(profile.glob("textdesk.schema-v1.*.bak"))


def test_bundle_imports_vcard_contacts_without_pytz(built, tmp_path):
    """vobject runs in the bundle without pytz (left out: its icalendar part stands in for it)."""
    exe, _, _, _ = built
    internal = exe.parent / "_internal"
    assert not (internal / "pytz").exists()
    vcf = tmp_path / "contacts.vcf"
    vcf.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Smith\r\nN:Smith;Anna;;;\r\n"
        b"TEL;TYPE=CELL:+1 201-555-0123\r\nCATEGORIES:VIP\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:J\xc3\xbcrgen M\xc3\xbcller\r\n"
        b"TEL;TYPE=work:+1 201 555 0199\r\nEND:VCARD\r\n"
    )
    profile = tmp_path / "profile"
    env = clean_env(tmp_path / "home")
    (tmp_path / "home").mkdir()
    proc = subprocess.run(
        [str(exe), "contacts", "import", str(vcf), "--yes", "--profile", str(profile)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 number(s) in 2 entries, 0 rejected" in proc.stdout, proc.stdout
    assert "2 added" in proc.stdout, proc.stdout
    assert not unexpected_stderr(proc.stderr)
    con = sqlite3.connect(profile / "textdesk.sqlite3")
    rows = con.execute("SELECT number, name FROM contact ORDER BY number").fetchall()
    con.close()
    assert rows == [("+12015550123", "Anna Smith"), ("+12015550199", "Jürgen Müller")]
