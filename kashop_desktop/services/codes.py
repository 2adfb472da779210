"""The 卡密 inventory: taking codes for a delivery, reserving, listing, lock / unlock / void,
delete with a preview, export, 回库 (return to stock) and voiding an order's code in a dispute.

Codes are sealed (services.codekeys); everything here but export works on tokens and needs no
key. Each operation is one transaction that writes inventory events (``code_event``) and, where an
order is concerned, the order's timeline. States and moves are domain.codes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peewee import JOIN

from ..domain.clock import from_epoch, to_epoch
from ..domain.codes import CodeState, can_delete, check_move, masked, return_check
from ..domain.errors import DomainError
from ..domain.notes import check_notes
from ..domain.order import CodeUsed
from ..domain.roles import Right
from ..domain.states import OrderStatus
from ..store import dialect
from ..store.codes13 import strip_hint
from ..store.models import CardCode, CodeEvent, Order, Product
from .changes import Changes
from .codekeys import check_fit
from .common import OWNER, add_code_events, add_events, event_row, get_order
from .desk import Desk
from .products import get_product, update_low_stock

C = CodeState


@dataclass(frozen=True)
class CodeView:
    """A code as lists show it: masked (``masked``: dots and the last few characters), never clear."""

    id: int
    product_id: int
    product: str
    state: CodeState
    masked: str
    batch: str
    cost_fen: int
    imported_at: datetime | None
    order_no: str | None


def code_event(desk: Desk, product_id: int | None, action: str, *, code_id: int | None = None,
               order_id: int | None = None, actor: str = OWNER, note: str = "", data: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    return {"product_id": product_id, "code_id": code_id, "order_id": order_id, "at": to_epoch(desk.now()),
            "actor": actor, "action": action, "note": note, "data": json.dumps(data or {}, ensure_ascii=False)}


# ---- delivery ----------------------------------------------------------------------------------

def take_codes(desk: Desk, order: Order) -> list[str] | None:
    """Take the order's codes off the shelf, in the caller's (IMMEDIATE) transaction: those it
    reserved first, then the oldest available. Returns their tokens, or None when there are not
    enough (nothing taken). A reusable product (循环卡密) hands out its one code and keeps it."""
    product = Product.get_by_id(order.product_id)
    if product.reusable:
        code = (CardCode.select().where((CardCode.product == product.id) & (CardCode.state == C.AVAILABLE.value))
                .order_by(CardCode.id).first())
        if code is None:
            return None
        _check_fit(desk, [code.sealed])
        return [code.sealed] * order.quantity
    mine = list(CardCode.select().where((CardCode.order_id == order.id) & (CardCode.state == C.RESERVED.value))
                .order_by(CardCode.id).limit(order.quantity))
    more = order.quantity - len(mine)
    if more > 0:
        mine += list(CardCode.select().where((CardCode.product == product.id) & (CardCode.state == C.AVAILABLE.value))
                     .order_by(CardCode.id).limit(more))
    if len(mine) < order.quantity:
        return None
    _check_fit(desk, [c.sealed for c in mine])
    now = to_epoch(desk.now())
    claimed = (CardCode.update(state=C.DELIVERED.value, order_id=order.id, changed_at=now)
               .where(CardCode.id.in_([c.id for c in mine])
                      & (CardCode.state.in_([C.AVAILABLE.value, C.RESERVED.value]))
                      & (CardCode.order_id.is_null() | (CardCode.order_id == order.id)))
               .execute())
    if claimed != order.quantity:  # cannot happen inside one IMMEDIATE transaction; refuse rather than guess
        raise DomainError("out_of_codes", "卡密库存不足，无法发货", "not enough card codes in stock to deliver")
    update_low_stock(desk, product)
    return [c.sealed for c in mine]


def _check_fit(desk: Desk, tokens: list[str]) -> None:
    """Refuse (DomainError code_key_wrong / code_key_missing) to hand out codes the shop's key
    does not open; not checked while the vault is locked (delivery needs no passphrase)."""
    cipher = desk.code_cipher_if_open()
    if cipher is not None:
        check_fit(cipher, tokens)


def codes_available(order: Order) -> bool:
    """Whether the shelf holds the order's codes (its reserved ones count)."""
    product = Product.get_or_none(Product.id == order.product_id)
    if product is None:
        return False
    free = CardCode.select().where(
        (CardCode.product == product.id) & ((CardCode.state == C.AVAILABLE.value)
                                            | ((CardCode.state == C.RESERVED.value) & (CardCode.order_id == order.id))))
    return bool(free.exists()) if product.reusable else free.count() >= order.quantity


def preview_tokens(order: Order) -> list[str]:
    """The tokens ``take_codes`` would take now (for the 发货 confirmation), without taking them."""
    product = Product.get_or_none(Product.id == order.product_id)
    if product is None:
        return []
    query = CardCode.select(CardCode.sealed).where(
        (CardCode.product == product.id) & ((CardCode.state == C.AVAILABLE.value)
                                            | ((CardCode.state == C.RESERVED.value) & (CardCode.order_id == order.id))))
    if product.reusable:
        first = query.order_by(CardCode.id).first()
        return [] if first is None else [first.sealed] * order.quantity
    reserved_first = CardCode.state == C.RESERVED.value
    return [c.sealed for c in query.order_by(reserved_first.desc(), CardCode.id).limit(order.quantity)]


def reserve_codes(desk: Desk, order: Order) -> int:
    """Reserve codes for an unpaid 卡密 order (available -> reserved); returns how many (0 when
    the shelf is short: the order then takes what is there when it is paid)."""
    product = Product.get_or_none(Product.id == order.product_id)
    if product is None or product.reusable:
        return 0
    ids = [c.id for c in CardCode.select(CardCode.id).where(
        (CardCode.product == product.id) & (CardCode.state == C.AVAILABLE.value)).order_by(CardCode.id)
        .limit(order.quantity)]
    if len(ids) < order.quantity:
        return 0
    CardCode.update(state=C.RESERVED.value, order_id=order.id, changed_at=to_epoch(desk.now())).where(
        CardCode.id.in_(ids)).execute()
    update_low_stock(desk, product)
    return len(ids)


def release_reserved(order_id: int) -> int:
    """An unpaid order that will not be paid gives its reserved codes back (reserved -> available)."""
    return int(CardCode.update(state=C.AVAILABLE.value, order_id=None).where(
        (CardCode.order_id == order_id) & (CardCode.state == C.RESERVED.value)).execute())


# ---- listing -----------------------------------------------------------------------------------

def list_codes(desk: Desk, product: str | None = None, state: CodeState | None = None, batch: str | None = None,
               *, limit: int = 500, offset: int = 0) -> list[CodeView]:
    """Codes, oldest first, masked. Raises DomainError(product_not_found)."""
    query = (CardCode.select(CardCode, Product.name, Order.order_no)
             .join(Product, on=(CardCode.product == Product.id))
             .join(Order, join_type=JOIN.LEFT_OUTER, on=(CardCode.order_id == Order.id)))
    if product is not None:
        query = query.where(CardCode.product == get_product(product).id)
    if state is not None:
        query = query.where(CardCode.state == state.value)
    if batch is not None:
        query = query.where(CardCode.batch == batch)
    rows: Any = query.order_by(CardCode.id).limit(limit).offset(offset).objects()
    return [CodeView(c.id, c.product_id, c.name, C(c.state), masked(c.hint), c.batch, c.cost_fen,
                     from_epoch(c.imported_at or None), c.order_no) for c in rows]


def count_codes(desk: Desk, product: str, state: CodeState | None = None, batch: str | None = None) -> int:
    """How many codes ``list_codes`` would show without a limit."""
    query = CardCode.select().where(CardCode.product == get_product(product).id)
    if state is not None:
        query = query.where(CardCode.state == state.value)
    if batch is not None:
        query = query.where(CardCode.batch == batch)
    return int(query.count())


def code_batches(product: str) -> list[str]:
    rows = CardCode.select(CardCode.batch).where(CardCode.product == get_product(product).id).distinct()
    return sorted({c.batch for c in rows if c.batch})


# ---- lock / unlock / void / delete --------------------------------------------------------------

def _load(ids: list[int]) -> list[CardCode]:
    found = {c.id: c for c in CardCode.select().where(CardCode.id.in_(ids))}
    missing = [i for i in ids if i not in found]
    if missing:
        listed = ", ".join(map(str, missing[:10]))
        raise DomainError("code_not_found", f"找不到卡密：{listed}", f"no such card code: {listed}")
    return [found[i] for i in dict.fromkeys(ids)]


def move_codes(desk: Desk, ids: list[int], target: CodeState, *, note: str = "", actor: str = OWNER) -> Changes:
    """Lock, unlock or void codes, all or none. Raises DomainError code_not_found / code_state
    (naming the first code that cannot move)."""
    desk.require(Right.STOCK)
    check_notes(note)
    with desk.atomic():
        codes = _load(ids)
        for code in codes:
            try:
                check_move(C(code.state), target)
            except DomainError as exc:
                raise DomainError(exc.code, f"卡密 {code.id}：{exc.zh}", f"code {code.id}: {exc.en}") from exc
        now = to_epoch(desk.now())
        CardCode.update(state=target.value, changed_at=now).where(CardCode.id.in_([c.id for c in codes])).execute()
        action = {C.LOCKED: "lock", C.AVAILABLE: "unlock", C.VOID: "void"}[target]
        add_code_events([code_event(desk, c.product_id, action, code_id=c.id, order_id=c.order_id, actor=actor,
                                    note=note, data={"from": c.state}) for c in codes])
        products = {c.product_id for c in codes}
        changes = Changes(product_ids=products, code_ids={c.id for c in codes})
        for pid in products:
            update_low_stock(desk, Product.get_by_id(pid))
            if target is C.AVAILABLE:
                _fill(desk, pid, changes)
    return changes


def _fill(desk: Desk, product_id: int, changes: Changes) -> None:
    """Codes back on the shelf go to the product's backorders first, oldest first."""
    from .code_import import fill_backorders

    fill_backorders(desk, product_id, changes)


def ever_delivered(codes: list[CardCode]) -> set[int]:
    """Ids of the codes that went to a buyer at some time: delivered, or voided in a dispute
    (they keep their order), or returned to stock (回库) since, or a reusable product's (循环卡密)
    code handed to any order (it stays on the shelf with no order: ``delivered_reusable``)."""
    ids = {c.id for c in codes if c.order_id is not None and C(c.state) is not C.RESERVED}
    ids |= {c.id for c in codes if C(c.state) is C.DELIVERED}
    rest = [c.id for c in codes if c.id not in ids]
    for start in range(0, len(rest), 900):
        ids |= {e.code_id for e in CodeEvent.select(CodeEvent.code_id).where(
            CodeEvent.code_id.in_(rest[start:start + 900]) & (CodeEvent.action == "return")) if e.code_id is not None}
    ids |= delivered_reusable([c for c in codes if c.id not in ids])
    return ids


def reusable_order_tokens(product_ids: set[int] | None = None) -> set[str]:
    """The distinct sealed tokens delivered to orders of reusable products (循环卡密; all of
    them, or of ``product_ids``), one token a line of ``orders.card_code``. A reusable code is
    handed to every buyer as its own token, so these are few (one per code handed out; orders
    sealed by schema 6 from clear text hold a token of their own)."""
    query = (Order.select(Order.card_code).distinct()
             .join(Product, on=(Order.product == Product.id))
             .where((Product.reusable == True) & Order.card_code.is_null(False)  # noqa: E712
                    & (Order.card_code != "")))
    if product_ids is not None:
        query = query.where(Product.id.in_(sorted(product_ids)))
    tokens: set[str] = set()
    for row in query:
        tokens.update(line.strip() for line in str(row.card_code).splitlines() if line.strip())
    return tokens


def delivered_reusable(codes: list[CardCode]) -> set[int]:
    """Ids of reusable products' codes (循环卡密) that an order was delivered: delivery leaves such
    a code available and without an order, so the orders' delivered codes (``orders.card_code``,
    the code's own token, hint aside) are the record; stores delivered before this rule are read
    the same way. Needs no key."""
    candidates = [c for c in codes if c.order_id is None]
    if not candidates:
        return set()
    reusable = {p.id for p in Product.select(Product.id).where(
        Product.id.in_(sorted({c.product_id for c in candidates})) & (Product.reusable == True))}  # noqa: E712
    candidates = [c for c in candidates if c.product_id in reusable]
    if not candidates:
        return set()
    handed = {strip_hint(t) for t in reusable_order_tokens(reusable)}
    return {c.id for c in candidates if strip_hint(c.sealed) in handed}


@dataclass(frozen=True)
class DeletePreview:
    """What deleting these codes would do: ``deletable`` ids by product, ``refused`` (id, state)
    for codes that went to or are held for a buyer (``sold``: the refused ids a buyer held at
    some time, kept for ever so they are never imported and sold again), and each product's stock
    before and after (``low_after``: the low-stock warning would be raised)."""

    deletable: list[int]
    refused: list[tuple[int, CodeState]]
    stock: dict[str, tuple[int, int]]
    low_after: list[str]
    sold: list[int] = field(default_factory=list)


def delete_preview(desk: Desk, ids: list[int]) -> DeletePreview:
    codes = _load(ids)
    sold = ever_delivered(codes)
    deletable = [c for c in codes if can_delete(C(c.state), ever_delivered=c.id in sold)]
    refused = [(c.id, C(c.state)) for c in codes if not can_delete(C(c.state), ever_delivered=c.id in sold)]
    stock: dict[str, tuple[int, int]] = {}
    low: list[str] = []
    for pid in {c.product_id for c in deletable}:
        product = Product.get_by_id(pid)
        before = CardCode.select().where((CardCode.product == pid) & (CardCode.state == C.AVAILABLE.value)).count()
        after = before - sum(1 for c in deletable if c.product_id == pid and c.state == C.AVAILABLE.value)
        stock[product.name] = (before, after)
        if product.low_stock_threshold > 0 and after <= product.low_stock_threshold < before:
            low.append(product.name)
    return DeletePreview([c.id for c in deletable], refused, stock, sorted(low), sorted(sold))


def sold_refusal(code_id: int) -> DomainError:
    """DomainError(code_sold): a code a buyer held (a reusable one too) is never deleted."""
    return DomainError("code_sold", f"卡密 {code_id} 曾发给买家（循环卡密发出一次也算），永远不能删除（保留它，才能拒绝再次导入同一卡密）；"
                       "不想再卖它，请锁定或作废它（codes lock / codes void）",
                       f"code {code_id} went to a buyer (a reusable code handed out once counts); it can never be "
                       "deleted (kept so the same code is refused if imported again); to stop selling it, lock or "
                       "void it (codes lock / codes void)")


def delete_codes(desk: Desk, ids: list[int], *, confirmed: bool, actor: str = OWNER) -> Changes:
    """Delete codes after the owner saw ``delete_preview``; all or none. Raises DomainError
    confirmation_required, code_not_found, code_state (a delivered or reserved code)."""
    desk.require(Right.STOCK)
    if not confirmed:
        raise DomainError("confirmation_required", "删除卡密需要确认（--yes）", "deleting codes needs a confirmation (--yes)")
    with desk.atomic():
        preview = delete_preview(desk, ids)
        if preview.refused:
            code_id, state = preview.refused[0]
            if code_id in preview.sold:
                raise sold_refusal(code_id)
            raise DomainError("code_state", f"卡密 {code_id} {state.zh}，不能删除", f"code {code_id} is {state.en}; it cannot be deleted")
        codes = _load(ids)
        if not dialect.on_server(desk.db):
            # SQLite: overwrite the freed pages, so the file keeps no trace of the sealed codes. A
            # server has no such switch (PRAGMA is SQLite's); its dead rows hold only the AES-GCM
            # sealed text until VACUUM reclaims them.
            desk.db.execute_sql("PRAGMA secure_delete = 1")
        CardCode.delete().where(CardCode.id.in_(preview.deletable)).execute()
        add_code_events([code_event(desk, c.product_id, "delete", code_id=c.id, actor=actor, data={"state": c.state})
                         for c in codes])
        products = {c.product_id for c in codes}
        for pid in products:
            update_low_stock(desk, Product.get_by_id(pid))
    return Changes(product_ids=products, code_ids=set(preview.deletable))


# ---- 回库 and disputes ---------------------------------------------------------------------------

def _order_codes(order: Order, state: CodeState) -> list[CardCode]:
    return list(CardCode.select().where((CardCode.order_id == order.id) & (CardCode.state == state.value)))


def return_codes(desk: Desk, order_no: str, *, unused: bool, note: str, actor: str = OWNER) -> Changes:
    """回库: the codes an order was delivered go back on the shelf, only for a refunded or
    cancelled order and only when the owner confirms the buyer never used them. Written to the
    order's timeline and the inventory's. Raises DomainError unused_not_confirmed, note_required,
    not_refunded, no_code (codes not taken from the stock, or already returned or voided)."""
    desk.require(Right.ORDERS)
    check_notes(note)
    with desk.atomic():
        order = get_order(order_no)
        refusal = return_check(C.DELIVERED, unused, note)
        if refusal is not None:
            raise refusal
        if order.status not in (OrderStatus.REFUNDED.value, OrderStatus.CANCELLED.value):
            raise DomainError("not_refunded", "订单还未退款：先退款，再让卡密回库（否则买家手里的卡密会被再次卖出）",
                              "the order is not refunded: refund first, then return its code (else a code the "
                              "buyer holds would be sold again)")
        codes = _order_codes(order, C.DELIVERED)
        if not codes:
            raise DomainError("no_code", "该订单没有可回库的卡密（不是从库存发出，或已回库 / 作废）",
                              "this order has no code to return (not taken from the stock, or already returned or void)")
        now = desk.now()
        CardCode.update(state=C.AVAILABLE.value, order_id=None, changed_at=to_epoch(now)).where(
            CardCode.id.in_([c.id for c in codes])).execute()
        Order.update(code_used=CodeUsed.NO.value, updated_at=to_epoch(now)).where(Order.id == order.id).execute()
        add_events([event_row(order.id, now, actor, "code_returned", note, data={"codes": len(codes)})])
        add_code_events([code_event(desk, c.product_id, "return", code_id=c.id, order_id=order.id, actor=actor,
                                    note=note) for c in codes])
        update_low_stock(desk, Product.get_by_id(codes[0].product_id))
        changes = Changes(order_ids={order.id}, product_ids={codes[0].product_id}, code_ids={c.id for c in codes})
        _fill(desk, codes[0].product_id, changes)
    return changes


def void_order_codes(desk: Desk, order_no: str, *, note: str = "", actor: str = OWNER,
                     units: int | None = None) -> Changes:
    """作废 the codes delivered to an order before refunding it (a dispute over an unused code):
    the code can then never be used or sold. ``units``: void only that many (the units a partial
    refund pays back; None: all). Raises DomainError code_used (the owner recorded it as used),
    no_code."""
    desk.require(Right.REQUESTS)
    check_notes(note)
    with desk.atomic():
        order = get_order(order_no)
        if order.code_used == CodeUsed.YES.value:
            raise DomainError("code_used", "卡密已被使用，作废已无意义", "the code was used; voiding it changes nothing")
        codes = sorted(_order_codes(order, C.DELIVERED), key=lambda c: c.id)[:units]
        if not codes:
            raise DomainError("no_code", "该订单没有可作废的卡密（不是从库存发出，或已作废）",
                              "this order has no code to void (not taken from the stock, or already void)")
        now = desk.now()
        CardCode.update(state=C.VOID.value, changed_at=to_epoch(now)).where(
            CardCode.id.in_([c.id for c in codes])).execute()
        add_events([event_row(order.id, now, actor, "code_void", note, data={"codes": len(codes)})])
        add_code_events([code_event(desk, c.product_id, "void", code_id=c.id, order_id=order.id, actor=actor,
                                    note=note) for c in codes])
    return Changes(order_ids={order.id}, code_ids={c.id for c in codes})


def voidable(order_no: str) -> bool:
    """Whether the order's delivered codes can be voided now (for the dispute dialog)."""
    order = get_order(order_no)
    return order.code_used != CodeUsed.YES.value and bool(_order_codes(order, C.DELIVERED))
