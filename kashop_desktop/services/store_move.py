"""Moving the shop from its SQLite file to a PostgreSQL server (``store migrate --to``)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from .. import paths
from ..domain.errors import DomainError, StoreUnusable
from ..store import db as store_db
from ..store import moved, transfer
from ..store import server as store_server
from ..store.transfer import Progress, TransferReport
from .desk import Desk

log = logging.getLogger(__name__)


def migrate_to_server(data_dir: Path | None, url: str, *, progress: Progress | None = None) -> TransferReport:
    """Copy the shop in ``data_dir``'s SQLite file to the empty PostgreSQL database at ``url``
    and verify it (every table's rows and money sums, ``store.transfer``). The file is first
    brought to the latest schema as any command would (a backup is taken before that), then
    only read until the server has committed the copy; then it is marked as moved
    (``store.moved``): from then on a desk refuses to open it, so the old file can never sell a
    卡密 or an order number the server gives again. Raises StoreUnusable (the file or the server
    cannot be used, the target holds a shop, the file was already moved; ``moved_unmarked``
    when the copy is on the server but the file could not be marked) or TransferMismatch
    (nothing kept on the server)."""
    desk = Desk.open(data_dir, create=False, file_only=True)
    try:
        path = desk.db_path
    finally:
        desk.close()
    report = transfer.copy_to_server(path, url, progress=progress)
    where = store_server.redact(url)
    try:
        moved.mark(path, where, busy_timeout_s=store_db.BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StoreUnusable(
            "moved_unmarked",
            f"店铺已复制到 {where} 并核对一致，但没能在数据文件 {path} 里记下“已移走”（{exc}）：请不要再用这个文件开单，"
            f"改用 --db {where} 或 KASHOP_DB_URL；关掉其他在用这个文件的窗口后可再运行一次 store migrate 到一个新的空库。",
            f"the shop was copied to {where} and verified, but the data file {path} could not be marked as moved "
            f"({exc}): do not sell from this file any more; use --db {where} or KASHOP_DB_URL.", str(path)) from exc
    _claim_books_here(desk.data_dir, url)
    return report


def _claim_books_here(data_dir: Path, url: str) -> None:
    """The wallet's and sandbox's books stay in this PC's folder: claim them on the server now
    (``local_ledger.claim_moved_books``), before another PC can use the accounts."""
    from .local_ledger import claim_moved_books

    try:
        server = Desk.open(data_dir, db_url=url)
        try:
            claim_moved_books(server)
        finally:
            server.close()
    except DomainError as exc:  # the copy stands; the first send from this PC claims them then
        log.warning("the wallet's and sandbox's books were not claimed after the move: %s", exc.en)


def unmark_moved(data_dir: Path | None) -> dict[str, Any] | None:
    """Take the data file in ``data_dir`` back as a shop after ``store migrate`` marked it as
    moved: the mark is removed (returned: ``to`` the server without password, ``at`` epoch
    seconds; None when there was none). The server's orders since the move are not in the file.
    Raises StoreUnusable (``store_missing``: no data file there; damaged), StoreBusy (the file
    stays locked past the busy timeout)."""
    path = paths.data_dir(data_dir, create=False) / paths.DB_FILENAME
    if not path.is_file():
        raise StoreUnusable("store_missing", f"{path} 不存在：这里没有数据文件。",
                            f"{path} does not exist: there is no data file here.", str(path))
    try:
        return moved.clear(path, busy_timeout_s=store_db.BUSY_TIMEOUT_MS / 1000)
    except sqlite3.OperationalError as exc:
        if store_db.is_busy(exc):
            raise store_db.busy_error() from exc
        raise store_db.unusable(path, "damaged", path.parent / "backups", str(exc)) from exc
    except sqlite3.DatabaseError as exc:
        raise store_db.unusable(path, "damaged", path.parent / "backups", str(exc)) from exc


def server_source_refusal(url: str | None) -> DomainError | None:
    """The refusal for ``store migrate`` run by a desk that is itself on the server ``url``
    (``--db`` or KASHOP_DB_URL): the command copies the data file, which is not that shop."""
    if url is None:
        return None
    where = store_server.redact(url)
    return DomainError(
        "migrate_from_server",
        f"这台电脑的店铺现在在服务器 {where} 上（--db 或 KASHOP_DB_URL）；store migrate 复制的是数据文件夹里的"
        "数据文件，不是服务器上的店铺。请去掉 --db、清空 KASHOP_DB_URL 后再迁移数据文件；"
        "服务器上的店铺换库请用 pg_dump / pg_restore。",
        f"this desk's shop is on the server {where} (--db or KASHOP_DB_URL); store migrate copies the data file in "
        "the data folder, not the server's shop. Drop --db and unset KASHOP_DB_URL to move the data file; a "
        "server shop moves to another database with pg_dump / pg_restore.")
