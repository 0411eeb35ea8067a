"""textdesk templates (list, add, edit, rename, move, delete, export, import) and the number rule
of textdesk send, in one-line answers; a real profile and SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desk.cli.main import main
from desk.messaging import templates
from desk.store.db import close_database
from desk.store.models import Message


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def prof(tmp_path: Path) -> str:
    yield str(tmp_path / "profile")
    close_database()


def test_a_shop_writes_orders_and_removes_its_templates(capsys, prof, tmp_path) -> None:
    code, out, _ = run(capsys, "templates", "--profile", prof)
    assert (code, out) == (0, "no templates yet: textdesk templates add NAME TEXT\n")
    code, out, err = run(capsys, "templates", "add", "ready",
                         "Hi {first_name}, your {item} is ready at {shop}.", "--profile", prof)  # fmt: skip
    assert code == 0, err
    assert out == "added /ready [1 SMS]; staff fill in {item} each time\n"
    run(capsys, "templates", "add", "hours", "We open at 9.", "--profile", prof)
    code, out, _ = run(capsys, "templates", "move", "hours", "1", "--profile", prof)
    assert out == "order: /hours, /ready\n"
    code, out, _ = run(capsys, "templates", "--profile", prof)
    assert out.splitlines() == [
        " 1  /hours  We open at 9.  [1 SMS]",
        " 2  /ready  Hi {first_name}, your {item} is ready at {shop}.  [1 SMS]",
    ]
    run(capsys, "templates", "edit", "hours", "We open at 8 – see you", "--profile", prof)
    code, out, _ = run(capsys, "templates", "--profile", prof)
    assert "[1 SMS (Unicode)]" in out.splitlines()[0]  # the en dash is not in the GSM alphabet
    run(capsys, "templates", "rename", "hours", "opening", "--profile", prof)
    file = tmp_path / "t.json"
    code, out, _ = run(capsys, "templates", "export", str(file), "--profile", prof)
    assert out == f"wrote 2 templates to {file}\n"
    assert [t["name"] for t in json.loads(file.read_text())["templates"]] == ["opening", "ready"]
    code, out, _ = run(capsys, "templates", "remove", "ready", "--profile", prof)
    assert out == "deleted /ready\n"
    code, out, _ = run(capsys, "templates", "import", str(file), "--profile", prof)
    assert out == "imported 1 new templates\n"
    assert [t.name for t in templates.templates()] == ["opening", "ready"]


@pytest.mark.parametrize(
    ("argv", "words", "status"),
    [
        (["templates", "delete", "nope"], "There is no template called “nope”.", 1),
        (["templates", "add", "two words", "x"], "cannot be a template name", 1),
        (["templates", "add", "lonely"], "usage: textdesk templates add NAME TEXT", 2),
        (["templates", "move", "x", "first"], "PLACE must be a number", 2),
    ],
)
def test_bad_template_commands_answer_in_one_line(capsys, prof, argv, words, status) -> None:
    code, _, err = run(capsys, *argv, "--profile", prof)
    lines = err.strip().splitlines()
    assert code == status and len(lines) == 1 and words in lines[0], err


def test_send_to_a_number_the_numbering_data_does_not_know_needs_anyway(capsys, prof) -> None:
    code, out, err = run(capsys, "send", "--profile", prof, "+1 555 123 4567", "hello")
    assert code == 1 and out == ""
    assert "(555) 123-4567 is not a number TextDesk's numbering data knows" in err
    assert "Nothing was sent; add --anyway to send it." in err and len(err.splitlines()) == 1
    assert Message.select().count() == 0
    code, out, err = run(capsys, "send", "--profile", prof, "+1 555 123 4567", "hello", "--anyway")
    assert code == 0, err
    assert out.startswith("queued message 1 to (555) 123-4567")
    code, out, err = run(capsys, "send", "--profile", prof, "+15551234567", "again")
    assert code == 0, err  # a customer already: no question
    code, _, err = run(capsys, "send", "--profile", prof, "+1 555 12", "short")
    assert code == 1 and "wrong number of digits" in err
