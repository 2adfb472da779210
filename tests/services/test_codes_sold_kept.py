"""Codes a buyer (or another shop) holds are never lost or sold twice: an export that finds no
code writes no file (an empty one must not replace an earlier export, maybe the only copy of the
codes it marked sold), replacing an export keeps the old file as NAME.bak.csv, and a reusable
code (循环卡密) handed to an order counts as sold: never deleted, never imported again, in a store
delivered before this rule too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kashop_desktop.domain.codes import CodeState
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import code_export, code_import, codes, products
from kashop_desktop.services import orders as ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import CardCode, CodeEvent, Order, Product

from .helpers import order

C = CodeState
SHARED = "SHARED-CODE-0001"


def _stock(desk: Desk, n: int, start: int = 0) -> None:
    if not Product.select().where(Product.name == "点卡").exists():
        products.add_product(desk, "点卡", ProductType.CARD_CODE, 10_00)
    code_import.import_codes(desk, "点卡", [f"KEPT-{i:04d}-ABCDEFGH" for i in range(start, start + n)])


# ---- Bug A: an export never loses the only copy of the codes it marked sold ----------------------

def test_an_export_with_no_code_writes_nothing_even_with_force(desk: Desk, tmp_path: Path) -> None:
    _stock(desk, 7)
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "codes_sold.csv"
    first = code_export.export_codes(desk, "点卡", out, after="mark_sold")
    assert first.count == 7 and first.kept is None
    kept = out.read_bytes()
    assert b"KEPT-0006" in kept
    events = CodeEvent.select().count()
    with pytest.raises(DomainError) as refused:
        code_export.export_codes(desk, "点卡", out, after="mark_sold", force=True)
    assert refused.value.code == "export_empty" and "codes_sold.csv" in refused.value.zh
    assert out.read_bytes() == kept  # the only clear copy of the 7 sold codes is still there
    assert sorted(p.name for p in folder.iterdir()) == ["codes_sold.csv"]  # no backup, no .part
    assert CodeEvent.select().count() == events  # nothing logged: nothing happened
    fresh = folder / "locked.csv"
    with pytest.raises(DomainError, match="nothing exported"):
        code_export.export_codes(desk, "点卡", fresh, state=C.LOCKED)
    assert not fresh.exists()  # a new name is not created either
    assert CardCode.select().where(CardCode.state == C.DELIVERED.value).count() == 7


def test_replacing_an_export_keeps_the_old_file_beside_it(desk: Desk, tmp_path: Path) -> None:
    _stock(desk, 3)
    out = tmp_path / "codes_sold.csv"
    code_export.export_codes(desk, "点卡", out, after="mark_sold")
    first = out.read_bytes()
    _stock(desk, 2, start=3)
    second = code_export.export_codes(desk, "点卡", out, after="mark_sold", force=True)
    assert second.count == 2 and second.kept == tmp_path / "codes_sold.bak.csv"
    assert second.kept.read_bytes() == first and b"KEPT-0000" in first
    assert b"KEPT-0003" in out.read_bytes() and b"KEPT-0000" not in out.read_bytes()
    newer = out.read_bytes()
    _stock(desk, 1, start=5)
    third = code_export.export_codes(desk, "点卡", out, after="mark_sold", force=True)
    assert third.kept == tmp_path / "codes_sold.bak2.csv" and third.kept.read_bytes() == newer
    assert (tmp_path / "codes_sold.bak.csv").read_bytes() == first  # a backup is never replaced
    assert CardCode.select().where(CardCode.state == C.DELIVERED.value).count() == 6


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kashop_desktop", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)


def test_the_command_line_leaves_the_file_alone_when_nothing_is_exported(data_dir: Path, clock, tmp_path: Path) -> None:
    desk = Desk.open(data_dir, clock=clock)
    try:
        _stock(desk, 7)
    finally:
        desk.close()
    out = tmp_path / "out" / "codes_sold.csv"
    out.parent.mkdir()
    first = _cli(data_dir, "codes", "export", str(out), "--product", "点卡", "--mark-sold")
    assert first.returncode == 0, first.stderr
    kept = out.read_bytes()
    again = _cli(data_dir, "codes", "export", str(out), "--product", "点卡", "--mark-sold", "--force")
    assert again.returncode == 1 and "没有导出" in again.stderr and "nothing exported" in again.stderr
    assert "已导出 0" not in again.stdout and "Traceback" not in again.stderr
    assert out.read_bytes() == kept and sorted(p.name for p in out.parent.iterdir()) == ["codes_sold.csv"]
    helped = _cli(data_dir, "codes", "export", "--help")
    assert ".bak" in helped.stdout


# ---- Bug B: a reusable code handed to a buyer is sold -----------------------------------------------

def _reusable_sold(desk: Desk) -> tuple[str, CardCode]:
    products.add_product(desk, "循环卡", ProductType.CARD_CODE, 3_00, reusable=True)
    products.add_product(desk, "普通卡", ProductType.CARD_CODE, 20_00)
    code_import.import_codes(desk, "循环卡", [SHARED])
    no = order(desk, prod=products.get_product("循环卡"), paid_fen=3_00)
    ops.deliver(desk, no)
    code = CardCode.get(CardCode.product == products.get_product("循环卡").id)
    assert code.state == C.AVAILABLE.value and code.order_id is None  # reusable: still on sale
    return no, code


def test_a_delivered_reusable_code_is_never_deleted_but_can_be_locked_or_voided(desk: Desk) -> None:
    _no, code = _reusable_sold(desk)
    preview = codes.delete_preview(desk, [code.id])
    assert preview.deletable == [] and preview.sold == [code.id]
    with pytest.raises(DomainError) as refused:
        codes.delete_codes(desk, [code.id], confirmed=True)
    assert refused.value.code == "code_sold" and "codes lock" in refused.value.en and "作废" in refused.value.zh
    codes.move_codes(desk, [code.id], C.VOID)
    with pytest.raises(DomainError, match="went to a buyer"):
        codes.delete_codes(desk, [code.id], confirmed=True)
    assert CardCode.get_by_id(code.id).state == C.VOID.value
    # a reusable code never handed out is deleted as before
    code_import.import_codes(desk, "循环卡", ["NEVER-SOLD-0001"])
    unsold = CardCode.get(CardCode.state == C.AVAILABLE.value)
    codes.delete_codes(desk, [unsold.id], confirmed=True)
    assert not CardCode.select().where(CardCode.id == unsold.id).exists()


def test_a_delivered_reusable_code_is_never_imported_again(desk: Desk) -> None:
    _no, code = _reusable_sold(desk)
    plan = code_import.plan_import(desk, "普通卡", [SHARED])
    assert plan.new == [] and [(d.line, d.first_line, d.sold) for d in plan.duplicates] == [(1, None, True)]
    result = code_import.import_codes(desk, "普通卡", [SHARED, "OTHER-CODE-0002"])
    assert result.imported == 1 and result.plan.duplicates[0].sold
    # a store where the code was deleted before this rule (the only record: the order's delivery)
    CardCode.delete().where(CardCode.id == code.id).execute()
    result = code_import.import_codes(desk, "普通卡", [SHARED])
    assert result.imported == 0 and [d.sold for d in result.plan.duplicates] == [True]
    assert not CardCode.select().where(CardCode.product == products.get_product("普通卡").id,
                                       CardCode.hint.endswith("0001")).exists()
    buyer = order(desk, prod=products.get_product("普通卡"), paid_fen=20_00, buyer="13900000012")
    ops.deliver(desk, buyer)
    assert desk.code_cipher().open(Order.get(Order.order_no == buyer).card_code) == "OTHER-CODE-0002"


def test_an_order_sealed_on_its_own_still_marks_the_reusable_code_sold(desk: Desk) -> None:
    """Schema 6 sealed orders' clear codes one by one: their tokens differ from the code table's;
    the keyed hash of the opened code still refuses it."""
    no, code = _reusable_sold(desk)
    own = desk.code_cipher().seal(SHARED)
    Order.update(card_code=own).where(Order.order_no == no).execute()
    CardCode.delete().where(CardCode.id == code.id).execute()
    plan = code_import.plan_import(desk, "普通卡", [SHARED])
    assert plan.new == [] and plan.duplicates[0].sold
