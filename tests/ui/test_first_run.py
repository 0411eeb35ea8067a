"""The first-run wizard: it finds the virtual HiLink stick (``python -m modem.sim --kind
hilink`` in its own process) at the address typed, asks for its password, keeps it in the
(in-memory) password store, and the settings it saves make the real engine drive that stick;
the Android gateway's fields; a stick still in storage mode is explained, not offered."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWizard

from desk.base import secrets
from desk.base.events import ModemState
from desk.base.paths import resolve_profile
from desk.engine import discovery
from desk.store.db import close_database
from tests.helpers.keyring_memory import MemoryKeyring
from tests.modem.links.http_sim import HttpSim
from tests.modem.test_discovery import fake_sysfs
from tests.ui.conftest import Desk
from ui import first_run
from ui.first_run import SIGN_IN, FirstRunWizard
from ui.modem_work import Keyring


@pytest.fixture
def nothing_plugged_in(monkeypatch, tmp_path: Path) -> Path:
    """Discovery sees an empty USB bus and no gateways or serial ports of this machine (the
    addresses typed in the wizard are still asked for real)."""
    root = tmp_path / "usb"
    root.mkdir()
    real = discovery.discover
    monkeypatch.setattr(
        discovery,
        "discover",
        functools.partial(real, sysfs_root=root, probe_ports=False, include_defaults=False),
    )
    return root


def _wizard(qtbot) -> FirstRunWizard:
    wiz = FirstRunWizard(secret_store=Keyring(), timeout=1.0)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(lambda: wiz.again.isEnabled(), timeout=10000)  # the first look is over
    return wiz


def _find_at(qtbot, wiz: FirstRunWizard, url: str) -> None:
    wiz.next()  # the shop's name -> find the modem
    wiz.address.setText(url)
    wiz.look_there.click()
    qtbot.waitUntil(lambda: wiz.chosen() is not None and wiz.chosen().address == url, timeout=10000)


@pytest.fixture
def first_start(qtbot, tmp_path: Path) -> Iterator[Desk]:
    """The engine and window as on a first start: no port given, the settings decide."""
    from ui import session

    s = session.start(resolve_profile(tmp_path / "profile").ensure())
    qtbot.addWidget(s.window)
    try:
        yield Desk(s, qtbot)
    finally:
        s.close()
        close_database()


def test_wizard_finds_the_hilink_stick_and_the_engine_drives_it(
    first_start: Desk, qtbot, keyring_memory: MemoryKeyring, nothing_plugged_in: Path
) -> None:
    desk = first_start
    stick = HttpSim("hilink").start()
    try:
        wiz = _wizard(qtbot)
        wiz.shop.setText("Main Street Repairs")
        _find_at(qtbot, wiz, stick.url)
        assert wiz.chosen().kind == "hilink" and "HiLink stick" in wiz.chosen().label
        assert "password" in wiz.explanation.text()
        assert wiz.button(QWizard.WizardButton.NextButton).isVisible()  # a password to ask
        assert not wiz.button(QWizard.WizardButton.FinishButton).isVisible()
        wiz.next()
        assert wiz.currentId() == SIGN_IN
        assert wiz.form.text("hilink_url") == stick.url
        password = wiz.form.secret_fields[secrets.HILINK_PASSWORD]
        assert password.isVisible()
        password.setText(stick.ready["password"])
        wiz.button(QWizard.WizardButton.FinishButton).click()
        qtbot.waitUntil(lambda: wiz.result() == 1, timeout=5000)
        assert wiz.mode == "modem" and wiz.kind == "hilink"
        assert (
            keyring_memory.store[("TextDesk", secrets.HILINK_PASSWORD)] == stick.ready["password"]
        )

        desk.result(first_run.save_choice(wiz, desk.engine, desk.window.bridge))
        settings = desk.engine.settings
        assert settings.get("modem_kind") == "hilink"
        assert settings.get("hilink_url") == stick.url
        assert settings.get("shop_name") == "Main Street Repairs"
        assert stick.ready["password"] not in repr(settings.all())  # only in the keyring
        status = desk.wait(
            lambda: (
                (s := desk.engine.modem_status).state == ModemState.READY
                and s.port == stick.url
                and s
            )
        )
        assert status.manufacturer == "Huawei"  # logged in with the keyring's password
    finally:
        stick.stop()


def test_wizard_asks_what_the_android_gateway_needs(
    qtbot, keyring_memory: MemoryKeyring, nothing_plugged_in: Path
) -> None:
    phone = HttpSim("android").start()
    try:
        wiz = _wizard(qtbot)
        _find_at(qtbot, wiz, phone.url)
        assert wiz.chosen().kind == "android"
        wiz.next()
        form = wiz.form
        assert not form.kind.isVisible()  # the kind is what was found
        assert "does not report phone calls" in form.limits.text()
        qtbot.waitUntil(lambda: form.text("android_listen_host") == "127.0.0.1", timeout=5000)
        form.secret_fields[secrets.ANDROID_PASSWORD].setText(phone.ready["password"])
        wiz.button(QWizard.WizardButton.FinishButton).click()
        assert wiz.result() == 0 and "signing key" in wiz.error.text()
        form.secret_fields[secrets.ANDROID_SIGNING_KEY].setText(phone.ready["signing_key"])
        wiz.button(QWizard.WizardButton.FinishButton).click()
        qtbot.waitUntil(lambda: wiz.result() == 1, timeout=5000)
    finally:
        phone.stop()
    assert wiz.changes() == {
        "modem_kind": "android",
        "android_url": phone.url,
        "android_username": "sms",
        "android_listen_host": "127.0.0.1",
        "android_listen_port": "8787",
    }
    assert keyring_memory.store[("TextDesk", secrets.ANDROID_PASSWORD)] == phone.ready["password"]
    assert (
        keyring_memory.store[("TextDesk", secrets.ANDROID_SIGNING_KEY)]
        == phone.ready["signing_key"]
    )


def test_a_stick_in_storage_mode_is_explained_not_offered(qtbot, nothing_plugged_in: Path) -> None:
    fake_sysfs(nothing_plugged_in, "1-2", "12d1", "1f01", ["08"])
    wiz = _wizard(qtbot)
    wiz.next()
    labels = [wiz.list.item(i).text() for i in range(wiz.list.count())]
    assert any("storage" in text for text in labels)
    wiz.list.setCurrentRow(labels.index(next(t for t in labels if "storage" in t)))
    assert "usb-modeswitch" in wiz.explanation.text() or "installer" in wiz.explanation.text()
    assert not wiz.button(QWizard.WizardButton.FinishButton).isEnabled()
    wiz.use_demo.setChecked(True)
    assert wiz.button(QWizard.WizardButton.FinishButton).isEnabled()
    wiz.button(QWizard.WizardButton.FinishButton).click()
    assert wiz.result() == 1 and wiz.mode == "demo"


def test_the_shop_name_step_shows_what_customers_will_read(qtbot) -> None:
    from ui.first_run import FirstRunWizard

    wiz = FirstRunWizard(secret_store=None)
    qtbot.addWidget(wiz)
    assert "{" not in wiz.shop_example.text()
    qtbot.keyClicks(wiz.shop, "Main Street Bikes")
    assert wiz.shop_example.text() == (
        "For example, a customer who texts STOP gets: “You will get no more texts from Main "
        "Street Bikes. Reply START to opt back in.”"
    )
