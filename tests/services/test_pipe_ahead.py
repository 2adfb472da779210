"""Receiving a worker's pipe ahead of the reader: order, the sender's end, the bound, the stop."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from kashop_desktop.services.pipe_ahead import PipeAhead

pytestmark = pytest.mark.sqlite_only(reason="no store: pipes and a thread")


def test_messages_come_in_the_order_sent_then_the_end_of_the_pipe() -> None:
    receive, send = multiprocessing.Pipe(duplex=False)
    ahead = PipeAhead(receive, 2)
    try:
        for n in range(50):
            send.send(("chunk", n))
        send.close()
        assert [ahead.recv() for _ in range(50)] == [("chunk", n) for n in range(50)]
        with pytest.raises(EOFError):
            ahead.recv()
    finally:
        ahead.close()
        receive.close()


def test_the_helper_holds_at_most_depth_messages_ahead() -> None:
    receive, send = multiprocessing.Pipe(duplex=False)
    ahead = PipeAhead(receive, 3)
    sent = threading.Event()
    big = b"x" * (1 << 20)  # a pipe's buffer holds less than one of these

    def sender() -> None:
        for n in range(10):
            send.send((n, big))
        sent.set()

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    try:
        # Nothing taken yet: the queue fills to three, one more waits in the helper's hands, and the
        # sender waits with the rest (a pipe's buffer holds less than one message).
        deadline = time.monotonic() + 10
        while ahead._queue.qsize() < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ahead._queue.qsize() == 3 and not sent.is_set()
        assert [ahead.recv()[0] for _ in range(10)] == list(range(10))
        assert sent.wait(5.0)
    finally:
        send.close()
        thread.join(5)
        ahead.close()
        receive.close()


def test_closing_with_a_full_queue_stops_the_helper() -> None:
    receive, send = multiprocessing.Pipe(duplex=False)
    ahead = PipeAhead(receive, 1)
    for n in range(3):
        send.send(n)
    assert ahead.recv() == 0
    send.close()  # the sender ended: the helper's waiting receive returns
    ahead.close()
    assert not ahead._thread.is_alive()
    receive.close()
