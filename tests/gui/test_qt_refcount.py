"""Regression guard: PySide6 6.12.0 on CPython 3.11 leaked references to None/True/False on every
call of a void or bool-returning Qt method (their counts dropped until the interpreter crashed).
Calling such methods 100,000 times must leave those reference counts where they were.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

pytestmark = pytest.mark.gui

CALLS = 100_000


def test_void_and_bool_qt_calls_keep_none_true_false_refcounts(qtbot: Any) -> None:
    from kashop_desktop.gui.qt import QWidget

    widget = QWidget()
    qtbot.addWidget(widget)
    before = {name: sys.getrefcount(obj) for name, obj in (("None", None), ("True", True), ("False", False))}
    for i in range(CALLS):
        widget.setEnabled(i % 2 == 0)  # returns None (void in C++)
    for _ in range(CALLS):
        widget.isEnabled()  # returns True or False (bool in C++)
    after = {name: sys.getrefcount(obj) for name, obj in (("None", None), ("True", True), ("False", False))}
    # Immortal objects (3.12+) report a huge constant; on 3.11 a drop of even a few thousand
    # means each call released a reference it never took.
    for name in before:
        assert after[name] >= before[name] - 100, f"{name}: {before[name]} -> {after[name]}"
