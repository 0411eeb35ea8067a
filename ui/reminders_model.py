"""A read-only table model of plain rows, for the Reminders page and the import preview.

Rows are replaced wholesale (``set_rows``); Qt asks for what it shows, so a 10 000-row import
preview costs no per-cell widget items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    key: Any = None  # the id behind the row (None: a group heading)
    fg: str | None = None  # text colour
    fg_column: int | None = None  # only this column coloured (None: the whole row)
    bg: str | None = None
    tip: str | None = None
    heading: bool = False  # a group heading such as "Today"


class RowsModel(QAbstractTableModel):
    def __init__(self, headers: list[str], parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[Row] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    # --- for code and tests ---------------------------------------------------------------------
    def cell(self, row: int, column: int) -> str:
        cells = self.rows[row].cells
        return cells[column] if column < len(cells) else ""

    def key(self, row: int) -> Any:
        return self.rows[row].key if 0 <= row < len(self.rows) else None

    def find(self, key: Any) -> int:
        for i, row in enumerate(self.rows):
            if row.key == key and not row.heading:
                return i
        return -1

    # --- Qt ---------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if self.rows[index.row()].heading:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[col] if col < len(row.cells) else ""
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and row.fg
            and (row.fg_column is None or row.fg_column == col)
        ):
            return QBrush(QColor(row.fg))
        if role == Qt.ItemDataRole.BackgroundRole and row.bg:
            return QBrush(QColor(row.bg))
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.tip:
                return row.tip
            text = row.cells[col] if col < len(row.cells) else ""
            return text if len(text) > 30 else None
        if role == Qt.ItemDataRole.FontRole and row.heading:
            return self._bold
        if role == Qt.ItemDataRole.UserRole:
            return row.key
        return None
