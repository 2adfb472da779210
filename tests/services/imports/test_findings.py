"""Each finding of the import field report, as the file that showed it.

Every test imports a real file into a real store and looks at what was stored and said.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from kashop_desktop.domain.clock import SHOP_TZ, to_epoch
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import ImportFileError, Outcome, import_file
from kashop_desktop.services.maintenance import check
from kashop_desktop.store.models import Order

from .files import HEADER_ZH, Date, Formula, RawXml, header_cells, paid_row, write_csv, write_xlsx

pytestmark = pytest.mark.sqlite_only(reason="CI time: how a file is read (encodings, Excel cells, refusals) is the same on either store; the import's writes run on both in test_window_hooks, test_importfix and test_newcomer")

CASES = Path(__file__).resolve().parent / "cases"  # field case 01, as the shop sent it


def order_nos() -> list[str]:
    return [o.order_no for o in Order.select().order_by(Order.id)]


def problems(report: object) -> set[tuple[int, str]]:
    return {(p.row, p.column) for p in report.problems}  # type: ignore[attr-defined]


# ---- ids Excel mangled ----------------------------------------------------------------------------

def test_scientific_notation_ids_in_csv_are_refused_with_the_text_hint(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "excel_saved.csv", [
        HEADER_ZH,
        "2.02611E+17,2026-11-18 09:00,王者荣耀点券 60点,卡密,6.00,已支付,2026-11-18 09:01,支付宝,2.02611E+27,13800138000",
        "KS202611180900012,2026-11-18 09:05,王者荣耀点券 60点,卡密,6.00,已支付,2026-11-18 09:06,支付宝,2.02611E+27,13900139000",
    ])
    report = import_file(desk, path)
    assert problems(report) == {(2, "order_no"), (3, "gateway_trade_no")}
    assert all("文本" in p.zh and "Text" in p.en for p in report.problems)
    assert order_nos() == [] and report.outcome is Outcome.NOTHING


def test_numeric_id_cells_in_xlsx_are_refused(desk: Desk, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "numeric.xlsx", [
        header_cells(),
        [2.026111809000124e17, "2026-11-18 09:00", "点券", "卡密", 6, "已支付", "2026-11-18 09:01", "支付宝", "T1", "a"],
        ["KS2", "2026-11-18 09:00", "点券", "卡密", 6, "已支付", "2026-11-18 09:01", "支付宝", 2.02611180900012e27, "b"],
        ["KS3", "2026-11-18 09:00", "点券", "卡密", 6, "已支付", "2026-11-18 09:01", "支付宝", "T3", 13800138000],
    ])
    report = import_file(desk, path)
    assert problems(report) == {(2, "order_no"), (3, "gateway_trade_no"), (4, "buyer")}  # a contact too
    assert order_nos() == []
    assert report.outcome is Outcome.NOTHING


@pytest.mark.parametrize("name", ["orders_excel_saved.csv", "orders_numeric.xlsx"])
def test_the_field_case_files_import_no_mangled_id(desk: Desk, tmp_path: Path, name: str) -> None:
    report = import_file(desk, shutil.copy(CASES / name, tmp_path / name))
    assert report.refused >= 1 and all("文本" in p.zh for p in report.problems if p.column == "order_no")
    assert not any("E+" in no or "e+" in no or "." in no for no in order_nos())


# ---- blank rows, money, duplicate columns ---------------------------------------------------------

def test_trailing_comma_rows_are_skipped_silently(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", [HEADER_ZH, paid_row(1), ",,,,,,,,,", ",,,,,,,,,", " , ,\t,", ""])
    report = import_file(desk, path)
    assert (report.inserted, report.refused, report.blank, report.outcome) == (1, 0, 4, Outcome.ALL)


def test_empty_paid_amount_on_a_paid_order_is_refused_not_zero(desk: Desk, tmp_path: Path) -> None:
    row = paid_row(1).replace(",6.00,", ",,")
    report = import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, row, paid_row(2)]))
    assert problems(report) == {(2, "paid_amount")}
    assert order_nos() == ["KS2"]


@pytest.mark.parametrize("amount", ['"12,34"', '"1,23,4"', "6.001", "6e2", "²", "①"])
def test_ambiguous_money_is_refused(desk: Desk, tmp_path: Path, amount: str) -> None:
    report = import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, paid_row(1).replace(",6.00,", f",{amount},")]))
    assert problems(report) == {(2, "paid_amount")} and order_nos() == []


def test_thousands_separators_are_read(desk: Desk, tmp_path: Path) -> None:
    import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, paid_row(1).replace(",6.00,", ',"1,234.50",')]))
    assert Order.get().paid_fen == 123450


@pytest.mark.parametrize("extra", ["实付金额", "paid_amount", "Paid_Amount", "实付金额（元）"])
def test_two_columns_for_one_field_refuse_the_file(desk: Desk, tmp_path: Path, extra: str) -> None:
    path = write_csv(tmp_path / "o.csv", [HEADER_ZH.replace("实付金额", "paid_amount") + f",{extra}",
                                          paid_row(1) + ",7.00"])
    with pytest.raises(ImportFileError, match=r"同一列|两次") as caught:
        import_file(desk, path)
    assert ("same column" in caught.value.en or "twice" in caught.value.en) and order_nos() == []


# ---- the fuzzed files that ended in a traceback ----------------------------------------------------

@pytest.mark.parametrize(("column", "value"), [
    ("quantity", "²"), ("quantity", "①"), ("points", "²"), ("points", "99999999999999999999"),
    ("quantity", "9223372036854775808"), ("coupon", "99999999999999999999"), ("paid_amount", "1" * 40),
])
def test_odd_digits_and_huge_values_in_number_columns_are_refused_per_row(
        desk: Desk, tmp_path: Path, column: str, value: str) -> None:
    header = HEADER_ZH.replace("实付金额", "paid_amount") + ",quantity,points,coupon"
    row = paid_row(1) + ",1,0,0"
    cells = row.split(",")
    cells[header.split(",").index(column)] = value
    report = import_file(desk, write_csv(tmp_path / "o.csv", [header, ",".join(cells), paid_row(2) + ",1,0,0"]))
    assert problems(report) == {(2, column)} and order_nos() == ["KS2"]


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1900-01-00 00:00",
                                  "2026-13-01 00:00", "46344.375"])
def test_dates_out_of_range_are_refused_per_row(desk: Desk, tmp_path: Path, when: str) -> None:
    report = import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, paid_row(1).replace("2026-11-18 09:01", when)]))
    assert problems(report) == {(2, "paid_at")} and order_nos() == []


def test_a_cell_over_131072_characters_refuses_its_row_only(desk: Desk, tmp_path: Path) -> None:
    long_row = paid_row(1).replace("王者荣耀点券 60点", "长" * 140_000)
    quoted = paid_row(2).replace("王者荣耀点券 60点", '"' + "x" * 131_073 + '"')
    report = import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, long_row, quoted, paid_row(3)]))
    assert {p.row for p in report.problems} == {2, 3}
    assert order_nos() == ["KS3"]


@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"])
def test_any_line_ending_is_read(desk: Desk, tmp_path: Path, newline: str) -> None:
    report = import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, paid_row(1), paid_row(2)], newline=newline))
    assert report.inserted == 2 and report.outcome is Outcome.ALL


def _good_xlsx(path: Path) -> Path:
    return write_xlsx(path, [header_cells(), paid_row(1).split(","), paid_row(2).split(",")])


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9, 0.99])
def test_a_truncated_xlsx_is_refused_at_file_level(desk: Desk, tmp_path: Path, cut: float) -> None:
    path = _good_xlsx(tmp_path / "o.xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ImportFileError) as caught:
        import_file(desk, path)
    assert caught.value.zh and caught.value.en and order_nos() == []


@pytest.mark.parametrize("content", [b"order_no,created_at\n", b"PK\x03\x04 not really a zip", b"\x00" * 100,
                                     b"<html><body>404</body></html>"])
def test_a_fake_xlsx_is_refused_at_file_level(desk: Desk, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "o.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportFileError):
        import_file(desk, path)


def test_a_zip_that_is_not_a_workbook_is_refused(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("readme.txt", "hello")
    with pytest.raises(ImportFileError, match="XLSX"):
        import_file(desk, path)


def test_sheet_xml_with_control_characters_is_refused_before_any_row(desk: Desk, tmp_path: Path) -> None:
    rows = [header_cells(), *[paid_row(n).split(",") for n in range(1, 40)]]
    rows[30][2] = RawXml('<c r="{ref}" t="inlineStr"><is><t>bad\x01name</t></is></c>')
    with pytest.raises(ImportFileError, match="损坏") as caught:
        import_file(desk, write_xlsx(tmp_path / "o.xlsx", rows), chunk_rows=5)
    assert "damaged" in caught.value.en and order_nos() == []


def test_old_xls_is_refused_with_the_save_as_hint(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "o.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(ImportFileError, match="xlsx"):
        import_file(desk, path)


# ---- invisible characters and encodings -------------------------------------------------------------

def test_invisible_characters_are_cleaned_from_order_nos_and_nul_is_refused(desk: Desk, tmp_path: Path) -> None:
    rows = [paid_row("\u200b1"), paid_row("2\u202e"), paid_row("\ufeff3\u2066"), paid_row("4\x00"),
            paid_row(5).replace("1380013", "1380013\u200d")]
    report = import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, *rows]))
    assert order_nos() == ["KS1", "KS2", "KS3", "KS5"]
    assert problems(report) == {(5, "order_no")} and "U+0000" in report.problems[0].en
    assert Order.get(Order.order_no == "KS5").buyer == "13800135"


@pytest.mark.parametrize(("encoding", "text"), [
    ("big5", "訂單號,下單時間,商品,商品類型,實付金額,狀態\nKS1,2026-11-18 09:00,王者榮耀點券,卡密,6.00,已支付\n"),
    ("shift_jis", "注文番号,注文日時,商品,種類,支払金額,状態\nKS1,2026-11-18 09:00,ゲームポイント,カード,6.00,支払済み\n"),
])
def test_big5_and_shift_jis_are_refused_not_read_as_mojibake(desk: Desk, tmp_path: Path, encoding: str,
                                                            text: str) -> None:
    path = tmp_path / "o.csv"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(ImportFileError) as caught:
        import_file(desk, path)
    assert "UTF-8" in caught.value.zh and "UTF-8" in caught.value.en and order_nos() == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_unicode_and_gb_encodings_are_read(desk: Desk, tmp_path: Path, encoding: str) -> None:
    report = import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, paid_row(1), paid_row(2)], encoding))
    assert report.inserted == 2 and Order.get(Order.order_no == "KS1").product_name == "王者荣耀点券 60点"


def test_excel_unicode_text_is_tab_separated_utf16(desk: Desk, tmp_path: Path) -> None:
    lines = [line.replace(",", "\t") for line in (HEADER_ZH, paid_row(1))]
    report = import_file(desk, write_csv(tmp_path / "o.txt", lines, "utf-16"))
    assert report.inserted == 1


def test_a_semicolon_separated_csv_is_read_and_a_comma_inside_its_cells_stays(desk: Desk, tmp_path: Path) -> None:
    """A CSV saved where the comma is the decimal mark separates with semicolons; a product name
    holding a comma is then one cell."""
    lines = [line.replace(",", ";") for line in (HEADER_ZH, paid_row(1), paid_row(2))]
    lines[2] = lines[2].replace("王者荣耀点券 60点", "点券,60点")
    lines[0] += ';"' + ",".join(["备注"] * 14) + '"'  # a quoted header with more commas than the line has semicolons
    assert lines[0].count(",") > lines[0].count(";")
    lines[1:] = [line + ";" for line in lines[1:]]
    report = import_file(desk, write_csv(tmp_path / "o.csv", lines))
    assert (report.inserted, report.refused) == (2, 0), report.problems
    assert Order.get(Order.order_no == "KS2").product_name == "点券,60点"


@pytest.mark.parametrize("delimiter", [";", "\t"], ids=["semicolon", "tab"])
def test_blank_lines_above_a_semicolon_or_tab_header_are_read_past(desk: Desk, tmp_path: Path, delimiter: str) -> None:
    """The first non-blank row holds the headers: the delimiter is read from it, not from a blank
    line (or a row of empty cells) above it."""
    lines = ["", delimiter * 5, *(line.replace(",", delimiter) for line in (HEADER_ZH, paid_row(1), paid_row(2)))]
    report = import_file(desk, write_csv(tmp_path / "o.csv", lines))
    assert (report.inserted, report.refused) == (2, 0), report.problems
    assert sorted(order_nos()) == ["KS1", "KS2"]


def test_binary_and_invalid_gb_bytes_are_refused(desk: Desk, tmp_path: Path) -> None:
    binary = tmp_path / "b.csv"
    binary.write_bytes(bytes(range(256)) * 40)
    broken = tmp_path / "g.csv"
    broken.write_bytes((HEADER_ZH + "\n" + paid_row(1) + "\n").encode("gbk") + b"\xff\xff\xff\n")
    for path in (binary, broken):
        with pytest.raises(ImportFileError):
            import_file(desk, path)
    assert order_nos() == []


# ---- Excel and WPS dates and formulas in XLSX ---------------------------------------------------------

@pytest.mark.parametrize("date1904", [False, True])
def test_xlsx_date_cells_and_formulas_cached_values(desk: Desk, tmp_path: Path, date1904: bool) -> None:
    paid = datetime(2026, 11, 18, 9, 1)
    rows = [header_cells(), [
        "KS1", Date(datetime(2026, 11, 18, 9, 0)), "点券", "卡密", Formula("F2*0.9", 5.3999999999999995), "已支付",
        Date(paid), "支付宝", Formula('"T"&A2', "TKS1"), "13800138000"]]
    report = import_file(desk, write_xlsx(tmp_path / "o.xlsx", rows, date1904=date1904))
    assert report.outcome is Outcome.ALL, report.problems
    stored = Order.get()
    assert (stored.paid_fen, stored.gateway_trade_no) == (540, "TKS1")
    assert stored.paid_at == to_epoch(paid.replace(tzinfo=SHOP_TZ))


def test_xlsx_serial_in_a_number_formatted_cell_uses_the_workbook_date_system(desk: Desk, tmp_path: Path) -> None:
    serial_1904 = (datetime(2026, 11, 18, 9, 0) - datetime(1904, 1, 1)).total_seconds() / 86400
    rows = [header_cells(), ["KS1", serial_1904, "点券", "卡密", 6, "已支付", serial_1904, "支付宝", "T1", "b"]]
    import_file(desk, write_xlsx(tmp_path / "o.xlsx", rows, date1904=True))
    assert Order.get().created_at == to_epoch(datetime(2026, 11, 18, 9, 0, tzinfo=SHOP_TZ))


def test_xlsx_formula_errors_refuse_the_row(desk: Desk, tmp_path: Path) -> None:
    rows = [header_cells(),
            ["KS1", "2026-11-18 09:00", "点券", "卡密", RawXml('<c r="{ref}" t="e"><f>1/0</f><v>#DIV/0!</v></c>'),
             "已支付", "2026-11-18 09:01", "支付宝", "T1", "b"]]
    report = import_file(desk, write_xlsx(tmp_path / "o.xlsx", rows))
    assert problems(report) == {(2, "paid_amount")} and "#DIV/0!" in report.problems[0].en


# ---- the store stays whole ----------------------------------------------------------------------------

def test_unquoted_comma_in_a_value_refuses_the_shifted_row(desk: Desk, tmp_path: Path) -> None:
    shifted = paid_row(1).replace("王者荣耀点券 60点", "王者荣耀,点券")
    report = import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, shifted, paid_row(2)]))
    assert {p.row for p in report.problems} == {2} and order_nos() == ["KS2"]
    assert check(desk).ok


def test_gbk_first_seen_deep_in_a_long_ascii_file_is_still_read(desk: Desk, tmp_path: Path) -> None:
    ascii_rows = [paid_row(n).replace("王者荣耀点券 60点", "Steam 100").replace("卡密", "card_code")
                  .replace("已支付", "paid").replace("支付宝", "alipay") for n in range(12_000)]
    path = write_csv(tmp_path / "o.csv", [HEADER_ZH.replace("订单号", "order_no").replace("下单时间", "created_at")
                                          .replace("商品类型", "product_type").replace("商品", "product")
                                          .replace("实付金额", "paid_amount").replace("状态", "status")
                                          .replace("支付时间", "paid_at").replace("支付方式", "channel")
                                          .replace("交易号", "gateway_trade_no").replace("买家", "buyer"),
                                          *ascii_rows, paid_row("Z")], "gbk")
    assert path.stat().st_size > 1 << 20
    report = import_file(desk, path)
    assert report.inserted == 12_001 and Order.get(Order.order_no == "KSZ").product_name == "王者荣耀点券 60点"


def test_a_column_named_for_a_header_the_file_lacks_is_refused_naming_the_headers(desk: Desk, tmp_path: Path) -> None:
    """--column 不存在的列=buyer (a typo) would map nothing: refused, naming the file's headers;
    a header mapped to nothing ("" : not imported) that the file lacks changes nothing."""
    path = write_csv(tmp_path / "o.csv", [HEADER_ZH, paid_row(1)])
    with pytest.raises(ImportFileError) as refused:
        import_file(desk, path, columns={"不存在的列": "buyer"})
    assert refused.value.code == "import_column_not_found"
    assert "不存在的列" in refused.value.zh and "订单号" in refused.value.zh and "not in the file" in refused.value.en
    assert order_nos() == []
    assert import_file(desk, path, columns={"备注": ""}).inserted == 1
