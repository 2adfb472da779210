"""The detail pane of one order: facts, money, masked code, requests, refunds, timeline, actions.

Which action is possible, and why not, comes from services: ``requests.preview`` (its
decision and reasons), ``orders.can_restore``, ``orders.mark_paid_check`` and
``orders.deliver_check``, ``delivery.complete_check``; a refund made outside the desk can be
recorded while something is refundable (``OrderDetail.refundable_fen``) and no request is open
(``requests.record_outside`` refuses then). The pane only shows their answers.
Every action opens its dialog, which says what will happen and asks first; when it went
through, a green line under the title says what was done (``outcomes.outcome_message``).
"""

from __future__ import annotations

import html
from typing import Any

from ..domain.errors import DomainError
from ..domain.money import format_yuan
from ..domain.order import ReasonCode
from ..domain.roles import Right
from ..services import delivery, orders, payment_sync, requests, views
from ..services.changes import Changes
from ..services.views import EventView, OrderDetail, RequestView
from .buyer_field import BuyerField, HoldBanner
from .code_field import CodeField
from .context import DeskContext
from .dialogs import (
    CancelDialog,
    CompleteDialog,
    DeliverDialog,
    MarkPaidDialog,
    OpenRequestDialog,
    RecordOutsideDialog,
    RestoreDialog,
    ReviewDialog,
)
from .dialogs.base import InlineMessage
from .i18n import (
    action_label,
    actor_label,
    approx,
    channel_label,
    code_used_label,
    error_text,
    format_time,
    format_time_s,
    pick,
    product_type_label,
    reason_label,
    refund_state_label,
    request_state_label,
    status_label,
)
from .orders_model import STATUS_COLOURS
from .outcomes import outcome_message
from .pages.permissions import refuse_reason
from .payment_status import order_result_text, sync_line
from .qt import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequence,
    QLabel,
    QPushButton,
    QScrollArea,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

#: Button key, dialog class, shortcut.
ACTIONS: tuple[tuple[str, Any, str], ...] = (
    ("cancel", CancelDialog, "Ctrl+D"),
    ("review", ReviewDialog, "Ctrl+R"),
    ("restore", RestoreDialog, "Ctrl+Shift+R"),
    ("mark_paid", MarkPaidDialog, "Ctrl+Shift+P"),
    ("deliver", DeliverDialog, "Ctrl+Shift+D"),
    ("complete", CompleteDialog, "Ctrl+Shift+E"),
    ("open_request", OpenRequestDialog, "Ctrl+Shift+A"),
    ("record_outside", RecordOutsideDialog, "Ctrl+Shift+O"),
)
#: The right each action needs (services check it again: Desk.require).
ACTION_RIGHTS = {"cancel": Right.ORDERS, "review": Right.REQUESTS, "restore": Right.ORDERS, "mark_paid": Right.ORDERS,
                 "deliver": Right.ORDERS, "complete": Right.ORDERS, "open_request": Right.REQUESTS,
                 "record_outside": Right.REFUNDS}


class _FittingTable(QTableWidget):
    """A detail table that fits its columns to its width whenever either changes."""

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        fit_columns(self)


def _table(headers: list[str]) -> QTableWidget:
    table = _FittingTable(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def fit_columns(table: QTableWidget) -> None:
    """Columns as wide as their contents when they fit; when not (a 1024 px screen), the middle
    columns share the width with the last and elide (every cell's tooltip has it all): the
    table never scrolls sideways."""
    header = table.horizontalHeader()
    last = header.count() - 1
    wanted = sum(max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(last))
    squeeze = wanted + 80 > table.viewport().width()
    mode = QHeaderView.ResizeMode.Stretch if squeeze else QHeaderView.ResizeMode.ResizeToContents
    for column in range(1, last):
        if header.sectionResizeMode(column) != mode:
            header.setSectionResizeMode(column, mode)
    # the last section as stretched keeps at least its default size, which overflows a narrow table
    header.setStretchLastSection(not squeeze)


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            table.setItem(r, c, item)
    fit_columns(table)


class OrderDetailPane(QWidget):
    """Shows one order; rebuilt from ``views.order_detail_by_id`` whenever it changes."""

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.detail: OrderDetail | None = None
        self.buttons: dict[str, QPushButton] = {}
        self.reasons: dict[str, str] = {}
        self.fields: dict[str, QLabel] = {}
        self._build()
        self.show_order(None)

    # ---- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        self.body = body
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.head = self._build_title()
        self.action_bar = QWidget(body)
        bar = self._build_actions()
        bar.setContentsMargins(0, 0, 0, 0)
        self.action_bar.setLayout(bar)
        self.head.addWidget(self.action_bar)
        layout.addLayout(self.head)
        self.actions_row = QHBoxLayout()  # the buttons move here when the title line is too narrow
        self.actions_row.addStretch(1)
        layout.addLayout(self.actions_row)
        self.notice = InlineMessage(body)  # what the last action did, until another order shows
        layout.addWidget(self.notice)
        self.hold = HoldBanner(self.ctx, body)  # a blocked buyer's order: why it waits, and 放行
        self.hold.notice.connect(self.show_notice)
        layout.addWidget(self.hold)
        self.sync_line = InlineMessage(body)  # payment sync: its state, or what the owner must check
        self.sync_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.sync_line.linkActivated.connect(lambda _link: self.show_sale_qr())  # a desk sale's QR again
        layout.addWidget(self.sync_line)
        # Facts, money and the history side by side: the pane sits under a wide list.
        row = QHBoxLayout()
        row.addWidget(self._build_facts(), 0)
        row.addWidget(self._build_money(), 0)
        row.addWidget(self._build_tabs(), 1)
        layout.addLayout(row, 1)

    def _build_title(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.chip = QLabel()
        row.addWidget(self.title)
        row.addWidget(self.chip)
        row.addStretch(1)
        return row

    def _action_titles(self) -> dict[str, str]:
        return {"cancel": self.tr("取消订单"), "review": self.tr("审核"), "restore": self.tr("恢复"),
                "mark_paid": self.tr("补单"), "deliver": self.tr("发货"), "complete": self.tr("完成"),
                "open_request": self.tr("登记售后"), "record_outside": self.tr("登记台外退款…")}

    def _build_actions(self) -> QHBoxLayout:
        grid = QHBoxLayout()
        titles = self._action_titles()
        for key, _, shortcut in ACTIONS:
            button = QPushButton(titles[key])
            button.setShortcut(QKeySequence(shortcut))
            button.clicked.connect(lambda _=False, k=key: self.trigger(k))
            self.buttons[key] = button
            grid.addWidget(button)
        self.sync_button = QPushButton(self.tr("同步支付"))
        self.sync_button.setToolTip(self.tr("立即向网关查询这笔订单是否已付款（补单）"))
        self.sync_button.clicked.connect(self.sync_payment)
        grid.addWidget(self.sync_button)
        return grid

    def _field(self, form: QFormLayout, key: str, label: str) -> None:
        value = QLabel()
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fields[key] = value
        form.addRow(label, value)

    def _build_facts(self) -> QGroupBox:
        box = QGroupBox(self.tr("订单信息"))
        form = QFormLayout(box)
        form.setVerticalSpacing(2)  # eleven rows: compact enough for a 640 px high screen
        for key, label in (("product", self.tr("商品")), ("type", self.tr("类型")),
                           ("channel", self.tr("支付方式")), ("trade_no", self.tr("交易号")),
                           ("created", self.tr("下单时间")), ("paid", self.tr("支付时间")),
                           ("delivered", self.tr("发货时间")), ("closed", self.tr("完成/取消")),
                           ("code_used", self.tr("卡密使用"))):
            self._field(form, key, label)
        self.code = CodeField(self.ctx, box)
        self.code.notice.connect(self.show_notice)
        form.insertRow(form.rowCount() - 1, self.tr("卡密"), self.code)
        self.buyer = BuyerField(self.ctx, box)  # the contact, the owner's note on the buyer, 拉黑
        self.buyer.notice.connect(self.show_notice)
        form.insertRow(2, self.tr("买家"), self.buyer)
        return box

    def _build_money(self) -> QGroupBox:
        box = QGroupBox(self.tr("金额明细"))
        form = QFormLayout(box)
        form.setVerticalSpacing(2)
        for key, label in (("list", self.tr("标价")), ("coupon", self.tr("优惠券")), ("points", self.tr("积分抵扣")),
                           ("paid_fen", self.tr("实付")), ("refunded", self.tr("已退")),
                           ("pending", self.tr("退款中")), ("refundable", self.tr("可退"))):
            self._field(form, key, label)
            self.fields[key].setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return box

    def _build_tabs(self) -> QTabWidget:
        self.tabs = QTabWidget()
        self.timeline = _table([self.tr("时间"), self.tr("来源"), self.tr("操作员"), self.tr("操作"),
                                self.tr("状态变化"), self.tr("备注")])
        self.requests_table = _table([self.tr("编号"), self.tr("状态"), self.tr("类型"), self.tr("原因"),
                                      self.tr("金额"), self.tr("申请时间"), self.tr("处理时限"), self.tr("说明")])
        self.refunds_table = _table([self.tr("退款单号"), self.tr("状态"), self.tr("退款金额"), self.tr("手续费"),
                                     self.tr("网关"), self.tr("尝试"), self.tr("预计到账"), self.tr("最近错误")])
        self.tabs.addTab(self.timeline, self.tr("时间线"))
        self.tabs.addTab(self.requests_table, self.tr("售后申请"))
        self.tabs.addTab(self.refunds_table, self.tr("退款"))
        self.tabs.setMinimumWidth(300)  # the tables elide below their contents; the facts beside need the room
        return self.tabs

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_actions()

    def _place_actions(self) -> None:
        """Buttons beside the title when they fit (a wide window), on a line of their own below
        it when not (a 1024 px laptop): never a sideways scroll bar in the pane."""
        title_width = self.title.sizeHint().width() + self.chip.sizeHint().width() + 40
        beside = title_width + self.action_bar.sizeHint().width() <= self.width()
        if beside and self.actions_row.indexOf(self.action_bar) >= 0:
            self.actions_row.removeWidget(self.action_bar)
            self.head.addWidget(self.action_bar)
        elif not beside and self.head.indexOf(self.action_bar) >= 0:
            self.head.removeWidget(self.action_bar)
            self.actions_row.insertWidget(0, self.action_bar)

    def natural_height(self) -> int:
        """The height that shows every fact without scrolling (the orders page splits by it)."""
        return self.body.sizeHint().height() + 8

    # ---- showing an order ----------------------------------------------------------------------
    @property
    def order_id(self) -> int | None:
        return self.detail.id if self.detail else None

    def show_order(self, order_id: int | None) -> None:
        if order_id != self.order_id:
            self.notice.clear_message()
        try:
            self.detail = views.order_detail_by_id(self.ctx.desk, order_id) if order_id is not None else None
        except DomainError:
            self.detail = None  # deleted meanwhile
        self.body.setEnabled(self.detail is not None)
        self._show_facts(self.detail)
        self._show_tables(self.detail)
        self._update_actions(self.detail)
        self._show_sync(self.detail)
        self._place_actions()

    def reload(self) -> None:
        if self.detail is not None:
            self.show_order(self.detail.id)

    def concerns(self, changes: Changes) -> bool:
        """Does this change touch the order on show (itself, its requests or its refunds; anything
        when another process wrote)?"""
        d = self.detail
        if d is None:
            return False
        return (changes.outside or d.id in changes.order_ids or any(r.id in changes.request_ids for r in d.requests)
                or any(r.id in changes.refund_ids for r in d.refunds))

    def _show_facts(self, d: OrderDetail | None) -> None:
        if d is None:
            self.title.setText(self.tr("未选择订单"))
            self.chip.clear()
            self.chip.setVisible(False)  # no empty coloured pill beside 未选择订单
            for label in self.fields.values():
                label.clear()
            self.code.show_code(None, "")
            self.buyer.show_buyer("", None)
            self.hold.show_hold("", "", None, None)
            return
        fg, bg = STATUS_COLOURS.get(d.status.value, ("#000", "#fff"))
        self.title.setText(d.order_no)
        self.chip.setText(status_label(d.status.value))
        self.chip.setVisible(True)
        self.chip.setStyleSheet(f"color: {fg}; background: {bg}; border-radius: 8px; padding: 2px 10px;")
        values = {
            "product": self.tr("{product} × {quantity}").format(product=d.product, quantity=d.quantity),
            "type": product_type_label(d.product_type),
            "channel": self._channel_text(d), "trade_no": d.gateway_trade_no or "—",
            "created": format_time_s(d.created_at), "paid": format_time_s(d.paid_at) or "—",
            "delivered": format_time_s(d.delivered_at) or "—",
            "closed": format_time_s(d.completed_at or d.cancelled_at) or "—",
            "code_used": code_used_label(d.code_used) if d.delivered_at is not None else "—",  # nothing delivered to use
        }
        values.update(self._money_texts(d))
        for key, text in values.items():
            self.fields[key].setText(text)
        self.code.show_code(d.order_no, d.masked_code)
        self.buyer.show_buyer(d.buyer, d.buyer_info)
        self.hold.show_hold(d.order_no, d.buyer, d.held_reason, d.buyer_info)

    def _channel_text(self, d: OrderDetail) -> str:
        if not d.channel:
            return "—"
        if d.gateway:
            return self.tr("{channel}（{gateway}）").format(channel=channel_label(d.channel), gateway=d.gateway)
        return channel_label(d.channel)

    def _money_texts(self, d: OrderDetail) -> dict[str, str]:
        coupon = "−" + format_yuan(d.coupon_fen, symbol=True) if d.coupon_fen else "—"
        if d.coupon_code:
            coupon = self.tr("{amount}（{code}）").format(amount=coupon, code=d.coupon_code)
        points = self.tr("{points} 积分，已退 {back} 积分").format(points=d.points, back=d.points_refunded) \
            if d.points else "—"
        return {"list": format_yuan(d.list_fen, symbol=True), "coupon": coupon, "points": points,
                "paid_fen": format_yuan(d.paid_fen, symbol=True) if d.paid_at is not None else self.tr(
                    "未付（应付 {amount}）").format(amount=format_yuan(d.amount_fen, symbol=True)), "refunded": format_yuan(d.refunded_fen, symbol=True),
                "pending": format_yuan(d.refund_pending_fen, symbol=True) if d.refund_pending_fen else "—",
                "refundable": format_yuan(d.refundable_fen, symbol=True)}

    def _show_tables(self, d: OrderDetail | None) -> None:
        events = d.events if d else []
        _fill(self.timeline, [[format_time_s(e.at), actor_label(e.actor), e.operator or "—", action_label(e.action),
                               self._transition_text(e.before, e.after), self._event_note(e)]
                              for e in reversed(events)])
        reqs = d.requests if d else []
        _fill(self.requests_table, [self._request_cells(r) for r in reqs])
        refunds = d.refunds if d else []
        _fill(self.refunds_table, [[r.refund_no, refund_state_label(r.state), format_yuan(r.amount_fen, symbol=True),
                                    format_yuan(r.fee_fen, symbol=True), r.gateway or "—", str(r.attempts),
                                    approx(self._eta_text(r.eta_earliest, r.eta_latest), r.eta_exact), r.last_error] for r in refunds])
        self.tabs.setTabText(1, self.tr("售后申请（{n}）").format(n=len(reqs)))
        self.tabs.setTabText(2, self.tr("退款（{n}）").format(n=len(refunds)))

    def _event_note(self, e: EventView) -> str:
        """The note, after the reason chosen for a cancel or a request (不需要了：面值选错)."""
        reason = e.data.get("reason") if isinstance(e.data, dict) else None
        if not reason:
            return e.note
        if not e.note:
            return reason_label(reason)
        return self.tr("{reason}：{note}").format(reason=reason_label(reason), note=e.note)

    def _request_cells(self, r: RequestView) -> list[str]:
        state = request_state_label(r.state)
        if r.overdue:
            state = self.tr("{state}（逾期）").format(state=state)
        reason = reason_label(r.reason)
        if r.note:
            reason = self.tr("{reason}：{note}").format(reason=reason, note=r.note)
        amount = format_yuan(r.amount_fen, symbol=True) if r.amount_fen is not None else self.tr("全部可退")
        why = self.tr("；").join(pick(x.get("zh", ""), x.get("en", "")) for x in r.decision_reasons)
        return [str(r.id), state, self.tr("售后争议") if r.is_dispute else self.tr("取消申请"), reason, amount,
                format_time(r.requested_at), approx(format_time(r.due_at), r.due_exact), why]

    def _transition_text(self, before: str | None, after: str | None) -> str:
        if (not before and not after) or before == after:  # a status that did not change: none shown
            return ""
        if not before:
            return status_label(after)
        return self.tr("{before} → {after}").format(before=status_label(before), after=status_label(after))

    def _eta_text(self, earliest: str | None, latest: str | None) -> str:
        if not earliest:
            return "—"
        if latest and latest != earliest:
            return self.tr("{earliest} 至 {latest}").format(earliest=earliest, latest=latest)
        return earliest

    # ---- actions -------------------------------------------------------------------------------
    def _update_actions(self, d: OrderDetail | None) -> None:
        states = self.action_states(d) if d else {k: (False, self.tr("未选择订单")) for k, *_ in ACTIONS}
        titles = self._action_titles()
        for key, _, shortcut in ACTIONS:
            enabled, why = states[key]
            button = self.buttons[key]
            button.setEnabled(enabled)
            self.reasons[key] = why
            head = self.tr("{action}（{shortcut}）").format(
                action=titles[key], shortcut=QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText))
            button.setToolTip(head if enabled else self.tr("{head}\n不可用：{why}").format(head=head, why=why))

    def action_states(self, d: OrderDetail) -> dict[str, tuple[bool, str]]:
        """(enabled, why not) per action, from the services' own verdicts."""
        open_requests = [r for r in d.requests if r.state == "open"]
        has_open = self.tr("该订单已有待处理的申请，请先审核")
        states = {"cancel": self._cancel_state(d), "restore": self._restore_state(d),
                  "mark_paid": self._mark_paid_state(d), "deliver": self._deliver_state(d),
                  "complete": self._complete_state(d),
                  "open_request": self._open_request_state(d), "record_outside": self._record_outside_state(d),
                  "review": (True, "") if open_requests else (False, self.tr("该订单没有待审核的售后申请"))}
        if open_requests:
            states["cancel"] = (False, has_open) if states["cancel"][0] else states["cancel"]
            states["open_request"] = (False, has_open)
            if states["record_outside"][0]:  # the refund may be the request's own: decide that first
                states["record_outside"] = (False, has_open)
        for key, right in ACTION_RIGHTS.items():  # what the operator may not do at all, first
            reason = refuse_reason(self.ctx.desk, right)
            if reason is not None:
                states[key] = (False, reason)
        return states

    def _cancel_state(self, d: OrderDetail) -> tuple[bool, str]:
        decision = requests.preview(self.ctx.desk, d.order_no, ReasonCode.MISTAKEN).decision
        if decision.outcome.value == "cancel_now" or (decision.can_approve and not decision.is_dispute):
            return True, ""
        first = decision.reasons[0] if decision.reasons else None
        return False, pick(first.zh, first.en) if first else ""

    def _open_request_state(self, d: OrderDetail) -> tuple[bool, str]:
        # The most lenient reason: if even a merchant fault is refused, nothing can be asked.
        decision = requests.preview(self.ctx.desk, d.order_no, ReasonCode.MERCHANT_FAULT).decision
        if decision.can_approve:
            return True, ""
        return False, self.tr("；").join(pick(r.zh, r.en) for r in decision.reasons)

    def _record_outside_state(self, d: OrderDetail) -> tuple[bool, str]:
        if d.paid_at is None:
            return False, self.tr("订单未支付，没有可退的钱")
        if d.refundable_fen <= 0:
            return False, self.tr("该订单没有可退的金额（已全部退款或退款中）")
        return True, ""

    def _restore_state(self, d: OrderDetail) -> tuple[bool, str]:
        refusal = orders.can_restore(self.ctx.desk, d.order_no)
        return (True, "") if refusal is None else (False, error_text(refusal))

    def _mark_paid_state(self, d: OrderDetail) -> tuple[bool, str]:
        refusal = orders.mark_paid_check(self.ctx.desk, d.order_no)
        return (True, "") if refusal is None else (False, error_text(refusal))

    def _deliver_state(self, d: OrderDetail) -> tuple[bool, str]:
        refusal = orders.deliver_check(self.ctx.desk, d.order_no)
        return (True, "") if refusal is None else (False, error_text(refusal))

    def _complete_state(self, d: OrderDetail) -> tuple[bool, str]:
        refusal = delivery.complete_check(self.ctx.desk, d.order_no)
        return (True, "") if refusal is None else (False, error_text(refusal))

    def trigger(self, key: str) -> None:
        """Run an action for the order on show (buttons, shortcuts, tests)."""
        d = self.detail
        if d is None or not self.buttons[key].isEnabled():
            return
        self.notice.clear_message()
        cls = next(a[1] for a in ACTIONS if a[0] == key)
        target: Any = d.order_no
        if key == "review":
            target = next(r.id for r in d.requests if r.state == "open")
        self.ctx.start(self._run_dialog(cls, target, d.id))

    async def _run_dialog(self, cls: Any, target: Any, order_id: int) -> None:
        result = await cls.ask(self, self.ctx, target)
        if result is None:
            return
        if self.order_id == order_id:
            self.reload()  # the changed signal may come after this line is written
            self.show_notice(outcome_message(result, self.detail), "ok")
        self.ctx.status_message.emit(outcome_message(result, self.detail))

    # ---- payment sync --------------------------------------------------------------------------
    def _show_sync(self, d: OrderDetail | None) -> None:
        view = payment_sync.watch_view(self.ctx.desk, d.id) if d is not None else None
        text, kind = sync_line(view) if view is not None else ("", "")
        if text and d is not None and d.status.value == "pending_payment" and any(
                e.action == "payment_created" for e in d.events):  # a desk sale still waiting: its QR again
            text = self.tr('{state} <a href="qr">显示收款二维码</a>').format(state=html.escape(text))
        if text:
            self.sync_line.show_message(text, kind)
        else:
            self.sync_line.clear_message()
        watched = view is not None and view.watched
        self.sync_button.setEnabled(watched and not self.ctx.syncing)
        self.sync_button.setVisible(watched)  # only where it can do something: the action bar stays narrow
        if not watched:
            self.sync_button.setToolTip(self.tr("同步支付不可用：订单已支付、没有可查询的网关账户，或已超出迟到付款的等待期"))
        else:
            self.sync_button.setToolTip(self.tr("立即向网关查询这笔订单是否已付款（补单）"))

    def show_sale_qr(self) -> None:
        """The waiting desk sale's payment view (新建订单's QR, countdown and polling) again."""
        from .dialogs.new_sale import NewSaleDialog

        if self.detail is not None:
            self.ctx.start(NewSaleDialog.resume(self, self.ctx, self.detail.order_no))

    def sync_payment(self) -> None:
        """Ask the gateway about the order on show now, in the background (the button)."""
        d = self.detail
        if d is None or not self.sync_button.isEnabled():
            return
        self.sync_button.setEnabled(False)
        self.notice.show_message(self.tr("正在向网关查询…"), "info")
        self.ctx.start(self._sync_payment(d.order_no, d.id))

    async def _sync_payment(self, order_no: str, order_id: int) -> None:
        try:
            report = await self.ctx.sync_payments([order_no])
        except DomainError as exc:
            text, kind = error_text(exc), "error"
        else:
            text, kind = order_result_text(report, order_no)
        if self.order_id == order_id:
            self.reload()
            self.show_notice(text, kind)
        self.ctx.status_message.emit(text)

    def show_notice(self, text: str, kind: str = "ok") -> None:
        """A line under the title: what the last action did (or why it did not)."""
        self.notice.show_message(text, kind)
