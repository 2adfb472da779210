"""Summary tables behind the reports (schema 11), kept exact by triggers in the very
transactions that change orders, their timeline and requests.

A report over a million orders cannot GROUP BY the orders table in 300 ms (measured ~1 s
per report on the demo store); these tables hold one row per Beijing day and product,
channel and gateway account, a few tens of thousands of rows for years of a busy shop:

* ``report_sales``: orders by the day they were paid (``paid_at``): how many, the money
  received (``paid_fen``), how many of them have refunds that succeeded and how much
  (``refunded_fen`` of those orders, wherever the refund was made);
* ``report_cancels``: cancellations (a timeline entry whose status goes to 已取消; not a desk sale
  voided because its QR payment could not be made, schema 19) by the day
  they happened, their reason (``domain.order.ReasonCode`` values, ``expired`` for an unpaid
  order that timed out, ``unknown`` when nothing recorded one) and whether the order had been
  paid. An order brought in already cancelled by an import counts on the day it was created
  (the old system's record), not the day of the import; a cancellation that was undone (the
  order restored, or paid late) no longer counts, so an order cancelled, restored and cancelled
  again counts once (schema 15);
* ``report_answers``: decided after-sales requests by the day they were decided, whether
  the rules decided (auto-approved) or a person, and the seconds from request to decision. The
  owner's own cancel of a paid order (订单 > 取消, ``orders cancel``) opens a request and approves
  it in the same second: that is no answer to a buyer and is left out (schema 15).

Days are Beijing days counted from 1970-01-01 (``(epoch + 28800) / 86400``). Every key
column is NOT NULL (0 / '' for none) so the primary key can add up rows. The triggers are
plain SQL upserts, so whatever writes the rows (a service, an import, a bulk load) keeps the
sums; a bulk load that sets the insert trigger aside rebuilds the tables once at the end
(``rebuild``, as the status counts are).
"""

from __future__ import annotations

from typing import Any

from ..domain.order import OUTSIDE_CHANNELS


def gateway_key(row: str) -> str:
    """The gateway account a summary row counts order ``row`` (a table alias, NEW / OLD, or "" for
    the bare columns) under: 0 (none) for money paid to the shop directly (cash, a transfer:
    ``domain.order.OUTSIDE_CHANNELS``), whatever account the order was begun with (schema 19)."""
    prefix = f"{row}." if row else ""
    direct = ", ".join(f"'{c}'" for c in sorted(OUTSIDE_CHANNELS))
    return f"(CASE WHEN {prefix}channel IN ({direct}) THEN 0 ELSE COALESCE({prefix}gateway_id, 0) END)"


#: Beijing day number of an epoch-seconds column expression.
def day_of(expr: str) -> str:
    return f"(({expr}) + 28800) / 86400"


_DIMS = "product_id INTEGER NOT NULL, channel TEXT NOT NULL, gateway_id INTEGER NOT NULL"
TABLES = (
    f"""CREATE TABLE IF NOT EXISTS report_sales (day INTEGER NOT NULL, {_DIMS},
         orders INTEGER NOT NULL DEFAULT 0, paid_fen INTEGER NOT NULL DEFAULT 0,
         refunded_orders INTEGER NOT NULL DEFAULT 0, refunded_fen INTEGER NOT NULL DEFAULT 0,
         PRIMARY KEY (day, product_id, channel, gateway_id)) WITHOUT ROWID""",
    f"""CREATE TABLE IF NOT EXISTS report_cancels (day INTEGER NOT NULL, reason TEXT NOT NULL,
         paid INTEGER NOT NULL, {_DIMS}, n INTEGER NOT NULL DEFAULT 0,
         PRIMARY KEY (day, reason, paid, product_id, channel, gateway_id)) WITHOUT ROWID""",
    f"""CREATE TABLE IF NOT EXISTS report_answers (day INTEGER NOT NULL, auto INTEGER NOT NULL, {_DIMS},
         answered INTEGER NOT NULL DEFAULT 0, seconds INTEGER NOT NULL DEFAULT 0,
         PRIMARY KEY (day, auto, product_id, channel, gateway_id)) WITHOUT ROWID""",
)


def _sales_upsert(row: str, sign: str) -> str:
    """Add (``sign`` '+') or take away ('-') order ``row`` (NEW / OLD) from its sales day."""
    return f"""INSERT INTO report_sales (day, product_id, channel, gateway_id, orders, paid_fen, refunded_orders,
                 refunded_fen)
               SELECT {day_of(row + '.paid_at')}, COALESCE({row}.product_id, 0), COALESCE({row}.channel, ''),
                 {gateway_key(row)}, {sign}1, {sign}{row}.paid_fen, {sign}({row}.refunded_fen > 0),
                 {sign}{row}.refunded_fen
               WHERE {row}.paid_at IS NOT NULL
               ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, paid_fen = paid_fen + excluded.paid_fen,
                 refunded_orders = refunded_orders + excluded.refunded_orders,
                 refunded_fen = refunded_fen + excluded.refunded_fen;"""


#: The reason of a cancellation entry ``e`` of the timeline (an order_event row).
def reason_of(e: str) -> str:
    return (f"CASE WHEN {e}.action = 'expire' THEN 'expired' ELSE COALESCE(json_extract({e}.data, '$.reason'), "
            f"(SELECT r.reason FROM cancel_request r WHERE r.id = json_extract({e}.data, '$.request_id')), "
            "'unknown') END")


#: Whether an order_event row ``e`` is a cancellation.
def is_cancel(e: str) -> str:
    # A desk sale voided because its QR payment could not be made (sale_failed) is nobody's
    # cancellation: the buyer never had an order to cancel (schema 19).
    return (f"{e}.after_status = 'cancelled' AND {e}.before_status IS NOT 'cancelled' "
            f"AND {e}.action IS NOT 'sale_failed'")


#: Whether an order_event row ``e`` takes an order out of 已取消 (a restore, a late payment).
def is_uncancel(e: str) -> str:
    return f"{e}.before_status = 'cancelled' AND {e}.after_status IS NOT 'cancelled'"


def _cancel_key(e: str) -> str:
    """The report_cancels key of cancellation entry ``e`` of order ``o``: the day (an import's
    entry: the order's creation day; an expiry: the ``expired_at`` its data records, schema 17),
    reason, paid, product, channel, gateway."""
    when = (f"CASE WHEN {e}.action IN ('imported', 'imported_update') THEN o.created_at "
            f"WHEN {e}.action = 'expire' AND instr({e}.data, '\"expired_at\"') > 0 AND json_valid({e}.data) "
            f"THEN COALESCE(json_extract({e}.data, '$.expired_at'), {e}.at) ELSE {e}.at END")
    return (f"{day_of(when)}, "
            f"{reason_of(e)}, COALESCE({e}.before_status, '') <> 'pending_payment', COALESCE(o.product_id, 0), "
            f"COALESCE(o.channel, ''), {gateway_key('o')}")


#: A request the owner opened and approved at once (their own cancel), not an answer.
def _owners_own(r: str) -> str:
    return f"({r}.state = 'approved' AND {r}.decided_at - {r}.requested_at <= 1)"


def _answer_upsert(row: str, sign: str) -> str:
    """Add or take away a decided request ``row`` (NEW / OLD) from its decision day."""
    return f"""INSERT INTO report_answers (day, auto, product_id, channel, gateway_id, answered, seconds)
               SELECT {day_of(row + '.decided_at')}, {row}.state = 'auto_approved', COALESCE(o.product_id, 0),
                 COALESCE(o.channel, ''), {gateway_key('o')}, {sign}1,
                 {sign}MAX(0, {row}.decided_at - {row}.requested_at)
               FROM orders o WHERE o.id = {row}.order_id AND {row}.decided_at IS NOT NULL AND NOT {_owners_own(row)}
               ON CONFLICT DO UPDATE SET answered = answered + excluded.answered, seconds = seconds + excluded.seconds;"""


_SALES_COLUMNS = "paid_at, paid_fen, refunded_fen, product_id, channel, gateway_id"
TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS report_sales_ins AFTER INSERT ON orders WHEN NEW.paid_at IS NOT NULL BEGIN "
    f"{_sales_upsert('NEW', '+')} END",
    f"CREATE TRIGGER IF NOT EXISTS report_sales_del AFTER DELETE ON orders WHEN OLD.paid_at IS NOT NULL BEGIN "
    f"{_sales_upsert('OLD', '-')} END",
    f"""CREATE TRIGGER IF NOT EXISTS report_sales_upd AFTER UPDATE OF {_SALES_COLUMNS} ON orders
        WHEN OLD.paid_at IS NOT NEW.paid_at OR OLD.paid_fen IS NOT NEW.paid_fen
          OR OLD.refunded_fen IS NOT NEW.refunded_fen OR OLD.product_id IS NOT NEW.product_id
          OR OLD.channel IS NOT NEW.channel OR OLD.gateway_id IS NOT NEW.gateway_id BEGIN
        {_sales_upsert('OLD', '-')} {_sales_upsert('NEW', '+')} END""",
    f"""CREATE TRIGGER IF NOT EXISTS report_cancels_ins AFTER INSERT ON order_event
        WHEN {is_cancel('NEW')} BEGIN
        INSERT INTO report_cancels (day, reason, paid, product_id, channel, gateway_id, n)
          SELECT {_cancel_key('NEW')}, 1 FROM orders o WHERE o.id = NEW.order_id
          ON CONFLICT DO UPDATE SET n = n + 1; END""",
    f"""CREATE TRIGGER IF NOT EXISTS report_cancels_undo AFTER INSERT ON order_event
        WHEN {is_uncancel('NEW')} BEGIN
        UPDATE report_cancels SET n = n - 1 WHERE (day, reason, paid, product_id, channel, gateway_id) =
          (SELECT {_cancel_key('p')} FROM order_event p JOIN orders o ON o.id = p.order_id
           WHERE p.order_id = NEW.order_id AND p.id < NEW.id AND {is_cancel('p')} ORDER BY p.id DESC LIMIT 1); END""",
    f"""CREATE TRIGGER IF NOT EXISTS report_cancels_del AFTER DELETE ON order_event
        WHEN {is_cancel('OLD')} BEGIN
        UPDATE report_cancels SET n = n - 1 WHERE (day, reason, paid, product_id, channel, gateway_id) =
          (SELECT {_cancel_key('OLD')} FROM orders o WHERE o.id = OLD.order_id); END""",
    f"CREATE TRIGGER IF NOT EXISTS report_answers_ins AFTER INSERT ON cancel_request "
    f"WHEN NEW.decided_at IS NOT NULL BEGIN {_answer_upsert('NEW', '+')} END",
    f"""CREATE TRIGGER IF NOT EXISTS report_answers_upd AFTER UPDATE OF decided_at, requested_at, state
        ON cancel_request WHEN OLD.decided_at IS NOT NEW.decided_at OR OLD.requested_at IS NOT NEW.requested_at
          OR (OLD.state = 'auto_approved') IS NOT (NEW.state = 'auto_approved') BEGIN
        {_answer_upsert('OLD', '-')} {_answer_upsert('NEW', '+')} END""",
    f"CREATE TRIGGER IF NOT EXISTS report_answers_del AFTER DELETE ON cancel_request "
    f"WHEN OLD.decided_at IS NOT NULL BEGIN {_answer_upsert('OLD', '-')} END",
)
TRIGGER_NAMES = tuple(sql.split("EXISTS ")[1].split()[0] for sql in TRIGGERS)
#: What each summary table holds, computed from the orders, timeline and requests (``rebuild``
#: fills the tables from it, ``differences`` compares them with it). A cancellation counts while
#: no later entry took its order out of 已取消 before the next cancellation.
EXPECTED = {
    "report_sales": f"""SELECT {day_of('paid_at')}, COALESCE(product_id, 0), COALESCE(channel, ''),
        {gateway_key('')}, COUNT(*), SUM(paid_fen), SUM(refunded_fen > 0), SUM(refunded_fen)
        FROM orders WHERE paid_at IS NOT NULL GROUP BY 1, 2, 3, 4""",
    "report_cancels": f"""SELECT {_cancel_key('e')}, COUNT(*) FROM order_event e JOIN orders o ON o.id = e.order_id
        WHERE {is_cancel('e')} AND NOT EXISTS (SELECT 1 FROM order_event u WHERE u.order_id = e.order_id
          AND u.id > e.id AND {is_uncancel('u')} AND NOT EXISTS (SELECT 1 FROM order_event c
            WHERE c.order_id = e.order_id AND c.id > e.id AND c.id < u.id AND {is_cancel('c')}))
        GROUP BY 1, 2, 3, 4, 5, 6""",
    "report_answers": f"""SELECT {day_of('r.decided_at')}, r.state = 'auto_approved', COALESCE(o.product_id, 0),
        COALESCE(o.channel, ''), {gateway_key('o')}, COUNT(*), SUM(MAX(0, r.decided_at - r.requested_at))
        FROM cancel_request r JOIN orders o ON o.id = r.order_id
        WHERE r.decided_at IS NOT NULL AND NOT {_owners_own('r')} GROUP BY 1, 2, 3, 4, 5""",
}
_VALUES = {"report_sales": ("orders", "paid_fen", "refunded_orders", "refunded_fen"), "report_cancels": ("n",),
           "report_answers": ("answered", "seconds")}
#: The trigger a bulk load sets aside with the orders' own (``store.bulkload``): ``rebuild`` after.
BULK_TRIGGER = "report_sales_ins"
#: The triggers a bulk load sets aside (``store.bulkload``): the sales one on the orders, and
#: the cancellations' on the timeline (an import's cancelled orders each fire one per 导入
#: entry: about 1.7 s per million orders). The tables are rebuilt once when the load ends.
BULK_TRIGGERS = (BULK_TRIGGER, "report_cancels_ins", "report_cancels_undo")


def _set_aside(sql: str) -> bool:
    """Whether ``sql`` creates one of ``BULK_TRIGGERS``."""
    return any(f" {name} " in sql for name in BULK_TRIGGERS)


def rebuild(con: Any) -> None:
    """Fill the summary tables from the orders, timeline and requests (caller's transaction):
    at migration 11 and after a bulk load."""
    con.execute("DELETE FROM report_sales")
    con.execute(f"INSERT INTO report_sales {EXPECTED['report_sales']}")
    con.execute("DELETE FROM report_cancels")
    con.execute(f"INSERT INTO report_cancels {EXPECTED['report_cancels']}")
    con.execute("DELETE FROM report_answers")
    con.execute(f"INSERT INTO report_answers {EXPECTED['report_answers']}")


def expected_rows(con: Any) -> dict[str, list[tuple[Any, ...]]]:
    """The rows ``rebuild`` writes, per summary table, read from ``con`` (any connection: it only reads)."""
    return {table: con.execute(sql).fetchall() for table, sql in EXPECTED.items()}


def write_rows(con: Any, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """``rebuild`` with the rows ``expected_rows`` read (caller's transaction)."""
    for table, found in rows.items():
        con.execute(f"DELETE FROM {table}")
        if found:
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(found[0]))})", found)


def differences(con: Any) -> list[str]:
    """The summary tables whose rows disagree with what the orders, timeline and requests say
    (rows of zeros left by a take-away are the same as no row). Read-only; seconds on a big store."""
    wrong = []
    for table, expected in EXPECTED.items():
        values = _VALUES[table]
        stored = f"SELECT * FROM {table} WHERE {' OR '.join(f'{v} <> 0' for v in values)}"
        (n,) = con.execute(f"SELECT COUNT(*) FROM (SELECT * FROM ({expected}) EXCEPT {stored} "
                           f"UNION ALL SELECT * FROM ({stored} EXCEPT SELECT * FROM ({expected})))").fetchone()
        if n:
            wrong.append(table)
    return wrong


def _loading(con: Any) -> bool:
    """Whether a bulk load has set the insert trigger aside (``store.bulkload``)."""
    return con.execute("SELECT 1 FROM setting WHERE key = 'bulk_load'").fetchone() is not None


def missing(con: Any) -> bool:
    """Whether a summary table or one of its triggers is missing (a later migration that
    rebuilds the orders table drops the table's triggers with it)."""
    names = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE name LIKE 'report%'")}
    wanted = {"report_sales", "report_cancels", "report_answers", *TRIGGER_NAMES}
    if _loading(con):
        wanted.difference_update(BULK_TRIGGERS)  # put back, and the tables rebuilt, when the load ends
    return not wanted <= names


def ensure(con: Any) -> None:
    """Create whatever is missing and fill the tables again (caller's transaction)."""
    if not missing(con):
        return
    loading = _loading(con)
    for sql in (*TABLES, *TRIGGERS):
        if not (loading and _set_aside(sql)):
            con.execute(sql)
    rebuild(con)


def migrate(db: Any) -> None:
    """Schema 11: the summary tables, their triggers, filled for the orders already there."""
    con = db.connection()
    for sql in (*TABLES, *TRIGGERS):
        con.execute(sql)
    rebuild(con)


#: The triggers schema 15 replaced (an undone cancellation, an import's day, the owner's own cancel).
REPLACED_15 = ("report_cancels_ins", "report_cancels_del", "report_answers_ins", "report_answers_upd",
               "report_answers_del")


#: The triggers schema 17 makes again: an expiry counts on the day it expired.
REPLACED_17 = ("report_cancels_ins", "report_cancels_undo", "report_cancels_del")


def _replace_triggers(db: Any, names: tuple[str, ...]) -> None:
    """Drop the triggers ``names``, make every summary trigger as it is now (those a running bulk
    load set aside stay aside), and fill the tables again."""
    con = db.connection()
    for name in names:
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    for sql in TRIGGERS:
        if not (_loading(con) and _set_aside(sql)):
            con.execute(sql)
    rebuild(con)


def migrate_17(db: Any) -> None:
    """Schema 17: the cancellation triggers count an expiry on its ``expired_at`` day; the tables
    filled again."""
    _replace_triggers(db, REPLACED_17)


def migrate_19(db: Any) -> None:
    """Schema 19: a desk sale voided because its QR payment could not be made (``sale_failed``)
    is no cancellation, and money paid to the shop directly counts under no gateway account
    (``gateway_key``); every summary trigger as it is now, the tables filled again."""
    _replace_triggers(db, TRIGGER_NAMES)


def migrate_15(db: Any) -> None:
    """Schema 15: the cancellation and answer triggers as they are now, the tables filled again."""
    con = db.connection()
    for name in REPLACED_15:
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    for sql in (*TABLES, *TRIGGERS):
        if not (_loading(con) and _set_aside(sql)):
            con.execute(sql)
    rebuild(con)
