"""Pickers for the settings a person should choose rather than type: the shop's country and time
zone. Each is an editable list with completion ("United Kingdom — GB", "Europe/London"), so a
choice is one click, typing still works ("gb", "london"), and what it holds is checked by the
setting's own parser like any other field."""

from __future__ import annotations

import zoneinfo

import phonenumbers
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget


class Picker(QComboBox):
    """An editable list of (label, value); ``value()`` is the chosen item's value, or the text as
    typed when it names none (the setting's parser then says what is wrong with it)."""

    def __init__(self, items: list[tuple[str, str]], current: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for label, value in items:
            self.addItem(label, value)
        completer = QCompleter([label for label, _ in items], self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompleter(completer)
        self.setText(current)

    def setText(self, text: str) -> None:
        index = self.findData(text)
        if index >= 0:
            self.setCurrentIndex(index)
        else:
            self.setEditText(text)

    def value(self) -> str:
        text = self.currentText().strip()
        index = self.findText(text)
        if index >= 0:
            return str(self.itemData(index))
        return text


def country_items() -> list[tuple[str, str]]:
    """Every region phone numbers are known for, by its name in English, with its code."""
    out = []
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        territory = QLocale.codeToTerritory(code)
        name = QLocale.territoryToString(territory) if territory.value else code
        out.append((f"{name} — {code}", code))
    return sorted(out)


def zone_items() -> list[tuple[str, str]]:
    """The computer's own zone first (an empty setting), then every IANA zone."""
    zones = sorted(
        z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")
    )
    return [("This computer's time zone", ""), *((z.replace("_", " "), z) for z in zones)]


def country_picker(current: str, parent: QWidget | None = None) -> Picker:
    return Picker(country_items(), current, parent)


def zone_picker(current: str, parent: QWidget | None = None) -> Picker:
    return Picker(zone_items(), current, parent)
