"""Moving the shop from its SQLite file to a PostgreSQL server (``store migrate --to``)."""

from __future__ import annotations

from pathlib import Path

from ..store import transfer
from ..store.transfer import Progress, TransferReport
from .desk import Desk


def migrate_to_server(data_dir: Path | None, url: str, *, progress: Progress | None = None) -> TransferReport:
    """Copy the shop in ``data_dir``'s SQLite file to the empty PostgreSQL database at ``url``
    and verify it (every table's rows and money sums, ``store.transfer``). The file is first
    brought to the latest schema as any command would (a backup is taken before that), then
    only read. Raises StoreUnusable (the file or the server cannot be used, the target holds
    a shop) or TransferMismatch (nothing kept on the server)."""
    desk = Desk.open(data_dir, create=False, file_only=True)
    try:
        path = desk.db_path
    finally:
        desk.close()
    return transfer.copy_to_server(path, url, progress=progress)
