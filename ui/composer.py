"""The reply box: send key per setting, live SMS counter, templates (menu or /name), and a clear
"why not" when the customer opted out. It only emits ``sendRequested``; the window sends."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desk.messaging import sms_plan
from desk.messaging.outbox import sign
from desk.messaging.templates import TemplateRow
from ui import templates as tpl

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


def counter_text(text: str, signature: str = "") -> tuple[str, bool]:
    """('1 SMS · 43 left', unicode?) for ``text`` as it will be sent (signed), plus, for Unicode,
    which characters cause it (saying so when they are in the signature) and the cost."""
    full = sign(text, signature)
    if not full:
        return "0 SMS · 160 left", False
    p = sms_plan.plan(full)
    base = f"{p.parts} SMS · {p.remaining} left"
    if p.encoding == "gsm7":
        return base, False
    culprits = sms_plan.unicode_characters(full)
    shown = " ".join(
        f"“{ch}”" if ch in text else f"“{ch}” in the signature" for ch in culprits[:4]
    ) + (" …" if len(culprits) > 4 else "")
    plain = "".join(ch for ch in full if not sms_plan.needs_unicode(ch))
    alt = sms_plan.plan(plain).parts if plain else 0
    cost = f"; without them {alt} SMS" if alt and alt != p.parts else ""
    return f"{base} · Unicode (70 per SMS) because of {shown}{cost}", True


class ComposerEdit(QPlainTextEdit):
    submit = Signal()
    templateTyped = Signal(str)  # "/name" typed and confirmed
    typed = Signal()  # a key typed into the reply (not a draft put back): ui/staff_presence.py

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.send_key = "enter"
        # the templates matching "/..." as typed (the composer fills it): Up/Down pick one
        self.picker: QListWidget | None = None

    def sizeHint(self) -> QSize:
        return QSize(300, self.fontMetrics().lineSpacing() * 3 + 14)

    def _slash_template(self) -> bool:
        text = self.toPlainText()
        if text.startswith("/") and " " not in text.strip() and len(text) > 1:
            self.templateTyped.emit(text.strip()[1:])
            return True
        return False

    def event(self, e: QEvent) -> bool:
        # Tab normally moves focus (setTabChangesFocus) before keyPressEvent sees it.
        if (
            e.type() == QEvent.Type.KeyPress
            and isinstance(e, QKeyEvent)
            and e.key() == Qt.Key.Key_Tab
            and self._slash_template()
        ):
            return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        picker = self.picker
        if picker is not None and picker.isVisible():
            if e.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                step = -1 if e.key() == Qt.Key.Key_Up else 1
                picker.setCurrentRow(max(0, min(picker.count() - 1, picker.currentRow() + step)))
                return
            if e.key() == Qt.Key.Key_Escape:
                picker.hide()
                return
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._slash_template():
            return
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            mods = e.modifiers()
            ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
            shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
            if ctrl or (self.send_key == "enter" and not shift):
                self.submit.emit()
                return
        super().keyPressEvent(e)
        if e.text():
            self.typed.emit()


class Composer(QWidget):
    sendRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = tpl.Context()
        self._templates: list[TemplateRow] = []

        self.blocked = QLabel(self)
        self.blocked.setWordWrap(True)
        self.blocked.setObjectName("composerBlocked")
        self.blocked.setStyleSheet(
            "QLabel#composerBlocked { background: #fce8e6; color: #a50e0e; padding: 8px;"
            " border-radius: 6px; font-weight: bold; }"
        )
        self.blocked.hide()

        # Who Enter sends to, right above the box: the name and the number.
        self.recipient = QLabel(self)
        self.recipient.setObjectName("composerRecipient")
        self.recipient.setTextFormat(Qt.TextFormat.PlainText)
        self.recipient.setWordWrap(True)
        self.recipient.setStyleSheet("QLabel#composerRecipient { font-weight: bold; }")
        self.recipient_name = ""

        self.edit = ComposerEdit(self)
        self.edit.setAccessibleName("Reply")
        self.edit.setTabChangesFocus(True)
        fm = self.edit.fontMetrics()
        self.edit.setMinimumHeight(fm.lineSpacing() * 3 + 12)
        self.edit.setMaximumHeight(fm.lineSpacing() * 7 + 12)
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.edit.textChanged.connect(self._update_counter)
        self.edit.submit.connect(self.request_send)
        self.edit.templateTyped.connect(self._template_typed)

        # "/" in the box: the templates whose name matches what follows, as it is typed
        self.picker = QListWidget(self)
        self.picker.setAccessibleName("Templates matching what you typed (Up/Down, Enter)")
        self.picker.setMaximumHeight(self.picker.fontMetrics().lineSpacing() * 5 + 8)
        self.picker.itemClicked.connect(lambda item: self._template_typed(item.data(NAME_ROLE)))
        self.picker.hide()
        self.edit.picker = self.picker
        self.edit.textChanged.connect(self._filter_picker)

        self.counter = QLabel(self)
        self.counter.setAccessibleName("Message length")
        self.counter.setWordWrap(True)
        self.templates_button = QToolButton(self)
        self.templates_button.setText("Templates")
        self.templates_button.setAccessibleName("Insert a template")
        self.templates_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self)
        self.templates_button.setMenu(self.menu)
        self.send_button = QPushButton("Send", self)
        self.send_button.setAccessibleName("Send reply")
        self.send_button.setDefault(False)
        self.send_button.setAutoDefault(False)
        self.send_button.clicked.connect(self.request_send)
        self.hint = QLabel(self)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        # Above the box: who it goes to, and which key sends; below: templates, the SMS count
        # (which may grow long, and wraps across the width), Send.
        head = QHBoxLayout()
        head.addWidget(self.recipient, 3)
        head.addWidget(self.hint, 2)
        row = QHBoxLayout()
        row.addWidget(self.templates_button)
        row.addWidget(self.counter, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addWidget(self.blocked)
        layout.addLayout(head)
        layout.addWidget(self.picker)
        layout.addWidget(self.edit)
        layout.addLayout(row)
        self.signature = ""
        self.set_send_key("enter")
        self._update_placeholder()
        self._update_counter()

    # --- configuration ---------------------------------------------------------------------
    def set_signature(self, signature: str) -> None:
        """The shop's signature, added to every staff reply: the counter counts it too."""
        self.signature = signature or ""
        self._update_placeholder()
        self._update_counter()

    def _update_placeholder(self) -> None:
        if not self.edit.isEnabled():
            text = "Sending is off for this customer"
        else:
            text = "Write a reply…  (type / for templates)"
            if self.signature.strip():
                text += f"  ·  signed “{self.signature.strip()}”"
        self.edit.setPlaceholderText(text)

    def set_recipient(self, name: str, number: str) -> None:
        """Name the customer the send key sends to, above the box and in the hint beside Send."""
        self.recipient_name = name
        shown = f"{name} · {number}" if number and number != name else name
        # A number is read as one thing: never broken across lines at 200 % ("(202) / 555-0106").
        kept = number.replace(" ", "\u00a0").replace("-", "\u2011")
        label = f"{name} · {kept}" if number and number != name else kept or name
        self.recipient.setText(f"Reply to {label}" if shown else "")
        self.recipient.setAccessibleName(f"Reply to {shown}" if shown else "")
        self.edit.setAccessibleName(f"Reply to {name}" if name else "Reply")
        self.send_button.setToolTip(f"Send to {shown}" if shown else "")
        self.set_send_key(self.edit.send_key)

    def set_send_key(self, key: str) -> None:
        self.edit.send_key = key
        first = self.recipient_name.split(" ")[0] if self.recipient_name else ""
        to = f" to {first}" if first else ""
        self.hint.setText(
            f"Enter sends{to} · Shift+Enter new line" if key == "enter" else f"Ctrl+Enter sends{to}"
        )

    def set_templates(self, rows: list[TemplateRow]) -> None:
        self._templates = rows
        self.menu.clear()
        for row in rows:
            preview = row.body if len(row.body) < 50 else row.body[:47] + "…"
            act = self.menu.addAction(f"/{row.name}  —  {preview}")
            act.triggered.connect(lambda _c=False, r=row: self.insert_template(r))
        if not rows:
            act = self.menu.addAction("No templates yet")
            act.setEnabled(False)

    def set_blocked(self, reason: str | None) -> None:
        """Opted out (or nothing selected): disable sending and say why."""
        blocked = bool(reason)
        self.blocked.setText(reason or "")
        self.blocked.setVisible(blocked)
        self.blocked.setAccessibleName(reason or "")
        for w in (self.edit, self.send_button, self.templates_button):
            w.setEnabled(not blocked)
        self._update_placeholder()

    # --- templates -------------------------------------------------------------------------
    def insert_template(self, row: TemplateRow) -> None:
        text = tpl.expand(row.body, self.context)
        current = self.edit.toPlainText()
        if current.startswith("/") or not current.strip():
            self.edit.setPlainText(text)
        else:
            self.edit.insertPlainText(text)
        self.edit.setFocus()
        cursor = self.edit.textCursor()
        # Put the cursor on the first placeholder still to fill, selected.
        doc = self.edit.toPlainText()
        left = tpl.unfilled(doc)
        if left:
            start = doc.find(left[0])
            cursor.setPosition(start)
            cursor.setPosition(start + len(left[0]), cursor.MoveMode.KeepAnchor)
        else:
            cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)

    def _matches(self, typed: str) -> list[TemplateRow]:
        typed = typed.lower()
        first = [t for t in self._templates if t.name.lower().startswith(typed)]
        return first + [t for t in self._templates if typed in t.name.lower() and t not in first]

    def _filter_picker(self) -> None:
        text = self.edit.toPlainText()
        if not (text.startswith("/") and " " not in text and "\n" not in text):
            self.picker.hide()
            return
        self.picker.clear()
        for row in self._matches(text[1:]):
            preview = row.body if len(row.body) < 60 else row.body[:57] + "…"
            item = QListWidgetItem(f"/{row.name}  —  {preview}")
            item.setData(NAME_ROLE, row.name)
            self.picker.addItem(item)
        if not self.picker.count():
            self.picker.addItem(f"No template called “{text[1:]}”")
            self.picker.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self.picker.setCurrentRow(0)
        self.picker.show()

    def _template_typed(self, name: str) -> None:
        chosen = self.picker.currentItem() if self.picker.isVisible() else None
        if chosen is not None and chosen.data(NAME_ROLE):
            name = chosen.data(NAME_ROLE)
        self.picker.hide()
        name = name.lower()
        exact = [t for t in self._templates if t.name.lower() == name]
        found = exact or [t for t in self._templates if t.name.lower().startswith(name)]
        if len(found) == 1:
            self.insert_template(found[0])
        elif found:
            self.menu.popup(self.edit.mapToGlobal(self.edit.cursorRect().bottomLeft()))
        else:
            self.counter.setText(f"No template called “{name}”")

    # --- sending ---------------------------------------------------------------------------
    def text(self) -> str:
        return self.edit.toPlainText()

    def clear(self) -> None:
        self.edit.clear()

    def set_text(self, text: str) -> None:
        """Put ``text`` (a conversation's draft) in the box, the cursor at its end."""
        self.edit.setPlainText(text)
        cursor = self.edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)

    def request_send(self) -> None:
        if not self.send_button.isEnabled():
            return
        text = self.edit.toPlainText().strip()
        if not text:
            return
        left = tpl.unfilled(text)
        if left:
            QMessageBox.information(
                self,
                "Fill in the template",
                f"Replace {', '.join(left)} with the real words before sending.",
            )
            return
        self.sendRequested.emit(text)

    def _update_counter(self) -> None:
        text, unicode = counter_text(self.edit.toPlainText(), self.signature)
        self.counter.setText(text)
        self.counter.setStyleSheet("color: #b06000; font-weight: bold;" if unicode else "")
