"""Findings of a new user's first afternoon with imports, each as the file that showed it.

Every test imports a real file into a real store and looks at what was stored and said.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import ImportFileError, Outcome, import_file
from kashop_desktop.store.models import Order

from .files import Date, Day, RawXml, header_cells, write_xlsx

HEADER = header_cells()


def xlsx_row(no: str, buyer: object, created: object = None) -> list[object]:
    return [no, created or Date(datetime(2026, 11, 18, 9, 0)), "王者荣耀点券 60点", "卡密", "6.00", "已支付",
            Date(datetime(2026, 11, 18, 9, 1)), "支付宝", f"T{no}", buyer]


def test_contacts_in_number_cells_are_refused_with_the_text_hint(desk: Desk, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "buyers.xlsx", [HEADER, xlsx_row("L1", 1012345678), xlsx_row("L2", 13800138000),
                                                 xlsx_row("L3", 1.38001e10), xlsx_row("L4", "13800138000")])
    report = import_file(desk, path)
    assert report.outcome is Outcome.PARTIAL and report.inserted == 1
    assert {(p.row, p.column) for p in report.problems} == {(2, "buyer"), (3, "buyer"), (4, "buyer")}
    assert all("文本" in p.zh and "as Text" in p.en for p in report.problems)
    assert [(o.order_no, o.buyer) for o in Order.select()] == [("L4", "13800138000")]


def test_a_date_only_cell_in_a_date_time_column_is_refused(desk: Desk, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "dates.xlsx", [HEADER, xlsx_row("D1", "a@b.cn", Day(datetime(2026, 11, 18))),
                                                xlsx_row("D2", "a@b.cn", Date(datetime(2026, 11, 18)))])
    report = import_file(desk, path)
    assert [(p.row, p.column) for p in report.problems] == [(2, "created_at")]
    assert "没有时刻" in report.problems[0].zh and "without a time" in report.problems[0].en
    assert [o.order_no for o in Order.select()] == ["D2"]  # a date-time cell at midnight is a time


CSV_HEADER = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,发货时间,支付方式,交易号,买家"


def csv_file(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([CSV_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_reimport_that_would_change_a_paid_order_names_the_refused_field(desk: Desk, tmp_path: Path) -> None:
    paid = "2026-11-18 09:01,,支付宝"
    import_file(desk, csv_file(tmp_path / "first.csv", [
        f"P1,2026-11-18 09:00,点券,卡密,9.90,已支付,{paid},T1,13800138001",
        f"P4,2026-11-18 09:00,点券,卡密,6.00,已支付,{paid},T4,13800138004",
        f"P5,2026-11-18 09:00,点券,卡密,6.00,已支付,{paid},T5,13800138005"]))
    report = import_file(desk, csv_file(tmp_path / "again.csv", [
        f"P1,2026-11-18 09:00,点券,卡密,99.00,已支付,{paid},T1,13800138001",
        "P4,2026-11-18 09:00,点券,卡密,6.00,已发货,2026-11-18 09:01,2026-11-18 09:02,支付宝,T4-CHANGED,13800138004",
        "P5,2026-11-18 09:00,点券,卡密,6.00,已发货,2026-11-18 09:01,2026-11-18 09:02,支付宝,T5,13800138005"]))
    assert [(p.row, p.column) for p in report.problems] == [(2, "paid_amount"), (3, "gateway_trade_no")]
    assert "99.00" in report.problems[0].en and "T4-CHANGED" in report.problems[1].en
    assert (report.unchanged, report.updated, report.refused) == (0, 1, 2)
    stored = {o.order_no: o for o in Order.select()}
    assert stored["P1"].paid_fen == 990 and stored["P1"].status == "paid"
    assert stored["P4"].gateway_trade_no == "T4" and stored["P4"].status == "paid"  # refused whole
    assert stored["P5"].status == "delivered"


def test_a_stale_pending_row_for_an_order_that_expired_since_counts_unchanged(desk: Desk, tmp_path: Path,
                                                                             clock: object) -> None:
    from kashop_desktop.services.orders import expire_unpaid

    rows = [f"U{n},2026-11-18 09:{n:02d},点券,卡密,6.00,待支付,,,支付宝,,1380013{n:04d}" for n in range(10)]
    rows += [f"P{n},2026-11-18 09:{n:02d},点券,卡密,6.00,已支付,2026-11-18 09:30,,支付宝,T{n},1390013{n:04d}"
             for n in range(10)]
    path = csv_file(tmp_path / "morning.csv", rows)
    assert import_file(desk, path).inserted == 20
    clock.advance(days=1)  # type: ignore[attr-defined]
    assert len(expire_unpaid(desk).order_ids) == 10
    report = import_file(desk, path)
    assert report.outcome is Outcome.ALL and (report.unchanged, report.refused) == (20, 0)
    assert {o.status for o in Order.select() if o.order_no.startswith("U")} == {"cancelled"}


@pytest.mark.parametrize("word", ["月卡", "卡", "话费", "张三", "王者荣耀点券"])
def test_a_gbk_file_of_one_row_under_english_headers_imports(desk: Desk, tmp_path: Path, word: str) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes((f"{EN_HEADER}\r\nK1,2026-11-18 09:00,{word},card_code,6.00,pending_payment,{word}\r\n")
                     .encode("gbk"))
    report = import_file(desk, path)
    assert report.outcome is Outcome.ALL
    assert [(o.order_no, o.buyer) for o in Order.select()] == [("K1", word)]


@pytest.mark.parametrize(("word", "encoding"), [("張三", "big5"), ("王者榮耀點券", "big5"), ("會員", "big5"),
                                                ("カード", "shift_jis"), ("東京", "shift_jis")])
def test_a_small_big5_or_shift_jis_file_is_still_refused(desk: Desk, tmp_path: Path, word: str, encoding: str) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes((f"{EN_HEADER}\r\nK1,2026-11-18 09:00,{word},card_code,6.00,pending_payment,x\r\n")
                     .encode(encoding))
    with pytest.raises(ImportFileError) as caught:
        import_file(desk, path)
    assert "UTF-8" in caught.value.en
    assert Order.select().count() == 0


EN_HEADER = "order_no,created_at,product,product_type,paid_amount,status,buyer"


def test_negative_counts_say_the_bound_and_times_out_of_order_are_refused(desk: Desk, tmp_path: Path) -> None:
    header = "订单号,下单时间,商品,商品类型,数量,积分,实付金额,状态,支付时间,发货时间,支付方式,交易号,买家"
    row = "{no},2026-11-18 09:00,点券,卡密,{q},{pts},6.00,已发货,{paid},{sent},支付宝,T{no},13800138000"
    path = tmp_path / "bounds.csv"
    path.write_text("\n".join([
        header,
        row.format(no="Q", q="-1", pts="0", paid="2026-11-18 09:01", sent="2026-11-18 09:02"),
        row.format(no="P", q="1", pts="-5", paid="2026-11-18 09:01", sent="2026-11-18 09:02"),
        row.format(no="B", q="1", pts="0", paid="2026-11-18 08:59", sent="2026-11-18 09:02"),
        row.format(no="D", q="1", pts="0", paid="2026-11-18 09:01", sent="2026-11-18 09:00"),
        row.format(no="OK", q="1", pts="0", paid="2026-11-18 09:00", sent="2026-11-18 09:00")]) + "\n",
        encoding="utf-8")
    report = import_file(desk, path)
    found = {(p.row, p.column): p for p in report.problems}
    assert set(found) == {(2, "quantity"), (3, "points"), (4, "paid_at"), (5, "delivered_at")}
    assert "must be >= 1" in found[2, "quantity"].en and "不小于 1" in found[2, "quantity"].zh
    assert "must be >= 0" in found[3, "points"].en
    assert "before the order was created" in found[4, "paid_at"].en
    assert [o.order_no for o in Order.select()] == ["OK"]


def test_a_formula_saved_without_a_value_is_named_as_such(desk: Desk, tmp_path: Path) -> None:
    row = xlsx_row("F1", "a@b.cn")
    row[4] = RawXml('<c r="{ref}"><f>1/0</f></c>')
    path = write_xlsx(tmp_path / "formula.xlsx", [HEADER, row, xlsx_row("F2", "a@b.cn")])
    report = import_file(desk, path)
    assert [(p.row, p.column) for p in report.problems] == [(2, "paid_amount")]
    assert "formula without a saved value" in report.problems[0].en and "公式没有保存的值" in report.problems[0].zh
    assert [o.order_no for o in Order.select()] == ["F2"]


def test_a_damaged_xlsx_is_described_without_library_words(desk: Desk, tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", [HEADER, xlsx_row("X1", "a@b.cn")])
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ImportFileError) as caught:
        import_file(desk, damaged)
    message = caught.value.zh + caught.value.en
    assert "damaged" in caught.value.en and "已损坏" in caught.value.zh
    for word in ("BadZipFile", "Error", "zlib", "KeyError"):
        assert word not in message


def test_a_buyer_written_with_spaces_is_found_by_the_plain_number(desk: Desk, tmp_path: Path) -> None:
    from kashop_desktop.services import views

    path = tmp_path / "spaced.csv"
    path.write_text(f"{EN_HEADER}\nS1,2026-11-18 09:00,点券,card_code,6.00,pending_payment,138 0013 8000\n"
                    "S2,2026-11-18 09:00,点券,card_code,6.00,pending_payment,13900139000\n", encoding="utf-8")
    assert import_file(desk, path).inserted == 2
    rows = views.order_page(desk, views.OrderFilter(search="13800138000"), 10)
    assert [r.order_no for r in rows] == ["S1"]


def test_a_paid_order_of_zero_is_refused_unless_the_coupon_paid_it_in_full(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "zero.csv"
    path.write_text("\n".join([
        "订单号,下单时间,商品,商品类型,原价,优惠券,实付金额,状态,支付时间,支付方式,交易号,买家",
        "Z1,2026-11-18 09:00,点券,卡密,6.00,0,0.00,已支付,2026-11-18 09:01,支付宝,TZ1,13800138001",
        "Z2,2026-11-18 09:00,点券,卡密,6.00,6.00,0,已支付,2026-11-18 09:01,,,13800138002",
        "Z3,2026-11-18 09:00,点券,卡密,6.00,0,0,待支付,,,,13800138003"]) + "\n", encoding="utf-8")
    report = import_file(desk, path)
    assert [(p.row, p.column) for p in report.problems] == [(2, "paid_amount")]
    assert "0 元" in report.problems[0].zh and "payment of 0" in report.problems[0].en
    assert sorted(o.order_no for o in Order.select()) == ["Z2", "Z3"]
    assert any("优惠券全额抵扣" in w.zh and w.row == 3 for w in report.warnings)
