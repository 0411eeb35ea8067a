"""The modem part of Settings: which kind of modem (USB modem / HiLink stick / Android phone) and
the fields each needs. Passwords and the SIM PIN go to this computer's password store through
desk.base.secrets (never into the settings); ``Keyring`` does that off the GUI thread.

``ModemForm.fields`` holds the widget of each setting it edits (``modem_kind``, ``modem_port``,
``hilink_url``, ``android_*``, ``ussd_balance``) for the settings dialog's generic save;
``secret_texts()`` is what to store in the password store, ``check()`` what the chosen kind
still lacks, in plain words.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

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
from desk.engine.ports import PortInfo, ProbeResult
from desk.store.settings import SPECS, SettingError
from ui import ports

KINDS = {"at": "USB modem", "hilink": "HiLink stick", "android": "Android phone"}
ABOUT = {
    "at": "A USB modem or stick that takes AT commands (Huawei, ZTE, Quectel, SIMCom, Sierra, "
    "Telit…), or a modem on the network shared with ser2net.",
    "hilink": "A Huawei stick that has only a web page (E3372h, E8372h…): the computer sees it "
    "as a network card, usually at http://192.168.8.1.",
    "android": "A spare Android phone with the shop's SIM, running the SMS Gateway for Android "
    "app in local-server mode, on the shop's Wi-Fi.",
}
LIMITS = {
    "at": "",
    "hilink": "This device does not report phone calls, so a missed call cannot become a "
    "text back. Balance codes (USSD) work only where the stick's firmware has them.",
    "android": "This device does not report phone calls or balance codes (USSD): ask the "
    "balance on the phone. A SIM PIN is typed on the phone itself. Keep the phone charging, "
    "on the shop's Wi-Fi, with battery optimisation off for the gateway app.",
}
SECRETS = {
    "at": (secrets.SIM_PIN,),
    "hilink": (secrets.HILINK_PASSWORD,),
    "android": (secrets.ANDROID_PASSWORD, secrets.ANDROID_SIGNING_KEY),
}
SECRET_LABELS = {
    secrets.SIM_PIN: "SIM PIN",
    secrets.HILINK_PASSWORD: "Stick's password",
    secrets.ANDROID_PASSWORD: "App's password",
    secrets.ANDROID_SIGNING_KEY: "Signing key",
}
LABELS = {
    "modem_kind": "Kind of modem",
    "modem_port": "Port or address",
    "hilink_url": "Stick's address",
    "android_url": "Phone's address",
    "android_username": "App's user name",
    "android_listen_host": "This computer's address",
    "android_listen_port": "Port for the phone's texts",
    "ussd_balance": "Balance code",
}
KEYS = tuple(LABELS)
STORED = "Saved (type a new one to change it)"
ERROR_STYLE = "color: #d93025;"


class Keyring:
    """desk.base.secrets off the GUI thread: which secrets are stored, and storing some."""

    def load(
        self, owner: QWidget, names: Iterable[str], done: Callable[[Any, str | None], None]
    ) -> None:
        wanted = tuple(names)
        ports.run_async(owner, lambda: {n for n in wanted if secrets.get(n)}, done)

    def save(
        self, owner: QWidget, values: Mapping[str, str], done: Callable[[Any, str | None], None]
    ) -> None:
        given = dict(values)

        def work() -> int:
            for name, value in given.items():
                secrets.put(name, value)
            return len(given)

        ports.run_async(owner, work, done)


def local_address_towards(url: str) -> str:
    """This computer's address on the network that leads to ``url`` (the phone): where the
    phone can send its webhooks. A UDP "connect" sends nothing; it only picks the route. A
    host name is looked up (so: off the GUI thread). "" when there is no route."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        return ""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((parts.hostname, parts.port or 8080))
            return str(sock.getsockname()[0])
    except OSError:
        return ""


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
        if self.connected:
            form.addRow("", _note(f"In use now: {self.connected}", page))
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
        form.addRow(SECRET_LABELS[secrets.SIM_PIN], pin)
        return page

    def _hilink_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(LABELS["hilink_url"], self._line("hilink_url", page, "http://192.168.8.1"))
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
        form.addRow(
            LABELS["android_url"], self._line("android_url", page, "http://192.168.1.50:8080")
        )
        form.addRow(LABELS["android_username"], self._line("android_username", page))
        form.addRow(
            SECRET_LABELS[secrets.ANDROID_PASSWORD], self._secret(secrets.ANDROID_PASSWORD, page)
        )
        form.addRow(
            SECRET_LABELS[secrets.ANDROID_SIGNING_KEY],
            self._secret(secrets.ANDROID_SIGNING_KEY, page),
        )
        form.addRow("", _note("All three are shown in the gateway app on the phone.", page))
        form.addRow(
            LABELS["android_listen_host"],
            self._line("android_listen_host", page, "e.g. 192.168.1.20 (on the shop's Wi-Fi)"),
        )
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
        if self.values.get("modem_pin") and secrets.SIM_PIN not in names:
            self.secret_fields[secrets.SIM_PIN].setPlaceholderText(
                "Saved (TextDesk moves it from the settings to the password store)"
            )

    def secret_texts(self) -> dict[str, str]:
        """The secrets typed for the chosen kind (an empty field keeps the stored one)."""
        out = {}
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
        self.probe_result.setStyleSheet("color: #188038;" if ok else ERROR_STYLE)
