"""Receiving from a worker process's pipe on a helper thread, a few messages ahead of the reader.

The demo's row maker (``datagen_worker``) and the import's checking worker
(``imports.pipeline``) each send chunks through a pipe to the process that writes them. A pipe's
buffer holds about one chunk, so the two ran in lock step: while the writer committed a chunk
the worker waited to send the next one, and while the worker made a slow chunk the writer
waited to receive it. Here a thread receives (``recv`` waits without the GIL) into a queue of
``depth`` messages, so each side waits only when the other is ``depth`` chunks behind, and
memory stays bounded by that many chunks.

Messages arrive in the order sent. What ``recv`` raised (EOFError: the worker is gone) is raised
to the reader in its turn, after the messages before it. ``close`` stops the thread: the caller
ends the worker first (its end of the pipe closes, so a ``recv`` that is waiting returns), then
closes its own end of the pipe.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

#: How long the helper waits at a time for room in the queue before it looks whether it was
#: stopped (seconds).
_POLL_S = 0.1
#: How long ``close`` waits for the helper to end (seconds); it is a daemon thread either way.
_JOIN_S = 5.0


class PipeAhead:
    """``recv`` of ``conn`` (a ``multiprocessing`` connection's receiving end), up to ``depth``
    messages ahead, on a daemon thread started at once."""

    def __init__(self, conn: Any, depth: int, name: str = "kashop-pipe-ahead") -> None:
        self._conn = conn
        self._queue: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                item: tuple[Any, BaseException | None] = (self._conn.recv(), None)
            except BaseException as exc:  # EOFError, OSError: the reader raises it in its turn
                self._put((None, exc))
                return
            self._put(item)

    def _put(self, item: tuple[Any, BaseException | None]) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def recv(self) -> Any:
        """The next message, as ``conn.recv()`` would give it; raises what it raised (EOFError
        once the sender is gone and every message before that was taken)."""
        message, error = self._queue.get()
        if error is not None:
            raise error
        return message

    def close(self) -> None:
        """Stop the helper thread (after the sender was ended, or its ``recv`` may wait on)."""
        self._stop.set()
        self._thread.join(_JOIN_S)
