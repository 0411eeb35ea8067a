"""Settings: modem (ports found automatically, a Test button, PIN), shop, texts, sending, data.

Values are checked with the same parsers as ``textdesk config`` (desk.store.settings.SPECS) and saved
through the engine (the one writer). The theme follows the system, so there is no theme option.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desk.engine.ports import PortInfo, ProbeResult
from desk.store.settings import SPECS, SettingError
from ui import ports

LABELS = {
    "shop_name": "Shop name",
    "signature": "Signature",
    "staff_name": "Your name",
    "default_country": "Default country",
    "timezone": "Time zone",
    "modem_port": "Modem port",
    "modem_pin": "SIM PIN",
    "ussd_balance": "Balance code",
    "help_text": "Answer to HELP",
    "optout_confirmation": "Reply to STOP",
    "optin_confirmation": "Reply to START",
    "rate_per_minute": "Texts per minute (most)",
    "rate_per_day": "Texts per day (most)",
    "quiet_hours": "Automated texts only",
    "send_key": "Send with",
    "retention_days": "Delete messages after (days, 0 = keep)",
    "notifications": "Desktop notification on a new message",
    "sound": "Play a sound on a new message",
}
PAGES = {
    "Shop": ["shop_name", "signature", "staff_name", "default_country", "timezone"],
    "Modem": ["modem_port", "modem_pin", "ussd_balance"],
    "Auto replies": ["help_text", "optout_confirmation", "optin_confirmation"],
    "Sending": ["send_key", "rate_per_minute", "rate_per_day", "quiet_hours"],
    "Data and alerts": ["retention_days", "notifications", "sound"],
}
LONG_TEXT = {"help_text", "optout_confirmation", "optin_confirmation"}


class SettingsDialog(QDialog):
    def __init__(
        self,
        values: dict[str, Any],
        *,
        apply: Callable[[dict[str, str], Callable[[str | None], None]], None],
        connected: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.values = values
        self.connected = connected
        self._apply = apply
        self.fields: dict[str, QWidget] = {}
        self.tabs = QTabWidget(self)
        for page, keys in PAGES.items():
            w = QWidget(self.tabs)
            form = QFormLayout(w)
            for key in keys:
                field = self._field(key, values.get(key, SPECS[key].default))
                field.setAccessibleName(LABELS[key])
                field.setToolTip(SPECS[key].help)
                self.fields[key] = field
                if key == "modem_port":
                    if connected:
                        now = QLabel(f"In use now: {connected}", w)
                        now.setWordWrap(True)
                        form.addRow("", now)
                    form.addRow(LABELS[key], self._port_row(field))
                    self.probe_result = QLabel("", w)
                    self.probe_result.setWordWrap(True)
                    form.addRow("", self.probe_result)
                else:
                    form.addRow(LABELS[key], field)
            if page == "Auto replies":
                form.addRow("", QLabel("{shop} is replaced by the shop name.", w))
            self.tabs.addTab(w, page)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d93025;")
        self.error.setAccessibleName("Settings problem")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, 460)
        self.refresh_ports()

    # --- fields ----------------------------------------------------------------------------
    def _field(self, key: str, value: Any) -> QWidget:
        if isinstance(SPECS[key].default, bool):
            box = QCheckBox(self)
            box.setChecked(bool(value))
            return box
        if key in ("rate_per_minute", "rate_per_day", "retention_days"):
            spin = QSpinBox(self)
            spin.setRange(
                0 if key == "retention_days" else 1,
                {"rate_per_minute": 60, "rate_per_day": 10000}.get(key, 36500),
            )
            spin.setValue(int(value))
            return spin
        if key == "send_key":
            combo = QComboBox(self)
            combo.addItem("Enter (Shift+Enter for a new line)", "enter")
            combo.addItem("Ctrl+Enter (Enter for a new line)", "ctrl+enter")
            combo.setCurrentIndex(0 if value == "enter" else 1)
            return combo
        if key == "modem_port":
            combo = QComboBox(self)
            combo.setEditable(True)
            combo.addItem("Find it automatically", "")
            if value:
                combo.addItem(str(value), str(value))
                combo.setCurrentIndex(1)
            return combo
        if key in LONG_TEXT:
            edit = QPlainTextEdit(str(value), self)
            edit.setTabChangesFocus(True)
            edit.setMaximumHeight(edit.fontMetrics().lineSpacing() * 4 + 12)
            return edit
        line = QLineEdit(str(value), self)
        if key == "modem_pin":
            line.setEchoMode(QLineEdit.EchoMode.Password)
        if key == "quiet_hours":
            line.setPlaceholderText("08:00-21:00, or off")
        return line

    def _port_row(self, combo: QWidget) -> QWidget:
        w = QWidget(self)
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(combo, 1)
        self.refresh_button = QPushButton("Look again", w)
        self.refresh_button.clicked.connect(self.refresh_ports)
        self.test_button = QPushButton("Test", w)
        self.test_button.setAccessibleName("Test the modem port")
        self.test_button.clicked.connect(self.test_port)
        row.addWidget(self.refresh_button)
        row.addWidget(self.test_button)
        return w

    def text_of(self, key: str) -> str:
        w = self.fields[key]
        if isinstance(w, QCheckBox):
            return "on" if w.isChecked() else "off"
        if isinstance(w, QSpinBox):
            return str(w.value())
        if isinstance(w, QComboBox):
            data = w.currentData()
            if w.isEditable() and w.currentText() != w.itemText(w.currentIndex()):
                return w.currentText().strip()
            return str(data if data is not None else w.currentText()).strip()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        assert isinstance(w, QLineEdit)
        return w.text()

    # --- ports -----------------------------------------------------------------------------
    def refresh_ports(self) -> None:
        self.probe_result.setText("Looking for modems…")
        ports.list_ports_async(self, self._ports_found)

    def _ports_found(self, found: list[PortInfo], err: str | None) -> None:
        combo = self.fields["modem_port"]
        assert isinstance(combo, QComboBox)
        current = self.text_of("modem_port")
        known = {combo.itemData(i) for i in range(combo.count())}
        for info in found:
            path = info.device
            if path not in known:
                combo.addItem(ports.port_label(info), path)
        if err:
            self.probe_result.setText(f"Could not list ports: {err}")
        elif not found:
            self.probe_result.setText(
                "No other serial ports found."
                if self.connected
                else "No serial ports found. Is the modem plugged in?"
            )
        else:
            self.probe_result.setText(
                f"Found {len(found)} possible port(s). Pick one and press Test."
            )
        idx = combo.findData(current)
        if idx >= 0:
            combo.setCurrentIndex(idx)

    def test_port(self) -> None:
        path = self.text_of("modem_port")
        if not path:
            self.probe_result.setText("Pick a port first (or leave it on automatic).")
            return
        self.test_button.setEnabled(False)
        self.probe_result.setText(f"Testing {path}…")
        ports.probe_async(self, path, self._tested)

    def _tested(self, result: ProbeResult | None, err: str | None) -> None:
        self.test_button.setEnabled(True)
        ok, text = ports.describe_probe(result, err)
        self.probe_result.setText(("✓ " if ok else "✕ ") + text)
        self.probe_result.setStyleSheet("color: #188038;" if ok else "color: #d93025;")

    # --- saving ----------------------------------------------------------------------------
    def changes(self) -> dict[str, str]:
        """Changed fields as text, each checked with its setting's parser (SettingError)."""
        out: dict[str, str] = {}
        for key in self.fields:
            text = self.text_of(key)
            try:
                parsed = SPECS[key].parse(text)
            except SettingError as exc:
                self.tabs.setCurrentIndex(
                    next(i for i, keys in enumerate(PAGES.values()) if key in keys)
                )
                self.fields[key].setFocus()
                raise SettingError(f"{LABELS[key]} {exc}") from None
            if parsed != self.values.get(key, SPECS[key].default):
                out[key] = text
        return out

    def save(self) -> None:
        try:
            changes = self.changes()
        except SettingError as exc:
            self.error.setText(str(exc))
            return
        if not changes:
            self.accept()
            return
        self.save_button.setEnabled(False)
        self.error.setText("Saving…")
        self._apply(changes, self._saved)

    def _saved(self, error: str | None) -> None:
        self.save_button.setEnabled(True)
        if error:
            self.error.setText(error)
        else:
            self.accept()
