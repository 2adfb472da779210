"""What every GUI test leaves behind is gone before the next one starts."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _nothing_left_for_the_next_test(qapp: Any) -> Iterator[None]:
    # Objects a test let go (deleteLater, dropped Python references) are deleted here, in this
    # test's teardown, not inside a later test's event processing or modal dialog, where a
    # widget of a closed window could be deleted under a running loop.
    yield
    from kashop_desktop.gui.qt import QCoreApplication, QEvent

    for _ in range(2):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
