"""The entry point, the bridge between threads, crash reporting and the single-window rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from desk.base import events as ev
from desk.base.events import ModemState, ModemStatus
from ui.bridge import Bridge
from ui.crash import CrashHandler
from ui.single_instance import InstanceServer, ask_running


def test_self_test_passes(qtbot, capsys) -> None:
    from ui.app import main

    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    assert "reply shown delivered" in out and "passed" in out


def test_subcommands_go_to_the_cli(tmp_path: Path, capsys) -> None:
    from ui.app import main

    code = main(["--profile", str(tmp_path), "config", "shop_name"])
    assert code == 0
    assert "Our shop" in capsys.readouterr().out


def test_bridge_delivers_engine_events_on_the_gui_thread(qtbot) -> None:
    bridge = Bridge()
    gui = threading.get_ident()
    seen: list[tuple[str, int]] = []
    bridge.messageAdded.connect(lambda mid, cid, d: seen.append(("added", threading.get_ident())))
    bridge.modemStatusChanged.connect(lambda s: seen.append((s.state, threading.get_ident())))

    def core() -> None:
        bridge.dispatch(ev.MessageAdded(1, 2, "in"))
        bridge.dispatch(ev.ModemStatusChanged(ModemStatus(state=ModemState.READY)))

    t = threading.Thread(target=core)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert [s for s, _ in seen] == ["added", ModemState.READY]
    assert all(tid == gui for _, tid in seen)


def test_when_done_calls_back_on_the_gui_thread(qtbot) -> None:
    bridge = Bridge()
    gui = threading.get_ident()
    got: list[tuple[object, int]] = []
    ok: Future = Future()
    bad: Future = Future()
    bridge.when_done(ok, lambda r: got.append((r, threading.get_ident())))
    bridge.when_done(bad, None, lambda e: got.append((str(e), threading.get_ident())))
    threading.Thread(
        target=lambda: (ok.set_result(42), bad.set_exception(ValueError("no")))
    ).start()
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    assert sorted(str(r) for r, _ in got) == ["42", "no"]
    assert {tid for _, tid in got} == {gui}


def test_crash_handler_reports_and_keeps_hard_crashes(qtbot, tmp_path: Path) -> None:
    crash = CrashHandler(tmp_path / "textdesk.log", tmp_path / "crash.log")
    crash.interactive = False
    crash.install()
    try:
        try:
            raise RuntimeError("boom in a slot")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        qtbot.waitUntil(lambda: bool(crash.shown), timeout=5000)
        assert "boom in a slot" in crash.shown[0]
    finally:
        crash.uninstall()
    (tmp_path / "crash.log").write_text("Fatal Python error: Segmentation fault\n")
    assert "Segmentation fault" in (crash.previous_crash() or "")
    assert crash.previous_crash() is None  # shown once, then set aside


def test_crash_handler_copes_without_stderr(qtbot, tmp_path: Path, monkeypatch) -> None:
    crash = CrashHandler(tmp_path / "textdesk.log", tmp_path / "crash.log")
    crash.interactive = False
    monkeypatch.setattr(sys, "stderr", None)
    try:
        raise KeyError("windowed")
    except KeyError:
        crash.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: bool(crash.shown), timeout=5000)


def test_second_launch_brings_the_window_forward(qtbot, tmp_path: Path) -> None:
    """The second launch is another process: it asks, the running window answers."""
    server = InstanceServer(tmp_path)
    assert server.listen()
    code = (
        "import sys; from PySide6.QtCore import QCoreApplication; app = QCoreApplication([]);"
        "from pathlib import Path; from ui.single_instance import ask_running;"
        f"sys.exit(0 if ask_running(Path({str(tmp_path)!r}), 10000) else 3)"
    )
    root = Path(__file__).resolve().parents[2]
    try:
        with qtbot.waitSignal(server.showRequested, timeout=20000):
            proc = subprocess.Popen([sys.executable, "-c", code], cwd=root)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
        assert proc.returncode == 0
    finally:
        server.close()
    assert ask_running(tmp_path / "other", 200) is False


def test_start_error_explains_a_running_service(tmp_path: Path) -> None:
    from desk.base.lock import ProfileLock, ProfileLocked
    from desk.base.paths import resolve_profile
    from ui.app import _start_error

    profile = resolve_profile(tmp_path).ensure()
    service = ProfileLock(profile.lock_path, mode="serve")
    service.acquire()
    try:
        with pytest.raises(ProfileLocked) as refused:
            ProfileLock(profile.lock_path, mode="window").acquire()
    finally:
        service.release()
    text = _start_error(refused.value, profile)
    assert "textdesk serve" in text and "already running" in text
    assert "Stop that first" in text


@pytest.mark.parametrize("argv", [["--demo", "--self-test"]])
def test_arguments_parse(argv: list[str]) -> None:
    from ui.app import parse_args

    args = parse_args(argv)
    assert args.demo and args.self_test and args.profile is None


DEMO_DRIVER = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(["textdesk"])
from ui.app import main
from ui.main_window import MainWindow
seen = {}
def poll():
    wins = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if wins:
        w = wins[0]
        seen["title"] = w.windowTitle()
        seen["rows"] = w.list.model.rowCount()
        if w.notifier.sent:  # the demo customer texted in after a few seconds
            seen["notified"] = w.notifier.sent[-1][0]
            QApplication.quit()
            return
    QTimer.singleShot(100, poll)
QTimer.singleShot(100, poll)
QTimer.singleShot(40000, QApplication.quit)  # a safety net, never the expected path
seen["code"] = main(["--demo"])
print("SEEN " + json.dumps(seen))
"""


def test_demo_opens_the_sample_shop_and_a_customer_writes_in() -> None:
    """Its own process: the app quits its event loop at the end, which a shared one cannot."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-c", DEMO_DRIVER], cwd=root, env=env, capture_output=True, text=True,
        timeout=90, check=False,
    )  # fmt: skip
    line = next((x for x in proc.stdout.splitlines() if x.startswith("SEEN ")), None)
    assert line is not None, proc.stderr[-2000:]
    seen = json.loads(line[5:])
    assert seen["code"] == 0
    assert "[demo]" in seen["title"] and "Smile Dental" in seen["title"]
    assert seen["rows"] == 25
    assert seen.get("notified") == "James O'Connor"


KIND_DEMO_DRIVER = """
import json, sys
from PySide6.QtCore import QTimer, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
app = QApplication(["textdesk"])
from desk.base.events import ModemState
from desk.read import queries
from ui import session as sessions
from ui.app import main
started = {}
real_start = sessions.start
def start(*args, **kwargs):
    started["s"] = real_start(*args, **kwargs)
    return started["s"]
sessions.start = start
TEXT = "Your crown is ready: pick it up any time after 2pm."
seen = {"sent": False}
def poll():
    s = started.get("s")
    if s is not None and s.window is not None and s.window.isVisible():
        w = s.window
        seen["title"] = w.windowTitle()
        seen["state"] = str(s.engine.modem_status.state)
        if not seen["sent"] and s.engine.modem_status.state == ModemState.READY:
            w.list.select(queries.conversation_for_number("+12025550112"))
            w.thread.composer.edit.setPlainText(TEXT)
            QTest.mouseClick(w.thread.composer.send_button, Qt.MouseButton.LeftButton)
            seen["sent"] = True
        done = [e for e in s.vm.submitted() if e.get("text", "").startswith(TEXT[:20])]
        if done:
            seen["submitted"] = done[0]
            seen["device"] = type(s.vm).__name__
            QApplication.quit()
            return
    QTimer.singleShot(100, poll)
QTimer.singleShot(100, poll)
QTimer.singleShot(60000, QApplication.quit)  # a safety net, never the expected path
seen["code"] = main(["--demo", "--modem", sys.argv[1]])
print("SEEN " + json.dumps(seen))
"""


@pytest.mark.parametrize(("kind", "device"), [("hilink", "VirtualHiLink")])
def test_demo_on_an_http_device_sends_from_the_window(kind: str, device: str) -> None:
    """``textdesk --demo --modem hilink``: the virtual stick starts, the engine drives it through
    the HiLink link, and a reply typed in the window reaches the stick."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-c", KIND_DEMO_DRIVER, kind], cwd=root, env=env, capture_output=True,
        text=True, timeout=90, check=False,
    )  # fmt: skip
    line = next((x for x in proc.stdout.splitlines() if x.startswith("SEEN ")), None)
    assert line is not None, proc.stderr[-2000:]
    seen = json.loads(line[5:])
    assert seen["code"] == 0 and "[demo]" in seen["title"], seen
    assert seen.get("device") == device, (seen, proc.stderr[-2000:])
    submitted = seen["submitted"]
    assert submitted["number"] == "+12025550112"
    assert submitted["text"].startswith("Your crown is ready: pick it up any time after 2pm.")


def test_demo_on_the_virtual_android_phone_sends_from_the_window(qtbot, tmp_path: Path) -> None:
    """The session ``textdesk --demo --modem android`` starts: the virtual gateway, the Android
    link (webhooks to 127.0.0.1), and a reply typed in the window reaches the phone."""
    from PySide6.QtCore import Qt

    from desk.base.paths import resolve_profile
    from desk.read import queries
    from desk.store.db import close_database
    from ui import session

    profile = resolve_profile(tmp_path / "profile").ensure()
    s = session.start(profile, virtual=True, demo_data=True, modem="android")
    try:
        qtbot.addWidget(s.window)
        s.window.show()
        assert type(s.vm).__name__ == "VirtualAndroid"
        qtbot.waitUntil(lambda: s.engine.modem_status.state == ModemState.READY, timeout=20000)
        assert s.engine.modem_status.port == s.vm.url
        s.window.list.select(queries.conversation_for_number("+12025550112"))
        composer = s.window.thread.composer
        composer.edit.setPlainText("Your glasses are ready.")
        qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(s.vm.submitted()), timeout=20000)
        sent = s.vm.submitted()[0]
        assert sent["number"] == "+12025550112"
        assert sent["text"].startswith("Your glasses are ready.")
    finally:
        s.close()
        close_database()


def test_the_wizards_choice_is_saved_before_the_engine_starts(tmp_path) -> None:
    """The engine starts on the modem the wizard chose, not first on a USB modem it looks for."""
    from desk.base.paths import resolve_profile
    from desk.store.db import close_database, open_database
    from desk.store.models import AuditLog
    from desk.store.settings import Settings
    from ui import session

    profile = resolve_profile(tmp_path / "p").ensure()
    chosen = {"modem_kind": "hilink", "hilink_url": "http://192.168.8.1", "shop_name": "Smile"}
    session.prepare_database(profile, demo=False, first_settings=chosen)
    open_database(profile.db_path)
    try:
        s = Settings()
        assert (s.get("modem_kind"), s.get("shop_name")) == ("hilink", "Smile")
        assert (
            AuditLog.get().detail
            == "hilink_url, modem_kind, shop_name changed in the first-run wizard"
        )
    finally:
        close_database()


def test_without_the_wizard_the_shop_name_is_still_asked(qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    from ui import app

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("  Main St Bikes ", True))
    assert app._ask_shop_name() == {"shop_name": "Main St Bikes"}
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    assert app._ask_shop_name() is None
