"""Settings: the modem (its kind, port or address, passwords: ui.modem_setup), shop, texts,
sending, data.

Values are checked with the same parsers as ``textdesk config`` (desk.store.settings.SPECS) and saved
through the engine (the one writer). Passwords and the SIM PIN go to this computer's password
store first (``secret_store``, off the GUI thread), never into the settings (a SIM PIN still
in the older ``modem_pin`` setting is moved there by the engine). The theme follows the system,
so there is no theme option.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desk.base import autostart, secrets
from desk.messaging import sms_plan
from desk.store.settings import SPECS, SettingError
from ui import modem_words, pickers, sizing
from ui.modem_setup import ModemForm
from ui.modem_work import Keyring

LABELS = {
    "shop_name": "Shop name",
    "signature": "Signature",
    "staff_name": "Your name",
    "default_country": "Default country",
    "timezone": "Time zone",
    **modem_words.LABELS,
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
    "Modem": list(modem_words.KEYS),
    "Auto replies": ["help_text", "optout_confirmation", "optin_confirmation"],
    "Sending": ["send_key", "rate_per_minute", "rate_per_day", "quiet_hours"],
    "Data and alerts": ["retention_days", "notifications", "sound"],
}
LONG_TEXT = {"help_text", "optout_confirmation", "optin_confirmation"}


class SettingsDialog(QDialog):
    """``apply(changes, done)`` saves settings through the core; ``secret_store`` (a
    ui.modem_work.Keyring) keeps passwords, None where there is none to use (then typing one
    is refused in plain words); ``restart_link()`` is called after a password changed, so the
    modem link logs in with it at once."""

    def __init__(
        self,
        values: dict[str, Any],
        *,
        apply: Callable[[dict[str, str], Callable[[str | None], None]], None],
        connected: str | None = None,
        secret_store: Keyring | None = None,
        restart_link: Callable[[], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.values = values
        self.connected = connected
        self._apply = apply
        self.secret_store = secret_store
        self.restart_link = restart_link
        self.fields: dict[str, QWidget] = {}
        self.tabs = QTabWidget(self)
        self.modem = ModemForm(values, connected=connected, parent=self.tabs)
        self.fields.update(self.modem.fields)
        self.probe_result = self.modem.probe_result
        self.test_button = self.modem.test_button
        self.refresh_button = self.modem.refresh_button
        for page, keys in PAGES.items():
            if page == "Modem":
                self.tabs.addTab(self._scrolled(self.modem), page)
                continue
            w = QWidget(self.tabs)
            form = QFormLayout(w)
            for key in keys:
                field = self._field(key, values.get(key, SPECS[key].default))
                field.setAccessibleName(LABELS[key])
                field.setToolTip(SPECS[key].help)
                self.fields[key] = field
                form.addRow(LABELS[key], field)
            if page == "Shop":
                self.signature_cost = QLabel(w)
                self.signature_cost.setWordWrap(True)
                form.addRow("", self.signature_cost)
                signature = self.fields["signature"]
                assert isinstance(signature, QLineEdit)
                signature.textChanged.connect(self._show_signature_cost)
                self._show_signature_cost(signature.text())
            if page == "Auto replies":
                form.addRow("", QLabel("{shop} is replaced by the shop name.", w))
            if page == "Data and alerts":
                self.open_at_login = QCheckBox("Open TextDesk when I log in (reminders go out)", w)
                self.open_at_login.setChecked(self._autostart_now())
                form.addRow("Start", self.open_at_login)
            self.tabs.addTab(self._scrolled(w), page)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(modem_words.ERROR_STYLE)
        self.error.setAccessibleName("Settings problem")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        sizing.fit_to_text(self, 110, 36)
        self.refresh_ports()
        if secret_store is not None:
            secret_store.load(self, secrets.NAMES, self._secrets_loaded)

    def _scrolled(self, page: QWidget) -> QScrollArea:
        """A tab's page that scrolls rather than being cut off (big text, a small screen)."""
        area = QScrollArea(self.tabs)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # text wraps
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(page)
        return area

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
        if key == "default_country":
            return pickers.country_picker(str(value), self)
        if key == "timezone":
            return pickers.zone_picker(str(value), self)
        if key in LONG_TEXT:
            edit = QPlainTextEdit(str(value), self)
            edit.setTabChangesFocus(True)
            edit.setMaximumHeight(edit.fontMetrics().lineSpacing() * 4 + 12)
            return edit
        line = QLineEdit(str(value), self)
        if key == "quiet_hours":
            line.setPlaceholderText("08:00-21:00, or off")
        return line

    def text_of(self, key: str) -> str:
        if key in self.modem.fields:
            return self.modem.text(key)
        w = self.fields[key]
        if isinstance(w, QCheckBox):
            return "on" if w.isChecked() else "off"
        if isinstance(w, QSpinBox):
            return str(w.value())
        if isinstance(w, pickers.Picker):
            return w.value()
        if isinstance(w, QComboBox):
            return str(w.currentData()).strip()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        assert isinstance(w, QLineEdit)
        return w.text()

    # --- the modem ---------------------------------------------------------------------------
    def refresh_ports(self) -> None:
        self.modem.refresh_ports()

    def test_port(self) -> None:
        self.modem.test_port()

    def _secrets_loaded(self, stored: set[str] | None, err: str | None) -> None:
        if err is not None:
            self.error.setText(err)
            return
        self.modem.show_stored(stored or set())

    # --- saving ----------------------------------------------------------------------------
    def _page_of(self, key: str) -> int:
        return next(i for i, keys in enumerate(PAGES.values()) if key in keys)

    def changes(self) -> dict[str, str]:
        """Changed fields as text, each checked with its setting's parser (SettingError)."""
        out: dict[str, str] = {}
        for key in self.fields:
            text = self.text_of(key)
            try:
                parsed = SPECS[key].parse(text)
            except SettingError as exc:
                self.tabs.setCurrentIndex(self._page_of(key))
                self.fields[key].setFocus()
                raise SettingError(f"{LABELS[key]} {exc}") from None
            if parsed != self.values.get(key, SPECS[key].default):
                out[key] = text
        try:
            self.modem.check()
        except SettingError:
            self.tabs.setCurrentIndex(self._page_of("modem_kind"))
            raise
        return out

    def _show_signature_cost(self, text: str) -> None:
        """A signature with a character outside the GSM alphabet makes every signed reply
        Unicode: 70 characters per SMS instead of 160. Say so, and which character."""
        culprits = sms_plan.unicode_characters(text)
        if not culprits:
            self.signature_cost.setStyleSheet("")
            self.signature_cost.setText("")
            return
        shown = " ".join(f"“{ch}”" for ch in culprits[:4])
        self.signature_cost.setStyleSheet(modem_words.ERROR_STYLE)
        self.signature_cost.setText(
            f"Because of {shown} every signed reply is sent as Unicode: 70 characters per SMS "
            'instead of 160, so most replies cost two. Use plain characters ("-" for a dash).'
        )

    @staticmethod
    def _autostart_now() -> bool:
        try:
            return autostart.is_enabled()
        except OSError:
            return False

    def _apply_autostart(self) -> bool:
        """Write the login entry if the box changed; False (said in the dialog) if it failed."""
        wanted = self.open_at_login.isChecked()
        if wanted == self._autostart_now():
            return True
        try:
            autostart.enable() if wanted else autostart.disable()
        except OSError as exc:
            self.error.setText(f"Could not change the start at login: {exc}")
            return False
        return True

    def save(self) -> None:
        try:
            changes = self.changes()
        except SettingError as exc:
            self.error.setText(str(exc))
            return
        if not self._apply_autostart():
            return
        new_secrets = self.modem.secret_texts()
        if new_secrets and self.secret_store is None:
            self.error.setText(
                "TextDesk cannot keep passwords on this computer, so it cannot save them."
            )
            return
        if not changes and not new_secrets:
            self.accept()
            return
        self.save_button.setEnabled(False)
        self.error.setText("Saving…")
        if not new_secrets:
            self._apply(changes, self._saved)
            return
        assert self.secret_store is not None

        def stored(_count: int | None, err: str | None) -> None:
            if err is not None:
                self._saved(err)  # nothing of the settings saved either: all or nothing
                return
            for field in self.modem.secret_fields.values():
                field.clear()
            kept = {name for name, value in new_secrets.items() if value}
            gone = {name for name, value in new_secrets.items() if not value}
            self.modem.show_stored((self.modem.stored | kept) - gone)
            if changes:
                self._apply(changes, self._saved_with_secrets)
            else:
                self._saved_with_secrets(None)

        self.secret_store.save(self, new_secrets, stored)

    def _saved_with_secrets(self, error: str | None) -> None:
        if error is None and self.restart_link is not None:
            self.restart_link()
        self._saved(error)

    def _saved(self, error: str | None) -> None:
        self.save_button.setEnabled(True)
        if error:
            self.error.setText(error)
        else:
            self.accept()
