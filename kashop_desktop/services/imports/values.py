"""What a cell of each column with a fixed set of values reads as: status, product type, quantity,
payment channel, 卡密已使用. Each reader takes a cell (``cells.Cell``) and returns the value in
the store's terms, or raises ``CellError`` in Chinese and English."""

from __future__ import annotations

from functools import lru_cache

from ...domain.errors import DomainError
from ...domain.order import Channel, CodeUsed, ProductType
from ...domain.states import OrderStatus, parse_status
from .cells import Cell, CellError, clean_text, read_count

TYPE_ALIASES = {"卡密": "card_code", "直充": "direct_recharge", "实物": "physical",
                **{t.en.lower(): t.value for t in ProductType}}
CHANNEL_ALIASES = {"支付宝": "alipay", "支付宝支付": "alipay", "微信": "wechat", "微信支付": "wechat", "银行卡": "bank_card",
                   "余额": "wallet", "余额支付": "wallet", "钱包": "wallet", "现金": "cash", "银行转账": "bank_transfer",
                   **{c.en.lower(): c.value for c in Channel}}
#: Gateways, not channels: a file that names one in 支付方式 is told where it goes.
_GATEWAY_NAMES = frozenset({"易支付", "彩虹易支付", "码支付", "epay"})
USED_ALIASES = {"是": "yes", "否": "no", "未知": "unknown", "": "unknown", "y": "yes", "n": "no", "true": "yes",
                "false": "no", "1": "yes", "0": "no"}
_PRODUCT_TYPES = frozenset(t.value for t in ProductType)
_CHANNELS = frozenset(c.value for c in Channel)
_USED = frozenset(c.value for c in CodeUsed)


def read_status(value: Cell) -> OrderStatus | None:
    text = clean_text(value)
    return _status_of(text) if text else None


#: Not an order status but a refund's state: a file cannot bring a refund still in flight.
_IN_FLIGHT = frozenset({"退款中", "refunding", "refund_pending", "退款处理中"})


@lru_cache(maxsize=256)
def _status_of(text: str) -> OrderStatus:
    if text.lower() in _IN_FLIGHT:
        raise CellError("「退款中」是一笔尚未完成的退款，导入无法接手旧系统里进行中的退款（本店无法得知其结果）；"
                        "请等它在旧系统里完成，再以「部分退款」或「已退款」并填写「退款金额」列导入（失败则按原状态导入）",
                        "退款中 (refunding) is a refund still in flight; an import cannot take over a refund running "
                        "in the old system (the desk cannot learn its outcome). Wait until it finishes there, then "
                        "import the row as 部分退款 or 已退款 with the refunded_amount (退款金额) column (or with "
                        "its earlier status if the refund failed)")
    try:
        return parse_status(text)
    except DomainError as exc:
        raise CellError(exc.zh, exc.en) from None


def read_product_type(value: Cell) -> str:
    text = clean_text(value)
    code = TYPE_ALIASES.get(text) or TYPE_ALIASES.get(text.lower(), text.lower())
    if text and code not in _PRODUCT_TYPES:
        raise CellError(f"未知商品类型：{text}", f"unknown product type: {text}")
    return code


def read_quantity(value: Cell) -> int | None:
    return read_count(value, low=1, high=10_000)


def read_channel(value: Cell) -> str | None:
    text = clean_text(value)
    code = CHANNEL_ALIASES.get(text) or CHANNEL_ALIASES.get(text.lower(), text.lower())
    if code and code not in _CHANNELS:
        known = "、".join(name for name, c in CHANNEL_ALIASES.items() if not name.isascii())
        if text.lower() in _GATEWAY_NAMES:
            raise CellError(f"「{text}」是网关，不是支付方式：支付方式请写买家用的（{known}），网关名写在「网关」列",
                            f"'{text}' is a gateway, not a payment channel: write the channel the buyer paid by "
                            f"({', '.join(c.value for c in Channel)}) and the gateway in the gateway (网关) column")
        raise CellError(f"未知支付方式：{text}（可用：{known}）",
                        f"unknown payment channel: {text} (use one of: {', '.join(c.value for c in Channel)}, or "
                        f"its Chinese name)")
    return code or None


def read_code_used(value: Cell) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = clean_text(value).lower()
    code = USED_ALIASES.get(text, text)
    if code not in _USED:
        raise CellError(f"卡密已使用应为 是/否/未知：{text}", f"code_used must be yes/no/unknown: {text}")
    return code
