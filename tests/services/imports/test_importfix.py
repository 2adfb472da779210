"""A new user's `orders import` findings (money first): each input as the file that showed it.

Every test imports a real file into a real store and looks at what was stored and said.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import ImportFileError, Outcome, import_file
from kashop_desktop.services.maintenance import check
from kashop_desktop.store.models import Order

from .files import RawXml, write_xlsx

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
    assert problem.column == "status" and "本店之外" in problem.zh and "refunds record B1 --amount 10.00" in problem.en
    assert "backwards" not in problem.en
    assert Order.get(Order.order_no == "B1").status == "completed"


def test_a_small_big5_file_is_named_big5_and_can_be_read_with_its_encoding(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "big5.csv"
    path.write_bytes(("order_no,created_at,product,product_type,paid_amount,status,buyer\r\n"
                      "K1,2026-11-18 09:00,王者榮耀點券,card_code,6.00,pending_payment,張三\r\n").encode("big5"))
    with pytest.raises(ImportFileError) as caught:
        import_file(desk, path)
    assert "Big5" in caught.value.zh and "--encoding" in caught.value.en
    report = import_file(desk, path, encoding="big5")
    assert report.outcome is Outcome.ALL
    assert [(o.product_name, o.buyer) for o in Order.select()] == [("王者榮耀點券", "張三")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_an_encoding_named_that_needs_a_byte_order_mark_the_file_lacks_is_refused(
        desk: Desk, tmp_path: Path, encoding: str) -> None:
    """UTF-16 and UTF-32 named for a file without their byte-order mark: the decoder's own
    refusal is the import's message (the file is not that encoding), never an internal error."""
    path = tmp_path / "plain.csv"
    path.write_bytes("order_no,created_at,product,product_type,paid_amount,status,buyer\r\n"
                     "K1,2026-11-18 09:00,点券,card_code,6.00,pending_payment,张三\r\n".encode())
    with pytest.raises(ImportFileError) as caught:
        import_file(desk, path, encoding=encoding)
    assert encoding in caught.value.zh and encoding in caught.value.en
    assert import_file(desk, path).outcome is Outcome.ALL  # read as it is


def test_excel_text_wrappers_are_unwrapped_and_point_zero_ids_refused(desk: Desk, tmp_path: Path) -> None:
    report = import_file(desk, csv(tmp_path / "x.csv", [
        f'"=""202611180001234567""",2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},"=""4200001234567890123456789012""",'
        '"=""13800138000"""',
        f"'202611180001234568,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T2,'13800138001",
        f"X3,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T3,13800138000.0",
        f"202611180001234.0,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T4,1"]))
    assert [(p.row, p.column) for p in report.problems] == [(4, "buyer"), (5, "order_no")]
    assert all("文本" in p.zh and "as Text" in p.en for p in report.problems)
    stored = {o.order_no: (o.gateway_trade_no, o.buyer) for o in Order.select()}
    assert stored == {"202611180001234567": ("4200001234567890123456789012", "13800138000"),
                      "202611180001234568": ("T2", "13800138001")}


def test_ids_that_look_cut_to_15_digits_are_flagged_with_the_excel_hint(desk: Desk, tmp_path: Path) -> None:
    report = import_file(desk, csv(tmp_path / "t.csv", [
        f"202611180001234000,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},4200001234567890000000000000,1",
        f"202611180001234000,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T9,2",
        f"202611180001234567,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T8,3"]))
    assert [(p.row, p.column) for p in report.problems] == [(3, "order_no")]
    assert "15 位有效数字" in report.problems[0].zh and "as Text" in report.problems[0].en
    flagged = {(w.row, w.column) for w in report.warnings if "15" in w.zh}
    assert flagged == {(2, "order_no"), (2, "gateway_trade_no")}


def test_a_repeated_header_row_is_skipped_with_a_note(desk: Desk, tmp_path: Path) -> None:
    report = import_file(desk, csv(tmp_path / "h.csv", [
        f"H1,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T1,1", HEAD,
        f"H2,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T2,2"]))
    assert report.outcome is Outcome.ALL and report.inserted == 2 and report.rows == 2
    assert [(w.row, w.column) for w in report.warnings if "表头" in w.zh] == [(3, "")]


def test_an_order_time_in_the_future_is_refused(desk: Desk, tmp_path: Path) -> None:
    now = datetime.fromtimestamp(to_epoch(desk.now()), SHOP_TZ)
    soon, later = (now + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M"), (now + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    report = import_file(desk, csv(tmp_path / "f.csv", [
        f"F1,{later},点券,卡密,10.00,待支付,,,,,1", f"F2,{soon},点券,卡密,10.00,待支付,,,,,1"]))
    assert [(p.row, p.column) for p in report.problems] == [(2, "created_at")]
    assert "未来" in report.problems[0].zh and "future" in report.problems[0].en


def test_usual_export_headers_are_known_and_unknown_columns_skipped_with_a_note(desk: Desk, tmp_path: Path) -> None:
    header = "订单编号,创建时间,商品名称,商品类型,购买数量,订单金额,付款金额,订单状态,付款时间,支付单号,联系方式,备注,卡密,IP"
    report = import_file(desk, csv(tmp_path / "e.csv", [
        "E1,2026-11-18 09:00,点券,卡密,2,12.00,10.00,已支付,2026-11-18 09:01,T1,a@b.cn,老客户,XXXX-YYYY,1.2.3.4"], header))
    assert report.outcome is Outcome.ALL
    order = Order.get()
    assert (order.quantity, order.list_fen, order.paid_fen, order.gateway_trade_no, order.buyer) == (
        2, 1200, 1000, "T1", "a@b.cn")
    assert len(report.notes) == 1 and "备注, 卡密, IP" in report.notes[0][0] and "--column" in report.notes[0][1]


def test_missing_columns_are_named_in_chinese(desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as caught:
        import_file(desk, csv(tmp_path / "m.csv", ["M1,2026-11-18 09:00,点券"], "订单号,下单时间,商品,备注"))
    assert "商品类型" in caught.value.zh and "实付金额" in caught.value.zh and "paid_amount" not in caught.value.zh
    assert "--column" in caught.value.en


def test_a_formula_saved_with_an_empty_value_says_recalculate(desk: Desk, tmp_path: Path) -> None:
    header = ["订单号", "下单时间", "商品", "商品类型", "实付金额", "状态"]
    path = write_xlsx(tmp_path / "f.xlsx", [header, ["Q1", "2026-11-18 09:00", "点券", "卡密", "6.00",
                                                     RawXml('<c r="F2" t="str"><f>G2</f><v></v></c>')]])
    report = import_file(desk, path)
    assert [(p.row, p.column) for p in report.problems] == [(2, "status")]
    assert "重新计算" in report.problems[0].zh and "recalculate" in report.problems[0].en


def test_the_advice_to_record_a_refund_names_the_request_waiting_for_review(desk: Desk, tmp_path: Path) -> None:
    """`refunds record` refuses while the buyer's request is open: the advice says to decide it
    first, naming it, and following both steps converges."""
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.domain.refund_states import OutsideMethod
    from kashop_desktop.services import requests
    from kashop_desktop.services.views import request_view

    import_file(desk, csv(tmp_path / "a.csv", [f"B1,2026-11-18 09:00,点券,卡密,10.00,已完成,{PAID},T1,1"]))
    _, request_id = requests.open_request(desk, "B1", ReasonCode.MERCHANT_FAULT, note="卡密无效")
    assert request_id is not None and request_view(desk, request_id).state == "open"
    refunded = csv(tmp_path / "b.csv", [f"B1,2026-11-18 09:00,点券,卡密,10.00,已退款,{PAID},T1,1"])
    problem = import_file(desk, refunded).problems[0]
    step = f"requests reject {request_id} --reason 旧系统已退款"
    assert f"#{request_id}" in problem.zh and step in problem.zh and step in problem.en
    assert "refunds record B1 --amount 10.00" in problem.en
    requests.reject(desk, request_id, "旧系统已退款")
    requests.record_outside(desk, "B1", 10_00, OutsideMethod.OTHER, "旧系统已退款")
    again = import_file(desk, refunded)
    assert again.problems == [] and again.unchanged == 1
    assert Order.get(Order.order_no == "B1").refunded_fen == 10_00
