"""Open at login: the XDG autostart entry written, read back and removed (never the real one)."""

from __future__ import annotations

import shlex

from desk.base import autostart


def test_the_entry_is_written_read_back_and_removed(tmp_path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    assert not autostart.is_enabled(env)
    autostart.enable(["/opt/textdesk/textdesk"], env)
    path = tmp_path / "config" / "autostart" / "textdesk.desktop"
    text = path.read_text()
    assert "Exec=/opt/textdesk/textdesk\n" in text and "Type=Application" in text
    assert autostart.is_enabled(env)
    autostart.disable(env)
    assert not path.exists() and not autostart.is_enabled(env)
    autostart.disable(env)  # already off: nothing to do, no error


def test_home_config_is_the_default_and_a_hidden_entry_counts_as_off(tmp_path) -> None:
    env = {"HOME": str(tmp_path)}
    assert autostart.desktop_file(env) == tmp_path / ".config" / "autostart" / "textdesk.desktop"
    autostart.enable(["textdesk"], env)
    path = autostart.desktop_file(env)
    path.write_text(path.read_text() + "Hidden=true\n")
    assert not autostart.is_enabled(env)


def test_paths_with_spaces_are_quoted_for_the_desktop_and_for_windows() -> None:
    cmd = ["/home/shop/My Apps/textdesk"]
    assert shlex.split(autostart._entry(cmd).split("Exec=")[1].splitlines()[0]) == cmd
    assert autostart.subprocess_line(["C:\\Program Files\\TextDesk\\textdesk.exe"]) == (
        '"C:\\Program Files\\TextDesk\\textdesk.exe"'
    )
    assert autostart.command()  # how this TextDesk would be started
