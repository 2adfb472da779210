"""Writing one chunk of checked rows: set-based look-ups, inserts, forward-only updates, events.

The caller opens the transaction around ``ChunkWriter.write``; everything a chunk writes (new
products, buyers, orders, their timeline events) commits or rolls back together. With
``dry_run`` the same checks run and nothing is written (``--all-or-nothing`` after a refusal,
to report every refused row of the file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, overload

from ...domain.clock import from_epoch, to_epoch
from ...domain.codes import CodeState
from ...domain.money import format_yuan
from ...domain.order import ACCOUNT_CHANNELS, Channel, ProductType
from ...domain.refund_states import OutsideMethod, RefundStatus
from ...domain.states import OrderStatus
from ...store.models import Order
from ..bulk import DEFAULTS
from ..buyers import HOLDABLE, hold_new_orders
from ..codes import release_reserved
from ..common import add_events, event_row, operator_name, refund_sums, release_stock_and_coupon
from ..desk import Desk
from ..gateways import BUILTIN_ACCOUNTS
from ..orders import deliver_after_payment
from ..trade_nos import TradeNoClaims
from .cells import TRUNCATED_EN, TRUNCATED_ZH, looks_truncated
from .checks import (
    StoredOrder,
    check_row,
    closed_unpaid_there,
    delivered_twice,
    delivery_not_held,
    matched_by_recorded,
    recorded_beyond,
)
from .events import ImportedEntries, amount_data
from .report import KEEP_MESSAGES, ImportReport, RowProblem
from .rows import KEPT_MONEY_ZH, RowError
from .stream import AT, CONSTANT_COLUMNS, LOOKED_UP_COLUMNS, ROW_COLUMNS, CheckedChunk, RowView, as_dict

S = OrderStatus
#: Order ids listed in Changes for inserted rows (updated rows are always listed); beyond
#: this the screens learn of new rows through ``counts_changed``.
LIST_INSERTED_IDS = 10_000
#: Buyer ids remembered per import (``ChunkWriter._buyer_ids``); forgotten all at once when full.
_BUYER_CACHE = 100_000
_ORDER_NO, _GATEWAY_ID, _TRADE_NO, _CHANNEL = AT["order_no"], AT["gateway_id"], AT["gateway_trade_no"], AT["channel"]
_PAID_AT = AT["paid_at"]
#: A row paid in a channel its gateway account does not take (``domain.order.ACCOUNT_CHANNELS``)
#: names a route its refund cannot take (a WeChat payment refunded into the shop's wallet).
#: A gateway account whose kind fixes its channels: (its name, those channels).
Route = tuple[str, frozenset[str]]
#: The columns of ``checks.StoredOrder``, in its field order.
_STORED_COLUMNS = ("id, order_no, status, paid_at, paid_fen, gateway_trade_no, created_at, product_name, quantity, "
                   "COALESCE(buyer_key, ''), list_fen, product_type, channel, gateway_id, COALESCE(refunded_fen, 0), "
                   "delivered_at IS NOT NULL, delivered_at")


def _constant(column: str) -> str:
    """The SQL constant an import writes in ``column`` (``stream.CONSTANT_COLUMNS``)."""
    value = DEFAULTS[column]
    assert value is None or type(value) is int
    return "NULL" if value is None else str(value)


#: A checked row is bound as it is (``ROW_COLUMNS``), followed by its product's and buyer's ids
#: (``LOOKED_UP_COLUMNS``, found by ``ChunkWriter``); the columns an import never sets are constants.
_INSERT_SQL = (f"INSERT INTO orders ({', '.join((*ROW_COLUMNS, *LOOKED_UP_COLUMNS, *CONSTANT_COLUMNS))}) "
               f"VALUES ({', '.join(['?'] * (len(ROW_COLUMNS) + len(LOOKED_UP_COLUMNS)) + [_constant(c) for c in CONSTANT_COLUMNS])})")
_BUYER_SQL = ("INSERT INTO buyer (contact, flagged, note, orders_count, cancel_count) "
              "VALUES (?, 0, '', 0, 0) ON CONFLICT DO NOTHING")
#: The orders a chunk inserted (above the id before it), with what their 导入 entries record:
#: the status, the amount (fen) each was imported with and what the older system had refunded of
#: it (fen), for check and the refund send (services.state_check).
_INSERTED_SQL = ("SELECT id, status, COALESCE(paid_fen, 0), COALESCE(refunded_fen, 0) FROM orders "
                 "WHERE id > ? ORDER BY id")
#: A row that moves an unpaid order to paid brings the payment: the money received (the file's
#: paid amount) and the route it came by. SET terms read the row as it was, so ``paid_at IS
#: NULL`` means "not paid before this"; ``:paying`` is 1 for a row with a payment time. An
#: unpaid order's channel, account and trade no are only what the buyer picked or a payment
#: begun: a row that pays it by another channel, account (one the shop has not, too) or trade no
#: (``:route`` 1) brings its trade no (none where it gives none) and its channel (the stored one
#: where it gives none), and its account where it names one or another channel (``:account`` 1:
#: none for an account the shop has not), or a refund would go back by a route the money never
#: took. Otherwise what the store holds stays and the file fills what it lacks.
_UPDATE_SQL = (
    "UPDATE orders SET status = :status, "
    "paid_fen = CASE WHEN paid_at IS NULL AND :paying = 1 THEN :paid_fen ELSE paid_fen END, "
    "paid_at = COALESCE(paid_at, :paid_at), delivered_at = COALESCE(delivered_at, :delivered_at), "
    "completed_at = COALESCE(completed_at, :completed_at), cancelled_at = COALESCE(cancelled_at, :cancelled_at), "
    "gateway_trade_no = CASE WHEN paid_at IS NULL AND :route = 1 THEN :trade_no "
    "ELSE COALESCE(gateway_trade_no, :trade_no) END, "
    "gateway_id = CASE WHEN paid_at IS NULL AND :account = 1 THEN :gateway_id ELSE COALESCE(gateway_id, :gateway_id) END, "
    "channel = CASE WHEN paid_at IS NULL AND :route = 1 THEN COALESCE(:channel, channel) ELSE COALESCE(channel, :channel) END, "
    "code_used = CASE WHEN :code_used = 'unknown' THEN code_used ELSE :code_used END, updated_at = :stamp "
    "WHERE id = :id"
)


#: A row that moves a stored order: the row, the order as stored, and whether the row names a
#: gateway account the shop does not have (its ``gateway_id`` is then None, though a route was given).
_Update = tuple[tuple[Any, ...], StoredOrder, bool]


def _value(data: Mapping[str, Any], column: str) -> str:
    """The file's value of a column the store's rules refused, from the row's checked dict."""
    if column == "paid_amount":
        return format_yuan(data["paid_fen"])
    if column == "list_amount":
        return format_yuan(data["list_fen"])
    if column == "product":
        column = "product_name"
    elif column == "created_at":
        moment = from_epoch(data["created_at"])
        return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""
    value = data.get(column)
    return "" if value is None else str(value)


def _names_unknown_gateway(found: Sequence[tuple[str, str, str]]) -> bool:
    """Whether a row's warnings say it names a gateway account the shop does not have."""
    return any(column == "gateway" for column, _, _ in found)


def _taken(zh: str, en: str, trade_no: str) -> RowError:
    """A trade no another order holds; with the Excel hint when it looks cut to 15 digits."""
    if looks_truncated(trade_no):
        zh, en = f"{zh}；{TRUNCATED_ZH}", f"{en}; {TRUNCATED_EN}"
    return RowError("gateway_trade_no", zh, en)


def _wrong_route(channel: str, account: str, channels: frozenset[str], where: tuple[str, str] = ("", "")) -> RowError:
    """A row paid in ``channel`` through gateway account ``account``, which takes ``channels`` only;
    ``where`` (zh, en) says which of the two the desk holds rather than the row gives."""
    given, taken = Channel(channel), [Channel(c) for c in sorted(channels)]
    return RowError(
        "channel",
        f"支付方式为「{given.zh}」，但网关账户「{account}」只收{'、'.join(c.zh for c in taken)}的款{where[0]}：退款会经这个账户原路退回，"
        "会退错地方。请核对支付方式列或网关列",
        f"the payment channel is {given.en}, but gateway account '{account}' takes "
        f"{' and '.join(c.en for c in taken)} payments only{where[1]}: the refund would go back through that account, to the "
        "wrong place. Check the channel and gateway columns")


def accounts_routes(desk: Desk, accounts: Mapping[str, int]) -> dict[int, Route]:
    """``ChunkWriter.routes`` for an import naming the gateway ``accounts`` (name -> id, as the
    checked rows carry them; a dry run's stand-ins for the accounts every shop has included)."""
    kinds = {str(name): str(kind) for name, kind in desk.db.execute_sql("SELECT name, kind FROM gateway_account")}
    kinds.setdefault(BUILTIN_ACCOUNTS[0], "wallet")
    return {account_id: (name, ACCOUNT_CHANNELS[kinds[name]]) for name, account_id in accounts.items()
            if kinds.get(name) in ACCOUNT_CHANNELS}


class ChunkWriter:
    """Writes the checked chunks of one import, keeping product ids and known buyers between chunks."""

    def __init__(self, desk: Desk, report: ImportReport, actor: str, routes: Mapping[int, Route] | None = None, *,
                 desk_export: bool = False) -> None:
        self.desk, self.report, self.actor = desk, report, actor
        #: The file is the desk's own export (``stream.Opened.desk_export``).
        self.desk_export = desk_export
        #: Gateway account id -> (name, channels) for the accounts whose kind fixes the channels
        #: (``ACCOUNT_CHANNELS``; ``accounts_routes``).
        self.routes = dict(routes or {})
        self.dry_run = False
        #: Order ids already listed in the import's Changes when ``report.changes`` holds one chunk's alone.
        self.listed_before = 0
        self.products: dict[str, int] = {}
        #: Canonical buyer key -> buyer id, for the keys this import has met (buyers are never
        #: deleted; ``reload`` forgets them after a rollback).
        self._buyer_ids: dict[str, int] = {}
        self._dry_goods: DryGoods | None = None
        self.reload()

    def reload(self) -> None:
        """Forget ids that a rolled-back transaction may have made."""
        self.products = {str(n): int(i) for n, i in self.desk.db.execute_sql("SELECT name, id FROM product")}
        self._buyer_ids.clear()

    def write(self, chunk: CheckedChunk) -> None:
        """Check each row against the store and write the accepted ones (caller holds the transaction)."""
        rows = chunk.rows
        stored = self._stored([row[_ORDER_NO] for row in rows])
        trade_nos = TradeNoClaims([(row[_GATEWAY_ID], row[_TRADE_NO]) for row in rows])
        warnings = _by_row(chunk.warnings)
        updates: list[_Update] = []
        clashes = self._route_clashes(rows)
        if not stored and trade_nos.clear and not clashes:
            # Every row is a new order (check_row accepts it) and no trade no of the chunk is held
            # or given twice: nothing can be refused here, so no row needs looking at one by one.
            for index, found in warnings.items():
                for column, zh, en in found:
                    self._warn(chunk.numbers[index], column, zh, en, rows[index])
            new_rows = rows
        else:
            new_rows, updates = self._sort(chunk, stored, trade_nos, warnings, clashes)
        if self.dry_run:
            self.report.inserted += len(new_rows)
            self.report.updated += len(updates)
            if self._dry_goods is None:
                self._dry_goods = DryGoods(self.desk)
            self._dry_goods.count(new_rows, [(row, old) for row, old, _ in updates], self.report)
            return
        last_id = self.desk.db.connection().execute(_LAST_ID_SQL).fetchone()[0]
        self._insert(new_rows, last_id)
        self._update(updates)
        self._settle_goods(last_id, [old for _, old, _ in updates])

    def _route_clashes(self, rows: Sequence[tuple[Any, ...]]) -> dict[int, RowError]:
        """The rows (by index) paid in a channel their gateway account does not take, each with its refusal."""
        routes = self.routes
        if not routes:
            return {}
        found: dict[int, RowError] = {}
        for index, row in enumerate(rows):
            route = routes.get(row[_GATEWAY_ID])
            if route is not None and row[_CHANNEL] and row[_CHANNEL] not in route[1]:
                found[index] = _wrong_route(row[_CHANNEL], *route)
        return found

    def _check_paying_route(self, row: tuple[Any, ...], old: StoredOrder, unknown_gateway: bool) -> None:
        """A row paying an order the desk holds unpaid takes the account it names (none for a name
        the shop has no account of; the stored one when it names none) and its channel (or keeps
        the stored one): refused (RowError) when that channel is not one the account takes, as a
        new row's is (``_route_clashes``)."""
        named = row[_GATEWAY_ID] is not None or unknown_gateway
        account = row[_GATEWAY_ID] if named else old.gateway_id
        route = self.routes.get(account) if account is not None else None
        channel = row[_CHANNEL] or old.channel
        if route is not None and channel and channel not in route[1]:
            held = [zh_en for zh_en, from_store in ((("支付方式", "channel"), not row[_CHANNEL]),
                                                    (("网关", "gateway"), not named)) if from_store]
            where = ("", "") if not held else (
                f"（文件未写{'、'.join(h[0] for h in held)}，按本店已记录的）",
                f" (the file gives no {' or '.join(h[1] for h in held)}: the desk's own record is used)")
            raise _wrong_route(channel, *route, where)

    def _sort(self, chunk: CheckedChunk, stored: dict[str, StoredOrder], trade_nos: TradeNoClaims,
              warnings: dict[int, list[tuple[str, str, str]]],
              clashes: Mapping[int, RowError] | None = None) -> tuple[list[tuple[Any, ...]], list[_Update]]:
        """Each row checked against the store in turn: refused (reported), new, an update of the
        stored order it names, or unchanged (counted). Returns (new rows, updates)."""
        accepted: list[tuple[Any, ...]] = []
        new_rows: list[tuple[Any, ...]] = []
        updates: list[_Update] = []
        clear = trade_nos.clear
        seen = _AcceptedRows(accepted)
        for index, row in enumerate(chunk.rows):
            old = stored.get(row[_ORDER_NO]) if stored else None
            try:
                if clashes and index in clashes:
                    raise clashes[index]
                if old is not None and old.paid_at is None and row[_PAID_AT] is not None:
                    self._check_paying_route(row, old, _names_unknown_gateway(warnings.get(index, ())))
                moves = check_row(RowView(row), old, seen, desk_export=self.desk_export)
                taken = None if clear else trade_nos.refusal(row[_GATEWAY_ID], row[_TRADE_NO], old.id if old else None)
                if taken is not None:  # one payment pays for one order
                    raise _taken(taken.zh, taken.en, row[_TRADE_NO])
            except RowError as exc:
                zh, en = exc.zh, exc.en
                if old is not None and old.open_request_id is not None and "refunds record" in en:
                    zh, en = _open_request_first(zh, en, old.open_request_id)
                self.report.refuse(RowProblem(chunk.numbers[index], exc.column, zh, en,
                                              _value(as_dict(row), exc.column)))
                continue
            if not clear:
                trade_nos.claim(row[_GATEWAY_ID], row[_TRADE_NO], row[_ORDER_NO])
            accepted.append(row)
            if old is not None and not self.desk_export:
                view = RowView(row)
                for said in (matched_by_recorded(view, old), delivery_not_held(view, old), closed_unpaid_there(view, old),
                             delivered_twice(view, old), recorded_beyond(view, old)):
                    if said is not None:
                        self._warn(chunk.numbers[index], *said, row)
            if warnings and index in warnings:
                for column, zh, en in warnings[index]:
                    if old is not None and old.paid_at is not None and zh.startswith(KEPT_MONEY_ZH):
                        continue  # the file's money kept: the desk's own refunds since are not in it
                    self._warn(chunk.numbers[index], column, zh, en, row)
            if old is None:
                new_rows.append(row)
            elif not moves:
                self.report.unchanged += 1
            else:
                updates.append((row, old, _names_unknown_gateway(warnings.get(index, ()))))
        return new_rows, updates

    def _warn(self, number: int, column: str, zh: str, en: str, row: tuple[Any, ...]) -> None:
        """Report a warning with the cell's value as the row holds it (only for the warnings the
        report keeps: a file can warn on every row)."""
        kept = len(self.report.warnings) < KEEP_MESSAGES
        self.report.warn(RowProblem(number, column, zh, en, _value(as_dict(row), column) if kept else ""))

    def _stored(self, order_nos: list[str]) -> dict[str, StoredOrder]:
        marks = ", ".join("?" * len(order_nos))
        rows = self.desk.db.execute_sql(
            f"SELECT {_STORED_COLUMNS} FROM orders WHERE order_no IN ({marks})",
            order_nos).fetchall()
        paid = [row[0] for row in rows if row[3] is not None]  # only a paid order has refunds
        # The desk's own succeeded refunds and those on their way (StoredOrder).
        refunds = refund_sums(self.desk.db.connection(), paid, desk_own=True) if paid else {}
        every = refund_sums(self.desk.db.connection(), paid) if refunds else {}  # with those recorded as made outside
        by_hand = _by_hand(self.desk, [i for i in paid if every.get(i, (0, 0))[0] > refunds.get(i, (0, 0))[0]])
        restored = _restored(self.desk, [row[0] for row in rows if row[3] is not None and row[2] != "cancelled"])
        open_requests = _open_requests(self.desk, paid)
        stored: dict[str, StoredOrder] = {}
        for row in rows:
            own, flying = refunds.get(row[0], (0, 0))
            recorded = every.get(row[0], (own, 0))[0] - own
            stored[row[1]] = replace(StoredOrder(*row), desk_refunded_fen=own, refund_pending_fen=flying,
                                     recorded_outside_fen=recorded, recorded_by_hand_fen=by_hand.get(row[0], 0),
                                     restored=row[0] in restored, open_request_id=open_requests.get(row[0]))
        return stored

    def _insert(self, rows: list[tuple[Any, ...]], last_id: int) -> None:
        """Insert the chunk's new orders (ids above ``last_id``, the largest before them), with
        their products, buyers and 导入 entries."""
        if not rows:
            return
        self._add_products(rows)
        self._add_buyers(rows)
        con = self.desk.db.connection()
        products, buyers, name_at, key_at = self.products, self._buyer_ids, AT["product_name"], AT["buyer_key"]
        con.executemany(_INSERT_SQL, [(*row, products[row[name_at]], buyers.get(row[key_at])) for row in rows])
        self.report.inserted += len(rows)
        # Inside this transaction nobody else inserts, so the new orders are exactly those above
        # last_id: each gets its 导入 timeline entry, chained as it is written.
        inserted = _inserted(con, last_id, rows)
        ImportedEntries(to_epoch(self.desk.now()), self.actor, operator_name(self.desk.db)).write(con, inserted)
        self.report.held += len(hold_new_orders(self.desk, last_id, self.actor))  # a blocked buyer's: for review
        changes = self.report.changes
        changes.counts_changed = True
        room = LIST_INSERTED_IDS - self.listed_before - len(changes.order_ids)
        if room > 0:
            changes.order_ids.update(row[0] for row in inserted[:room])

    def _update(self, updates: list[_Update]) -> None:
        """Move the stored orders forward as their rows say; a row that records an unpaid order's
        payment has its 导入更新 entry record the amount it was paid and the 0 refunded the file
        stated for a paid 已取消 (``checks.check_update`` refuses anything else refunded)."""
        if not updates:
            return
        now = self.desk.now()
        stamp = int(now.timestamp())
        at = AT
        params = []
        entries = []
        for d, old, unknown_gateway in updates:
            paying = old.paid_at is None and d[at["paid_at"]] is not None
            channel, gateway_id, trade_no = d[at["channel"]], d[at["gateway_id"]], d[at["gateway_trade_no"]]
            other_channel = channel is not None and channel != old.channel
            other_account = unknown_gateway or (gateway_id is not None and gateway_id != old.gateway_id)
            params.append({
                "status": d[at["status"]], "paying": int(paying), "paid_fen": d[at["paid_fen"]],
                "paid_at": d[at["paid_at"]], "delivered_at": d[at["delivered_at"]],
                "completed_at": d[at["completed_at"]], "cancelled_at": d[at["cancelled_at"]],
                "trade_no": trade_no, "gateway_id": gateway_id, "channel": channel,
                "route": int(paying and (other_channel or other_account or (
                    trade_no is not None and old.gateway_trade_no is not None and trade_no != old.gateway_trade_no))),
                "account": int(paying and (other_channel or other_account)),
                "code_used": d[at["code_used"]], "stamp": stamp, "id": old.id})
            delivered = d[at["delivered_at"]] if old.status == d[at["status"]] and not old.delivered else None
            # Only the older system's delivery is new (``checks.check_update``): the entry says when.
            note = "" if delivered is None else f"旧系统发货时间 {from_epoch(delivered):%Y-%m-%d %H:%M:%S}"
            entry = event_row(old.id, now, self.actor, "imported_update", note, old.status, d[at["status"]])
            if paying:  # as a 导入 entry records it (``events.amount_data``)
                entry["data"] = amount_data(d[at["paid_fen"]], d[at["refunded_fen"]])
            entries.append(entry)
        self.desk.db.connection().executemany(_UPDATE_SQL, params)
        add_events(entries)
        self.report.updated += len(updates)
        self.report.changes.order_ids.update(old.id for _, old, _ in updates)
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

    def _add_products(self, rows: list[tuple[Any, ...]]) -> None:
        """Create the products the rows name that the store does not hold yet, in order of first sight."""
        name_at, type_at = AT["product_name"], AT["product_type"]
        for row in rows:
            name = row[name_at]
            if name not in self.products:
                self.desk.db.execute_sql("INSERT INTO product (name, product_type, price_fen, stock, policy_overrides) "
                                         "VALUES (?, ?, 0, 0, '{}') ON CONFLICT DO NOTHING", (name, row[type_at]))
                found = self.desk.db.execute_sql("SELECT id FROM product WHERE name = ?", (name,)).fetchone()
                self.products[name] = int(found[0])

    def _add_buyers(self, rows: list[tuple[Any, ...]]) -> None:
        """Create the buyers (by canonical key) the rows name that the store does not hold yet,
        in order of first sight, and learn every such buyer's id (``_buyer_ids``): one INSERT OR
        IGNORE and one look-up per key not seen by this import before."""
        known, key_at = self._buyer_ids, AT["buyer_key"]
        if len(known) >= _BUYER_CACHE:
            known.clear()
        wanted = [key for key in dict.fromkeys(row[key_at] for row in rows) if key and key not in known]
        if not wanted:
            return
        con = self.desk.db.connection()
        con.executemany(_BUYER_SQL, [(key,) for key in wanted])
        for start in range(0, len(wanted), _LOOK_UP_KEYS):
            part = wanted[start : start + _LOOK_UP_KEYS]
            known.update((str(contact), int(buyer_id)) for buyer_id, contact in con.execute(
                f"SELECT id, contact FROM buyer WHERE contact IN ({', '.join('?' * len(part))})", part))


class DryGoods:
    """What a dry run's rows would do with goods, counted as the import does it
    (``ChunkWriter._insert`` holds a blocked buyer's new orders, ``_settle_goods`` delivers the
    paid 卡密 orders from stock or queues them as backorders): ``report.held``, ``delivered``
    and ``backordered`` say what the import would do now. The codes on the shelf are read once
    and taken in the file's order (a 循环卡密 product's one code serves every order)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        #: Product name -> [reusable, codes available] (a product the store lacks has none).
        self.free: dict[str, list[Any]] = {str(name): [bool(reusable), int(n)] for name, reusable, n in desk.db.execute_sql(
            "SELECT p.name, p.reusable, (SELECT COUNT(*) FROM card_code c WHERE c.product_id = p.id AND c.state = ?) "
            "FROM product p", (CodeState.AVAILABLE.value,))}
        self.blocked = {str(key) for (key,) in desk.db.execute_sql("SELECT contact FROM buyer WHERE blocked_at IS NOT NULL")}

    def count(self, new_rows: Sequence[tuple[Any, ...]], moved: Sequence[tuple[tuple[Any, ...], StoredOrder]],
              report: ImportReport) -> None:
        """Count the chunk's new rows (in file order), then the stored orders its rows move to paid."""
        card, paid = ProductType.CARD_CODE.value, S.PAID.value
        for row in new_rows:
            if row[_KEY] in self.blocked and row[_STATUS] in HOLDABLE:
                report.held += 1
            elif row[_STATUS] == paid and row[_TYPE] == card and row[_DELIVERED] is None:
                self._take(row[_NAME], row[_QUANTITY], report)
        paying = [(row, old) for row, old in moved if old.status in (S.PENDING_PAYMENT.value, S.CANCELLED.value)
                  and row[_STATUS] == paid and old.product_type == card and not old.delivered]
        if not paying:
            return
        marks = ", ".join("?" * len(paying))
        held = {int(i) for (i,) in self.desk.db.execute_sql(
            f"SELECT id FROM orders WHERE held_at IS NOT NULL AND id IN ({marks})", [old.id for _, old in paying])}
        # Codes the desk reserved for an unpaid order are its own (``codes.codes_available``).
        reserved = {int(i): int(n) for i, n in self.desk.db.execute_sql(
            f"SELECT order_id, COUNT(*) FROM card_code WHERE state = ? AND order_id IN ({marks}) GROUP BY order_id",
            [CodeState.RESERVED.value, *(old.id for _, old in paying)])}
        for _, old in paying:
            if old.id not in held:
                self._take(old.product_name, old.quantity, report, reserved.get(old.id, 0))

    def _take(self, product: str, quantity: int, report: ImportReport, own: int = 0) -> None:
        """One paid 卡密 order of ``quantity`` codes, ``own`` of them reserved for it already."""
        shelf = self.free.get(product)
        if shelf is None:
            report.backordered += 1
            return
        reusable, free = shelf
        short = max(0, quantity - own)
        if reusable:
            found = own > 0 or free > 0  # the one code serves every order
        else:
            found = free >= short
            if found:
                shelf[1] = free - short
        if found:
            report.delivered += 1
        else:
            report.backordered += 1


_KEY, _TYPE, _NAME, _QUANTITY, _DELIVERED = (AT["buyer_key"], AT["product_type"], AT["product_name"], AT["quantity"],
                                             AT["delivered_at"])
#: Buyer keys looked up per statement (well under SQLite's and a server's parameter limits).
_LOOK_UP_KEYS = 500
_LAST_ID_SQL = "SELECT COALESCE(MAX(id), 0) FROM orders"
_STATUS, _PAID, _REFUNDED = AT["status"], AT["paid_fen"], AT["refunded_fen"]


def _restored(desk: Desk, order_ids: list[int]) -> set[int]:
    """Those of ``order_ids`` (paid orders not cancelled now) the desk ever restored."""
    if not order_ids:
        return set()
    marks = ", ".join("?" * len(order_ids))
    rows = desk.db.execute_sql(f"SELECT DISTINCT order_id FROM order_event WHERE action = 'restore' "
                               f"AND order_id IN ({marks})", order_ids).fetchall()
    return {int(order_id) for (order_id,) in rows}


def _open_requests(desk: Desk, order_ids: list[int]) -> dict[int, int]:
    """The request waiting for review on each of ``order_ids`` that has one (order id -> request id)."""
    if not order_ids:
        return {}
    marks = ", ".join("?" * len(order_ids))
    rows = desk.db.execute_sql(f"SELECT order_id, MIN(id) FROM cancel_request WHERE state = 'open' "
                               f"AND order_id IN ({marks}) GROUP BY order_id", order_ids).fetchall()
    return {int(order_id): int(request_id) for order_id, request_id in rows}


def _open_request_first(zh: str, en: str, request_id: int) -> tuple[str, str]:
    """A refusal whose advice records a refund made outside the desk, for an order with a request
    waiting for review: that command refuses while the request is open, so the advice says to
    decide it first (rejected: the older system refunded the buyer already)."""
    step = f"`requests reject {request_id} --reason 旧系统已退款`"
    return (f"{zh}。该订单有待审核的申请 #{request_id}，登记台外退款前请先处理它（例如 {step}）",
            f"{en}. The order has request #{request_id} waiting for review: decide it before recording the "
            f"refund made outside the desk (for example {step})")


def _by_hand(desk: Desk, order_ids: list[int]) -> dict[int, int]:
    """Gross fen of the succeeded refunds the owner recorded as paid back in cash or by bank
    transfer, per order of ``order_ids`` (those with refunds recorded as made outside the desk)."""
    if not order_ids:
        return {}
    hands = (OutsideMethod.CASH.value, OutsideMethod.BANK_TRANSFER.value)
    marks = ", ".join("?" * len(order_ids))
    rows = desk.db.execute_sql(
        f"SELECT order_id, SUM(gross_fen) FROM refund WHERE order_id IN ({marks}) AND state = ? "
        "AND resolved_how IN (?, ?) GROUP BY order_id", [*order_ids, RefundStatus.SUCCEEDED.value, *hands]).fetchall()
    return {int(order_id): int(total or 0) for order_id, total in rows}


def _inserted(con: Any, last_id: int, rows: list[tuple[Any, ...]]) -> list[tuple[int, str, int, int]]:
    """What ``_INSERTED_SQL`` reads for the orders just inserted above ``last_id``, in id order:
    taken from ``rows`` themselves when the store numbered them last_id + 1, last_id + 2... in
    their order (SQLite always does; a server's id sequence may have gaps: read back then)."""
    if con.execute(_LAST_ID_SQL).fetchone()[0] != last_id + len(rows):
        return [tuple(row) for row in con.execute(_INSERTED_SQL, (last_id,)).fetchall()]
    return [(last_id + number, row[_STATUS], row[_PAID] or 0, row[_REFUNDED] or 0)
            for number, row in enumerate(rows, 1)]


def _by_row(warnings: list[tuple[int, str, str, str]]) -> dict[int, list[tuple[str, str, str]]]:
    found: dict[int, list[tuple[str, str, str]]] = {}
    for index, column, zh, en in warnings:
        found.setdefault(index, []).append((column, zh, en))
    return found


class _AcceptedRows(Sequence[Mapping[str, Any]]):
    """The rows of the chunk accepted so far, read as order dicts (``checks.check_row``'s ``accepted``)."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    @overload
    def __getitem__(self, index: int) -> Mapping[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Mapping[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Mapping[str, Any] | Sequence[Mapping[str, Any]]:
        if isinstance(index, slice):
            return [RowView(row) for row in self.rows[index]]
        return RowView(self.rows[index])

    def __len__(self) -> int:
        return len(self.rows)
