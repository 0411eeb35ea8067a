"""textdesk modem-password / modem-log / discover, and ``serve --modem hilink --port URL``
driving the virtual HiLink stick headless (a real subprocess, a real SQLite profile, the
stick's password from a password store in a file)."""

from __future__ import annotations

import getpass
import io
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.base import secrets
from desk.base.paths import resolve_profile
from desk.cli.main import main
from desk.engine import links
from desk.store.db import close_database, open_database
from desk.store.settings import Settings
from modem.sim.hilink.server import VirtualHiLink
from tests.desk.engine.file_keyring import ROOT, env_for
from tests.helpers.keyring_memory import MemoryKeyring, memory_keyring, unavailable_keyring


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    yield memory_keyring()
    unavailable_keyring()


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:  # fmt: skip
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stored(ring: MemoryKeyring, name: str) -> str | None:
    return ring.store.get((secrets.SERVICE, name))


def test_modem_password_from_stdin(
    tmp_path: Path, ring: MemoryKeyring, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    prof = str(tmp_path / "p")
    code, out, err = run(capsys, "modem-password", "--profile", prof, stdin="s3cret pass\n",
                         monkeypatch=monkeypatch)  # fmt: skip
    assert (code, err) == (0, "")
    assert (
        out.strip() == "Stored the HiLink stick's admin password in this computer's password store."
    )
    assert stored(ring, secrets.HILINK_PASSWORD) == "s3cret pass"
    assert "s3cret" not in out
    run(capsys, "modem-password", "--profile", prof, "--android", stdin="app-pw\n",
        monkeypatch=monkeypatch)  # fmt: skip
    run(capsys, "modem-password", "--profile", prof, "--signing-key", stdin="key-1\n",
        monkeypatch=monkeypatch)  # fmt: skip
    assert stored(ring, secrets.ANDROID_PASSWORD) == "app-pw"
    assert stored(ring, secrets.ANDROID_SIGNING_KEY) == "key-1"
    code, out, _ = run(capsys, "modem-password", "--profile", prof, "--android", "--forget")
    assert code == 0 and "no longer kept" in out
    assert stored(ring, secrets.ANDROID_PASSWORD) is None


def test_modem_password_at_a_terminal_asks_without_echo(
    ring: MemoryKeyring, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    prompts: list[str] = []

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty(""))

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return "typed-pw"

    monkeypatch.setattr(getpass, "getpass", ask)
    code, out, _ = run(capsys, "modem-password", "--profile", str(tmp_path / "p"))
    assert "typed-pw" not in out
    assert code == 0 and stored(ring, secrets.HILINK_PASSWORD) == "typed-pw"
    assert prompts == ["The HiLink stick's admin password (not shown as you type): "]


def test_the_pin_goes_to_the_keyring_and_clears_the_old_setting(
    tmp_path: Path, ring: MemoryKeyring, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    prof = str(tmp_path / "p")
    assert run(capsys, "config", "--profile", prof, "modem_pin", "4321")[0] == 0
    code, _, err = run(capsys, "modem-password", "--pin", "--profile", prof, stdin="12a4\n",
                       monkeypatch=monkeypatch)  # fmt: skip
    assert code == 1 and err.strip() == "textdesk: A SIM PIN is 4 to 8 digits; nothing was stored."
    assert stored(ring, secrets.SIM_PIN) is None
    code, out, err = run(capsys, "modem-password", "--pin", "--profile", prof, stdin="2468\n",
                         monkeypatch=monkeypatch)  # fmt: skip
    assert code == 0, err
    assert out.strip() == "Stored the SIM PIN in this computer's password store."
    assert stored(ring, secrets.SIM_PIN) == "2468"
    assert Settings().get("modem_pin") == ""  # the old one cannot be moved over the new
    assert links.sim_pin(Settings()) == "2468"


def test_no_password_and_no_keyring_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring()
    prof = str(tmp_path / "p")
    code, _, err = run(capsys, "modem-password", "--profile", prof, stdin="\n",
                       monkeypatch=monkeypatch)  # fmt: skip
    assert code == 1 and err.strip() == (
        "textdesk: No HiLink stick's admin password given; nothing was stored."
    )
    unavailable_keyring()
    code, _, err = run(capsys, "modem-password", "--profile", prof, stdin="pw\n",
                       monkeypatch=monkeypatch)  # fmt: skip
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "password store" in err and "Traceback" not in err


def test_modem_log_says_where_and_saves_a_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prof = tmp_path / "p"
    code, out, _ = run(capsys, "modem-log", "--profile", str(prof))
    trace = links.trace_path(resolve_profile(prof))
    assert code == 0 and "no modem log yet" in out and str(trace) in out
    code, _, err = run(capsys, "modem-log", "--profile", str(prof), "--save", str(tmp_path / "x"))
    assert code == 1 and "no modem log to save" in err
    trace.parent.mkdir(parents=True, exist_ok=True)
    trace.with_name(trace.name + ".1").write_text("older > AT\n")
    trace.write_text("newer < OK\n")
    code, out, _ = run(capsys, "modem-log", "--profile", str(prof))
    assert code == 0 and f"The modem log is {trace} (22 bytes in 2 file(s))." in out
    target = tmp_path / "saved.log"
    code, out, _ = run(capsys, "modem-log", "--profile", str(prof), "--save", str(target))
    assert code == 0 and "22 bytes" in out
    assert target.read_text() == "older > AT\nnewer < OK\n"
    assert target.stat().st_mode & 0o777 == 0o600


def test_discover_prints_the_stick_it_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stick = VirtualHiLink(password="pw")
    url = stick.start()
    try:
        code, out, _ = run(capsys, "discover", "--profile", str(tmp_path / "p"), "--url", url,
                           "--timeout", "1")  # fmt: skip
    finally:
        stick.stop()
    assert code == 0
    assert f"HiLink stick found at {url} (password: textdesk modem-password)" in out.splitlines()
    code, _, err = run(capsys, "discover", "--profile", str(tmp_path / "p"), "--url", "192.168.8.1")
    assert code == 1 and "is not an address like http://192.168.8.1" in err


def test_serve_drives_the_hilink_stick_headless(tmp_path: Path) -> None:
    stick = VirtualHiLink(password="stick-pw", report="flag")
    url = stick.start()
    profile = resolve_profile(tmp_path / "p")
    profile.ensure()
    open_database(profile.db_path)
    Settings().set("rate_per_minute", 60)
    close_database()
    env = env_for(tmp_path / "keyring.json", **{secrets.HILINK_PASSWORD: "stick-pw"})
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "desk.cli.main", "serve", "--profile", str(profile.data_dir),
         "--modem", "hilink", "--port", url],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        sent = subprocess.run(
            [sys.executable, "-m", "desk.cli.main", "send", "--profile", str(profile.data_dir),
             "+12025550143", "Your car is ready"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        stick.control({"cmd": "deliver", "from": "+12025550178", "text": "Open on Sunday?"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            con = sqlite3.connect(profile.db_path, timeout=10)
            rows = dict(con.execute("SELECT direction, state FROM message").fetchall())
            con.close()
            if rows.get("in") and rows.get("out") in ("sent", "delivered"):
                break
            time.sleep(0.2)
        assert rows.get("in") and rows.get("out") in ("sent", "delivered"), (
            rows, (tmp_path / "serve.log").read_text()[-2000:],
        )  # fmt: skip
        assert [e["text"] for e in stick.submitted()] == ["Your car is ready"]
        deadline = time.monotonic() + 10
        while stick.control({"cmd": "state"})["inbox"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stick.control({"cmd": "state"})["inbox"] == []  # deleted once stored
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        log.close()
        stick.stop()
    assert "stick-pw" not in (tmp_path / "serve.log").read_text()
