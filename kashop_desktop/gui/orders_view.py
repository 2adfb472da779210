"""The order list's view and its status chips (the orders screen's table, without the screen)."""

from __future__ import annotations

from typing import Any

from .orders_model import OBJECT_ROLE, STATUS_COLOURS
from .qt import (
    QAbstractItemView,
    QColor,
    QHeaderView,
    QModelIndex,
    QPainter,
    QPersistentModelIndex,
    QStyledItemDelegate,
    Qt,
    QTableView,
    QWidget,
    Signal,
)


class StatusChipDelegate(QStyledItemDelegate):
    """Paints the status as a rounded chip in the status colours."""

    def paint(self, painter: QPainter, option: Any, index: QModelIndex | QPersistentModelIndex) -> None:
        row = index.data(OBJECT_ROLE)
        if row is None:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        option.text = ""
        option.backgroundBrush = QColor(0, 0, 0, 0)
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(style.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        fg, bg = STATUS_COLOURS.get("held" if row.held else row.status.value, ("#000000", "#ffffff"))
        metrics = option.fontMetrics
        rect = option.rect.adjusted(4, 3, -4, -3)
        # A narrow column elides the label rather than cutting it at both ends.
        text = metrics.elidedText(index.data(Qt.ItemDataRole.DisplayRole) or "", Qt.TextElideMode.ElideRight,
                                  max(0, rect.width() - 16))
        rect.setWidth(min(rect.width(), metrics.horizontalAdvance(text) + 16))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setPen(QColor(fg))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()


class OrdersView(QTableView):
    """The order list view: uniform rows, Enter opens the detail, tells when it painted."""

    painted = Signal()
    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        # Fixed, uniform rows: the view never measures a million rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        self.painted.emit()

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit()
            return
        super().keyPressEvent(event)
