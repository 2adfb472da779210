"""Review one cancel request or dispute: the evidence, the buyer, the rules' reasons, the refund.

The owner approves (the amount is editable within the bounds the service gives, with a live
breakdown) or rejects (a reason is required; the buyer sees it). For a dispute the dialog shows
what is known about the delivered code and lets the owner record what they found out, which
the decision function then uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.decision import Outcome
from ...domain.errors import DomainError
from ...domain.money import format_yuan, parse_yuan
from ...domain.order import CodeUsed, ReasonCode
from ...domain.states import OrderStatus
from ...services import codes as code_service
from ...services import orders, requests, views
from ...services.changes import Changes
from ...services.requests import Preview
from ..context import DeskContext
from ..i18n import approx
from ..qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from .base import (
    BreakdownView,
    NonIdempotentConfirm,
    OpDialog,
    bullets,
    decision_reasons,
    error_text,
    join_reasons,
    outcome_text,
    reason_label,
    request_state_label,
    text_button,
    when,
    yuan,
)


@dataclass(frozen=True)
class ReviewResult:
    request_id: int
    approved: bool
    amount_fen: int | None  # the refund approved; None when rejected
    changes: Changes


class ReviewDialog(OpDialog):
    def __init__(self, parent: QWidget | None, ctx: DeskContext, request_id: int) -> None:
        super().__init__(parent, ctx)
        self.request_id = request_id
        self.request: views.RequestView | None = None
        self.detail: views.OrderDetail | None = None
        self.preview: Preview | None = None
        self.load_error: str | None = None
        self.amount_fen: int | None = None
        self.amount_error: str | None = None
        self.setWindowTitle(self.tr("审核售后申请 #{id}").format(id=request_id))
        self.ok_button.setText(self.tr("批准退款"))
        self.cancel_button.setText(self.tr("关闭"))
        self._build_inputs()
        self._load()
        self._layout()
        self.watch(self.amount, self.reject_reason, self.confirm.checkbox, self.above_asked)
        self.revalidate()

    def _build_inputs(self) -> None:
        self.amount = QLineEdit(self)
        self.bounds = QLabel(self)
        self.breakdown = BreakdownView(self)
        self.confirm = NonIdempotentConfirm(self)
        self.outcome = QLabel(self)
        self.reasons = QLabel(self)
        self.reasons.setWordWrap(True)
        self.reject_reason = QLineEdit(self)
        self.reject_reason.setPlaceholderText(self.tr("拒绝原因（必填，买家可见）"))
        self.reject_button = text_button(self.tr("拒绝申请"), self)
        self.reject_button.clicked.connect(self.reject_clicked)
        self.code_used = QComboBox(self)
        for used, label in ((CodeUsed.NO, self.tr("未使用（已核验）")), (CodeUsed.YES, self.tr("已使用")),
                            (CodeUsed.UNKNOWN, self.tr("无法确认"))):
            self.code_used.addItem(label, used.value)
        self.code_note = QLineEdit(self)
        self.code_note.setPlaceholderText(self.tr("如何核实的，例如：卡密前6位查询未激活"))
        self.record_code = text_button(self.tr("记录"), self)
        self.record_code.clicked.connect(self.record_code_clicked)
        self.void_code = QCheckBox(self.tr("先作废卡密，再退款（卡密不会再被使用或售出）"), self)
        self.void_code.setChecked(True)
        # A part refund of an undelivered order: the order is not cancelled and still goes out.
        self.keeps_order = QLabel(self)
        self.keeps_order.setWordWrap(True)
        self.keeps_order.setStyleSheet("color:#8a4b00;")
        self.keeps_order.hide()
        # Shown when the amount is above what the buyer asked (a typo's extra zero is asked about).
        self.above_asked = QCheckBox(self)
        self.above_asked.setStyleSheet("color:#8a4b00;")
        self.above_asked.hide()

    def _load(self) -> None:
        try:
            self.request = views.request_view(self.ctx.desk, self.request_id)
            self.detail = views.order_detail(self.ctx.desk, self.request.order_no)
        except DomainError as exc:
            self.load_error = error_text(exc)
            return
        default = self.request.amount_fen or self.detail.refundable_fen
        self.amount.setText(format_yuan(default) if default else "")
        self.code_used.setCurrentIndex(max(0, self.code_used.findData(self.detail.code_used)))

    # ---- layout ------------------------------------------------------------------------------
    def _layout(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self._request_box())
        left.addWidget(self._buyer_box())
        # A dispute over a delivered code from the stock, not recorded as used: void it first.
        self.void_code.setVisible(self.request is not None and self.request.is_dispute
                                  and code_service.voidable(self.request.order_no))
        if self.request is not None and self.request.is_dispute:
            left.addWidget(self._dispute_box())
        else:
            for widget in (self.code_used, self.code_note, self.record_code):
                widget.hide()
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self._decision_box())
        right.addWidget(self._approve_box())
        right.addWidget(self._reject_box())
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(900)

    def _form_box(self, title: str, rows: list[tuple[str, str]]) -> QGroupBox:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, value in rows:
            widget = QLabel(value, box)
            widget.setWordWrap(True)
            form.addRow(label, widget)
        return box

    def _request_box(self) -> QGroupBox:
        req, detail = self.request, self.detail
        if req is None or detail is None:
            return self._form_box(self.tr("申请"), [])
        kind = self.tr("售后争议（已发货）") if req.is_dispute else self.tr("取消申请（未发货）")
        due = approx(when(req.due_at), req.due_exact)
        if req.overdue:
            due = self.tr("{due}（已逾期）").format(due=due)
        asked = yuan(req.amount_fen) if req.amount_fen is not None else self.tr("全额")
        return self._form_box(self.tr("申请 #{id}").format(id=req.id), [
            (self.tr("订单"), req.order_no),
            (self.tr("商品"), detail.product),
            (self.tr("类型"), kind),
            (self.tr("状态"), request_state_label(req.state)),
            (self.tr("原因"), reason_label(req.reason)),
            (self.tr("说明"), req.note or "—"),
            (self.tr("证据"), req.evidence or self.tr("（未提供）")),
            (self.tr("申请金额"), asked),
            (self.tr("实付"), yuan(detail.paid_fen)),
            (self.tr("申请时间"), when(req.requested_at)),
            (self.tr("处理时限"), due),
        ])

    def _buyer_box(self) -> QGroupBox:
        pv = self._preview_for(None)
        buyer = self.detail.buyer if self.detail else ""
        rows = [(self.tr("买家"), buyer or "—")]
        if pv is not None:
            rows.append((self.tr("近期取消"), self.tr("近 {days} 天取消 {count} 次").format(
                days=pv.policy.risk_window_days, count=pv.history.recent_cancellations)))
            risk = self.tr("⚠ 风险买家（频繁取消）") if pv.flagged else self.tr("正常")
            info = self.detail.buyer_info if self.detail else None
            if info is not None and info.blocked:  # flagged because the owner blocked them
                risk = self.tr("⚠ 已拉黑：{reason}").format(reason=info.blocked_reason)
            rows.append((self.tr("风险"), risk))
            if pv.history.note:
                rows.append((self.tr("备注"), pv.history.note))
        box = self._form_box(self.tr("买家"), rows)
        if pv is not None and pv.flagged:
            box.setStyleSheet("QGroupBox{color:#a61b1b;}")
        return box

    def _dispute_box(self) -> QGroupBox:
        detail = self.detail
        assert detail is not None
        box = self._form_box(self.tr("卡密使用情况（售后争议证据）"), [
            (self.tr("发货时间"), when(detail.delivered_at)),
            (self.tr("卡密"), detail.masked_code or "—"),
        ])
        form = box.layout()
        assert isinstance(form, QFormLayout)
        row = QHBoxLayout()
        row.addWidget(self.code_used, 1)
        row.addWidget(self.record_code)
        form.addRow(self.tr("核实结果"), row)
        form.addRow(self.tr("核实说明"), self.code_note)
        return box

    def _decision_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("规则判断"), self)
        inner = QVBoxLayout(box)
        inner.addWidget(self.outcome)
        inner.addWidget(self.reasons)
        return box

    def _approve_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("批准"), self)
        inner = QVBoxLayout(box)
        form = QFormLayout()
        form.addRow(self.tr("退款金额(元)"), self.amount)
        form.addRow("", self.bounds)
        inner.addLayout(form)
        inner.addWidget(self.breakdown)
        inner.addWidget(self.keeps_order)
        inner.addWidget(self.void_code)
        inner.addWidget(self.above_asked)
        inner.addWidget(self.confirm)
        return box

    def _reject_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("拒绝"), self)
        row = QHBoxLayout(box)
        row.addWidget(self.reject_reason, 1)
        row.addWidget(self.reject_button)
        return box

    # ---- live preview ----------------------------------------------------------------------
    def _preview_for(self, amount_fen: int | None) -> Preview | None:
        req = self.request
        if req is None:
            return None
        try:
            return requests.preview(self.ctx.desk, req.order_no, ReasonCode(req.reason), amount_fen, req.note,
                                    requested_at=req.requested_at)
        except DomainError as exc:
            self.load_error = error_text(exc)
            return None

    def _parse_amount(self) -> None:
        self.amount_fen, self.amount_error = None, None
        try:
            self.amount_fen = parse_yuan(self.amount.text(), allow_zero=False)
        except DomainError as exc:
            self.amount_error = error_text(exc)

    def refresh(self) -> None:
        self._parse_amount()
        bounds = self._preview_for(None)
        if bounds is not None:
            self.bounds.setText(self.tr("可退范围：{low} – {high}").format(low=yuan(bounds.min_fen),
                                                                          high=yuan(bounds.max_fen)))
        in_bounds = bounds is not None and self.amount_fen is not None and (
            bounds.min_fen <= self.amount_fen <= bounds.max_fen)
        self.preview = self._preview_for(self.amount_fen) if in_bounds else bounds
        pv = self.preview
        if pv is None:
            return
        self.outcome.setText("<b>" + outcome_text(pv.decision.outcome) + "</b>")
        self.reasons.setText(bullets(decision_reasons(pv.decision)))
        self.breakdown.setVisible(in_bounds and pv.breakdown is not None)
        self.breakdown.show_preview(pv)
        self.confirm.set_required(pv.needs_confirmation and self._is_open())
        self._show_above_asked(in_bounds)
        part = (in_bounds and self._is_open() and pv.status is OrderStatus.PAID and self.amount_fen is not None
                and self.amount_fen < pv.max_fen)
        if part:
            self.keeps_order.setText(self.tr("只退一部分：订单不取消，之后照常发货。要取消订单，请批准全部可退金额 {all}")
                                     .format(all=yuan(pv.max_fen)))
        self.keeps_order.setVisible(part)

    def _asked_fen(self) -> int | None:
        return self.request.amount_fen if self.request is not None else None

    def _is_above_asked(self) -> bool:
        asked = self._asked_fen()
        return asked is not None and self.amount_fen is not None and self.amount_fen > asked

    def _show_above_asked(self, in_bounds: bool) -> None:
        """The confirmation of an amount above the buyer's request, within the bounds (beyond
        them the amount is refused anyway); unticked again whenever the amount changes."""
        shown = in_bounds and self._is_open() and self._is_above_asked()
        text = ""
        if shown:
            asked = self._asked_fen()
            assert asked is not None and self.amount_fen is not None
            text = self.tr("确认退款 {amount}，多于买家申请的 {asked}").format(
                amount=yuan(self.amount_fen), asked=yuan(asked))
        if text != self.above_asked.text():
            self.above_asked.setChecked(False)
            self.above_asked.setText(text)
        self.above_asked.setVisible(shown)

    def _refused(self) -> str | None:
        """Why the operator at the desk may not decide requests (None: they may)."""
        from ...domain.roles import Right
        from ..pages.permissions import refuse_reason  # not at the top: pages import this dialog

        return refuse_reason(self.ctx.desk, Right.REQUESTS)

    def _is_open(self) -> bool:
        return self.request is not None and self.request.state == "open"

    def problem(self) -> str | None:
        if self.load_error:
            return self.load_error
        refused = self._refused()  # a viewer reads the request, decides nothing
        if refused is not None:
            return refused
        req, pv = self.request, self.preview
        if req is None or pv is None:
            return self.tr("无法读取该申请")
        if req.state != "open":
            return self.tr("该申请已处理：{state}").format(state=request_state_label(req.state))
        if pv.decision.outcome is Outcome.REFUSE:
            return join_reasons(decision_reasons(pv.decision))
        if self.amount_error:
            return self.amount_error
        assert self.amount_fen is not None
        if not pv.min_fen <= self.amount_fen <= pv.max_fen:
            return self.tr("退款金额必须在 {low} 到 {high} 之间").format(low=yuan(pv.min_fen), high=yuan(pv.max_fen))
        if self._is_above_asked() and not self.above_asked.isChecked():
            asked = self._asked_fen()
            assert asked is not None
            return self.tr("退款金额多于买家申请的 {asked}：请勾选确认").format(asked=yuan(asked))
        return self.confirm.problem()

    def update_actions(self) -> None:
        refused = self._refused()
        open_ = self._is_open() and not self.busy and refused is None
        self.reject_button.setEnabled(open_ and bool(self.reject_reason.text().strip()))
        self.record_code.setEnabled(open_)
        self.amount.setEnabled(open_)
        for widget in (self.reject_button, self.record_code, self.amount, self.reject_reason, self.code_used,
                       self.code_note, self.ok_button):
            widget.setToolTip(refused or "")
        for widget in (self.reject_reason, self.code_used, self.code_note):
            widget.setEnabled(refused is None)

    # ---- the operations ----------------------------------------------------------------------
    async def perform(self) -> ReviewResult:
        amount = self.amount_fen
        changes = await self.ctx.op(requests.approve, self.request_id, amount_fen=amount,
                                    confirm_non_idempotent=self.confirm.isChecked(),
                                    above_request=self._is_above_asked() and self.above_asked.isChecked(),
                                    void_code=self.void_code.isVisibleTo(self) and self.void_code.isChecked())
        return ReviewResult(self.request_id, True, amount, changes)

    async def _reject(self) -> ReviewResult:
        changes = await self.ctx.op(requests.reject, self.request_id, self.reject_reason.text())
        return ReviewResult(self.request_id, False, None, changes)

    def reject_clicked(self) -> None:
        if self.reject_button.isEnabled():
            self.ctx.start(self.finish_with(self._reject))

    def record_code_clicked(self) -> None:
        if self.record_code.isEnabled():
            self.ctx.start(self.record_code_used())

    async def record_code_used(self) -> bool:
        """Record what the owner found out about the code; the judgement above follows it."""
        assert self.request is not None
        order_no, used = self.request.order_no, CodeUsed(self.code_used.currentData())
        ok, _ = await self.run_step(lambda: self.ctx.op(orders.set_code_used, order_no, used,
                                                         note=self.code_note.text()))
        if ok:
            self.revalidate()
            self.message.show_message(self.tr("已记录卡密使用情况"), "ok")
        return ok

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, request_id: int) -> ReviewResult | None:
        result: ReviewResult | None = await cls.show_and_wait(parent, ctx, request_id)
        return result
