"""The realistic history's rows made in a second process while this one inserts them.

``datagen.load`` of a big history (the 1,000,000-order demo) is two kinds of work of about the
same size: Python making the rows (``datagen.orders``, the buyer keys, sealing every sold 卡密)
and SQLite writing them. One process does them in turns on one core; here a child process
makes the rows and sends them, chunk by chunk, as the ready values of the two INSERT
statements (each order with its id, and its 下单/支付/发货/完成/过期 timeline entries with
theirs), while the parent only inserts, so both cores work. The rows are exactly those of
``datagen.orders`` with the same arguments; a small history is made in this process through
the same code (``chunks``), so tests see the same rows either way.

The child is started with ``spawn`` (as the window's import child: no fork of a process that
may hold Qt threads; a frozen build calls ``multiprocessing.freeze_support()``). It receives the
store's 卡密 cipher through the pipe between the two (the sold codes are sealed before they
leave it, never written anywhere in the clear). The pipe's buffer bounds the memory: the child
waits while the parent is one chunk behind. A child that fails sends its error; the parent
raises it (``DatagenFailed``) inside its transaction, so nothing of the load is kept.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.codes import canonical
from ..domain.contacts import contact_key
from .bulk import DEFAULTS, ORDER_COLUMNS, order_values
from .codekeys import CodeCipher

#: From this many orders on, the rows are made in a child process (below it, starting one costs
#: more than it saves).
PROCESS_FROM = 50_000
#: Orders per message from the child (about 10 MB pickled with their timeline entries).
CHUNK_ORDERS = 10_000

ORDER_SQL = (f"INSERT INTO orders (id, {', '.join(ORDER_COLUMNS)}) "
             f"VALUES ({', '.join('?' * (len(ORDER_COLUMNS) + 1))})")


class DatagenFailed(RuntimeError):
    """The child making the rows failed or died; the message says how."""


@dataclass(frozen=True)
class Plan:
    """What the rows are made from: ``datagen.orders``'s arguments (``n`` orders, order ids
    from ``first_id``, order-no sequence from ``first_id - 1``), whether the orders' timeline
    entries are written (``events``) and the cipher sealing sold codes."""

    n: int
    seed: int
    now: datetime
    years: float
    products: tuple[Any, ...]  # datagen.ProductSpec
    gateways: dict[str, int | None]
    first_id: int
    events: bool
    cipher: CodeCipher


def chunks(plan: Plan) -> Iterator[list[tuple[Any, ...]]]:
    """The history as values for ``ORDER_SQL``, in id order, ``CHUNK_ORDERS`` orders at a time."""
    from .datagen import orders  # datagen imports this module

    rows = orders(plan.n, seed=plan.seed, now=plan.now, products=plan.products, gateways=plan.gateways,
                  years=plan.years, first_seq=plan.first_id - 1)
    keys: dict[str, str] = {}  # the buyer as written -> its key: buyers repeat down a history
    order_id = plan.first_id
    out: list[tuple[Any, ...]] = []
    for row in rows:
        out.append(_order_values(row, order_id, keys, plan.cipher))
        order_id += 1
        if len(out) >= CHUNK_ORDERS:
            yield out
            out = []
    if out:
        yield out


def _order_values(row: dict[str, Any], order_id: int, keys: dict[str, str], cipher: CodeCipher) -> tuple[Any, ...]:
    """``row`` as the values of ``ORDER_SQL``: defaults filled, the buyer keyed, codes sealed."""
    merged = DEFAULTS | row
    codes = merged["card_code"]
    if codes:
        merged["card_code"] = "\n".join(cipher.seal(canonical(c)) for c in codes.splitlines() if c.strip())
    buyer = merged["buyer"]
    key = keys.get(buyer)
    if key is None:
        if len(keys) >= 200_000:
            keys.clear()
        key = keys[buyer] = contact_key(buyer)
    merged["buyer_key"] = key
    return (order_id, *order_values(merged))


#: The orders' own timeline entries, one INSERT ... SELECT per kind over a chunk's id range
#: (the rows just inserted, still in the page cache): in this order, so an order's entries get
#: ids in the order they happened. Its request, approval and refund come from history_refunds.
EVENT_PASSES = [
    "SELECT id, created_at, 'buyer', 'created', '', NULL, 'pending_payment' FROM orders WHERE id BETWEEN ? AND ?",
    "SELECT id, paid_at, 'gateway', 'paid', '', 'pending_payment', 'paid' FROM orders "
    "WHERE id BETWEEN ? AND ? AND paid_at IS NOT NULL",
    "SELECT id, delivered_at, 'system', 'deliver', '', 'paid', 'delivered' FROM orders "
    "WHERE id BETWEEN ? AND ? AND delivered_at IS NOT NULL",
    "SELECT id, completed_at, 'system', 'complete', '', 'delivered', 'completed' FROM orders "
    "WHERE id BETWEEN ? AND ? AND completed_at IS NOT NULL",
    # Payment windows that ran out (a paid cancellation's entries come with its refund).
    "SELECT id, cancelled_at, 'system', 'expire', '', 'pending_payment', 'cancelled' FROM orders "
    "WHERE id BETWEEN ? AND ? AND cancelled_at IS NOT NULL AND paid_at IS NULL",
]


def _add_events(con: Any, first: int, last: int) -> None:
    for select in EVENT_PASSES:
        con.execute("INSERT INTO order_event (order_id, at, actor, action, note, before_status, after_status, data) "
                    f"SELECT *, '{{}}' FROM ({select})", (first, last))


def insert(con: Any, plan: Plan, *, child: bool | None = None) -> int:
    """Insert the history of ``plan`` through ``con`` (the caller's transaction), made in a
    child process (``child``; by default from ``PROCESS_FROM`` orders on), with the orders' own
    timeline entries when ``plan.events``. Returns the number of orders inserted. Raises
    DatagenFailed when the child fails."""
    if child is None:
        child = plan.n >= PROCESS_FROM
    source = _from_child(plan) if child else chunks(plan)
    total = 0
    for order_rows in source:
        con.executemany(ORDER_SQL, order_rows)
        if plan.events:
            _add_events(con, order_rows[0][0], order_rows[-1][0])
        total += len(order_rows)
    return total


def _from_child(plan: Plan) -> Iterator[list[tuple[Any, ...]]]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=run_child, name="kashop-datagen", daemon=True, args=(plan, send))
    process.start()
    send.close()  # the child holds its own end: EOF here once it is gone
    try:
        while True:
            try:
                message = receive.recv()
            except EOFError as exc:
                raise DatagenFailed(f"the row maker stopped (exit status {process.exitcode})") from exc
            if message is None:
                return
            if isinstance(message, str):
                raise DatagenFailed(message)
            yield message
    finally:
        receive.close()
        if process.is_alive():
            process.terminate()
        process.join()


def run_child(plan: Plan, conn: multiprocessing.connection.Connection) -> None:
    """The child process's target: send every chunk, then None (or the error's text)."""
    try:
        for chunk in chunks(plan):
            conn.send(chunk)
        conn.send(None)
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the parent stopped reading: its transaction is rolled back anyway
    except Exception as exc:  # reported to the parent, which raises it in its transaction
        conn.send(f"the row maker failed: {type(exc).__name__}: {exc}")
    finally:
        conn.close()
