"""Each refusal names the right refused: rebuilding the reports' tables and anchoring the log are
rights of their own, not backing up or exporting the log."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.roles import Identity, PermissionRefused, Right, Role
from kashop_desktop.services import audit, maintenance
from kashop_desktop.services.desk import Desk


def test_a_viewer_is_refused_rebuilding_the_reports_by_that_name(desk: Desk) -> None:
    desk.sign_in(Identity("小李", Role.VIEWER))
    with pytest.raises(PermissionRefused) as refused:
        maintenance.rebuild_reports(desk)
    assert refused.value.right == Right.REPORTS.code
    assert "重建报表数据" in refused.value.zh and "rebuild the report tables" in refused.value.en
    assert "备份" not in refused.value.zh
    desk.sign_in(Identity("小王", Role.CLERK, 50_00))
    assert maintenance.rebuild_reports(desk) == []  # store upkeep: a clerk may


def test_a_clerk_is_refused_anchoring_the_log_by_that_name(desk: Desk) -> None:
    desk.sign_in(Identity("小王", Role.CLERK, 50_00))
    with pytest.raises(PermissionRefused) as refused:
        audit.anchor_log(desk)
    assert refused.value.right == Right.ANCHOR.code
    assert "重新锚定操作日志" in refused.value.zh and "anchor the log again" in refused.value.en
    assert "导出" not in refused.value.zh
