"""modem.sim.jsonlines: the one control channel of all three virtual devices: the same answers
in-process and over stdin/stdout, for good commands, unknown ones, bad arguments, bad JSON,
a command that crashes, and quit."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from modem.sim.jsonlines import ControlError, answer, dispatch, need
from tests.modem.links.http_sim import ROOT


def test_answers_for_each_outcome() -> None:
    def boom(target: object, cmd: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("bug")

    commands = {
        "echo": lambda target, cmd: {"said": need(cmd, "text")},
        "nothing": lambda target, cmd: None,
        "boom": boom,
    }
    assert dispatch(commands, None, {"cmd": "echo", "text": "hi"}) == {"ok": True, "said": "hi"}
    assert dispatch(commands, None, {"cmd": "nothing"}) == {"ok": True}
    assert dispatch(commands, None, {"cmd": "echo"}) == {"ok": False, "error": "missing 'text'"}
    assert dispatch(commands, None, {"cmd": "nope"}) == {
        "ok": False, "error": "unknown command 'nope'",
    }  # fmt: skip
    assert dispatch(commands, None, {"cmd": "boom"}) == {
        "ok": False,
        "error": "RuntimeError('bug')",
    }
    assert answer(lambda: {"ok": False, "error": "inner"}, "x") == {"ok": False, "error": "inner"}
    with pytest.raises(ControlError):
        need({}, "k")


@pytest.mark.parametrize("kind", ["at", "hilink", "android"])
def test_every_device_speaks_the_same_channel(kind: str) -> None:
    lines = "\n".join([
        "not json", "[1, 2]", json.dumps({"cmd": "ping", "id": 1}),
        json.dumps({"cmd": "bogus", "id": 2}), json.dumps({"cmd": "deliver", "id": 3}),
        json.dumps({"cmd": "quit", "id": 4}),
    ]) + "\n"  # fmt: skip
    argv = [sys.executable, "-m", "modem.sim", "--kind", kind] + (
        ["--tcp", "127.0.0.1:0"] if kind == "at" else []
    )
    done = subprocess.run(argv, input=lines, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["event"] == "ready"
    replies = [e for e in events if e["event"] == "reply"]
    assert [r["ok"] for r in replies] == [False, False, True, False, False, True]
    assert replies[0]["error"].startswith("bad command:")
    assert replies[1]["error"] == "bad command: a command is a JSON object"
    assert [r.get("id") for r in replies[2:]] == [1, 2, 3, 4]
    assert replies[3]["error"] == "unknown command 'bogus'"
    assert "missing" in replies[4]["error"]
