"""The masked hint never shows a password and never a whole short code; schema 13 takes the old
hints out of the store (rows and tokens) and writes the new ones once the key is at hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.domain.codes import hint
from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import code_import, codes, delivery, products, views
from kashop_desktop.services import orders as ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import CardCode, Order

from .helpers import order


def test_the_hint_is_the_card_no_tail_and_at_most_a_third_of_it() -> None:
    assert hint("1234567890123456----000123") == "3456"
    assert hint("JDE-0001----pw") == "01"
    assert hint("ABCDEFGH") == "GH" and hint("ABCDEFGHIJK") == "IJK" and hint("ABC1234") == ""
    for code in ("1234567890123456----000123", "JDE-0001----pw", "CARD01----PASSWORD99"):
        number, _, password = code.partition("----")
        shown = hint(code)
        assert len(shown) <= min(4, len(number) // 3) and number.endswith(shown)
        assert not shown or shown not in password


def _old_style(desk: Desk, data_dir: Path) -> str:
    """A store as schema 8 left it: hints that end in the password, delivery's code_used 'no'."""
    products.add_product(desk, "点卡", ProductType.CARD_CODE, 10_00)
    code_import.import_codes(desk, "点卡", ["1234567890123456,000123", "JDE-0001,pw", "9876543210987654,777999"])
    no = order(desk, prod=products.get_product("点卡"))
    ops.deliver(desk, no)
    con = desk.db.connection()
    for code_id, token in con.execute("SELECT id, sealed FROM card_code").fetchall():
        head = token.rsplit(":", 1)[0]
        old = {1: "0123", 2: "--pw", 3: "7999"}[code_id]
        con.execute("UPDATE card_code SET sealed = ?, hint = ? WHERE id = ?", (f"{head}:{old}", old, code_id))
    order_row = Order.get(Order.order_no == no)
    head = order_row.card_code.rsplit(":", 1)[0]
    con.execute("UPDATE orders SET card_code = ?, code_used = 'no' WHERE id = ?", (f"{head}:0123", order_row.id))
    con.execute("PRAGMA user_version = 8")
    desk.close()
    return no


@pytest.mark.sqlite_only(reason="SQLite by nature: migration 13 of an older data file")
def test_schema_13_removes_old_hints_and_writes_new_ones_with_the_key(data_dir: Path, clock) -> None:
    desk = Desk.open(data_dir, clock=clock)
    no = _old_style(desk, data_dir)
    desk = Desk.open(data_dir, clock=clock)  # migration 13
    try:
        con = desk.db.connection()
        assert {h for (h,) in con.execute("SELECT hint FROM card_code")} == {""}
        assert all(t.endswith(":") for (t,) in con.execute("SELECT sealed FROM card_code"))
        assert Order.get(Order.order_no == no).card_code.endswith(":")
        assert views.order_detail(desk, no).code_used == "unknown"
        desk.code_cipher()  # the key at hand: hints written again
        shown = {c.id: c.masked for c in codes.list_codes(desk, "点卡")}
        assert shown == {1: "••••••••3456", 2: "••••••••01", 3: "••••••••7654"}
        assert views.order_detail(desk, no).card_code is not None
        assert views.mask_code(Order.get(Order.order_no == no).card_code) == "••••••••3456"
        assert CardCode.get_by_id(1).hint == "3456" and desk.setting("codes_rehint") is None
        _changes, clear = delivery.reveal_code(desk, no)
        assert clear == "1234567890123456----000123"  # the codes still open
    finally:
        desk.close()
    raw = (data_dir / "kashop.sqlite3").read_bytes()
    assert b":0123" not in raw and b":--pw" not in raw
