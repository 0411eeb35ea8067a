"""Right pane: who this is, the messages (bubbles by day), what needs deciding, and the composer."""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk.base.phones import display, region_timezone
from desk.messaging.notes import NoteRow
from desk.read import appointment_replies, late_reminders, queries
from desk.store import models as m
from ui import fmt, theme
from ui.composer import Composer
from ui.conversation_model import asked_to_stop
from ui.thread_delegate import ThreadDelegate
from ui.thread_model import ItemRole, ThreadModel


def pill_style(color: QColor) -> str:
    """A push button drawn like the delegate's pills (theme.pill): rounded, filled, white bold."""
    return (
        f"QPushButton {{ background: {color.name()}; color: white; font-weight: bold;"
        " border: none; border-radius: 10px; padding: 3px 12px; }"
        f" QPushButton:focus {{ outline: 2px solid {color.darker(140).name()}; }}"
        f" QPushButton:pressed {{ background: {color.darker(120).name()}; }}"
    )


class ThreadView(QWidget):
    resendRequested = Signal(int)
    sendNowRequested = Signal(int)  # "Send now" on a waiting text's bubble
    noteDeleteRequested = Signal(int)  # "Delete note" on an internal note
    wentOutRequested = Signal(int)
    statusToggleRequested = Signal()
    contactToggleRequested = Signal()
    dismissRequested = Signal(int, str)  # (conversation, cause): "Got it" on a note to staff
    headerRefreshed = Signal()  # the header shows the conversation as it is now (or none)

    def __init__(self, *, zone: tzinfo, country: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.country = country
        self.conversation: queries.ConversationRow | None = None

        self.title = QLabel(self)
        self.title.setObjectName("threadTitle")
        f = self.title.font()
        f.setPointSizeF(max(f.pointSizeF(), 1) * 1.25)
        f.setBold(True)
        self.title.setFont(f)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel(self)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_button = QPushButton("Mark done", self)
        self.status_button.setAccessibleName("Mark conversation done or open (Ctrl+D)")
        self.status_button.setToolTip("Ctrl+D")
        self.status_button.clicked.connect(self.statusToggleRequested)
        self.contact_button = QPushButton("Customer details", self)
        self.contact_button.setCheckable(True)
        self.contact_button.setToolTip("Ctrl+I")
        self.contact_button.setAccessibleName("Show customer details (Ctrl+I)")
        self.contact_button.clicked.connect(self.contactToggleRequested)
        head = self.head = QHBoxLayout()  # ui/staff_assign.py adds "Assign to…" here
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self.title)
        names.addWidget(self.subtitle)
        head.addLayout(names, 1)
        head.addWidget(self.status_button)
        head.addWidget(self.contact_button)

        self.model = ThreadModel(zone=zone, parent=self)
        self.delegate = ThreadDelegate(zone, self)
        self.delegate.actionClicked.connect(self._bubble_action)
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setItemDelegate(self.delegate)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view.setAccessibleName("Messages")
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        # However large the text, the messages keep room for a few lines.
        self.view.setMinimumHeight(self.view.fontMetrics().lineSpacing() * 5)
        self.view.viewport().installEventFilter(self)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.view.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self._stick_bottom = True
        self._loading = False
        # Waiting texts: the send queue writes why they wait without an event, and their notes
        # read against the clock; re-read them every few seconds while the thread shows some.
        self.waiting_timer = QTimer(self, interval=3000)
        self.waiting_timer.timeout.connect(self.refresh_waiting)
        self.waiting_timer.start()

        self.banner = QFrame(self)
        self.banner.setObjectName("attention")
        self.banner.setStyleSheet(
            "QFrame#attention { background: #fef7e0; border: 1px solid #f9ab00; border-radius: 6px; }"
            " QFrame#attention QLabel { color: #5f3b00; }"
        )
        self.banner_text = QLabel(self.banner)
        self.banner_text.setWordWrap(True)
        self.banner_resend = QPushButton("Resend", self.banner)
        self.banner_resend.setAccessibleName("Resend the message that may not have gone out")
        self.banner_wentout = QPushButton("It went out", self.banner)
        self.banner_wentout.setAccessibleName("Mark the message as sent")
        self.banner_details = QPushButton("Customer details", self.banner)
        self.banner_details.setAccessibleName("Show customer details, to opt them out")
        self.banner_details.clicked.connect(self.contactToggleRequested)
        self.banner_details.hide()
        self.banner_dismiss = QPushButton("Got it", self.banner)
        self.banner_dismiss.setAccessibleName(
            "Staff have dealt with the reminder that was not sent"
        )
        self.banner_dismiss.setStyleSheet(pill_style(theme.UNREAD))
        self.banner_dismiss.clicked.connect(self._dismiss)
        self.banner_dismiss.hide()
        # the same look as the pills under the bubble: one style for one action
        for button, color in (
            (self.banner_resend, theme.UNREAD),
            (self.banner_wentout, theme.DELIVERED),
        ):
            button.setStyleSheet(pill_style(color))
        self.banner_resend.clicked.connect(lambda: self._banner_action("resend"))
        self.banner_wentout.clicked.connect(lambda: self._banner_action("went_out"))
        bl = QHBoxLayout(self.banner)
        bl.setContentsMargins(8, 6, 8, 6)
        bl.addWidget(self.banner_text, 1)
        bl.addWidget(self.banner_resend)
        bl.addWidget(self.banner_wentout)
        bl.addWidget(self.banner_details)
        bl.addWidget(self.banner_dismiss)
        self.banner.hide()
        self._attention: queries.MessageRow | None = None

        self.composer = Composer(self)

        self.placeholder = QLabel(
            "Pick a conversation on the left, or press Ctrl+N to text a customer.", self
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 0)
        layout.addLayout(head)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.banner)
        layout.addWidget(self.composer)
        self.show_conversation(None)

    # --- what is shown ---------------------------------------------------------------------
    def show_conversation(self, conversation_id: int | None) -> None:
        self.conversation = queries.conversation_row(conversation_id) if conversation_id else None
        empty = self.conversation is None
        for w in (
            self.view,
            self.composer,
            self.status_button,
            self.contact_button,
            self.title,
            self.subtitle,
        ):
            w.setVisible(not empty)
        self.placeholder.setVisible(empty)
        self._stick_bottom = True
        self.delegate.set_customer_zone(self._customer_zone())
        self.model.load(self.conversation.id if self.conversation else None)
        self._refresh_replies()
        self.refresh_header()
        self.scroll_to_bottom()

    def _customer_zone(self) -> tzinfo | None:
        """The customer's own time zone, else their number's country's when it has one."""
        c = self.conversation
        if c is None:
            return None
        details = queries.contact_details(c.contact_id)
        for name in (details.timezone if details else None, region_timezone(c.number)):
            if name:
                try:
                    return ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    continue
        return None

    def refresh_header(self) -> None:
        c = self.conversation
        if c is not None:
            c = self.conversation = queries.conversation_row(c.id)
        if c is None:
            self.banner.hide()
            self.composer.set_recipient("", "")
            self.composer.set_blocked("Pick a conversation first.")
            self.headerRefreshed.emit()
            return
        self.title.setText(c.title(self.country))
        number = display(c.number, self.country)
        self.subtitle.setText(number if c.name else c.number)
        self.composer.set_recipient(c.title(self.country), number)
        self.status_button.setText("Reopen" if c.status == m.DONE else "Mark done")
        self.composer.set_blocked(self._blocked_reason(c))
        self._refresh_banner()
        self.headerRefreshed.emit()

    def _blocked_reason(self, c: queries.ConversationRow) -> str | None:
        if c.opted_out:
            history = queries.consent_history(c.contact_id, limit=5)
            when = next((h for h in history if h.kind == "opt_out"), None)
            since = f" on {when.at.astimezone(self.zone):%d %b %Y}" if when else ""
            how = " by texting STOP" if when and when.method == "keyword" else ""
            return (
                f"{c.title(self.country)} opted out{how}{since}: no texts can be sent until they "
                "reply START (or you opt them back in under Customer details, with their consent)."
            )
        if c.number and not c.number.startswith("+"):
            return f"“{c.number}” is a sender name, not a number: it cannot be replied to."
        return None

    def _refresh_banner(self) -> None:
        c = self.conversation
        items = queries.attention_messages(c.id) if c else []
        self._attention = items[-1] if items else None
        if self._attention is None:
            self._refresh_stop_banner()
            return
        self.banner_details.hide()
        self.banner_dismiss.hide()
        self.banner_resend.show()
        a = self._attention
        preview = a.body if len(a.body) < 60 else a.body[:57] + "…"
        self.banner_resend.setStyleSheet(
            pill_style(theme.UNCERTAIN if a.state == m.UNCERTAIN else theme.UNREAD)
        )
        if a.state == m.UNCERTAIN:
            self.banner_text.setText(
                f"Not sure this went out: “{preview}”. Resend it, or mark it as sent?"
            )
            self.banner_wentout.show()
        else:
            self.banner_text.setText(
                f"Not sent: “{preview}” — {a.error or 'the modem refused it'}."
            )
            self.banner_wentout.hide()
        more = len(items) - 1
        if more:
            self.banner_text.setText(self.banner_text.text() + f"  ({more} more above)")
        self.banner.show()

    def _refresh_stop_banner(self) -> None:
        """A customer who asked by text to stop: say so above the reply box until staff decide."""
        c = self.conversation
        said = asked_to_stop(c) if c is not None else None
        self.banner_dismiss.hide()
        if c is None or said is None:
            self._refresh_late_banner()
            return
        quoted = f" (“{said if len(said) < 60 else said[:57] + '…'}”)" if said else ""
        self.banner_text.setText(
            f"{c.title(self.country)} asked in a text to stop{quoted}. If they meant it, opt them "
            "out under Customer details; if not, carry on."
        )
        self.banner_resend.hide()
        self.banner_wentout.hide()
        self.banner_details.show()
        self.banner.show()

    def _refresh_late_banner(self) -> None:
        """A reminder that could not go before its appointment: say which and why until staff
        have dealt with it ("Got it", a reply, or Done)."""
        c = self.conversation
        late = late_reminders.latest(c.contact_id) if c is not None else None
        if c is None or m.ATTENTION_REMINDER_LATE not in c.attention:
            self.banner.hide()
            return
        when = (
            f" for the appointment on {fmt.date_time(late.appointment_at, self.zone)}"
            if late is not None and late.appointment_at is not None
            else ""
        )
        why = (
            late.reason.removeprefix("not sent: ")
            if late
            else "quiet hours would hold it until after the appointment"
        )
        self.banner_text.setText(
            f"Reminder not sent{when}: {why}. Call or text {c.title(self.country)} yourself."
        )
        self.banner_resend.hide()
        self.banner_wentout.hide()
        self.banner_details.hide()
        self.banner_dismiss.show()
        self.banner.show()

    def _dismiss(self) -> None:
        if self.conversation is not None:
            self.dismissRequested.emit(self.conversation.id, m.ATTENTION_REMINDER_LATE)

    # --- live updates ----------------------------------------------------------------------
    def message_added(self, message_id: int, conversation_id: int) -> None:
        if self.conversation is None or conversation_id != self.conversation.id:
            return
        stick = self._at_bottom()
        self.model.add_message(message_id)
        self._refresh_replies()
        self.refresh_header()
        if stick:
            self.scroll_to_bottom()

    def message_updated(self, message_id: int, conversation_id: int) -> None:
        if self.conversation is None or conversation_id != self.conversation.id:
            return
        self.model.update_message(message_id)
        self._refresh_replies()
        self._refresh_banner()

    def _refresh_replies(self) -> None:
        """Which of the customer's texts on show answered an appointment (said under them)."""
        ids = [r.id for r in self.model.messages() if not r.outgoing]
        if self.delegate.set_replies(appointment_replies.replies_to(ids)):
            self.view.doItemsLayout()

    def refresh_waiting(self) -> None:
        """Re-read the waiting texts on show (their hold, its time) and lay them out again."""
        held = [r for r in self.model.messages() if r.outgoing and r.state == m.QUEUED]
        if not held:
            return
        for row in held:
            if queries.message_row(row.id) != row:
                self.model.update_message(row.id)
        self.view.doItemsLayout()
        self.view.viewport().update()

    def set_modem_waiting(self, reason: str) -> None:
        """Why the modem cannot send now ("" when it can): waiting bubbles say it."""
        if self.delegate.set_modem_waiting(reason):
            self.view.doItemsLayout()
            self.view.viewport().update()

    def jump_to(self, message_id: int) -> bool:
        row = self.model.load_until(message_id)
        if row is None:
            return False
        self._stick_bottom = False
        QTimer.singleShot(
            0,
            lambda: self.view.scrollTo(
                self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter
            ),
        )
        return True

    # --- scrolling -------------------------------------------------------------------------
    def scroll_to_bottom(self) -> None:
        self._stick_bottom = True
        self.view.scrollToBottom()
        QTimer.singleShot(0, self.view.scrollToBottom)

    def _at_bottom(self) -> bool:
        bar = self.view.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _scrolled(self, value: int) -> None:
        bar = self.view.verticalScrollBar()
        self._stick_bottom = value >= bar.maximum() - 4
        if value <= bar.minimum() and self.model.has_more and not self._loading:
            self._load_older_keeping_place()

    def _load_older_keeping_place(self) -> None:
        """Prepend the previous days and keep the message the reader was looking at in place."""
        oldest = self.model.oldest()
        self._loading = True
        try:
            added = self.model.load_older()
            self._refresh_replies()
            if added and oldest is not None:
                row = self.model.row_of(oldest.id)
                if row is not None:
                    index = self.model.index(row, 0)
                    hint = QAbstractItemView.ScrollHint.PositionAtTop
                    self.view.scrollTo(index, hint)
                    QTimer.singleShot(0, lambda: self.view.scrollTo(index, hint))
        finally:
            self._loading = False

    def _range_changed(self, _lo: int, hi: int) -> None:
        if self._stick_bottom:
            self.view.verticalScrollBar().setValue(hi)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self.delegate.set_width(self.view.viewport().width())
        return super().eventFilter(obj, event)

    # --- actions ---------------------------------------------------------------------------
    def item_menu(self, item: object) -> QMenu:
        """What can be done with a text or a note (right click, or the Menu key)."""
        menu = QMenu(self)
        if isinstance(item, queries.MessageRow | NoteRow):
            menu.addAction("Copy text", lambda: self.copy_text(item))
        if isinstance(item, queries.MessageRow) and item.outgoing and item.state == m.QUEUED:
            for action, label, _rect in self.delegate.layout(item, self.view.font()).buttons:
                if action == "send_now":
                    menu.addAction(label, lambda: self.sendNowRequested.emit(item.id))
        if isinstance(item, NoteRow):
            menu.addAction("Delete note", lambda: self.noteDeleteRequested.emit(item.id))
        return menu

    def copy_text(self, item: queries.MessageRow | NoteRow) -> None:
        QApplication.clipboard().setText(item.body)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        menu = self.item_menu(index.data(ItemRole))
        if menu.actions():
            menu.popup(self.view.viewport().mapToGlobal(pos))

    def _bubble_action(self, action: str, message_id: int) -> None:
        if action == "resend":
            self.resendRequested.emit(message_id)
        elif action == "went_out":
            self.wentOutRequested.emit(message_id)
        elif action == "send_now":
            self.sendNowRequested.emit(message_id)

    def _banner_action(self, action: str) -> None:
        if self._attention is not None:
            self._bubble_action(action, self._attention.id)
