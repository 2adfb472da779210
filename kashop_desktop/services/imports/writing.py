"""Writing one chunk of checked rows: set-based look-ups, inserts, forward-only updates, events.

The caller opens the transaction around ``ChunkWriter.write``; everything a chunk writes (new
products, buyers, orders, their timeline events) commits or rolls back together. With
``dry_run`` the same checks run and nothing is written (``--all-or-nothing`` after a refusal,
to report every refused row of the file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...domain.clock import to_epoch
from ...domain.contacts import contact_key
from ...domain.money import format_yuan
from ...domain.order import ProductType
from ...domain.states import OrderStatus
from ...store import chain
from ...store.models import Order
from ..bulk import DEFAULTS as _DEFAULTS
from ..bulk import INSERT_SQL as _INSERT_SQL
from ..bulk import order_values as _order_values
from ..buyers import hold_new_orders
from ..codes import release_reserved
from ..common import add_events, event_row, operator_name, release_stock_and_coupon
from ..desk import Desk
from ..orders import deliver_after_payment
from ..trade_nos import TradeNoClaims
from .cells import TRUNCATED_EN, TRUNCATED_ZH, looks_truncated
from .checks import StoredOrder, check_row
from .report import ImportReport, RowProblem
from .rows import RowError

S = OrderStatus
#: Order ids listed in Changes for inserted rows (updated rows are always listed); beyond
#: this the screens learn of new rows through ``counts_changed``.
LIST_INSERTED_IDS = 10_000
_BUYER_CACHE = 100_000
_BUYER_SQL = ("INSERT OR IGNORE INTO buyer (contact, flagged, note, orders_count, cancel_count) "
              "VALUES (?, 0, '', 0, 0)")
_IMPORTED_EVENTS_SQL = (
    "INSERT INTO order_event (order_id, at, actor, operator, action, note, before_status, after_status, data) "
    "SELECT id, ?, ?, ?, 'imported', '', NULL, status, '{}' FROM orders WHERE id > ? ORDER BY id")
_UPDATE_SQL = (
    "UPDATE orders SET status = ?, paid_at = COALESCE(paid_at, ?), delivered_at = COALESCE(delivered_at, ?), "
    "completed_at = COALESCE(completed_at, ?), cancelled_at = COALESCE(cancelled_at, ?), "
    "gateway_trade_no = COALESCE(gateway_trade_no, ?), "
    "code_used = CASE WHEN ? = 'unknown' THEN code_used ELSE ? END, updated_at = ? WHERE id = ?"
)


def _value(data: dict[str, Any], column: str) -> str:
    """The file's value of a column the store's rules refused, from the row's checked dict."""
    if column == "paid_amount":
        return format_yuan(data["paid_fen"])
    value = data.get(column)
    return "" if value is None else str(value)


def _taken(zh: str, en: str, trade_no: str) -> RowError:
    """A trade no another order holds; with the Excel hint when it looks cut to 15 digits."""
    if looks_truncated(trade_no):
        zh, en = f"{zh}；{TRUNCATED_ZH}", f"{en}; {TRUNCATED_EN}"
    return RowError("gateway_trade_no", zh, en)


@dataclass
class Pending:
    """A row that passed the file checks: its number, order dict and warnings."""

    number: int
    data: dict[str, Any]
    warnings: list[tuple[str, str, str]]


class ChunkWriter:
    """Writes chunks of Pending rows for one import, keeping product and buyer ids between chunks."""

    def __init__(self, desk: Desk, report: ImportReport, actor: str) -> None:
        self.desk, self.report, self.actor = desk, report, actor
        self.dry_run = False
        self.products: dict[str, int] = {}
        self._buyers: dict[str, int] = {}  # canonical key -> buyer id
        self._keys: dict[str, str] = {}  # contact as written -> canonical key
        self.reload()

    def reload(self) -> None:
        """Forget ids that a rolled-back transaction may have made."""
        self.products = {str(n): int(i) for n, i in self.desk.db.execute_sql("SELECT name, id FROM product")}
        self._buyers.clear()
        self._keys.clear()

    def write(self, chunk: Sequence[Pending]) -> None:
        """Check each row against the store and write the accepted ones (caller holds the transaction)."""
        stored = self._stored([p.data["order_no"] for p in chunk])
        accepted: list[dict[str, Any]] = []
        new_rows: list[dict[str, Any]] = []
        updates: list[tuple[dict[str, Any], StoredOrder]] = []
        trade_nos = TradeNoClaims([(p.data["gateway_id"], p.data["gateway_trade_no"]) for p in chunk])
        for pending in chunk:
            old = stored.get(pending.data["order_no"])
            data = pending.data
            try:
                moves = check_row(data, old, accepted)
                taken = trade_nos.refusal(data["gateway_id"], data["gateway_trade_no"], old.id if old else None)
                if taken is not None:  # one payment pays for one order
                    raise _taken(taken.zh, taken.en, data["gateway_trade_no"])
            except RowError as exc:
                self.report.refuse(RowProblem(pending.number, exc.column, exc.zh, exc.en, _value(data, exc.column)))
                continue
            trade_nos.claim(data["gateway_id"], data["gateway_trade_no"], data["order_no"])
            accepted.append(pending.data)
            for column, zh, en in pending.warnings:
                self.report.warn(RowProblem(pending.number, column, zh, en))
            if old is None:
                new_rows.append(pending.data)
            elif not moves:
                self.report.unchanged += 1
            else:
                updates.append((pending.data, old))
        if self.dry_run:
            self.report.inserted += len(new_rows)
            self.report.updated += len(updates)
            return
        last_id = self.desk.db.connection().execute("SELECT COALESCE(MAX(id), 0) FROM orders").fetchone()[0]
        self._insert(new_rows)
        self._update(updates)
        self._settle_goods(last_id, [old for _, old in updates])

    def _stored(self, order_nos: list[str]) -> dict[str, StoredOrder]:
        marks = ", ".join("?" * len(order_nos))
        cursor = self.desk.db.execute_sql(
            f"SELECT id, order_no, status, paid_at, paid_fen, gateway_trade_no FROM orders WHERE order_no IN ({marks})",
            order_nos)
        return {row[1]: StoredOrder(*row) for row in cursor}

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        buyers = self._buyer_ids([data["buyer"] for data in rows])
        keys = self._keys
        for data in rows:
            data["product_id"] = self._product(data["product_name"], data["product_type"])
            data["buyer_key"] = keys[data["buyer"]]
            data["buyer_ref_id"] = buyers.get(data["buyer_key"])
        con = self.desk.db.connection()
        last_id = con.execute("SELECT COALESCE(MAX(id), 0) FROM orders").fetchone()[0]
        con.executemany(_INSERT_SQL, [_order_values(_DEFAULTS | data) for data in rows])
        self.report.inserted += len(rows)
        # Inside this transaction nobody else inserts, so the new orders are exactly those above
        # last_id: their 导入 timeline entries are one INSERT ... SELECT, chained in one pass.
        last_event = con.execute("SELECT COALESCE(MAX(id), 0) FROM order_event").fetchone()[0]
        con.execute(_IMPORTED_EVENTS_SQL, (to_epoch(self.desk.now()), self.actor, operator_name(self.desk.db),
                                           last_id))
        chain.seal(con, "order_event", last_event)
        self.report.held += len(hold_new_orders(self.desk, last_id, self.actor))  # a blocked buyer's: for review
        changes = self.report.changes
        changes.counts_changed = True
        room = LIST_INSERTED_IDS - len(changes.order_ids)
        if room > 0:
            changes.order_ids.update(row[0] for row in con.execute(
                "SELECT id FROM orders WHERE id > ? ORDER BY id LIMIT ?", (last_id, room)))

    def _update(self, updates: list[tuple[dict[str, Any], StoredOrder]]) -> None:
        if not updates:
            return
        now = self.desk.now()
        stamp = int(now.timestamp())
        self.desk.db.connection().executemany(_UPDATE_SQL, [
            (d["status"], d["paid_at"], d["delivered_at"], d["completed_at"], d["cancelled_at"],
             d["gateway_trade_no"], d["code_used"], d["code_used"], stamp, old.id) for d, old in updates])
        add_events(event_row(old.id, now, self.actor, "imported_update", "", old.status, d["status"])
                   for d, old in updates)
        self.report.updated += len(updates)
        self.report.changes.order_ids.update(old.id for _, old in updates)
        self.report.changes.counts_changed = True

    def _settle_goods(self, last_id: int, moved: list[StoredOrder]) -> None:
        """Goods follow the import as they follow the desk's own 补单 and cancel: a paid 卡密 order
        the chunk brought in or moved to paid is delivered from stock, or joins the backorder
        queue (缺货待发), in this transaction and at most once (the delivery itself refuses a second
        time); an order the import closed gives back what it had reserved at the desk."""
        con = self.desk.db.connection()
        paid = [row[0] for row in con.execute(
            "SELECT id FROM orders WHERE id > ? AND status = ? AND product_type = ? AND delivered_at IS NULL",
            (last_id, S.PAID.value, ProductType.CARD_CODE.value))]
        moved_ids = [old.id for old in moved if old.status in (S.PENDING_PAYMENT.value, S.CANCELLED.value)]
        for order in Order.select().where(Order.id.in_(moved_ids)) if moved_ids else []:
            if order.status == S.PAID.value and order.delivered_at is None:
                if order.product_type == ProductType.CARD_CODE.value:
                    paid.append(order.id)
            elif order.status == S.CANCELLED.value:  # closed elsewhere: its reservation goes back
                release_stock_and_coupon(order)
                order.save()
            elif order.status != S.PENDING_PAYMENT.value:  # paid and delivered elsewhere: not from here
                release_reserved(order.id)
        for order in Order.select().where(Order.id.in_(paid)) if paid else []:
            deliver_after_payment(self.desk, order, self.actor, self.report.changes)
            if order.delivered_at is not None:
                self.report.delivered += 1
            elif order.backorder_at is not None:
                self.report.backordered += 1
        if self.report.delivered or self.report.backordered:
            self.report.changes.counts_changed = True

    def _product(self, name: str, product_type: str) -> int:
        product_id = self.products.get(name)
        if product_id is None:
            self.desk.db.execute_sql("INSERT OR IGNORE INTO product (name, product_type, price_fen, stock, "
                                     "policy_overrides) VALUES (?, ?, 0, 0, '{}')", (name, product_type))
            row = self.desk.db.execute_sql("SELECT id FROM product WHERE name = ?", (name,)).fetchone()
            product_id = self.products[name] = int(row[0])
        return product_id

    def _buyer_ids(self, contacts: list[str]) -> dict[str, int]:
        """Buyer ids by canonical key for ``contacts`` (as written), creating the buyers not
        yet in the store in order of first sight: one look-up and one insert per 500 keys."""
        keys, ids = self._keys, self._buyers
        if len(keys) >= _BUYER_CACHE:
            keys.clear()
        if len(ids) >= _BUYER_CACHE:
            ids.clear()
        for contact in contacts:
            if contact not in keys:
                keys[contact] = contact_key(contact)
        wanted = list(dict.fromkeys(keys[c] for c in contacts if keys[c] and keys[c] not in ids))
        con = self.desk.db.connection()
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            ids.update(self._buyer_rows(con, part))
            missing = [(key,) for key in part if key not in ids]
            if missing:
                con.executemany(_BUYER_SQL, missing)
                ids.update(self._buyer_rows(con, [key for (key,) in missing]))
        return ids

    @staticmethod
    def _buyer_rows(con: Any, keys: list[str]) -> list[tuple[str, int]]:
        marks = ", ".join("?" * len(keys))
        return [(str(c), int(i)) for c, i in con.execute(f"SELECT contact, id FROM buyer WHERE contact IN ({marks})",
                                                          keys)]
