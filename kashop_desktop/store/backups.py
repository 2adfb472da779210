"""Backup files: consistent copies of the live store, listing and checking them, putting one back.

A backup is written through SQLite's online backup API (safe while other processes write, WAL
included), to a ``.partial`` name first and renamed when complete, so a half-written copy is
never listed. It is stored in rollback-journal mode: one self-contained file to copy anywhere.

Names say who took the copy: ``kashop-auto-YYYYmmdd-HHMMSS.sqlite3`` (the daily automatic
backup, rotated), ``kashop-vN-...`` (before migrating from schema N, kept), anything else
(``kashop backup`` or the window's button, kept). Times in names are Beijing time.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..domain.clock import SHOP_TZ
from ..domain.errors import StoreBusy, StoreUnusable
from . import health

SUFFIX = ".sqlite3"
AUTO_PREFIX = "kashop-auto-"
_MIGRATION = re.compile(r"-v\d+-\d{8}-\d{6}")


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: float  # epoch seconds (the file's modification time)
    size: int  # bytes
    kind: str  # "auto", "migration" or "manual"


def stamp(moment: float | None = None) -> str:
    """``YYYYmmdd-HHMMSS`` in Beijing time, for file names."""
    return datetime.fromtimestamp(time.time() if moment is None else moment, SHOP_TZ).strftime("%Y%m%d-%H%M%S")


def _kind(name: str) -> str:
    if name.startswith(AUTO_PREFIX):
        return "auto"
    return "migration" if _MIGRATION.search(name) else "manual"


def list_backups(directory: Path) -> list[BackupInfo]:
    """Every complete backup in `directory`, newest first (none if the folder does not exist)."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.glob(f"*{SUFFIX}"):
        try:
            st = path.stat()
        except FileNotFoundError:  # rotated away by another process meanwhile
            continue
        found.append(BackupInfo(path, st.st_mtime, st.st_size, _kind(path.name)))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


class BackupDamaged(StoreUnusable):
    """A fresh copy of the store failed ``quick_check`` (``found`` says what) and was not kept."""

    def __init__(self, source: Path, found: str) -> None:
        super().__init__(
            "backup_damaged",
            f"备份未通过完整性检查（{found}），没有保留：数据文件 {source} 可能已损坏；较早的备份保持不变",
            f"the backup failed its integrity check ({found}) and was not kept: the data file {source} may be "
            "damaged; the older backups are kept", str(source))
        self.found = found


def backup_file(source: Path, target: Path) -> Path:
    """A consistent, self-contained copy of the live SQLite file `source` at `target`.

    The copy must pass ``PRAGMA quick_check`` before it takes its name: a copy of a damaged store
    is deleted and never kept, listed or counted toward the rotation, so the older backups stay.
    Raises StoreUnusable (``backup_damaged``) naming what the check found.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # One scratch name per writer: two processes backing up at the same second never share it.
    partial = target.with_name(f"{target.name}.{os.getpid()}-{os.urandom(3).hex()}.partial")
    try:
        src = sqlite3.connect(str(source), timeout=30)
        try:
            dst = sqlite3.connect(str(partial))
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
                found = _quick_check(dst)
            finally:
                dst.close()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):  # locked, busy, a full disk: the copy failed, the store is not damaged
                raise
            found = str(exc)
        finally:
            src.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if found != "ok":
        partial.unlink(missing_ok=True)
        raise BackupDamaged(source, found)
    os.replace(partial, target)
    return target


def is_damage(exc: BaseException) -> bool:
    """Whether an SQLite error says the file is damaged (corrupt, not a database), as opposed to
    one that says it could not be read just now (locked, busy, read-only, I/O)."""
    name = getattr(exc, "sqlite_errorname", "")
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or name.startswith("SQLITE_CORRUPT_"):
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text)


def _quick_check(con: sqlite3.Connection) -> str:
    """``ok`` or the first problem ``PRAGMA quick_check`` finds (pages, records, not indexes).
    Raises sqlite3.DatabaseError when the check could not run for a reason other than damage."""
    try:
        return str(con.execute("PRAGMA quick_check(1)").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        return str(exc)


def passes_check(path: Path) -> bool:
    """Whether the backup at ``path`` opens read-only and passes ``quick_check``."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return False
    try:
        return _quick_check(con) == "ok"
    finally:
        con.close()


def order_count(path: Path) -> int | None:
    """How many orders the store file at ``path`` holds (read-only), or None when it cannot be read."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return None
    try:
        return int(con.execute("SELECT COUNT(*) FROM orders").fetchone()[0])
    except sqlite3.DatabaseError:
        return None
    finally:
        con.close()


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete automatic backups beyond the newest `keep`; others are never touched."""
    autos = [b for b in list_backups(directory) if b.kind == "auto"]
    removed = []
    for old in autos[max(keep, 1):]:
        old.path.unlink(missing_ok=True)
        removed.append(old.path)
    return removed


def check_backup(path: Path, latest: int) -> int:
    """Check a backup through and through (``integrity_check``); return its schema version.

    Raises StoreUnusable (``backup_unusable``) naming the file and what is wrong with it.
    """
    def refuse(zh: str, en: str) -> StoreUnusable:
        return StoreUnusable("backup_unusable", f"备份 {path} 不能用来恢复：{zh}", f"the backup {path} cannot be "
                             f"restored: {en}", str(path))

    report = health.inspect(path)
    if report.state is not health.FileState.OK:
        raise refuse("文件不存在、为空或已损坏", "it is missing, empty or damaged")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = con.execute("PRAGMA integrity_check(1)").fetchone()[0]
            version = int(con.execute("PRAGMA user_version").fetchone()[0])
            has_orders = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'orders'").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise refuse(f"无法读取（{exc}）", f"it cannot be read ({exc})") from exc
    if integrity != "ok":
        raise refuse(f"完整性检查未通过（{integrity}）", f"the integrity check failed ({integrity})")
    if not has_orders or version < 1:
        raise refuse("这不是卡店订单台的数据文件", "it is not a kashop-desktop data file")
    if version > latest:
        raise refuse(f"来自更新版本的程序（结构版本 {version}）", f"it was written by a newer desk (schema {version})")
    return version


@dataclass(frozen=True)
class RefundSince:
    """A refund the live store sent or settled that the backup does not know as such."""

    refund_no: str  # 退款单号
    order_no: str
    amount_fen: int
    state: str  # its state in the live store (a RefundStatus value)
    in_backup: str | None  # its state in the backup; None: the backup has no such refund


def refunds_since(live: Path, backup: Path) -> list[RefundSince]:
    """Refunds of ``live`` that were sent to a gateway (at least one attempt) or succeeded, and
    that ``backup`` lacks or holds in another state or with fewer sends: restoring it would
    forget money that left (or may have left) the shop, and could send it again.

    Both files are read, never written. A live store that cannot be read (damaged, older than
    refunds) gives an empty list: there is nothing to compare with.
    """
    if health.inspect(live).state is not health.FileState.OK:
        return []
    try:
        con = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            con.execute("ATTACH DATABASE ? AS live", (f"file:{live}?mode=ro",))
            rows = con.execute(
                "SELECT l.refund_no, o.order_no, l.amount_fen, l.state, b.state FROM live.refund l "
                "JOIN live.orders o ON o.id = l.order_id LEFT JOIN main.refund b ON b.refund_no = l.refund_no "
                "WHERE (l.attempts > 0 OR l.state = 'succeeded') "
                "AND (b.id IS NULL OR b.state <> l.state OR b.attempts < l.attempts) ORDER BY l.id").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return []
    return [RefundSince(str(r[0]), str(r[1]), int(r[2]), str(r[3]), r[4]) for r in rows]


def ensure_unused(path: Path) -> None:
    """Refuse (StoreBusy) while another connection has the store open: the window, a CLI job.

    An exclusive lock on a WAL store is refused while any other connection is open, idle or not.
    A file SQLite cannot read is in use by nobody (every desk refuses to open it).
    """
    if health.inspect(path).state is not health.FileState.OK:
        return
    con = sqlite3.connect(str(path), timeout=1, isolation_level=None)
    try:
        con.execute("PRAGMA locking_mode=EXCLUSIVE")
        con.execute("BEGIN EXCLUSIVE")
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        con.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreBusy(
                f"数据文件 {path} 正在被另一个 kashop-desktop（窗口或命令）使用；请先关闭它再恢复备份。",
                f"the data file {path} is in use by another kashop-desktop (the window or a command); "
                "close it before restoring a backup.") from exc
    except sqlite3.DatabaseError:
        pass
    finally:
        con.close()


def set_aside(path: Path, aside_dir: Path) -> Path | None:
    """Move the store and its ``-wal``/``-shm`` into `aside_dir`; return the store's new path."""
    moved = None
    aside_dir.mkdir(parents=True, exist_ok=True)
    base = aside_dir / f"{path.stem}-{stamp()}{path.suffix}"
    for part, suffix in ((path, ""), (health.wal_path(path), "-wal"), (health.shm_path(path), "-shm")):
        if part.exists():
            target = base.with_name(base.name + suffix)
            os.replace(part, target)
            moved = moved or (target if not suffix else None)
    return moved


def put_back(backup: Path, live: Path) -> None:
    """Copy `backup` into place as the live store (via a temporary name and one rename)."""
    incoming = live.with_name(f".{live.name}.restoring")
    shutil.copyfile(backup, incoming)
    with incoming.open("rb+") as f:
        os.fsync(f.fileno())
    os.replace(incoming, live)
