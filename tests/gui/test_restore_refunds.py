"""File > 恢复备份 names the refunds a backup predates and restores it only once the owner ticks
that they checked them (real store, real backups, real sandbox refunds, widgets offscreen)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.gui.dialogs.restore_backup import RestoreBackupDialog
from kashop_desktop.services import maintenance
from kashop_desktop.services import requests as reqs
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Refund
from tests.services.helpers import order, sandbox, send_refunds

pytestmark = pytest.mark.gui


def _refund_sent(desk: Desk) -> Refund:
    no = order(desk, "paid", gateway_id=sandbox(desk, "success"), paid_minutes_ago=30, code_used="no")
    _, rid = reqs.open_request(desk, no, ReasonCode.WRONG_ITEM)
    assert rid is not None
    if not Refund.select().where(Refund.request == rid).exists():
        reqs.approve(desk, rid)

    send_refunds(desk)
    return Refund.get(Refund.request == rid)


def test_restore_dialog_names_refunds_since_and_needs_a_tick(qtbot: Any, desk: Desk, tmp_path: Path) -> None:
    old = maintenance.backup(desk)
    ref = _refund_sent(desk)
    assert ref.state == "succeeded"
    dialog = RestoreBackupDialog(None, desk.data_dir)
    qtbot.addWidget(dialog)
    dialog.table.selectRow(0)
    assert dialog.backups[0].path == old
    assert dialog.refunds_warning.isVisibleTo(dialog) and ref.refund_no in dialog.refunds_warning.text()
    assert dialog.refunds_ack.isVisibleTo(dialog) and not dialog.ok_button.isEnabled()
    dialog.accept()
    assert dialog.chosen is None  # not without the tick
    dialog.refunds_ack.setChecked(True)
    assert dialog.ok_button.isEnabled()
    dialog.accept()
    assert dialog.chosen == old
    dialog.grab().save(str(tmp_path / "restore_refunds.png"))
    later = maintenance.backup(desk)  # a backup after the refund: nothing to warn about
    fresh = RestoreBackupDialog(None, desk.data_dir)
    qtbot.addWidget(fresh)
    assert fresh.backups[0].path == later
    assert not fresh.refunds_warning.isVisibleTo(fresh) and fresh.ok_button.isEnabled()
