"""Qt's own buttons (Cancel in an input dialog, Show Details... in the crash box) speak the
window's language: Qt's catalogue is installed beside ours."""

from __future__ import annotations

from typing import Any

import pytest

from kashop_desktop.gui.i18n import install_translator, remove_translators
from kashop_desktop.gui.qt import QApplication, QDialogButtonBox, QInputDialog, QMessageBox, QPushButton

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(("lang", "cancel", "details"), [("zh", "取消", "显示详情"), ("en", "Cancel", "Show Details")])
def test_qt_standard_buttons_follow_the_language(qtbot: Any, lang: str, cancel: str, details: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    translators = install_translator(app, lang)
    try:
        prompt = QInputDialog()
        qtbot.addWidget(prompt)
        prompt.setTextValue("")
        prompt.show()
        box = prompt.findChild(QDialogButtonBox)
        assert box is not None
        texts = [b.text().replace("&", "") for b in box.buttons()]
        assert cancel in texts, texts
        crash = QMessageBox(QMessageBox.Icon.Critical, "x", "y")
        qtbot.addWidget(crash)
        crash.setDetailedText("traceback")
        crash.show()
        labels = [b.text() for b in crash.findChildren(QPushButton)]
        assert any(label.startswith(details) for label in labels), labels
    finally:
        remove_translators(app, translators)
