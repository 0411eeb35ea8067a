"""File › Templates…: the shop writes its reply templates.

Left, the templates in the shop's order (the order the reply box lists them in) with New, Move
up, Move down and Delete; right, the one being edited: its name (typed as /name in the reply
box), its text with the placeholders to insert, and a live preview with a sample customer by the
one renderer (desk.messaging.placeholders), signed as a reply is, with its SMS count. Import and
Export use the JSON file ``textdesk templates export`` writes.

Every change goes to the engine (``engine.call``: the one writer); the list is read again when
it is done, and ``changed`` tells the window to give the reply box the new list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desk.engine.api import Engine
from desk.messaging import placeholders, sms_plan, templates
from desk.messaging.outbox import sign
from desk.messaging.templates import TemplateRow
from ui.bridge import Bridge
from ui.composer import counter_text

IdRole = Qt.ItemDataRole.UserRole + 1
NEW = -1  # the row of a template not saved yet

PLACEHOLDER_WORDS = {
    "first_name": "first name",
    "name": "full name",
    "shop": "shop name",
    "signature": "signature",
    "service": "service (reminders)",
    "date": "date (reminders)",
    "time": "time (reminders)",
}


class TemplateEditor(QDialog):
    changed = Signal()  # templates were written: the reply box should list them again

    def __init__(self, engine: Engine, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Templates")
        self.engine = engine
        self.bridge = bridge
        self.settings = engine.settings
        self._rows: list[TemplateRow] = []
        self._current: int | None = None  # template id being edited, NEW, or None
        self._loading = False

        self.list = QListWidget(self)
        self.list.setAccessibleName("Templates, in the order the reply box lists them")
        self.list.currentItemChanged.connect(self._picked)
        self.new_button = QPushButton("New", self)
        self.up_button = QPushButton("Move up", self)
        self.down_button = QPushButton("Move down", self)
        self.delete_button = QPushButton("Delete", self)
        self.new_button.clicked.connect(self.new_template)
        self.up_button.clicked.connect(lambda: self.move_by(-1))
        self.down_button.clicked.connect(lambda: self.move_by(1))
        self.delete_button.clicked.connect(self.delete)
        self.up_button.setToolTip("Alt+Up")
        self.down_button.setToolTip("Alt+Down")
        self.up_button.setShortcut("Alt+Up")
        self.down_button.setShortcut("Alt+Down")
        left = QWidget(self)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(QLabel("Templates (type /name in the reply box):", left))
        lv.addWidget(self.list, 1)
        grid = QGridLayout()
        for n, b in enumerate(
            (self.new_button, self.delete_button, self.up_button, self.down_button)
        ):
            grid.addWidget(b, n // 2, n % 2)
        lv.addLayout(grid)

        self.name = QLineEdit(self)
        self.name.setAccessibleName("Template name")
        self.name.setPlaceholderText("ready (no spaces)")
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName("Template text")
        self.text.setPlaceholderText("Hi {first_name}, your order is ready at {shop}.")
        self.text.setMinimumHeight(self.text.fontMetrics().lineSpacing() * 3 + 12)
        self.text.setMaximumHeight(self.text.fontMetrics().lineSpacing() * 8 + 12)
        self.insert = QComboBox(self)
        self.insert.setAccessibleName("Insert a placeholder")
        self.insert.addItem("Insert a placeholder…", "")
        for key in placeholders.KNOWN:
            self.insert.addItem(f"{{{key}}}  {PLACEHOLDER_WORDS.get(key, key)}", f"{{{key}}}")
        self.insert.activated.connect(self._insert_placeholder)
        self.preview = QLabel(self)
        self.preview.setObjectName("templatePreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setAccessibleName("Preview for a sample customer")
        self.preview.setStyleSheet(
            "QLabel#templatePreview { background: #d3e3fd; color: #0b1e33; padding: 8px;"
            " border-radius: 8px; }"
        )
        self.count = QLabel(self)
        self.count.setWordWrap(True)
        self.count.setAccessibleName("SMS count")
        self.notes = QLabel(self)
        self.notes.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d93025; font-weight: bold;")
        self.save_button = QPushButton("Save template", self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.name.textChanged.connect(self._edited)
        self.text.textChanged.connect(self._edited)

        right = QWidget(self)
        form = QFormLayout(right)
        form.setContentsMargins(0, 0, 4, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Name:", self.name)
        form.addRow("Text:", self.text)
        form.addRow("", self.insert)
        form.addRow("Preview:", self.preview)
        form.addRow("", self.count)
        form.addRow("", self.notes)
        form.addRow("", self.error)
        # However large the text or small the screen, the fields scroll and the buttons stay.
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(right)

        self.splitter = QSplitter(self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.import_button = QPushButton("Import…", self)
        self.export_button = QPushButton("Export…", self)
        self.close_button = QPushButton("Close", self)
        self.import_button.clicked.connect(self.import_file)
        self.export_button.clicked.connect(self.export_file)
        self.close_button.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.export_button)
        bottom.addStretch(1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)
        em = self.fontMetrics().averageCharWidth()
        line = self.fontMetrics().lineSpacing()
        width, height = min(110 * em, 1000), min(36 * line, 640)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:  # 1366x768 at 200% text is 683x384: the dialog fits in it
            width, height = min(width, screen.width() - 16), min(height, screen.height() - 40)
        self.resize(width, height)
        # the names are short: most of the room goes to the text and its preview
        self.splitter.setSizes([max(16 * em, width * 3 // 10), width * 7 // 10])
        self.reload()
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.new_template()

    # --- the list ------------------------------------------------------------------------------
    def reload(self, select: int | str | None = None) -> None:
        """Read the templates again; select the one with id or name ``select`` (else keep)."""
        keep = select if select is not None else self._current
        self._rows = templates.templates()
        self._loading = True
        try:
            self.list.clear()
            for row in self._rows:
                item = QListWidgetItem(f"/{row.name}")
                item.setData(IdRole, row.id)
                item.setToolTip(row.body)
                self.list.addItem(item)
        finally:
            self._loading = False
        for n, row in enumerate(self._rows):
            if keep in (row.id, row.name):
                self.list.setCurrentRow(n)
                break
        self._buttons()

    def _row(self, template_id: int | None) -> TemplateRow | None:
        return next((r for r in self._rows if r.id == template_id), None)

    def _picked(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if self._loading or item is None:
            return
        row = self._row(item.data(IdRole))
        if row is None:
            return
        self._current = row.id
        self._show(row.name, row.body)

    def _show(self, name: str, body: str) -> None:
        self._loading = True
        try:
            self.name.setText(name)
            self.text.setPlainText(body)
        finally:
            self._loading = False
        self.error.setText("")
        self.update_preview()
        self._buttons()

    def _buttons(self) -> None:
        saved = self._current not in (None, NEW)
        row = self.list.currentRow()
        self.delete_button.setEnabled(saved)
        self.up_button.setEnabled(saved and row > 0)
        self.down_button.setEnabled(saved and 0 <= row < self.list.count() - 1)
        self.save_button.setText("Add template" if self._current == NEW else "Save template")

    def new_template(self) -> None:
        self._current = NEW
        self.list.clearSelection()
        self._show("", "")
        self.name.setFocus()

    # --- editing -------------------------------------------------------------------------------
    def _insert_placeholder(self, index: int) -> None:
        value = self.insert.itemData(index)
        if value:
            self.text.insertPlainText(value)
            self.text.setFocus()
        self.insert.setCurrentIndex(0)

    def _edited(self) -> None:
        if not self._loading:
            self.error.setText("")
            self.update_preview()

    def update_preview(self) -> None:
        """The text as the sample customer reads it (signed, as a reply goes), its SMS count,
        and the placeholders staff fill in each time."""
        body = self.text.toPlainText()
        signature = str(self.settings.get("signature") or "")
        values = templates.preview_values(str(self.settings.get("shop_name") or ""), signature)
        rendered = placeholders.render(body, values)
        self.preview.setText(sign(rendered, signature) if rendered else "—")
        words, unicode = counter_text(rendered, signature)
        if unicode:  # a character that comes from the signature is the signature's to fix
            bare = placeholders.render(body, replace(values, signature=""))
            for ch in sms_plan.unicode_characters(sign(rendered, signature)):
                if ch not in bare and f"“{ch}” in the signature" not in words:
                    words = words.replace(f"“{ch}”", f"“{ch}” in the signature", 1)
        self.count.setText(words.replace(" left", " characters left"))
        self.count.setStyleSheet("color: #b06000; font-weight: bold;" if unicode else "")
        unknown = placeholders.unknown(body)
        notes = ["Sample customer: Maria Lopez, check-up on Tue 9 Dec at 9:30 AM."]
        if unknown:
            notes.append(
                f"{', '.join(unknown)}: not a placeholder TextDesk fills; staff replace it "
                "before sending."
            )
        self.notes.setText("  ".join(notes))

    # --- writes --------------------------------------------------------------------------------
    def _write(
        self, fn: Callable[..., Any], *args: Any, then: Callable[[Any], None], **kw: Any
    ) -> None:
        def failed(exc: BaseException) -> None:
            self.error.setText(str(exc) or type(exc).__name__)

        def ok(result: Any) -> None:
            then(result)
            self.changed.emit()

        self.bridge.when_done(self.engine.call(fn, *args, **kw), ok, failed)

    def save(self) -> None:
        name, body = self.name.text(), self.text.toPlainText()
        if self._current == NEW or self._current is None:
            self._write(templates.add_template, name, body, then=self._saved)
        else:
            old = self._row(self._current)
            if old is None:
                return
            self._write(
                templates.edit_template, old.name, new_name=name, text=body, then=self._saved
            )

    def _saved(self, row: TemplateRow) -> None:
        self._current = row.id
        self.reload(select=row.id)
        self.error.setText("")
        self.notes.setText(f"Saved /{row.name}.")

    def move_by(self, step: int) -> None:
        row = self._row(self._current)
        index = self.list.currentRow()
        if row is None or index < 0:
            return
        self._write(
            templates.move_template, row.name, index + 1 + step,
            then=lambda _order: self.reload(select=row.id),
        )  # fmt: skip

    def delete(self) -> None:
        row = self._row(self._current)
        if row is None:
            return
        answer = QMessageBox.question(
            self, "Delete template?", f"Delete the template /{row.name}? This cannot be undone."
        )
        if answer != QMessageBox.StandardButton.Yes:
            return

        def deleted(_row: TemplateRow) -> None:
            self._current = None
            self.reload()
            if self.list.count():
                self.list.setCurrentRow(0)
            else:
                self.new_template()

        self._write(templates.delete_template, row.name, then=deleted)

    def export_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export templates", "templates.json", "Template files (*.json)"
        )
        if not path:
            return
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(templates.export_templates())
        except OSError as exc:
            self.error.setText(f"Could not write {path}: {exc.strerror or exc}.")
            return
        self.notes.setText(f"Exported {len(self._rows)} templates to {path}.")

    def import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import templates", "", "Template files (*.json)"
        )
        if not path:
            return
        try:
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            self.error.setText(f"Could not read {path}: {exc}.")
            return

        def imported(result: tuple[int, int]) -> None:
            self.reload()
            self.notes.setText(
                f"Imported {result[0]} new templates; ones with a name already here were kept."
            )

        self._write(templates.import_templates, text, then=imported)
