"""The realistic history's rows made in a second process while this one inserts them.

``datagen.load`` of a big history (the 1,000,000-order demo) is two kinds of work of about the
same size: Python making the rows (``datagen.orders``, the buyer keys, sealing every sold 卡密)
and SQLite writing them with their timeline entries. One process does them in turns on one core;
here a child process makes the rows and sends them, chunk by chunk (each order's values with its
id), while the parent inserts them, hashes the chunk's 下单/支付/发货/完成/过期 entries into the
tamper-evident log and writes them from the chunk's id range with their ids, predecessors and
hashes (``EVENT_PASSES``), so both cores work. The chain is run in the parent: measured on a
million orders, the child's rows and sealing take about 14 s of CPU and the parent's inserts about
16 s, and the chain's 3.5 s evens the two (in the child it left the parent waiting on it).
The rows are exactly those of
``datagen.orders`` with the same arguments; a small history is made in this process through
the same code (``chunks``), so tests see the same rows either way.

The child is started with ``spawn`` (as the window's import child: no fork of a process that
may hold Qt threads; a frozen build calls ``multiprocessing.freeze_support()``). It receives the
store's 卡密 cipher through the pipe between the two (the sold codes are sealed before they
leave it, never written anywhere in the clear). The parent receives up to ``READ_AHEAD`` chunks
ahead (``pipe_ahead``), which bounds the memory: the child waits while the parent is that far
behind. A child that fails sends its error; the parent
raises it (``DatagenFailed``) inside its transaction, so nothing of the load is kept.
"""

from __future__ import annotations

import hashlib
import json as _json
import multiprocessing
import multiprocessing.connection
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.audit import GENESIS
from .bulk import ORDER_COLUMNS
from .codekeys import CodeCipher
from .pipe_ahead import PipeAhead

#: From this many orders on, the rows are made in a child process (below it, starting one costs
#: more than it saves).
PROCESS_FROM = 50_000
#: Orders per message from the child (about 2.5 MB pickled, with their entries' hashes).
CHUNK_ORDERS = 10_000
#: Chunks received ahead of the inserts (``pipe_ahead``): the child goes on making rows while a
#: chunk is written, and the parent goes on writing while a chunk is slow to make.
READ_AHEAD = 4

ORDER_SQL = (f"INSERT INTO orders (id, {', '.join(ORDER_COLUMNS)}) "
             f"VALUES ({', '.join('?' * (len(ORDER_COLUMNS) + 1))})")


class DatagenFailed(RuntimeError):
    """The child making the rows failed or died; the message says how."""


@dataclass(frozen=True)
class Plan:
    """What the rows are made from: ``datagen.orders``'s arguments (``n`` orders, order ids
    from ``first_id``, order-no sequence from ``first_id - 1``), whether the orders' timeline
    entries are written (``events``: with ids from ``first_event_id``, each chained to the one
    before, the first to ``head``) and the cipher sealing sold codes."""

    n: int
    seed: int
    now: datetime
    years: float
    products: tuple[Any, ...]  # datagen.ProductSpec
    gateways: dict[str, int | None]
    first_id: int
    events: bool
    cipher: CodeCipher
    #: The timeline's next id and the chain's head (last id, last hash) it links to.
    first_event_id: int = 1
    head: tuple[int, bytes] = (0, GENESIS)


#: A chunk: its orders as values for ``ORDER_SQL`` (the id first).
Chunk = list[tuple[Any, ...]]


def chunks(plan: Plan) -> Iterator[Chunk]:
    """The history in id order, ``CHUNK_ORDERS`` orders at a time."""
    from .datagen import order_values  # datagen imports this module

    rows = order_values(plan.n, seed=plan.seed, now=plan.now, products=plan.products, gateways=plan.gateways,
                        years=plan.years, first_seq=plan.first_id - 1, seal=_sealer(plan.cipher))
    for order_id in range(plan.first_id, plan.first_id + plan.n, CHUNK_ORDERS):
        # The last chunk may be short: the ids run out with the rows (zip stops at the shorter).
        ids = range(order_id, min(order_id + CHUNK_ORDERS, plan.first_id + plan.n))
        yield [(oid, *values) for oid, values in zip(ids, rows, strict=False)]


def _sealer(cipher: CodeCipher) -> Callable[[list[str]], str]:
    """How an order's sold codes are stored: each sealed (``CodeCipher.seal_many``), one per
    line. The generator's codes are canonical already (``K`` and hex digits: a test holds them
    to ``domain.codes.canonical``), so they are sealed as they are."""
    seal_many = cipher.seal_many

    def seal(codes: list[str]) -> str:
        return "\n".join(seal_many(codes))

    return seal


#: The orders' own timeline entries, one INSERT ... SELECT per kind over a chunk's id range
#: (the rows just inserted, still in the page cache), in this order, so an order's entries get
#: ids in the order they happened (its request, approval and refund come from history_refunds):
#: (time column, actor, action, status before, status after, which orders).
EVENT_PASSES: tuple[tuple[str, str, str, str | None, str, str], ...] = (
    ("created_at", "buyer", "created", None, "pending_payment", ""),
    ("paid_at", "gateway", "paid", "pending_payment", "paid", "AND paid_at IS NOT NULL"),
    ("delivered_at", "system", "deliver", "paid", "delivered", "AND delivered_at IS NOT NULL"),
    ("completed_at", "system", "complete", "delivered", "completed", "AND completed_at IS NOT NULL"),
    # Payment windows that ran out (a paid cancellation's entries come with its refund).
    ("cancelled_at", "system", "expire", "pending_payment", "cancelled",
     "AND cancelled_at IS NOT NULL AND paid_at IS NULL"),
)


#: The data of the ``created`` entries: the amount each order was made with (fen), as the desk's
#: own sales record it, so ``check`` compares a demo order's paid amount too (services.state_check).
_CREATED_DATA_SQL = "'{\"amount_fen\": ' || paid_fen || '}'"


def _pass_sql(column: str, actor: str, action: str, before: str | None, after: str, where: str) -> str:
    """One kind of entry for the orders of ``:first``..``:last``, ids from ``:base``, each row's
    chain hash cut from ``:hashes`` (32 bytes each, in id order) and its predecessor's id."""
    before_sql = "NULL" if before is None else f"'{before}'"
    data_sql = _CREATED_DATA_SQL if action == "created" else "'{}'"
    return (
        "INSERT INTO order_event (id, prev_id, order_id, at, actor, operator, action, note, before_status, "
        "after_status, data, hash) "
        f"SELECT :base + rn, CASE rn WHEN 0 THEN :prev ELSE :base + rn - 1 END, id, {column}, '{actor}', '', "
        f"'{action}', '', {before_sql}, '{after}', {data_sql}, substr(:hashes, rn * 32 + 1, 32) "
        f"FROM (SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS rn, id, {column}, paid_fen FROM orders "
        f"WHERE id BETWEEN :first AND :last {where})")


_PASS_SQL = [_pass_sql(*spec) for spec in EVENT_PASSES]
#: Each kind's canonical row text (``domain.audit.canonical``: a compact JSON array of
#: ORDER_EVENT_FIELDS, all ASCII here) as a bytes template, with the four numbers (id, prev_id,
#: order_id, at) left to fill, and a created entry's amount (fen) fifth; a test holds it to ``canonical``.
_CANONICAL = [
    b"[%d,%d,%d,%d," + _json.dumps([actor, "", action, "", before, after,
                                    '{"amount_fen": \u00a7}' if action == "created" else "{}"],
                                   ensure_ascii=True, separators=(",", ":"))[1:].encode("ascii").replace(
                                       b"\\u00a7", b"%d")
    for _, actor, action, before, after, _ in EVENT_PASSES]
#: Where each kind's time is in a chunk's order values (the id first, then ORDER_COLUMNS).
_TIME_AT = [1 + ORDER_COLUMNS.index(column) for column, *_ in EVENT_PASSES]
_PAID_AT = 1 + ORDER_COLUMNS.index("paid_at")
_PAID_FEN = 1 + ORDER_COLUMNS.index("paid_fen")
_CREATED = next(kind for kind, spec in enumerate(EVENT_PASSES) if spec[2] == "created")


def _chain_chunk(rows: list[tuple[Any, ...]], event_id: int, prev: tuple[int, bytes]
                 ) -> tuple[list[bytes], int, tuple[int, bytes]]:
    """The chain hashes of a chunk's entries, one blob per kind in ``EVENT_PASSES`` order (as
    the parent's INSERTs give them ids); returns them, the next id and the new chain end."""
    prev_id, prev_hash = prev
    blobs = []
    sha = hashlib.sha256
    expire = len(EVENT_PASSES) - 1  # the last kind: only payment windows that ran out (never paid)
    for kind, (template, at_index) in enumerate(zip(_CANONICAL, _TIME_AT, strict=True)):
        parts: list[bytes] = []
        append = parts.append
        for row in rows:
            at = row[at_index]
            if at is None or (kind == expire and row[_PAID_AT] is not None):
                continue
            values = (event_id, prev_id, row[0], at, row[_PAID_FEN]) if kind == _CREATED else (
                event_id, prev_id, row[0], at)
            prev_hash = sha(prev_hash + template % values).digest()
            append(prev_hash)
            prev_id, event_id = event_id, event_id + 1
        blobs.append(b"".join(parts))
    return blobs, event_id, (prev_id, prev_hash)


def insert(con: Any, plan: Plan, *, child: bool | None = None) -> tuple[int, tuple[int, bytes]]:
    """Insert the history of ``plan`` through ``con`` (the caller's transaction), made in a
    child process (``child``; by default from ``PROCESS_FROM`` orders on), with the orders' own
    timeline entries, chained, when ``plan.events``. Returns the number of orders inserted and
    the chain's new end (last id, last hash; the caller records it as the head). Raises
    DatagenFailed when the child fails or the entries chained do not match the entries written."""
    if child is None:
        child = plan.n >= PROCESS_FROM
    source = _from_child(plan) if child else chunks(plan)
    total, base, chain_end = 0, plan.first_event_id, plan.head
    for order_rows in source:
        con.executemany(ORDER_SQL, order_rows)
        first, last = order_rows[0][0], order_rows[-1][0]
        # Without timeline entries there is nothing to chain and no event pass to run.
        passes = zip(_PASS_SQL, _chain_chunk(order_rows, base, chain_end)[0], strict=True) if plan.events else ()
        for sql, blob in passes:
            added = con.execute(sql, {"base": base, "prev": chain_end[0], "hashes": blob, "first": first,
                                      "last": last}).rowcount
            if added * 32 != len(blob):
                raise DatagenFailed(f"{len(blob) // 32} entries were chained where {added} were written")
            if added:
                base, chain_end = base + added, (base + added - 1, blob[-32:])
        total += len(order_rows)
    return total, chain_end


def _from_child(plan: Plan) -> Iterator[Chunk]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=run_child, name="kashop-datagen", daemon=True, args=(plan, send))
    process.start()
    send.close()  # the child holds its own end: EOF here once it is gone
    ahead = PipeAhead(receive, READ_AHEAD, name="kashop-datagen-ahead")
    try:
        while True:
            try:
                message = ahead.recv()
            except (EOFError, OSError) as exc:
                process.join(5)
                raise DatagenFailed(f"the row maker stopped (exit status {process.exitcode})") from exc
            if message is None:
                return
            if isinstance(message, str):
                raise DatagenFailed(message)
            yield message
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        ahead.close()  # the child is gone, so a receive still waiting has returned
        receive.close()


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
