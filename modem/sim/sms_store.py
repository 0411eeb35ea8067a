"""Message storages of the virtual modem (27.005 +CPMS): SIM ("SM"), phone ("ME") and status
reports ("SR"), each with a capacity and indexes starting at the vendor's base (0 or 1)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Stat(enum.IntEnum):
    """<stat> of 27.005: numbers in PDU mode, strings in text mode."""

    REC_UNREAD = 0
    REC_READ = 1
    STO_UNSENT = 2
    STO_SENT = 3

    @property
    def text(self) -> str:
        return self.name.replace("_", " ")

    @classmethod
    def from_text(cls, value: str) -> Stat:
        return cls[value.strip().upper().replace(" ", "_")]


@dataclass
class Stored:
    index: int
    stat: Stat
    pdu: str  # hex as the modem keeps it: SMSC octets then the TPDU (may be malformed)


class Storage:
    def __init__(self, name: str, capacity: int, base: int = 1) -> None:
        self.name = name
        self.capacity = capacity
        self.base = base
        self.slots: dict[int, Stored] = {}

    @property
    def used(self) -> int:
        return len(self.slots)

    @property
    def full(self) -> bool:
        return self.used >= self.capacity

    def valid_index(self, index: int) -> bool:
        return self.base <= index < self.base + self.capacity

    def add(self, pdu: str, stat: Stat = Stat.REC_UNREAD) -> int | None:
        """Store in the lowest free index; None when full."""
        for index in range(self.base, self.base + self.capacity):
            if index not in self.slots:
                self.slots[index] = Stored(index, stat, pdu)
                return index
        return None

    def get(self, index: int) -> Stored | None:
        return self.slots.get(index)

    def delete(self, index: int) -> bool:
        return self.slots.pop(index, None) is not None

    def delete_flag(self, flag: int) -> int:
        """AT+CMGD=<i>,<delflag> 1-4: 1 read, 2 read+sent, 3 read+sent+unsent, 4 all."""
        kinds = {
            1: {Stat.REC_READ},
            2: {Stat.REC_READ, Stat.STO_SENT},
            3: {Stat.REC_READ, Stat.STO_SENT, Stat.STO_UNSENT},
            4: set(Stat),
        }[flag]
        doomed = [i for i, m in self.slots.items() if m.stat in kinds]
        for i in doomed:
            del self.slots[i]
        return len(doomed)

    def listing(self, stat: Stat | None) -> list[Stored]:
        """Messages in index order; ``stat`` None means all (PDU 4 / text "ALL")."""
        return [m for i, m in sorted(self.slots.items()) if stat is None or m.stat == stat]

    def clear(self) -> None:
        self.slots.clear()
