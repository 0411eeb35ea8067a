"""What the modem-thread modules (health, incoming, sending) may use of the service.

``ServiceHost`` is the narrow face ModemService shows them: the channel, the timeouts, status
and events. Their own state (the PIN, the acks waiting, the sweep schedule) lives in objects they
own, so no module reaches into another's attributes.
"""

from __future__ import annotations

from typing import Protocol

from modem.at.channel import AtChannel, Response
from modem.events import ModemEvent, ModemStatus


class ServiceHost(Protocol):
    command_timeout: float
    send_timeout: float
    sim_busy_wait: float

    @property
    def channel(self) -> AtChannel: ...

    @property
    def status(self) -> ModemStatus: ...

    def command(
        self, cmd: str, *, expect: str | bool | None = True, final_on_info: bool = False
    ) -> Response:
        """One AT command with the service's timeout and hang detection."""
        ...

    def check_alive(self) -> None:
        """After a timeout: raise when the modem no longer answers AT."""
        ...

    def emit(self, event: ModemEvent) -> None: ...

    def set_status(self, **changes: object) -> None: ...
