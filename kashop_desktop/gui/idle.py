"""Asks who is working again after the desk has been left alone for the idle time (Settings).

Only once the shop has several operators: the owner working alone never signs in. An operator
disabled from elsewhere (another window, the command line) is asked at the next check. Any key,
click or wheel turn in the application counts as work; the idle time is read from the
settings every check (every 15 s), so a change in Settings > 操作员 applies at once.
"""

from __future__ import annotations

import time
from typing import Any

from ..domain.roles import PermissionRefused
from ..services import operators
from .dialogs.base import pick
from .dialogs.operators import SignInMode
from .qt import QCoreApplication, QEvent, QObject, QTimer

CHECK_MS = 15_000
_INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel}


class IdleWatch(QObject):
    """Watches the application's input; after the idle time calls ``window.switch_operator``."""

    def __init__(self, window: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.last_input = time.monotonic()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT:
            self.last_input = time.monotonic()
        return False

    def check(self, now: float | None = None) -> bool:
        """Ask who is working if the desk has been idle long enough; True when it asked."""
        desk = self.window.ctx.desk
        if desk.single_owner or self.window.signing_in:
            return False
        try:
            gone = desk.operator is None or desk.current_operator() is None
            reason = QCoreApplication.translate("IdleWatch", "当前操作员已被停用或已退出，请重新登录。")
        except PermissionRefused as refused:  # their row was changed outside the desk: signed out
            gone, reason = True, pick(refused.zh, refused.en)
        if gone:
            # disabled from elsewhere (another window, the command line): signed out, asked at once
            self.window.ctx.start(self.window.switch_operator(reason, mode=SignInMode.AGAIN))
            return True
        minutes = operators.idle_minutes(desk)
        idle = (time.monotonic() if now is None else now) - self.last_input
        if not minutes or idle < minutes * 60:
            return False
        reason = QCoreApplication.translate("IdleWatch", "已经 {n} 分钟没有操作，请重新登录。").format(n=minutes)
        self.window.ctx.start(self.window.switch_operator(reason, mode=SignInMode.AGAIN))
        return True

    def stop(self) -> None:
        self.timer.stop()
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
