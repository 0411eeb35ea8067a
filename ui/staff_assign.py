"""The thread header's "Assign to…" (issue 15): a small combo with "Unassigned" and the shop's
staff, shown only while the shop has staff and a conversation is open. Choosing someone calls
window_ops.assign through the engine; the list, the counts and the header follow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox

from desk.engine import window_ops
from desk.messaging import staff
from ui.staff_actions import author

if TYPE_CHECKING:
    from ui.main_window import MainWindow

NOBODY = "Unassigned"


class AssignBox(QComboBox):
    def __init__(self, w: MainWindow) -> None:
        super().__init__(w.thread)
        self.w = w
        self.setAccessibleName("Assign to")
        self.setToolTip("Assign this conversation to someone on the staff")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._filling = False
        self.activated.connect(self._chosen)
        w.thread.headerRefreshed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """The staff as they are now, the open conversation's assignee chosen."""
        row = self.w.thread.conversation
        names = [s.name for s in staff.staff_list()]
        self.setVisible(bool(names) and row is not None)
        if row is None or not names:
            return
        self._filling = True
        try:
            self.clear()
            self.addItem(NOBODY, None)
            for name in names:
                self.addItem(f"Assigned to {name}", name)
            if row.assigned_to and row.assigned_to not in names:
                self.addItem(f"Assigned to {row.assigned_to}", row.assigned_to)
            self.setCurrentIndex(max(0, self.findData(row.assigned_to)) if row.assigned_to else 0)
        finally:
            self._filling = False

    def assign(self, name: str | None) -> None:
        """Assign the open conversation to ``name`` (None: to nobody)."""
        w = self.w
        row = w.thread.conversation
        if row is None:
            return
        cid = row.id

        def done(_r: object) -> None:
            w.list.refresh(cid)
            if w.current_id() == cid:
                w.thread.refresh_header()
            w.update_counts()
            w.status.showMessage(f"Assigned to {name}." if name else "Unassigned.", 4000)

        def failed(exc: BaseException) -> None:
            self.refresh()
            w._failed(exc)

        w.bridge.when_done(
            w.engine.call(window_ops.assign, cid, name, by=author(w), clock=w.engine.clock),
            done,
            failed,
        )

    def _chosen(self, index: int) -> None:
        if not self._filling:
            self.assign(self.itemData(index))


def install(w: MainWindow) -> AssignBox:
    box = w.assign_box = AssignBox(w)
    w.thread.head.insertWidget(w.thread.head.indexOf(w.thread.status_button), box)
    return box
