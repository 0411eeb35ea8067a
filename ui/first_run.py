"""First start: name the shop, pick the modem discovery found (a USB modem, a HiLink stick, an
Android phone; a stick still in storage mode is explained), type its address, or use the demo.

Discovery (desk.engine.discovery) talks to USB, serial ports and the network, so it runs on a
worker thread (ui.ports.run_async); so does storing the stick's or the app's password in this
computer's password store, done when the wizard finishes (it stays open if that fails). At first
start the choice (``changes()``) is saved before the engine starts (ui.session.prepare_database),
so the engine starts on that modem; ``save_choice`` saves it through a running engine's core.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

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

from desk.engine import discovery, window_ops
from desk.engine.discovery import FoundModem
from desk.store.settings import SettingError
from ui import ports, sizing
from ui.modem_setup import ModemForm
from ui.modem_words import ERROR_STYLE, KINDS
from ui.modem_work import Keyring, local_address_towards

if TYPE_CHECKING:
    from desk.engine.api import Engine
    from ui.bridge import Bridge

FoundRole = Qt.ItemDataRole.UserRole + 2  # the FoundModem of a list row
WELCOME, FIND, SIGN_IN = range(3)
DISCOVERY_TIMEOUT = 2.0


class _FindPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.owner = wizard

    def isComplete(self) -> bool:
        found = self.owner.chosen()
        return self.owner.use_demo.isChecked() or found is None or found.kind != "storage_mode"

    def nextId(self) -> int:
        found = self.owner.chosen()
        if self.owner.use_demo.isChecked() or found is None or found.kind == "at":
            return -1
        return SIGN_IN


class FirstRunWizard(QWizard):
    """After exec(): ``mode`` is "modem" or "demo"; ``kind`` ("at" / "hilink" / "android"),
    ``port`` (an AT modem's, "" = automatic), ``shop_name``; ``changes()`` the settings to save.
    ``secret_store`` None: no password store (typing a password is then refused in words)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        secret_store: Keyring | None = None,
        timeout: float = DISCOVERY_TIMEOUT,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to TextDesk")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.secret_store = secret_store
        self.timeout = timeout
        self.mode = "modem"
        self.kind = "at"
        self.port = ""
        self.shop_name = ""
        self.extra_urls: list[str] = []
        self._saved_secrets = False

        welcome = QWizardPage(self)
        welcome.setTitle("Welcome to TextDesk")
        welcome.setSubTitle("Text your customers from this PC, through the modem with your SIM.")
        self.shop = QLineEdit(welcome)
        self.shop.setPlaceholderText("e.g. Smile Dental")
        self.shop.setAccessibleName("Shop name")
        wl = QVBoxLayout(welcome)
        wl.addWidget(QLabel("Your shop's name, as customers will see it in TextDesk's replies:"))
        wl.addWidget(self.shop)
        self.shop_example = QLabel(welcome)
        self.shop_example.setWordWrap(True)
        wl.addWidget(self.shop_example)
        self.shop.textChanged.connect(self._show_shop_example)
        self._show_shop_example("")
        self.setPage(WELCOME, welcome)

        find = self.find_page = _FindPage(self)
        find.setTitle("Find the modem")
        find.setSubTitle(
            "Plug in the USB modem or stick with the SIM card (or start the gateway app on the "
            "phone), then pick it below."
        )
        self.use_modem = QRadioButton("Use this modem:", find)
        self.use_demo = QRadioButton("No modem yet: use the demo modem (sample customers)", find)
        self.use_modem.setChecked(True)
        self.list = QListWidget(find)
        self.list.setAccessibleName("Modems found")
        self.list.setWordWrap(True)
        self.list.setMinimumHeight(self.list.fontMetrics().lineSpacing() * 4 + 8)  # 200 % text
        self.explanation = QLabel("", find)
        self.explanation.setWordWrap(True)
        self.explanation.setAccessibleName("About the modem picked")
        self.probe_result = QLabel("", find)
        self.probe_result.setWordWrap(True)
        self.again = QPushButton("Look again", find)
        self.again.clicked.connect(self.refresh)
        self.address = QLineEdit(find)
        self.address.setAccessibleName("The modem's address")
        self.address.setPlaceholderText("e.g. http://192.168.8.1 or /dev/ttyUSB0")
        self.look_there = QPushButton("Look there", find)
        self.look_there.clicked.connect(self.look_at_address)
        self.address.returnPressed.connect(self.look_at_address)
        self.use_demo.toggled.connect(self._demo_toggled)
        self.list.currentItemChanged.connect(self._picked)

        ml = QVBoxLayout(find)
        ml.addWidget(self.use_modem)
        ml.addWidget(self.list, 1)
        ml.addWidget(self.explanation)
        row = QHBoxLayout()
        row.addWidget(self.probe_result, 1)
        row.addWidget(self.again)
        ml.addLayout(row)
        typed = QHBoxLayout()
        typed.addWidget(QLabel("Or type its address:", find))
        typed.addWidget(self.address, 1)
        typed.addWidget(self.look_there)
        ml.addLayout(typed)
        ml.addWidget(self.use_demo)
        self.setPage(FIND, find)

        sign_in = self.sign_in_page = QWizardPage(self)
        sign_in.setTitle("Sign in to the modem")
        self.form = ModemForm({}, parent=sign_in)
        self.error = QLabel("", sign_in)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        sl = QVBoxLayout(sign_in)
        sl.addWidget(self.form, 1)
        sl.addWidget(self.error)
        self.setPage(SIGN_IN, sign_in)
        self.currentIdChanged.connect(self._page_shown)
        sizing.fit_to_text(self, 92, 30)
        self.refresh()

    # --- finding ---------------------------------------------------------------------------
    def refresh(self) -> None:
        self.list.clear()
        auto = QListWidgetItem("USB modem: find it automatically")
        auto.setData(FoundRole, FoundModem("at", "", "USB modem: find it automatically"))
        self.list.addItem(auto)
        self.list.setCurrentRow(0)
        self.probe_result.setText("Looking for modems (a few seconds)…")
        self.again.setEnabled(False)
        urls, timeout = list(self.extra_urls), self.timeout
        ports.run_async(
            self, lambda: discovery.discover(urls, timeout=timeout), self._found_everything
        )

    def _found_everything(self, found: list[FoundModem] | None, err: str | None) -> None:
        self.again.setEnabled(True)
        found = found or []
        self._add(found)
        if err:
            self.probe_result.setText(f"Could not look for modems: {err}")
        elif found:
            usable = [f for f in found if f.kind != "storage_mode"]
            self.probe_result.setText(f"Found {len(usable)} modem(s)." if usable else "")
        else:
            self.probe_result.setText("No modem found. Is it plugged in? Then press Look again.")

    def _add(self, found: list[FoundModem]) -> None:
        known = {self._found_of(self.list.item(i)) for i in range(self.list.count())}
        for f in found:
            if f in known:
                continue
            item = QListWidgetItem(f.label)
            item.setData(FoundRole, f)
            if f.kind == "storage_mode":
                item.setForeground(self.palette().placeholderText())
            self.list.addItem(item)
        best = next((self.list.item(i) for i in range(self.list.count()) if self._is_best(i)), None)
        if best is not None and self.list.currentRow() == 0:
            self.list.setCurrentItem(best)  # a stick or phone found beats "automatically"

    def _is_best(self, row: int) -> bool:
        f = self._found_of(self.list.item(row))
        return f is not None and f.kind in ("hilink", "android")

    def look_at_address(self) -> None:
        text = self.address.text().strip()
        if not text:
            self.probe_result.setText("Type the modem's address first.")
            return
        if not text.lower().startswith(("http://", "https://")):
            label = f"USB modem at {text}"
            self._add([FoundModem("at", text, label)])
            self._select(lambda f: f.kind == "at" and f.address == text)
            self.probe_result.setText(f"Testing {text}…")
            ports.probe_async(self, text, self._probed)
            return
        if text not in self.extra_urls:
            self.extra_urls.append(text)
        self.look_there.setEnabled(False)
        self.probe_result.setText(f"Asking {text}…")
        timeout = self.timeout
        ports.run_async(
            self,
            lambda: discovery.discover(
                [text], timeout=timeout, probe_ports=False, include_defaults=False
            ),
            lambda found, err: self._found_at(text, found, err),
        )

    def _found_at(self, url: str, found: list[FoundModem] | None, err: str | None) -> None:
        self.look_there.setEnabled(True)
        if err or not found:
            self.probe_result.setText(
                err
                or f"Nothing answered at {url}. Check the address, and that this computer is "
                "on the same network as the stick or the phone."
            )
            return
        self._add(found)
        self._select(lambda f: f in found)
        self.probe_result.setText(found[0].label + ".")

    def _probed(self, result: Any, err: str | None) -> None:
        ok, text = ports.describe_probe(result, err)
        self.probe_result.setText(("✓ " if ok else "✕ ") + text)

    def _select(self, match: Any) -> None:
        for i in range(self.list.count()):
            f = self._found_of(self.list.item(i))
            if f is not None and match(f):
                self.list.setCurrentRow(i)
                return

    @staticmethod
    def _found_of(item: QListWidgetItem | None) -> FoundModem | None:
        return item.data(FoundRole) if item is not None else None

    def chosen(self) -> FoundModem | None:
        return self._found_of(self.list.currentItem())

    def _picked(self, *_args: Any) -> None:
        f = self.chosen()
        text = ""
        if f is not None and f.kind == "storage_mode":
            text = f.explanation
        elif f is not None and f.kind in ("hilink", "android"):
            text = f"Next: the {KINDS[f.kind]}'s password."
        self.explanation.setText(text)
        self.explanation.setVisible(bool(text))
        self._update_buttons()

    def _demo_toggled(self, on: bool) -> None:
        for w in (self.list, self.again, self.address, self.look_there, self.explanation):
            w.setEnabled(not on)
        self._update_buttons()

    def _update_buttons(self) -> None:
        """Next (a password to ask) or Finish, and whether it is allowed: QWizard works out
        Next or Finish again only when a page's final state is set, not on completeChanged."""
        self.find_page.setFinalPage(self.find_page.nextId() == -1)
        self.find_page.completeChanged.emit()

    # --- signing in --------------------------------------------------------------------------
    def _page_shown(self, page: int) -> None:
        f = self.chosen()
        if page != SIGN_IN or f is None or f.kind not in ("hilink", "android"):
            return
        self.form.lock_kind(f.kind)
        self.error.setText("")
        self.form.set_text(f"{f.kind}_url", f.address)
        what = "stick's web page" if f.kind == "hilink" else "gateway app on the phone"
        self.sign_in_page.setSubTitle(f"{f.label}. Type the password of the {what}.")
        if f.kind == "android" and not self.form.text("android_listen_host"):
            ports.run_async(self, lambda: local_address_towards(f.address), self._local_address)

    def _local_address(self, address: str | None, _err: str | None) -> None:
        """This computer's address towards the phone, unless the user typed one meanwhile."""
        if address and not self.form.text("android_listen_host"):
            self.form.set_text("android_listen_host", address)

    def validateCurrentPage(self) -> bool:
        if self.currentId() != SIGN_IN:
            return True
        try:
            self.form.check()
        except SettingError as exc:
            self.error.setText(str(exc))
            return False
        return True

    def changes(self) -> dict[str, str]:
        """The settings to save for the choice made (as text, for window_ops.save_settings)."""
        out: dict[str, str] = {"modem_kind": self.kind}
        if self.shop_name:
            out["shop_name"] = self.shop_name
        if self.kind == "at":
            out["modem_port"] = self.port
        else:
            keys = ["hilink_url"] if self.kind == "hilink" else [
                "android_url", "android_username", "android_listen_host", "android_listen_port"
            ]  # fmt: skip
            out.update({key: self.form.text(key) for key in keys})
        return out

    def _show_shop_example(self, text: str) -> None:
        name = text.strip() or "Smile Dental"
        self.shop_example.setText(
            f"For example, a customer who texts STOP gets: “You will get no more texts from "
            f"{name}. Reply START to opt back in.”"
        )

    # --- finishing ---------------------------------------------------------------------------
    def accept(self) -> None:
        if not self.validateCurrentPage():  # QWizard checks only in done(), after this
            return
        self.shop_name = self.shop.text().strip()
        self.mode = "demo" if self.use_demo.isChecked() else "modem"
        found = self.chosen()
        self.kind = "at" if self.mode == "demo" or found is None else found.kind
        self.port = (found.address if found is not None and self.kind == "at" else "") or ""
        secrets_typed = self.form.secret_texts() if self.kind in ("hilink", "android") else {}
        if self.mode == "demo" or not secrets_typed or self._saved_secrets:
            super().accept()
            return
        if self.secret_store is None:
            self.error.setText("TextDesk cannot keep passwords on this computer.")
            return
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.error.setStyleSheet("")
        self.error.setText("Saving the password…")
        self.secret_store.save(self, secrets_typed, self._secrets_stored)

    def _secrets_stored(self, _count: int | None, err: str | None) -> None:
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        self.error.setStyleSheet(ERROR_STYLE)
        if err is not None:
            self.error.setText(err)
            return
        self._saved_secrets = True
        self.error.setText("")
        self.accept()


def save_choice(wizard: FirstRunWizard, engine: Engine, bridge: Bridge) -> Future[None]:
    """Save the wizard's modem and shop name through the core (the one writer); the engine
    starts the chosen link when it sees them. A refusal is logged and shown in the status bar."""
    saved: Future[None] = engine.call(
        window_ops.save_settings,
        wizard.changes(),
        settings=engine.settings,
        clock=engine.clock,
        where="the first-run wizard",
    )
    bridge.when_done(saved)
    return saved
