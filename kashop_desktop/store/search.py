"""The order search: what a search matches, and how big it is, before the list query is built.

A search is resolved field by field, each through its own index, reading at most ``cap + 1``
ids each (no field is read twice):

* ``order_no``: an order-no prefix, a range on the unique index (``>= q AND < q || U+FFFF``);
* ``order_tail``: the tail of an order no as buyers quote it ("0001996", "1996"; at least
  ``MIN_TAIL`` characters), an equality on the index over the last ``TAIL`` characters, then
  the whole tail checked; a tail shorter than ``TAIL`` is looked up as each ``TAIL``-character
  ending it can be the end of (``[0-9A-Z]`` before it: at most 1,296 index probes) and as a
  whole order no that short;
* ``trade_no``: a gateway trade no, case-blind, as typed or by a prefix of at least
  ``MIN_TAIL`` characters, letters or digits alike (Alipay's and WeChat Pay's trade nos are all
  digits: ``2026112022`` finds ``2026112022001234567``): a range on the unique index per
  upper/lower-case spelling of the letters typed (at most ``2 ** MAX_CASE_LETTERS`` ranges; an
  exact equality beyond that). A digit prefix that matches many is most often a date (Alipay's
  and 易支付's trade nos start with the day the payment was made: "2024" is a year of them):
  the list then walks the tab's index only over orders created up to the end of that date (an
  order is created before it is paid), so an old year is not reached through every newer
  order (*trade-dated*, below); a prefix that is no date ("4200", every WeChat Pay trade no)
  is walked as any unselective search, its matches dense;
* ``buyer``: a substring of the buyer's contact, through the FTS5 trigram index, which covers
  the contact as written and its canonical key (``domain.contacts``): any spelling of a number
  finds every order of that buyer;
* ``product``: part of a product's name, through the (product, created_at) index.

Three plans, from the sizes:

* *selective* (every field together at most ``cap``): the matched orders are read once by
  primary key into memory (``store.selection``); every tab, date range and sort of the search
  is then a filter of those in Python, and a page is a slice read by primary key.
* *dated* (an order-no prefix matching many, such as ``KS2024`` or ``KS202410``): order nos
  start with their creation date after their letters, so the prefix is a time window (all of
  2024, October 2024) and the list query walks the tab's status/time index inside it, testing
  the prefix per row, never the newer orders above it. Order nos that do not start with their
  date (imported ones of another shape) are kept in a small partial index
  (``orders_no_undated``) and tested beside the prefix, as are the few orders other fields
  matched.
* *trade-dated* (an all-digit trade-no prefix matching many that reads as a date): the walk
  of the unselective plan, inside the creation times up to that date's end (a day's slack).

In both dated plans the few orders other fields matched outside the window (``outside``: the
buyers whose e-mail holds ``2024``, ordered this year) are not reached by widening the window,
which walked every newer order (a year ``2024`` took 0.46 s): the list reads them by primary
key beside the window's walk, the two merged in list order (``queries._source``: a UNION ALL
of the two, which SQLite merges, each in the sort's order; EXPLAIN QUERY PLAN in a test).
* *unselective* otherwise: the list query walks the tab's status/time index in list order and
  tests each row against the search (cheap per-row tests, no materialised subquery), which
  finds a page of matches within a few hundred rows.

The crossing point: a selective plan costs one lookup per match, a walk about
``page * total / matches`` rows, so the cap is ``sqrt(page * total)``: ~14,000 at a million
orders, ~4,500 at 100,000.

On a PostgreSQL server the same plans are chosen with the server's costs (``store.pg_search``):
its trigram index cannot read a capped list of ids as FTS5 does, so a buyer field the planner
expects many matches of is not probed (it counts as more than the cap), and an unselective
search's row test is written so the server's planner chooses per tab between the walk and an
intersection of the indexes' bitmaps.

Resolutions are cached per connection until the data changes (``PRAGMA data_version`` for other
connections' commits, ``total_changes`` for this one's), so paging, counting and jumping within
one search resolve it once.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from peewee import SqliteDatabase

from ..domain.contacts import ContactKind, classify_contact, clean, search_forms
from . import dated, dialect, pg_search
from .selection import Matched

#: A search matching at most this many orders is resolved to its ids first; None: from the
#: store's size (``cap_for``). Tests set a number.
CAP: int | None = None
#: The page the cap is balanced for (the list reads 200 rows at a time).
PAGE_ROWS = 200
MIN_CAP = 1_000
#: An order-no prefix matching more than this many orders is planned from its date (``store.dated``).
WINDOW_FROM = 1_000
#: Order-no tails are indexed on this many trailing characters (``orders_no_tail``).
TAIL = 6
#: The index over order-no tails (created by ``store.db``; set aside and rebuilt by bulk loads).
TAIL_INDEX_SQL = "CREATE INDEX IF NOT EXISTS orders_no_tail ON orders (substr(order_no, -6))"

#: The fewest characters an order-no tail or a trade-no prefix is looked up by.
MIN_TAIL = 4
#: The fewest characters a buyer search finds (what the trigram index can read).
MIN_BUYER = 3
#: A trade-no search with more letters than this is looked up as typed (exact, case-sensitive).
MAX_CASE_LETTERS = 8

_PHONE = re.compile(r"^1\d{10}$")
_DIGITS = re.compile(r"^\d+$")
_TAIL = re.compile(r"^[0-9A-Za-z]{4,20}$")
_TAIL_FILL = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def classify_search(text: str) -> str:
    """What the owner typed: order_no, phone, qq, email, trade_no, or text."""
    q = clean(text)
    if "@" in q:
        return "email"
    if _PHONE.match(q) or (not _DIGITS.match(q) and classify_contact(q)[0] is ContactKind.PHONE):
        return "phone"
    if _DIGITS.match(q) and 5 <= len(q) <= 10:
        return "qq"
    if len(q) >= 16 and q.isalnum() and not q.upper().startswith("KS"):
        return "trade_no"
    return "order_no" if q[:2].upper() == "KS" or _DIGITS.match(q) else "text"


@dataclass(frozen=True)
class Resolution:
    """A resolved search. ``matches``: per field, the orders it matched, capped at ``cap + 1``
    (only fields that were tried appear). ``ids``: every matching order id, ascending, when the
    search is selective, with ``matched`` (their list columns in memory); None when it is not:
    then ``row_test`` is the per-row SQL test, and ``window`` ([start, end) epoch seconds) the
    creation times every match lies in, when the search is dated."""

    text: str
    kind: str
    matches: dict[str, int]
    ids: list[int] | None
    cap: int
    row_test: str = ""
    row_params: list[Any] = field(default_factory=list)
    window: tuple[int, int] | None = None
    #: Matching orders created outside ``window`` (found by other fields), ascending ids.
    outside: list[int] = field(default_factory=list)
    matched: Matched | None = field(default=None, compare=False, repr=False)

    @property
    def selective(self) -> bool:
        return self.ids is not None

    @property
    def size(self) -> int:
        """Orders matched: exact when selective, else a lower bound (``cap + 1``)."""
        return len(self.ids) if self.ids is not None else self.cap + 1

    def ids_json(self) -> str:
        return json.dumps(self.ids)


def _buyer_forms(q: str) -> list[str]:
    """Each form of what was typed (``search_forms``) that trigrams can find (three characters
    or more), without the forms that hold another one (matched case-blind): whatever contains
    ``+8613800138000`` contains ``13800138000``, so looking for the longer one as well finds
    nothing more and costs as much again."""
    forms = [f for f in search_forms(q) if len(f) >= MIN_BUYER]
    folded = [f.lower() for f in forms]
    return [f for i, f in enumerate(forms)
            if not any(j != i and other in folded[i] and (other != folded[i] or j < i) for j, other in enumerate(folded))]


def _buyer_match(q: str) -> str | None:
    """The FTS5 query for a buyer search: each form as a quoted phrase, matched against the
    contact as written and its canonical key."""
    phrases = ['"' + f.replace('"', '""') + '"' for f in _buyer_forms(q)]
    return " OR ".join(phrases) or None


def _like(form: str) -> str:
    """An ILIKE pattern finding ``form`` anywhere (its own ``%``, ``_`` and ``\\`` taken literally)."""
    return "%" + form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _tail_keys(upper: str) -> list[str]:
    """The values of ``substr(order_no, -TAIL)`` an order no ending in ``upper`` can have: the
    tail itself (an order no that short, or a tail of ``TAIL`` or more, cut to ``TAIL``) and,
    for a shorter tail, every ``TAIL``-character ending of it over ``[0-9A-Z]``."""
    keys = [upper[-TAIL:]]
    if len(upper) < TAIL:
        fills = [""]
        for _ in range(TAIL - len(upper)):
            fills = [c + f for f in fills for c in _TAIL_FILL]
            keys += [f + upper for f in fills]
    return keys


def _case_spellings(q: str) -> list[str] | None:
    """Every upper/lower-case spelling of ``q``'s letters (``tx0`` -> ``TX0, Tx0, tX0, tx0``),
    or None when it has more than ``MAX_CASE_LETTERS`` letters."""
    letters = sum(1 for c in q if c.lower() != c.upper())
    if letters > MAX_CASE_LETTERS:
        return None
    spellings = [""]
    for c in q:
        forms = sorted({c.upper(), c.lower()})
        spellings = [s + f for s in spellings for f in forms]
    return spellings


def _probes(db: SqliteDatabase, q: str, kind: str) -> list[tuple[str, str, list[Any]]]:
    """(field, SQL selecting ids, params) for each field worth looking in."""
    upper = q.upper()
    probes: list[tuple[str, str, list[Any]]] = [
        ("order_no", "SELECT id FROM orders WHERE order_no >= ? AND order_no < ?", [upper, upper + "\uffff"])]
    if _TAIL.match(q) and not upper.startswith("KS"):
        keys = _tail_keys(upper)
        probes.append(("order_tail", f"SELECT id FROM orders WHERE {dialect.tail(db, 'order_no', str(TAIL))} IN "
                       f"({','.join('?' * len(keys))}) AND {dialect.tail(db, 'order_no', '?')} = ?",
                       [*keys, len(upper), upper]))
    if kind in ("trade_no", "order_no", "qq", "text"):
        spellings = _case_spellings(q)
        if len(q) < MIN_TAIL or spellings is None:
            probes.append(("trade_no", "SELECT id FROM orders WHERE gateway_trade_no = ?", [q]))
        else:
            ranges = " UNION ALL ".join(["SELECT id FROM orders WHERE gateway_trade_no >= ? AND gateway_trade_no < ?"]
                                        * len(spellings))
            probes.append(("trade_no", ranges, [b for v in spellings for b in (v, v + "\uffff")]))
    match = _buyer_match(q) if kind in ("phone", "qq", "email", "text", "order_no") else None
    if match and dialect.on_server(db):  # the trigram GIN index answers ILIKE '%…%' (store.pg_schema)
        likes = [_like(f) for f in _buyer_forms(q)]
        probes.append(("buyer", "SELECT id FROM orders WHERE " + " OR ".join(
            ["buyer ILIKE ? OR buyer_key ILIKE ?"] * len(likes)), [p for like in likes for p in (like, like)]))
    elif match:
        probes.append(("buyer", "SELECT rowid FROM orders_fts WHERE orders_fts MATCH ?", [match]))
    if kind == "text":
        products = [r[0] for r in db.execute_sql(
            f"SELECT id FROM product WHERE {dialect.contains_folded(db, 'name', '?')}", (q,))]
        if products:
            marks = ",".join("?" * len(products))
            probes.append(("product", f"SELECT id FROM orders WHERE product_id IN ({marks})", products))
    return probes


def _row_test(db: SqliteDatabase, q: str, kind: str) -> tuple[str, list[Any]]:
    """The search as a per-row test (every column behind a unary ``+``: no index is used for it,
    so the planner walks the tab's own index)."""
    terms: list[str] = []
    params: list[Any] = []
    for name, _, probe_params in _probes(db, q, kind):
        if name == "order_no":
            terms.append("(+o.order_no >= ? AND +o.order_no < ?)")
        elif name == "order_tail":
            terms.append(f"{dialect.tail(db, '+o.order_no', '?')} = ?")
            probe_params = probe_params[-2:]
        elif name == "trade_no" and len(probe_params) == 1:
            terms.append("+o.gateway_trade_no = ?")
        elif name == "trade_no":  # a case-blind prefix: the first (all upper-case) spelling's length
            terms.append("(upper(substr(+o.gateway_trade_no, 1, ?)) = ?)")
            probe_params = [len(q), q.upper()]
        elif name == "buyer":  # what the FTS5 trigram match finds: any form, case-blind, in either column
            forms = [f.lower() for f in _buyer_forms(q)]
            either = (f"{dialect.contains(db, 'lower(+o.buyer)', '?')} OR "
                      f"{dialect.contains(db, 'lower(+o.buyer_key)', '?')}")
            terms.append(" OR ".join([either] * len(forms)))
            probe_params = [f for f in forms for _ in (0, 1)]
        else:
            terms.append(f"+o.product_id IN ({','.join('?' * len(probe_params))})")
        params += probe_params
    return "(" + " OR ".join(terms) + ")", params


_CACHE_SIZE = 8
_CONNECTIONS = 4
#: Per connection (most recent last): the connection itself (ids of closed ones are reused, so
#: an entry counts only for the very object) and its resolutions with the data version each saw.
_cache: OrderedDict[int, tuple[sqlite3.Connection, OrderedDict[str, tuple[tuple[int, int], Resolution]]]] = (
    OrderedDict())
_cache_lock = threading.Lock()


_look = threading.local()


@contextmanager
def one_look() -> Iterator[None]:
    """Within, each connection's change mark is read once: a look (its first page, count and
    matches) resolves its search several times, and on a server each reading of the mark is a
    round trip. Only for reads: a write inside would not be seen by the resolutions."""
    if getattr(_look, "marks", None) is not None:
        yield
        return
    _look.marks = {}
    try:
        yield
    finally:
        _look.marks = None


def _version(con: sqlite3.Connection) -> tuple[int, int]:
    marks: dict[int, tuple[Any, tuple[int, int]]] | None = getattr(_look, "marks", None)
    held = marks.get(id(con)) if marks is not None else None
    if held is not None and held[0] is con:
        return held[1]
    version = dialect.change_mark(con), con.total_changes
    if marks is not None:
        marks[id(con)] = (con, version)
    return version


def _cached(con: sqlite3.Connection) -> OrderedDict[str, tuple[tuple[int, int], Resolution]]:
    entry = _cache.get(id(con))
    if entry is None or entry[0] is not con:
        entry = _cache[id(con)] = (con, OrderedDict())
    _cache.move_to_end(id(con))
    while len(_cache) > _CONNECTIONS:
        _cache.popitem(last=False)
    return entry[1]


def cap_for(db: SqliteDatabase) -> int:
    """The selective/unselective boundary for this store (``CAP`` when set)."""
    if CAP is not None:
        return CAP
    total = db.execute_sql("SELECT COALESCE(SUM(n), 0) FROM status_count").fetchone()[0]
    return max(MIN_CAP, int(math.sqrt(PAGE_ROWS * total)))


def resolve(db: SqliteDatabase, text: str) -> Resolution | None:
    """Resolve a search (None for an empty one). Each field reads at most ``cap + 1`` ids from
    its own index, so an unselective search costs at most that many index entries per field
    to recognise."""
    q = clean(text)
    if not q:
        return None
    con = db.connection()
    version = _version(con)
    with _cache_lock:
        mine = _cached(con)
        hit = mine.get(q)
        if hit is not None and hit[0] == version:
            mine.move_to_end(q)
            return hit[1]
    resolution = _resolve(db, con, q, version)
    with _cache_lock:
        mine[q] = (version, resolution)
        while len(mine) > _CACHE_SIZE:
            mine.popitem(last=False)
    return resolution


#: Per connection: the cap and the change mark it was read at (``_cap``).
_caps: dict[int, tuple[Any, tuple[int, int], int]] = {}


def _cap(db: SqliteDatabase, con: sqlite3.Connection, version: tuple[int, int]) -> int:
    """``cap_for``, read again only when the store has changed (one round trip less a search
    on a server)."""
    if CAP is not None:
        return CAP
    held = _caps.get(id(con))
    if held is not None and held[0] is con and held[1] == version:
        return held[2]
    cap = cap_for(db)
    with _cache_lock:
        if len(_caps) >= _CONNECTIONS:
            _caps.clear()
        _caps[id(con)] = (con, version, cap)
    return cap


def _resolve(db: SqliteDatabase, con: sqlite3.Connection, q: str, version: tuple[int, int]) -> Resolution:
    kind = classify_search(q)
    cap = _cap(db, con, version)
    probes = _probes(db, q, kind)
    if dialect.on_server(db):
        return _resolve_on_server(db, con, q, kind, cap, probes)
    found = {name: [r[0] for r in con.execute(f"{sql} LIMIT {cap + 1}", params)] for name, sql, params in probes}
    return _planned(db, con, q, kind, cap, probes, found)


def _resolve_on_server(db: SqliteDatabase, con: sqlite3.Connection, q: str, kind: str, cap: int,
                       probes: list[tuple[str, str, list[Any]]]) -> Resolution:
    """The server's resolution (``store.pg_search``): the probes in one statement, the buyer
    probe only when the planner expects it to read few rows; a buyer field not probed counts
    as more than the cap (many, not counted) and the search is planned by the server's planner
    from an indexable row test. An order-no prefix that reads as a date is counted on its
    index, its ids read only as far as the dated plan needs to know it is one."""
    run = [p for p in probes if p[0] != "buyer" or pg_search.buyer_worth_probing(con, p[1], p[2])]
    dated_prefix = dated.window(q.upper()) not in (None, dated.EMPTY)
    found, sizes, rows = pg_search.run_probes(con, run, cap,
                                              {"order_no": WINDOW_FROM + 1} if dated_prefix else None)
    if len(run) < len(probes):
        matches = {**sizes, "buyer": cap + 1}
        test, test_params = pg_search.row_test(probes, [_like(f) for f in _buyer_forms(q)])
        return Resolution(q, kind, matches, None, cap, test, test_params)
    if sizes["order_no"] > WINDOW_FROM:
        planned = _dated(db, con, q, kind, cap, found, sizes)
        if planned is not None:
            return planned
    if len(found["order_no"]) < sizes["order_no"]:  # not dated after all: every id, up to the cap
        found.update(pg_search.run_probes(con, [probes[0]], cap)[0])
    return _planned(db, con, q, kind, cap, probes, found, dated_tried=True, rows=rows)


def _planned(db: SqliteDatabase, con: sqlite3.Connection, q: str, kind: str, cap: int,
             probes: list[tuple[str, str, list[Any]]], found: dict[str, list[int]], *,
             dated_tried: bool = False, rows: list[Any] | None = None) -> Resolution:
    """The plan from what each field matched (``found``: ids, at most ``cap + 1`` a field;
    ``rows``: the matched orders' list columns when they were read with the probes)."""
    matches = {name: len(ids) for name, ids in found.items()}
    if matches["order_no"] > WINDOW_FROM and not dated_tried:
        planned = _dated(db, con, q, kind, cap, found)
        if planned is not None:
            return planned
    if sum(matches.values()) <= cap:
        ids = sorted({i for ids in found.values() for i in ids})
        return Resolution(q, kind, matches, ids, cap, matched=Matched(con, ids, rows))
    dated_trades = _trade_window(con, q, cap, found) if q.isdigit() and matches.get("trade_no", 0) > cap else None
    window, outside = dated_trades if dated_trades is not None else (None, [])
    if dialect.on_server(db) and window is None:  # the server's planner chooses (store.pg_search)
        test, test_params = pg_search.row_test(probes, [_like(f) for f in _buyer_forms(q)])
    else:  # a per-row test on the walk (inside a date window: its matches are dense there)
        test, test_params = _row_test(db, q, kind)
    return Resolution(q, kind, matches, None, cap, test, test_params, window=window, outside=outside)


def _trade_window(con: sqlite3.Connection, q: str, cap: int,
                  found: dict[str, list[int]]) -> tuple[tuple[int, int], list[int]] | None:
    """The creation times [0, end) every trade-no match of a digit prefix that reads as a date
    lies in (the date's end and a day's slack) and the other fields' matches created after it
    (``Resolution.outside``), or None when the prefix is no date or the other fields matched
    too many to list."""
    bounds = dated.window(q)
    if bounds is None or bounds == dated.EMPTY:
        return None
    others = sorted({i for name, ids in found.items() if name != "trade_no" for i in ids})
    if len(others) > cap:
        return None
    window = (0, bounds[1] + 86_400)
    return window, _outside(con, others, window)


def _outside(con: sqlite3.Connection, ids: list[int], window: tuple[int, int]) -> list[int]:
    """Of ``ids``, the orders created outside ``window`` ([start, end) epoch seconds)."""
    if not ids:
        return []
    return [r[0] for r in con.execute(
        f"SELECT id FROM orders WHERE id IN (SELECT value FROM {dialect.id_list(con)} AS s) "
        "AND (created_at < ? OR created_at >= ?) ORDER BY id", (json.dumps(ids), *window))]


def _dated(db: SqliteDatabase, con: sqlite3.Connection, q: str, kind: str, cap: int,
           found: dict[str, list[int]], sizes: dict[str, int] | None = None) -> Resolution | None:
    """The dated plan for an order-no prefix that matches many (``store.dated``): its date
    window, with the orders the prefix's dates cannot see (undated order nos with the prefix,
    and what the other fields matched) tested beside it inside the window and listed beside it
    outside (``Resolution.outside``), or None when those are too many to add (the plain walk
    then)."""
    upper = q.upper()
    bounds = dated.window(upper)
    if bounds is None:
        return None
    undated = [r[0] for r in con.execute(
        f"SELECT id FROM orders WHERE order_no >= ? AND order_no < ? AND {dated.undated_where(con)} LIMIT {cap + 1}",
        (upper, upper + "\uffff"))]
    extra = sorted({*undated, *(i for name, ids in found.items() if name != "order_no" for i in ids)})
    if len(extra) > cap:
        return None
    test = "(+o.order_no >= ? AND +o.order_no < ?)"
    params: list[Any] = [upper, upper + "\uffff"]
    outside: list[int] = []
    if extra:
        test = f"({test} OR +o.id IN (SELECT value FROM {dialect.id_list(con)} AS s))"
        params.append(json.dumps(extra))
        outside = _outside(con, extra, bounds)
    matches = sizes or {name: len(ids) for name, ids in found.items()}
    return Resolution(q, kind, matches, None, cap, test, params, window=bounds, outside=outside)


def forget() -> None:
    """Drop every cached resolution."""
    with _cache_lock:
        _cache.clear()
