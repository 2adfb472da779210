"""Operators and roles: single-owner mode, sign-in and lock-out, and every refusal of a clerk
and of a viewer, checked in the services and recorded in the shop log."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import CodeUsed, ReasonCode
from kashop_desktop.domain.policy import CancelPolicy
from kashop_desktop.domain.roles import OWNER_NAME, Identity, PermissionRefused, Role
from kashop_desktop.services import (
    audit,
    buyers,
    code_export,
    code_import,
    delivery,
    demo,
    gateways,
    holidays,
    maintenance,
    operators,
    products,
    refund_owner,
    requests,
)
from kashop_desktop.services import orders as order_ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports.importer import import_file
from kashop_desktop.store.models import AuditEvent, CancelRequest, Order, OrderEvent, Refund
from tests.conftest import FakeClock

from .helpers import order, product, sandbox

pytestmark = pytest.mark.sqlite_only(reason="SQLite by nature: its shops are copies of a template data folder")

OWNER_PW, CLERK_PW, VIEWER_PW = "owner-secret", "clerk-secret", "viewer-secret"


def _needing_confirmation(refund_id: int) -> int:
    """Refund ``refund_id`` as one through a gateway without refund idempotency (only those are confirmed)."""
    Refund.update(needs_confirmation=True).where(Refund.id == refund_id).execute()
    return refund_id


def _team(desk: Desk, limit_fen: int | None = 50_00) -> None:
    operators.set_password(desk, OWNER_NAME, OWNER_PW)
    operators.add(desk, "小王", Role.CLERK, CLERK_PW, approve_limit_fen=limit_fen)
    operators.add(desk, "阿May", Role.VIEWER, VIEWER_PW)


def _refusals(desk: Desk) -> list[tuple[str, str]]:
    return [(e.operator, e.subject) for e in AuditEvent.select().where(AuditEvent.action == "refused")]


def test_single_owner_mode_is_the_default(desk: Desk) -> None:
    assert desk.single_owner and desk.operator is not None
    assert (desk.operator.name, desk.operator.role) == (OWNER_NAME, Role.OWNER)
    product(desk)
    no = order(desk, "pending_payment")
    order_ops.cancel_unpaid(desk, no, ReasonCode.MISTAKEN)
    event = OrderEvent.select().where(OrderEvent.action == "cancel").get()
    assert event.operator == OWNER_NAME
    [owner] = operators.list_operators(desk)
    assert owner.role is Role.OWNER and not owner.has_password


def test_a_second_operator_needs_the_owners_password_first_then_everyone_signs_in(desk: Desk, data_dir: Path,
                                                                                    clock: Any) -> None:
    with pytest.raises(DomainError) as raised:
        operators.add(desk, "小王", Role.CLERK, CLERK_PW)
    assert raised.value.code == "owner_needs_password"
    _team(desk)
    assert not desk.single_owner
    product(desk)
    no = order(desk, "pending_payment")
    desk.close()
    again = Desk.open(data_dir, clock=clock)
    try:
        assert again.operator is None
        with pytest.raises(PermissionRefused) as refused:
            order_ops.cancel_unpaid(again, no, ReasonCode.MISTAKEN)
        assert refused.value.code == "not_signed_in"
        who = operators.sign_in(again, "小王", CLERK_PW)
        assert (who.role, who.approve_limit_fen) == (Role.CLERK, 50_00)
        order_ops.cancel_unpaid(again, no, ReasonCode.MISTAKEN)
        assert OrderEvent.select().where(OrderEvent.action == "cancel").get().operator == "小王"
    finally:
        again.close()


def test_five_wrong_passwords_lock_an_operator_for_15_minutes_across_restarts(desk: Desk, data_dir: Path,
                                                                            clock: Any) -> None:
    _team(desk)
    for attempt in range(4):
        with pytest.raises(DomainError) as wrong:
            operators.sign_in(desk, "小王", f"guess-{attempt}")
        assert wrong.value.code == "sign_in_failed"
    with pytest.raises(DomainError) as locked:
        operators.sign_in(desk, "小王", "guess-5")
    # the lock-out is not told (it would say the name exists): the same answer as an unknown name
    with pytest.raises(DomainError) as unknown:
        operators.sign_in(desk, "没有这个人", "guess-6")
    assert (locked.value.code, locked.value.zh, locked.value.en) == (unknown.value.code, unknown.value.zh,
                                                                     unknown.value.en)
    assert "小王" not in locked.value.zh and "10:15" not in locked.value.zh and "锁定" in locked.value.zh
    desk.close()
    restarted = Desk.open(data_dir, clock=clock)
    try:
        with pytest.raises(DomainError) as still:
            operators.sign_in(restarted, "小王", CLERK_PW)  # the right password, but locked
        assert still.value.code == "sign_in_failed"
        [listed] = [o for o in operators.list_operators(restarted) if o.name == "小王"]
        assert listed.locked_until is not None
        clock.advance(minutes=15, seconds=1)
        assert operators.sign_in(restarted, "小王", CLERK_PW).name == "小王"
    finally:
        restarted.close()
    failures = AuditEvent.select().where((AuditEvent.action == "sign_in_failed") & (AuditEvent.subject == "小王"))
    assert failures.count() == 6
    assert all(CLERK_PW not in (e.note + e.data) and "guess" not in (e.note + e.data) for e in AuditEvent.select())


def test_unknown_and_disabled_operators_cannot_sign_in(desk: Desk) -> None:
    _team(desk)
    with pytest.raises(DomainError) as unknown:
        operators.sign_in(desk, "nobody", "whatever")
    assert unknown.value.code == "sign_in_failed"
    operators.set_active(desk, "小王", False)
    with pytest.raises(DomainError) as disabled:
        operators.sign_in(desk, "小王", CLERK_PW)
    assert disabled.value.code == "operator_disabled"


def test_the_last_active_owner_cannot_be_disabled_or_demoted(desk: Desk) -> None:
    _team(desk)
    for change in (lambda: operators.set_active(desk, OWNER_NAME, False),
                   lambda: operators.set_role(desk, OWNER_NAME, Role.CLERK)):
        with pytest.raises(DomainError) as raised:
            change()
        assert raised.value.code == "last_owner"
    operators.set_role(desk, "小王", Role.OWNER)
    operators.set_active(desk, OWNER_NAME, False)  # another owner is active now
    assert [o.name for o in operators.list_operators(desk) if not o.active] == [OWNER_NAME]


def _build_shop(desk: Desk, folder: Path) -> dict[str, Any]:
    """Orders in every state the refusals need, made by the owner before the team is added."""
    product(desk)
    gateway = sandbox(desk)
    paid = order(desk, "paid", gateway_id=gateway)
    _, request_id = requests.open_request(desk, order(desk, "paid", gateway_id=gateway, paid_minutes_ago=600),
                                          ReasonCode.WRONG_ITEM)
    cancelled = order(desk, "pending_payment")
    order_ops.cancel_unpaid(desk, cancelled, ReasonCode.MISTAKEN)
    refund_order = order(desk, "paid", gateway_id=gateway, paid_minutes_ago=600)
    _, refund_request = requests.open_request(desk, refund_order, ReasonCode.WRONG_ITEM)
    requests.approve(desk, refund_request or 0)
    csv = folder / "orders.csv"
    csv.write_text("订单号,下单时间,商品,商品类型,实付金额,状态\nKSIMP0001,2026-11-18 09:00:00,王者荣耀点券 680点,卡密,0.00,待支付\n",
                   encoding="utf-8")
    _team(desk)
    return {"paid": paid, "request": request_id, "cancelled": cancelled, "delivered": order(desk, "delivered"),
            "refund": Refund.get(Refund.order == Order.get(Order.order_no == refund_order).id).id, "csv": csv,
            "pending": order(desk, "pending_payment")}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The shop built once (argon2 is slow on purpose); each test works on its own copy."""
    root = tmp_path_factory.mktemp("team-shop")
    (root / "data").mkdir()
    built = Desk.open(root / "data", clock=FakeClock(datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)))
    try:
        info = _build_shop(built, root)
    finally:
        built.close()
    return root / "data", info


@pytest.fixture
def shop(template: tuple[Path, dict[str, Any]], tmp_path: Path, clock: Any) -> Iterator[tuple[Desk, dict[str, Any]]]:
    source, info = template
    target = tmp_path / "team"
    shutil.copytree(source, target)
    desk = Desk.open(target, clock=clock)
    try:
        yield desk, {**info, "out": tmp_path / "log.csv"}
    finally:
        desk.close()


#: What only the owner may do: (name, call) on a desk signed in as someone else.
def _demo(desk: Desk) -> None:
    """The demo past the rights check: this shop's real orders are the next refusal, the owner's too."""
    try:
        demo.build(desk, 10)
    except DomainError as exc:
        if exc.code != "demo_on_real_shop":
            raise


OWNER_ONLY: list[tuple[str, Callable[[Desk, dict[str, Any]], object]]] = [
    ("policy", lambda d, s: d.set_policy(CancelPolicy(cooling_off_minutes=12))),
    ("holidays", lambda d, s: holidays.remove_year(d, 2027)),
    ("backup settings", lambda d, s: maintenance.set_backup_settings(d, maintenance.BackupSettings(True, 3))),
    ("idle time", lambda d, s: operators.set_idle_minutes(d, 5)),
    ("gateway keys", lambda d, s: gateways.save_account(d, "mine", "sandbox", {"scenario": "success"})),
    ("add operator", lambda d, s: operators.add(d, "新人", Role.CLERK, "new-secret")),
    ("disable operator", lambda d, s: operators.set_active(d, "阿May", False)),
    ("operator limit", lambda d, s: operators.set_limit(d, "小王", 1_000_00)),
    ("operator role", lambda d, s: operators.set_role(d, "阿May", Role.CLERK)),
    ("other's password", lambda d, s: operators.set_password(d, OWNER_NAME, "taken-over")),
    ("log export", lambda d, s: audit.export(d, date(2026, 11, 1), date(2026, 11, 30), s["out"])),
    ("restore", lambda d, s: maintenance.authorize_restore(d)),
    ("demo", lambda d, s: _demo(d)),
    ("product", lambda d, s: products.set_product(d, "王者荣耀点券 680点", {"threshold": 3})),
    ("import codes", lambda d, s: code_import.import_codes(d, "王者荣耀点券 680点", ["STOCK-0001-ABCDEFG"])),
    ("export codes", lambda d, s: code_export.export_codes(d, "王者荣耀点券 680点", s["out"].with_name("codes.csv"))),
]
#: What a clerk may do and a viewer may not.
CLERK_WORK: list[tuple[str, Callable[[Desk, dict[str, Any]], object]]] = [
    ("cancel unpaid", lambda d, s: order_ops.cancel_unpaid(d, s["pending"], ReasonCode.MISTAKEN)),
    ("mark paid", lambda d, s: order_ops.mark_paid(d, s["pending"], "T-NEW-1", confirmed=True)),
    ("deliver", lambda d, s: order_ops.deliver(d, s["paid"])),
    ("complete", lambda d, s: order_ops.complete(d, s["delivered"])),
    ("code used", lambda d, s: order_ops.set_code_used(d, s["delivered"], CodeUsed.NO)),
    ("restore order", lambda d, s: order_ops.restore(d, s["cancelled"])),
    ("open request", lambda d, s: requests.open_request(d, s["paid"], ReasonCode.WRONG_ITEM)),
    ("approve", lambda d, s: requests.approve(d, s["request"], amount_fen=10_00)),
    ("reject", lambda d, s: requests.reject(d, s["request"], "no")),
    ("bulk approve", lambda d, s: requests.bulk_approve(d, [s["request"]])),
    ("buyer note", lambda d, s: buyers.set_note(d, "13800138000", "VIP")),
    ("block buyer", lambda d, s: buyers.block(d, "13800138000", "fraud")),
    ("refund confirm", lambda d, s: refund_owner.confirm(d, _needing_confirmation(s["refund"]))),
    ("refund resolve", lambda d, s: refund_owner.resolve_manually(d, s["refund"], False, "checked")),
    ("reveal code", lambda d, s: delivery.reveal_code(d, s["delivered"])),
    ("import", lambda d, s: import_file(d, s["csv"])),
    ("backup", lambda d, s: maintenance.backup(d)),
]


def _as(desk: Desk, name: str, role: Role, limit: int | None = None) -> None:
    desk.sign_in(Identity(name, role, limit))


@pytest.mark.parametrize("name,call", OWNER_ONLY, ids=[n for n, _ in OWNER_ONLY])
@pytest.mark.parametrize("role", [Role.CLERK, Role.VIEWER])
def test_owner_only_work_is_refused_to_others_and_recorded(shop: tuple[Desk, dict[str, Any]], role: Role, name: str,
                                                           call: Callable[[Desk, dict[str, Any]], object]) -> None:
    desk, info = shop
    who = "小王" if role is Role.CLERK else "阿May"
    _as(desk, who, role, 50_00)
    before = AuditEvent.select().count()
    with pytest.raises(PermissionRefused) as refused:
        call(desk, info)
    assert refused.value.code == "not_permitted" and who in refused.value.zh and who in refused.value.en
    assert _refusals(desk)[-1] == (who, refused.value.right)
    assert AuditEvent.select().count() == before + 1
    _as(desk, OWNER_NAME, Role.OWNER)
    call(desk, info)  # the owner may


@pytest.mark.parametrize("name,call", CLERK_WORK, ids=[n for n, _ in CLERK_WORK])
def test_a_viewer_is_refused_what_a_clerk_may_do(shop: tuple[Desk, dict[str, Any]], name: str,
                                                 call: Callable[[Desk, dict[str, Any]], object]) -> None:
    desk, info = shop
    _as(desk, "阿May", Role.VIEWER)
    with pytest.raises(PermissionRefused):
        call(desk, info)
    assert _refusals(desk)[-1][0] == "阿May"
    _as(desk, "小王", Role.CLERK, 50_00)
    call(desk, info)  # a clerk may


def test_a_clerk_approves_refunds_up_to_the_limit_only(shop: tuple[Desk, dict[str, Any]]) -> None:
    desk, info = shop
    _as(desk, "小王", Role.CLERK, 50_00)
    with pytest.raises(PermissionRefused) as refused:
        requests.approve(desk, info["request"])  # the whole ¥68.00
    assert refused.value.code == "over_approval_limit" and "50.00" in refused.value.zh
    assert CancelRequest.get_by_id(info["request"]).state == "open"
    assert _refusals(desk)[-1] == ("小王", "approve_limit")
    skipped = requests.bulk_approve(desk, [info["request"]]).skipped
    assert [s.code for s in skipped] == ["over_approval_limit"]
    requests.approve(desk, info["request"], amount_fen=50_00)
    refund = Refund.select().order_by(Refund.id.desc()).first()
    assert (refund.gross_fen, refund.operator) == (50_00, "小王")
    approved = OrderEvent.select().where(OrderEvent.action == "approved").order_by(OrderEvent.id.desc()).first()
    assert approved.operator == "小王"


def test_a_clerks_cancel_of_a_paid_order_is_their_approval_under_their_limit(shop: tuple[Desk, dict[str, Any]]) -> None:
    """Cancelling a paid order within the cooling-off (which the rules would approve by themselves)
    is the canceller's own decision: their limit applies, and the refund names them, not 系统."""
    desk, info = shop
    order_id = Order.get(Order.order_no == info["paid"]).id
    _as(desk, "小王", Role.CLERK, 50_00)
    with pytest.raises(PermissionRefused) as refused:
        requests.cancel_order(desk, info["paid"], ReasonCode.MISTAKEN)  # ¥68.00 over ¥50.00
    assert refused.value.code == "over_approval_limit"
    assert Order.get_by_id(order_id).status == "paid" and not Refund.select().where(Refund.order == order_id).exists()
    assert not CancelRequest.select().where(CancelRequest.order == order_id).exists()  # nothing left behind
    _as(desk, OWNER_NAME, Role.OWNER)
    operators.set_limit(desk, "小王", 100_00)
    _as(desk, "小王", Role.CLERK, 100_00)
    requests.cancel_order(desk, info["paid"], ReasonCode.MISTAKEN)
    refund = Refund.get(Refund.order == order_id)
    request = CancelRequest.get(CancelRequest.order == order_id)
    assert (refund.operator, request.state) == ("小王", "approved")  # not auto_approved by 系统


@pytest.mark.parametrize("edit", ["UPDATE operator SET approve_limit_fen = NULL WHERE name = '小王'",
                                  "UPDATE operator SET role = 'owner', approve_limit_fen = NULL WHERE name = '小王'"])
def test_a_clerks_limit_lifted_outside_the_desk_approves_nothing(shop: tuple[Desk, dict[str, Any]], edit: str) -> None:
    desk, info = shop
    _as(desk, "小王", Role.CLERK, 50_00)
    with desk.db.atomic():  # plain SQL, not a service: as someone with the store's file or login would
        desk.db.execute_sql(edit)
    refunds = Refund.select().count()
    with pytest.raises(PermissionRefused) as refused:
        requests.approve(desk, info["request"])
    assert refused.value.code == "operator_changed_outside"
    _as(desk, "小王", Role.CLERK, 50_00)
    with pytest.raises(PermissionRefused):
        requests.bulk_approve(desk, [info["request"]])
    assert Refund.select().count() == refunds
    assert CancelRequest.get_by_id(info["request"]).state == "open"


def test_a_clerks_limit_covers_the_orders_refunds_they_approve_so_splitting_does_not_help(
        shop: tuple[Desk, dict[str, Any]]) -> None:
    desk, info = shop
    order_no = CancelRequest.get_by_id(info["request"]).order.order_no
    _as(desk, "小王", Role.CLERK, 50_00)
    requests.approve(desk, info["request"], amount_fen=30_00)
    _, second = requests.open_request(desk, order_no, ReasonCode.OTHER, amount_fen=30_00)
    with pytest.raises(PermissionRefused) as refused:
        requests.approve(desk, second or 0)  # ¥30 + ¥30 on one order: above ¥50
    assert refused.value.code == "over_approval_limit" and "60.00" in refused.value.en
    assert [s.code for s in requests.bulk_approve(desk, [second or 0]).skipped] == ["over_approval_limit"]
    requests.approve(desk, second or 0, amount_fen=20_00)  # ¥50 in all: within
    _, third = requests.open_request(desk, order_no, ReasonCode.OTHER, amount_fen=10_00)
    _as(desk, OWNER_NAME, Role.OWNER)
    requests.approve(desk, third or 0)  # the owner is not limited
    assert sum(r.gross_fen for r in Refund.select().where(Refund.order == Order.get(Order.order_no == order_no).id)) \
        == 60_00


def test_reads_need_no_right(shop: tuple[Desk, dict[str, Any]]) -> None:
    desk, info = shop
    from kashop_desktop.services import views

    _as(desk, "阿May", Role.VIEWER)
    assert views.status_counts(desk)["all"] >= 5
    assert views.order_detail(desk, info["paid"]).order_no == info["paid"]
    assert maintenance.check(desk).log_breaks == []


def test_a_clerk_cannot_pass_the_limit_by_failing_a_refund_approving_anew_and_retrying_it(
        shop: tuple[Desk, dict[str, Any]]) -> None:
    """¥15 approved, marked failed (its money counts no more), ¥25 and ¥25 approved anew: ¥50,
    within ¥50. The failed ¥15 sent again would make ¥65 on one order (of ¥68 paid): refused."""
    desk, info = shop
    order_no = CancelRequest.get_by_id(info["request"]).order.order_no
    _as(desk, "小王", Role.CLERK, 50_00)
    requests.approve(desk, info["request"], amount_fen=15_00)
    first = Refund.select().order_by(Refund.id.desc()).first()
    refund_owner.resolve_manually(desk, first.id, False, "买家说没收到")
    for amount in (25_00, 25_00):
        _, again = requests.open_request(desk, order_no, ReasonCode.OTHER, amount_fen=30_00)  # not the rule's own
        requests.approve(desk, again or 0, amount_fen=amount)
    with pytest.raises(PermissionRefused) as refused:
        refund_owner.retry(desk, first.id, confirmed=True)
    assert refused.value.code == "over_approval_limit"
    assert Refund.get_by_id(first.id).state == "failed"
    _as(desk, OWNER_NAME, Role.OWNER)  # the owner is not limited
    refund_owner.retry(desk, first.id, confirmed=True)
    assert Refund.get_by_id(first.id).state == "queued"
