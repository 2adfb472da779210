"""Per-row rules an import checks against the store, inside each chunk's transaction.

``check_row`` is called once for every row that passed the file checks, in file order, with
the order already stored under that order no (or None) and the rows of the same chunk
accepted before it (not yet in the store: they are written together when the chunk ends).
It raises ``RowError`` to refuse the row; a refused row is never written. A rule that needs
the store goes here (for example, that a gateway trade no belongs to at most one order per
gateway account): call the services function that owns the rule and turn its DomainError
into a RowError for the column concerned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...domain.clock import from_epoch
from ...domain.money import format_yuan
from ...domain.states import OrderStatus
from .rows import RowError

S = OrderStatus
#: How far an order has gone; an import only ever moves an order forward along this.
RANK = {S.PENDING_PAYMENT: 0, S.PAID: 1, S.DELIVERED: 2, S.COMPLETED: 3}


@dataclass(frozen=True)
class StoredOrder:
    """The stored facts of an order that a re-import compares or may touch: what the order IS
    (``created_at`` epoch seconds, ``product_name``, ``product_type``, ``quantity``,
    ``buyer_key`` the buyer's canonical key, ``list_fen`` and ``paid_fen`` in fen: for an unpaid
    order the amount due) and how far it has gone (``status``, ``paid_at``, ``gateway_trade_no``,
    ``channel``, ``gateway_id``: its gateway account, ``refunded_fen``: fen refunded, confirmed),
    and of its refunds (fen, gross): ``desk_refunded_fen`` those the desk made itself and saw
    succeed (not those the owner recorded as made outside the desk), ``refund_pending_fen`` those
    on their way."""

    id: int
    order_no: str
    status: str
    paid_at: int | None
    paid_fen: int
    gateway_trade_no: str | None = None
    created_at: int = 0
    product_name: str = ""
    quantity: int = 1
    buyer_key: str = ""
    list_fen: int = 0
    product_type: str = ""
    channel: str | None = None
    gateway_id: int | None = None
    refunded_fen: int = 0
    delivered: bool = False
    delivered_at: int | None = None  # epoch seconds
    desk_refunded_fen: int = 0
    refund_pending_fen: int = 0
    #: Succeeded refunds the owner recorded at the desk as made outside it (fen; cash, a bank
    #: transfer, another way): part of ``outside_refunded_fen``.
    recorded_outside_fen: int = 0
    #: Of those, the ones recorded as paid back by hand (cash, a bank transfer: fen): money the
    #: older system may not know of, unlike one recorded as made another way (its own refund).
    recorded_by_hand_fen: int = 0
    #: The desk restored the order after a cancel (an ``orders restore``): a later export's
    #: cancel of it is out of date.
    restored: bool = False
    #: The id of the buyer's request on the order still waiting for review (None: none): the
    #: advice to record a refund made outside the desk names it, as that command refuses while
    #: it is open.
    open_request_id: int | None = None

    @property
    def imported_refunded_fen(self) -> int:
        """What the older system had refunded when its rows were imported (fen)."""
        return max(0, self.outside_refunded_fen - self.recorded_outside_fen)

    @property
    def outside_refunded_fen(self) -> int:
        """What the desk knows was refunded outside it (fen): by the older system as imported, or
        recorded by the owner as refunded outside the desk."""
        return max(0, self.refunded_fen - self.desk_refunded_fen)


def check_row(data: Mapping[str, Any], stored: StoredOrder | None, accepted: Sequence[Mapping[str, Any]], *,
              desk_export: bool = False) -> bool:
    """Refuse (RowError) a row the store's rules do not allow; ``data`` is the row read as
    ``parse_row``'s order dict (a read-only Mapping), ``accepted`` likewise; ``desk_export``:
    the file is the desk's own export (see ``check_update``).

    Returns whether the row moves the stored order (False: nothing to write, counted unchanged).
    """
    if stored is None:
        return True
    return check_update(data, stored, desk_export=desk_export)


def check_update(data: Mapping[str, Any], stored: StoredOrder, *, desk_export: bool = False) -> bool:
    """An existing order moves only forward (待支付 → 已支付 → 已发货 → 已完成, or an unpaid
    order expiring); the amount and the trade no of a paid order never change.

    Returns False when the row leaves the order as it is: the same status, a 待支付 row for an
    unpaid order that has since expired or been cancelled (an export older than the sweep), or a
    row behind the desk (已支付 for an order the desk delivered, refunded or cancelled since).
    Raises RowError naming the refused field. ``desk_export``: the file is the desk's own
    export, whose refunded amounts include the desk's own refunds (an older system's are money
    refunded outside the desk).
    """
    check_identity(data, stored)
    old, new = S(stored.status), S(data["status"])
    if stored.paid_at is None and new in _REFUNDS and data["paid_at"] is not None \
            and data["paid_fen"] == stored.paid_fen and data["paid_at"] >= stored.created_at:
        raise _refunded_unpaid(stored, data.get("refunded_fen") or data["paid_fen"], data)
    if stored.paid_at is None and new in _REFUNDS:
        raise RowError("status", f"本店记录该订单为「{old.zh}」（未支付），文件中为「{new.zh}」：未支付的订单没有钱可退，"
                       "导入不会把它改为已退款；请核对订单号",
                       f"the desk holds this order as '{old.en}' (never paid) and the file says '{new.en}': an "
                       "unpaid order has no money to refund, so an import will not mark it refunded; check the order no")
    if stored.paid_at is None and data["paid_at"] is not None and data["paid_at"] < stored.created_at:
        raise RowError("paid_at", "支付时间早于本店记录的下单时间", "the payment time is before the stored order's creation time")
    if stored.paid_at is None and data["paid_at"] is not None and data["paid_fen"] != stored.paid_fen:
        # The order's 导入 entry, its coupon and its refunds all rest on the amount due: a payment
        # of another amount is not taken over by an import (check would find the order
        # disagreeing with its log, and a refund would split the wrong coupon share).
        raise _differs("paid_amount", "实付金额（与应付金额）", "paid amount (against the amount due)",
                       format_yuan(stored.paid_fen, symbol=True), format_yuan(data["paid_fen"], symbol=True),
                       "; an import does not change the amount of an order it holds: a payment of another "
                       "amount (a coupon used at payment) is recorded at the desk, not by an import",
                       "；导入不会改动已有订单的金额：另一金额的付款（付款时用了优惠券）请在本店登记，而不是导入")
    if stored.paid_at is None and data["paid_at"] is not None and data.get("refunded_fen"):
        raise _refunded_unpaid(stored, data["refunded_fen"], data)
    if old is S.CANCELLED and stored.paid_at is None and data["paid_at"] is not None:
        # Paid, though the desk cancelled it (or it expired) unaware: a payment 补单 takes (it
        # brings the order back if its stock allows); counted unchanged, the money would be lost.
        raise RowError("paid_at", f"本店记录该订单为「已取消」（未支付，可能已超时关闭），文件中为「{new.zh}」并有支付时间："
                       f"本店不知道这笔付款，导入不会替已取消的订单收款。请补单登记这笔付款（付款时间按文件所记）："
                       f"`{_mark_paid(stored, data, '交易号')}`",
                       f"the desk holds this order as cancelled (never paid; it may have expired) and the file says "
                       f"'{new.en}' with a payment time: the desk never heard of that payment, and an import does "
                       f"not take a payment for a cancelled order. Record the payment with 补单 (at the file's "
                       f"payment time): `{_mark_paid(stored, data, 'TRADE_NO')}`") if new is not S.CANCELLED else RowError(
            "paid_at", f"本店记录该订单为「已取消」（未支付，可能已超时关闭），文件中为已支付后「已取消」、一分未退：本店不知道这笔付款。"
                       f"请补单登记这笔付款（不发货）：`{_mark_paid(stored, data, '交易号')}`{_then_cancel(stored, data, 'zh')}",
            f"the desk holds this order as cancelled (never paid; it may have expired) and the file says it was paid, "
            f"then cancelled with nothing refunded: the desk never heard of that payment. Record it with 补单 (nothing "
            f"delivered): `{_mark_paid(stored, data, 'TRADE_NO')}`{_then_cancel(stored, data, 'en')}")
    if old is S.CANCELLED and stored.paid_at is None and new is S.PENDING_PAYMENT:
        return False  # stale: the order expired after the file was exported
    if stored.paid_at is not None and new is S.CANCELLED and data["paid_at"] is None:
        # The older system closed it unpaid: it never learned of the payment the desk holds (a
        # 补单, payment sync). Out of date: counted unchanged, with a warning (``closed_unpaid_there``);
        # its amount and channel are the order's as it stood unpaid, not compared with the payment.
        return False
    if stored.paid_at is not None and new is not S.PENDING_PAYMENT:
        _check_paid_facts(data, stored)
    refunded = data.get("refunded_fen", 0)
    # An older system's refunded amount is money gone back outside the desk; the desk's own
    # export's is every refund of the order, the desk's own included.
    known = stored.refunded_fen if desk_export else stored.outside_refunded_fen
    if stored.paid_at is not None and refunded > known:
        # The older system refunded more than the desk knows of: counted unchanged, the desk
        # would offer that money again (and its own refunds may already have paid it twice).
        if old is not new and new in _REFUNDS and not (stored.desk_refunded_fen or stored.refund_pending_fen):
            raise _refunded_outside(stored, old, new, refunded - stored.outside_refunded_fen)
        raise _refunded_more(stored, refunded)
    if old is new:
        # The same refund state, and the file knows of a delivery the desk does not hold (the
        # older system delivered the goods, and the refund was recorded at the desk since):
        # recorded, as it is for a new row; nothing else of the order moves.
        return new in _REFUNDS and data.get("delivered_at") is not None and not stored.delivered
    if old is S.CANCELLED and new in _REFUNDS and stored.paid_at is not None:
        # The desk cancelled it and holds no less refunded outside it than the file says (above):
        # the older system names the same money back by its refund.
        return False
    forward = old in RANK and new in RANK and RANK[new] > RANK[old]
    expire = old is S.PENDING_PAYMENT and new is S.CANCELLED
    if not (forward or expire) and new in _REFUNDS and old in RANK and stored.paid_at is not None:
        raise _refunded_outside(stored, old, new)
    if not (forward or expire) and new is S.CANCELLED and stored.paid_at is not None \
            and (old in RANK or old is S.PARTIALLY_REFUNDED):
        if stored.restored:
            return False  # the owner restored it at the desk: the older system's cancel is out of date
        delivered = old in (S.DELIVERED, S.COMPLETED) or (old is S.PARTIALLY_REFUNDED and stored.delivered)
        step_zh, step_en = (f"`requests open {stored.order_no} --reason ...`（已发货的订单只能走售后）",
                            f"`requests open {stored.order_no} --reason ...` (a delivered order is disputed)") if delivered else (
            f"`orders cancel {stored.order_no} --reason other --note 旧系统已取消`", f"`orders cancel {stored.order_no} --reason other --note 旧系统已取消`")
        raise RowError("status", f"本店记录该订单为「{old.zh}」，文件中为「已取消」：已支付的订单要在本店取消（取消会原路退款，"
                       f"导入不动钱）：{step_zh}",
                       f"the desk holds this order as '{old.en}' and the file says cancelled: a paid order is cancelled at "
                       f"the desk (the cancel refunds by the payment's route; an import does not move money): {step_en}")
    if old in _REFUNDS and new in _REFUNDS:
        # Refunded on both sides, the file's amount no more than the desk knows (above): the desk
        # has all of it; a recorded refund beyond the file's is pointed out (``recorded_beyond``).
        return False
    if old is S.CANCELLED and stored.paid_at is not None and new in (S.DELIVERED, S.COMPLETED):
        raise _delivered_after_desk_cancel(stored, new, data)
    if new in RANK and ((old in RANK and RANK[new] < RANK[old])
                        or (stored.paid_at is not None and (old in _REFUNDS or old is S.CANCELLED))):
        # The file is behind the desk (an older export, or the same file again after the desk
        # delivered, refunded or cancelled the order): it brings nothing new; counted unchanged,
        # as a 待支付 row for an order that has since expired is.
        return False
    if not (forward or expire):
        raise RowError("status", f"不能把订单从「{old.zh}」改为「{new.zh}」（不回退）",
                       f"will not move the order from '{old.en}' to '{new.en}' (never backwards)")
    return True


_REFUNDS = frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED})


def matched_by_recorded(data: Mapping[str, Any], stored: StoredOrder | None) -> tuple[str, str, str] | None:
    """A warning (column, zh, en) for a row accepted although its older system refunded more than
    when imported, the difference counted as refunds the owner recorded at the desk as made
    outside it, some of them paid back by hand (cash, a bank transfer): most likely the same money
    (the older system recorded the hand-back too), but if it refunded apart, the buyer was paid
    twice and the desk cannot tell. Refunds recorded as made another way (``--how other``, as the
    import's own advice records the older system's refunds) are that system's: no warning. None
    otherwise."""
    refunded = data.get("refunded_fen", 0)
    if stored is None or stored.paid_at is None or not stored.recorded_by_hand_fen \
            or refunded <= stored.imported_refunded_fen:
        return None
    more = refunded - stored.imported_refunded_fen
    by_hand = format_yuan(stored.recorded_by_hand_fen, symbol=True)
    return ("refunded_amount",
            f"旧系统已退 {format_yuan(refunded, symbol=True)}，比导入时多 ¥{format_yuan(more)}：按本店登记的台外退款"
            f"（其中现金或转账 {by_hand}）算作同一笔。若旧系统另外又退了这笔钱（不是你手工退的那笔），买家收到了两次："
            "请先与买家和旧系统的退款记录核对，确认是另一笔后再在本店登记",
            f"the older system refunded {format_yuan(refunded, symbol=True)}, ¥{format_yuan(more)} more than when "
            f"imported: counted as the refunds recorded at the desk as made outside it ({by_hand} of them paid back "
            "in cash or by transfer). If the older system refunded that money apart from your hand-back, the buyer got "
            "it twice: check with the buyer and the older system's refund records first, and record it at the desk only "
            "once you know it is another refund")


def delivered_twice(data: Mapping[str, Any], stored: StoredOrder | None) -> tuple[str, str, str] | None:
    """A warning (column, zh, en) for a row whose delivery time is not the one the desk holds: the
    desk delivered the order (from its own stock, or by an earlier file) and the older system says
    it delivered at another time. If both delivered, the buyer holds two codes. None otherwise."""
    if stored is None or stored.delivered_at is None or data.get("delivered_at") is None \
            or _same_time(data["delivered_at"], stored.delivered_at):
        return None
    desk, there = _shown_time(stored.delivered_at), _shown_time(data["delivered_at"])
    return ("delivered_at",
            f"本店记录该订单于 {desk} 发货，文件中旧系统的发货时间为 {there}：若两边都发了货，买家拿到了两份卡密或商品，"
            "请与买家核对（本店的记录不变）",
            f"the desk delivered this order at {desk} and the file says the older system delivered it at {there}: if "
            "both delivered, the buyer has two codes or two of the goods; check with the buyer (the desk's record stays)")


def recorded_beyond(data: Mapping[str, Any], stored: StoredOrder | None) -> tuple[str, str, str] | None:
    """A warning (column, zh, en) for a refunded row whose older system refunded less than the
    desk holds as that system's refunds (what it had refunded when imported, and the refunds
    recorded at the desk as made another way, ``--how other``, as the import's advice records
    them): one may have been recorded twice. Hand-backs (cash, a transfer) the older system need
    not know of, and the desk's own refunds, are not counted. None otherwise."""
    if stored is None or stored.paid_at is None or not stored.recorded_outside_fen \
            or S(data["status"]) not in _REFUNDS:
        return None
    there = data.get("refunded_fen") or 0
    theirs = stored.outside_refunded_fen - stored.recorded_by_hand_fen
    if theirs <= there:
        return None
    known = format_yuan(theirs, symbol=True)
    recorded = format_yuan(stored.recorded_outside_fen - stored.recorded_by_hand_fen, symbol=True)
    return ("refunded_amount",
            f"本店记为旧系统退款的共 {known}（其中在本店登记的 {recorded}），文件中旧系统只退了 {format_yuan(there, symbol=True)}："
            "若同一笔退款登记了两次，买家并没有多拿；请核对本店的退款记录（refunds list）和买家",
            f"the desk holds {known} as the older system's refunds ({recorded} of it recorded at the desk), and the file "
            f"says that system refunded only {format_yuan(there, symbol=True)}: if one refund was recorded twice, the "
            "buyer did not get more; check the desk's refunds (refunds list) and with the buyer")


def closed_unpaid_there(data: Mapping[str, Any], stored: StoredOrder | None) -> tuple[str, str, str] | None:
    """A warning (column, zh, en) for a row counted unchanged because the older system closed the
    order unpaid while the desk holds its payment (a 补单 or a payment sync the older system never
    saw): nothing is refunded by the import; the owner checks the older system. None otherwise."""
    if stored is None or stored.paid_at is None or S(stored.status) is S.CANCELLED \
            or S(data["status"]) is not S.CANCELLED or data["paid_at"] is not None:
        return None
    trade = stored.gateway_trade_no or "—"
    return ("status",
            f"旧系统记录该订单未付款、已关闭，本店记录它已付款（交易号 {trade}）：旧系统不知道这笔付款，本店的记录不变，"
            "导入不退款。请到旧系统核对",
            f"the older system closed this order unpaid, and the desk holds its payment (trade no {trade}): the older "
            "system never learned of that payment; the desk's record stays and the import refunds nothing. Check the "
            "older system")


def delivery_not_held(data: Mapping[str, Any], stored: StoredOrder | None) -> tuple[str, str, str] | None:
    """A warning (column, zh, en) for a row counted unchanged whose file records a delivery the
    desk cannot take: the desk holds the order 已取消 (its money went back before any delivery
    it knows of) and the older system says it delivered, then refunded it. The goods may be in
    the buyer's hands: the owner checks. None otherwise."""
    if stored is None or stored.delivered or data.get("delivered_at") is None \
            or S(stored.status) is not S.CANCELLED or S(data["status"]) not in _REFUNDS:
        return None
    when = _shown_time(data["delivered_at"])
    return ("delivered_at",
            f"旧系统记录该订单已于 {when} 发货后退款，本店记录为「已取消」（退款在发货之前）：本店不记这次发货。"
            "若买家已拿到卡密或商品，请与买家核对",
            f"the older system delivered this order at {when} before refunding it, and the desk holds it cancelled "
            "(refunded before any delivery): the desk does not record that delivery. If the buyer has the code or "
            "the goods, check with the buyer")


def _delivered_after_desk_cancel(stored: StoredOrder, new: OrderStatus, data: Mapping[str, Any]) -> RowError:
    """A paid order the desk cancelled (its money going or gone back) that the older system says
    it delivered: the buyer may have the goods and the money. A refund not sent yet is withdrawn
    by restoring the order (the next import then records the delivery; one waiting for the owner
    is marked failed first, as restore refuses it); money gone back (sent, or recorded as
    refunded outside the desk) is the owner's to take up with the buyer."""
    when = _shown_time(data["delivered_at"]) if data.get("delivered_at") is not None else ""
    money_zh, money_en = [], []
    if stored.desk_refunded_fen:
        money_zh.append(f"本店已退 {format_yuan(stored.desk_refunded_fen, symbol=True)}")
        money_en.append(f"{format_yuan(stored.desk_refunded_fen, symbol=True)} refunded by the desk")
    if stored.recorded_outside_fen:
        money_zh.append(f"登记的台外退款 {format_yuan(stored.recorded_outside_fen, symbol=True)}")
        money_en.append(f"{format_yuan(stored.recorded_outside_fen, symbol=True)} recorded as refunded outside the desk")
    if stored.refund_pending_fen:
        money_zh.append(f"本店正在退款 {format_yuan(stored.refund_pending_fen, symbol=True)}")
        money_en.append(f"{format_yuan(stored.refund_pending_fen, symbol=True)} being refunded by the desk")
    zh_money = "，".join(money_zh) or "本店未退款"
    en_money = ", ".join(money_en) or "nothing refunded by the desk"
    restore = f"orders restore {stored.order_no} --no-deliver"
    zh_do, en_do = [], []
    if stored.refund_pending_fen:
        zh_do.append("本店的退款若还没发出，可撤回退款、恢复订单：退款若在「待人工处理」，先把它记为失败（"
                     "`refunds resolve 退款ID --failed --note 旧系统已发货`，`refunds list` 查看退款ID），"
                     f"再 `{restore}`；之后再导入即记下发货")
        en_do.append("If the desk's refund has not been sent, withdraw it and bring the order back: a refund waiting "
                     "for the owner is marked failed first (`refunds resolve REFUND_ID --failed --note 旧系统已发货`; "
                     f"`refunds list` shows its id), then `{restore}`; the next import records the delivery")
    if stored.desk_refunded_fen or stored.recorded_outside_fen or stored.refund_pending_fen:
        zh_do.append("钱已经退给买家的，请与买家核对（追回货款，或在旧系统作废未使用的卡密）")
        en_do.append("where the money went back already, check with the buyer (get the money back, or void the code "
                     "in the older system if it is unused)")
    else:
        zh_do.append(f"若订单应当成交，可用 `{restore}` 恢复订单，之后再导入即记下发货")
        en_do.append(f"If the sale stands, `{restore}` brings the order back, and the next import records the delivery")
    return RowError(
        "status",
        f"本店记录该订单为「已取消」（{zh_money}），文件中为「{new.zh}」（旧系统{' ' + when if when else ''}已发货）："
        f"买家可能既拿到了货又拿回了钱。{'；'.join(zh_do)}",
        f"the desk holds this order cancelled ({en_money}) and the file says '{new.en}' (the older system "
        f"delivered it{' at ' + when if when else ''}): the buyer may have both the goods and the money. "
        f"{'; '.join(en_do)}")


def _refunded_outside(stored: StoredOrder, old: OrderStatus, new: OrderStatus, more: int | None = None) -> RowError:
    """A paid order the desk holds without a refund that the file says was refunded (``more``,
    fen, when the file says how much): the refund was made outside the desk, and the desk records
    it as a refund, not by an import."""
    zh_amount, en_amount = ("金额", "YUAN") if more is None else (format_yuan(more), format_yuan(more))
    return RowError(
        "status",
        f"本店记录该订单为「{old.zh}」，文件中为「{new.zh}」：这笔退款是在本店之外做的，导入不会改动已有订单的钱。"
        f"请在本店登记这笔台外退款（一步记为退款成功，不会再发送）：`{_record(stored.order_no, zh_amount)}`",
        f"the desk holds this order as '{old.en}' and the file says '{new.en}': the refund was made outside the "
        f"desk, and an import does not change the money of an order it holds. Record the refund made outside the "
        f"desk (one step, recorded as succeeded, never sent): `{_record(stored.order_no, en_amount)}`")


def _mark_paid(stored: StoredOrder, data: Mapping[str, Any], no_trade: str) -> str:
    """The 补单 command for a payment a file names: its trade no, its payment time and (when not
    the stored one) its channel, so that a later import of the same row agrees with the order
    (``orders.mark_paid``'s ``paid_at`` and ``channel``); ``--no-deliver`` unless the row is
    paid and undelivered (已支付), as the older system delivered, refunded or cancelled it."""
    trade_no = str(data.get("gateway_trade_no") or "").strip() or no_trade
    channel = data.get("channel")
    by = f" --channel {channel}" if channel and channel != stored.channel else ""
    # Only a row paid and not yet delivered there is the desk's to deliver: one the older system
    # delivered (its own code or top-up), refunded or cancelled takes nothing from the desk's stock.
    hold = " --no-deliver" if S(data["status"]) is not S.PAID else ""
    return (f"orders mark-paid {stored.order_no} --trade-no {trade_no} --paid-at \"{_shown_time(data['paid_at'])}\""
            f"{by}{hold} --yes")


def _then_cancel(stored: StoredOrder, data: Mapping[str, Any], lang: str) -> str:
    """The step after 补单 for a row cancelled in the older system with its money kept: the desk's
    cancel returns it by the original route (money kept on a cancelled order is the buyer's)."""
    if S(data["status"]) is not S.CANCELLED:
        return ""
    step = f"`orders cancel {stored.order_no} --reason other --note 旧系统已取消`"
    return f"，再 {step} 原路退款" if lang == "zh" else f", then {step} to refund it by the original route"


def _record(order_no: str, amount: str) -> str:
    """The command that records a refund made outside the desk (``requests.record_outside``)."""
    return f"refunds record {order_no} --amount {amount} --how other --note 旧系统已退款"


def _refunded_more(stored: StoredOrder, refunded: int) -> RowError:
    """A paid order the file says had more refunded (``refunded``, fen) by the older system than
    the desk knows of (``StoredOrder.outside_refunded_fen``): the difference went back outside the
    desk. Counted unchanged, the desk would offer that money again and pay it back twice; where
    the desk refunded or is refunding it too, the buyer may be paid twice already."""
    known, more = stored.outside_refunded_fen, refunded - stored.outside_refunded_fen
    zh = [f"文件中旧系统已退 {format_yuan(refunded, symbol=True)}，本店所知的本店之外的退款为 {format_yuan(known, symbol=True)}"]
    en = [f"the file says the older system refunded {format_yuan(refunded, symbol=True)}, and the desk knows of "
          f"{format_yuan(known, symbol=True)} refunded outside it"]
    if stored.desk_refunded_fen:
        zh.append(f"本店自己另已退 {format_yuan(stored.desk_refunded_fen, symbol=True)}")
        en.append(f"the desk itself refunded {format_yuan(stored.desk_refunded_fen, symbol=True)} more")
    if stored.refund_pending_fen:
        zh.append(f"另有 {format_yuan(stored.refund_pending_fen, symbol=True)} 正在由本店退款")
        en.append(f"{format_yuan(stored.refund_pending_fen, symbol=True)} more is being refunded by the desk")
    if stored.refund_pending_fen and stored.refund_pending_fen == more:
        zh_do = ("若旧系统退的就是本店正在退的钱，且本店这笔尚未发出（待发送、待人工处理），请用 `refunds resolve 退款ID "
                 "--succeeded --outside other --note 旧系统已退款` 登记为台外退款（`refunds list` 查看退款ID）；"
                 "若已发给网关（处理中、结果未知），请先查询结果（`refunds send`），有了结果再导入；否则请与买家核对")
        en_do = ("If the older system refunded the money the desk is refunding and the desk's refund has not been sent "
                 "(queued, waiting for the owner), record it as made outside the desk: `refunds resolve REFUND_ID "
                 "--succeeded --outside other --note 旧系统已退款` (`refunds list` shows its id); if it was sent to the gateway "
                 "(processing, outcome unknown), ask for its outcome first (`refunds send`) and import again once it "
                 "has one; otherwise check with the buyer")
    elif stored.refund_pending_fen:  # not the same amount: that refund cannot stand for the older system's
        pending = format_yuan(stored.refund_pending_fen, symbol=True)
        zh_do = (f"本店正在退的 {pending} 与旧系统退的 ¥{format_yuan(more)} 金额不同，不能代替它。若本店的退款尚未发出："
                 "先把它标记为失败（`refunds resolve 退款ID --failed --note 旧系统已退款`，`refunds list` 查看退款ID），"
                 f"再登记旧系统的退款（`{_record(stored.order_no, format_yuan(more))}`），余下的钱再按需要退；"
                 "若已发给网关（处理中、结果未知），请先查询结果（`refunds send`）；若已退成，买家可能多收了钱，请与买家核对")
        en_do = (f"The {pending} the desk is refunding is not the ¥{format_yuan(more)} the older system refunded, so it "
                 "cannot stand for it. If the desk's refund has not been sent: mark it failed (`refunds resolve "
                 "REFUND_ID --failed --note 旧系统已退款`; `refunds list` shows its id), record the older system's refund "
                 f"(`{_record(stored.order_no, format_yuan(more))}`), then refund the rest as needed; if it was sent to "
                 "the gateway (processing, outcome unknown), ask for its outcome first (`refunds send`); if it went "
                 "through, the buyer may have been paid more than due: check with the buyer")
    elif stored.desk_refunded_fen and more > stored.paid_fen - stored.refunded_fen - stored.refund_pending_fen:
        over = more - max(0, stored.paid_fen - stored.refunded_fen - stored.refund_pending_fen)
        zh_do = (f"本店与旧系统的退款合计比实付多 ¥{format_yuan(over)}：买家多收了钱，本店已没有可退的余额，请与买家核对；"
                 "核对清楚后，之后的导入文件里可删去这一行")
        en_do = (f"The desk's and the older system's refunds add up to ¥{format_yuan(over)} more than was paid: the "
                 "buyer got more than they paid and nothing is left refundable at the desk; check with the buyer, and "
                 "once settled, leave this row out of later files")
    elif stored.desk_refunded_fen:
        # Recorded, the older system's refund is counted with the desk's: nothing the desk still
        # offers as refundable has gone back already.
        zh_do = (f"买家可能已收到两次退款。请登记旧系统的这笔退款（`{_record(stored.order_no, format_yuan(more))}`），"
                 "本店的可退金额才会扣除它；再与买家核对多退的钱")
        en_do = (f"The buyer may have been refunded twice. Record the older system's refund "
                 f"(`{_record(stored.order_no, format_yuan(more))}`) so that what the desk shows as refundable leaves it "
                 "out; then check the money refunded twice with the buyer")
    else:
        zh_do = f"请在本店登记这笔台外退款（一步记为退款成功，不会再发送）：`{_record(stored.order_no, format_yuan(more))}`"
        en_do = (f"Record the refund made outside the desk (one step, recorded as succeeded, never sent): "
                 f"`{_record(stored.order_no, format_yuan(more))}`")
    return RowError(
        "refunded_amount",
        "，".join(zh) + f"：多出的 ¥{format_yuan(more)} 是在本店之外退的，导入不会改动已有订单的钱。" + zh_do,
        "; ".join(en) + f": the other ¥{format_yuan(more)} went back outside the desk, and an import does not change "
        "the money of an order it holds. " + en_do)


def _refunded_unpaid(stored: StoredOrder, refunded: int, data: Mapping[str, Any]) -> RowError:
    """An order the desk holds unpaid that the file says was paid and refunded in part or whole
    (cancelled, 部分退款, 已退款): the payment and the refund both happened outside the desk, and
    an import records neither on an order it holds (the refund would be offered again). The steps
    given make the same row agree when imported again; for a 已取消 row whose money was not all
    refunded, the desk's cancel returns the rest (money kept on a cancelled order is the buyer's)."""
    amount, new = format_yuan(refunded, symbol=True), S(data["status"])
    rest = new is S.CANCELLED and refunded < data["paid_fen"]
    zh_rest = f"；订单在旧系统已取消、余下的钱未退，再用 `orders cancel {stored.order_no} --reason other --note 旧系统已取消` 原路退回余款" if rest else ""
    en_rest = (f"; it was cancelled there with the rest of its money kept: `orders cancel {stored.order_no} --reason other --note 旧系统已取消` "
               "then returns the rest by the original route") if rest else ""
    return RowError(
        "refunded_amount",
        f"本店记录该订单为「{S(stored.status).zh}」（未支付），文件中为已支付、「{new.zh}」、已退 {amount}：付款和退款都在本店之外，"
        f"导入不会替已有订单登记。请在本店补单（`{_mark_paid(stored, data, '交易号')}`），再登记这笔台外退款"
        f"（`{_record(stored.order_no, format_yuan(refunded))}`）{zh_rest}",
        f"the desk holds this order as '{S(stored.status).en}' (never paid) and the file says it was paid, '{new.en}', "
        f"and {amount} refunded: both happened outside the desk, and an import records neither on an order it "
        f"holds. Mark it paid at the desk (`{_mark_paid(stored, data, 'TRADE_NO')}`), then record the refund "
        f"made outside (`{_record(stored.order_no, format_yuan(refunded))}`){en_rest}")


def _check_paid_facts(data: Mapping[str, Any], stored: StoredOrder) -> None:
    trade_no = data.get("gateway_trade_no")
    if stored.gateway_trade_no and trade_no and trade_no != stored.gateway_trade_no:
        # Another trade no is another payment: the buyer may have paid twice (once each side).
        raise RowError("gateway_trade_no", f"已支付订单的交易号不能通过导入修改（已记录 {stored.gateway_trade_no}，"
                       f"文件中为 {trade_no}）：两个交易号可能是买家付了两次。请在网关后台核对（reconcile 对账）；"
                       "若确是两笔付款，多付的一笔请在网关后台原路退回",
                       f"the trade no of a paid order cannot be changed by an import (stored "
                       f"{stored.gateway_trade_no}, the file says {trade_no}): two trade nos may be two payments by the "
                       "buyer. Check them at the gateway (reconcile); if there were two, refund the second "
                       "one through the gateway's back office")
    if data["paid_fen"] != stored.paid_fen:
        raise _differs("paid_amount", "实付金额", "paid amount", format_yuan(stored.paid_fen, symbol=True),
                       format_yuan(data["paid_fen"], symbol=True), "; the amount of a paid order never changes by an import",
                       "；已支付订单的金额不会因导入而改变")
    paid_at, was = data["paid_at"], stored.paid_at
    if paid_at is not None and was is not None and not _same_time(paid_at, was):
        fix = (f"orders mark-paid {stored.order_no} --trade-no {stored.gateway_trade_no or 'TRADE_NO'} "
               f"--paid-at \"{_shown_time(paid_at)}\" --yes")
        raise _differs("paid_at", "支付时间", "payment time", _shown_time(was), _shown_time(paid_at),
                       f"; the payment of a paid order never changes by an import. If the desk's time is the one its "
                       f"补单 recorded, correct it to the gateway's: `{fix}`",
                       f"；已支付订单的付款不会因导入而改变。若本店的时间是补单时记下的，可更正为网关的时间：`{fix}`")
    channel = data.get("channel")
    if channel and stored.channel and channel != stored.channel:
        # Refunds go back by the payment's route: a file that names another one is not the same payment.
        raise _differs("channel", "支付方式", "payment channel", stored.channel, channel,
                       "; refunds go back the way the payment came, so an import never changes it",
                       "；退款按付款的原路退回，导入不会改动它")


#: A time given to the minute (no seconds) matches a stored time within that minute.
_MINUTE = 60


def check_identity(data: Mapping[str, Any], stored: StoredOrder) -> None:
    """The file's row must be the stored order: the same created time (to the minute when the
    file gives no seconds), product, quantity, buyer (canonical key; a blank on either side is
    not known and not compared) and amount. The amount of an unpaid order is its list amount;
    a row without a list column gives its amount there, which may also equal the stored amount
    due (an order the desk's coupon lowered). A paid order's amount is compared with its paid
    amount (``_check_paid_facts``) when the row is not an unpaid one.

    Raises RowError "订单号已存在，但…不同" naming the column and both values."""
    created, was = data["created_at"], stored.created_at
    if not _same_time(created, was):
        raise _differs("created_at", "下单时间", "creation time", _shown_time(was), _shown_time(created))
    if data["product_name"] != stored.product_name:
        raise _differs("product", "商品", "product", stored.product_name, data["product_name"])
    if stored.product_type and data["product_type"] != stored.product_type:
        raise _differs("product_type", "商品类型", "product type", stored.product_type, data["product_type"])
    if data["quantity"] != stored.quantity:
        raise _differs("quantity", "数量", "quantity", str(stored.quantity), str(data["quantity"]))
    key = data["buyer_key"]
    if key and stored.buyer_key and key != stored.buyer_key:
        raise _differs("buyer", "买家", "buyer", stored.buyer_key, key)
    if stored.paid_at is None:
        listed, paid = data["list_fen"], data["paid_fen"]
        same_due = not data["coupon_fen"] and listed == paid == stored.paid_fen
        if listed != stored.list_fen and not same_due:
            column = "paid_amount" if listed == paid else "list_amount"
            raise _differs(column, "订单金额（原价）", "list amount", format_yuan(stored.list_fen, symbol=True),
                           format_yuan(listed, symbol=True))
        if paid > stored.list_fen:
            raise _differs("paid_amount", "实付金额（高于原价）", "paid amount (above the list amount)",
                           format_yuan(stored.list_fen, symbol=True), format_yuan(paid, symbol=True))


def _same_time(given: int, stored: int) -> bool:
    """Whether a file's time (epoch seconds) is the stored one: the same second, or the same
    minute when the file gives no seconds."""
    return given == stored or (given % _MINUTE == 0 and given // _MINUTE == stored // _MINUTE)


def _shown_time(epoch: int) -> str:
    moment = from_epoch(epoch)
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def _differs(column: str, zh_name: str, en_name: str, stored: str, given: str, en_tail: str = "",
             zh_tail: str = "") -> RowError:
    return RowError(column, f"订单号已存在，但{zh_name}不同（已记录 {stored}，文件中为 {given}）{zh_tail}：不导入这一行，请核对订单号",
                    f"the order no already exists, but the {en_name} differs (stored {stored}, the file says "
                    f"{given}){en_tail}; the row is not imported: check the order no")
