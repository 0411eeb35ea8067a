"""Open TextDesk when the shop's user logs in: reminders go out even after a restart of the PC.

- Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/textdesk.desktop`` (default
  ``~/.config``), the freedesktop autostart entry every desktop reads.
- Windows: the value ``TextDesk`` under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``,
  the per-user Startup entry (no administrator rights needed).

This is the computer's state, not a setting in the database: ``is_enabled()`` reads it back each
time, so what the settings dialog shows is what will happen. Errors are OSError with the path,
for one plain line.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

NAME = "TextDesk"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def command() -> list[str]:
    """How to start this TextDesk: the bundle's executable, or the installed ``textdesk``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    found = shutil.which("textdesk")
    if found:
        return [found]
    return [sys.executable, "-m", "ui.app"]


def desktop_file(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "autostart" / "textdesk.desktop"


def _entry(cmd: list[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={NAME}\n"
        "Comment=Customer texts and reminders from the shop's counter PC\n"
        f"Exec={shlex.join(cmd)}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def is_enabled(env: dict[str, str] | None = None) -> bool:
    if sys.platform == "win32":
        return _windows_get() is not None
    path = desktop_file(env)
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8", errors="replace")
    return "Hidden=true" not in text and "X-GNOME-Autostart-enabled=false" not in text


def enable(cmd: list[str] | None = None, env: dict[str, str] | None = None) -> None:
    cmd = cmd or command()
    if sys.platform == "win32":
        _windows_set(subprocess_line(cmd))
        return
    path = desktop_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(_entry(cmd), encoding="utf-8")
    os.replace(tmp, path)


def disable(env: dict[str, str] | None = None) -> None:
    if sys.platform == "win32":
        _windows_set(None)
        return
    desktop_file(env).unlink(missing_ok=True)


def subprocess_line(cmd: list[str]) -> str:
    """A Windows command line (the Run key holds one string)."""
    return subprocess.list2cmdline(cmd)


if sys.platform == "win32":  # pragma: no cover - Windows only
    import winreg

    def _windows_get() -> str | None:
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, NAME)
        except FileNotFoundError:
            return None
        return str(value)

    def _windows_set(line: str | None) -> None:
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            if line is None:
                try:
                    winreg.DeleteValue(key, NAME)
                except FileNotFoundError:
                    pass
            else:
                winreg.SetValueEx(key, NAME, 0, winreg.REG_SZ, line)

else:

    def _windows_get() -> str | None:
        raise OSError("the Windows Startup entry exists only on Windows")

    def _windows_set(line: str | None) -> None:
        raise OSError("the Windows Startup entry exists only on Windows")
