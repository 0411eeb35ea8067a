"""First start: name the shop, find the modem, or try demo mode instead."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from desk.engine.ports import PortInfo
from ui import ports

PathRole = Qt.ItemDataRole.UserRole + 1


class FirstRunWizard(QWizard):
    """After exec(): ``mode`` is "modem" or "demo"; ``port`` ("" = automatic), ``shop_name``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to TextDesk")
        self.mode = "modem"
        self.port = ""
        self.shop_name = ""

        welcome = QWizardPage(self)
        welcome.setTitle("Welcome to TextDesk")
        welcome.setSubTitle(
            "Text your customers from this PC, through a USB modem with your shop's SIM."
        )
        self.shop = QLineEdit(welcome)
        self.shop.setPlaceholderText("e.g. Smile Dental")
        self.shop.setAccessibleName("Shop name")
        wl = QVBoxLayout(welcome)
        wl.addWidget(
            QLabel("Your shop's name (used in replies like “Thanks for texting {shop}”):", welcome)
        )
        wl.addWidget(self.shop)
        self.addPage(welcome)

        modem = QWizardPage(self)
        modem.setTitle("Find the modem")
        modem.setSubTitle("Plug in the USB modem with the SIM card, then pick it below.")
        self.use_modem = QRadioButton("Use my modem", modem)
        self.use_demo = QRadioButton("No modem yet: try demo mode with sample customers", modem)
        self.use_modem.setChecked(True)
        self.list = QListWidget(modem)
        self.list.setAccessibleName("Serial ports found")
        self.probe_result = QLabel("", modem)
        self.probe_result.setWordWrap(True)
        self.again = QPushButton("Look again", modem)
        self.test = QPushButton("Test", modem)
        self.again.clicked.connect(self.refresh)
        self.test.clicked.connect(self._test)
        self.use_demo.toggled.connect(
            lambda on: [w.setEnabled(not on) for w in (self.list, self.again, self.test)]
        )
        ml = QVBoxLayout(modem)
        ml.addWidget(self.use_modem)
        ml.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.probe_result, 1)
        row.addWidget(self.again)
        row.addWidget(self.test)
        ml.addLayout(row)
        ml.addWidget(self.use_demo)
        self.addPage(modem)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        auto = QListWidgetItem("Find it automatically")
        auto.setData(PathRole, "")
        self.list.addItem(auto)
        self.list.setCurrentRow(0)
        self.probe_result.setText("Looking for modems…")
        ports.list_ports_async(self, self._found)

    def _found(self, found: list[PortInfo], err: str | None) -> None:
        for info in found:
            item = QListWidgetItem(ports.port_label(info))
            item.setData(PathRole, info.device)
            self.list.addItem(item)
        if err:
            self.probe_result.setText(err)
        else:
            self.probe_result.setText(
                f"Found {len(found)} possible port(s)."
                if found
                else "No modem found. Is it plugged in?"
            )

    def _test(self) -> None:
        item = self.list.currentItem()
        path = item.data(PathRole) if item else ""
        if not path:
            self.probe_result.setText("Pick a port to test.")
            return
        self.probe_result.setText(f"Testing {path}…")
        ports.probe_async(
            self, path, lambda r, e: self.probe_result.setText(ports.describe_probe(r, e)[1])
        )

    def accept(self) -> None:
        self.shop_name = self.shop.text().strip()
        self.mode = "demo" if self.use_demo.isChecked() else "modem"
        item = self.list.currentItem()
        self.port = (item.data(PathRole) or "") if item else ""
        super().accept()
