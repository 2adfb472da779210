"""Code files read like the orders import reads its files: the encoding detected (Big5 and
binary refused), quoted CSV unquoted, header lines skipped wherever they are, and Excel cells
that cannot be codes (TRUE, #N/A, a formula without a value, a date) refused with the reason."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import code_export, code_import, products
from kashop_desktop.services.code_files import read_code_file
from kashop_desktop.services.desk import Desk


@pytest.fixture
def shop(desk: Desk) -> Desk:
    products.add_product(desk, "点卡", ProductType.CARD_CODE, 10_00)
    return desk


def test_big5_and_binary_files_are_refused(tmp_path: Path) -> None:
    big5 = tmp_path / "big5.txt"
    big5.write_bytes("卡號,密碼\nCARD0001,PASS0001\n".encode("big5"))
    with pytest.raises(DomainError) as refused:
        read_code_file(big5)
    assert refused.value.code == "import_encoding" and "Big5" in refused.value.en and "--encoding" in refused.value.zh
    assert read_code_file(big5, "big5") == ["卡號\t密碼", "CARD0001\tPASS0001"]
    png = tmp_path / "codes.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(DomainError) as refused:
        read_code_file(png)
    assert refused.value.code == "import_binary"


def test_quoted_csv_headers_anywhere_and_same_card_no_twice(shop: Desk, tmp_path: Path) -> None:
    source = tmp_path / "codes.csv"
    source.write_text('"卡号","密码"\n"CARD0001","PASS0001"\n"CARD0002","PASS0002"\n卡号,密码\n'
                      '"CARD0001","OTHER0001"\n', encoding="utf-8")
    lines = read_code_file(source)
    plan = code_import.plan_import(shop, "点卡", lines)
    assert [c.code for c in plan.new] == ["CARD0001----PASS0001", "CARD0002----PASS0002", "CARD0001----OTHER0001"]
    assert plan.headers == [1, 4] and not plan.problems
    assert [w[0] for w in plan.warnings] == [5] and "第 2 行" in plan.warnings[0][1]


def test_excel_cells_that_are_not_codes_name_the_reason(shop: Desk, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["卡号", "密码"], ["CARD0001", True], ["CARD0002", "#N/A"], ["CARD0003", "=A1&A2"],
                ["CARD0004", datetime(2026, 1, 2)], ["CARD0005", "PASS0005"]):
        sheet.append(row)
    path = tmp_path / "codes.xlsx"
    book.save(path)
    plan = code_import.plan_import(shop, "点卡", read_code_file(path))
    assert [c.code for c in plan.new] == ["CARD0005----PASS0005"] and plan.headers == [1]
    reasons = {line: en for line, _zh, en in plan.problems}
    assert "logical value TRUE" in reasons[2] and "#N/A" in reasons[3]
    assert "formula without a saved value" in reasons[4] and "date cell" in reasons[5]


@pytest.mark.sqlite_only(reason="not ported to PostgreSQL yet: the export's read snapshot")
def test_the_desks_own_export_imports_again(shop: Desk, tmp_path: Path, data_dir: Path) -> None:
    codes = ["0001234567890123----000123", "LEADINGZERO0001", "1E5000000001", "2026-01-02-ABCDEFGH"]
    code_import.import_codes(shop, "点卡", [c.replace("----", ",") for c in codes])
    out = tmp_path / "export.csv"
    code_export.export_codes(shop, "点卡", out)
    assert '="0001234567890123"' in out.read_text("utf-8-sig")
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = Desk.open(other_dir)
    try:
        products.add_product(other, "点卡", ProductType.CARD_CODE, 10_00)
        result = code_import.import_codes(other, "点卡", read_code_file(out))
        assert result.imported == 4 and not result.plan.problems and result.plan.headers == [1]
        again = code_export.export_codes(other, "点卡", tmp_path / "again.csv")
        assert again.count == 4
        assert (tmp_path / "again.csv").read_text("utf-8-sig").count("0001234567890123") == 1
    finally:
        other.close()


def test_an_empty_file_or_first_sheet_is_refused(tmp_path: Path) -> None:
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n  \n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.create_sheet("second").append(["CARD0001"])
    book.save(tmp_path / "empty.xlsx")
    for path in (blank, tmp_path / "empty.xlsx"):
        with pytest.raises(DomainError) as refused:
            read_code_file(path)
        assert refused.value.code == "codes_file_empty"
