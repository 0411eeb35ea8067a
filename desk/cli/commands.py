"""The names of the ``textdesk`` subcommands and ``is_subcommand(argv)``: all the window
(ui.app) needs to tell a command line from a window start, without importing the command
line's parser and handlers (desk.cli.main and everything it pulls in).

``REGISTERED`` names the subcommands each module of desk.cli registers; desk.cli.main's
``build_parser`` checks that each module registers exactly these.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CORE_COMMANDS", "GLOBAL_WITH_VALUE", "REGISTERED", "SUBCOMMANDS", "is_subcommand"]

CORE_COMMANDS = ("serve", "send", "config", "ports", "status")
REGISTERED: dict[str, tuple[str, ...]] = {
    "desk.cli.data": ("export", "backup", "restore", "erase", "search", "retention"),
    "desk.cli.reminders": ("remind", "reminders", "import-appointments"),
    "desk.cli.report": ("report",),
    "desk.cli.modem": ("modem-password", "modem-log", "discover"),
    "desk.cli.automations": ("contacts", "keywords", "automations"),
    "desk.cli.templates": ("templates",),
    "desk.cli.database": ("database", "database-password"),
}
SUBCOMMANDS: frozenset[str] = frozenset(CORE_COMMANDS).union(*REGISTERED.values())
GLOBAL_WITH_VALUE = ("--profile", "--port", "--database")


def is_subcommand(argv: Sequence[str]) -> bool:
    """True when ``argv`` (without the program name) is for the command line, not the window:
    its first word after the global options is a subcommand, or it asks for --help."""
    args = list(argv)
    i = 0
    while i < len(args):
        word = args[i]
        if word in ("-h", "--help"):
            return True
        if word in GLOBAL_WITH_VALUE:
            i += 2
            continue
        if any(word.startswith(opt + "=") for opt in GLOBAL_WITH_VALUE):
            i += 1
            continue
        return word in SUBCOMMANDS
    return False
