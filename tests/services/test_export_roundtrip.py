"""What the desk exports, ``orders import`` reads back: an export (CSV or XLSX, Chinese or
English headers) imported into a new shop gives the same orders with the same sums."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.services import datagen, exports
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.views import OrderFilter

pytestmark = pytest.mark.sqlite_only(reason="not ported to PostgreSQL yet: its shops come from the demo's data generator, whose bulk SQL is SQLite's")

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ)
#: What an order is, as the import can carry it (a refund still on its way is not carried).
FIELDS = ("order_no", "status", "paid_fen", "refunded_fen", "quantity", "buyer", "gateway_trade_no", "created_at",
          "paid_at", "channel", "list_fen", "coupon_fen", "points", "product_name", "product_type")


def orders(desk: Desk) -> dict[str, tuple[Any, ...]]:
    cols = ", ".join(f"o.{c}" for c in FIELDS)
    rows = desk.db.execute_sql(f"SELECT {cols} FROM orders o").fetchall()
    buyer = FIELDS.index("buyer")  # the import trims a contact's outer blanks (the same buyer)
    return {row[0]: tuple(v.strip() if i == buyer else v for i, v in enumerate(row))[1:] for row in rows}


def sums(desk: Desk) -> tuple[int, ...]:
    return tuple(desk.db.execute_sql(
        "SELECT COUNT(*), SUM(paid_fen), SUM(CASE WHEN paid_at IS NOT NULL THEN paid_fen ELSE 0 END), "
        "SUM(refunded_fen) FROM orders").fetchone())


@pytest.mark.parametrize(("fmt", "lang"), [("csv", "zh"), ("xlsx", "en"), ("csv", "en")])
def test_an_export_imports_into_a_new_shop_as_the_same_orders(desk: Desk, tmp_path: Path, clock: Any,
                                                              fmt: str, lang: str) -> None:
    datagen.load(desk, 400, seed=5, now=NOW, years=0.3)
    kinds = {(row[0], row[7] is None) for row in orders(desk).values()}
    assert {("cancelled", True), ("cancelled", False), ("completed", False), ("refunded", False)} <= kinds  # unpaid too
    out = tmp_path / f"all.{fmt}"
    written = exports.export_orders(desk, OrderFilter(), out, fmt, lang=lang)
    assert written.rows == 400
    other = tmp_path / "new-shop"
    other.mkdir()
    new = Desk.open(other, clock=clock)
    try:
        report = import_file(new, out)
        assert (report.inserted, report.refused) == (400, 0), report.problems[:3]
        assert orders(new) == orders(desk)
        assert sums(new) == sums(desk)
    finally:
        new.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_exported_order_with_a_refund_on_its_way_is_refused_not_offered_again(desk: Desk, tmp_path: Path,
                                                                                 clock: Any, lang: str) -> None:
    """The export's 退款中 column holds money still on its way back: imported, the other shop
    would offer it again. Such a row is refused naming the column; a row with 0.00 there is not."""
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import requests

    from .helpers import order, sandbox

    paid = order(desk, "paid", paid_fen=30_00, gateway_id=sandbox(desk, "timeout"))
    untouched = order(desk, "paid", paid_fen=12_50)
    requests.cancel_order(desk, paid, ReasonCode.NOT_NEEDED)  # ¥30 queued: 退款中
    out = tmp_path / "out.csv"
    exports.export_orders(desk, OrderFilter(), out, "csv", lang=lang)
    other = tmp_path / "new-shop"
    other.mkdir()
    new = Desk.open(other, clock=clock)
    try:
        report = import_file(new, out)
        assert [p.column for p in report.problems] == ["refund_pending"]
        assert "¥30.00" in report.problems[0].zh and "in flight" in report.problems[0].en
        assert report.inserted == 1
        assert new.db.execute_sql("SELECT order_no FROM orders").fetchall() == [(untouched,)]
    finally:
        new.close()


def test_the_desks_own_export_imported_again_into_the_same_shop_is_unchanged(desk: Desk, tmp_path: Path) -> None:
    """Its 已退金额 is every refund of the order, the desk's own included: not an older system's
    refund beside them (which would be refused as a refund made twice)."""
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import requests

    from .helpers import order, send_refunds

    part = order(desk, "delivered", paid_fen=50_00)
    whole = order(desk, "paid", paid_fen=30_00)
    _, request_id = requests.open_request(desk, part, ReasonCode.MERCHANT_FAULT, amount_fen=20_00)
    from kashop_desktop.store.models import CancelRequest

    if CancelRequest.get_by_id(request_id).state == "open":
        requests.approve(desk, request_id)
    requests.cancel_order(desk, whole, ReasonCode.NOT_NEEDED)
    send_refunds(desk)
    for fmt, lang in (("csv", "zh"), ("xlsx", "en")):
        out = tmp_path / f"again.{fmt}"
        exports.export_orders(desk, OrderFilter(), out, fmt, lang=lang)
        report = import_file(desk, out)
        assert (report.refused, report.unchanged) == (0, 2), report.problems


def test_a_product_name_an_export_guards_as_a_formula_imports_back_as_itself(desk: Desk, tmp_path: Path,
                                                                            data_dir: Path) -> None:
    """A CSV export writes a text cell that starts like a formula (+ - = @) with a leading
    apostrophe; the import takes that guard off a name again: the same shop counts the rows
    unchanged, a new shop gets the product under its own name."""
    from .helpers import order, product

    names = ["+1年QQ会员", "-5元抵扣券", "=月卡", "@网易点卡"]
    for name in names:
        order(desk, "paid", prod=product(desk, name=name, ptype="direct_recharge", codes=0))
    out = tmp_path / "guarded.csv"
    exports.export_orders(desk, OrderFilter(), out, "csv", lang="zh")
    assert "'+1年QQ会员" in out.read_text(encoding="utf-8-sig")  # the export's guard
    report = import_file(desk, out)
    assert (report.refused, report.unchanged) == (0, 4), report.problems
    other = Desk.open(tmp_path / "other")
    try:
        assert import_file(other, out).inserted == 4
        assert sorted(n for (n,) in other.db.execute_sql("SELECT name FROM product")) == sorted(names)
    finally:
        other.close()
