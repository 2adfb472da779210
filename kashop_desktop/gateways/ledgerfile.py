"""A tiny SQLite ledger file for the offline gateways (wallet, sandbox).

They keep their own books outside the desk's database, like a real gateway would, so the
refund queue's idempotency is tested against an independent record.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


class LedgerFile:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS refund (refund_no TEXT PRIMARY KEY, gateway_refund_no TEXT, "
                "out_trade_no TEXT, amount_fen INTEGER, status TEXT, queries INTEGER DEFAULT 0, created REAL)"
            )
            con.execute("CREATE TABLE IF NOT EXISTS calls (refund_no TEXT, at REAL)")
            con.execute("CREATE TABLE IF NOT EXISTS balance (buyer TEXT PRIMARY KEY, fen INTEGER)")

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(str(self.path), timeout=10, isolation_level=None)
        con.execute("PRAGMA journal_mode=wal")
        return con

    def book(self, refund_no: str, out_trade_no: str, amount_fen: int, status: str) -> tuple[str, str, int, bool]:
        """Book a refund once; a repeat returns the first booking. -> (gw no, status, amount, new)."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO calls VALUES (?, ?)", (refund_no, time.time()))
            row = con.execute("SELECT gateway_refund_no, status, amount_fen FROM refund WHERE refund_no = ?",
                              (refund_no,)).fetchone()
            if row:
                con.execute("COMMIT")
                return str(row[0]), str(row[1]), int(row[2]), False
            gw_no = "G" + refund_no
            con.execute("INSERT INTO refund VALUES (?, ?, ?, ?, ?, 0, ?)",
                        (refund_no, gw_no, out_trade_no, amount_fen, status, time.time()))
            con.execute("COMMIT")
            return gw_no, status, amount_fen, True
        finally:
            con.close()

    def get(self, refund_no: str) -> tuple[str, str, int, int] | None:
        con = self._connect()
        try:
            con.execute("UPDATE refund SET queries = queries + 1 WHERE refund_no = ?", (refund_no,))
            row = con.execute("SELECT gateway_refund_no, status, amount_fen, queries FROM refund WHERE refund_no = ?",
                              (refund_no,)).fetchone()
            return (str(row[0]), str(row[1]), int(row[2]), int(row[3])) if row else None
        finally:
            con.close()

    def trade_of(self, refund_no: str) -> str | None:
        """The out_trade_no the refund under ``refund_no`` was booked for (what a reply names)."""
        con = self._connect()
        try:
            row = con.execute("SELECT out_trade_no FROM refund WHERE refund_no = ?", (refund_no,)).fetchone()
            return str(row[0]) if row else None
        finally:
            con.close()

    def set_status(self, refund_no: str, status: str) -> None:
        con = self._connect()
        try:
            con.execute("UPDATE refund SET status = ? WHERE refund_no = ?", (status, refund_no))
        finally:
            con.close()

    def refunds(self) -> list[tuple[str, int, str]]:
        con = self._connect()
        try:
            return [(str(a), int(b), str(c)) for a, b, c in
                    con.execute("SELECT refund_no, amount_fen, status FROM refund ORDER BY created")]
        finally:
            con.close()

    def calls(self, refund_no: str) -> int:
        con = self._connect()
        try:
            return int(con.execute("SELECT COUNT(*) FROM calls WHERE refund_no = ?", (refund_no,)).fetchone()[0])
        finally:
            con.close()

    def credit(self, buyer: str, fen: int) -> int:
        con = self._connect()
        try:
            con.execute("INSERT INTO balance VALUES (?, ?) ON CONFLICT(buyer) DO UPDATE SET fen = fen + ?",
                        (buyer, fen, fen))
            return int(con.execute("SELECT fen FROM balance WHERE buyer = ?", (buyer,)).fetchone()[0])
        finally:
            con.close()
