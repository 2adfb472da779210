"""The review queue: cancel requests and disputes by deadline, overdue first and highlighted.

Tabs split the queue by state, so auto-approved requests sit apart from the ones waiting for
the owner. Double-click opens the review dialog. Bulk approve and bulk reject run over the
selection in chunks of ``CHUNK`` ids per operation, with a progress dialog that can stop the
run after the current chunk; the result (done, skipped with reasons) is shown on the page.

The progress dialog is deliberately non-modal: a modal QProgressDialog runs processEvents()
inside setValue(), which would re-enter the asyncio loop from inside this coroutine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ...domain.roles import Right
from ...services import requests, views
from ...services.changes import Changes, Skipped
from ..context import DeskContext
from ..dialogs.base import InlineMessage, describe, pick, reason_label, request_state_label, when, yuan
from ..dialogs.review import ReviewDialog
from ..i18n import approx
from ..qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QBrush,
    QColor,
    QCoreApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QModelIndex,
    QPersistentModelIndex,
    QProgressDialog,
    QPushButton,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from ..tabs import FittingTabBar
from .permissions import refuse_reason

CHUNK = 50
Index = QModelIndex | QPersistentModelIndex
OBJECT_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

COL_ID, COL_ORDER, COL_BUYER, COL_AMOUNT, COL_REASON, COL_REQUESTED, COL_DUE, COL_STATE, COL_FLAGS = range(9)
TABS = ("open", "auto_approved", "approved", "rejected")


def _headers() -> list[str]:
    translate = QCoreApplication.translate
    return [translate("RequestsModel", "编号"), translate("RequestsModel", "订单号"),
            translate("RequestsModel", "买家"), translate("RequestsModel", "金额"),
            translate("RequestsModel", "原因"), translate("RequestsModel", "申请时间"),
            translate("RequestsModel", "处理时限"), translate("RequestsModel", "状态"),
            translate("RequestsModel", "标记")]


class RequestsModel(QAbstractTableModel):
    """Rows are RequestView objects in the service's order (overdue first, then by deadline)."""

    OVERDUE_BG: ClassVar[QColor] = QColor("#fde2e1")
    OVERDUE_FG: ClassVar[QColor] = QColor("#8c1c13")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[views.RequestView] = []
        self.headers = _headers()

    def set_rows(self, rows: list[views.RequestView]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        req = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(req, index.column())
        if role == OBJECT_ROLE:
            return req
        if role == SORT_ROLE:
            return self._sort_value(req, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(req, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == COL_AMOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        overdue = req.overdue  # live: flagged by the sweep or past its deadline (services.views)
        if role == Qt.ItemDataRole.BackgroundRole and overdue:
            return QBrush(self.OVERDUE_BG)
        if role == Qt.ItemDataRole.ForegroundRole and overdue:
            return QBrush(self.OVERDUE_FG)
        return None

    def _display(self, req: views.RequestView, column: int) -> str:
        amount = yuan(req.amount_fen) if req.amount_fen is not None else self.tr("全额 {amount}").format(
            amount=yuan(req.paid_fen))
        values: dict[int, Callable[[], str]] = {
            COL_ID: lambda: str(req.id), COL_ORDER: lambda: req.order_no, COL_BUYER: lambda: req.buyer,
            COL_AMOUNT: lambda: amount, COL_REASON: lambda: reason_label(req.reason),
            COL_REQUESTED: lambda: when(req.requested_at), COL_DUE: lambda: approx(when(req.due_at), req.due_exact),
            COL_STATE: lambda: request_state_label(req.state), COL_FLAGS: lambda: self.flags_text(req),
        }
        return values[column]()

    def _tooltip(self, req: views.RequestView, column: int) -> str | None:
        if column == COL_REASON and req.note:
            return self.tr("{reason}：{note}").format(reason=reason_label(req.reason), note=req.note)
        if column in (COL_REASON, COL_BUYER, COL_FLAGS):
            return self._display(req, column) or None
        return "\n".join(pick(r.get("zh", ""), r.get("en", "")) for r in req.decision_reasons) or None

    def _sort_value(self, req: views.RequestView, column: int) -> Any:
        if column == COL_AMOUNT:
            return req.amount_fen if req.amount_fen is not None else req.paid_fen
        if column in (COL_REQUESTED, COL_DUE):
            return (req.requested_at if column == COL_REQUESTED else req.due_at).timestamp()
        return req.id if column == COL_ID else self._display(req, column)

    def flags_text(self, req: views.RequestView) -> str:
        flags = []
        if req.overdue:
            flags.append(self.tr("逾期"))
        if req.is_dispute:
            flags.append(self.tr("争议"))
        if any(r.get("code") == "buyer_flagged" for r in req.decision_reasons):
            flags.append(self.tr("风险买家"))
        if req.evidence:
            flags.append(self.tr("有证据"))
        return " · ".join(flags)

    def request_at(self, row: int) -> views.RequestView:
        return self.rows[row]


class RequestsPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.state = "open"
        self.running = False
        self.last_bulk: dict[str, Any] | None = None
        self.model = RequestsModel(self)
        self._build()
        ctx.changed.connect(self.on_changed)
        self.reload()

    # ---- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.tabs = FittingTabBar(self)
        for _ in TABS:
            self.tabs.addTab("")
        self.tabs.currentChanged.connect(self.on_tab)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        # One line per request; the reason column takes what is left and elides (its tooltip
        # has it all), so a 1024 px screen never scrolls sideways.
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_REASON, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(36)
        header.setStretchLastSection(False)
        self.table.doubleClicked.connect(self.open_review)
        self.table.selectionModel().selectionChanged.connect(self.update_actions)
        self.approve_button = QPushButton(self.tr("批量批准"), self)
        self.approve_button.clicked.connect(lambda: self.ctx.start(self.bulk_approve()))
        self.reject_reason = QLineEdit(self)
        self.reject_reason.setPlaceholderText(self.tr("批量拒绝的原因（必填，买家可见）"))
        self.reject_reason.textChanged.connect(self.update_actions)
        self.reject_button = QPushButton(self.tr("批量拒绝"), self)
        self.reject_button.clicked.connect(lambda: self.ctx.start(self.bulk_reject()))
        self.review_button = QPushButton(self.tr("审核…"), self)
        self.review_button.clicked.connect(lambda: self.open_review(self.table.currentIndex()))
        self.selection_label = QLabel(self)
        self.report = InlineMessage(self)
        bar = QHBoxLayout()
        for widget in (self.review_button, self.approve_button, self.reject_reason, self.reject_button):
            bar.addWidget(widget, 1 if widget is self.reject_reason else 0)
        bar.addWidget(self.selection_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.report)

    # ---- data --------------------------------------------------------------------------------
    def reload(self) -> None:
        desk = self.ctx.desk
        keep = set(self.selected_ids())
        self.model.set_rows(views.list_requests(desk, self.state))
        self._update_tabs(views.request_counts(desk))
        self._reselect(keep)
        self.update_actions()

    def _update_tabs(self, counts: dict[str, int]) -> None:
        labels = {"open": self.tr("待处理 {count}（逾期 {overdue}）"), "auto_approved": self.tr("自动通过 {count}"),
                  "approved": self.tr("已批准 {count}"), "rejected": self.tr("已拒绝 {count}")}
        for i, state in enumerate(TABS):
            self.tabs.set_label(i, labels[state].format(count=counts.get(state, 0), overdue=counts.get("overdue", 0)))

    def _reselect(self, ids: set[int]) -> None:
        selection = self.table.selectionModel()
        for row, req in enumerate(self.model.rows):
            if req.id in ids:
                selection.select(self.model.index(row, 0), selection.SelectionFlag.Select
                                 | selection.SelectionFlag.Rows)

    def on_changed(self, changes: Changes) -> None:
        if not self.running:  # a bulk run reloads once at its end
            self.reload()

    def on_tab(self, index: int) -> None:
        self.state = TABS[index]
        self.table.clearSelection()
        self.reload()

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.request_at(r).id for r in rows if r < len(self.model.rows)]

    def update_actions(self, *_: object) -> None:
        count = len(self.selected_ids())
        refused = refuse_reason(self.ctx.desk, Right.REQUESTS)
        can_bulk = self.state == "open" and count > 0 and not self.running and refused is None
        self.approve_button.setEnabled(can_bulk)
        self.reject_button.setEnabled(can_bulk and bool(self.reject_reason.text().strip()))
        self.reject_reason.setEnabled(refused is None)
        for widget in (self.approve_button, self.reject_button, self.reject_reason):
            widget.setToolTip(refused or "")
        self.review_button.setEnabled(self.table.currentIndex().isValid() and not self.running)
        self.selection_label.setText(self.tr("已选 {count} 条").format(count=count))

    # ---- review ------------------------------------------------------------------------------
    def open_review(self, index: QModelIndex) -> None:
        if index.isValid() and not self.running:
            self.ctx.start(ReviewDialog.ask(self, self.ctx, self.model.request_at(index.row()).id))

    # ---- bulk --------------------------------------------------------------------------------
    async def bulk_approve(self) -> dict[str, Any]:
        return await self.run_bulk(self.tr("正在批量批准…"), requests.bulk_approve, {})

    async def bulk_reject(self) -> dict[str, Any]:
        text = self.reject_reason.text().strip()
        return await self.run_bulk(self.tr("正在批量拒绝…"), requests.bulk_reject, {"reason_text": text})

    async def run_bulk(self, label: str, operation: Callable[..., Changes], kw: dict[str, Any]) -> dict[str, Any]:
        ids = self.selected_ids()
        if not ids or self.running:
            return {}
        self.running = True
        self.update_actions()
        self.progress = QProgressDialog(label, self.tr("停止"), 0, len(ids), self)
        self.progress.setWindowModality(Qt.WindowModality.NonModal)
        self.progress.setMinimumDuration(0)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.show()
        outcome: dict[str, Any] = {"done": 0, "skipped": [], "left": 0, "error": None}
        try:
            await self._chunks(ids, operation, kw, outcome)
        finally:
            self.progress.close()
            self.running = False
        self.last_bulk = outcome
        self.reload()
        self.show_report(outcome)
        return outcome

    async def _chunks(self, ids: list[int], operation: Callable[..., Changes], kw: dict[str, Any],
                      outcome: dict[str, Any]) -> None:
        for start in range(0, len(ids), CHUNK):
            if self.progress.wasCanceled():
                outcome["left"] = len(ids) - start
                return
            chunk = ids[start : start + CHUNK]
            try:
                changes = await self.ctx.op(operation, chunk, **kw)
            except Exception as exc:  # the chunk rolled back; say so and stop
                outcome["error"] = describe(exc)
                outcome["left"] = len(ids) - start
                return
            outcome["done"] += len(changes.request_ids)
            outcome["skipped"] += changes.skipped
            self.progress.setValue(start + len(chunk))

    def show_report(self, outcome: dict[str, Any]) -> None:
        lines = [self.tr("完成 {done} 条，跳过 {skipped} 条").format(done=outcome["done"],
                                                                   skipped=len(outcome["skipped"]))]
        if outcome["left"]:
            lines.append(self.tr("已停止：还有 {left} 条未处理").format(left=outcome["left"]))
        if outcome["error"]:
            lines.append(self.tr("出错：{error}").format(error=outcome["error"]))
        skipped: list[Skipped] = outcome["skipped"]
        lines += [self.tr("#{ref}：{reason}").format(ref=s.ref, reason=pick(s.zh, s.en)) for s in skipped[:20]]
        if len(skipped) > 20:
            lines.append(self.tr("……另有 {more} 条").format(more=len(skipped) - 20))
        kind = "error" if outcome["error"] else ("info" if skipped or outcome["left"] else "ok")
        self.report.show_message("\n".join(lines), kind)
