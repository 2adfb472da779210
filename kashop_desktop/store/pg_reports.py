"""The reports' summary tables (schema 11) on PostgreSQL: the same tables, kept exact by
plpgsql triggers doing what ``store.report_tables``'s SQLite triggers do.

Days are Beijing days counted from 1970-01-01, ``(epoch + 28800) / 86400`` in integer
division (both dialects truncate toward zero). Booleans are stored as 0 / 1 integers, as on
SQLite, so the reports read both stores with one query.
"""

from __future__ import annotations

from typing import Any

from .report_tables import day_of, gateway_key

_DIMS = "product_id BIGINT NOT NULL, channel TEXT NOT NULL, gateway_id BIGINT NOT NULL"
TABLES = (
    f"""CREATE TABLE IF NOT EXISTS report_sales (day BIGINT NOT NULL, {_DIMS},
         orders BIGINT NOT NULL DEFAULT 0, paid_fen BIGINT NOT NULL DEFAULT 0,
         refunded_orders BIGINT NOT NULL DEFAULT 0, refunded_fen BIGINT NOT NULL DEFAULT 0,
         PRIMARY KEY (day, product_id, channel, gateway_id))""",
    f"""CREATE TABLE IF NOT EXISTS report_cancels (day BIGINT NOT NULL, reason TEXT NOT NULL,
         paid BIGINT NOT NULL, {_DIMS}, n BIGINT NOT NULL DEFAULT 0,
         PRIMARY KEY (day, reason, paid, product_id, channel, gateway_id))""",
    f"""CREATE TABLE IF NOT EXISTS report_answers (day BIGINT NOT NULL, auto BIGINT NOT NULL, {_DIMS},
         answered BIGINT NOT NULL DEFAULT 0, seconds BIGINT NOT NULL DEFAULT 0,
         PRIMARY KEY (day, auto, product_id, channel, gateway_id))""",
)


def reason_of(e: str) -> str:
    """The reason of a cancellation entry ``e`` of the timeline (store.report_tables.reason_of)."""
    return (f"CASE WHEN {e}.action = 'expire' THEN 'expired' ELSE COALESCE({e}.data::jsonb ->> 'reason', "
            f"(SELECT r.reason FROM cancel_request r WHERE r.id = ({e}.data::jsonb ->> 'request_id')::bigint), "
            "'unknown') END")


def is_cancel(e: str) -> str:
    # Not a desk sale voided before it could be paid (store.report_tables.is_cancel, schema 19).
    return (f"{e}.after_status = 'cancelled' AND {e}.before_status IS DISTINCT FROM 'cancelled' "
            f"AND {e}.action IS DISTINCT FROM 'sale_failed'")


def is_uncancel(e: str) -> str:
    """Whether timeline row ``e`` takes its order out of 已取消 (a restore, a late payment)."""
    return f"{e}.before_status = 'cancelled' AND {e}.after_status IS DISTINCT FROM 'cancelled'"


def cancel_key(e: str) -> str:
    """The report_cancels key of cancellation entry ``e`` of order ``o`` (an import's entry
    counts on the order's creation day, schema 15; an expiry on its ``expired_at`` day, schema 17;
    store.report_tables)."""
    when = (f"CASE WHEN {e}.action IN ('imported', 'imported_update') THEN o.created_at "
            f"WHEN {e}.action = 'expire' AND strpos({e}.data, '\"expired_at\"') > 0 "
            f"THEN COALESCE(({e}.data::jsonb ->> 'expired_at')::bigint, {e}.at) ELSE {e}.at END")
    return (f"{day_of(when)}, {reason_of(e)}, (COALESCE({e}.before_status, '') <> 'pending_payment')::int, "
            f"COALESCE(o.product_id, 0), COALESCE(o.channel, ''), {gateway_key('o')}")


def owners_own(r: str) -> str:
    """A request the owner opened and approved at once (their own cancel): not an answer."""
    return f"({r}.state = 'approved' AND {r}.decided_at - {r}.requested_at <= 1)"


_CANCEL_COLUMNS = "(day, reason, paid, product_id, channel, gateway_id)"
FUNCTIONS = (
    f"""CREATE OR REPLACE FUNCTION report_sales_add(r orders, sign BIGINT) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF r.paid_at IS NULL THEN RETURN; END IF;
      INSERT INTO report_sales AS t (day, product_id, channel, gateway_id, orders, paid_fen, refunded_orders,
                                     refunded_fen)
      VALUES ({day_of('r.paid_at')}, COALESCE(r.product_id, 0), COALESCE(r.channel, ''), {gateway_key('r')},
              sign, sign * r.paid_fen, sign * (r.refunded_fen > 0)::int, sign * r.refunded_fen)
      ON CONFLICT (day, product_id, channel, gateway_id) DO UPDATE SET orders = t.orders + excluded.orders,
        paid_fen = t.paid_fen + excluded.paid_fen, refunded_orders = t.refunded_orders + excluded.refunded_orders,
        refunded_fen = t.refunded_fen + excluded.refunded_fen;
    END $$""",
    """CREATE OR REPLACE FUNCTION report_sales_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM report_sales_add(OLD, -1); END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM report_sales_add(NEW, 1); END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION report_cancels_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE e order_event;
    BEGIN
      IF TG_OP = 'INSERT' THEN e := NEW; ELSE e := OLD; END IF;
      IF TG_OP = 'INSERT' AND {is_cancel('e')} THEN
        INSERT INTO report_cancels AS t (day, reason, paid, product_id, channel, gateway_id, n)
          SELECT {cancel_key('e')}, 1 FROM orders o WHERE o.id = e.order_id
          ON CONFLICT (day, reason, paid, product_id, channel, gateway_id) DO UPDATE SET n = t.n + 1;
      ELSIF TG_OP = 'INSERT' THEN  -- an undone cancellation: the last one before it counts no more
        UPDATE report_cancels SET n = n - 1 WHERE {_CANCEL_COLUMNS} =
          (SELECT {cancel_key('p')} FROM order_event p JOIN orders o ON o.id = p.order_id
           WHERE p.order_id = e.order_id AND p.id < e.id AND {is_cancel('p')} ORDER BY p.id DESC LIMIT 1);
      ELSE
        UPDATE report_cancels SET n = n - 1 WHERE {_CANCEL_COLUMNS} =
          (SELECT {cancel_key('e')} FROM orders o WHERE o.id = e.order_id);
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION report_answers_add(r cancel_request, sign BIGINT) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      IF r.decided_at IS NULL OR {owners_own('r')} THEN RETURN; END IF;
      INSERT INTO report_answers AS t (day, auto, product_id, channel, gateway_id, answered, seconds)
        SELECT {day_of('r.decided_at')}, (r.state = 'auto_approved')::int, COALESCE(o.product_id, 0),
          COALESCE(o.channel, ''), {gateway_key('o')}, sign, sign * GREATEST(0, r.decided_at - r.requested_at)
        FROM orders o WHERE o.id = r.order_id
        ON CONFLICT (day, auto, product_id, channel, gateway_id) DO UPDATE SET
          answered = t.answered + excluded.answered, seconds = t.seconds + excluded.seconds;
    END $$""",
    """CREATE OR REPLACE FUNCTION report_answers_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM report_answers_add(OLD, -1); END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM report_answers_add(NEW, 1); END IF;
      RETURN NULL;
    END $$""",
)

_SALES_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in
                             ("paid_at", "paid_fen", "refunded_fen", "product_id", "channel", "gateway_id"))
TRIGGERS = (
    "CREATE TRIGGER report_sales_ins AFTER INSERT ON orders FOR EACH ROW WHEN (NEW.paid_at IS NOT NULL) "
    "EXECUTE FUNCTION report_sales_trg()",
    "CREATE TRIGGER report_sales_del AFTER DELETE ON orders FOR EACH ROW WHEN (OLD.paid_at IS NOT NULL) "
    "EXECUTE FUNCTION report_sales_trg()",
    "CREATE TRIGGER report_sales_upd AFTER UPDATE OF paid_at, paid_fen, refunded_fen, product_id, channel, "
    f"gateway_id ON orders FOR EACH ROW WHEN ({_SALES_CHANGED}) EXECUTE FUNCTION report_sales_trg()",
    f"CREATE TRIGGER report_cancels_ins AFTER INSERT ON order_event FOR EACH ROW WHEN ({is_cancel('NEW')}) "
    "EXECUTE FUNCTION report_cancels_trg()",
    f"CREATE TRIGGER report_cancels_undo AFTER INSERT ON order_event FOR EACH ROW WHEN ({is_uncancel('NEW')}) "
    "EXECUTE FUNCTION report_cancels_trg()",
    f"CREATE TRIGGER report_cancels_del AFTER DELETE ON order_event FOR EACH ROW WHEN ({is_cancel('OLD')}) "
    "EXECUTE FUNCTION report_cancels_trg()",
    "CREATE TRIGGER report_answers_ins AFTER INSERT ON cancel_request FOR EACH ROW "
    "WHEN (NEW.decided_at IS NOT NULL) EXECUTE FUNCTION report_answers_trg()",
    "CREATE TRIGGER report_answers_upd AFTER UPDATE OF decided_at, requested_at, state ON cancel_request "
    "FOR EACH ROW WHEN (OLD.decided_at IS DISTINCT FROM NEW.decided_at "
    "OR OLD.requested_at IS DISTINCT FROM NEW.requested_at "
    "OR (OLD.state = 'auto_approved') IS DISTINCT FROM (NEW.state = 'auto_approved')) "
    "EXECUTE FUNCTION report_answers_trg()",
    "CREATE TRIGGER report_answers_del AFTER DELETE ON cancel_request FOR EACH ROW "
    "WHEN (OLD.decided_at IS NOT NULL) EXECUTE FUNCTION report_answers_trg()",
)


#: What each summary table holds, from the orders, timeline and requests (store.report_tables.EXPECTED).
EXPECTED = {
    "report_sales": f"""SELECT {day_of('paid_at')}, COALESCE(product_id, 0), COALESCE(channel, ''),
        {gateway_key('')}, COUNT(*), SUM(paid_fen), SUM((refunded_fen > 0)::int), SUM(refunded_fen)
        FROM orders WHERE paid_at IS NOT NULL GROUP BY 1, 2, 3, 4""",
    "report_cancels": f"""SELECT {cancel_key('e')}, COUNT(*) FROM order_event e JOIN orders o ON o.id = e.order_id
        WHERE {is_cancel('e')} AND NOT EXISTS (SELECT 1 FROM order_event u WHERE u.order_id = e.order_id
          AND u.id > e.id AND {is_uncancel('u')} AND NOT EXISTS (SELECT 1 FROM order_event c
            WHERE c.order_id = e.order_id AND c.id > e.id AND c.id < u.id AND {is_cancel('c')}))
        GROUP BY 1, 2, 3, 4, 5, 6""",
    "report_answers": f"""SELECT {day_of('r.decided_at')}, (r.state = 'auto_approved')::int, COALESCE(o.product_id, 0),
        COALESCE(o.channel, ''), {gateway_key('o')}, COUNT(*), SUM(GREATEST(0, r.decided_at - r.requested_at))
        FROM cancel_request r JOIN orders o ON o.id = r.order_id
        WHERE r.decided_at IS NOT NULL AND NOT {owners_own('r')} GROUP BY 1, 2, 3, 4, 5""",
}
_VALUES = {"report_sales": ("orders", "paid_fen", "refunded_orders", "refunded_fen"), "report_cancels": ("n",),
           "report_answers": ("answered", "seconds")}


def rebuild(db: Any) -> None:
    """Fill the summary tables from the orders, timeline and requests (caller's transaction)."""
    for table, expected in EXPECTED.items():
        db.execute_sql(f"DELETE FROM {table}")
        db.execute_sql(f"INSERT INTO {table} {expected}")


def differences(db: Any) -> list[str]:
    """The summary tables whose rows disagree with what the orders, timeline and requests say
    (rows of zeros left by a take-away count as no row); store.report_tables.differences."""
    wrong = []
    for table, expected in EXPECTED.items():
        stored = f"SELECT * FROM {table} WHERE {' OR '.join(f'{v} <> 0' for v in _VALUES[table])}"
        (n,) = db.execute_sql(f"SELECT COUNT(*) FROM (((SELECT * FROM ({expected}) AS x) EXCEPT ({stored})) "
                              f"UNION ALL (({stored}) EXCEPT (SELECT * FROM ({expected}) AS y))) AS d").fetchone()
        if n:
            wrong.append(table)
    return wrong


def replace_triggers(db: Any) -> None:
    """Schema 15 on PostgreSQL: the trigger functions as they are now (CREATE OR REPLACE), every
    summary trigger made again, the tables filled again."""
    for sql in FUNCTIONS:
        db.execute_sql(sql)
    for sql in TRIGGERS:
        name, table = sql.split()[2], sql.split(" ON ")[1].split()[0]
        db.execute_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        db.execute_sql(sql)
    rebuild(db)


def create(db: Any) -> None:
    """Schema 11 on PostgreSQL: the tables, their trigger functions and triggers, filled."""
    for sql in (*TABLES, *FUNCTIONS, *TRIGGERS):
        db.execute_sql(sql)
    rebuild(db)
