"""Settings > 数据存储 in the window: the store in use shown (never a password), 测试连接 in plain
words for each way a server fails, the choice saved and shown again with its password only in
the secret store, owner only; the store problem box and the start's refusal worded for a server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.applog import setup_logging
from kashop_desktop.domain.errors import StoreUnusable
from kashop_desktop.domain.roles import OWNER_NAME, Role
from kashop_desktop.gui.context import DeskContext
from kashop_desktop.gui.crash import CrashHandler
from kashop_desktop.gui.pages.store_box import StoreBox
from kashop_desktop.gui.qt import QApplication, QMessageBox, QTimer
from kashop_desktop.gui.start_server import refuse_server, restart_command
from kashop_desktop.services import operators, store_choice
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.db import LATEST
from tests.gui.test_dialogs import desk_context, qasync_loop, run
from tests.pgserver import PASSWORD, USER, PrivateCluster

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


def fill(box: StoreBox, port: int, dbname: str, password: str, sslmode: str = "prefer") -> None:
    box.use_server.setChecked(True)
    box.host.setText("127.0.0.1")
    box.port.setValue(port)
    box.database.setText(dbname)
    box.user.setText(USER)
    box.password.setText(password)
    box.sslmode.setCurrentIndex(box.sslmode.findData(sslmode))


def db_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def restart_offer(box: StoreBox) -> QMessageBox | None:
    found = [m for m in box.findChildren(QMessageBox) if m.objectName() == "restart_offer" and m.isVisible()]
    return found[0] if found else None


def test_the_section_saves_the_server_and_shows_it_again_without_the_password(
        qtbot: Any, ctx: DeskContext, pg_cluster: PrivateCluster, pg_template: str, data_dir: Path) -> None:
    setup_logging(data_dir)
    box = StoreBox(ctx)
    qtbot.addWidget(box)
    assert box.use_file.isChecked() and str(ctx.desk.db_path) in box.now_label.text()
    assert not box.host.isEnabled()  # the server's fields wait for the server to be chosen
    url = pg_cluster.new_database(template=pg_template)
    fill(box, pg_cluster.port, db_name(url), PASSWORD)
    found = run(qtbot, box.test_connection())
    assert found.code == "ok" and found.schema == LATEST and box.result.kind == "ok"
    assert "连接成功" in box.result.text() and PASSWORD not in box.result.text()
    saving = asyncio.ensure_future(box.save())
    qtbot.waitUntil(lambda: restart_offer(box) is not None, timeout=9000)
    offer = restart_offer(box)
    assert offer is not None and "下次启动" in offer.text()
    next(b for b in offer.buttons() if b.text() == "稍后").click()
    qtbot.waitUntil(saving.done, timeout=5000)
    assert saving.result() is True and "已保存" in box.result.text()
    again = StoreBox(ctx)
    qtbot.addWidget(again)
    assert again.use_server.isChecked() and again.host.text() == "127.0.0.1"
    assert (again.port.value(), again.database.text(), again.user.text()) == (pg_cluster.port, db_name(url), USER)
    assert again.password.text() == "" and "已保存" in again.password.placeholderText()
    assert run(qtbot, again.test_connection()).code == "ok"  # the saved password, the field left empty
    leaked = [p for p in data_dir.rglob("*") if p.is_file() and PASSWORD.encode() in p.read_bytes()]
    assert leaked == [] and (data_dir / "logs").is_dir()


@pytest.mark.parametrize(("case", "said", "kind"), [
    ("wrong_password", "用户名或密码不对", "error"),
    ("no_database", "没有这个数据库", "error"),
    ("no_tls", "不支持加密连接", "error"),
    ("unreachable", "连接不上", "error"),
    ("newer", "更新版本", "error"),
    ("empty", "store migrate", "info"),
])
def test_test_connection_says_what_failed_and_nothing_is_saved(
        case: str, said: str, kind: str, qtbot: Any, ctx: DeskContext, pg_cluster: PrivateCluster,
        data_dir: Path) -> None:
    import psycopg

    url = pg_cluster.new_database()
    port, name, password, sslmode = pg_cluster.port, db_name(url), PASSWORD, "prefer"
    if case == "wrong_password":
        password = "not-the-password"
    elif case == "no_database":
        name = "no_such_shop"
    elif case == "no_tls":
        sslmode = "require"  # the private cluster has no TLS
    elif case == "unreachable":
        port = closed_port()
    elif case == "newer":
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"CREATE TABLE kashop_schema (version INTEGER NOT NULL); INSERT INTO kashop_schema "
                        f"VALUES ({LATEST + 1})")
    box = StoreBox(ctx)
    qtbot.addWidget(box)
    fill(box, port, name, password, sslmode)
    found = run(qtbot, box.test_connection())
    assert said in box.result.text() and box.result.kind == kind and password not in box.result.text()
    assert found.usable == (case == "empty")
    if not found.usable:
        assert run(qtbot, box.save()) is False and store_choice.saved(data_dir) is None


def test_a_clerk_sees_the_section_read_only(qtbot: Any, ctx: DeskContext) -> None:
    desk = ctx.desk
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret")
    operators.sign_in(desk, "小王", "clerk-secret")
    box = StoreBox(ctx)
    qtbot.addWidget(box)
    for widget in (box.use_file, box.use_server, box.save_button, box.test_button, box.host, box.password):
        assert not widget.isEnabled()
    assert "修改规则和设置" in box.save_button.toolTip()


@pytest.fixture
def server_ctx(pg_cluster: PrivateCluster, pg_template: str, data_dir: Path, aloop: Any,
               qtbot: Any) -> Iterator[DeskContext]:
    desk = Desk.open(data_dir, db_url=pg_cluster.new_database(template=pg_template))
    yield from desk_context(desk, aloop, qtbot)
    desk.close()


def test_on_a_server_the_section_names_it_and_says_what_chose_it(
        qtbot: Any, server_ctx: DeskContext, pg_cluster: PrivateCluster) -> None:
    box = StoreBox(server_ctx)
    qtbot.addWidget(box)
    text = box.now_label.text()
    assert "数据库服务器" in text and f"端口 {pg_cluster.port}" in text and f"用户 {USER}" in text
    assert PASSWORD not in text and "--db" in text  # given at start: the saved choice waits
    assert box.use_file.isChecked()  # the saved choice: none yet; --db's server only fills in the fields
    assert box.host.text() == "127.0.0.1" and box.password.text() == "" and not box.host.isEnabled()


def test_the_store_problem_box_is_worded_for_a_server(qtbot: Any, tmp_path: Path) -> None:
    problem = StoreUnusable("store_unreachable", "数据库服务器连接不上", "the database server cannot be reached")
    on_file = CrashHandler(tmp_path, lambda: None)
    on_server = CrashHandler(tmp_path, lambda: None, None, "db.shop.lan:5432/kashop")
    boxes = [handler.show_store_problem(problem) for handler in (on_file, on_server)]
    assert [b.windowTitle() for b in boxes if b is not None] == [
        "数据文件出了问题", "数据库服务器出了问题：db.shop.lan:5432/kashop"]
    for box in boxes:
        assert box is not None
        box.done(0)


def test_a_saved_server_that_fails_at_start_offers_this_pcs_file(qtbot: Any) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    problem = StoreUnusable("store_unreachable", "数据库服务器 x 连接不上", "the database server x cannot be reached")
    seen: list[list[str]] = []

    def press(label: str) -> None:
        box = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "server_problem" and w.isVisible())
        assert isinstance(box, QMessageBox)
        seen.append([b.text() for b in box.buttons()])
        next(b for b in box.buttons() if b.text() == label).click()

    QTimer.singleShot(0, lambda: press("改用这台电脑的数据文件"))
    assert refuse_server(app, problem, "zh", "saved") == "file"
    QTimer.singleShot(0, lambda: press("重试"))
    assert refuse_server(app, problem, "zh", "environment") == "retry"
    assert "改用这台电脑的数据文件" in seen[0] and "改用这台电脑的数据文件" not in seen[1]


def test_a_restart_chooses_the_saved_store_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KASHOP_DB_URL", "postgresql://kashop@db/shop")
    args, env = restart_command("saved")
    assert "KASHOP_DB_URL" not in env and args[0]
    assert restart_command("environment")[1]["KASHOP_DB_URL"] == "postgresql://kashop@db/shop"


def test_a_file_moved_to_a_server_offers_that_server_at_start(
        qtbot: Any, pg_cluster: PrivateCluster, data_dir: Path) -> None:
    from kashop_desktop.cli import main
    from kashop_desktop.domain.errors import DomainError
    from kashop_desktop.gui.qt import QInputDialog
    from kashop_desktop.gui.start_server import offer_moved_server

    Desk.open(data_dir).close()
    url = pg_cluster.new_database()
    assert main(["store", "migrate", "--to", url, "--data-dir", str(data_dir)]) == 0
    with pytest.raises(DomainError) as moved:
        Desk.open(data_dir)
    assert moved.value.code == "store_moved"
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    typed = iter(["not-the-password", PASSWORD])
    said: list[str] = []

    def answer() -> None:
        for widget in QApplication.topLevelWidgets():
            if not widget.isVisible():
                continue
            if isinstance(widget, QInputDialog):
                widget.setTextValue(next(typed))
                widget.accept()
            elif isinstance(widget, QMessageBox) and widget.objectName() == "store_moved":
                next(b for b in widget.buttons() if b.text() == "改用这个服务器…").click()
            elif isinstance(widget, QMessageBox):  # the wrong password's warning
                said.append(widget.text())
                widget.accept()

    timer = QTimer()
    timer.timeout.connect(answer)
    timer.start(50)
    try:
        assert offer_moved_server(app, moved.value, "zh", data_dir, None) is True
    finally:
        timer.stop()
    assert said and "用户名或密码不对" in said[0] and PASSWORD not in said[0]
    saved = store_choice.saved(data_dir)
    assert saved is not None and saved.parts.dbname == db_name(url) and saved.password_in == "vault"
    desk = Desk.open(data_dir)  # the next start opens the shop on the server
    try:
        assert desk.store_source == "saved" and desk.db_url is not None and db_name(url) in desk.db_url
    finally:
        desk.close()
    assert [p for p in data_dir.rglob("*") if p.is_file() and PASSWORD.encode() in p.read_bytes()] == []


def test_a_silent_server_keeps_the_window_answering_while_it_is_tried(qtbot: Any, ctx: DeskContext) -> None:
    listener = socket.socket()  # accepts the connection in the kernel, never says a word
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        box = StoreBox(ctx)
        qtbot.addWidget(box)
        fill(box, listener.getsockname()[1], "shop", PASSWORD)
        ticks: list[int] = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(100)
        trying = asyncio.ensure_future(box.test_connection())
        qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=4000)  # the GUI thread runs on meanwhile
        assert not trying.done() and not box.test_button.isEnabled() and box.result.kind == "info"
        qtbot.waitUntil(trying.done, timeout=15000)
        timer.stop()
        assert trying.result().code == "store_unreachable" and "连接不上" in box.result.text()
        assert box.test_button.isEnabled()
    finally:
        listener.close()


def test_the_root_certificate_is_asked_for_only_when_the_server_is_verified(qtbot: Any, ctx: DeskContext) -> None:
    box = StoreBox(ctx)
    qtbot.addWidget(box)
    fill(box, 5432, "shop", "", "require")
    assert not box.rootcert.isEnabled() and box.parts() is not None and box.parts().sslrootcert == ""  # type: ignore[union-attr]
    box.sslmode.setCurrentIndex(box.sslmode.findData("verify-full"))
    assert box.rootcert.isEnabled() and box.rootcert_button.isEnabled()
    assert box.parts().sslrootcert == "system"  # type: ignore[union-attr]  # empty: the system's trusted roots
    box.rootcert.setText("/etc/kashop/shop-root.crt")
    chosen = box.parts()
    assert chosen is not None and chosen.sslrootcert == "/etc/kashop/shop-root.crt"


def test_saving_from_the_window_leaves_the_password_in_no_file_settings_or_log(
        qtbot: Any, ctx: DeskContext, pg_cluster: PrivateCluster, pg_template: str, data_dir: Path,
        tmp_path: Path) -> None:
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QSettings

    setup_logging(data_dir)
    ui = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(ctx, ui)
    qtbot.addWidget(window)
    window.show()
    page = window.show_page("settings")
    box = page.store_box  # type: ignore[attr-defined]
    url = pg_cluster.new_database(template=pg_template)
    fill(box, pg_cluster.port, db_name(url), PASSWORD)
    saving = asyncio.ensure_future(box.save())
    qtbot.waitUntil(lambda: restart_offer(box) is not None, timeout=9000)
    offer = restart_offer(box)
    assert offer is not None
    next(b for b in offer.buttons() if b.text() == "稍后").click()
    qtbot.waitUntil(saving.done, timeout=5000)
    assert saving.result() is True
    window.close()  # the window keeps its layout in the settings file
    ui.sync()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert tmp_path / "ui.ini" in files and any(p.suffix == ".log" for p in files)
    assert [p for p in files if PASSWORD.encode() in p.read_bytes()] == []


def test_on_a_server_the_file_backups_are_greyed_out_naming_pg_dump(qtbot: Any, server_ctx: DeskContext) -> None:
    from kashop_desktop.gui.pages.settings import SettingsPage

    page = SettingsPage(server_ctx)
    qtbot.addWidget(page)
    for control in (page.backup_button, page.auto_backup, page.backup_keep):
        assert not control.isEnabled() and "pg_dump" in control.toolTip()
    assert "pg_dump" in page.backup_note.text() and not page.backup_note.isHidden() and page.check_button.isEnabled()


def test_on_the_file_the_backups_stay_as_they_were(qtbot: Any, ctx: DeskContext) -> None:
    from kashop_desktop.gui.pages.settings import SettingsPage

    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    assert page.backup_button.isEnabled() and page.auto_backup.isEnabled() and page.backup_note.isHidden()
