"""What goes to the buyer: the preview before 发货, completing an order, and revealing a 卡密.

``deliver_preview`` names the codes that ``orders.deliver`` will take (the same query, in the
same order) and who they go to, so the owner confirms before anything leaves the shelf.
``reveal_code`` hands out a delivered 卡密 in the clear and writes a timeline event saying who
saw it and when: a code is as good as money, and a buyer who says it never arrived is the
usual dispute.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import DomainError
from ..domain.order import ProductType
from ..domain.roles import Right
from ..domain.states import OrderStatus, can_transition
from .changes import Changes
from .codes import preview_tokens
from .common import OWNER, add_events, event_row, get_order
from .desk import Desk
from .orders import complete, deliver_check
from .views import mask_code

S = OrderStatus


@dataclass(frozen=True)
class DeliverPreview:
    """What 发货 will do: ``codes`` are the masked 卡密 that will go (card-code products only),
    in the order ``orders.deliver`` takes them; ``refusal`` says why it cannot, or is None."""

    order_no: str
    buyer: str
    product: str
    product_type: ProductType
    quantity: int
    codes: list[str]
    refusal: DomainError | None


def deliver_preview(desk: Desk, order_no: str) -> DeliverPreview:
    """Raises DomainError(order_not_found) for an unknown order no."""
    order = get_order(order_no)
    refusal = deliver_check(desk, order_no)
    codes: list[str] = []
    if refusal is None and order.product_type == ProductType.CARD_CODE.value:
        codes = [mask_code(token) for token in preview_tokens(order)]
    return DeliverPreview(order.order_no, order.buyer, order.product_name, ProductType(order.product_type),
                          order.quantity, codes, refusal)


def complete_check(desk: Desk, order_no: str) -> DomainError | None:
    """Why the order cannot be marked completed (确认完成) now, or None when it can."""
    order = get_order(order_no)
    status = S(order.status)
    if can_transition(status, S.COMPLETED, delivered=order.delivered_at is not None):
        return None
    return DomainError("not_completable", f"「{status.zh}」的订单不能标记为完成，只有已发货的订单可以",
                       f"an order that is '{status.en}' cannot be completed; only delivered orders can")


def complete_order(desk: Desk, order_no: str, *, actor: str = OWNER) -> Changes:
    """Mark a delivered order completed; a refusal raises the same DomainError as ``complete_check``."""
    desk.require(Right.ORDERS)
    refusal = complete_check(desk, order_no)
    if refusal is not None:
        raise refusal
    return complete(desk, order_no, actor=actor)


#: How the owner took a delivered code in the clear, as its timeline entry's action.
CODE_ACCESS = frozenset({"reveal_code", "copy_code"})


def reveal_code(desk: Desk, order_no: str, *, actor: str = OWNER, action: str = "reveal_code") -> tuple[Changes, str]:
    """What changed (the order's timeline) and the delivered code in the clear (one line per
    unit), logged as a ``reveal_code`` event (``copy_code`` when it is taken to the clipboard
    to send to the buyer: ``copy_code``) saying who saw it and when.

    Raises DomainError(no_code) when the order has no delivered 卡密, and the key's errors
    (VaultLocked: the passphrase is needed; code_key_missing / code_key_wrong).
    """
    if action not in CODE_ACCESS:
        raise ValueError(f"not a code access: {action!r}")
    desk.require(Right.REVEAL_CODE)
    cipher = desk.code_cipher()
    with desk.atomic():
        order = get_order(order_no)
        if not order.card_code or order.delivered_at is None:
            raise DomainError("no_code", "该订单没有已发出的卡密", "this order has no delivered card code")
        clear = "\n".join(cipher.open(token) for token in str(order.card_code).splitlines())
        add_events([event_row(order.id, desk.now(), actor, action, "",
                              data={"codes": len(order.card_code.splitlines())})])
        return Changes(order_ids={order.id}), clear


def copy_code(desk: Desk, order_no: str, *, actor: str = OWNER) -> tuple[Changes, str]:
    """``reveal_code`` for a copy to the clipboard: the timeline says ``copy_code`` (复制卡密),
    who and when, each time it is copied."""
    return reveal_code(desk, order_no, actor=actor, action="copy_code")
