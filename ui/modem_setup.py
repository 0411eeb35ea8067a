"""The modem part of Settings: which kind of modem (USB modem / HiLink stick / Android phone) and
the fields each needs. Passwords and the SIM PIN go to this computer's password store through
desk.base.secrets (never into the settings); ui.modem_work.Keyring does that off the GUI
thread.

The words are in ui.modem_words, the slow calls (password store, addresses) in ui.modem_work.
``ModemForm.fields`` holds the widget of each setting it edits (``modem_kind``, ``modem_port``,
``hilink_url``, ``android_*``, ``ussd_balance``) for the settings dialog's generic save;
``secret_texts()`` is what to store in the password store, ``check()`` what the chosen kind
still lacks, in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desk.base import secrets
from desk.engine import discovery
from desk.engine.ports import PortInfo, ProbeResult
from desk.store.settings import SPECS, SettingError
from ui import ports
from ui.modem_words import (
    ABOUT,
    ERROR_STYLE,
    KINDS,
    LABELS,
    LIMITS,
    OK_STYLE,
    PLACEHOLDER_URL,
    SECRET_LABELS,
    SECRETS,
    STORED,
)
from ui.modem_work import local_address_towards


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return label


class ModemForm(QWidget):
    """Kind picker, one page of fields per kind, the balance code, and what the kind cannot do."""

    def __init__(
        self,
        values: Mapping[str, Any],
        *,
        connected: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.values = values
        self.connected = connected
        self.stored: set[str] = set()
        self.fields: dict[str, QWidget] = {}
        self.secret_fields: dict[str, QLineEdit] = {}
        self.url_tests: dict[str, QPushButton] = {}
        self.url_results: dict[str, QLabel] = {}

        self.kind = QComboBox(self)
        for kind, words in KINDS.items():
            self.kind.addItem(words, kind)
        self.fields["modem_kind"] = self.kind
        self.about = _note("", self)
        # one page per kind, only the chosen one shown (a QStackedWidget would stay as tall as
        # its tallest page: its heightForWidth asks every page, shown or not)
        self.pages = [self._at_page(), self._hilink_page(), self._android_page()]
        self.balance = QLineEdit(str(self._value("ussd_balance")), self)
        self.fields["ussd_balance"] = self.balance
        self.balance_label = QLabel(LABELS["ussd_balance"], self)
        self.limits = _note("", self)
        self.limits.setAccessibleName("What this modem cannot do")
        self.limits.setStyleSheet("color: palette(placeholder-text);")

        self.kind_label = QLabel(LABELS["modem_kind"], self)
        top = QFormLayout()
        top.addRow(self.kind_label, self.kind)
        top.addRow("", self.about)
        if connected:  # whichever kind it is: the port or address, maker, model
            top.addRow("", _note(f"In use now: {connected}", self))
        bottom = QFormLayout()
        bottom.addRow(self.balance_label, self.balance)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        for page in self.pages:
            layout.addWidget(page)
        layout.addLayout(bottom)
        layout.addWidget(self.limits)
        layout.addStretch(1)
        for key, field in self.fields.items():
            field.setAccessibleName(LABELS[key])
            field.setToolTip(SPECS[key].help)
        self._align_labels([top, bottom, *(page.layout() for page in self.pages)])
        self.kind.currentIndexChanged.connect(self._kind_changed)
        current = str(self._value("modem_kind"))
        self.kind.setCurrentIndex(max(0, self.kind.findData(current)))
        self._kind_changed()

    @staticmethod
    def _align_labels(forms: list[Any]) -> None:
        """One column of labels across the picker, the kind's page and the balance code."""
        labels: list[QWidget] = []
        for form in forms:
            assert isinstance(form, QFormLayout)
            for row in range(form.rowCount()):
                item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                label = item.widget() if item is not None else None
                if label is not None:
                    labels.append(label)
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)

    def _value(self, key: str) -> Any:
        return self.values.get(key, SPECS[key].default)

    def _secret(self, name: str, parent: QWidget) -> QLineEdit:
        line = QLineEdit(parent)
        line.setEchoMode(QLineEdit.EchoMode.Password)
        line.setAccessibleName(SECRET_LABELS[name])
        line.setToolTip(f"Kept in this computer's password store as {secrets.NAMES[name]}")
        self.secret_fields[name] = line
        return line

    def _line(self, key: str, parent: QWidget, placeholder: str = "") -> QLineEdit:
        line = QLineEdit(str(self._value(key)), parent)
        line.setPlaceholderText(placeholder)
        self.fields[key] = line
        return line

    # --- pages -----------------------------------------------------------------------------
    def _at_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        combo = QComboBox(page)
        combo.setEditable(True)
        combo.addItem("Find it automatically", "")
        value = str(self._value("modem_port"))
        if value:
            combo.addItem(value, value)
            combo.setCurrentIndex(1)
        edit = combo.lineEdit()
        assert edit is not None
        edit.setPlaceholderText("/dev/ttyUSB0, COM3, or socket://host:port")
        self.fields["modem_port"] = self.port = combo
        row = QWidget(page)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(combo, 1)
        self.refresh_button = QPushButton("Look again", row)
        self.refresh_button.clicked.connect(self.refresh_ports)
        self.test_button = QPushButton("Test", row)
        self.test_button.setAccessibleName("Test the modem port")
        self.test_button.clicked.connect(self.test_port)
        line.addWidget(self.refresh_button)
        line.addWidget(self.test_button)
        form.addRow(LABELS["modem_port"], row)
        self.probe_result = _note("", page)
        form.addRow("", self.probe_result)
        form.addRow(
            "",
            _note(
                "A modem on the network (ser2net): socket://host:port, or rfc2217://host:port.",
                page,
            ),
        )
        pin = self._secret(secrets.SIM_PIN, page)
        pin.setMaxLength(8)
        self.forget_pin = QPushButton("Forget it", page)
        self.forget_pin.setToolTip(
            "Remove the saved PIN (a wrong saved PIN would be tried at each start, and three "
            "wrong PINs lock the SIM)"
        )
        self.forget_pin.setCheckable(True)
        self.forget_pin.hide()  # until the password store says it holds one
        self.forget_pin.toggled.connect(self._forget_toggled)
        form.addRow(SECRET_LABELS[secrets.SIM_PIN], self._row(page, pin, self.forget_pin))
        return page

    def _forget_toggled(self, on: bool) -> None:
        pin = self.secret_fields[secrets.SIM_PIN]
        pin.setEnabled(not on)
        pin.clear()
        pin.setPlaceholderText("Removed when you save" if on else STORED)

    def _row(self, parent: QWidget, field: QWidget, *buttons: QPushButton) -> QWidget:
        row = QWidget(parent)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(field, 1)
        for button in buttons:
            line.addWidget(button)
        return row

    def _with_test(self, field: QLineEdit, kind: str, parent: QWidget) -> QWidget:
        button = QPushButton("Test", parent)
        button.setAccessibleName(f"Test the {KINDS[kind]}'s address")
        button.clicked.connect(lambda: self.test_address(kind))
        self.url_tests[kind] = button
        self.url_results[kind] = result = _note("", parent)
        result.hide()  # no empty row until there is something to say
        return self._row(parent, field, button)

    def _hilink_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        url = self._line("hilink_url", page, "http://192.168.8.1")
        form.addRow(LABELS["hilink_url"], self._with_test(url, "hilink", page))
        form.addRow("", self.url_results["hilink"])
        form.addRow(
            SECRET_LABELS[secrets.HILINK_PASSWORD], self._secret(secrets.HILINK_PASSWORD, page)
        )
        form.addRow(
            "",
            _note(
                "The password of the stick's web page (open its address in a browser to set "
                "one). Leave it empty if the stick has none.",
                page,
            ),
        )
        return page

    def _android_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        url = self._line("android_url", page, "http://192.168.1.50:8080")
        form.addRow(LABELS["android_url"], self._with_test(url, "android", page))
        form.addRow("", self.url_results["android"])
        form.addRow(LABELS["android_username"], self._line("android_username", page))
        form.addRow(
            SECRET_LABELS[secrets.ANDROID_PASSWORD], self._secret(secrets.ANDROID_PASSWORD, page)
        )
        form.addRow(
            SECRET_LABELS[secrets.ANDROID_SIGNING_KEY],
            self._secret(secrets.ANDROID_SIGNING_KEY, page),
        )
        form.addRow("", _note("All three are shown in the gateway app on the phone.", page))
        host = self._line("android_listen_host", page, "e.g. 192.168.1.20 (on the shop's Wi-Fi)")
        self.fill_button = QPushButton("Fill in", page)
        self.fill_button.setToolTip(
            "This computer's address on the network that leads to the phone"
        )
        self.fill_button.clicked.connect(self.fill_local_address)
        form.addRow(LABELS["android_listen_host"], self._row(page, host, self.fill_button))
        spin = QSpinBox(page)
        spin.setRange(1024, 65535)
        spin.setValue(int(self._value("android_listen_port")))
        self.fields["android_listen_port"] = spin
        form.addRow(LABELS["android_listen_port"], spin)
        return page

    def _kind_changed(self) -> None:
        kind = self.current_kind()
        index = list(KINDS).index(kind)
        for i, page in enumerate(self.pages):
            page.setVisible(i == index)
        self.about.setText(ABOUT[kind])
        self.limits.setText(LIMITS[kind])
        self.limits.setVisible(bool(LIMITS[kind]))
        has_ussd = kind != "android" and not self.kind.isHidden()
        self.balance.setVisible(has_ussd)
        self.balance_label.setVisible(has_ussd)

    def lock_kind(self, kind: str) -> None:
        """Show only ``kind``'s fields, without the picker and the balance code (the first-run
        wizard, which already knows what was found)."""
        for w in (self.kind, self.kind_label, self.about):
            w.hide()
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self._kind_changed()

    def page_index(self) -> int:
        """Which kind's page is shown (0 USB modem, 1 HiLink stick, 2 Android phone)."""
        return next(i for i, page in enumerate(self.pages) if not page.isHidden())

    def current_kind(self) -> str:
        return str(self.kind.currentData() or "at")

    # --- secrets ---------------------------------------------------------------------------
    def show_stored(self, names: set[str]) -> None:
        """Say which secrets the password store already holds (never their values)."""
        self.stored = set(names)
        for name, line in self.secret_fields.items():
            line.setPlaceholderText(STORED if name in names else "")
        self.forget_pin.setChecked(False)
        self.forget_pin.setVisible(secrets.SIM_PIN in names)
        if self.values.get("modem_pin") and secrets.SIM_PIN not in names:
            self.secret_fields[secrets.SIM_PIN].setPlaceholderText(
                "Saved (TextDesk moves it from the settings to the password store)"
            )

    def secret_texts(self) -> dict[str, str]:
        """The secrets typed for the chosen kind (an empty field keeps the stored one; "" for
        one to forget)."""
        out = {}
        if self.current_kind() == "at" and self.forget_pin.isChecked():
            out[secrets.SIM_PIN] = ""  # desk.base.secrets.put("") forgets it
        for name in SECRETS[self.current_kind()]:
            text = self.secret_fields[name].text().strip()
            if text:
                out[name] = text
        return out

    def check(self) -> None:
        """What the chosen kind still needs, as a SettingError naming the field (focused)."""
        kind = self.current_kind()
        pin = self.secret_fields[secrets.SIM_PIN].text().strip()
        if kind == "at" and pin and not (pin.isdigit() and 4 <= len(pin) <= 8):
            self._refuse(self.secret_fields[secrets.SIM_PIN], "The SIM PIN is 4 to 8 digits.")
        if kind == "at" and self.text("modem_port").lower().startswith(("http://", "https://")):
            self._refuse(
                self.port,
                "That is a web address: for a HiLink stick or an Android phone pick it under "
                "Kind of modem. A USB modem's port is a device (COM3, /dev/ttyUSB0) or "
                "socket://host:port.",
            )
        if kind in ("hilink", "android"):
            key = f"{kind}_url"
            url = self.text(key)
            if not url.lower().startswith(("http://", "https://")):
                self._refuse(
                    self.fields[key], f"{LABELS[key]}: type a web address such as "
                    + ("http://192.168.8.1." if kind == "hilink" else "http://192.168.1.50:8080.")
                )  # fmt: skip
        if kind == "android":
            if not self.text("android_username"):
                self._refuse(self.fields["android_username"], "Type the app's user name.")
            if not self.text("android_listen_host"):
                self._refuse(
                    self.fields["android_listen_host"],
                    "Type this computer's address on the shop's Wi-Fi (the phone sends the "
                    "texts it receives there).",
                )
            for name in SECRETS["android"]:
                if name not in self.stored and not self.secret_fields[name].text().strip():
                    self._refuse(
                        self.secret_fields[name],
                        f"Type the {SECRET_LABELS[name].lower()} shown in the gateway app.",
                    )

    def _refuse(self, field: QWidget, text: str) -> None:
        field.setFocus()
        raise SettingError(text)

    def set_text(self, key: str, text: str) -> None:
        field = self.fields[key]
        assert isinstance(field, QLineEdit)
        field.setText(text)

    def text(self, key: str) -> str:
        w = self.fields[key]
        if isinstance(w, QSpinBox):
            return str(w.value())
        if isinstance(w, QComboBox):
            if w.isEditable() and w.currentText() != w.itemText(w.currentIndex()):
                return w.currentText().strip()
            data = w.currentData()
            return str(data if data is not None else w.currentText()).strip()
        assert isinstance(w, QLineEdit)
        return w.text().strip()

    # --- addresses -------------------------------------------------------------------------
    def test_address(self, kind: str) -> None:
        """Ask the stick's or the phone's address whether that device answers there."""
        url = self.text(f"{kind}_url")
        result = self.url_results[kind]
        result.setStyleSheet("")
        result.show()
        if not url.lower().startswith(("http://", "https://")):
            result.setText("Type a web address first, such as " + PLACEHOLDER_URL[kind] + ".")
            return
        self.url_tests[kind].setEnabled(False)
        result.setText(f"Asking {url}…")
        ports.run_async(
            self,
            lambda: discovery.discover([url], probe_ports=False, include_defaults=False),
            lambda found, err: self._address_tested(kind, url, found, err),
        )

    def _address_tested(self, kind: str, url: str, found: Any, err: str | None) -> None:
        self.url_tests[kind].setEnabled(True)
        same = [f for f in found or [] if f.kind == kind]
        other = [f for f in found or [] if f.kind in KINDS and f.kind != kind]
        if same:
            text, ok = "✓ " + same[0].label + ".", True
        elif other:
            text = f"✕ {other[0].label}: pick “{KINDS[other[0].kind]}” as the kind of modem."
            ok = False
        else:
            text = "✕ " + (err or f"Nothing answered at {url}. Check the address, and that this "
                           "computer is on the same network.")  # fmt: skip
            ok = False
        self.url_results[kind].setText(text)
        self.url_results[kind].setStyleSheet(OK_STYLE if ok else ERROR_STYLE)
        self.url_results[kind].show()

    def fill_local_address(self) -> None:
        """This computer's address towards the phone (worked out off the GUI thread)."""
        url = self.text("android_url")
        if not url:
            self.url_results["android"].setText("Type the phone's address first.")
            self.url_results["android"].show()
            return
        self.fill_button.setEnabled(False)

        def filled(address: str | None, _err: str | None) -> None:
            self.fill_button.setEnabled(True)
            if address:
                self.set_text("android_listen_host", address)
            else:
                self.url_results["android"].setText(
                    "This computer has no way to the phone's address: is it on the same Wi-Fi?"
                )
                self.url_results["android"].show()

        ports.run_async(self, lambda: local_address_towards(url), filled)

    # --- ports -----------------------------------------------------------------------------
    def refresh_ports(self) -> None:
        self.probe_result.setText("Looking for modems…")
        ports.list_ports_async(self, self._ports_found)

    def _ports_found(self, found: list[PortInfo], err: str | None) -> None:
        current = self.text("modem_port")
        known = {self.port.itemData(i) for i in range(self.port.count())}
        for info in found:
            if info.device not in known:
                self.port.addItem(ports.port_label(info), info.device)
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
        idx = self.port.findData(current)
        if idx >= 0:
            self.port.setCurrentIndex(idx)

    def test_port(self) -> None:
        path = self.text("modem_port")
        if not path:
            self.probe_result.setText("Pick a port first (or leave it on automatic).")
            return
        self.test_button.setEnabled(False)
        self.probe_result.setStyleSheet("")
        self.probe_result.setText(f"Testing {path}…")
        ports.probe_async(self, path, self._tested)

    def _tested(self, result: ProbeResult | None, err: str | None) -> None:
        self.test_button.setEnabled(True)
        ok, text = ports.describe_probe(result, err)
        self.probe_result.setText(("✓ " if ok else "✕ ") + text)
        self.probe_result.setStyleSheet(OK_STYLE if ok else ERROR_STYLE)
