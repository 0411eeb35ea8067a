"""This PC's own choices among several counters (its database.json, never the shared settings):
``textdesk database modem off`` / ``name``, ``serve --no-modem`` refused on one PC's own file, and
a counter set never to drive the modem that never stands for it, though one is configured."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from desk.base import events as ev
from desk.base.paths import resolve_profile
from desk.cli.main import main
from desk.engine.api import Engine
from desk.store.db import close_database, open_server_database
from desk.store.settings import Settings
from tests.desk.store.postgres.test_counters_engine import Sink, said
from tests.helpers.waits import wait_until


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    close_database()
    return code, out, err


def test_the_choices_stay_in_this_pcs_file(tmp_path: Path, pg_url: str, capsys) -> None:
    prof = str(tmp_path / "till")
    assert run(capsys, "--profile", prof, "database", "use", pg_url)[0] == 0
    code, out, _ = run(capsys, "--profile", prof, "database", "modem", "off")
    assert code == 0 and "never drives the modem" in out
    code, out, _ = run(capsys, "--profile", prof, "database", "name", "Back  office")
    assert code == 0 and "“Back office”" in out
    profile = resolve_profile(prof)
    assert json.loads(profile.database_file.read_text()) == {
        "url": pg_url, "no_modem": True, "counter": "Back office",
    }  # fmt: skip
    assert profile.no_modem and profile.counter == "Back office" and profile.database_url == pg_url
    code, out, _ = run(capsys, "--profile", prof, "database")
    assert "counter:  Back office" in out and "never driven from this PC" in out
    open_server_database(pg_url)
    assert Settings().get("modem_port") in (None, "")  # nothing of it in the shared settings
    close_database()
    # back to this PC's file: the address goes, this PC's choices stay
    assert run(capsys, "--profile", prof, "database", "use", "--sqlite")[0] == 0
    assert json.loads(profile.database_file.read_text()) == {
        "no_modem": True,
        "counter": "Back office",
    }
    assert resolve_profile(prof).database_url is None
    assert run(capsys, "--profile", prof, "database", "modem", "on")[0] == 0
    assert not resolve_profile(prof).no_modem


def test_serve_no_modem_is_for_a_counter_on_the_server(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "--profile", str(tmp_path / "p"), "serve", "--no-modem")
    assert code == 1 and "--no-modem is for a counter on the shop's server" in err
    assert "Traceback" not in err


def test_a_counter_set_never_to_drive_the_modem_never_stands(tmp_path: Path, pg_url: str) -> None:
    open_server_database(pg_url)
    Settings().set("modem_port", "socket://127.0.0.1:9")  # a network modem every counter has
    profile = resolve_profile(tmp_path / "till", database=pg_url)
    engine = Engine(replace(profile, no_modem=True).ensure(), mode="test", interval=0.1)
    sink = Sink()
    engine.subscribe(sink)
    engine.start()
    try:
        sink.wait(said("No counter drives the modem yet. This PC is set never to drive"), 10)
        core = engine._core
        assert core is not None
        assert core.ownership is None and core.service is None and core.generation is None
        wait_until(lambda: core.listener is not None and core.listener.listening.is_set(), 5)
        assert not [e for _, e in sink.events if isinstance(e, ev.Problem)]
    finally:
        engine.stop()
