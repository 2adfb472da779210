"""Several processes writing one store at once, through the command line as a shop runs it.

Four writers for 60 s (a refund send loop, approvals, open + sweep, imports), each a loop of
separate CLI processes: no traceback, no lost write, and every call either done (exit 0) or
refused with the busy message (exit 4). And field case 05: a 60,000-row import while another
process cancels an order.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.services.requests import open_request

from ..services.helpers import order

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("store_kind"),
              pytest.mark.sqlite_only(reason="processes taking turns at the data file's write lock (busy: exit 4); "
                                             "several desks on one server: tests/server/test_three_desks.py")]

RUN_SECONDS = 60
BUSY_TEXT = "the store is busy"
HEADER = "order_no,created_at,product,product_type,paid_amount,status,paid_at,channel,gateway,gateway_trade_no,buyer"


@dataclass
class Call:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str


@dataclass
class Writer:
    name: str
    calls: list[Call] = field(default_factory=list)

    def run(self, data_dir: Path, *args: str) -> Call:
        proc = subprocess.run([sys.executable, "-m", "kashop_desktop", *args, "--data-dir", str(data_dir)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
                              timeout=200)
        call = Call(args, proc.returncode, proc.stdout, proc.stderr)
        self.calls.append(call)
        return call

    def summary(self) -> str:
        busy = sum(c.code == 4 for c in self.calls)
        return f"{self.name}: {len(self.calls)} calls, {busy} busy"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _csv(path: Path, prefix: str, rows: int) -> list[str]:
    paid = datetime.now(SHOP_TZ) - timedelta(hours=1)
    nos = [f"{prefix}{i:05d}" for i in range(rows)]
    lines = [HEADER] + [f"{no},{_stamp(paid - timedelta(minutes=1))},点券 {prefix},card_code,6.00,paid,{_stamp(paid)},"
                        f"alipay,,T{no},1390000{i % 10000:04d}" for i, no in enumerate(nos)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return nos


@pytest.fixture
def store(data_dir: Path) -> Iterator[tuple[Path, list[int], list[str]]]:
    """Paid orders: some with a request waiting for review, some waiting for a request."""
    desk = Desk.open(data_dir)
    save_account(desk, "沙箱慢", "sandbox", {"scenario": "success", "latency_ms": "30"})
    gateway = int(desk.db.execute_sql("SELECT id FROM gateway_account WHERE name = '沙箱慢'").fetchone()[0])
    waiting: list[int] = []
    for n in range(300):
        no = order(desk, "paid", paid_minutes_ago=3 * 24 * 60, gateway_id=gateway, buyer=f"1370000{n:04d}")
        _, rid = open_request(desk, no, ReasonCode.NOT_NEEDED)
        assert rid is not None
        waiting.append(rid)
    to_open = [order(desk, "paid", paid_minutes_ago=3 * 24 * 60, gateway_id=gateway, buyer=f"1360000{n:04d}")
               for n in range(300)]
    state = dict(desk.db.execute_sql(f"SELECT state, count(*) FROM cancel_request WHERE id IN "
                                     f"({','.join(map(str, waiting))}) GROUP BY state").fetchall())
    desk.close()
    assert state == {"open": 300}  # they wait for the owner: the approvals below decide them
    yield data_dir, waiting, to_open


def _loop(deadline: float, step: Callable[[int], bool]) -> Callable[[], None]:
    def body() -> None:
        n = 0
        while time.monotonic() < deadline and step(n):
            n += 1
    return body


def test_four_writers_for_a_minute_lose_nothing(store: tuple[Path, list[int], list[str]], tmp_path: Path) -> None:
    data_dir, waiting, to_open = store
    send, approve, opener, importer = Writer("send"), Writer("approve"), Writer("open+sweep"), Writer("import")
    imported: dict[int, list[str]] = {}
    deadline = time.monotonic() + RUN_SECONDS

    def import_step(n: int) -> bool:
        path = tmp_path / f"import-{n}.csv"
        imported[n] = _csv(path, f"IMP{n:03d}-", 2000)
        importer.run(data_dir, "orders", "import", str(path))
        return True

    def open_step(n: int) -> bool:
        if n >= len(to_open):
            return False
        opener.run(data_dir, "requests", "open", to_open[n], "--reason", "not_needed")
        opener.run(data_dir, "sweep")
        return True

    def send_step(n: int) -> bool:
        send.run(data_dir, "refunds", "send", "--json")
        return True

    def approve_step(n: int) -> bool:
        if n >= len(waiting):
            return False
        approve.run(data_dir, "requests", "approve", str(waiting[n]))
        return True

    loops = [_loop(deadline, step) for step in (send_step, approve_step, open_step, import_step)]
    threads = [threading.Thread(target=body) for body in loops]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writers = (send, approve, opener, importer)
    print("; ".join(w.summary() for w in writers))

    for writer in writers:
        assert writer.calls, writer.name
        for call in writer.calls:
            assert "Traceback" not in call.stderr, (writer.name, call)
            assert call.code in (0, 4), (writer.name, call)
            if call.code == 4:
                assert BUSY_TEXT in call.stderr and "稍后再试" in call.stderr

    final = Writer("final")
    assert final.run(data_dir, "refunds", "send", "--json").code == 0  # settle what a busy send left
    con = sqlite3.connect(data_dir / "kashop.sqlite3")
    try:
        _assert_nothing_lost(con, data_dir, waiting, approve, opener, importer, imported)
    finally:
        con.close()
    assert final.run(data_dir, "check").code == 0


def _assert_nothing_lost(con: sqlite3.Connection, data_dir: Path, waiting: list[int], approve: Writer,
                         opener: Writer, importer: Writer, imported: dict[int, list[str]]) -> None:
    states = dict(con.execute("SELECT id, state FROM cancel_request").fetchall())
    for call in approve.calls:  # an approval that said done is done; a busy one left the request open
        assert states[int(call.args[2])] == ("approved" if call.code == 0 else "open"), call
    with_request = {row[0] for row in con.execute(
        "SELECT o.order_no FROM cancel_request r JOIN orders o ON o.id = r.order_id")}
    for call in opener.calls:
        if call.args[:2] == ("requests", "open"):
            assert (call.args[2] in with_request) == (call.code == 0), call
    present = {row[0] for row in con.execute("SELECT order_no FROM orders WHERE order_no LIKE 'IMP%'")}
    for n, call in enumerate(importer.calls):
        if call.code == 0:
            assert set(imported[n]) <= present, call
    # Every refund the gateway booked is succeeded in the store, once, for the same amount.
    ledger = sqlite3.connect(data_dir / "sandbox-ledger.sqlite3")
    try:
        booked = {no: fen for no, fen in ledger.execute("SELECT refund_no, amount_fen FROM refund")}
    finally:
        ledger.close()
    refunds = {no: (state, fen) for no, state, fen in con.execute("SELECT refund_no, state, amount_fen FROM refund")}
    assert {no for no, (state, _) in refunds.items() if state == "succeeded"} == set(booked)
    assert all(refunds[no][1] == fen for no, fen in booked.items())
    approved = sum(call.code == 0 for call in approve.calls)
    assert len(booked) >= approved > 0  # approvals went through, and their refunds reached the gateway


def test_case_05_a_big_import_while_another_process_cancels(data_dir: Path, tmp_path: Path) -> None:
    """60,000 rows imported while an order is cancelled: both succeed, or the cancel waits its turn."""
    desk = Desk.open(data_dir)
    victim = order(desk, "pending_payment", paid_minutes_ago=1)
    desk.close()
    big = tmp_path / "big.csv"
    _csv(big, "KSBIG", 60_000)
    importer, canceller = Writer("import"), Writer("cancel")
    thread = threading.Thread(target=importer.run, args=(data_dir, "orders", "import", str(big)))
    thread.start()
    assert _wait_for_a_writer(data_dir / "kashop.sqlite3", thread), "the import never took the write lock"
    cancel = canceller.run(data_dir, "orders", "cancel", victim, "--reason", "mistaken")
    thread.join()
    (result,) = importer.calls
    assert result.code == 0 and "Traceback" not in result.stderr, result
    assert "Traceback" not in cancel.stderr
    if cancel.code == 4:  # waited its full turn and was told so: nothing was done, so it can run now
        assert BUSY_TEXT in cancel.stderr
        cancel = canceller.run(data_dir, "orders", "cancel", victim, "--reason", "mistaken")
    assert cancel.code == 0, cancel
    con = sqlite3.connect(data_dir / "kashop.sqlite3")
    try:
        assert con.execute("SELECT count(*) FROM orders WHERE order_no LIKE 'KSBIG%'").fetchone()[0] == 60_000
        assert con.execute("SELECT status FROM orders WHERE order_no = ?", (victim,)).fetchone()[0] == "cancelled"
    finally:
        con.close()


def _wait_for_a_writer(path: Path, importer: threading.Thread) -> bool:
    """Poll (without waiting on the lock) until another process holds the write lock."""
    con = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        while importer.is_alive():
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("ROLLBACK")
            except sqlite3.OperationalError:
                return True
            importer.join(0.02)  # let the import run a moment between polls
        return False
    finally:
        con.close()
