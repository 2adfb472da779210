"""Order-list queries built for a million orders.

* Counts per status come from the trigger-kept ``status_count`` table (no scan).
* Pages are fetched by keyset (``(created_at, id) < (?, ?)``) when the neighbour page is
  known (forwards below it, backwards above it), by OFFSET only for a jump.
* Ids in list order come from the sort index alone (a covering scan): an OFFSET over them
  skips index entries instead of rows, and the whole list of a million is 8 MB.
* A search is planned from its size (``store.search``): one that matches few orders is
  resolved to their ids through each field's own index and read once into memory
  (``store.selection``), so its pages, counts and positions in any tab are slices; an order-no
  prefix that matches many walks the tab's own index inside the prefix's date window
  (``store.dated``); any other search that matches many is a cheap per-row test on the tab's
  own index walk.
"""

from __future__ import annotations

import json
import logging
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from peewee import SqliteDatabase

from . import schema9, search, selection
from .dialect import id_list, on_server, orders_of_ids
from .search import classify_search

log = logging.getLogger(__name__)

REFUNDING = "refunding"  # pseudo-status: orders with a refund still in flight
HELD = "held"  # pseudo-status: orders held for the owner's review (a blocked buyer's), schema 5
#: A held order waits only while it is not delivered yet; cancelled or refunded, it waits for nothing.
HELD_STATUSES = "('pending_payment', 'paid')"
#: Refunds in flight, written as the partial index ``refund_in_flight`` states it (literals, so
#: SQLite reads that index instead of scanning every refund; schema 9).
IN_FLIGHT_WHERE = schema9.IN_FLIGHT_WHERE

ROW_COLUMNS = (
    "id, order_no, created_at, product_name, product_type, quantity, buyer, paid_fen, refunded_fen, "
    "status, channel, gateway_trade_no, refund_pending_fen, paid_at, held_at"
)
_COLUMNS = ", ".join("o." + c.strip() for c in ROW_COLUMNS.split(","))

__all__ = ["HELD", "REFUNDING", "OrderFilter", "classify_search"]


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None  # an OrderStatus value, REFUNDING, HELD, or None for all
    search: str = ""
    date_from: int | None = None  # epoch seconds, inclusive
    date_to: int | None = None  # epoch seconds, exclusive
    product_type: str | None = None
    sort: str = "created"  # created | amount
    descending: bool = True


def _listed(db: SqliteDatabase, flt: OrderFilter) -> selection.Listed | None:
    """The list of a selective search, from its orders in memory (``store.selection``); None
    for any other filter (read through ``_source``)."""
    resolution = search.resolve(db, flt.search)
    if resolution is None or resolution.matched is None:
        return None
    refunding = None
    if flt.status == REFUNDING:
        refunding = frozenset(r[0] for r in db.execute_sql(f"SELECT order_id FROM refund WHERE {IN_FLIGHT_WHERE}"))
    wanted = selection.Wanted(flt.status if refunding is None else None, refunding, flt.date_from, flt.date_to,
                              flt.product_type, flt.sort, flt.descending)
    return resolution.matched.listed(wanted)


def _rows(db: SqliteDatabase, ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """These orders' list rows in this order, by primary key (an order gone meanwhile is left out)."""
    if not len(ids):
        return []
    rows = {r[0]: r for r in db.execute_sql(
        f"SELECT {_COLUMNS} FROM {orders_of_ids(db)}", (json.dumps(list(ids)),))}
    return [rows[i] for i in ids if i in rows]


def _source(db: SqliteDatabase, flt: OrderFilter) -> tuple[str, list[Any]]:
    """`` FROM ... WHERE ...`` (always with a WHERE) for the filtered list, planned from the
    search's size (``store.search``): a selective search drives the query from its ids (a
    CROSS JOIN keeps them the outer loop; the tab's columns are tested behind a unary ``+`` so
    no index walk competes; the list functions read it from memory instead, ``_listed``), a
    dated one walks the tab's index inside its date window (its few matches outside the window
    read by primary key beside it: ``_dated_source``), an unselective one is a per-row test on
    the tab's index walk."""
    resolution = search.resolve(db, flt.search)
    mark = "+" if resolution is not None and resolution.selective else ""
    clauses: list[str] = []
    params: list[Any] = []
    date_from, date_to = flt.date_from, flt.date_to
    outside = resolution is not None and bool(resolution.outside)
    if resolution is not None and resolution.window is not None and not outside:  # a dated search: its window only
        start, end = resolution.window
        date_from = start if date_from is None else max(date_from, start)
        date_to = end if date_to is None else min(date_to, end)
    if flt.status == REFUNDING:
        clauses.append(f"o.id IN (SELECT order_id FROM refund WHERE {IN_FLIGHT_WHERE})")
    elif flt.status == HELD:
        clauses.append(f"{mark}o.held_at IS NOT NULL AND {mark}o.status IN {HELD_STATUSES}")
    elif flt.status:
        clauses.append(f"{mark}o.status = ?")
        params.append(flt.status)
    if date_from is not None:
        clauses.append(f"{mark}o.created_at >= ?")
        params.append(date_from)
    if date_to is not None:
        clauses.append(f"{mark}o.created_at < ?")
        params.append(date_to)
    if flt.product_type:
        clauses.append(f"{mark}o.product_type = ?")
        params.append(flt.product_type)
    source = " FROM orders o"
    if resolution is not None and resolution.ids is not None:
        source = f" FROM {orders_of_ids(db)}"
        params.insert(0, resolution.ids_json())
    elif resolution is not None and outside:
        source, source_params = _dated_source(db, resolution)
        params = source_params + params
    elif resolution is not None:
        clauses.append(resolution.row_test)
        params += resolution.row_params
    return f"{source} WHERE {' AND '.join(clauses or ['1 = 1'])}", params


def _dated_source(db: SqliteDatabase, resolution: search.Resolution) -> tuple[str, list[Any]]:
    """`` FROM (...) AS o`` for a dated search with matches outside its window: the window's
    walk with the search's row test, and those few orders by primary key (sorted, a few hundred
    at most), as one UNION ALL. SQLite pushes the tab's terms into both arms and merges them in
    the list's order (``MERGE (UNION ALL)``), so a first page reads the newest of each, not
    every order between them; the arms do not overlap (``outside`` lies outside the window)."""
    assert resolution.window is not None
    start, end = resolution.window
    walk = f"SELECT * FROM orders o WHERE o.created_at >= ? AND o.created_at < ? AND {resolution.row_test}"
    listed = f"SELECT o.* FROM {orders_of_ids(db)}"
    return (f" FROM ({walk} UNION ALL {listed}) AS o",
            [start, end, *resolution.row_params, json.dumps(resolution.outside)])


def search_matches(db: SqliteDatabase, text: str) -> tuple[dict[str, int], int]:
    """What a search matched, per field (``order_no``, ``order_tail``, ``trade_no``, ``buyer``,
    ``product``), over all orders, and the cap the counts stopped at (``cap + 1`` means "more
    than cap"). Fields without a match are left out."""
    resolution = search.resolve(db, text)
    if resolution is None:
        return {}, search.cap_for(db)
    return {k: n for k, n in resolution.matches.items() if n}, resolution.cap


def _sort_key(flt: OrderFilter) -> str:
    return "o.paid_fen" if flt.sort == "amount" else "o.created_at"


def status_counts(db: SqliteDatabase) -> dict[str, int]:
    counts = {status: n for status, n in db.execute_sql("SELECT status, n FROM status_count").fetchall()}
    counts["all"] = sum(counts.values())
    counts[REFUNDING] = db.execute_sql(f"SELECT COUNT(DISTINCT order_id) FROM refund WHERE {IN_FLIGHT_WHERE}").fetchone()[0]
    counts[HELD] = db.execute_sql(
        f"SELECT COUNT(*) FROM orders WHERE held_at IS NOT NULL AND status IN {HELD_STATUSES}").fetchone()[0]
    return counts


def count_is_cheap(db: SqliteDatabase, flt: OrderFilter) -> bool:
    """Whether ``count`` reads no more than a page does: the kept status counts, or a
    selective search's orders once they are in memory (or few enough to read now)."""
    if not (flt.search.strip() or flt.date_from or flt.date_to or flt.product_type):
        return True
    resolution = search.resolve(db, flt.search)
    matched = resolution.matched if resolution is not None else None
    return matched is not None and (matched.loaded or len(matched.wanted_ids) <= WALK_FROM)


#: A selective search matching more orders than this has its first page found by a bounded walk
#: of the tab's sort index (``first_page``) instead of reading every match first.
WALK_FROM = 2_000
#: The most index entries that walk reads before it gives up (a few milliseconds' worth).
WALK_BUDGET = 60_000


def first_page(db: SqliteDatabase, flt: OrderFilter, limit: int) -> list[tuple[Any, ...]]:
    """``page(db, flt, limit)``, for a filter's first look. A selective search with thousands
    of matches (a reseller's phone) that are not in memory yet: the tab's sort index is walked,
    index entries only, testing each id against the matched ids, for at most ``WALK_BUDGET``
    entries; that finds the page in a few milliseconds wherever the matches are not rare in
    the tab, where reading every match by primary key first would cost one lookup each. When
    the walk runs out first (the matches are rare in a big tab), the matches are read after all."""
    resolution = search.resolve(db, flt.search)
    matched = resolution.matched if resolution is not None else None
    if matched is None or matched.loaded or len(matched.wanted_ids) <= WALK_FROM:
        return page(db, flt, limit)
    walk, params = _walk_sql(db, flt)
    ids = [r[0] for r in db.execute_sql(
        f"SELECT w.id FROM ({walk}) AS w WHERE w.id IN (SELECT value FROM {id_list(db)} AS s) LIMIT ?",
        [*params, WALK_BUDGET, json.dumps(matched.wanted_ids), limit])]
    if len(ids) < limit and not _within(db, flt, WALK_BUDGET):
        return page(db, flt, limit)  # the budget ran out before the page was full
    return _rows(db, ids)


def _walk_sql(db: SqliteDatabase, flt: OrderFilter) -> tuple[str, list[Any]]:
    """The tab's ids in list order, the search left out, with a LIMIT parameter."""
    source, params = _source(db, replace(flt, search=""))
    key = _sort_key(flt)
    direction = "DESC" if flt.descending else "ASC"
    return f"SELECT o.id AS id{source} ORDER BY {key} {direction}, o.id {direction} LIMIT ?", params


def _within(db: SqliteDatabase, flt: OrderFilter, most: int) -> bool:
    """Whether the tab (dates and type included, the search left out) holds at most ``most``
    orders: the kept counts for a plain tab, else a count that stops after ``most + 1``."""
    bare = replace(flt, search="")
    if not (bare.date_from or bare.date_to or bare.product_type) and bare.status != REFUNDING:
        return count(db, bare) <= most
    walk, params = _walk_sql(db, bare)
    return int(db.execute_sql(f"SELECT COUNT(*) FROM ({walk}) AS w", [*params, most + 1]).fetchone()[0]) <= most


def count(db: SqliteDatabase, flt: OrderFilter) -> int:
    simple = not (flt.search.strip() or flt.date_from or flt.date_to or flt.product_type)
    if simple and flt.status not in (REFUNDING, HELD):
        counts = status_counts(db)
        return counts["all"] if not flt.status else counts.get(flt.status, 0)
    listed = _listed(db, flt)
    if listed is not None:
        return len(listed)
    source, params = _source(db, flt)
    return int(db.execute_sql(f"SELECT COUNT(*){source}", params).fetchone()[0])


def page(
    db: SqliteDatabase,
    flt: OrderFilter,
    limit: int,
    *,
    offset: int = 0,
    after: tuple[int, int] | None = None,
) -> list[tuple[Any, ...]]:
    """Rows in list order. ``after`` = (sort value, id) of the previous page's last row."""
    listed = _listed(db, flt)
    if listed is not None:
        start = listed.after(after) if after is not None else offset
        return _rows(db, listed.ids[start : start + limit])
    source, params = _source(db, flt)
    key = _sort_key(flt)
    direction = "DESC" if flt.descending else "ASC"
    if after is not None:
        op = "<" if flt.descending else ">"
        source += f" AND ({key}, o.id) {op} (?, ?)"
        params += [after[0], after[1]]
        offset = 0
    sql = (
        f"SELECT {_COLUMNS}{source} "
        f"ORDER BY {key} {direction}, o.id {direction} LIMIT ? OFFSET ?"
    )
    return list(db.execute_sql(sql, [*params, limit, offset]).fetchall())


def page_before(db: SqliteDatabase, flt: OrderFilter, limit: int, before: tuple[int, int]) -> list[tuple[Any, ...]]:
    """The ``limit`` rows just above ``before`` (sort value, id), in list order: a keyset seek
    backwards, for the page above a cached one (scrolling up after a jump)."""
    listed = _listed(db, flt)
    if listed is not None:
        end = listed.before(before)
        return _rows(db, listed.ids[max(0, end - limit) : end])
    source, params = _source(db, flt)
    key = _sort_key(flt)
    op, direction = (">", "ASC") if flt.descending else ("<", "DESC")  # the list's order, reversed
    source += f" AND ({key}, o.id) {op} (?, ?)"
    sql = (
        f"SELECT {_COLUMNS}{source} "
        f"ORDER BY {key} {direction}, o.id {direction} LIMIT ?"
    )
    rows = list(db.execute_sql(sql, [*params, before[0], before[1], limit]).fetchall())
    rows.reverse()
    return rows


def _ids_sql(db: SqliteDatabase, flt: OrderFilter, *, reverse: bool = False) -> tuple[str, list[Any]]:
    """Ids (and the sort key: a compound source is merged in order only when its ORDER BY terms
    are result columns, SQLite's flattening rule for compound subqueries) in list order."""
    source, params = _source(db, flt)
    key = _sort_key(flt)
    direction = "DESC" if flt.descending != reverse else "ASC"
    return f"SELECT o.id, {key}{source} ORDER BY {key} {direction}, o.id {direction}", params


def ids(db: SqliteDatabase, flt: OrderFilter, limit: int, *, offset: int = 0, from_end: bool = False) -> list[int]:
    """Order ids in list order. The sort indexes end in ``id``, so this reads the index alone:
    on a million orders OFFSET 600,000 takes ~9 ms here, ~20 ms in ``page`` (measured warm).
    ``from_end``: ``offset`` counts from the end of the list (the index read backwards), so a
    row near the bottom is no deeper than one near the top."""
    listed = _listed(db, flt)
    if listed is not None:
        end = len(listed) - offset if from_end else offset + limit
        return listed.ids[max(0, end - limit) : max(0, end)].tolist()
    sql, params = _ids_sql(db, flt, reverse=from_end)
    found = [r[0] for r in db.execute_sql(sql + " LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()]
    if from_end:
        found.reverse()
    return found


ID_CHUNK = 16_384
SCAN_CACHE_KIB = 2_000


def all_ids(db: SqliteDatabase, flt: OrderFilter, cancelled: Callable[[], bool] | None = None) -> array[int] | None:
    """Every id of the filtered list in list order, as one compact array (8 bytes an order).

    Read a chunk at a time (a million row tuples at once would cost ~90 MB), checking
    ``cancelled`` between chunks: returns None as soon as it says the list is no longer wanted.
    A whole-index scan reads each page once, so the connection's page cache is held small
    meanwhile (and restored after): it would otherwise keep 16 MB of pages nobody reads again.
    """
    listed = _listed(db, flt)
    if listed is not None:
        return array("q", listed.ids)
    sql, params = _ids_sql(db, flt)
    if on_server(db):  # the server's own cache: nothing to hold small here
        return _read_ids(db.execute_sql(sql, params), cancelled)
    cache = db.execute_sql("PRAGMA cache_size").fetchone()[0]
    db.execute_sql(f"PRAGMA cache_size = -{SCAN_CACHE_KIB}")
    try:
        return _read_ids(db.execute_sql(sql, params), cancelled)
    finally:
        db.execute_sql(f"PRAGMA cache_size = {int(cache)}")


def _read_ids(cursor: Any, cancelled: Callable[[], bool] | None) -> array[int] | None:
    found: array[int] = array("q")
    while chunk := cursor.fetchmany(ID_CHUNK):
        if cancelled is not None and cancelled():
            cursor.close()
            return None
        found.extend([r[0] for r in chunk])
    return found


def sort_value(row: tuple[Any, ...], flt: OrderFilter) -> tuple[int, int]:
    """The keyset key of a row returned by ``page``."""
    return (row[7] if flt.sort == "amount" else row[2], row[0])


def position_of(db: SqliteDatabase, flt: OrderFilter, order_id: int) -> int | None:
    """The row index of an order in the filtered list, or None if it is not in it."""
    listed = _listed(db, flt)
    if listed is not None:
        return listed.position(order_id)
    source, params = _source(db, flt)
    row = db.execute_sql(f"SELECT {_sort_key(flt).replace('o.', '')}, id FROM orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        return None
    op = ">" if flt.descending else "<"
    key = _sort_key(flt)
    source += f" AND ({key}, o.id) {op} (?, ?)"
    n = db.execute_sql(f"SELECT COUNT(*){source}", [*params, row[0], row[1]]).fetchone()[0]
    return int(n)


def light_rows(db: SqliteDatabase, table: str, column: str, values: list[Any]) -> list[SimpleNamespace]:
    """``SELECT * FROM table WHERE column IN values`` as plain attribute objects.

    Bulk operations read tens of thousands of rows; peewee's query building and model
    instances cost more than the work itself, and nothing saves through these objects.
    Attribute names are the column names (``order_id``, ``product_id``), as on peewee models.
    """
    if not values:
        return []
    marks = ",".join("?" * len(values))
    cursor = db.execute_sql(f'SELECT * FROM "{table}" WHERE "{column}" IN ({marks})', list(values))
    names = [d[0] for d in cursor.description]
    return [SimpleNamespace(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


class Interrupted(Exception):
    """A read stopped part-way because the caller no longer wanted it."""


#: Seconds between two looks at ``cancelled`` while a server runs a read (``interruptible``).
CANCEL_POLL_S = 0.01


class _Watched:
    """One read on a server: its connection and whether it is still wanted."""

    def __init__(self, cancelled: Callable[[], bool], connection: Any) -> None:
        self.cancelled = cancelled
        self.connection = connection
        self.lock = threading.Lock()  # held while the read is cancelled, and when it ends
        self.running = True


class _Canceller:
    """One thread for every server read ``interruptible`` runs: while any runs, it looks at
    each one's ``cancelled`` every ``CANCEL_POLL_S`` and sends libpq's cancel request for those
    no longer wanted (PostgreSQL 15 manual, "Canceling Requests in Progress"). One long-lived
    thread, not one per read: starting a thread waits for it to run, which under load costs a
    look milliseconds."""

    def __init__(self) -> None:
        self._reads: set[_Watched] = set()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, cancelled: Callable[[], bool], connection: Any) -> _Watched:
        read = _Watched(cancelled, connection)
        with self._changed:
            self._reads.add(read)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kashop-read-cancel", daemon=True)
                self._thread.start()
            self._changed.notify()
        return read

    def done(self, read: _Watched) -> None:
        """The read has ended; returns once a cancel request sent for it has been delivered (the
        server ignores one that finds it idle, so none can stop a later statement)."""
        with read.lock:
            read.running = False
        with self._changed:
            self._reads.discard(read)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._reads:
                    self._changed.wait()
                reads = list(self._reads)
            for read in reads:
                if read.running and read.cancelled():
                    # Sent again at each look while the read runs: a request that reaches the
                    # server before the read's statement does finds the session idle and is
                    # ignored (seen on a loaded machine: the read then ran to its end).
                    with read.lock:
                        if read.running:
                            try:
                                read.connection.cancel_safe(timeout=5)
                            except Exception as exc:  # the server went away: the read fails by itself
                                read.running = False
                                log.warning("could not cancel a read on the server: %s", exc)
            with self._changed:
                self._changed.wait(CANCEL_POLL_S)


_canceller = _Canceller()


def _interruptible_on_server(db: Any, cancelled: Callable[[], bool], fn: Callable[..., Any], *args: Any) -> Any:
    """``interruptible`` on a server store: the read is watched (``_Canceller``) and the server
    asked to cancel its running statement once ``cancelled()`` says so. A superseded count of a
    million orders (0.4-1.3 s) held the database worker, and the next look waited behind it."""
    if cancelled():
        raise Interrupted
    read = _canceller.watch(cancelled, db.connection().conn)
    try:
        return fn(*args)
    except Exception as exc:
        if cancelled() and _was_cancelled(exc):
            raise Interrupted from exc
        raise
    finally:
        _canceller.done(read)


def _was_cancelled(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is the server's "canceling statement" (57014)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) == "57014":
            return True
        nested: Any = current.args[0] if current.args else None
        current = nested if isinstance(nested, BaseException) else (current.__cause__ or current.__context__)
    return False


#: SQLite virtual-machine steps between two looks at ``cancelled`` (~10 ms of work). Each look
#: is a Python call, so it takes the interpreter lock from the window's thread: at 5,000 steps
#: (~1 ms) a count running behind a search's first page made the page's paint wait its turn a
#: thousand times a second (gui_bench search p95 95-111 ms against 58-83 ms at 50,000, the same
#: terms alternately at load 4.5); a newer keystroke still stops the older query within ~10 ms.
PROGRESS_STEPS = 50_000


def interruptible(db: SqliteDatabase, cancelled: Callable[[], bool], fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` (reads on this thread's connection) so that it stops within about a
    millisecond once ``cancelled()`` is true: SQLite's progress handler aborts the running
    statement, and ``Interrupted`` is raised. The handler is set only for this call, so writes
    on the same connection are never cut short."""
    if on_server(db):
        return _interruptible_on_server(db, cancelled, fn, *args)
    con = db.connection()
    con.set_progress_handler(lambda: 1 if cancelled() else 0, PROGRESS_STEPS)
    try:
        if cancelled():
            raise Interrupted
        return fn(*args)
    except Exception as exc:
        if cancelled() and not isinstance(exc, Interrupted) and "interrupt" in str(exc).lower():
            raise Interrupted from exc
        raise
    finally:
        con.set_progress_handler(None, 0)
