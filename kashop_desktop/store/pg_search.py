"""The order search on a PostgreSQL server store: ``store.search``'s plans fitted to the
server's indexes and planner.

Profiled on 1,000,000 realistic orders (``benchmarks/bench_search_pg.py``, EXPLAIN (ANALYZE,
BUFFERS) of each statement a look ran):

* A trigram GIN probe (``buyer ILIKE '%…%'``, ``store.pg_schema``) cannot stop early as
  SQLite's FTS5 does: its bitmap holds every candidate (every row holding all the pattern's
  trigrams), and each candidate's row is read from the table to recheck it. A reseller's phone
  (20,000 orders) read 11,840 table pages, 0.37 s; ``com`` fell back to a scan. SQLite's
  FTS5 reads capped lists of row ids and no rows at all. So on a server the buyer probe runs
  only when the planner expects few matches (``PROBE_MOST``; its estimate comes from the
  column statistics ANALYZE keeps, which hold every busy contact among their most common
  values) and when the trigram index can narrow the search at all (text whose characters are
  not word characters in the database's locale, e.g. Chinese in a ``C``-locale database, has
  no trigrams: pg_trgm, "Index Support"). Otherwise the field is reported as more than the
  cap (many, not counted), and the search takes the unselective plan.
* The unselective plan's row test is written with the indexable operators (order-no range,
  ``ILIKE`` on the trigram index, product ids, trade no), so the server's planner chooses per
  tab between walking the tab's (status, time) index under the LIMIT and intersecting the
  indexes' bitmaps (a busy phone in a small tab: a BitmapAnd of the GIN and status bitmaps
  reads only the rows in both); SQLite's hand-made walk is kept for SQLite.
* The dated plan's test for order nos that do not start with their creation date read every
  order of the prefix (``KS2025``: 300,000 rows, 1.0 s): the server keeps the same partial
  index as the file (``SEARCH_INDEXES``), written with immutable functions.
* The btree probes go in one statement (one round trip instead of one per field).
"""

from __future__ import annotations

import json
from typing import Any

from . import dated

#: Indexes that only speed the search up, made where missing when a server store opens (as
#: ``store.db.SEARCH_INDEXES`` on the file; creating one changes no data, so no schema number).
SEARCH_INDEXES = (
    (dated.UNDATED_INDEX,
     f"CREATE INDEX IF NOT EXISTS {dated.UNDATED_INDEX} ON orders (order_no) WHERE {dated.UNDATED_WHERE_SERVER}"),
)
#: The buyer probe runs when the planner expects at most this many matching orders: each is a
#: table row read (~10-30 microseconds from the system's cache), so 2,000 cost up to ~40 ms.
PROBE_MOST = 2_000
#: Up to this many matched orders are read with the probes (``queries.WALK_FROM``: a first page
#: of a search matching no more reads every match).
PRELOAD_MOST = 2_000
#: A buyer probe the trigram index cannot narrow (no trigrams in what was typed) runs only on a
#: table this cheap to scan, in the planner's cost units (a whole scan of 1,000,000 orders
#: costs ~65,000; 30,000 orders ~2,000).
SCAN_MOST = 10_000


def ensure_indexes(db: Any) -> list[str]:
    """Create the search indexes this server store lacks (under the shop's write lock, so two
    desks opening at once build each one once); returns the names created."""
    have = {r[0] for r in db.execute_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'orders'")}
    missing = [(name, sql) for name, sql in SEARCH_INDEXES if name not in have]
    if missing:
        with db.atomic():
            for _, sql in missing:
                db.execute_sql(sql)
    return [name for name, _ in missing]


def buyer_worth_probing(con: Any, sql: str, params: list[Any]) -> bool:
    """Whether the buyer probe ``sql`` reads few rows: the planner expects at most
    ``PROBE_MOST`` matches and either uses the trigram index or scans a table small enough
    (``SCAN_MOST``, in the planner's cost units). One EXPLAIN, planned only (~0.3 ms)."""
    plan = con.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()[0]
    top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    if float(top.get("Plan Rows", 0)) > PROBE_MOST:
        return False
    return _uses_index(top) or float(top.get("Total Cost", 0)) <= SCAN_MOST


def _uses_index(node: dict[str, Any]) -> bool:
    if node.get("Node Type") == "Seq Scan":
        return False
    return all(_uses_index(child) for child in node.get("Plans", []))


def run_probes(con: Any, probes: list[tuple[str, str, list[Any]]], cap: int,
               counted: dict[str, int] | None = None,
               ) -> tuple[dict[str, list[int]], dict[str, int], list[Any] | None]:
    """Each probe's ids (at most ``cap + 1``) and how many it matched (capped at ``cap + 1``),
    every probe in one statement: one round trip. A field in ``counted`` has only its first
    ``counted[field]`` ids read, and is counted on its index alone (an index-only scan of the
    order-no index reads ~14,000 entries in ~3 ms where fetching their ids read as many rows).
    Without one, when the fields matched ``PRELOAD_MOST`` orders or fewer in all, those orders'
    (id, created_at, paid_fen, status, product_type) come in the same statement (the third item;
    else None): a first page reads them all anyway (``store.selection``), and it saves a round
    trip and a second reading of rows the probes have just read."""
    counted = counted or {}
    ctes = ", ".join(f"p{i} AS ({sql} LIMIT {counted.get(name, cap + 1)})" for i, (name, sql, _) in enumerate(probes))
    params = [p for _, _, probe_params in probes for p in probe_params]
    columns: list[str] = []
    for i, (name, sql, probe_params) in enumerate(probes):
        columns.append(f"ARRAY(SELECT id FROM p{i})")
        if name in counted:
            bare = sql.replace("SELECT id FROM", "SELECT 1 FROM", 1)
            columns.append(f"(SELECT count(*) FROM ({bare} LIMIT {cap + 1}) AS c)")
            params += probe_params
    preload = bool(probes) and not counted
    if preload:
        every = " UNION ALL ".join(f"SELECT id FROM p{i}" for i in range(len(probes)))
        columns.append("(SELECT json_agg(json_build_array(o.id, o.created_at, o.paid_fen, o.status, o.product_type)) "
                       f"FROM orders o WHERE o.id IN ({every}) AND (SELECT count(*) FROM ({every}) AS a) <= "
                       f"{min(cap, PRELOAD_MOST)})")
    if not columns:
        return {}, {}, None
    row = iter(con.execute(f"WITH {ctes} SELECT {', '.join(columns)}", params).fetchone())
    found: dict[str, list[int]] = {}
    sizes: dict[str, int] = {}
    for name, _, _ in probes:
        found[name] = list(next(row))
        sizes[name] = int(next(row)) if name in counted else len(found[name])
    rows = next(row) if preload else None
    if isinstance(rows, str):
        rows = json.loads(rows)
    if rows is None and preload and sum(sizes.values()) == 0:
        rows = []  # nothing matched: nothing to read
    return found, sizes, rows


def row_test(probes: list[tuple[str, str, list[Any]]], likes: list[str]) -> tuple[str, list[Any]]:
    """The search as a per-row test the server's planner can answer from the indexes or on a
    walk of the tab's index, as it estimates cheaper (the same orders as ``search._row_test``:
    an order-no prefix, an order-no tail, a trade no or its case-blind prefix, a buyer
    substring case-blind in either column, a product)."""
    terms: list[str] = []
    params: list[Any] = []
    for name, _, probe_params in probes:
        if name == "order_no":
            terms.append("(o.order_no >= ? AND o.order_no < ?)")
            params += probe_params
        elif name == "order_tail":
            terms.append("(right(o.order_no, 6) IN (" + ",".join("?" * (len(probe_params) - 2)) + ") "
                         "AND right(o.order_no, ?::int) = ?)")
            params += probe_params
        elif name == "trade_no" and len(probe_params) == 1:
            terms.append("o.gateway_trade_no = ?")
            params += probe_params
        elif name == "trade_no":  # the spellings' ranges, each on the trade-no index
            terms.append("(" + " OR ".join(["(o.gateway_trade_no >= ? AND o.gateway_trade_no < ?)"]
                                            * (len(probe_params) // 2)) + ")")
            params += probe_params
        elif name == "buyer":
            terms.append(" OR ".join(["o.buyer ILIKE ? OR o.buyer_key ILIKE ?"] * len(likes)))
            params += [p for like in likes for p in (like, like)]
        else:
            terms.append(f"o.product_id IN ({','.join('?' * len(probe_params))})")
            params += probe_params
    return "(" + " OR ".join(terms) + ")", params
