"""Lock-out under guesses made at once, and a lock value edited outside the desk."""

from __future__ import annotations

import json
import threading

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.roles import OWNER_NAME, Role
from kashop_desktop.services import operators
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import AuditEvent, Operator


def _team(desk: Desk) -> None:
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "Bob", Role.CLERK, "clerk-secret")


def test_guesses_read_before_each_other_write_are_each_counted(desk: Desk) -> None:
    """Each process read the row (failed_tries 0) before any of them wrote its failure: the
    count is still one per guess, and the fifth locks."""
    _team(desk)
    seen_by_all = Operator.get(Operator.name == "Bob")  # as every parallel sign-in read it
    outcomes = []
    for _ in range(5):
        outcomes.append(operators._failed(desk, seen_by_all, desk.now()).code)
    assert outcomes == ["sign_in_failed"] * 5  # locked or not, a guesser is told the same
    assert Operator.get(Operator.name == "Bob").locked_until is not None
    tries = [e.data for e in AuditEvent.select().where(AuditEvent.action == "sign_in_failed")]
    assert [json.loads(d)["tries"] for d in tries] == [1, 2, 3, 4, 5]
    # a sixth guess that read the row before the lock keeps it locked, not reset
    locked = Operator.get(Operator.name == "Bob").locked_until
    assert operators._failed(desk, seen_by_all, desk.now()).code == "sign_in_failed"
    assert Operator.get(Operator.name == "Bob").locked_until == locked
    with pytest.raises(DomainError) as still:
        operators.sign_in(desk, "Bob", "clerk-secret")
    assert still.value.code == "sign_in_failed"


@pytest.mark.sqlite_only(reason="SQLite by nature: a whole-number column holding text, which a server refuses")
def test_a_lock_value_that_does_not_read_is_a_message_not_a_crash(desk: Desk) -> None:
    _team(desk)
    with desk.atomic():
        desk.db.connection().execute("UPDATE operator SET locked_until = 'soon' WHERE name = 'Bob'")
    assert [o.locked_until for o in operators.list_operators(desk) if o.name == "Bob"] == [None]
    with pytest.raises(DomainError) as wrong:
        operators.sign_in(desk, "Bob", "guess")
    assert wrong.value.code == "sign_in_failed"
    assert operators.sign_in(desk, "Bob", "clerk-secret").name == "Bob"


def _committed_elsewhere(desk: Desk, *statements: tuple[str, tuple[object, ...]],
                         logged: tuple[tuple[str, str, dict[str, object]], ...] = ()) -> None:
    """Statements, and the shop log entries (action, subject, data) the desk writes with them,
    committed on another connection to the store (a thread's own), as another process commits them."""

    def other() -> None:
        try:
            with desk.atomic():
                for sql, params in statements:
                    desk.db.connection().execute(sql, params)
                for action, subject, data in logged:
                    desk.log(action, subject, "", data)
        finally:
            desk.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()


def test_rights_are_read_again_on_every_operation(desk: Desk) -> None:
    """Another process (the command line, a second window) disables or demotes the operator at
    this desk: the next operation goes by the stored rights."""
    _team(desk)
    operators.add(desk, "老板娘", Role.OWNER, "owner2-secret")
    operators.sign_in(desk, OWNER_NAME, "owner-secret")
    # what 老板娘's process commits (operators set-role / disable), outside this desk's connection
    _committed_elsewhere(desk, ("UPDATE operator SET role = 'viewer' WHERE name = 'Bob'", ()),
                         ("UPDATE operator SET disabled_at = 1 WHERE name = ?", (OWNER_NAME,)),
                         logged=(("operator_role", "Bob", {"role": "viewer"}), ("operator_disabled", OWNER_NAME, {})))
    from kashop_desktop.domain.roles import PermissionRefused, Right

    with pytest.raises(PermissionRefused) as refused:
        desk.require(Right.POLICY)
    assert refused.value.code == "not_signed_in" and desk.operator is None
    operators.sign_in(desk, "Bob", "clerk-secret")
    with pytest.raises(PermissionRefused):
        desk.require(Right.ORDERS)  # a viewer now
    assert desk.operator is not None and desk.operator.role is Role.VIEWER


def test_the_owners_password_is_asked_while_every_other_operator_is_disabled(desk: Desk) -> None:
    assert desk.single_owner  # a new shop: the owner alone, no password
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    assert desk.single_owner  # alone with a password: still nobody signs in
    operators.add(desk, "Bob", Role.CLERK, "clerk-secret")
    operators.set_active(desk, "Bob", False)
    assert not desk.single_owner and desk.sole_owner() is None


def test_names_differing_only_in_case_and_the_desks_own_names_are_refused(desk: Desk) -> None:
    _team(desk)
    for name in ("bob", "BOB", "系统", "System", " 网关 "):
        with pytest.raises(DomainError) as refused:
            operators.add(desk, name, Role.CLERK, "other-secret")
        assert refused.value.code in ("operator_exists", "invalid_operator_name"), name
    assert [o.name for o in operators.list_operators(desk)].count("Bob") == 1


def test_an_approval_limit_is_for_clerks_only(desk: Desk) -> None:
    _team(desk)
    operators.add(desk, "小李", Role.VIEWER, "viewer-secret")
    with pytest.raises(DomainError) as refused:
        operators.set_limit(desk, "小李", 10_00)
    assert refused.value.code == "limit_for_clerks"
    operators.set_limit(desk, "Bob", 10_00)
    assert [o.approve_limit_fen for o in operators.list_operators(desk) if o.name == "Bob"] == [10_00]


def test_a_viewer_may_not_sweep_by_hand_but_the_periodic_sweep_goes_on(desk: Desk) -> None:
    from kashop_desktop.domain.roles import Identity, PermissionRefused
    from kashop_desktop.services import requests

    _team(desk)
    desk.sign_in(Identity("小李", Role.VIEWER))
    with pytest.raises(PermissionRefused):
        requests.sweep(desk, by_hand=True)
    requests.sweep(desk)  # the window's timer, whoever is signed in
    desk.sign_in(Identity("Bob", Role.CLERK))
    requests.sweep(desk, by_hand=True)
