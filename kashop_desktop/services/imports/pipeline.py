"""Checking a big file's rows in a worker process while the importing process writes.

Reading and checking the rows (``stream``) is Python work for every cell; writing them is
mostly SQLite's. On a machine with two cores or more a big import runs both at once: a worker
process reads and checks the file and sends each ``CheckedChunk`` through a pipe, while the
importing process writes the ones before it. A thread of the importing process receives them
(``services.pipe_ahead``), so the worker is at most ``READ_AHEAD`` chunks ahead (memory stays
bounded) and the chunks arrive in file order with what checking found on the way: the report, the refused rows, what each chunk writes and
what a crash or a cancel leaves are exactly those of checking in the importing process.

The worker never opens the store. It stops when the importing process closes the stream (a
cancel, a refused all-or-nothing row, an error), is terminated if the importing process exits
first, and ends by itself when its pipe's other end is gone (the importing process killed). It
is started with ``spawn`` on every platform (``services.imports.process`` says why) and inherits
the importing process's scheduling priority.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..pipe_ahead import PipeAhead
from .reading import ImportFileError
from .stream import CheckedChunk, Opened, open_checked

log = logging.getLogger(__name__)

#: A file of at least this many bytes (a CSV of about 40,000 orders, an XLSX of more) is checked in
#: a worker process where there is a second core: below it, starting the worker (about half a
#: second) costs more than it saves.
PIPELINE_FROM_BYTES = 8 << 20
#: Checked chunks received ahead of the writes (``services.pipe_ahead``): the worker goes on
#: checking while a chunk is written and committed, and the writer goes on while a chunk is slow
#: to check; memory holds at most this many chunks more.
READ_AHEAD = 4


def worth_it(path: Path) -> bool:
    """Whether the file at ``path`` is checked in a worker on this machine."""
    try:
        size = path.stat().st_size
    except OSError:
        return False  # the import's own open says what is wrong with it
    return size >= PIPELINE_FROM_BYTES and (os.cpu_count() or 1) >= 2


class WorkerDied(RuntimeError):
    """The worker ended without a word (killed, or it could not start: a script that starts an
    import from its top level without ``if __name__ == "__main__":`` cannot spawn processes)."""


class CheckingWorker:
    """A worker process reading and checking one file; ``open`` returns what ``open_checked``
    returns, with the chunks coming from the worker."""

    def __init__(self, path: Path, *, encoding: str | None, columns: Mapping[str, str] | None,
                 gateways: dict[str, int], now: int | None, size: int) -> None:
        self.args = (str(path), encoding, dict(columns or {}), dict(gateways), now, size)
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._conn: multiprocessing.connection.Connection | None = None
        self._ahead: PipeAhead | None = None

    def open(self) -> tuple[Opened, Iterator[CheckedChunk]]:
        """Start the worker and wait for the file's header; raises ImportFileError as
        ``open_checked`` does (the worker is stopped then)."""
        receive, send = self._context.Pipe(duplex=False)
        self._process = self._context.Process(target=run_worker, name="kashop-import-check", daemon=True,
                                              args=(*self.args, send))
        self._process.start()
        send.close()  # the worker holds its own end: EOF here when it is gone
        self._conn = receive
        self._ahead = PipeAhead(receive, READ_AHEAD, name="kashop-import-ahead")
        try:
            opened = self._receive()
        except BaseException:
            self.close()
            raise
        assert isinstance(opened, Opened)
        return opened, self._chunks()

    def _chunks(self) -> Iterator[CheckedChunk]:
        while True:
            message = self._receive()
            if message is None:
                return
            assert isinstance(message, CheckedChunk)
            yield message

    def _receive(self) -> Opened | CheckedChunk | None:
        if self._conn is None or self._ahead is None:
            return None
        try:
            kind, payload = self._ahead.recv()
        except (EOFError, OSError):
            code = self._exit_code()
            raise WorkerDied(f"the import's checking process ended unexpectedly (exit code {code})") from None
        if kind == "file_error":
            code, zh, en, row = payload
            raise ImportFileError(code.removeprefix("import_"), zh, en, row=row)
        if kind == "crash":
            raise RuntimeError(f"the import's checking process failed:\n{payload}")
        if kind == "end":
            self.close()
            return None
        result: Opened | CheckedChunk = payload
        return result

    def _exit_code(self) -> int | None:
        if self._process is None:
            return None
        self._process.join(5)
        code: int | None = self._process.exitcode
        return code

    def close(self) -> None:
        """Stop the worker (at once if it is still reading) and let go of the pipe."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join(5)
            self._process = None
        if self._ahead is not None:
            self._ahead.close()  # the worker is gone, so a receive still waiting has returned
            self._ahead = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def run_worker(path: str, encoding: str | None, columns: dict[str, str], gateways: dict[str, int],
               now: int | None, size: int, conn: multiprocessing.connection.Connection) -> None:
    """The worker's body: send ("opened", Opened), then ("chunk", CheckedChunk)... and ("end", None);
    a file-level problem before the first row as ("file_error", (code, zh, en, row)), anything
    unexpected as ("crash", traceback text). A closed pipe ends it quietly. Ctrl+C reaches the
    whole process group: the worker leaves it to the importing process, which stops it."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            opened, chunks, close = open_checked(Path(path), encoding=encoding, columns=columns,
                                                 gateways=gateways, now=now, size=size)
        except ImportFileError as exc:
            conn.send(("file_error", (exc.code, exc.zh, exc.en, exc.row)))
            return
        _fewer_collections()
        try:
            conn.send(("opened", opened))
            for chunk in chunks:
                conn.send(("chunk", chunk))
            conn.send(("end", None))
        finally:
            close()
    except (BrokenPipeError, ConnectionResetError):
        return  # the importing process stopped reading: nothing left to do
    except Exception:
        with contextlib.suppress(OSError):
            conn.send(("crash", traceback.format_exc()))
    finally:
        conn.close()


#: The worker's first-generation threshold of the cycle collector (Python's default: 700). A
#: chunk makes tens of thousands of tuples and dicts that reference counting frees; each
#: collection walks the young ones again for nothing (measured on a million rows: about 4% of
#: the worker's time). Cycles (a refused cell's error kept with its traceback) are still collected.
GC_THRESHOLD = 10_000


def _fewer_collections() -> None:
    """In the worker process: what is alive once the file is open (modules, the header) is
    frozen out of the collector's walks, and the young generation collected less often."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, older, oldest)
