"""The pattern every desk dialog follows, and the small widgets they share.

A dialog is a small class over one operation:

* ``problem()`` is re-run on every edit (``watch`` the inputs); the first problem is shown
  inline and OK stays disabled until there is none.
* ``perform()`` runs the operation through ``ctx.op`` (on the database worker) when OK is
  pressed. The dialog closes only when it succeeds; a ``DomainError`` is shown inline in the
  owner's language and everything typed stays where it was.
* ``ask(parent, ctx, ref)`` is the entry point. It never starts a nested event loop: it shows
  the dialog window-modal with ``open()`` and awaits a future resolved on ``finished``::

      @asyncSlot()
      async def on_cancel_clicked(self) -> None:
          result = await CancelDialog.ask(self, self.ctx, order_no)
          if result is not None:
              ...  # the operation ran; result.changes says what changed

  Tests construct the dialog directly, fill it, click OK and wait for ``result_value``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar

from ...domain.decision import Decision, Outcome
from ...domain.errors import DomainError
from ...domain.money import format_yuan
from ...domain.order import ReasonCode
from ...services.requests import Preview
from ..context import DeskContext
from ..qt import (
    QCheckBox,
    QComboBox,
    QCoreApplication,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

#: The application property holding the UI language ("zh" or "en"), set by the app at start-up.
LANGUAGE_PROPERTY = "kashop_language"


def ui_language() -> str:
    app = QCoreApplication.instance()
    value = app.property(LANGUAGE_PROPERTY) if app is not None else None
    return "en" if value == "en" else "zh"


def pick(zh: str, en: str) -> str:
    """The domain's bilingual texts: the one for the UI language."""
    return en if ui_language() == "en" else zh


def error_text(exc: DomainError) -> str:
    return pick(exc.zh, exc.en)


def describe(exc: BaseException) -> str:
    """A rule's refusal in the UI language; anything else (a bug, an I/O error) as it is."""
    return error_text(exc) if isinstance(exc, DomainError) else str(exc)


def yuan(fen: int) -> str:
    return format_yuan(fen, symbol=True)


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def reason_label(reason: ReasonCode | str) -> str:
    code = ReasonCode(reason)
    return pick(code.zh, code.en)


def decision_reasons(decision: Decision) -> list[str]:
    return [pick(r.zh, r.en) for r in decision.reasons]


def join_reasons(reasons: Iterable[str]) -> str:
    """Several reasons on one line, with the UI language's separator (Chinese "；")."""
    return QCoreApplication.translate("dialogs", "；").join(reasons)


def bullets(lines: Iterable[str]) -> str:
    return "\n".join("• " + line for line in lines)


def request_state_label(state: str) -> str:
    return {
        "open": QCoreApplication.translate("dialogs", "待处理"),
        "approved": QCoreApplication.translate("dialogs", "已批准"),
        "auto_approved": QCoreApplication.translate("dialogs", "自动通过"),
        "rejected": QCoreApplication.translate("dialogs", "已拒绝"),
    }.get(state, state)


def outcome_text(outcome: Outcome) -> str:
    return {
        Outcome.CANCEL_NOW: QCoreApplication.translate("dialogs", "未支付订单：将立即取消"),
        Outcome.AUTO_APPROVE: QCoreApplication.translate("dialogs", "符合自动通过条件：将自动批准并原路退款"),
        Outcome.NEEDS_REVIEW: QCoreApplication.translate("dialogs", "需要人工审核"),
        Outcome.REFUSE: QCoreApplication.translate("dialogs", "不能受理"),
    }[outcome]


class InlineMessage(QLabel):
    """The one line under a form that says what is wrong (or what just happened)."""

    STYLES: ClassVar[dict[str, str]] = {
        "error": "color:#a61b1b;background:#fdecea;border:1px solid #f5c2c0;border-radius:4px;padding:6px;",
        "info": "color:#1d4f91;background:#eaf2fd;border:1px solid #c2d8f5;border-radius:4px;padding:6px;",
        "ok": "color:#1e6b30;background:#e8f6ec;border:1px solid #b9e2c4;border-radius:4px;padding:6px;",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        self.kind = kind
        self.setText(text)
        self.setStyleSheet(self.STYLES[kind])
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.kind = ""
        self.setText("")
        self.hide()


class OpDialog(QDialog):
    """Base class: validate on every edit, run the operation on OK, close only on success."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result_value: Any = None
        self.busy = False
        self.touched = False  # before the first edit a problem is a hint, not an error
        self.fitted = False  # fit_height may shrink the window once, when it is first shown
        self.fitted_height: int | None = None  # the height fit_height gave it (None: the owner's own)
        self.last_needed = 0  # what the content needed at the last fit
        self.service_error: str | None = None
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.message = InlineMessage(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(self.tr("取消"))
        self.buttons.accepted.connect(self.submit_clicked)
        self.buttons.rejected.connect(self.reject)

    # ---- hooks for subclasses -----------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute previews from the inputs (called before ``problem`` on every edit)."""

    def problem(self) -> str | None:
        """The first reason OK cannot be pressed, or None."""
        return None

    async def perform(self) -> Any:
        """Run the operation (through ``ctx.op``) and return the typed result."""
        raise NotImplementedError

    def update_actions(self) -> None:
        """Enable any extra buttons; ``busy`` is set while an operation runs."""

    # ---- validation --------------------------------------------------------------------------
    def watch(self, *widgets: QWidget) -> None:
        """Re-validate whenever one of these inputs changes."""
        for widget in widgets:
            if isinstance(widget, QLineEdit | QPlainTextEdit):
                widget.textChanged.connect(self.edited)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self.edited)
            elif isinstance(widget, QCheckBox):
                widget.toggled.connect(self.edited)
            elif isinstance(widget, QDateTimeEdit):
                widget.dateTimeChanged.connect(self.edited)

    def edited(self, *_: object) -> None:
        self.touched = True
        self.service_error = None
        self.revalidate()

    def revalidate(self) -> None:
        self.refresh()
        problem = self.problem()
        if self.service_error:
            self.message.show_message(self.service_error)
        elif problem:
            self.message.show_message(problem, "error" if self.touched else "info")
        else:
            self.message.clear_message()
        self.ok_button.setEnabled(problem is None and not self.busy)
        self.cancel_button.setEnabled(not self.busy)
        self.update_actions()
        if self.isVisible():  # a message or a preview may have grown by a few wrapped lines
            self.fit_height()

    # ---- running the operation -------------------------------------------------------------
    def submit_clicked(self) -> None:
        if self.ok_button.isEnabled():
            self.ctx.start(self.submit())

    async def submit(self) -> bool:
        """Run ``perform``; close with its result on success, else show why and stay open."""
        if self.busy or self.problem() is not None:
            return False
        return await self.finish_with(self.perform)

    async def finish_with(self, action: Callable[[], Awaitable[Any]]) -> bool:
        """Run an operation that ends the dialog (OK, or a second action such as reject)."""
        ok, result = await self.run_step(action)
        if ok:
            self.result_value = result
            self.accept()
        return ok

    async def run_step(self, action: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
        """Run one operation with the inputs locked; show its error inline instead of raising."""
        self.busy = True
        self.revalidate()
        try:
            return True, await action()
        except DomainError as exc:
            self.service_error = error_text(exc)
        except Exception as exc:  # a bug must not lose what the owner typed
            log.exception("dialog operation failed")
            self.service_error = self.tr("操作失败：{error}").format(error=exc)
        finally:
            self.busy = False
            self.revalidate()
        return False, None

    def showEvent(self, event: Any) -> None:
        # A window's minimum size ignores height-for-width, so wrapped labels would be clipped.
        super().showEvent(event)
        self.fit_height(shrink=not self.fitted)
        self.fitted = True

    def fit_height(self, shrink: bool = False, refit: bool = False) -> None:
        """Grow to what the content needs at the current width, and shrink again when a message
        or a preview goes away (else the form's rows spread apart over the spare height). A
        height the owner dragged to is left alone; on the first show the window may shrink."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()  # the minimum height still counts a message that was just hidden
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() \
            else layout.totalSizeHint().height()
        # No taller than this method or the layout last made it: the owner did not drag it.
        ours = shrink or self.height() <= max(self.fitted_height or 0, self.last_needed)
        if needed > self.height() or (ours and needed < self.height()):
            self.resize(self.width(), needed)
            self.fitted_height = self.height()  # the minimum size may have kept it taller
            if not refit:
                # The window system applies the new size later; the columns' widths change with
                # it, and a wrapped label may then need another line: measure once more then.
                QTimer.singleShot(0, self, self._refit)  # dropped if the dialog is gone by then
        self.last_needed = needed

    def _refit(self) -> None:
        if self.isVisible():
            self.fit_height(refit=True)

    def reject(self) -> None:
        if not self.busy:  # an operation in flight finishes first; its result must be seen
            super().reject()

    # ---- the entry point ---------------------------------------------------------------------
    async def wait(self) -> Any:
        """Show window-modal (no nested loop) and return the result, or None if cancelled."""
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def finished(code: int) -> None:
            if not done.done():
                done.set_result(code)

        self.finished.connect(finished)
        self.open()
        await done
        return self.result_value

    @classmethod
    async def show_and_wait(cls, parent: QWidget | None, ctx: DeskContext, ref: Any) -> Any:
        dialog = cls(parent, ctx, ref)  # type: ignore[call-arg]
        try:
            return await dialog.wait()
        finally:
            dialog.deleteLater()


# ---- shared pieces ---------------------------------------------------------------------------

class ReasonPicker(QComboBox):
    """The reason codes with their labels in the UI language; the code is the item data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for code in ReasonCode:
            self.addItem(reason_label(code), code.value)

    def reason(self) -> ReasonCode:
        return ReasonCode(self.currentData())

    def set_reason(self, code: ReasonCode) -> None:
        self.setCurrentIndex(self.findData(code.value))


class NonIdempotentConfirm(QFrame):
    """易支付 V1 and the like: no refund idempotency, so the owner confirms before approving."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet("NonIdempotentConfirm{background:#fff4e0;border:1px solid #f0c36d;border-radius:4px;}")
        layout = QVBoxLayout(self)
        warning = QLabel(self.tr("⚠ 该网关（如易支付V1）没有退款幂等保护：退款只发送一次，结果不明时不会自动重发，"
                                 "需要到网关后台核实后手工处理。"), self)
        warning.setWordWrap(True)
        self.checkbox = QCheckBox(self.tr("我已知晓，确认发送退款"), self)
        layout.addWidget(warning)
        layout.addWidget(self.checkbox)
        self.required = False
        self.hide()

    def set_required(self, required: bool) -> None:
        self.required = required
        self.setVisible(required)

    def isChecked(self) -> bool:  # reads like the checkbox it wraps
        return self.checkbox.isChecked()

    def problem(self) -> str | None:
        if self.required and not self.checkbox.isChecked():
            return self.tr("请先勾选确认：该网关没有退款幂等保护")
        return None


class BreakdownView(QGroupBox):
    """Gross, fee, net, coupon share, points, ETA and the gateway of one refund preview."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("退款明细"))
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.values: dict[str, QLabel] = {}
        rows = (("gross", self.tr("退款总额")), ("fee", self.tr("手续费")), ("net", self.tr("实退金额(原路返回)")),
                ("coupon", self.tr("优惠券分摊")), ("points", self.tr("退回积分")), ("eta", self.tr("预计到账")),
                ("gateway", self.tr("退款网关")))
        for key, label in rows:
            value = QLabel("—", self)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            form.addRow(label, value)

    def show_preview(self, pv: Preview) -> None:
        bd = pv.breakdown
        if bd is None:
            for value in self.values.values():
                value.setText("—")
            return
        self.values["gross"].setText(yuan(bd.gross_fen))
        self.values["fee"].setText(yuan(bd.fee_fen) if bd.fee_fen else self.tr("无"))
        self.values["net"].setText(f"<b>{yuan(bd.net_fen)}</b>")
        coupon = yuan(bd.coupon_share_fen)
        if bd.coupon_returned:
            coupon = self.tr("{amount}（优惠券原样退回）").format(amount=coupon)
        self.values["coupon"].setText(coupon)
        self.values["points"].setText(str(bd.points_returned))
        self.values["eta"].setText(pick(pv.eta.text_zh(), pv.eta.text_en()) if pv.eta else "—")
        self.values["gateway"].setText(gateway_text(pv))

    def text_of(self, key: str) -> str:
        return self.values[key].text()


def gateway_text(pv: Preview) -> str:
    if pv.gateway_name is None:
        return QCoreApplication.translate("dialogs", "没有网关账户：需要手工退款")
    if pv.auto_refund:
        return QCoreApplication.translate("dialogs", "{name}：批准后自动原路退款").format(name=pv.gateway_name)
    return QCoreApplication.translate("dialogs", "{name}：不支持自动退款，需到网关后台手工退款").format(
        name=pv.gateway_name)


class OrderSummary(QGroupBox):
    """Order no, product, status, amounts and buyer, read once when the dialog opens."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("订单"))
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

    def add(self, label: str, value: str) -> QLabel:
        widget = QLabel(value, self)
        widget.setWordWrap(True)
        widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form.addRow(label, widget)
        return widget

    def show_order(self, detail: Any) -> None:
        self.add(self.tr("订单号"), detail.order_no)
        self.add(self.tr("商品"), self.tr("{product} × {quantity}").format(
            product=detail.product, quantity=detail.quantity))
        self.add(self.tr("状态"), pick(detail.status.zh, detail.status.en))
        if detail.paid_at is None:  # nothing was paid yet: the amount is due, not paid
            self.add(self.tr("应付"), yuan(detail.amount_fen))
        else:
            self.add(self.tr("实付"), yuan(detail.paid_fen) + (
                self.tr("（已退 {amount}）").format(amount=yuan(detail.refunded_fen)) if detail.refunded_fen else "") + (
                self.tr("（退款中 {amount}）").format(amount=yuan(detail.refund_pending_fen))
                if detail.refund_pending_fen else ""))
        self.add(self.tr("买家"), detail.buyer or "—")


def text_button(text: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAutoDefault(False)
    return button
