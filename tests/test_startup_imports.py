"""Start-up cost: the window's entry point (ui.app) and the command line's parser import no
HTTP device library (and the parser not the engine: `textdesk serve` imports it to run); the
device link that needs one imports it when it is built (a missing library then fails loudly
there, never quietly at start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTTP_DEVICE_MODULES = ("huawei_lte_api", "android_sms_gateway", "httpx", "requests")


def _loaded_after(code: str) -> set[str]:
    """The modules of interest in sys.modules after running ``code`` in a fresh interpreter."""
    watched = (*HTTP_DEVICE_MODULES, "desk.cli.main", "PySide6", "modem.hilink.link",
               "modem.android.link", "desk.cli.serve", "desk.engine.api",
               "desk.automations.keywords")  # fmt: skip
    script = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_window_entry_point_imports_neither_the_cli_nor_qt_nor_device_libraries() -> None:
    loaded = _loaded_after("import ui.app")
    assert loaded == set(), loaded


def test_the_window_still_hands_a_subcommand_to_the_command_line() -> None:
    from ui import app

    assert app.main(["--help"]) == 0  # desk.cli.main's help, imported only now
    assert "desk.cli.main" in sys.modules


def test_the_command_line_parser_imports_no_http_device_library_nor_the_engine() -> None:
    loaded = _loaded_after("from desk.cli.main import build_parser\nbuild_parser()")
    assert loaded == {"desk.cli.main"}, loaded


def test_an_at_modem_link_imports_no_http_device_library() -> None:
    loaded = _loaded_after(
        "from desk.engine import links\n"
        "link = links.make_link(links.LinkChoice('at', '/dev/null-textdesk', secrets={}),"
        " lambda e: None, settings={})\n"
        "assert type(link).__name__ == 'ModemService'"
    )
    assert not loaded & {*HTTP_DEVICE_MODULES, "modem.hilink.link", "modem.android.link"}, loaded


def test_a_hilink_or_android_link_imports_its_library_when_built() -> None:
    loaded = _loaded_after(
        "from desk.engine import links\n"
        "hilink = links.make_link(links.LinkChoice('hilink', 'http://192.0.2.1',"
        " secrets={'hilink-password': 'x'}), lambda e: None, settings={})\n"
        "assert type(hilink).__name__ == 'HiLinkLink'\n"
    )
    assert {"huawei_lte_api", "modem.hilink.link"} <= loaded, loaded
    assert "android_sms_gateway" not in loaded
    loaded = _loaded_after(
        "from desk.base import secrets\n"
        "from desk.engine import links\n"
        "phone = links.make_link(links.LinkChoice('android', 'http://192.0.2.2:8080',"
        " android_username='shop', listen_host='127.0.0.1', listen_port=0,"
        " secrets={secrets.ANDROID_PASSWORD: 'pw', secrets.ANDROID_SIGNING_KEY: 'key'}),"
        " lambda e: None, settings={})\n"
        "assert type(phone).__name__ == 'AndroidLink'\n"
    )
    assert {"android_sms_gateway", "httpx", "modem.android.link"} <= loaded, loaded
