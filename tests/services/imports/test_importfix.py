"""A new user's `orders import` findings (money first): each input as the file that showed it.

Every test imports a real file into a real store and looks at what was stored and said.
"""

from __future__ import annotations

from pathlib import Path

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import Outcome, import_file
from kashop_desktop.services.maintenance import check
from kashop_desktop.store.models import Order

HEAD = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,发货时间,支付方式,交易号,买家"
PAID = "2026-11-18 09:01,2026-11-18 09:02,支付宝"


def csv(path: Path, rows: list[str], header: str = HEAD) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_partial_refund_without_its_amount_is_refused_naming_the_column(desk: Desk, tmp_path: Path) -> None:
    report = import_file(desk, csv(tmp_path / "p.csv", [
        f"R1,2026-11-18 09:00,点券,卡密,10.00,部分退款,{PAID},T1,13800138001",
        f"R2,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T2,13800138002"]))
    assert report.outcome is Outcome.PARTIAL
    assert [(p.row, p.column) for p in report.problems] == [(2, "refunded_amount")]
    assert "退款金额" in report.problems[0].zh and "refunded_amount" in report.problems[0].en
    assert [o.order_no for o in Order.select()] == ["R2"]


def test_a_refunded_amount_column_is_recorded_and_not_refundable_again(desk: Desk, tmp_path: Path) -> None:
    report = import_file(desk, csv(tmp_path / "r.csv", [
        f"R1,2026-11-18 09:00,点券,卡密,10.00,部分退款,{PAID},T1,13800138001,4.00",
        f"R2,2026-11-18 09:00,点券,卡密,10.00,已退款,{PAID},T2,13800138002,",
        f"R3,2026-11-18 09:00,点券,卡密,10.00,已退款,{PAID},T3,13800138003,4.00",
        f"R4,2026-11-18 09:00,点券,卡密,10.00,部分退款,{PAID},T4,13800138004,12.00",
        f"R5,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T5,13800138005,3.00",
        f"R6,2026-11-18 09:00,点券,卡密,10.00,部分退款,{PAID},T6,13800138006,10.00"], HEAD + ",退款金额"))
    assert [(p.row, p.column) for p in report.problems] == [(4, "refunded_amount"), (5, "refunded_amount"),
                                                            (6, "refunded_amount"), (7, "refunded_amount")]
    stored = {o.order_no: (o.status, o.refunded_fen) for o in Order.select()}
    assert stored == {"R1": ("partially_refunded", 400), "R2": ("refunded", 1000)}
    assert not [w for w in report.warnings if w.column == "status"]


def test_a_paid_cancelled_row_needs_what_the_old_system_refunded(desk: Desk, tmp_path: Path) -> None:
    rows = ["C1,2026-11-18 09:00,点券,卡密,10.00,已取消,2026-11-18 09:01,,支付宝,T1,13800138001",
            "C2,2026-11-18 09:00,点券,卡密,10.00,已取消,,,,,13800138002"]
    report = import_file(desk, csv(tmp_path / "c.csv", rows))
    assert [(p.row, p.column) for p in report.problems] == [(2, "refunded_amount")]
    assert "填 0" in report.problems[0].zh and "0 if none" in report.problems[0].en
    again = import_file(desk, csv(tmp_path / "c2.csv", [r + ",10.00" for r in rows[:1]], HEAD + ",refund"))
    assert again.outcome is Outcome.ALL
    assert Order.get(Order.order_no == "C1").refunded_fen == 1000


def test_check_names_stored_orders_whose_refunded_amount_is_unknown(desk: Desk, tmp_path: Path) -> None:
    import_file(desk, csv(tmp_path / "ok.csv", [
        f"K1,2026-11-18 09:00,点券,卡密,10.00,部分退款,{PAID},T1,13800138001,4.00",
        "K2,2026-11-18 09:00,点券,卡密,10.00,已取消,2026-11-18 09:01,,支付宝,T2,13800138002,10.00",
        f"K3,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T3,13800138003,"], HEAD + ",退款金额"))
    assert check(desk).ok and check(desk).refund_unknown == []
    # What an import wrote before the 退款金额 column was required.
    desk.db.execute_sql("UPDATE orders SET refunded_fen = 0 WHERE order_no IN ('K1', 'K2')")
    report = check(desk)
    assert not report.ok
    assert report.refund_unknown == [("K1", "partially_refunded"), ("K2", "cancelled")]


def test_refunding_is_refused_saying_why_a_file_cannot_bring_it(desk: Desk, tmp_path: Path) -> None:
    report = import_file(desk, csv(tmp_path / "f.csv", [f"F1,2026-11-18 09:00,点券,卡密,10.00,退款中,{PAID},T1,1"]))
    assert [(p.row, p.column) for p in report.problems] == [(2, "status")]
    assert "进行中的退款" in report.problems[0].zh and "in flight" in report.problems[0].en


def test_a_completed_order_refunded_in_the_file_is_named_a_refund_outside_the_desk(desk: Desk, tmp_path: Path) -> None:
    import_file(desk, csv(tmp_path / "a.csv", [f"B1,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T1,1"]))
    report = import_file(desk, csv(tmp_path / "b.csv", [f"B1,2026-11-18 09:00,点券,卡密,10.00,已退款,{PAID},T1,1"]))
    problem = report.problems[0]
    assert problem.column == "status" and "本店之外" in problem.zh and "refunds resolve" in problem.en
    assert "backwards" not in problem.en
    assert Order.get(Order.order_no == "B1").status == "completed"
