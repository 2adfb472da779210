"""An import that records the payment of an order the desk holds unpaid takes the payment as
the file gives it: the route it came by (channel, account, trade no), the amount, and for a
paid 已取消 the 0 the file says was refunded, which ``check`` then knows; a refund the file says
was made outside the desk is refused, not left for the desk to offer again."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.domain.clock import from_epoch
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.maintenance import check, refund_unknown_count

from .files import write_csv

HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,交易号,买家,退款金额"


def _row(no: str, status: str, paid_at: str = "", channel: str = "支付宝", trade_no: str = "", refunded: str = "") -> str:
    return f"{no},2026-11-18 09:00,腾讯视频月卡,直充,25.00,{status},{paid_at},{channel},{trade_no},13800138000,{refunded}"


def _order(desk: Desk, no: str) -> tuple[object, ...]:
    return tuple(desk.db.execute_sql(
        "SELECT status, channel, gateway_trade_no, paid_fen, refunded_fen, paid_at IS NOT NULL FROM orders "
        "WHERE order_no = ?", (no,)).fetchone())


def _unpaid(desk: Desk, tmp_path: Path, *numbers: str) -> None:
    path = write_csv(tmp_path / "unpaid.csv", [HEADER, *(_row(no, "待支付") for no in numbers)])
    assert import_file(desk, path).inserted == len(numbers)


def test_a_payment_by_another_channel_brings_its_route(desk: Desk, tmp_path: Path) -> None:
    _unpaid(desk, tmp_path, "KS1", "KS2", "KS3")
    path = write_csv(tmp_path / "paid.csv", [
        HEADER,
        _row("KS1", "已支付", "2026-11-18 09:05", "微信", "4200009999"),
        _row("KS2", "已支付", "2026-11-18 09:05", "余额"),
        _row("KS3", "已支付", "2026-11-18 09:05", "支付宝", "2026111822000001"),
    ])
    report = import_file(desk, path)
    assert (report.updated, report.refused) == (3, 0)
    assert _order(desk, "KS1") == ("paid", "wechat", "4200009999", 2500, 0, 1)
    assert _order(desk, "KS2") == ("paid", "wallet", None, 2500, 0, 1)
    assert _order(desk, "KS3") == ("paid", "alipay", "2026111822000001", 2500, 0, 1)
    assert check(desk).ok


def test_a_paid_cancellation_with_nothing_refunded_is_known(desk: Desk, tmp_path: Path) -> None:
    _unpaid(desk, tmp_path, "KS1")
    path = write_csv(tmp_path / "cancelled.csv", [
        HEADER, _row("KS1", "已取消", "2026-11-18 09:05", "支付宝", "2026111822000001", "0")])
    report = import_file(desk, path)
    assert (report.updated, report.refused) == (1, 0)
    assert _order(desk, "KS1") == ("cancelled", "alipay", "2026111822000001", 2500, 0, 1)
    assert refund_unknown_count(desk) == 0
    assert check(desk).ok


def test_a_refund_made_outside_the_desk_is_refused(desk: Desk, tmp_path: Path) -> None:
    _unpaid(desk, tmp_path, "KS1")
    path = write_csv(tmp_path / "refunded.csv", [
        HEADER, _row("KS1", "已取消", "2026-11-18 09:05", "支付宝", "2026111822000001", "10.00")])
    report = import_file(desk, path)
    assert (report.updated, report.refused) == (0, 1)
    problem = report.problems[0]
    assert problem.column == "refunded_amount" and "¥10.00" in problem.zh and "mark-paid KS1" in problem.en
    assert _order(desk, "KS1") == ("pending_payment", "alipay", None, 2500, 0, 0)


def test_a_paid_order_cancelled_elsewhere_is_sent_to_the_desks_cancel(desk: Desk, tmp_path: Path) -> None:
    paid = _row("KS1", "已支付", "2026-11-18 09:05", "支付宝", "2026111822000001")
    import_file(desk, write_csv(tmp_path / "paid.csv", [HEADER, paid]))
    cancelled = _row("KS1", "已取消", "2026-11-18 09:05", "支付宝", "2026111822000001", "0")
    report = import_file(desk, write_csv(tmp_path / "cancelled.csv", [HEADER, cancelled]))
    assert (report.updated, report.refused) == (0, 1)
    problem = report.problems[0]
    assert problem.column == "status" and "orders cancel KS1" in problem.en and "不回退" not in problem.zh
    assert _order(desk, "KS1")[0] == "paid"


@pytest.mark.parametrize("status, refunded", [("已支付", ""), ("已取消", "0")])
def test_a_payment_after_a_cancel_is_sent_to_mark_paid(desk: Desk, tmp_path: Path, status: str, refunded: str) -> None:
    """An order the desk closed unpaid (cancelled, or expired by the sweep) that the file shows
    paid, even paid and then cancelled: refused naming 补单, never counted unchanged (the
    payment would be lost without a word)."""
    cancelled = _row("KS1", "已取消")
    import_file(desk, write_csv(tmp_path / "cancelled.csv", [HEADER, cancelled]))
    paid = _row("KS1", status, "2026-11-18 09:05", "支付宝", "2026111822000001", refunded)
    report = import_file(desk, write_csv(tmp_path / "paid.csv", [HEADER, paid]))
    assert (report.updated, report.unchanged, report.refused) == (0, 0, 1)
    problem = report.problems[0]
    assert problem.column == "paid_at" and "orders mark-paid KS1" in problem.en and "不回退" not in problem.zh
    assert _order(desk, "KS1")[0] == "cancelled"


def test_the_advised_mark_paid_keeps_the_files_payment_time_and_the_row_then_agrees(desk: Desk, tmp_path: Path) -> None:
    """补单 at the payment time the file gives (the refusal names it): the same row imported again
    is counted unchanged, not refused for its payment time (补单 used to record its own moment)."""
    from datetime import datetime

    from kashop_desktop.domain.clock import SHOP_TZ
    from kashop_desktop.domain.errors import DomainError
    from kashop_desktop.services.orders import mark_paid

    import_file(desk, write_csv(tmp_path / "cancelled.csv", [HEADER, _row("KS1", "已取消")]))
    paid = write_csv(tmp_path / "paid.csv", [HEADER, _row("KS1", "已支付", "2026-11-18 09:05", "支付宝", "2026111822000001")])
    problem = import_file(desk, paid).problems[0]
    assert '--trade-no 2026111822000001 --paid-at "2026-11-18 09:05:00" --yes' in problem.en
    with pytest.raises(DomainError) as early:  # before the order was created
        mark_paid(desk, "KS1", "2026111822000001", confirmed=True, paid_at=datetime(2026, 11, 18, 8, 59, tzinfo=SHOP_TZ))
    assert early.value.code == "paid_at_out_of_range" and "2026-11-18 08:59:00" in early.value.zh
    mark_paid(desk, "KS1", "2026111822000001", confirmed=True, paid_at=datetime(2026, 11, 18, 9, 5, tzinfo=SHOP_TZ))
    again = import_file(desk, paid)
    assert (again.unchanged, again.refused) == (1, 0), again.problems
    assert _order(desk, "KS1")[:3] == ("paid", "alipay", "2026111822000001")
    assert check(desk).ok


GATEWAY_HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家"


@pytest.mark.parametrize("gateway, trade_no, channel, expected", [
    ("老易支付", "R02", "支付宝", (None, "R02", "alipay")),  # an account the shop has not: no account, not the stored one
    ("余额", "R02", "余额", ("余额", "R02", "wallet")),  # another account the shop has (in the channel it takes)
    ("", "R02", "支付宝", ("沙箱", "R02", "alipay")),  # no account named: the stored one stays
    ("沙箱", "", "支付宝", ("沙箱", None, "alipay")),
])
def test_a_payment_by_another_account_brings_it(desk: Desk, tmp_path: Path, gateway: str, trade_no: str, channel: str,
                                                 expected: tuple[str | None, str | None, str]) -> None:
    unpaid = "P02,2026-11-18 09:00,月卡,直充,25.00,待支付,,支付宝,沙箱,,13800138000"
    import_file(desk, write_csv(tmp_path / "unpaid.csv", [GATEWAY_HEADER, unpaid]))
    paid = f"P02,2026-11-18 09:00,月卡,直充,25.00,已支付,2026-11-18 09:05,{channel},{gateway},{trade_no},13800138000"
    report = import_file(desk, write_csv(tmp_path / "paid.csv", [GATEWAY_HEADER, paid]))
    assert (report.updated, report.refused) == (1, 0)
    stored = desk.db.execute_sql(
        "SELECT g.name, o.gateway_trade_no, o.channel FROM orders o LEFT JOIN gateway_account g ON g.id = o.gateway_id "
        "WHERE o.order_no = 'P02'").fetchone()
    assert tuple(stored) == expected


GW_HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家,退款金额"


def _gw_row(no: str, status: str, paid_at: str = "", channel: str = "支付宝", trade_no: str = "", refunded: str = "") -> str:
    return f"{no},2026-11-18 09:00,腾讯视频月卡,直充,30.00,{status},{paid_at},{channel},沙箱,{trade_no},13800138000,{refunded}"


def _follow(desk: Desk, advice: str) -> None:
    """Run the desk commands a refusal gives (mark-paid, refunds record, orders cancel), as the
    command line would run them."""
    import re
    import shlex
    from datetime import datetime

    from kashop_desktop.domain.clock import SHOP_TZ
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.domain.refund_states import OutsideMethod
    from kashop_desktop.services import requests as reqs
    from kashop_desktop.services.orders import mark_paid

    for command in re.findall(r"`([^`]+)`", advice):
        words = shlex.split(command.replace("--reason ...", "--reason not_needed").replace("--note ...", "--note x"))
        opts = {words[i]: words[i + 1] for i in range(len(words) - 1) if words[i].startswith("--")}
        if words[:2] == ["orders", "mark-paid"]:
            mark_paid(desk, words[2], opts["--trade-no"], confirmed=True, channel=opts.get("--channel"),
                      paid_at=datetime.strptime(opts["--paid-at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHOP_TZ),
                      deliver="--no-deliver" not in words)
        elif words[:2] == ["refunds", "record"]:
            yuan, fen = opts["--amount"].split(".")
            reqs.record_outside(desk, words[2], int(yuan) * 100 + int(fen), OutsideMethod(opts["--how"]), "旧系统已退")
        elif words[:2] == ["orders", "cancel"]:
            reqs.cancel_order(desk, words[2], ReasonCode.NOT_NEEDED)
        elif words[:2] == ["orders", "restore"]:
            from kashop_desktop.services.orders import restore

            restore(desk, words[2], deliver="--no-deliver" not in words)
        elif words[:2] == ["refunds", "list"]:
            continue  # where to read the id the next step names
        elif words[:2] == ["refunds", "resolve"] and words[2] == "REFUND_ID":  # each refund the step names
            from kashop_desktop.services.refund_owner import resolve_manually

            order_no = re.search(r"`orders restore (\S+)", advice)
            assert order_no is not None, advice
            for (refund_id,) in desk.db.execute_sql(
                    "SELECT r.id FROM refund r JOIN orders o ON o.id = r.order_id WHERE o.order_no = ? "
                    "AND r.state = 'needs_owner'", (order_no.group(1),)).fetchall():
                resolve_manually(desk, refund_id, "--succeeded" in words, opts["--note"])
        else:
            raise AssertionError(f"advice not followed: {command}")


@pytest.mark.parametrize(("later", "steps"), [
    (_gw_row("G1", "已支付", "2026-11-18 09:05", "微信", "TG1"), 1),  # paid by WeChat, not the Alipay it recorded
    (_gw_row("G1", "已退款", "2026-11-18 09:05", "支付宝", "TG1", "30"), 2),
    (_gw_row("G1", "部分退款", "2026-11-18 09:05", "支付宝", "TG1", "10"), 2),
    (_gw_row("G1", "已取消", "2026-11-18 09:05", "支付宝", "TG1", "10"), 3),  # the rest kept: the desk's cancel
    (_gw_row("G1", "已取消", "2026-11-18 09:05", "支付宝", "TG1", "0"), 2),  # nothing refunded: all by the cancel
], ids=["channel", "refunded", "part-refunded", "cancelled-kept", "cancelled-nothing-refunded"])
def test_an_order_closed_unpaid_that_a_later_export_shows_paid_converges_by_the_refusals_steps(
        desk: Desk, tmp_path: Path, later: str, steps: int) -> None:
    from kashop_desktop.services import requests as reqs  # noqa: F401  (the steps' services)
    from tests.services.helpers import sandbox, send_refunds

    sandbox(desk, "success", name="沙箱")
    import_file(desk, write_csv(tmp_path / "unpaid.csv", [GW_HEADER, _gw_row("G1", "已取消")]))
    refused = import_file(desk, write_csv(tmp_path / "later.csv", [GW_HEADER, later]))
    assert refused.refused == 1
    advice = refused.problems[0].en
    assert advice.count("`") == 2 * steps, advice
    _follow(desk, advice)
    send_refunds(desk)
    again = import_file(desk, write_csv(tmp_path / "later.csv", [GW_HEADER, later]))
    assert (again.refused, again.unchanged) == (0, 1), again.problems
    order = desk.db.execute_sql("SELECT paid_fen, refunded_fen, refund_pending_fen FROM orders WHERE order_no = 'G1'").fetchone()
    assert order[1] + order[2] <= order[0]
    assert check(desk).ok


def test_mark_paid_refuses_a_channel_its_account_does_not_take(desk: Desk, tmp_path: Path) -> None:
    from kashop_desktop.domain.errors import DomainError
    from kashop_desktop.services.orders import mark_paid

    head = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家"
    import_file(desk, write_csv(tmp_path / "w.csv", [head, "W1,2026-11-18 09:00,月卡,直充,30.00,待支付,,余额,余额,,13800138000"]))
    for channel, code in (("wechat", "bad_channel"), ("bitcoin", "bad_channel")):
        with pytest.raises(DomainError) as refused:
            mark_paid(desk, "W1", "TW1", confirmed=True, channel=channel)
        assert refused.value.code == code
    assert _order(desk, "W1")[0] == "pending_payment"
    mark_paid(desk, "W1", "TW1", confirmed=True, channel="wallet")
    assert _order(desk, "W1")[:2] == ("paid", "wallet")


def test_a_card_code_order_cancelled_elsewhere_after_paying_gets_no_code_by_the_advice(desk: Desk, tmp_path: Path) -> None:
    """Closed unpaid at the desk, paid and then cancelled in the older system: the advice records
    the payment without delivering (--no-deliver) and refunds it; no 卡密 leaves the shelf."""
    from kashop_desktop.services.code_import import import_codes
    from tests.services.helpers import sandbox, send_refunds

    sandbox(desk, "success", name="沙箱")
    row = "B2,2026-11-18 09:00,点卡,卡密,30.00,{status},{paid},支付宝,沙箱,{trade},13800138000,{refunded}"
    import_file(desk, write_csv(tmp_path / "u.csv", [GW_HEADER, row.format(status="已取消", paid="", trade="", refunded="")]))
    import_codes(desk, "点卡", ["CARD-ONE-0001", "CARD-TWO-0002"])
    later = write_csv(tmp_path / "l.csv", [GW_HEADER, row.format(status="已取消", paid="2026-11-18 09:05", trade="TB2",
                                                                 refunded="0")])
    advice = import_file(desk, later).problems[0].en
    assert "--no-deliver" in advice and "orders cancel B2" in advice
    _follow(desk, advice)
    send_refunds(desk)
    assert desk.db.execute_sql("SELECT COUNT(*) FROM card_code WHERE state = 'available'").fetchone() == (2,)
    assert desk.db.execute_sql("SELECT status, delivered_at, refunded_fen FROM orders WHERE order_no = 'B2'").fetchone() \
        == ("cancelled", None, 30_00)
    assert import_file(desk, later).unchanged == 1
    assert check(desk).ok


@pytest.mark.parametrize(("status", "delivered", "refunded", "after"), [
    ("已完成", "2026-11-18 09:06", "", "completed"),  # the older system delivered its own code
    ("已发货", "2026-11-18 09:06", "", "delivered"),
    ("已退款", "", "30", "cancelled"),  # refunded before any delivery: the desk's whole refund of it
    ("部分退款", "2026-11-18 09:06", "10", "partially_refunded"),
])
def test_an_order_closed_unpaid_that_the_older_system_delivered_or_refunded_takes_no_code_by_the_advice(
        desk: Desk, tmp_path: Path, status: str, delivered: str, refunded: str, after: str) -> None:
    """Closed unpaid at the desk; the older system was paid and delivered it (its own 卡密) or
    refunded it. Following the import's advice records the payment without delivering from the
    desk's stock; the later export then brings the delivery, and a further import changes nothing."""
    from kashop_desktop.services.code_import import import_codes
    from tests.services.helpers import sandbox, send_refunds

    sandbox(desk, "success", name="沙箱")
    head = GW_HEADER + ",发货时间"
    row = "B3,2026-11-18 09:00,点卡,卡密,30.00,{status},{paid},支付宝,沙箱,{trade},13800138000,{refunded},{delivered}"
    import_file(desk, write_csv(tmp_path / "u.csv", [head, row.format(status="已取消", paid="", trade="", refunded="",
                                                                       delivered="")]))
    import_codes(desk, "点卡", ["CARD-ONE-0001", "CARD-TWO-0002"])
    later = write_csv(tmp_path / "l.csv", [head, row.format(status=status, paid="2026-11-18 09:05", trade="TB3",
                                                            refunded=refunded, delivered=delivered)])
    advice = import_file(desk, later).problems[0].en
    assert "--no-deliver" in advice, advice
    _follow(desk, advice)
    send_refunds(desk)
    assert desk.db.execute_sql("SELECT COUNT(*) FROM card_code WHERE state = 'available'").fetchone() == (2,)
    again = import_file(desk, later)
    assert again.refused == 0, again.problems
    assert import_file(desk, later).unchanged == 1
    stored = desk.db.execute_sql("SELECT status, delivered_at IS NOT NULL FROM orders WHERE order_no = 'B3'").fetchone()
    assert tuple(stored) == (after, bool(delivered))
    assert desk.db.execute_sql("SELECT COUNT(*) FROM card_code WHERE state = 'available'").fetchone() == (2,)
    assert check(desk).ok


@pytest.mark.parametrize("sent", [False, True], ids=["refund-unsent", "refund-sent"])
def test_an_order_cancelled_at_the_desk_that_the_older_system_delivered_names_the_refund_and_the_way_back(
        desk: Desk, tmp_path: Path, sent: bool) -> None:
    """Paid when imported; the owner cancelled it at the desk (its refund queued) while the older
    system delivered it. The re-import names the desk's refund and, while it is unsent, the
    restore that withdraws it; after it the delivery is recorded. Once sent, the refusal says the
    buyer may have both and leaves it to the owner; the money is never touched by the import."""
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import requests as reqs
    from kashop_desktop.services.code_import import import_codes
    from kashop_desktop.services.requests import sweep
    from tests.services.helpers import sandbox, send_refunds

    sandbox(desk, "success", name="沙箱")
    head = GW_HEADER + ",发货时间"
    row = "C1,2026-11-18 09:00,点卡,卡密,30.00,{status},2026-11-18 09:05,支付宝,沙箱,TC1,13800138000,,{delivered}"
    import_file(desk, write_csv(tmp_path / "p.csv", [head, row.format(status="已支付", delivered="")]))  # no code: 缺货待发
    reqs.cancel_order(desk, "C1", ReasonCode.MISTAKEN)
    if sent:
        send_refunds(desk)
    import_codes(desk, "点卡", ["CARD-ONE-0001"])  # stock arrives: nothing waits for it now
    later = write_csv(tmp_path / "d.csv", [head, row.format(status="已发货", delivered="2026-11-18 09:30")])
    refused = import_file(desk, later)
    assert refused.refused == 1
    problem = refused.problems[0]
    assert "2026-11-18 09:30:00" in problem.zh and "不回退" not in problem.zh
    if not sent:
        assert "正在退款 ¥30.00" in problem.zh and "orders restore C1 --no-deliver" in problem.en
        _follow(desk, problem.en)
        assert send_refunds(desk).picked == 0  # the refund was withdrawn
        sweep(desk)  # the window's minute: the restored order takes no code (the older system delivered it)
        assert desk.db.execute_sql("SELECT COUNT(*) FROM card_code WHERE state = 'available'").fetchone() == (1,)
        again = import_file(desk, later)
        assert (again.refused, again.updated) == (0, 1), again.problems
        assert _order(desk, "C1")[0] == "delivered"
        when = desk.db.execute_sql("SELECT delivered_at FROM orders WHERE order_no = 'C1'").fetchone()[0]
        assert from_epoch(when).strftime("%H:%M") == "09:30"  # the older system's time
        assert import_file(desk, later).unchanged == 1
        assert desk.db.execute_sql("SELECT COUNT(*) FROM card_code WHERE state = 'available'").fetchone() == (1,)
    else:
        assert "已退 ¥30.00" in problem.zh and "check with the buyer" in problem.en
        assert _order(desk, "C1")[0] == "cancelled"
    assert check(desk).ok


@pytest.mark.parametrize(("paid", "channel"), [("30.00", "支付宝"), ("0", "支付宝"), ("30.00", "微信")],
                         ids=["due-amount", "zero-paid", "other-channel"])
def test_an_unpaid_close_in_the_older_system_of_an_order_the_desk_took_payment_for_changes_nothing(
        desk: Desk, tmp_path: Path, paid: str, channel: str) -> None:
    """Imported unpaid; the desk recorded its payment (补单) while the older system, which never
    saw it, closed the order unpaid. That export is out of date: counted unchanged with a warning
    naming the desk's trade no; nothing is refunded or advised that would refund it."""
    from kashop_desktop.services.orders import mark_paid
    from tests.services.helpers import sandbox, send_refunds

    sandbox(desk, "success", name="沙箱")
    head = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,支付方式,网关,交易号,买家"
    import_file(desk, write_csv(tmp_path / "u.csv", [head, "L1,2026-11-18 09:00,月卡,直充,30.00,待支付,,支付宝,沙箱,,13800138000"]))
    mark_paid(desk, "L1", "BANK-L1", confirmed=True)
    closed = write_csv(tmp_path / "c.csv", [head, f"L1,2026-11-18 09:00,月卡,直充,{paid},交易关闭,,{channel},沙箱,,13800138000"])
    for _ in range(2):
        report = import_file(desk, closed)
        assert (report.refused, report.unchanged) == (0, 1), report.problems
        [said] = [w for w in report.warnings if w.column == "status"]
        assert "BANK-L1" in said.zh and "refunds nothing" in said.en
    assert _order(desk, "L1")[0] == "paid" and send_refunds(desk).picked == 0
    assert check(desk).ok


def test_a_desk_cancel_waiting_for_the_owner_that_the_older_system_delivered_converges_by_the_advice(
        desk: Desk, tmp_path: Path) -> None:
    """An import-only shop (no gateway account: the desk's refund waits for the owner, 待人工处理),
    cancelled at the desk while the older system delivered it: the advice marks the refund failed
    first (restore refuses a refund waiting for the owner), then restores; the next import
    records the delivery."""
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import requests as reqs

    head = "订单号,下单时间,商品,商品类型,数量,实付金额,状态,支付时间,支付方式,交易号,买家,发货时间"
    row = "C1,2026-11-18 09:00,QQ音乐绿钻,卡密,1,15.00,{status},2026-11-18 09:01,支付宝,TC001,13512345678,{delivered}"
    import_file(desk, write_csv(tmp_path / "c1.csv", [head, row.format(status="已支付", delivered="")]))
    reqs.cancel_order(desk, "C1", ReasonCode.NOT_NEEDED)
    waiting = desk.db.execute_sql("SELECT state FROM refund").fetchall()
    assert waiting == [("needs_owner",)]
    later = write_csv(tmp_path / "c2.csv", [head, row.format(status="已发货", delivered="2026-11-18 09:30")])
    problem = import_file(desk, later).problems[0]
    assert "本店正在退款 ¥15.00" in problem.zh and "待人工处理" in problem.zh
    assert "refunds resolve REFUND_ID --failed" in problem.en and "orders restore C1 --no-deliver" in problem.en
    _follow(desk, problem.en)
    again = import_file(desk, later)
    assert (again.refused, again.updated) == (0, 1), again.problems
    assert _order(desk, "C1")[0] == "delivered"
    assert check(desk).ok


def test_a_desk_cancel_recorded_as_refunded_outside_names_that_money(desk: Desk, tmp_path: Path) -> None:
    """The desk's refund recorded as paid back in cash, then the older system says it delivered:
    the refusal names the cash refund (not 本店未退款) and leaves the buyer's money to the owner."""
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.domain.refund_states import OutsideMethod
    from kashop_desktop.services import requests as reqs
    from kashop_desktop.services.refund_owner import resolve_manually

    head = "订单号,下单时间,商品,商品类型,数量,实付金额,状态,支付时间,支付方式,交易号,买家,发货时间"
    row = "C2,2026-11-18 09:00,QQ音乐绿钻,卡密,1,15.00,{status},2026-11-18 09:01,支付宝,TC002,13512345678,{delivered}"
    import_file(desk, write_csv(tmp_path / "c1.csv", [head, row.format(status="已支付", delivered="")]))
    reqs.cancel_order(desk, "C2", ReasonCode.NOT_NEEDED)
    (refund_id,) = desk.db.execute_sql("SELECT id FROM refund").fetchone()
    resolve_manually(desk, refund_id, True, "现金退了", how=OutsideMethod.CASH)
    problem = import_file(desk, write_csv(tmp_path / "c2.csv", [head, row.format(status="已发货",
                                                                                  delivered="2026-11-18 09:30")])).problems[0]
    assert "登记的台外退款 ¥15.00" in problem.zh and "本店未退款" not in problem.zh
    assert "orders restore" not in problem.en and "check with the buyer" in problem.en
