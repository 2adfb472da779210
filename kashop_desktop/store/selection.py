"""A selective search's orders held in memory, so every list read of it is a slice.

A search that matches at most the cap (``store.search``) is read once: for each matched order
its id, creation time, amount paid, status and product type, by primary key, in one statement
(~2 microseconds an order). From then on every tab, date range, type and sort of that search is
a filter and a sort of those few thousand entries in Python, and every page, count, jump and
position is a slice of the result, whose rows are read by primary key. The naive plan (the
matched ids as the outer loop of an SQL join, sorted per statement) read each matched order
again for the page, the count and each later page: three or four times the work.

About 32 bytes an order (compact arrays), so the cap of ~14,000 at a million orders holds
~450 KB per cached search.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .dialect import orders_of_ids

#: Listed orders of the most recent filters of one search.
_LISTS = 4


@dataclass(frozen=True)
class Wanted:
    """The list filter applied to a selective search (``queries.OrderFilter`` without the text)."""

    status: str | None
    refunding: frozenset[int] | None  # the 退款中 tab: orders with a refund in flight
    date_from: int | None
    date_to: int | None
    product_type: str | None
    sort: str
    descending: bool


class Listed:
    """One filter of a selective search: its ids in list order, with their sort values."""

    def __init__(self, ids: array[int], values: array[int], descending: bool) -> None:
        self.ids = ids
        self._values = values
        self._sign = -1 if descending else 1

    def __len__(self) -> int:
        return len(self.ids)

    def _key(self, position: int) -> tuple[int, int]:
        """A position's keyset, ascending along the list whichever way it is sorted."""
        return self._values[position] * self._sign, self.ids[position] * self._sign

    def after(self, keyset: tuple[int, int]) -> int:
        """The position of the first order below ``keyset`` (sort value, id) in list order."""
        target = keyset[0] * self._sign, keyset[1] * self._sign
        return bisect_right(range(len(self.ids)), target, key=self._key)

    def before(self, keyset: tuple[int, int]) -> int:
        """The position of ``keyset`` itself, or of the first order below it."""
        target = keyset[0] * self._sign, keyset[1] * self._sign
        return bisect_left(range(len(self.ids)), target, key=self._key)

    def position(self, order_id: int) -> int | None:
        try:
            return self.ids.index(order_id)
        except ValueError:
            return None


class Matched:
    """The orders of a selective search (``ids`` ascending), read by primary key on first use
    (``loaded`` says whether they have been: until then a first page can be had more cheaply,
    see ``queries.first_page``), or given as ``rows`` (id, created_at, paid_fen, status,
    product_type) when they were read with the search."""

    def __init__(self, con: sqlite3.Connection, ids: list[int], rows: Any = None) -> None:
        self._con = con
        self.wanted_ids = ids
        self.loaded = False
        self.ids: array[int] = array("q")
        self.created: array[int] = array("q")
        self.paid: array[int] = array("q")
        self.status: array[int] = array("i")  # codes into _status / _types
        self.types: array[int] = array("i")
        self._status: list[str] = []
        self._types: list[str] = []
        self._orders: dict[str, array[int]] = {}  # sort -> positions, ascending by (value, id)
        self._lists: OrderedDict[Wanted, Listed] = OrderedDict()
        if rows is not None:  # read with the search itself (a server store: store.pg_search)
            self._fill(rows)

    def _load(self) -> None:
        self._fill(self._con.execute("SELECT o.id, o.created_at, o.paid_fen, o.status, o.product_type FROM "
                                     f"{orders_of_ids(self._con)}", (json.dumps(self.wanted_ids),)))

    def _fill(self, rows: Any) -> None:
        """The orders from rows of (id, created_at, paid_fen, status, product_type), any order."""
        status_codes: dict[str, int] = {}
        type_codes: dict[str, int] = {}
        status, types = self.status, self.types
        for oid, created, paid, state, ptype in rows:
            self.ids.append(oid)
            self.created.append(created)
            self.paid.append(paid)
            status.append(_code(status_codes, self._status, state))
            types.append(_code(type_codes, self._types, ptype))
        self.loaded = True

    def listed(self, wanted: Wanted) -> Listed:
        """The orders of this search that pass ``wanted``, in its list order (cached)."""
        if not self.loaded:
            self._load()
        found = self._lists.get(wanted)
        if found is None:
            found = self._lists[wanted] = self._list(wanted)
            while len(self._lists) > _LISTS:
                self._lists.popitem(last=False)
        self._lists.move_to_end(wanted)
        return found

    def _list(self, wanted: Wanted) -> Listed:
        values = self.paid if wanted.sort == "amount" else self.created
        order = self._orders.get(wanted.sort)
        if order is None:
            ids = self.ids
            order = self._orders[wanted.sort] = array("l", sorted(range(len(ids)), key=lambda i: (values[i], ids[i])))
        keep = self._test(wanted)
        positions = [i for i in order if keep(i)]
        if wanted.descending:
            positions.reverse()
        return Listed(array("q", [self.ids[i] for i in positions]), array("q", [values[i] for i in positions]),
                      wanted.descending)

    def _test(self, wanted: Wanted) -> Callable[[int], bool]:
        """Whether the order at a position passes the tab, dates and type."""
        checks: list[Callable[[int], bool]] = []
        if wanted.refunding is not None:
            refunding, ids = wanted.refunding, self.ids
            checks.append(lambda i: ids[i] in refunding)
        elif wanted.status is not None:
            code, status = _find(self._status, wanted.status), self.status
            checks.append(lambda i: status[i] == code)
        if wanted.product_type is not None:
            kind, types = _find(self._types, wanted.product_type), self.types
            checks.append(lambda i: types[i] == kind)
        created = self.created
        if wanted.date_from is not None:
            low = wanted.date_from
            checks.append(lambda i: created[i] >= low)
        if wanted.date_to is not None:
            high = wanted.date_to
            checks.append(lambda i: created[i] < high)
        if not checks:
            return lambda i: True
        if len(checks) == 1:
            return checks[0]
        return lambda i: all(check(i) for check in checks)


def _code(codes: dict[str, int], names: list[str], value: Any) -> int:
    code = codes.get(value)
    if code is None:
        code = codes[value] = len(names)
        names.append(value)
    return code


def _find(names: list[str], value: str) -> int:
    """The code of ``value``, or one no order has."""
    return names.index(value) if value in names else -1
