"""Who approved a refund is read from the chained approval entries: a refund row's approver edited
behind the desk frees no clerk's limit, and check names it; the rules' own approvals name the rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.order import ReasonCode
from kashop_desktop.domain.roles import CLERK_START_LIMIT_FEN, OWNER_NAME, PermissionRefused, Role
from kashop_desktop.services import maintenance, operators, requests
from kashop_desktop.services.approval_check import RULE_APPROVER
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import Refund

from .helpers import order

OWNER_PW, CLERK_PW = "owner-secret", "clerk-secret"


def _team(desk: Desk) -> None:
    operators.set_password(desk, OWNER_NAME, OWNER_PW)
    operators.add(desk, "小王", Role.CLERK, CLERK_PW, approve_limit_fen=50_00)


def _outside(desk: Desk, sql: str) -> None:
    with desk.db.atomic():  # plain SQL, not a service: as someone with the store's file would
        desk.db.execute_sql(sql)


def test_a_clerks_approvals_moved_onto_the_owner_still_count_against_their_limit(desk: Desk) -> None:
    no = order(desk, paid_fen=100_00, paid_minutes_ago=600)
    _team(desk)
    operators.sign_in(desk, "小王", CLERK_PW)
    _, first = requests.open_request(desk, no, ReasonCode.WRONG_ITEM, amount_fen=45_00)
    requests.approve(desk, first or 0)
    assert maintenance.check(desk).state_disagreements == []
    _outside(desk, "UPDATE refund SET operator = '店主'")
    operators.sign_in(desk, "小王", CLERK_PW)
    _, second = requests.open_request(desk, no, ReasonCode.WRONG_ITEM, amount_fen=45_00)
    with pytest.raises(PermissionRefused) as refused:
        requests.approve(desk, second or 0)  # ¥45 + ¥45 on one order: above the ¥50 limit
    assert refused.value.code == "over_approval_limit" and "90.00" in refused.value.en
    assert Refund.select().count() == 1
    found = maintenance.check(desk).state_disagreements
    assert any("批准人是 店主" in zh and "小王" in zh and "approver" in en for zh, en in found), found


def test_a_rule_approved_refund_names_the_rule_as_approver(desk: Desk) -> None:
    no = order(desk, paid_fen=98_80, paid_minutes_ago=1)
    _team(desk)
    operators.sign_in(desk, "小王", CLERK_PW)
    requests.open_request(desk, no, ReasonCode.MISTAKEN)
    [refund] = list(Refund.select())
    assert refund.operator == RULE_APPROVER
    assert maintenance.check(desk).state_disagreements == []
    _outside(desk, "UPDATE refund SET operator = '店主'")
    assert maintenance.check(desk).state_disagreements != []


def test_deleting_the_other_operators_rows_does_not_switch_sign_in_off(desk: Desk, data_dir: Path, clock: Any) -> None:
    _team(desk)
    operators.add(desk, "小李", Role.VIEWER, "viewer-secret")
    _outside(desk, "DELETE FROM operator WHERE name != '店主'")
    desk.close()
    again = Desk.open(data_dir, clock=clock)
    try:
        assert not again.single_owner and again.operator is None  # nobody works unsigned
        with pytest.raises(PermissionRefused):
            operators.set_password(again, OWNER_NAME, "taken-over")
        operators.sign_in(again, OWNER_NAME, OWNER_PW)  # the owner still signs in and runs check
        found = maintenance.check(again).state_disagreements
        assert any("小王" in zh and "gone" in en for zh, en in found), found
    finally:
        again.close()


def test_someone_made_a_clerk_starts_with_the_same_limit_added_or_given_the_role(desk: Desk) -> None:
    operators.set_password(desk, OWNER_NAME, OWNER_PW)
    added = operators.add(desk, "小王", Role.CLERK, CLERK_PW)
    assert added.approve_limit_fen == CLERK_START_LIMIT_FEN
    operators.add(desk, "小李", Role.VIEWER, "viewer-secret")
    made = operators.change(desk, "小李", role=Role.CLERK)
    assert made.approve_limit_fen == CLERK_START_LIMIT_FEN
    assert operators.add(desk, "阿May", Role.CLERK, "third-secret", approve_limit_fen=None).approve_limit_fen is None
    assert maintenance.check(desk).state_disagreements == []  # the log recorded the starting limits


def test_a_clerk_with_no_limit_made_viewer_and_clerk_again_keeps_no_limit(desk: Desk) -> None:
    """As a clerk with ¥30 keeps ¥30 through the round trip; "no limit" became the ¥100 a new clerk gets."""
    operators.set_password(desk, OWNER_NAME, OWNER_PW)
    operators.add(desk, "小王", Role.CLERK, CLERK_PW)
    operators.set_limit(desk, "小王", None)
    operators.add(desk, "阿May", Role.CLERK, "third-secret", approve_limit_fen=None)
    operators.add(desk, "小张", Role.CLERK, "fourth-secret", approve_limit_fen=30_00)
    for name, kept in (("小王", None), ("阿May", None), ("小张", 30_00)):
        operators.set_role(desk, name, Role.VIEWER)
        assert operators.change(desk, name, role=Role.CLERK).approve_limit_fen == kept, name
    operators.set_limit(desk, "小王", 20_00)  # the last word is a limit again
    operators.set_role(desk, "小王", Role.VIEWER)
    assert operators.change(desk, "小王", role=Role.CLERK).approve_limit_fen == 20_00
    assert maintenance.check(desk).state_disagreements == []


def test_an_emptied_owner_digest_gets_the_changed_outside_message_not_a_wrong_password(desk: Desk) -> None:
    _team(desk)
    _outside(desk, "UPDATE operator SET password_hash = '' WHERE name = '店主'")
    for password in (OWNER_PW, "a-guess"):
        with pytest.raises(PermissionRefused) as refused:
            operators.sign_in(desk, OWNER_NAME, password)
        assert refused.value.code == "operator_changed_outside" and "check" in refused.value.en
    assert desk.operator is None
    assert desk.db.execute_sql("SELECT failed_tries FROM operator WHERE name = '店主'").fetchone()[0] == 0
