"""The window and the store's states: File > 恢复备份, the daily backup on the worker, a busy or
damaged store reported as such (no crash report), a damaged store at start offering its backups."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.errors import DomainError, StoreBusy
from kashop_desktop.gui.dialogs.restore_backup import RestoreBackupDialog
from kashop_desktop.gui.qt import QApplication, QMessageBox, QSettings
from kashop_desktop.services import maintenance
from kashop_desktop.services.desk import Desk
from tests.gui.test_dialogs import desk_context, qasync_loop, run

pytestmark = pytest.mark.gui

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def _backups(desk: Desk) -> list[Path]:
    """Three backups a day apart: a manual one, then two automatic ones."""
    made = [maintenance.backup(desk)]
    for days_ago in (2, 1, 0):
        for b in maintenance.list_backups(desk.data_dir):
            os.utime(b.path, (b.taken_at - 86_400, b.taken_at - 86_400))
        if days_ago < 2:
            path = maintenance.auto_backup(desk)
            assert path is not None
            made.append(path)
    return made


def test_restore_dialog_lists_backups_newest_first_with_dates_and_sizes(qtbot: Any, desk: Desk) -> None:
    made = _backups(desk)
    dialog = RestoreBackupDialog(None, desk.data_dir)
    qtbot.addWidget(dialog)
    table = dialog.table
    assert table.rowCount() == 3
    names = [table.item(row, 3).text() for row in range(3)]
    assert names == [p.name for p in reversed(made)]
    assert [table.item(row, 2).text() for row in range(3)] == ["每日自动", "每日自动", "手动"]
    assert table.item(0, 0).text() > table.item(2, 0).text()  # YYYY-mm-dd HH:MM, newest first
    assert all(table.item(row, 1).text().endswith(("KB", "MB")) for row in range(3))
    assert dialog.ok_button.isEnabled()  # the newest is selected
    table.selectRow(2)
    dialog.accept()
    assert dialog.chosen == made[0]


def test_restore_dialog_without_backups_cannot_be_accepted(qtbot: Any, desk: Desk) -> None:
    dialog = RestoreBackupDialog(None, desk.data_dir, problem="数据文件已损坏")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled() and dialog.empty.isVisibleTo(dialog)
    assert dialog.problem.text() == "数据文件已损坏"


def test_file_menu_restore_asks_and_requests_a_restart(qtbot: Any, ctx: Any, tmp_path: Path) -> None:
    from kashop_desktop.gui.main_window import MainWindow

    made = _backups(ctx.desk)
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    task = asyncio.ensure_future(window.restore_backup())
    qtbot.waitUntil(lambda: _visible(RestoreBackupDialog) is not None)
    dialog = _visible(RestoreBackupDialog)
    with qtbot.waitSignal(window.restore_requested):
        dialog.accept()
    qtbot.waitUntil(task.done)
    assert task.result() == made[-1] == window.restore_request
    assert window.restore_action.text() == "恢复备份(&R)…"


def test_the_daily_backup_runs_on_the_worker_and_says_so(qtbot: Any, ctx: Any) -> None:
    from kashop_desktop.gui.app import Housekeeping

    chores = Housekeeping(ctx)
    try:
        with qtbot.waitSignal(ctx.status_message, timeout=9000) as said:
            chores.daily_backup()
        autos = [b for b in maintenance.list_backups(ctx.desk.data_dir) if b.kind == "auto"]
        assert len(autos) == 1 and str(autos[0].path) in said.args[0]
        run(qtbot, chores._backup_if_due())  # not due again today
        assert len([b for b in maintenance.list_backups(ctx.desk.data_dir) if b.kind == "auto"]) == 1
    finally:
        for timer in (chores.sweep_timer, chores.send_timer, chores.backup_timer):
            timer.stop()
        chores.deleteLater()


def test_a_busy_store_is_reported_as_such_not_as_a_crash(qtbot: Any, desk: Desk, tmp_path: Path) -> None:
    import sqlite3

    from kashop_desktop.gui.crash import CrashHandler

    handler = CrashHandler(tmp_path / "logs", lambda: None, desk.explain)
    locked = sqlite3.OperationalError("database is locked")
    assert handler(type(locked), locked, None) is None
    box = handler.dialogs[-1]
    assert isinstance(box, QMessageBox) and "稍后再试" in box.text()
    handler(type(locked), locked, None)  # again (every repaint of a bad store): still one box
    assert handler.dialogs == [box]
    assert not (tmp_path / "logs").exists() or not list((tmp_path / "logs").glob("crash-*.txt"))
    box.close()
    bug = RuntimeError("a real bug")
    report = handler(type(bug), bug, None)
    assert report is not None and report.exists()  # anything else still gets its crash report
    for b in list(handler.dialogs):
        b.close()
    assert isinstance(desk.explain(locked), StoreBusy)


def test_a_damaged_store_at_start_is_refused_without_a_traceback(tmp_path: Path, data_dir: Path) -> None:
    path = data_dir / "kashop.sqlite3"
    path.write_bytes(b"")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "kashop_desktop.gui.app", "--smoke", "--data-dir", str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "smoke failed" in done.stderr and "empty" in done.stderr and "Traceback" not in done.stderr
    assert path.read_bytes() == b""


@pytest.mark.parametrize("name, value", [("KASHOP_SECRETS", "bogus"), ("KASHOP_BUSY_TIMEOUT_MS", "soon")])
def test_the_window_refuses_an_invalid_environment_setting_as_the_command_line_does(
        tmp_path: Path, data_dir: Path, name: str, value: str) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           name: value}
    done = subprocess.run([sys.executable, "-m", "kashop_desktop.gui.app", "--smoke", "--data-dir", str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert "smoke failed" in done.stderr and name in done.stderr and "Traceback" not in done.stderr
    assert not (data_dir / "kashop.sqlite3").exists()  # nothing opened or made


def _visible(cls: type) -> Any:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, cls) and widget.isVisible():
            return widget
    return None


def test_settings_page_keeps_the_automatic_backup_settings(qtbot: Any, ctx: Any) -> None:
    from kashop_desktop.gui.pages import SettingsPage

    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    assert page.auto_backup.isChecked() and page.backup_keep.value() == 7  # on by default, keep 7
    page.backup_keep.setValue(3)
    page.auto_backup.setChecked(False)
    qtbot.waitUntil(lambda: maintenance.backup_settings(ctx.desk) == maintenance.BackupSettings(False, 3))


def test_a_damaged_store_at_start_offers_its_backups_and_restores_one(qtbot: Any, data_dir: Path) -> None:
    """The window's start on a truncated file: the backups dialog, the restore, then a good store."""
    from kashop_desktop.domain.errors import StoreUnusable
    from kashop_desktop.gui.app import refuse_to_start, restore_and_report
    from kashop_desktop.gui.qt import QTimer

    desk = Desk.open(data_dir)
    desk.set_setting("marker", 1)
    backup = maintenance.backup(desk)
    desk.close()
    path = data_dir / "kashop.sqlite3"
    with path.open("rb+") as f:
        f.truncate(path.stat().st_size // 2)
    with pytest.raises(StoreUnusable) as caught:
        Desk.open(data_dir)
    seen: list[str] = []

    def answer_modal() -> None:  # the owner's clicks on each modal window as it comes up
        widget = QApplication.activeModalWidget()
        if isinstance(widget, RestoreBackupDialog):
            seen.append(widget.problem.text())
            # The backup holds no order (a setting only): the dialog asks before it puts it back.
            asked.append(widget.refunds_warning.text() if widget.refunds_ack.isVisibleTo(widget) else "")
            widget.refunds_ack.setChecked(True)
            widget.accept()
        elif isinstance(widget, QMessageBox):
            seen.append(widget.text())
            widget.accept()

    asked: list[str] = []
    clicker = QTimer()
    clicker.timeout.connect(answer_modal)
    clicker.start(20)
    try:
        chosen = refuse_to_start(QApplication.instance(), caught.value, None, False, data_dir)
        assert chosen == backup
        assert restore_and_report(QApplication.instance(), data_dir, chosen, None)
    finally:
        clicker.stop()
    assert str(path) in seen[0] and "被截断" in seen[0]  # what is wrong, in the dialog
    assert str(backup) in seen[1]  # and where it came from
    assert "没有订单" in asked[0]  # the empty backup was asked about first
    assert "没有日志锚定" not in seen[1]  # the shop was anchored before this backup
    desk = Desk.open(data_dir)
    try:
        assert desk.setting("marker") == 1
    finally:
        desk.close()


def test_the_window_restore_of_a_backup_from_before_the_first_anchoring_says_so(qtbot: Any, data_dir: Path) -> None:
    """A backup made while the shop was never anchored (its vault locked), put back from the
    window: the message says the backup holds no anchor and how to settle it, as `restore` does."""
    from kashop_desktop.gui.app import restore_and_report
    from kashop_desktop.gui.qt import QTimer
    from kashop_desktop.services.secrets import VaultStore

    desk = Desk.open(data_dir)
    desk.set_secrets(VaultStore(data_dir / "vault.json", ""))  # no passphrase given: stays locked
    try:
        desk.log("note_written", "x", "before the shop was ever anchored")
        early = maintenance.backup(desk)
    finally:
        desk.close()
    seen: list[str] = []

    def answer_modal() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, QMessageBox):
            seen.append(widget.text())
            widget.accept()

    clicker = QTimer()
    clicker.timeout.connect(answer_modal)
    clicker.start(20)
    try:
        assert restore_and_report(QApplication.instance(), data_dir, early, None)
    finally:
        clicker.stop()
    assert str(early) in seen[0] and "没有日志锚定" in seen[0] and "kashop-desktop audit anchor" in seen[0]


def test_an_upgrade_that_seals_codes_asks_the_vault_passphrase_before_the_window(qtbot, data_dir: Path,
                                                                                monkeypatch) -> None:
    """A store with 卡密 in clear, a vault and no passphrase in the environment: the start asks
    for it (a wrong one is said so and asked again), then the upgrade seals the codes."""
    from kashop_desktop.domain.order import ProductType
    from kashop_desktop.gui.app import ask_vault_passphrase
    from kashop_desktop.gui.qt import QInputDialog, QTimer
    from kashop_desktop.services import products
    from kashop_desktop.services.secrets import VaultStore

    from ..services.test_codes import _downgrade_to_clear

    monkeypatch.delenv("KASHOP_VAULT_PASSPHRASE", raising=False)
    VaultStore(data_dir / "vault.json", "the-right-one").put("x", {"k": "v"})
    desk = Desk.open(data_dir, secrets=VaultStore(data_dir / "vault.json", "the-right-one"))
    products.add_product(desk, "卡", ProductType.CARD_CODE, 100)
    desk.close()
    _downgrade_to_clear(data_dir, ["CLEARCODE0000001"], {})
    with pytest.raises(DomainError) as caught:
        Desk.open(data_dir)
    assert caught.value.code == "vault_locked"
    answers = iter(["wrong-one", "the-right-one"])
    seen: list[str] = []

    def answer_modal() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, QInputDialog):
            seen.append(widget.labelText())
            widget.setTextValue(next(answers))
            widget.accept()
        elif isinstance(widget, QMessageBox):
            seen.append(widget.text())
            widget.accept()

    clicker = QTimer()
    clicker.timeout.connect(answer_modal)
    clicker.start(20)
    try:
        secrets = ask_vault_passphrase(QApplication.instance(), data_dir, caught.value, None)
    finally:
        clicker.stop()
    assert secrets is not None and "口令错误" in seen[1]
    desk = Desk.open(data_dir, secrets=secrets)
    try:
        assert b"CLEARCODE0000001" not in (data_dir / "kashop.sqlite3").read_bytes()
    finally:
        desk.close()


def test_a_restart_for_a_restore_speaks_the_language_on_screen(qtbot: Any, data_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner switched the desk to English, then chose File > 恢复备份: the restore's report
    between the two windows and the window opened again are in English, though the backup (and
    the restored store) still say Chinese."""
    from kashop_desktop.gui import app as gui_app
    from kashop_desktop.gui.i18n import switch_language, ui_lang
    from kashop_desktop.gui.qt import QTimer

    desk = Desk.open(data_dir)
    desk.set_setting("language", "zh")
    backup = maintenance.backup(desk)
    desk.close()
    windows: list[str] = []

    def window_run(app: Any, shown: Desk, *_args: Any) -> tuple[int, Path | None]:
        """Stands in for the window's event loop: the first run switches to English as the
        settings page does (saved in the store) and asks for the restore; the second closes."""
        windows.append(ui_lang())
        if len(windows) == 1:
            switch_language(app, "en")
            shown.set_setting("language", "en")
            return 0, backup
        return 0, None

    monkeypatch.setattr(gui_app, "run_window", window_run)
    seen: list[str] = []

    def answer_modal() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, QMessageBox):
            seen.append(f"{widget.windowTitle()}|{widget.text()}")
            widget.accept()

    clicker = QTimer()
    clicker.timeout.connect(answer_modal)
    clicker.start(20)
    try:
        assert gui_app.main([], data_dir=data_dir) == 0
    finally:
        clicker.stop()
    assert windows == ["zh", "en"]  # the window came back in English, not in the backup's Chinese
    assert len(seen) == 1 and seen[0].startswith("Restore complete|Restored from the backup: ")
    assert ui_lang() == "zh"  # translators removed when the desk closed
