"""Is a file a usable store? Checks cheap enough for every start, and none of them writes a byte.

``inspect(path)`` reads the 100-byte SQLite header (format: https://sqlite.org/fileformat.html
section 1.3) and the file's size: a 0-byte file, a file that is not SQLite at all, and a file
shorter than the page count its header declares (cut by a full disk, a bad copy or a sync tool)
are told apart without opening the database. A full ``PRAGMA integrity_check`` reads every page
(seconds on a million orders), so it is left to ``kashop-desktop check`` and to a restore.

``read_version(path)`` reads ``PRAGMA user_version`` without ever checkpointing: from the header
when there is no write-ahead log, otherwise from a scratch copy of page 1 and the WAL, so a
store written by a newer desk keeps every file byte for byte (a read-only open would still
rewrite the ``-shm`` index; an ``immutable`` open would not see a version still in the WAL).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100


class FileState(Enum):
    MISSING = "missing"  # no file: a new shop
    OK = "ok"
    EMPTY = "empty"  # 0 bytes
    NOT_SQLITE = "not_sqlite"  # no SQLite header: another kind of file, or overwritten
    TRUNCATED = "truncated"  # shorter than its header says
    ORPHAN_WAL = "orphan_wal"  # the file is gone but its write-ahead log is still there


@dataclass(frozen=True)
class FileReport:
    state: FileState
    size: int = 0
    page_size: int = 0
    expected_size: int = 0  # bytes the header declares (0 when the header does not say)


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def shm_path(path: Path) -> Path:
    return path.with_name(path.name + "-shm")


def _wal_size(path: Path) -> int:
    try:
        return wal_path(path).stat().st_size
    except FileNotFoundError:
        return 0


def _header(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(HEADER_SIZE)


def _page_size(header: bytes) -> int:
    raw = int.from_bytes(header[16:18], "big")
    return 65536 if raw == 1 else raw


def inspect(path: Path) -> FileReport:
    """What state the file at `path` is in, from its size and header alone (no SQLite open).

    A file that looks cut short is looked at again: another process's checkpoint writes page 1
    (with the new page count) before the pages that grow the file, and removes its log when
    done, so a look that spans the end of a checkpoint can see the new count beside the old
    size. A truly truncated file gives the same answer on every look over about two seconds.
    """
    report = _inspect_once(path)
    for attempt in range(8):  # about 1.8 s in all before a file is called cut short
        if report.state is not FileState.TRUNCATED:
            return report
        time.sleep(0.05 * (attempt + 1))  # let a checkpoint in another process finish
        report = _inspect_once(path)
    return report


def _inspect_once(path: Path) -> FileReport:
    try:
        header = _header(path)
        size = path.stat().st_size  # after the header: a checkpoint only grows the file meanwhile
    except FileNotFoundError:
        return FileReport(FileState.ORPHAN_WAL if _wal_size(path) > 0 else FileState.MISSING)
    if size == 0:
        return FileReport(FileState.EMPTY)
    page_size = _page_size(header) if len(header) == HEADER_SIZE else 0
    if not header.startswith(MAGIC) or len(header) < HEADER_SIZE or page_size < 512 or page_size & (page_size - 1):
        return FileReport(FileState.NOT_SQLITE, size)
    # The in-header page count is valid when the change counter (offset 24) equals the
    # version-valid-for number (offset 92). With a live WAL the header may lag the log, so the
    # comparison is only made without one.
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96] and pages > 0
    expected = pages * page_size if valid else 0
    if size % page_size or (expected and size < expected and _wal_size(path) == 0):
        return FileReport(FileState.TRUNCATED, size, page_size, expected)
    return FileReport(FileState.OK, size, page_size, expected)


def read_version(path: Path) -> int:
    """``PRAGMA user_version`` of the store at `path`, writing nothing beside or into it.

    Raises ``sqlite3.DatabaseError`` when the file cannot be read as SQLite.
    """
    header = _header(path)
    if _wal_size(path) <= 32:  # no log, or only its header: page 1 in the file is current
        return int.from_bytes(header[60:64], "big")
    with tempfile.TemporaryDirectory(prefix="kashop-version-") as scratch:
        copy = Path(scratch) / "store.sqlite3"
        page_size = _page_size(header)
        with path.open("rb") as f:
            copy.write_bytes(f.read(page_size))
        # The copy is as long as page 1 says the store is (the rest a hole of zeros, never read):
        # when the log holds no committed page (only a transaction's spilled, uncommitted ones:
        # a big import running, or killed part-way), SQLite takes the file's own length as the
        # store's, and a copy shorter than page 1's page count reads as "malformed".
        valid = header[24:28] == header[92:96]  # the in-header page count is current (as in _inspect_once)
        pages = int.from_bytes(header[28:32], "big") if valid else path.stat().st_size // page_size
        os.truncate(copy, max(1, pages) * page_size)
        try:
            shutil.copyfile(wal_path(path), wal_path(copy))
        except FileNotFoundError:  # the last connection closed meanwhile: its log is in the file now
            return int.from_bytes(_header(path)[60:64], "big")
        con = sqlite3.connect(str(copy))
        try:
            return int(con.execute("PRAGMA user_version").fetchone()[0])
        finally:
            con.close()
