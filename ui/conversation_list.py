"""Left pane: filters, search box, and the conversation list (or search results)."""

from __future__ import annotations

import logging
from datetime import tzinfo

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desk.messaging import staff
from desk.read import queries
from desk.read import search as desk_search
from ui import fmt, resources
from ui.conversation_delegate import ConversationDelegate
from ui.conversation_model import ConversationListModel, IdRole
from ui.flow_layout import FlowLayout

log = logging.getLogger(__name__)

FILTER_LABELS = {
    "all": "All",
    "unread": "Unread",
    "open": "Open",
    "callback": "Call back",
    "attention": "Needs attention",
    "mine": "Mine",
    "unassigned": "Unassigned",
}
STAFF_FILTERS = ("mine", "unassigned")  # shown only when the shop has staff
# On the button itself, where a shorter word saves a row of buttons (1366x768 at 100 % and
# 200 % text); the full name stays in its tooltip, for screen readers, and in Show › menu.
BUTTON_LABELS = {"attention": "Attention"}
TOOLTIPS = {
    "all": "Every conversation (Ctrl+1)",
    "unread": "Conversations with texts nobody has read (Ctrl+U)",
    "open": "Conversations not marked done (Ctrl+2)",
    "callback": "Customers waiting for a call back (Ctrl+3)",
    "attention": "Needs attention: a text that failed or may not have gone out, a customer "
    "who asked to stop or to move an appointment, a reminder that could not go in time (Ctrl+4)",
    "mine": "Conversations assigned to whoever is signed in here",
    "unassigned": "Conversations assigned to nobody",
}
HitRole = Qt.ItemDataRole.UserRole + 10


def _snippet(hit: desk_search.Hit) -> str:
    """The snippet in plain words (for screen readers), the match marks dropped."""
    raw = desk_search.plain_snippet(hit.snippet or "", "", "")
    if hit.message_id is None:
        raw = "Customer: " + raw
    return raw.replace("\n", " ")


class ConversationList(QWidget):
    conversationSelected = Signal(int)  # conversation id
    searchHitChosen = Signal(int, int)  # conversation id, message id (0: none)
    newRequested = Signal()

    def __init__(self, *, zone: tzinfo, country: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.country = country
        self.zone = zone
        self.model = ConversationListModel(zone=zone, country=country, parent=self)
        self.delegate = ConversationDelegate(zone, self)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search names, numbers, messages  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search")
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._search_enter)

        self.new_button = QToolButton(self)
        self.new_button.setText("New")
        self.new_button.setIcon(resources.icon("new.svg"))
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_button.setToolTip("New conversation (Ctrl+N)")
        self.new_button.setAccessibleName("New conversation")
        self.new_button.clicked.connect(self.newRequested)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)

        self.filters = QButtonGroup(self)
        self.filters.setExclusive(True)
        self.filter_buttons: dict[str, QToolButton] = {}
        self.bar = bar = FlowLayout(spacing=4)  # as many rows as the pane's width needs
        for name, label in FILTER_LABELS.items():
            b = QToolButton(self)
            b.setText(BUTTON_LABELS.get(name, label))
            b.setToolTip(TOOLTIPS[name])
            b.setCheckable(True)
            b.setAutoRaise(False)
            b.setAccessibleName(f"Show {label.lower()} conversations")
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.clicked.connect(lambda _c=False, n=name: self.set_filter(n))
            self.filters.addButton(b)
            self.filter_buttons[name] = b
            bar.addWidget(b)
        self.staff_changed()
        self.filter_buttons["all"].setChecked(True)

        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setItemDelegate(self.delegate)
        self.delegate.watch(self.view)  # two lines a row, or three when narrow for its text
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setUniformItemSizes(True)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setAccessibleName("Conversations")
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._restore_selection)
        self.model.layoutChanged.connect(self._restore_selection)
        self._syncing = False  # the window is setting the highlight: no conversationSelected

        self.results = QListWidget(self)
        self.results.setAccessibleName("Search results")
        self.results.setWordWrap(True)
        # its delegate (ui.search_delegate) is set at the first search, not to show the window
        self.results.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.results.itemActivated.connect(self._hit_activated)
        self.results.itemClicked.connect(self._hit_activated)
        self.empty = QLabel("No conversations here.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.results)
        self.stack.addWidget(self.empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self._selected: int | None = None

    # --- list ------------------------------------------------------------------------------
    def load(self) -> None:
        self.model.reload()
        self._update_empty()

    def set_filter(self, name: str) -> None:
        self.filter_buttons[name].setChecked(True)
        if self.search.text():
            self.search.clear()
        self.model.set_filter(name)
        self._update_empty()

    def set_staff(self, name: str | None) -> None:
        """``name`` signed in here: whose conversations "Mine" shows."""
        self.model.staff = name
        self.staff_changed()
        if self.model.filter in STAFF_FILTERS:
            self.model.reload()
            self._update_empty()

    def staff_changed(self) -> None:
        """The staff filters shown only while the shop has staff (back to All when hidden)."""
        shown = bool(staff.staff_list())
        for name in STAFF_FILTERS:
            self.filter_buttons[name].setVisible(shown)
        if not shown and self.model.filter in STAFF_FILTERS:
            self.set_filter("all")

    def refresh(self, conversation_id: int | None = None) -> None:
        self.model.refresh(conversation_id)
        self._update_empty()

    def update_counts(self, counts: queries.Counts) -> None:
        for name, value in (
            ("unread", counts.unread),
            ("callback", counts.callback),
            ("attention", counts.attention),
            ("mine", counts.mine),
            ("unassigned", counts.unassigned),
        ):
            label = BUTTON_LABELS.get(name, FILTER_LABELS[name])
            self.filter_buttons[name].setText(f"{label} ({value})" if value else label)

    def select(self, conversation_id: int) -> bool:
        row = self.model.row_of(conversation_id)
        if row is None:
            row = self.model.load_until(conversation_id)
        if row is None and self.model.filter != "all":
            self.set_filter("all")
            row = self.model.load_until(conversation_id)
        if row is None:
            return False
        self.stack.setCurrentWidget(self.view)
        idx = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.view.scrollTo(idx)
        return True

    def step(self, delta: int) -> None:
        """Alt+Up / Alt+Down: the previous / next conversation."""
        cur = self.view.currentIndex()
        row = (cur.row() if cur.isValid() else -1) + delta
        if row >= self.model.rowCount() and self.model.canFetchMore():
            self.model.fetchMore()
        if 0 <= row < self.model.rowCount():
            idx = self.model.index(row, 0)
            self.view.selectionModel().setCurrentIndex(
                idx, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            self.view.scrollTo(idx)

    def current_id(self) -> int | None:
        return self._selected

    def highlighted_id(self) -> int | None:
        """The conversation highlighted in the list, if any."""
        rows = self.view.selectionModel().selectedIndexes()
        return rows[0].data(IdRole) if rows else None

    def mark_open(self, conversation_id: int | None) -> None:
        """The window opened ``conversation_id``: highlight it, or nothing when the list (its
        filter) does not hold it, so the list never highlights a conversation that is not open.
        Does not emit conversationSelected."""
        self._selected = conversation_id
        self._restore_selection()

    def _selection_changed(self, *_args: object) -> None:
        if self._syncing:
            return
        cid = self.highlighted_id()
        if cid is not None and cid != self._selected:
            self._selected = cid
            self.conversationSelected.emit(cid)

    def _restore_selection(self) -> None:
        """Put the highlight back on the open conversation after the list was re-read."""
        sm = self.view.selectionModel()
        row = self.model.row_of(self._selected) if self._selected is not None else None
        self._syncing = True
        try:
            if row is None:
                sm.clearSelection()
                sm.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate)
            elif self.highlighted_id() != self._selected:
                idx = self.model.index(row, 0)
                sm.setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        finally:
            self._syncing = False

    def _update_empty(self) -> None:
        if self.search.text().strip():
            return
        if self.model.rowCount() == 0:
            self.empty.setText(
                "No conversations yet.\nPress Ctrl+N to text a customer."
                if self.model.filter == "all"
                else f"Nothing under “{FILTER_LABELS[self.model.filter]}”."
            )
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.view)

    # --- search ----------------------------------------------------------------------------
    def _run_search(self) -> None:
        text = self.search.text().strip()
        if not text:
            self._update_empty()
            return
        from ui import search_delegate

        if not isinstance(self.results.itemDelegate(), search_delegate.SearchHitDelegate):
            self.results.setItemDelegate(search_delegate.SearchHitDelegate(self.results))
        self.results.clear()
        try:
            hits = desk_search.search(text, limit=100, offset=0)
        except Exception as exc:  # a malformed query: say so, keep the list
            log.info("search failed: %s", exc)
            hits = []
            item = QListWidgetItem(f"Cannot search for that: {exc}")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(item)
        rows = queries.conversation_rows(
            list({h.conversation_id for h in hits if h.conversation_id})
        )
        for hit in hits:
            row = rows.get(hit.conversation_id) if hit.conversation_id else None
            title = row.title(self.country) if row else (hit.name or hit.number or "?")
            snippet = _snippet(hit)
            item = QListWidgetItem(f"{title}\n{snippet}")
            item.setData(HitRole, (hit.conversation_id, hit.message_id or 0))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{title}: {snippet}")
            item.setData(search_delegate.TitleRole, title)
            item.setData(search_delegate.TimeRole, fmt.list_time(hit.at, self.zone))
            marked = hit.snippet or ""
            item.setData(
                search_delegate.SnippetRole, marked if hit.message_id else "Customer: " + marked
            )
            self.results.addItem(item)
        if not hits and self.results.count() == 0:
            item = QListWidgetItem(f"Nothing found for “{text}”.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(item)
        self.stack.setCurrentWidget(self.results)

    def _search_enter(self) -> None:
        self._search_timer.stop()
        self._run_search()
        for n in range(self.results.count()):
            item = self.results.item(n)
            if item.data(HitRole):
                self._hit_activated(item)
                return

    def _hit_activated(self, item: QListWidgetItem) -> None:
        data = item.data(HitRole)
        if not data:
            return
        conversation_id, message_id = data
        self.searchHitChosen.emit(int(conversation_id), int(message_id))
