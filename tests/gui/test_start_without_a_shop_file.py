"""The window's start on a folder that holds this PC's own files (the key vault, the PC's id) but
no shop file: a box says the shop file is missing here and offers the ways on, never a traceback
and never a silent empty shop. A brand-new folder still becomes a new shop without a word."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.gui import app as gui_app
from kashop_desktop.gui.dialogs.restore_backup import RestoreBackupDialog
from kashop_desktop.gui.qt import QApplication, QMessageBox, QTimer
from kashop_desktop.gui.start_missing import ServerAtStartDialog
from kashop_desktop.services import maintenance, store_choice
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.secrets import VaultStore
from tests.pgserver import PASSWORD

pytestmark = pytest.mark.gui

Answer = Callable[[Any], None]


def second_pc(folder: Path) -> Path:
    """A real key vault (the tests' passphrase) and the PC's id, no shop file."""
    VaultStore(folder / "vault.json", os.environ["KASHOP_VAULT_PASSPHRASE"]).put("probe", {"x": "y"})
    (folder / "desk-id").write_text("pc-2", encoding="utf-8")
    return folder


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The window itself is not shown: each start that got as far records its desk's store."""
    seen: list[Any] = []

    def window(_app: Any, desk: Desk, *_a: Any) -> tuple[int, None]:
        seen.append(desk.db_url or Path(desk.data_dir, "kashop.sqlite3").exists())
        return 0, None

    monkeypatch.setattr(gui_app, "run_window", window)
    return seen


@pytest.fixture
def owner() -> Iterator[Callable[[dict[str, Answer]], list[str]]]:
    """Answers each modal box as it comes up by its object name (or class name), recording
    ``name|text`` of each box seen."""
    seen: list[str] = []
    answers: dict[str, Answer] = {}
    last: list[Any] = [None]

    def answer_modal() -> None:
        widget = QApplication.activeModalWidget()
        if widget is None or not widget.isVisible() or widget is last[0]:
            return
        last[0] = widget  # each box is answered once, as it comes up
        name = widget.objectName() or type(widget).__name__
        seen.append(f"{name}|{widget.text() if isinstance(widget, QMessageBox) else ''}")
        answers.get(name, lambda w: w.reject())(widget)

    clicker = QTimer()
    clicker.timeout.connect(answer_modal)
    clicker.start(20)

    def given(these: dict[str, Answer]) -> list[str]:
        answers.clear()
        answers.update(these)
        return seen

    try:
        yield given
    finally:
        clicker.stop()


def click(text: str) -> Answer:
    def press(box: Any) -> None:
        next(b for b in box.buttons() if b.text() == text).click()
    return press


def clicks(*texts: str) -> Answer:
    """The buttons to press on the successive showings of one box."""
    left = list(texts)

    def press(box: Any) -> None:
        click(left.pop(0) if len(left) > 1 else left[0])(box)
    return press


def test_quit_leaves_the_folder_without_a_shop(data_dir: Path, opened: list[Any], owner: Any) -> None:
    second_pc(data_dir)
    seen = owner({"shop_file_missing": click("退出")})
    assert gui_app.main([], data_dir=data_dir) == 1
    assert seen[0].startswith("shop_file_missing|") and str(data_dir) in seen[0] and "没有店铺的数据文件" in seen[0]
    assert opened == [] and not (data_dir / "kashop.sqlite3").exists()


def test_the_box_speaks_english_when_switched(data_dir: Path, opened: list[Any], owner: Any) -> None:
    second_pc(data_dir)
    seen = owner({"shop_file_missing": click("Quit")})
    assert gui_app.main([], data_dir=data_dir, lang="en") == 1
    assert seen[0].startswith("shop_file_missing|The data folder") and "holds no shop file" in seen[0]
    assert not (data_dir / "kashop.sqlite3").exists()


def test_a_new_empty_shop_only_after_a_second_confirmation(data_dir: Path, opened: list[Any], owner: Any) -> None:
    second_pc(data_dir)
    seen = owner({"shop_file_missing": click("新建空店铺…"), "confirm_new_shop": clicks("返回", "确定新建空店铺")})
    assert gui_app.main([], data_dir=data_dir) == 0
    names = [s.split("|")[0] for s in seen]
    assert names[:4] == ["shop_file_missing", "confirm_new_shop", "shop_file_missing", "confirm_new_shop"]
    assert opened == [True]  # the window opened on the shop made there


def test_a_backup_is_restored_into_the_folder(data_dir: Path, tmp_path: Path, opened: list[Any], owner: Any) -> None:
    desk = Desk.open(data_dir)
    desk.set_setting("marker", 7)
    maintenance.backup(desk)
    desk.close()
    (data_dir / "kashop.sqlite3").rename(tmp_path / "moved-away.sqlite3")  # the file moved away, backups stayed
    for leftover in data_dir.glob("kashop.sqlite3-*"):
        leftover.unlink()
    second_pc(data_dir)
    seen = owner({"shop_file_missing": click("从备份恢复…"), RestoreBackupDialog.__name__: lambda d: d.accept(),
                  "QMessageBox": lambda b: b.accept()})
    assert gui_app.main([], data_dir=data_dir) == 0
    assert opened == [True]
    assert any("已从备份恢复" in s for s in seen)
    restored = Desk.open(data_dir)
    try:
        assert restored.setting("marker") == 7
    finally:
        restored.close()


def test_a_brand_new_folder_becomes_a_new_shop_without_a_box(tmp_path: Path, opened: list[Any], owner: Any) -> None:
    fresh = tmp_path / "first-start"  # not even made yet
    seen = owner({})
    assert gui_app.main([], data_dir=fresh) == 0
    assert opened == [True] and seen == []


@pytest.mark.usefixtures("pg_cluster")
def test_the_shops_server_is_chosen_from_the_box(data_dir: Path, opened: list[Any], owner: Any,
                                                 pg_cluster: Any, pg_template: str) -> None:
    from kashop_desktop.store.pg_url import parts_of

    url = pg_cluster.new_database(template=pg_template)
    parts = parts_of(url)
    second_pc(data_dir)

    def fill(dialog: ServerAtStartDialog) -> None:
        dialog.host.setText(parts.host)
        dialog.port.setValue(parts.port)
        dialog.database.setText(parts.dbname)
        dialog.user.setText(parts.user)
        dialog.password.setText(PASSWORD)
        dialog.sslmode.setCurrentIndex(max(0, dialog.sslmode.findData(parts.sslmode)))
        dialog.accept()

    owner({"shop_file_missing": click("连接数据库服务器…"), "server_at_start": fill})
    try:
        assert gui_app.main([], data_dir=data_dir) == 0
        assert os.environ.get(store_choice.URL_ENV) == opened[0]  # handed to the window's child processes
    finally:
        os.environ.pop(store_choice.URL_ENV, None)  # not to the tests that follow
    assert len(opened) == 1 and isinstance(opened[0], str) and parts.dbname in opened[0]
    assert store_choice.saved(data_dir) is not None and not (data_dir / "kashop.sqlite3").exists()
