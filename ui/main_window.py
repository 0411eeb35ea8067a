"""The desk window: conversations on the left, the thread and composer in the middle, the customer
on the right. It reads through desk.read.queries and sends every change through the engine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QWidget,
)

from desk.base.events import ModemState, ModemStatus
from desk.engine import window_ops
from desk.engine.api import Engine
from desk.messaging import templates
from desk.read import queries
from desk.store.settings import Settings
from ui import (
    menus,
    resources,
    settings_watch,
    staff_actions,
    staff_assign,
    staff_presence,
    storage_banner,
    window_actions,
    window_state,
)
from ui.bridge import Bridge
from ui.contact_panel import ContactPanel
from ui.conversation_list import ConversationList
from ui.drafts_keeper import DraftKeeper
from ui.keep_running import KeepRunning
from ui.new_conversation import NewConversationDialog
from ui.notifier import Notifier
from ui.privacy_prompt import privacy_ok
from ui.reminders_view import RemindersView
from ui.status_bar import StatusBar
from ui.templates import Context
from ui.thread_delegate import MODEM_WAITING
from ui.thread_view import ThreadView

if TYPE_CHECKING:  # the dialogs are imported when first opened, not to show the window
    from ui.pin_dialog import PinDialog

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    # The thread view keeps its short name though it hides QObject.thread() (unused on the window)
    thread: ThreadView  # type: ignore[assignment]
    act_new: QAction  # File > New conversation (menus.build)
    act_quit: QAction  # File > Quit
    quitRequested = Signal()  # File > Quit or the tray's Quit: the app stops
    signed_in: str | None = None  # who signed in at this counter (ui/staff_actions.py)
    staff_label: Any = None  # "Signed in as", the menu bar's corner (ui/staff_actions.py)
    staff_picker: staff_actions.StaffPicker | None = None
    assign_box: staff_assign.AssignBox | None = None
    presence: staff_presence.Presence | None = None

    def __init__(
        self, engine: Engine, *, log_path: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings: Settings = engine.settings
        self.log_path = log_path
        self.zone: tzinfo = self.settings.shop_zone()
        self.country: str = self.settings.get("default_country")
        self.bridge = Bridge(self)
        self._pin_dialog: PinDialog | None = None
        self._pin_asked = False
        self.unread_total = 0
        self.title_suffix = ""  # "  [demo]" for the throwaway demo shop
        self.setWindowIcon(resources.app_icon())

        self.list = ConversationList(zone=self.zone, country=self.country, parent=self)
        self.thread = ThreadView(zone=self.zone, country=self.country, parent=self)
        self.contact = ContactPanel(zone=self.zone, country=self.country, parent=self)
        self.contact.hide()
        self.splitter = QSplitter(self)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(self.thread)
        self.splitter.addWidget(self.contact)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setChildrenCollapsible(False)
        self.list.setMinimumWidth(260)
        self.thread.setMinimumWidth(360)
        self.contact.setMinimumWidth(240)
        list_width = max(380, self.fontMetrics().averageCharWidth() * 36)
        self.splitter.setSizes([list_width, 1280 - list_width, 0])

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.splitter, "Conversations")
        self.reminders = RemindersView(engine, self, bridge=self.bridge)
        self.tabs.addTab(self.reminders, "Reminders")
        self.setCentralWidget(self.tabs)
        self.storage_banner = storage_banner.install(self)

        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.notifier = Notifier(resources.app_icon(), self)
        self.drafts = DraftKeeper(engine, self.bridge, self.thread.composer, self)
        self._apply_settings()
        menus.build(self)
        self._wire()
        window_actions.wire(self)
        settings_watch.install(self)  # textdesk config while the window runs

        self._counts_timer = QTimer(self, singleShot=True, interval=150)
        self._counts_timer.timeout.connect(self.update_counts)
        self.list.load()
        self.update_counts()
        self.on_modem_status(engine.modem_status)
        self.status.set_queue(queries.queue_size())
        self.setTabOrder(self.list.search, self.list.view)
        self.setTabOrder(self.list.view, self.thread.view)
        self.setTabOrder(self.thread.view, self.thread.composer.edit)
        self.setTabOrder(self.thread.composer.edit, self.thread.composer.send_button)
        self.place = window_state.settings_for(engine.profile.data_dir)
        window_state.restore(self, self.splitter, self.place)
        self.keep_running = KeepRunning(self, self.notifier, self.place)

    # --- construction ----------------------------------------------------------------------
    def _wire(self) -> None:
        b = self.bridge
        b.messageAdded.connect(self.on_message_added)
        b.messageUpdated.connect(self.on_message_updated)
        b.conversationUpdated.connect(self.on_conversation_updated)
        b.conversationRemoved.connect(self.on_conversation_removed)
        b.modemStatusChanged.connect(self.on_modem_status)
        b.appointmentUpdated.connect(lambda *_: self.list.model.reschedules_changed())
        b.queueChanged.connect(self.status.set_queue)
        b.balanceReceived.connect(self.status.set_balance)
        b.problem.connect(lambda text, _sev: self.status.set_problem(text))
        self.list.conversationSelected.connect(self.open_conversation)
        self.list.searchHitChosen.connect(self.open_search_hit)
        self.list.newRequested.connect(self.new_conversation)
        t = self.thread
        t.composer.sendRequested.connect(self.send)
        t.resendRequested.connect(self.resend)
        t.wentOutRequested.connect(self.went_out)
        t.statusToggleRequested.connect(self.toggle_status)
        t.contactToggleRequested.connect(self.toggle_contact)
        t.dismissRequested.connect(
            lambda cid, cause: self._call(self.engine.dismiss_attention(cid, cause))
        )
        c = self.contact
        c.saveRequested.connect(
            lambda cid, fields: self._call(self.engine.update_contact(cid, **fields), "Saved.")
        )
        c.callbackChanged.connect(
            lambda cid, on: self._call(self.engine.update_contact(cid, callback_requested=on))
        )
        c.optOutRequested.connect(self.set_opt_out)
        c.eraseRequested.connect(self.erase_contact)
        c.exportRequested.connect(self.export_conversation)
        self.status.balanceRequested.connect(self.ask_balance)
        self.status.pinRequested.connect(self.ask_pin)
        self.notifier.openConversation.connect(self.show_conversation_from_notification)
        self.notifier.showWindow.connect(self.bring_forward)
        self.notifier.quitRequested.connect(self.quit_app)
        self.tabs.currentChanged.connect(self._tab_changed)
        b.attach(self.engine)

    def _apply_settings(self) -> None:
        s = self.settings
        self.thread.composer.set_send_key(s.get("send_key"))
        self.thread.composer.set_signature(s.get("signature"))
        self.thread.composer.set_templates(templates.templates())
        self.notifier.enabled = bool(s.get("notifications"))
        self.notifier.sound = bool(s.get("sound"))

    # --- engine calls ----------------------------------------------------------------------
    def _call(
        self,
        future: Future[Any],
        done_text: str | None = None,
        on_ok: Callable[[Any], None] | None = None,
    ) -> None:
        def ok(result: Any) -> None:
            if done_text:
                self.status.showMessage(done_text, 4000)
            if on_ok is not None:
                on_ok(result)

        self.bridge.when_done(future, ok, self._failed)

    def _failed(self, exc: BaseException) -> None:
        log.warning("engine call failed: %s", exc)
        QMessageBox.warning(self, "That did not work", str(exc) or type(exc).__name__)

    # --- conversations ---------------------------------------------------------------------
    def current_id(self) -> int | None:
        return self.thread.conversation.id if self.thread.conversation else None

    def open_conversation(self, conversation_id: int | None) -> None:
        """Show ``conversation_id`` (None: none): the thread, its draft in the reply box, the
        customer panel, and the same conversation highlighted in the list (or nothing highlighted
        when the list does not hold it), whichever way it was opened."""
        self.drafts.switch_to(conversation_id)
        self.thread.show_conversation(conversation_id)
        row = self.thread.conversation
        if row is None:
            self.drafts.switch_to(None)
        self.list.mark_open(row.id if row else None)
        self.contact.show_contact(row.contact_id if row else None)
        c = self.thread.composer
        if row is not None:
            name = row.name or ""
            c.context = Context(
                first_name=name.split(" ")[0] if name else "",
                name=name,
                shop=self.settings.get("shop_name"),
                signature=self.settings.get("signature"),
            )
            if row.unread and self._on_screen():
                self._call(self.engine.mark_read(row.id))

    def _on_screen(self) -> bool:
        """Whether the thread can be seen: the window shown and not minimised, on the
        Conversations tab."""
        return self.isVisible() and not self.isMinimized() and self.tabs.currentIndex() == 0

    def _tab_changed(self, index: int) -> None:
        if index == 0:  # back from the Reminders tab, where appointments may have moved
            self.list.model.reschedules_changed()
            self._mark_read_if_showing()

    def _mark_read_if_showing(self) -> None:
        """Staff came back to the thread (tab, window): what they now see is read."""
        row = self.thread.conversation
        if row is not None and self._on_screen() and self.isActiveWindow():
            fresh = queries.conversation_row(row.id)
            if fresh is not None and fresh.unread:
                self._call(self.engine.mark_read(row.id))

    def open_search_hit(self, conversation_id: int, message_id: int) -> None:
        self.open_conversation(conversation_id)
        if message_id:
            self.thread.jump_to(message_id)

    def select_conversation(self, conversation_id: int) -> None:
        if not self.list.select(conversation_id):
            self.open_conversation(conversation_id)

    def show_conversation_from_notification(self, conversation_id: int) -> None:
        self.bring_forward()
        self.select_conversation(conversation_id)

    def on_message_added(self, message_id: int, conversation_id: int, direction: str) -> None:
        self.list.refresh(conversation_id)
        self.thread.message_added(message_id, conversation_id)
        self._counts_timer.start()
        if direction != "in":
            return
        current = conversation_id == self.current_id()
        if current and self._on_screen() and self.isActiveWindow():
            self._call(self.engine.mark_read(conversation_id))
            return
        row = queries.conversation_row(conversation_id)
        msg = queries.message_row(message_id)
        if row is not None and msg is not None:
            self.notifier.notify(row.title(self.country), msg.body[:140], conversation_id)

    def on_message_updated(self, message_id: int, conversation_id: int, _state: str) -> None:
        self.thread.message_updated(message_id, conversation_id)
        self.list.refresh(conversation_id)
        self._counts_timer.start()  # a text's state may end or raise a "Needs attention" cause

    def on_conversation_updated(self, conversation_id: int) -> None:
        self.list.refresh(conversation_id)
        if conversation_id == self.current_id():
            self.thread.refresh_header()
            self.contact.refresh()
        self._counts_timer.start()

    def on_conversation_removed(self, conversation_id: int) -> None:
        self.drafts.forget(conversation_id)
        if conversation_id == self.current_id():
            self.open_conversation(None)
        self.list.refresh(conversation_id)
        self._counts_timer.start()

    def update_counts(self) -> None:
        counts = queries.counts(staff=self.signed_in)
        self.list.update_counts(counts)
        self.unread_total = counts.unread_messages
        shop = self.settings.get("shop_name")
        prefix = f"({counts.unread_messages}) " if counts.unread_messages else ""
        self.setWindowTitle(f"{prefix}TextDesk — {shop}{self.title_suffix}")
        self.notifier.set_unread(counts.unread_messages)

    # --- actions ---------------------------------------------------------------------------
    def send(self, text: str) -> None:
        row = self.thread.conversation
        if row is None:
            return
        if not privacy_ok(self, text):
            return
        composer = self.thread.composer
        composer.send_button.setEnabled(False)
        staff = staff_actions.author(self)

        def ok(_message_id: Any) -> None:
            self.drafts.sent(row.id, text)
            composer.send_button.setEnabled(True)
            if self.current_id() == row.id:
                self.thread.scroll_to_bottom()

        def failed(exc: BaseException) -> None:
            composer.send_button.setEnabled(True)
            QMessageBox.warning(self, "Not sent", str(exc))

        self.bridge.when_done(self.engine.send(row.number, text, staff=staff), ok, failed)

    def resend(self, message_id: int) -> None:
        msg = queries.message_row(message_id)
        if msg is not None and msg.state == "uncertain":
            answer = QMessageBox.question(
                self,
                "Resend?",
                "This text may already have reached the customer; resending could send it twice.\n"
                "Resend it?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._call(
            self.engine.resend(message_id), "Queued again.", lambda _r: self._reread(message_id)
        )

    def went_out(self, message_id: int) -> None:
        self._call(
            self.engine.resolve_uncertain(message_id, True),
            "Marked as sent.",
            lambda _r: self._reread(message_id),
        )

    def _reread(self, message_id: int) -> None:
        """After resend / resolve: show the new state even if no event follows."""
        msg = queries.message_row(message_id)
        if msg is not None:
            self.on_message_updated(message_id, msg.conversation_id, msg.state)
            self.thread.refresh_header()

    def toggle_status(self) -> None:
        row = self.thread.conversation
        if row is None:
            return
        new = "open" if row.status == "done" else "done"
        self._call(
            self.engine.set_status(row.id, new), "Marked done." if new == "done" else "Reopened."
        )

    def toggle_unread(self) -> None:
        self.list.set_filter("all" if self.list.model.filter == "unread" else "unread")

    def toggle_contact(self) -> None:
        show = not self.contact.isVisible()
        self.contact.setVisible(show)
        self.thread.contact_button.setChecked(show)
        if show:
            sizes = self.splitter.sizes()
            self.splitter.setSizes([sizes[0], max(360, sizes[1] - 320), 320])
            self.contact.name.setFocus()

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.list.search.setFocus()
        self.list.search.selectAll()

    def new_conversation(self) -> None:
        dlg = NewConversationDialog(country=self.country, parent=self)
        if not dlg.exec() or not dlg.number:
            return
        if dlg.conversation_id:
            self.select_conversation(dlg.conversation_id)
            self.thread.composer.edit.setFocus()
            return

        def opened(conversation_id: int) -> None:
            self.list.refresh(conversation_id)
            self.select_conversation(conversation_id)
            self.thread.composer.edit.setFocus()

        self._call(
            self.engine.call(
                window_ops.open_conversation,
                dlg.number,
                settings=self.settings,
                clock=self.engine.clock,
            ),
            on_ok=opened,
        )

    def set_opt_out(self, contact_id: int, opted_out: bool) -> None:
        staff = staff_actions.author(self)
        self._call(
            self.engine.set_opt_out(contact_id, opted_out, staff=staff),
            "Opted out." if opted_out else "Opted back in.",
        )

    def erase_contact(self, contact_id: int) -> None:
        from ui import job_progress

        job_progress.erase_contact(self, contact_id)  # a job: progress and Cancel, never waits

    def export_current(self) -> None:
        if self.thread.conversation is not None:
            self.export_conversation(self.thread.conversation.id)

    def export_conversation(self, cid: int) -> None:
        from ui import export_action

        export_action.export_conversation(self, cid, zone=self.zone, country=self.country)

    def open_settings(self) -> None:
        from ui import settings_action

        settings_action.open_settings(self)

    # --- modem -----------------------------------------------------------------------------
    def on_modem_status(self, status: ModemStatus) -> None:
        self.status.set_status(status)
        self.thread.set_modem_waiting(MODEM_WAITING.get(status.state, ""))
        if status.state == ModemState.PIN_NEEDED and status.pin_kind != "SIM PUK":
            if not self._pin_asked:
                self._pin_asked = True
                QTimer.singleShot(0, self.ask_pin)
        else:
            self._pin_asked = False

    def ask_pin(self) -> None:
        if self._pin_dialog is not None:
            return
        from ui.pin_dialog import PinDialog

        dlg = self._pin_dialog = PinDialog(self, error=self.engine.modem_status.last_error)

        def finished(result: int) -> None:
            self._pin_dialog = None
            if result and dlg.value():
                self.engine.enter_pin(dlg.value())
                self.status.showMessage("PIN sent to the modem…", 5000)

        dlg.finished.connect(finished)
        dlg.open()

    def ask_balance(self) -> None:
        self.engine.query_balance()

    # --- window ----------------------------------------------------------------------------
    def bring_forward(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def quit_app(self) -> None:
        """File › Quit: close for real and stop the app."""
        self.shutdown()
        self.quitRequested.emit()

    @property
    def quitting(self) -> bool:
        return self.keep_running.quitting

    def shutdown(self) -> None:
        """Close the window for good (the session is ending)."""
        self.keep_running.quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.drafts.flush()
        window_state.save(self, self.splitter, self.place)
        if not self.quitting:  # the close button: TextDesk keeps running
            event.ignore()
            self.keep_running.put_away()
            return
        self.bridge.detach()
        if self.notifier.tray is not None:
            self.notifier.tray.hide()
        super().closeEvent(event)
