"""Operator names as people read them: bob signs in as Bob, look-alike names (full-width letters,
a full-width space) are one name, a viewer gets no approval limit, and a disabled operator's name
is not confirmed to someone guessing passwords."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.roles import Role
from kashop_desktop.services import operators
from kashop_desktop.services.desk import Desk


def _team(desk: Desk) -> None:
    operators.set_password(desk, "店主", "owner-secret")
    operators.add(desk, "Bob", Role.CLERK, "clerk-secret", approve_limit_fen=50_00)
    operators.add(desk, "小王", Role.VIEWER, "viewer-secret")


@pytest.mark.parametrize("typed", ["bob", "BOB", "Bob", " bob ", "ＢＯＢ"])
def test_names_sign_in_ignoring_case_and_full_width_forms(desk: Desk, typed: str) -> None:
    _team(desk)
    assert operators.sign_in(desk, typed, "clerk-secret").name == "Bob"


@pytest.mark.parametrize("name", ["ＢＯＢ", "bob", "小　王", "小 王", " 小王 "])
def test_look_alike_names_are_refused(desk: Desk, name: str) -> None:
    _team(desk)
    with pytest.raises(DomainError) as refused:
        operators.add(desk, name, Role.CLERK, "other-secret")
    assert refused.value.code == "operator_exists"


def test_a_name_is_stored_folded_and_squeezed(desk: Desk) -> None:
    _team(desk)
    assert operators.add(desk, "阿　May  Ｌｉ", Role.VIEWER, "other-secret").name == "阿 May Li"


def test_a_viewer_or_owner_gets_no_approval_limit_at_add(desk: Desk) -> None:
    _team(desk)
    for role in (Role.VIEWER, Role.OWNER):
        with pytest.raises(DomainError) as refused:
            operators.add(desk, f"new-{role.code}", role, "other-secret", approve_limit_fen=10_00)
        assert refused.value.code == "limit_for_clerks"
    assert {o.name for o in operators.list_operators(desk)} == {"店主", "Bob", "小王"}


def test_a_disabled_operator_is_named_only_to_the_right_password(desk: Desk) -> None:
    _team(desk)
    operators.set_active(desk, "小王", False)
    with pytest.raises(DomainError) as wrong:
        operators.sign_in(desk, "小王", "a-guess-1")
    assert wrong.value.code == "sign_in_failed" and "小王" not in wrong.value.zh
    with pytest.raises(DomainError) as disabled:
        operators.sign_in(desk, "小王", "viewer-secret")
    assert disabled.value.code == "operator_disabled"


def test_enabling_an_enabled_operator_logs_nothing(desk: Desk) -> None:
    _team(desk)
    count = desk.db.execute_sql("SELECT COUNT(*) FROM audit_event").fetchone()[0]
    operators.set_active(desk, "小王", True)
    assert desk.db.execute_sql("SELECT COUNT(*) FROM audit_event").fetchone()[0] == count
