"""Backups and the store's health check."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..store.db import LATEST, backup_file
from .desk import Desk


@dataclass(frozen=True)
class CheckReport:
    ok: bool
    integrity: str
    foreign_key_problems: int
    schema_version: int
    orders: int
    counts_match: bool


def backup(desk: Desk, target: Path | None = None) -> Path:
    """A consistent copy of the live database (safe while the desk is running)."""
    if target is None:
        target = desk.data_dir / "backups" / f"kashop-{time.strftime('%Y%m%d-%H%M%S')}.sqlite3"
    elif target.is_dir():
        target = target / f"kashop-{time.strftime('%Y%m%d-%H%M%S')}.sqlite3"
    return backup_file(desk.db_path, target)


def check(desk: Desk) -> CheckReport:
    db = desk.db
    integrity = str(db.execute_sql("PRAGMA integrity_check").fetchone()[0])
    fk = len(db.execute_sql("PRAGMA foreign_key_check").fetchall())
    version = int(db.execute_sql("PRAGMA user_version").fetchone()[0])
    real = dict(db.execute_sql("SELECT status, COUNT(*) FROM orders GROUP BY status").fetchall())
    kept = dict(db.execute_sql("SELECT status, n FROM status_count").fetchall())
    counts_match = all(kept.get(s, 0) == n for s, n in real.items()) and all(
        n == real.get(s, 0) for s, n in kept.items())
    orders = sum(real.values())
    return CheckReport(integrity == "ok" and fk == 0 and counts_match and version == LATEST, integrity, fk, version,
                       orders, counts_match)
