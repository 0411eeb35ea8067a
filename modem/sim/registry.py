"""The command table: handlers register here with what they need (a ready SIM, SMS service)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from modem.sim.at_parser import Command
    from modem.sim.core import ModemCore


class NoFinal(list[str]):
    """Information lines sent without a final result code (a firmware bug some modems have)."""


@dataclass
class Prompt:
    """The command wants text after a ``> `` prompt; ``on_text`` gets it at Ctrl-Z."""

    on_text: Callable[[str], list[str]]
    on_cancel: Callable[[], None] | None = None


Result = list[str] | Prompt
Handler = Callable[["ModemCore", "Command"], Result]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Spec:
    fn: Handler
    sim: bool = False  # needs an unlocked SIM (except the =? form)
    sms: bool = False  # a 27.005 command: SIM errors as +CMS ERROR
    vendor: bool = False  # only on profiles that list it in extra_commands / iccid


REGISTRY: dict[str, Spec] = {}


def command(
    *names: str, sim: bool = False, sms: bool = False, vendor: bool = False
) -> Callable[[H], H]:
    """Register the decorated handler under ``names`` (AT command names without "AT")."""

    def wrap(fn: H) -> H:
        for name in names:
            REGISTRY[name.upper()] = Spec(fn, sim, sms, vendor)
        return fn

    return wrap
