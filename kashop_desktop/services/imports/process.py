"""Running ``import_file`` (or its check, ``dry_run``) in a child process, for the window.

Why a process and not a thread: an import is Python work for seconds or minutes, and a thread
shares the interpreter lock with the window's thread, so every paint of the order list waits
for it in turns (measured with ``benchmarks/bench_window_import.py``: the window's loop lagged
up to about 200 ms with the import on a thread, against a 50 ms target). A child process has
its own interpreter and its own connection to the store; to SQLite it is one more writer,
exactly like ``kashop-desktop orders import`` run beside the window.

The child is started with ``spawn`` on every platform (forking a process that runs Qt threads
is unsafe; a frozen build needs ``multiprocessing.freeze_support()`` in its entry script).
The parent never blocks: ``poll()`` reads whatever messages arrived (the latest Progress, then
the ImportReport or the error) and says whether the child has finished. ``cancel()`` sets an
event the child checks before each chunk (``import_file``'s ``cancel``): the chunks committed
before it stay whole, nothing after is written. ``kill()`` is for a window closing mid-import:
the chunk being written is rolled back by SQLite's journal, as after a crash. The child runs
at a lower scheduling priority (``import_child.CHILD_NICE``, POSIX only, set before it imports
the desk's modules), so a busy machine slows the import, not the window. The parent never waits
for the child to exit (after its report it still checkpoints the store's log, which after a big
import takes a moment): a finished child is reaped at the next start.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...domain.errors import DomainError, StoreBusy, StoreUnusable
from ...domain.roles import Identity, Role
from .. import import_child
from .importer import CHUNK_ROWS
from .reading import ImportFileError
from .report import ImportReport

log = logging.getLogger(__name__)

#: The start method on every platform (see the module docstring).
START_METHOD = "spawn"


@dataclass(frozen=True)
class Progress:
    """How far the child got: ``rows`` read and checked (non-blank), ``committed_row`` the last
    row number whose chunk is written (checked, for a dry run), ``written`` rows inserted or
    updated so far (``unchanged`` and ``refused`` likewise), ``seconds`` since the child began
    reading the file (its start-up excluded)."""

    rows: int
    committed_row: int
    written: int
    unchanged: int
    refused: int
    seconds: float


class ImportProcess:
    """One import (or check) of ``path`` into the store in ``data_dir``, in a child process."""

    def __init__(self, data_dir: Path, path: Path, *, all_or_nothing: bool = False, dry_run: bool = False,
                 chunk_rows: int = CHUNK_ROWS, columns: Mapping[str, str] | None = None,
                 operator: Identity | None = None) -> None:
        self.data_dir, self.path = Path(data_dir), Path(path)
        self.options: dict[str, Any] = {"all_or_nothing": all_or_nothing, "dry_run": dry_run, "chunk_rows": chunk_rows,
                                        "columns": dict(columns or {})}
        # The window's operator (signed in there): the child works as them, its rows record them.
        self.operator = None if operator is None else (operator.name, operator.role.code, operator.approve_limit_fen)
        self.progress: Progress | None = None
        self.report: ImportReport | None = None
        self.error: DomainError | None = None
        self.cancel_requested = False
        self._context = multiprocessing.get_context(START_METHOD)
        self._cancel = self._context.Event()
        self._process: Any = None
        self._conn: multiprocessing.connection.Connection | None = None

    def start(self) -> None:
        """Start the child (returns at once; the child imports the desk's modules first)."""
        receive, send = self._context.Pipe(duplex=False)
        self._process = self._context.Process(  # type: ignore[attr-defined]
            target=import_child.run_child, name="kashop-import", daemon=True,
            args=(str(self.data_dir), str(self.path), {**self.options, "operator": self.operator}, self._cancel, send))
        self._process.start()
        send.close()  # the child holds its own end: the parent sees EOF when the child is gone
        self._conn = receive

    @property
    def finished(self) -> bool:
        return self.report is not None or self.error is not None

    def poll(self) -> bool:
        """Read the messages that arrived, without waiting; True once the child has finished
        (``report`` or ``error`` is set)."""
        conn = self._conn
        while conn is not None and not self.finished:
            try:
                if not conn.poll():
                    break
                message = conn.recv()
            except (EOFError, OSError):
                self.error = self._died()
                break
            self._take(message)
        if self.finished:
            self._close()
        return self.finished

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the child has finished (for scripts and benchmarks, not for a window)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.poll():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if self._conn is not None:
                self._conn.poll(0.05 if left is None else min(0.05, left))
        return True

    def result(self) -> ImportReport:
        """The report once finished; raises the child's DomainError (ImportFileError, StoreBusy…)."""
        if self.error is not None:
            raise self.error
        if self.report is None:
            raise RuntimeError("the import has not finished")
        return self.report

    def cancel(self) -> None:
        """Ask the child to stop before its next chunk (what is committed stays, whole)."""
        self.cancel_requested = True
        self._cancel.set()

    def kill(self) -> None:
        """Stop the child at once (a window closing): the chunk being written rolls back."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(5)  # SIGTERM ends it at once; the store is left to SQLite's journal
        self._close()

    def join(self, timeout: float | None = None) -> int | None:
        """Wait for the child to exit (scripts and tests); its exit code, None if still running."""
        if self._process is None:
            return None
        self._process.join(timeout)
        return self._process.exitcode

    def _take(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "progress":
            self.progress = message[1]
        elif kind == "done":
            self.report = message[1]
        elif kind == "error":
            self.error = _rebuild_error(*message[1:])
        else:  # "crash": the child logged the traceback in the desk's log file
            self.error = DomainError(
                "import_internal", f"导入时出现意外错误，详情已写入日志 {message[1]}；已提交的批次保留",
                f"the import failed unexpectedly; the details are in the log {message[1]}; the chunks "
                "committed before it are kept")

    def _died(self) -> DomainError:
        code = None
        if self._process is not None:
            self._process.join(5)
            code = self._process.exitcode
        return DomainError(
            "import_died", f"导入进程意外退出（退出码 {code}）；已提交的批次保留，再次导入同一文件即可继续",
            f"the import process ended unexpectedly (exit code {code}); the chunks committed before it are "
            "kept; import the same file again to finish")

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _rebuild_error(kind: str, code: str, zh: str, en: str, row: int | None) -> DomainError:
    if kind == "ImportFileError":
        return ImportFileError(code.removeprefix("import_"), zh, en, row=row)
    if kind == "StoreBusy":
        return StoreBusy(zh, en)
    if kind == "StoreUnusable":
        return StoreUnusable(code, zh, en)
    return DomainError(code, zh, en)


# ---- the child ------------------------------------------------------------------------------------

def child_body(data_dir: str, path: str, options: dict[str, Any], cancel: Any,
               conn: multiprocessing.connection.Connection) -> None:
    """The child's body (after ``import_child.run_child`` lowered its priority): open the store,
    import, send progress and the report (or the error)."""
    from ...applog import setup_logging
    from ..desk import Desk
    from .importer import import_file

    log_path = setup_logging(data_dir)
    started = time.monotonic()
    # A big file is checked in a worker process of this one (``imports.pipeline``), and
    # multiprocessing refuses children to a daemonic process. The flag serves the window (which
    # stops this process when it closes); the worker is daemonic itself and ends with this one.
    multiprocessing.current_process().daemon = False

    def progress(report: ImportReport) -> None:
        conn.send(("progress", Progress(report.rows, report.committed_row, report.written, report.unchanged,
                                        report.refused, time.monotonic() - started)))

    desk: Desk | None = None
    try:
        desk = Desk.open(data_dir)
        options = dict(options)
        who = options.pop("operator", None)
        if who is not None:
            desk.sign_in(Identity(who[0], Role.of(who[1]), who[2]))
        started = time.monotonic()
        report = import_file(desk, Path(path), progress=progress, cancel=cancel.is_set, **options)
        conn.send(("done", report))
    except DomainError as exc:
        conn.send(("error", type(exc).__name__, exc.code, exc.zh, exc.en, getattr(exc, "row", None)))
    except Exception as exc:
        known = desk.explain(exc) if desk is not None else None
        if known is not None:
            conn.send(("error", type(known).__name__, known.code, known.zh, known.en, None))
        else:
            log.exception("import of %s failed", path)
            conn.send(("crash", str(log_path)))
    finally:
        if desk is not None:
            desk.close()
        conn.close()
