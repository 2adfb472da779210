"""The facts about an order that the cancel and refund rules need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .money import Fen
from .states import OrderStatus


class ProductType(StrEnum):
    CARD_CODE = "card_code"
    DIRECT_RECHARGE = "direct_recharge"
    PHYSICAL = "physical"

    @property
    def zh(self) -> str:
        return {"card_code": "卡密", "direct_recharge": "直充", "physical": "实物"}[self.value]

    @property
    def en(self) -> str:
        return {"card_code": "Card code", "direct_recharge": "Direct recharge", "physical": "Physical"}[self.value]


class Channel(StrEnum):
    ALIPAY = "alipay"
    WECHAT = "wechat"
    BANK_CARD = "bank_card"
    WALLET = "wallet"
    CASH = "cash"  # paid to the owner in person (a desk sale)
    BANK_TRANSFER = "bank_transfer"  # transferred to the owner's account (a desk sale's manual payment)

    @property
    def zh(self) -> str:
        return {"alipay": "支付宝", "wechat": "微信支付", "bank_card": "银行卡", "wallet": "余额", "cash": "现金",
                "bank_transfer": "银行转账"}[self.value]

    @property
    def en(self) -> str:
        return {"alipay": "Alipay", "wechat": "WeChat Pay", "bank_card": "Bank card", "wallet": "Wallet balance",
                "cash": "Cash", "bank_transfer": "Bank transfer"}[self.value]


#: The channels a gateway account of each built-in kind takes payments in (its refunds go back
#: the same way): the wallet takes wallet balance only, Alipay Alipay, WeChat Pay WeChat, 易支付
#: both. Kinds not named (the sandbox, plugins) take any.
ACCOUNT_CHANNELS: dict[str, frozenset[str]] = {
    "wallet": frozenset({"wallet"}), "alipay": frozenset({"alipay"}), "wechatpay_v3": frozenset({"wechat"}),
    "epay_v1": frozenset({"alipay", "wechat"}), "epay_v2": frozenset({"alipay", "wechat"}),
}


#: Channels of money paid to the owner directly (cash in hand, a transfer into the owner's own
#: account), never through a gateway account: such an order's refund is the owner's, by hand, even
#: when the order was begun with an account (a QR the buyer did not pay; the account is kept so the
#: desk can still close or ask about that trade).
OUTSIDE_CHANNELS: frozenset[str] = frozenset({"cash", "bank_transfer"})


def refund_account(gateway_id: int | None, channel: str | None) -> int | None:
    """The gateway account an order's refund goes back through: its own, unless the money came
    outside every gateway (``OUTSIDE_CHANNELS``): None then (refunded by hand)."""
    return None if channel in OUTSIDE_CHANNELS else gateway_id


class CodeUsed(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class ReasonCode(StrEnum):
    MISTAKEN = "mistaken"
    DUPLICATE = "duplicate"
    WRONG_ITEM = "wrong_item"
    NOT_NEEDED = "not_needed"
    PAYMENT_ISSUE = "payment_issue"
    MERCHANT_FAULT = "merchant_fault"
    OTHER = "other"

    @property
    def zh(self) -> str:
        return REASON_ZH[self]

    @property
    def en(self) -> str:
        return REASON_EN[self]


REASON_ZH = {
    ReasonCode.MISTAKEN: "误拍",
    ReasonCode.DUPLICATE: "重复下单",
    ReasonCode.WRONG_ITEM: "商品/区服错误",
    ReasonCode.NOT_NEEDED: "不需要了",
    ReasonCode.PAYMENT_ISSUE: "支付方式错误",
    ReasonCode.MERCHANT_FAULT: "商家原因(发错货/卡密无效)",
    ReasonCode.OTHER: "其他",
}
REASON_EN = {
    ReasonCode.MISTAKEN: "Ordered by mistake",
    ReasonCode.DUPLICATE: "Duplicate order",
    ReasonCode.WRONG_ITEM: "Wrong item or region",
    ReasonCode.NOT_NEEDED: "No longer needed",
    ReasonCode.PAYMENT_ISSUE: "Wrong payment method",
    ReasonCode.MERCHANT_FAULT: "Merchant fault (wrong or invalid code)",
    ReasonCode.OTHER: "Other",
}


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """A snapshot of one order, as the decision function and refund arithmetic see it."""

    order_no: str
    status: OrderStatus
    product_id: int | None
    product_type: ProductType
    quantity: int
    list_fen: Fen
    coupon_fen: Fen
    points: int
    paid_fen: Fen
    refunded_fen: Fen
    created_at: datetime
    paid_at: datetime | None
    delivered_at: datetime | None
    channel: Channel | None
    code_used: CodeUsed
    buyer: str
    points_refunded: int = 0
    refund_pending_fen: Fen = 0  # approved refunds not final yet (退款中)

    @property
    def refundable_fen(self) -> Fen:
        """What may still be refunded: paid, less confirmed and in-flight refunds; 0 when unpaid."""
        if self.paid_at is None:
            return 0
        return max(0, self.paid_fen - self.refunded_fen - self.refund_pending_fen)


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """A cancel request or dispute as recorded by the owner."""

    reason: ReasonCode
    requested_at: datetime
    amount_fen: Fen | None = None
    note: str = ""
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class BuyerHistory:
    """How often this buyer cancelled recently, and whether the owner flagged them by hand."""

    recent_cancellations: int
    manually_flagged: bool = False
    note: str = ""
