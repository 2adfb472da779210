"""测试连接 by a viewer: a read at the gateway, so allowed, but the result is written nowhere (a
viewer changes nothing in the shop); a clerk's or the owner's result is the account's 上次测试."""

from __future__ import annotations

import asyncio

from kashop_desktop.domain.roles import OWNER_NAME, Identity, Role
from kashop_desktop.services import gateways as gw
from kashop_desktop.services import operators
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import AuditEvent, GatewayAccount


def _team(desk: Desk) -> None:
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret")
    operators.add(desk, "阿May", Role.VIEWER, "viewer-secret")


def test_a_viewers_test_is_shown_and_written_nowhere(desk: Desk) -> None:
    gw.save_account(desk, "试用", "sandbox", {"scenario": "success"})
    _team(desk)
    desk.sign_in(Identity("阿May", Role.VIEWER))
    rows_before = (AuditEvent.select().count(), GatewayAccount.get(GatewayAccount.name == "试用").last_test_at)
    report = asyncio.run(gw.probe_account(desk, "试用"))
    assert report.ok  # the viewer sees whether the gateway answers
    assert gw.record_test(desk, "试用", report) is False
    assert asyncio.run(gw.test_account(desk, "试用")).ok
    view = gw.account_view(desk, "试用")
    assert view.last_test_ok is None  # 上次测试 stays 未测试
    assert (AuditEvent.select().count(), GatewayAccount.get(GatewayAccount.name == "试用").last_test_at) == rows_before
    assert not gw.records_tests(desk.operator)


def test_a_clerks_test_is_the_accounts_last_test(desk: Desk) -> None:
    gw.save_account(desk, "试用", "sandbox", {"scenario": "success"})
    _team(desk)
    desk.sign_in(Identity("小王", Role.CLERK))
    report = asyncio.run(gw.probe_account(desk, "试用"))
    assert gw.record_test(desk, "试用", report) is True
    assert gw.account_view(desk, "试用").last_test_ok is True
    assert gw.records_tests(desk.operator) and not gw.records_tests(None)
