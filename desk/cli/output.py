"""What every ``textdesk`` subcommand prints, and how it reports a failure.

``out(text)`` writes one line to stdout at once (a pipe sees it before the command ends);
``CliError(sentence, code)`` is raised with the one line desk.cli.main.main prints on stderr.
"""

from __future__ import annotations

__all__ = ["CliError", "out"]


class CliError(Exception):
    """A failure to report as one line on stderr, exit status ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def out(text: str = "") -> None:
    print(text, flush=True)
