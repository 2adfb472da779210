"""The PostgreSQL form of each numbered migration (``store.db.MIGRATIONS``).

A shop on a server starts at migration 1, which creates today's tables from the models, as
migration 1 does for a new SQLite file; a later migration that adds a column finds it there
and adds nothing, and one that reshapes old SQLite data (re-keying buyers, sealing clear
codes, rewriting hints) has no such data on a server, since a shop reaches a server new or
copied whole at the latest schema (``store migrate``). What differs between the dialects is
written here: plpgsql trigger functions where SQLite has trigger bodies, ``pg_trgm`` GIN
indexes where SQLite has the FTS5 trigram table, ``COALESCE``/``GREATEST`` for ``IFNULL``/
scalar ``MAX``. Indexes whose SQL both accept are taken from the SQLite side as they are.

Sources: PostgreSQL 15 manual, "Trigger Functions" (plpgsql), "pg_trgm" (GIN trigram ops,
LIKE/ILIKE support), "INSERT ... ON CONFLICT".
"""

from __future__ import annotations

from typing import Any

from ..domain.states import OrderStatus
from . import schema9
from .models import MODELS, PaymentWatch, ReconMark, StatusCount

#: Every row change of ``orders`` moves the status counts (the tabs read eight rows).
_COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION orders_count_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE status_count SET n = n - 1 WHERE status = OLD.status;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    UPDATE status_count SET n = n + 1 WHERE status = NEW.status;
  END IF;
  RETURN NULL;
END $$"""
COUNT_TRIGGERS = (
    "CREATE TRIGGER orders_count_ins AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_count_trg()",
    "CREATE TRIGGER orders_count_del AFTER DELETE ON orders FOR EACH ROW EXECUTE FUNCTION orders_count_trg()",
    "CREATE TRIGGER orders_count_upd AFTER UPDATE OF status ON orders FOR EACH ROW "
    "WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION orders_count_trg()",
)
#: The channel every committed write is announced on (LISTEN/NOTIFY; store.server.ServerDatabase.changes_seen).
CHANGED_CHANNEL = "kashop_changed"
#: The tables whose writes other desks must see (all the shop's own).
ANNOUNCED_TABLES = ("orders", "order_event", "cancel_request", "refund", "card_code", "code_event", "product",
                    "coupon", "buyer", "buyer_cancellation", "gateway_account", "setting", "payment_watch",
                    "recon_mark")
_CHANGED_FUNCTION = f"""
CREATE OR REPLACE FUNCTION kashop_changed_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANGED_CHANNEL}', '');  -- sent at commit, once per transaction
  RETURN NULL;
END $$"""


#: Tables of schema 14 announced the same way (operators, the shop log).
ANNOUNCED_14 = ("operator", "audit_event")


def announce_changes(db: Any, tables: tuple[str, ...] = ANNOUNCED_TABLES) -> None:
    """A statement trigger on each of the shop's tables that NOTIFYs ``CHANGED_CHANNEL``: other
    desks hear of a commit at once instead of polling (PostgreSQL 15 manual, NOTIFY: one
    notification per transaction and channel, delivered when it commits)."""
    db.execute_sql(_CHANGED_FUNCTION)
    for table in tables:
        db.execute_sql(f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION kashop_changed_trg()")


#: Substring search on buyer contacts: a trigram GIN index answers LIKE '%…%' (SQLite: FTS5 trigram).
BUYER_SEARCH_INDEX = "orders_buyer_trgm"


def migration_1(db: Any) -> None:
    db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    db.create_tables(MODELS)
    StatusCount.insert_many([{"status": s.value, "n": 0} for s in OrderStatus]).execute()
    db.execute_sql(_COUNT_FUNCTION)
    for sql in COUNT_TRIGGERS:
        db.execute_sql(sql)
    db.execute_sql(f"CREATE INDEX {BUYER_SEARCH_INDEX} ON orders USING gin (buyer gin_trgm_ops)")
    # Order-no tails as buyers quote them (store.search; SQLite: substr(order_no, -6)).
    db.execute_sql("CREATE INDEX orders_no_tail ON orders (right(order_no, 6))")


def nothing(db: Any) -> None:
    """A migration whose every change a server store already has from migration 1 (columns
    the models declare) or that reshapes data only an older SQLite file can hold."""


def migration_3(db: Any) -> None:
    from .schema3 import _TRADE_WHERE, TRADE_NO_INDEX, new_store_id

    db.execute_sql("INSERT INTO setting (key, value) VALUES ('store_id', %s) ON CONFLICT (key) DO NOTHING",
                   (f'"{new_store_id()}"',))
    db.execute_sql(f"CREATE UNIQUE INDEX IF NOT EXISTS {TRADE_NO_INDEX} ON orders "
                   f"(COALESCE(gateway_id, 0), gateway_trade_no) WHERE {_TRADE_WHERE}")


def migration_4(db: Any) -> None:
    # The search covers the canonical contact too (SQLite: the FTS5 table gains buyer_key).
    db.execute_sql(f"DROP INDEX IF EXISTS {BUYER_SEARCH_INDEX}")
    db.execute_sql(f"CREATE INDEX {BUYER_SEARCH_INDEX} ON orders USING gin (buyer gin_trgm_ops, buyer_key gin_trgm_ops)")


def migration_5(db: Any) -> None:
    db.execute_sql("CREATE INDEX IF NOT EXISTS orders_held ON orders (held_at) WHERE held_at IS NOT NULL")
    db.execute_sql("CREATE INDEX IF NOT EXISTS buyer_blocked ON buyer (blocked_at) WHERE blocked_at IS NOT NULL")


def migration_6(db: Any) -> None:
    from .codes6 import _INDEXES

    for sql in _INDEXES:
        db.execute_sql(sql)


def migration_7(db: Any) -> None:
    db.create_tables([PaymentWatch], safe=True)


def migration_8(db: Any) -> None:
    db.create_tables([ReconMark], safe=True)
    announce_changes(db)  # every table of the shop is there now


def migration_9(db: Any) -> None:
    db.execute_sql(schema9.IN_FLIGHT_INDEX_SQL)


def migration_11(db: Any) -> None:
    from . import pg_reports

    pg_reports.create(db)


def migration_14(db: Any) -> None:
    # Operators and the chained log: the tables come from the models (migration 1); the owner
    # (店主) works alone until a second operator is added, as on the file (store.schema14).
    import time

    from ..domain.roles import OWNER_NAME

    if not db.execute_sql("SELECT 1 FROM operator LIMIT 1").fetchone():
        now = int(time.time())
        db.execute_sql("INSERT INTO operator (name, role, password_hash, failed_tries, created_at, updated_at) "
                       "VALUES (%s, 'owner', '', 0, %s, %s)", (OWNER_NAME, now, now))
    announce_changes(db, ANNOUNCED_14)


def migration_15(db: Any) -> None:
    # Reports: an undone cancellation counts no more, an import's cancellation on the order's
    # day, the owner's own cancel is no answer (store.report_tables, schema 15).
    from . import pg_reports

    pg_reports.replace_triggers(db)


def migration_16(db: Any) -> None:
    # The HMAC anchor of each chain's head (store.anchor, schema 16); a store made by migration 1
    # has the columns from the models already.
    for column, declaration in (("anchor_id", "BIGINT"), ("anchor_hash", "BYTEA"), ("anchor_mac", "BYTEA")):
        db.execute_sql(f"ALTER TABLE chain_head ADD COLUMN IF NOT EXISTS {column} {declaration}")


def migration_17(db: Any) -> None:
    # Reports: an unpaid order's expiry counts on the day it expired (its entry's expired_at),
    # not the day the sweep recorded it (store.report_tables, schema 17).
    from . import pg_reports

    pg_reports.replace_triggers(db)


def migration_18(db: Any) -> None:
    # Two indexes that repeated the front of another (store.schema18); a server store made by
    # migration 1 never had them (the models declare index=False), an older one drops them.
    from . import schema18

    schema18.migrate(db)


def migration_19(db: Any) -> None:
    # Reports: a desk sale voided before it could be paid is no cancellation (store.report_tables, schema 19).
    from . import pg_reports

    pg_reports.replace_triggers(db)


__all__ = ["BUYER_SEARCH_INDEX", "COUNT_TRIGGERS", "migration_1", "migration_3", "migration_4", "migration_5",
           "migration_6", "migration_7", "migration_8", "migration_9", "migration_11", "migration_14",
           "migration_15", "migration_16", "migration_17", "migration_18", "migration_19", "nothing"]
