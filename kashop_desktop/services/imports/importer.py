"""``import_file``: stream a file's rows, check them, and write them chunk by chunk.

Rows are read one at a time (never the whole file), checked on their own (``stream``; for a big
file in a worker process beside this one, ``pipeline``), and written in chunks of
``CHUNK_ROWS``, each chunk in its own short transaction (a bulk load, ``_BulkLoad``:
``BULK_CHUNKS_PER_TRANSACTION`` chunks to a transaction), so another process (the window, a
scheduled ``refunds send``) can write between two transactions. ``progress`` is called after
each commit.

What a crash, a Ctrl+C or a busy store leaves: every transaction committed before it is in the
store, whole; the chunks of the one being written are not, nor anything after them
(``report.committed_row`` tells how far it got while running). Importing the same file again is safe and finishes the
job: rows already in the store are counted unchanged, the rest are inserted.

``all_or_nothing=True`` writes the whole file in one transaction instead: at the first refused
row (or a file damaged part-way) it rolls back, then reads the rest of the file without writing
to report every refused row. A crash rolls back too (SQLite's journal), so either every row is
in or none is. Other processes wait for that one transaction (it holds the write lock for the
length of the import).

``cancel`` (asked before each chunk is taken) stops an import between two chunks: the chunks
taken before it are committed, whole; the chunk read but not yet written is not written, nor
anything after it (``report.cancelled``, ``report.committed_row``). With ``all_or_nothing`` a
cancel rolls the one transaction back: nothing is written. ``dry_run`` checks every row as the
import would (the file's rules and the store's) and writes nothing: the counts say what an
import would do now; a trade no shared by two rows in different chunks is only caught by the
import itself.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...domain.clock import to_epoch
from ...domain.errors import DomainError, StoreBusy
from ...domain.roles import Right
from ...store import bulkload
from ...store.bulkload import BulkLoadLock
from ...store.checkpoints import copied_behind, staged
from ...store.search_aside import SearchIndexAside, search_index_empty
from ..changes import Changes
from ..common import OWNER
from ..desk import Desk
from ..gateways import BUILTIN_ACCOUNTS, ensure_builtin_accounts
from .pipeline import CheckingWorker, WorkerDied
from .pipeline import worth_it as pipeline_worth_it
from .reading import ImportFileError, other_sheets_note
from .report import ImportReport, RowProblem
from .stream import CheckedChunk, Opened, open_checked
from .writing import ChunkWriter, accounts_routes

log = logging.getLogger(__name__)

#: Rows per transaction: long enough to amortise the look-ups, short enough (tens of ms) that
#: another process waiting to write barely notices.
CHUNK_ROWS = 5000
#: Chunks per transaction in a bulk load (``_BulkLoad``: a big file into a new or nearly empty
#: store). Each commit writes every page the transaction changed to the log, and the unique
#: trade-no index takes each chunk's trade nos at random places: measured on a million rows, the
#: commits of 5,000-row transactions cost 5.5 s, those of 20,000-row ones 3.4 s. The window or a
#: scheduled command waits at most one such transaction (about half a second) to write.
BULK_CHUNKS_PER_TRANSACTION = 4
#: A file of at least this many rows, into a store holding fewer orders than the file brings,
#: is loaded with the orders table's upkeep set aside and rebuilt at the end (``store.bulkload``).
BULK_FROM_ROWS = 20_000

#: Called after each committed chunk with the report so far (``rows``, ``estimated_rows``,
#: ``committed_row``, counts), and in a bulk load once more when every chunk is
#: (``all_committed``: the list's upkeep is then put back before the import returns); from the
#: importing thread.
Progress = Callable[[ImportReport], None]
#: Asked between chunks (never inside one); True stops the import there: the chunks committed
#: so far stay, nothing of the rest is written, and ``report.cancelled`` is set.
Cancel = Callable[[], bool]


def _gateway_accounts(desk: Desk, dry_run: bool) -> dict[str, int]:
    """The shop's gateway accounts by name, the wallet and the sandbox every shop has among them
    (``gateways.ensure_builtin_accounts``, which a new shop's first import creates; a dry run
    writes nothing and names them with ids no account has)."""
    if not dry_run:
        ensure_builtin_accounts(desk)
    accounts = {str(n): int(i) for n, i in desk.db.execute_sql("SELECT name, id FROM gateway_account")}
    for stand_in, name in enumerate(BUILTIN_ACCOUNTS, 1):
        accounts.setdefault(name, -stand_in)
    return accounts


class _Refused(Exception):
    """Unwinds the all-or-nothing transaction at the first refused row (or a cancel)."""


def import_file(desk: Desk, path: Path, *, actor: str = OWNER, all_or_nothing: bool = False,
                chunk_rows: int = CHUNK_ROWS, progress: Progress | None = None,
                cancel: Cancel | None = None, bulk: bool | None = None, dry_run: bool = False,
                columns: Mapping[str, str] | None = None, encoding: str | None = None,
                pipeline: bool | None = None) -> ImportReport:
    """Import orders from a CSV/TSV (UTF-8, UTF-16 with BOM, GBK/GB18030) or XLSX file.

    Returns the ImportReport (its ``outcome`` says all / partial / nothing). Raises
    ImportFileError (a DomainError) for a file-level problem found before any row is written:
    unreadable, empty, not text, Big5/Shift-JIS, a damaged XLSX, unknown, missing or duplicate
    columns, no data rows. ``progress`` is called after each committed chunk (each checked chunk
    with ``dry_run``); ``cancel`` is asked before each chunk is written (with ``all_or_nothing``, a
    cancel rolls everything back). ``bulk`` forces the set-aside upkeep on or off (None: decided by
    ``BULK_FROM_ROWS``); the store ends the same either way. ``dry_run``: see the module docstring.
    ``columns`` maps a header text to the field it stands for ("" not to import that column), over
    the names the desk knows (``rows.Header.read``). ``encoding`` names a text file's encoding
    instead of detecting it (``reading.open_table``). ``pipeline`` forces the rows to be read and
    checked in a worker process beside this one (``pipeline``) or here (None: a worker for a big
    file on a machine with two cores or more); the result is the same either way.
    """
    desk.require(Right.IMPORT)
    gateways = _gateway_accounts(desk, dry_run)
    now = to_epoch(desk.now())
    opened, checked, close = _open(path, pipeline, encoding=encoding, columns=columns, gateways=gateways, now=now,
                                   size=chunk_rows)
    report = ImportReport(all_or_nothing=all_or_nothing, estimated_rows=opened.estimated_rows, dry_run=dry_run)
    try:
        if opened.unknown:
            shown = ", ".join(opened.unknown)
            report.notes.append((f"不认识的列未导入：{shown}（如某列就是订单的一个字段，可用 --column 表头=字段 指明）",
                                 f"columns the desk does not know were not imported: {shown} (if one of them is an "
                                 "order field, name it with --column HEADER=FIELD)"))
        sheets = other_sheets_note(opened.other_sheets, dry_run=dry_run)
        if sheets is not None:
            report.notes.append(sheets)
            report.sheets_left_out = opened.other_sheets
        writer = ChunkWriter(desk, report, actor, accounts_routes(desk, gateways), desk_export=opened.desk_export)
        chunks = _taken(checked, report)
        if dry_run:
            _check_only(writer, chunks, report, progress, cancel)
        else:
            big = report.estimated_rows >= BULK_FROM_ROWS
            with _BulkLoad(desk, report.estimated_rows if bulk is None else bulk, all_or_nothing) as load:
                if all_or_nothing:
                    with _fewer_checkpoints(desk, big, None):
                        _write_all_or_nothing(desk, writer, chunks, report, progress, cancel, load)
                else:
                    per_transaction = BULK_CHUNKS_PER_TRANSACTION if load.active else 1
                    with _fewer_checkpoints(desk, big, chunk_rows * per_transaction) as checkpointed:
                        _write_chunks(desk, writer, chunks, report, progress, cancel, per_transaction,
                                      _each(load.committed, checkpointed), upkeep_after=load.active)
    except ImportFileError as exc:
        if exc.row is None:
            raise
        report.stopped = RowProblem(exc.row, "", exc.zh, exc.en)
    except WorkerDied as exc:  # killed (the system short of memory picks the bigger process), or crashed
        log.warning("the import stopped: %s", exc)
        raise _checker_died(report) from exc
    finally:
        close()
    if report.rows == 0 and report.stopped is None and not report.cancelled:
        raise ImportFileError("no_rows", "表头下面没有订单行", "there are no order rows under the header")
    return report


def _open(path: Path, pipeline: bool | None, **options: Any) -> tuple[Opened, Iterator[CheckedChunk],
                                                                         Callable[[], None]]:
    """``stream.open_checked``, in a worker process when ``pipeline`` (None: when worth it) and
    it starts; here otherwise."""
    if pipeline if pipeline is not None else pipeline_worth_it(path):
        worker = CheckingWorker(path, **options)
        try:
            opened, checked = worker.open()
            return opened, checked, worker.close
        except WorkerDied:
            log.warning("the import's checking process did not start; checking the rows here", exc_info=True)
    return open_checked(path, **options)


def _taken(checked: Iterator[CheckedChunk], report: ImportReport) -> Iterator[CheckedChunk]:
    """The chunks as they are taken for writing, each with what checking found before it
    replayed into the report (a file-level problem met part-way raises here, in its place)."""
    for chunk in checked:
        chunk.apply(report)
        if chunk.rows:
            yield chunk
        chunk.stop()


#: Rows committed between two checkpoints of a big import's log (``store.checkpoints.staged``:
#: the helper copies all but the last transaction of them). SQLite's automatic checkpoint comes
#: every 1,000 pages of log, every few MB: each chunk's commit would copy the log back into the
#: file, rewriting the pages of the unique indexes that every chunk touches again (measured on a
#: million rows, with a checkpoint every 25,000 pages instead: 30% fewer bytes written, 5 s less
#: CPU). 100,000 orders are about 25,000 pages of log. The log is SQLite's crash-safe journal
#: whatever its length.
BIG_IMPORT_CHECKPOINT_ROWS = 100_000
#: What a log started again is cut back to during a big import (bytes): each checkpoint lets the
#: next transaction start the log from its beginning, and a log cut back to the store's
#: ``journal_size_limit`` (16 MB) would be grown again to some 100 MB in every such round
#: (measured on a million rows: about 1 s more for the import). The store's own limit is put back
#: after the import; the log is cut back to it at its next start.
BIG_IMPORT_LOG_KEPT_BYTES = 128 << 20


@contextmanager
def _fewer_checkpoints(desk: Desk, big: bool, transaction_rows: int | None) -> Iterator[Callable[[], None]]:
    """For a big import into SQLite, the log copied into the file every
    ``BIG_IMPORT_CHECKPOINT_ROWS`` rows (``transaction_rows`` to a transaction; None: one
    transaction, whose commit copies it as usual), mostly on a helper thread, and kept at its
    length when it starts again (this connection only). Yields what to call after each commit."""
    con = desk.db.connection()
    if not big or getattr(con, "dialect", "sqlite") != "sqlite":
        yield _nothing
        return
    kept = int(desk.db.execute_sql("PRAGMA journal_size_limit").fetchone()[0])
    desk.db.execute_sql(f"PRAGMA journal_size_limit = {BIG_IMPORT_LOG_KEPT_BYTES}")
    try:
        if transaction_rows is None:
            yield _nothing
            return
        # The helper copies all but the last transaction of each round (StagedCheckpoints).
        every = max(1, BIG_IMPORT_CHECKPOINT_ROWS // max(1, transaction_rows) - 1)
        with staged(con, desk.db_path, every) as stages:
            yield _nothing if stages is None else stages.committed
    finally:
        with contextlib.suppress(Exception):  # a closed connection keeps no setting anyway
            desk.db.execute_sql(f"PRAGMA journal_size_limit = {kept}")


def _nothing() -> None:
    return


def _each(*calls: Callable[[], None]) -> Callable[[], None]:
    """One call that makes each of ``calls`` in turn."""
    def call() -> None:
        for each in calls:
            each()
    return call


class _BulkLoad:
    """The orders table's upkeep set aside for a big import into a (nearly) empty store and put
    back when it ends, however it ends (``store.bulkload``: a crash is finished at next open)."""

    def __init__(self, desk: Desk, wanted: int | bool, one_transaction: bool) -> None:
        self.desk, self.one_transaction = desk, one_transaction
        self.lock = BulkLoadLock(desk.db_path)
        self.active = False
        self.aside: SearchIndexAside | None = None
        if wanted is True or (wanted is not False and wanted >= BULK_FROM_ROWS and self._store_smaller(wanted)):
            self.active = self.lock.acquire(wait=False)  # another import holds it: go the plain way

    def _store_smaller(self, rows: int) -> bool:
        return int(self.desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0]) < rows

    def __enter__(self) -> _BulkLoad:
        if self.active and not self.one_transaction:
            try:
                with self.desk.atomic():
                    bulkload.set_aside(self.desk.db.connection())
            except BaseException:
                self.lock.release()
                raise
            self.aside = self._search_aside()
        return self

    def _search_aside(self) -> SearchIndexAside | None:
        """The new orders' search index built aside as they are committed (``store.search_aside``),
        when the store's own is empty (a first big import); None otherwise or when it cannot start."""
        con = self.desk.db.connection()
        record = bulkload.pending(con)
        if record is None or getattr(con, "dialect", "sqlite") != "sqlite" or not search_index_empty(con):
            return None
        definition = con.execute("SELECT sql FROM sqlite_master WHERE name = 'orders_fts'").fetchone()
        try:
            return SearchIndexAside(self.desk.db_path, int(record["first_id"]), str(definition[0]),
                                    bulkload.FTS_FILL_SETTINGS)
        except (OSError, RuntimeError):
            log.warning("the search index is filled in place after the import", exc_info=True)
            return None

    def committed(self) -> None:
        """After each committed transaction of the load."""
        if self.aside is not None:
            self.aside.advance()

    def begin(self) -> None:
        """Inside the one all-or-nothing transaction: set the upkeep aside there."""
        if self.active:
            bulkload.set_aside(self.desk.db.connection())

    def end(self) -> None:
        """Inside the one all-or-nothing transaction: put it back before the commit."""
        if self.active:
            bulkload.put_back(self.desk.db.connection())

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if not self.active:
            return
        con = self.desk.db.connection()
        try:
            if not self.one_transaction:
                with _ctrl_c_held(kind is None), copied_behind(con, self.desk.db_path) as behind:
                    with self.desk.atomic():
                        bulkload.put_back(con, self.aside, self.desk.db_path)
                    behind.copy()  # the indexes' pages, copied into the file while the search index is copied in
                    record = bulkload.pending(con)  # the search index, left for the aside's copy
                    if record is not None and not (self.aside is not None and self.aside.finish(record["dropped"],
                                                                                                bulkload.SETTING)):
                        with self.desk.atomic():
                            bulkload.put_back(con)
        except Exception:  # busy or interrupted: the next open or import puts it back
            log.warning("putting back the orders upkeep after an import failed; it is done at next open",
                        exc_info=True)
        finally:
            if self.aside is not None:
                self.aside.close()
            self.lock.release()


@contextmanager
def _ctrl_c_held(hold: bool) -> Iterator[None]:
    """With ``hold``, on the main thread: a first Ctrl+C (SIGINT) during the block is held back
    and the block goes on; a second one stops it at once (KeyboardInterrupt). For the end of a
    load whose rows are all in: the list's upkeep is put back in a few seconds per million orders,
    and a Ctrl+C then would only leave that to the next command, which does it slower. Elsewhere
    (another thread, a handler of the program's own) nothing changes."""
    if not hold or threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    pressed: list[bool] = []

    def held(signum: int, frame: object) -> None:
        if pressed:
            raise KeyboardInterrupt
        pressed.append(True)
        log.info("Ctrl+C while the import puts the list's upkeep back: finishing first (again to stop now)")

    signal.signal(signal.SIGINT, held)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _check_only(writer: ChunkWriter, chunks: Iterator[CheckedChunk], report: ImportReport,
                progress: Progress | None, cancel: Cancel | None) -> None:
    writer.dry_run = True
    for chunk in chunks:
        if cancel is not None and cancel():
            report.cancelled = True
            return
        writer.write(chunk)
        report.committed_row = chunk.numbers[-1]
        if progress is not None:
            progress(report)


def _write_chunks(desk: Desk, writer: ChunkWriter, chunks: Iterator[CheckedChunk], report: ImportReport,
                  progress: Progress | None, cancel: Cancel | None, per_transaction: int = 1,
                  committed: Callable[[], None] | None = None, *, upkeep_after: bool = False) -> None:
    """Each ``per_transaction`` chunks written and committed together (fewer for the last, or
    when a cancel comes between two of them); ``committed`` is called after each commit.
    ``upkeep_after``: a bulk load puts the list's upkeep back once every chunk is in, so
    ``progress`` is told once more then (``report.all_committed``)."""
    taking = iter(chunks)
    while True:
        # Asked before the next chunk is taken: what checking found in a chunk that is then not
        # written (its refused rows, its warnings) stays out of the report, as its rows stay out
        # of the store. Between two transactions, what is committed stays whole.
        if cancel is not None and cancel():
            report.cancelled = True
            return
        chunk = next(taking, None)
        if chunk is None:
            report.all_committed = True
            if progress is not None and upkeep_after:
                progress(report)
            return
        mark, kept = report.mark(), report.changes
        report.changes, writer.listed_before = Changes(), len(kept.order_ids)  # this transaction's alone
        try:
            with desk.atomic():
                writer.write(chunk)
                for _ in range(per_transaction - 1):
                    following = None if cancel is not None and cancel() else next(taking, None)
                    if following is None:
                        break
                    writer.write(following)
                    chunk = following
        except BaseException as exc:  # not committed (Ctrl+C too): its counts are not the store's
            report.back_to(mark)
            report.changes = kept
            if isinstance(exc, Exception) and isinstance(desk.explain(exc), StoreBusy) and report.committed_row:
                raise _busy_part_way(report) from exc
            raise
        report.changes = kept.merge(report.changes)
        report.committed_row = chunk.numbers[-1]
        if committed is not None:
            committed()
        if progress is not None:
            progress(report)


def _checker_died(report: ImportReport) -> DomainError:
    """The checking worker ended part-way: what is in, and how to finish."""
    done, row = report.inserted + report.updated, report.committed_row
    zh = "导入的检查进程意外结束（可能是电脑内存不足，被系统结束）"
    en = "the import's checking process ended unexpectedly (the computer may have run short of memory)"
    if report.all_or_nothing or not row:
        return DomainError("import_checker_died", f"{zh}：没有写入任何行；请再导入一次。",
                           f"{en}: nothing was written; import the file again.")
    return DomainError(
        "import_checker_died",
        f"{zh}：导入在第 {row} 行之后停下，之前的 {done} 行已导入，其余未写入；再导入同一个文件即可完成（已导入的行会计为未变）。",
        f"{en}: the import stopped after row {row}: {done} rows before it are imported, the rest are not; "
        "import the same file again to finish (rows already in count as unchanged).")


def _busy_part_way(report: ImportReport) -> StoreBusy:
    """The store stayed busy after some chunks were committed: say what is in and how to finish."""
    done, row = report.inserted + report.updated, report.committed_row
    return StoreBusy(
        f"数据文件正被另一个程序占用，导入在第 {row} 行之后停下：之前的 {done} 行已导入，其余未写入；"
        "稍后再导入同一个文件即可完成（已导入的行会计为未变）。",
        f"the store is busy: another process held it too long, so the import stopped after row {row}: "
        f"{done} rows before it are imported, the rest are not; import the same file again later to finish "
        "(rows already in count as unchanged).")


def _write_all_or_nothing(desk: Desk, writer: ChunkWriter, chunks: Iterator[CheckedChunk],
                          report: ImportReport, progress: Progress | None, cancel: Cancel | None,
                          load: _BulkLoad) -> None:
    unchecked: CheckedChunk | None = None
    try:
        with desk.atomic():
            load.begin()
            last = 0
            for chunk in chunks:
                unchecked = chunk  # read, its store rules not checked yet
                if report.refused:
                    raise _Refused
                if cancel is not None and cancel():
                    report.cancelled = True
                    raise _Refused
                writer.write(chunk)
                unchecked = None
                last = chunk.numbers[-1]
                if progress is not None:  # written, not committed: all of it commits at the end
                    progress(report)
            if report.refused:
                raise _Refused
            load.end()
        report.committed_row = last
    except (_Refused, ImportFileError) as exc:
        report.rolled_back = True
        _nothing_written(report)
        writer.reload()
        writer.dry_run = True
        if isinstance(exc, ImportFileError):
            raise
        if report.cancelled:
            return
        if unchecked is not None:
            writer.write(unchecked)
        for chunk in chunks:  # the rest of the file, checked and reported, nothing written
            writer.write(chunk)
        _nothing_written(report)


def _nothing_written(report: ImportReport) -> None:
    """A rolled-back import reports no order written, delivered, backordered or held."""
    report.inserted = report.updated = report.unchanged = 0
    report.held = report.delivered = report.backordered = 0
    report.changes = Changes()
