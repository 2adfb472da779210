"""An operator row edited behind the desk (role, approval limit, disabled, password hash) grants
nothing: the rights read at sign-in and at every operation are compared with the shop log's entries
about the operator, and a row that disagrees is refused until the owner runs check."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.roles import PermissionRefused, Right, Role
from kashop_desktop.services import maintenance, operators
from kashop_desktop.services.desk import Desk


def _team(desk: Desk) -> None:
    operators.set_password(desk, "店主", "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret", approve_limit_fen=50_00)
    operators.add(desk, "小李", Role.VIEWER, "viewer-secret")


def _outside(desk: Desk, sql: str) -> None:
    """Change the store with plain SQL, not through a service: as someone with the store's file or login would."""
    with desk.db.atomic():
        desk.db.execute_sql(sql)


def _refusals(desk: Desk) -> list[str]:
    rows = desk.db.execute_sql("SELECT data FROM audit_event WHERE action = 'refused' ORDER BY id").fetchall()
    return [r[0] for r in rows if "operator_changed_outside" in r[0]]


@pytest.mark.parametrize("edit", [
    "UPDATE operator SET role = 'owner', approve_limit_fen = NULL WHERE name = '小王'",
    "UPDATE operator SET approve_limit_fen = NULL WHERE name = '小王'",
    "UPDATE operator SET approve_limit_fen = 99900 WHERE name = '小王'",
])
def test_a_clerk_whose_row_was_raised_outside_the_desk_is_refused(desk: Desk, edit: str) -> None:
    _team(desk)
    operators.sign_in(desk, "小王", "clerk-secret")
    assert desk.over_limit(60_00) is not None  # the limit as the owner set it
    _outside(desk, edit)
    with pytest.raises(PermissionRefused) as refused:
        desk.over_limit(60_00)
    assert refused.value.code == "operator_changed_outside"
    assert "check" in refused.value.en and "小王" in refused.value.zh
    with pytest.raises(PermissionRefused):
        operators.add(desk, "小张", Role.OWNER, "third-secret")
    assert desk.operator is None
    with pytest.raises(PermissionRefused):  # signing in again does not clear it
        operators.sign_in(desk, "小王", "clerk-secret")
    assert [r for r in desk.db.execute_sql("SELECT name FROM operator WHERE name = '小张'")] == []
    assert len(_refusals(desk)) == 1  # the sign-in's refusal (the limit check is inside an approval)
    assert not maintenance.check(desk).ok


def test_a_password_hash_copied_onto_the_owner_does_not_sign_in_as_owner(desk: Desk) -> None:
    _team(desk)
    _outside(desk, "UPDATE operator SET password_hash = (SELECT password_hash FROM operator WHERE name = '小王') "
                   "WHERE name = '店主'")
    with pytest.raises(PermissionRefused) as refused:
        operators.sign_in(desk, "店主", "clerk-secret")
    assert refused.value.code == "operator_changed_outside" and desk.operator is None


def test_a_disabled_operator_enabled_outside_the_desk_is_refused(desk: Desk) -> None:
    _team(desk)
    operators.sign_in(desk, "店主", "owner-secret")
    operators.set_active(desk, "小李", False)
    _outside(desk, "UPDATE operator SET disabled_at = NULL WHERE name = '小李'")
    with pytest.raises(PermissionRefused):
        operators.sign_in(desk, "小李", "viewer-secret")


def test_rights_changed_through_the_desk_apply_at_once(desk: Desk) -> None:
    _team(desk)
    operators.sign_in(desk, "小王", "clerk-secret")
    assert desk.over_limit(60_00) is not None
    owner_desk_changes(desk)
    operators.sign_in(desk, "小王", "clerk-secret")
    assert desk.over_limit(60_00) is None  # 80.00 now
    desk.require(Right.REQUESTS)
    assert maintenance.check(desk).ok


def owner_desk_changes(desk: Desk) -> None:
    operators.sign_in(desk, "店主", "owner-secret", switching=True)
    operators.set_limit(desk, "小王", 80_00)


def test_an_owner_whose_row_was_edited_can_still_run_check(desk: Desk) -> None:
    _outside(desk, "UPDATE operator SET password_hash = 'x' WHERE name = '店主'")
    with pytest.raises(DomainError):
        operators.add(desk, "小王", Role.CLERK, "clerk-secret")
    report = maintenance.check(desk)
    assert any("店主's password digest" in en for _, en in report.state_disagreements)


def test_an_approval_limit_asked_after_the_operator_was_signed_out_refuses(desk: Desk) -> None:
    """A batch goes on after one item's refusal signed the operator out: the next items are not
    approved without a limit."""
    _team(desk)
    operators.sign_in(desk, "小王", "clerk-secret")
    _outside(desk, "UPDATE operator SET approve_limit_fen = NULL WHERE name = '小王'")
    with pytest.raises(PermissionRefused):
        desk.over_limit(10_00)
    refused = desk.over_limit(10_00)
    assert refused is not None and refused.code == "not_signed_in"
