"""Changing an operator's role and approval limit together (``operators.change``): the one
service behind Settings > 操作员 > 角色与额度… and ``operators set``."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.roles import OWNER_NAME, Identity, PermissionRefused, Role
from kashop_desktop.services import operators, state_check
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import AuditEvent


def _team(desk: Desk) -> None:
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret", approve_limit_fen=50_00)
    operators.add(desk, "阿May", Role.VIEWER, "viewer-secret")


def _view(desk: Desk, name: str) -> operators.OperatorView:
    return next(v for v in operators.list_operators(desk) if v.name == name)


def _logged(desk: Desk, after: int) -> list[tuple[str, str, str, str]]:
    return [(e.operator, e.action, e.subject, e.data) for e in AuditEvent.select().where(AuditEvent.id > after)]


def test_a_viewer_becomes_a_clerk_with_a_limit_in_one_change_logged_as_the_cli_logs_it(desk: Desk) -> None:
    _team(desk)
    with pytest.raises(DomainError) as refused:  # the limit alone: a viewer has none
        operators.set_limit(desk, "阿May", 30_00)
    assert refused.value.code == "limit_for_clerks"
    before = max(e.id for e in AuditEvent.select())
    changed = operators.change(desk, "阿May", role=Role.CLERK, approve_limit_fen=30_00)
    assert (changed.role, changed.approve_limit_fen) == (Role.CLERK, 30_00)
    assert (_view(desk, "阿May").role, _view(desk, "阿May").approve_limit_fen) == (Role.CLERK, 30_00)
    assert _logged(desk, before) == [(OWNER_NAME, "operator_role", "阿May", '{"role": "clerk"}'),
                                     (OWNER_NAME, "operator_limit", "阿May",
                                      '{"approve_limit": "30.00", "approve_limit_fen": 3000}')]
    assert state_check.disagreements(desk.db.connection()) == []  # check replays the role and the limit


def test_a_refused_change_changes_nothing(desk: Desk) -> None:
    _team(desk)
    with pytest.raises(DomainError) as viewer_limit:  # a limit for a role that will not be a clerk's
        operators.change(desk, "小王", role=Role.VIEWER, approve_limit_fen=10_00)
    assert viewer_limit.value.code == "limit_for_clerks"
    with pytest.raises(DomainError) as last:
        operators.change(desk, OWNER_NAME, role=Role.VIEWER)
    assert last.value.code == "last_owner"
    with pytest.raises(DomainError) as negative:
        operators.change(desk, "小王", approve_limit_fen=-1)
    assert negative.value.code == "invalid_limit"
    assert (_view(desk, "小王").role, _view(desk, "小王").approve_limit_fen) == (Role.CLERK, 50_00)
    assert _view(desk, OWNER_NAME).role is Role.OWNER


def test_only_the_owner_changes_roles_and_the_refusal_is_recorded(desk: Desk) -> None:
    _team(desk)
    desk.sign_in(Identity("小王", Role.CLERK, 50_00))
    with pytest.raises(PermissionRefused):
        operators.change(desk, "小王", approve_limit_fen=None)  # not even their own limit
    assert _view(desk, "小王").approve_limit_fen == 50_00
    assert AuditEvent.select().where((AuditEvent.action == "refused") & (AuditEvent.operator == "小王")).count() == 1


def test_a_clerk_made_viewer_and_clerk_again_keeps_the_limit(desk: Desk) -> None:
    _team(desk)
    operators.change(desk, "小王", role=Role.VIEWER)
    assert operators.change(desk, "小王", role=Role.CLERK).approve_limit_fen == 50_00  # not lifted by the detour
