"""The window's 检查 (Settings > 数据与备份) names a log cut off at its end with chain_head moved back,
and says beside an OK result when the log's anchors could not be checked (the vault locked)."""

from __future__ import annotations

import os
import sqlite3

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gui.pages import SettingsPage
from kashop_desktop.services import requests
from kashop_desktop.services.secrets import VaultStore
from tests.gui.test_dialogs import desk_context, qasync_loop, run, small_shop

pytestmark = pytest.mark.gui
_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")
_shop = pytest.fixture(small_shop, name="shop")


def test_the_windows_check_names_a_cut_off_log_and_a_locked_vault(qtbot, ctx, shop):
    requests.open_request(ctx.desk, shop.order("paid"), ReasonCode.WRONG_ITEM)
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    ctx.desk.set_secrets(VaultStore(ctx.desk.data_dir / "vault.json", ""))  # locked: the MACs are not checked
    report = run(qtbot, page.check_now(), timeout=30000)
    assert report.ok and "哈希链无误" in page.check_result.text() and "保险箱未解锁" in page.check_result.text()
    raw = sqlite3.connect(ctx.desk.db_path)
    keep = raw.execute("SELECT MIN(id) FROM order_event").fetchone()[0]
    raw.execute("DELETE FROM order_event WHERE id > ?", (keep,))
    raw.execute("UPDATE chain_head SET last_id = ?, last_hash = (SELECT hash FROM order_event WHERE id = ?) "
                "WHERE chain = 'order_event'", (keep, keep))
    raw.commit()
    raw.close()
    ctx.desk.set_secrets(VaultStore(ctx.desk.data_dir / "vault.json", "test-passphrase"))
    report = run(qtbot, page.check_now(), timeout=30000)
    assert not report.ok and "订单时间线末尾被截断" in page.check_result.text()
    shot = os.environ.get("KASHOP_SHOT")
    if shot:  # a picture of the result for a person to look at
        page.resize(1000, 700)
        page.check_result.window().grab().save(shot)
