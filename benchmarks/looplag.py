"""The loop-lag probe the window benchmarks share: a 10 ms QTimer on the GUI thread whose
lateness at each tick is how long the event loop was kept from running (ms).

    probe = LoopLagProbe()
    probe.start(); ...work...; worst, p99 = probe.stop()

Import it after QT_QPA_PLATFORM is set and a QApplication exists (the timer is a Qt object).
"""

from __future__ import annotations

import time
from collections.abc import Callable

TICK_MS = 10


class LoopLagProbe:
    """``lags`` holds each tick's lateness in ms (never negative), ``when`` the second of the
    run each came at; ``on_tick(now)`` is called on every tick (e.g. to feed a watchdog)."""

    def __init__(self, on_tick: Callable[[float], None] | None = None, clamp: bool = True) -> None:
        from kashop_desktop.gui.qt import QTimer

        self.lags: list[float] = []
        self.when: list[float] = []
        self.on_tick = on_tick
        self.clamp = clamp
        self._last = self._start = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        lag = (now - self._last) * 1000 - TICK_MS
        self.lags.append(max(0.0, lag) if self.clamp else lag)
        self.when.append(now - self._start)
        self._last = now
        if self.on_tick is not None:
            self.on_tick(now)

    def start(self) -> None:
        """Start (or restart) the timer with empty figures."""
        self.reset()
        self.timer.start()

    def reset(self) -> None:
        """Forget the ticks so far (e.g. after a settling pause) and count from now."""
        self.lags.clear()
        self.when.clear()
        self._last = self._start = time.perf_counter()

    def stop(self) -> tuple[float, float]:
        """Stop the timer; the worst and the 99th-percentile lag (ms), 0.0 if nothing ticked."""
        self.timer.stop()
        lags = sorted(self.lags) or [0.0]
        return lags[-1], lags[min(len(lags) - 1, int(len(lags) * 0.99))]

    def worst(self, n: int = 3) -> str:
        """The ``n`` worst lags with the second of the run each came at."""
        top = sorted(zip(self.lags, self.when, strict=True), reverse=True)[:n]
        return ", ".join(f"{lag:.0f} ms at {at:.1f} s" for lag, at in top)
