"""The 卡密 inventory: sealed at rest (file, log, backup), import with duplicates, states,
delete with a preview, 回库, low stock, and migration 6 sealing codes already stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kashop_desktop.domain.codes import CodeState
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import code_import, codes, delivery, maintenance, products, views
from kashop_desktop.services import orders as ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.secrets import VaultStore
from kashop_desktop.store.models import CardCode, CodeEvent, Order

from .helpers import order

C = CodeState


def _product(desk: Desk, name: str = "点卡 50元", threshold: int = 0, reusable: bool = False) -> str:
    products.add_product(desk, name, ProductType.CARD_CODE, 50_00, threshold=threshold, reusable=reusable)
    return name


def _codes(n: int, prefix: str = "ZK") -> list[str]:
    return [f"{prefix}{i:06d}QWERTYUIOP{i * 7919 % 100000:05d}" for i in range(n)]


def _files(data_dir: Path) -> dict[str, bytes]:
    db = data_dir / "kashop.sqlite3"
    found = {"db": db.read_bytes()}
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        found["wal"] = wal.read_bytes()
    return found


@pytest.mark.sqlite_only(reason="SQLite by nature: reads the data file, its log and backups")
def test_imported_codes_are_nowhere_in_clear_file_log_or_backup(desk: Desk, data_dir: Path) -> None:
    name = _product(desk)
    lines = [*_codes(300), "CARD0001----PASSWORD0001", "CARD0002\tPASSWORD0002", "CARD0003, PASSWORD0003"]
    result = code_import.import_codes(desk, name, lines, batch="第一批", cost_fen=45_00)
    assert result.imported == 303 and result.plan.refused == 0
    backup = maintenance.backup(desk)
    haystacks = {**_files(data_dir), "backup": backup.read_bytes()}
    secrets = [c.encode() for c in lines[:300]] + [b"PASSWORD0001", b"PASSWORD0002", b"PASSWORD0003"]
    hits = [(where, s) for where, blob in haystacks.items() for s in secrets if s in blob]
    assert hits == [] and len(haystacks["db"]) > 0
    # ... and the owner still gets them back, a pair in its canonical form.
    no = order(desk, prod=products.get_product(name), quantity=2)
    ops.deliver(desk, no)
    _changes, clear = delivery.reveal_code(desk, no)
    assert clear.splitlines() == lines[:2]
    assert CardCode.select().where(CardCode.state == "available").count() == 301


def test_duplicates_in_the_text_and_in_the_store_are_reported_not_imported(desk: Desk) -> None:
    name = _product(desk)
    code_import.import_codes(desk, name, ["AAAA-1111-BBBB-2222", "CCCC-3333-DDDD-4444"])
    lines = ["卡密", "AAAA-1111-BBBB-2222", "EEEE-5555-FFFF-6666", "  ", "EEEE-5555-FFFF-6666", "x y z",
             "ＧＧＧＧ-7777-ＨＨＨＨ-8888", "GGGG-7777-HHHH-8888"]
    plan = code_import.plan_import(desk, name, lines)
    assert [p.code for p in plan.new] == ["EEEE-5555-FFFF-6666", "GGGG-7777-HHHH-8888"]
    assert [(d.line, d.first_line) for d in plan.duplicates] == [(2, None), (5, 3), (8, 7)]
    assert [p[0] for p in plan.problems] == [6] and "3" in plan.problems[0][1]
    result = code_import.import_codes(desk, name, lines)
    assert result.imported == 2 and CardCode.select().count() == 4


@pytest.mark.sqlite_only(reason="not ported to PostgreSQL yet: the 卡密 export's read snapshot")
def test_states_lock_unlock_void_and_delete_with_a_preview(desk: Desk) -> None:
    name = _product(desk, threshold=2)
    code_import.import_codes(desk, name, _codes(4))
    ids = [c.id for c in codes.list_codes(desk, name)]
    codes.move_codes(desk, ids[:1], C.LOCKED)
    assert [c.state for c in codes.list_codes(desk, name, C.LOCKED)] == [C.LOCKED]
    with pytest.raises(DomainError) as refused:
        codes.move_codes(desk, ids[:2], C.AVAILABLE)  # the second is not locked: nothing changes
    assert refused.value.code == "code_state" and codes.list_codes(desk, name, C.LOCKED)[0].id == ids[0]
    codes.move_codes(desk, ids[:1], C.AVAILABLE)
    no = order(desk, prod=products.get_product(name))
    ops.deliver(desk, no)
    delivered = CardCode.get(CardCode.order_id == Order.get(Order.order_no == no).id).id
    preview = codes.delete_preview(desk, [delivered, ids[2], ids[3]])
    assert preview.refused == [(delivered, C.DELIVERED)] and preview.stock[name] == (3, 1)
    assert preview.low_after == [name]
    with pytest.raises(DomainError):
        codes.delete_codes(desk, [delivered, ids[2]], confirmed=True)
    with pytest.raises(DomainError):
        codes.delete_codes(desk, [ids[2]], confirmed=False)
    codes.delete_codes(desk, [ids[2], ids[3]], confirmed=True)
    assert CardCode.select().count() == 2
    assert products.get_product(name).low_stock_raised


def test_low_stock_is_raised_once_and_again_only_after_a_restock(desk: Desk) -> None:
    name = _product(desk, threshold=2)  # empty: raised at once
    raised = lambda: [e.action for e in CodeEvent.select().where(  # noqa: E731
        CodeEvent.action.in_(["low_stock", "restocked"])).order_by(CodeEvent.id)]
    assert raised() == ["low_stock"]
    code_import.import_codes(desk, name, _codes(4))
    assert raised() == ["low_stock", "restocked"]
    p = products.get_product(name)
    for _ in range(4):
        ops.deliver(desk, order(desk, prod=p))
    assert raised() == ["low_stock", "restocked", "low_stock"]  # at 2, not again at 1 and 0
    assert [v.name for v in products.low_stock_products(desk)] == [name]


def test_return_to_stock_needs_a_refund_the_owners_word_and_leaves_an_event(desk: Desk) -> None:
    name = _product(desk)
    code_import.import_codes(desk, name, _codes(1))
    no = order(desk, prod=products.get_product(name))
    ops.deliver(desk, no)
    with pytest.raises(DomainError) as refused:
        codes.return_codes(desk, no, unused=True, note="买家未使用")
    assert refused.value.code == "not_refunded"
    Order.update(status="refunded").where(Order.order_no == no).execute()
    with pytest.raises(DomainError) as refused:
        codes.return_codes(desk, no, unused=False, note="x")
    assert refused.value.code == "unused_not_confirmed"
    codes.return_codes(desk, no, unused=True, note="查询卡密平台：未使用")
    assert [c.state for c in codes.list_codes(desk, name)] == [C.AVAILABLE]
    events = [e.action for e in views.order_detail(desk, no).events]
    assert "code_returned" in events


def test_void_before_refund_in_a_dispute(desk: Desk) -> None:
    name = _product(desk)
    code_import.import_codes(desk, name, _codes(2))
    no = order(desk, prod=products.get_product(name))
    ops.deliver(desk, no)
    assert codes.voidable(no)
    codes.void_order_codes(desk, no, note="争议：作废后退款")
    assert not codes.voidable(no)
    assert sorted(c.state for c in codes.list_codes(desk, name)) == [C.AVAILABLE, C.VOID]


def test_a_reusable_code_goes_to_every_buyer(desk: Desk) -> None:
    name = _product(desk, reusable=True)
    code_import.import_codes(desk, name, ["SHARED-ACCOUNT----pass1234"])
    p = products.get_product(name)
    nos = [order(desk, prod=p) for _ in range(3)]
    for no in nos:
        ops.deliver(desk, no)
    assert {delivery.reveal_code(desk, no)[1] for no in nos} == {"SHARED-ACCOUNT----pass1234"}
    assert [c.state for c in codes.list_codes(desk, name)] == [C.AVAILABLE]


def _downgrade_to_clear(data_dir: Path, clear: list[str], delivered: dict[str, str]) -> None:
    """Make the store look like one written before schema 6: codes in clear, version 4."""
    con = sqlite3.connect(data_dir / "kashop.sqlite3")
    con.executescript("""
        DROP TABLE card_code;
        CREATE TABLE card_code (id INTEGER NOT NULL PRIMARY KEY, product_id INTEGER NOT NULL, code VARCHAR(255)
            NOT NULL UNIQUE, order_id INTEGER, used VARCHAR(255) NOT NULL DEFAULT 'unknown');
        PRAGMA user_version = 4;""")
    if clear:
        pid = con.execute("SELECT id FROM product LIMIT 1").fetchone()[0]
        con.executemany("INSERT INTO card_code (product_id, code) VALUES (?, ?)", [(pid, c) for c in clear])
    for no, code in delivered.items():
        con.execute("UPDATE orders SET card_code = ? WHERE order_no = ?", (code, no))
    con.commit()
    con.close()


@pytest.mark.sqlite_only(reason="SQLite by nature: migration 6 of an older data file")
def test_migration_6_seals_every_stored_code_and_leaves_none_in_clear(data_dir: Path, clock) -> None:
    desk = Desk.open(data_dir, clock=clock)
    name = _product(desk)
    p = products.get_product(name)
    sold = {order(desk, "delivered", prod=p): f"OLDSOLD{i:04d}XYZXYZXYZ" for i in range(5)}
    desk.close()
    clear = _codes(200, "OLD")
    _downgrade_to_clear(data_dir, clear, sold)
    assert all(c.encode() in _files(data_dir)["db"] for c in clear[:3])
    locked = VaultStore(data_dir / "vault.json", passphrase="")
    with pytest.raises(DomainError) as refused:
        Desk.open(data_dir, clock=clock, secrets=locked)
    assert refused.value.code == "vault_locked"
    desk = Desk.open(data_dir, clock=clock)
    try:
        files = {**_files(data_dir), "backup": maintenance.backup(desk).read_bytes()}
        assert [c for c in [*clear, *sold.values()] if any(c.encode() in b for b in files.values())] == []
        assert [v.state for v in codes.list_codes(desk, name)] == [C.AVAILABLE] * 200
        no = next(iter(sold))
        assert delivery.reveal_code(desk, no)[1] == sold[no]
        plan = code_import.plan_import(desk, name, [*clear[:2], "NEW-CODE-0000000001"])
        assert len(plan.duplicates) == 2 and len(plan.new) == 1  # the old codes are in the index too
    finally:
        desk.close()


@pytest.mark.sqlite_only(reason="SQLite by nature: migration 6 of an older data file")
def test_a_store_without_codes_upgrades_without_any_passphrase(data_dir: Path, clock) -> None:
    Desk.open(data_dir, clock=clock).close()
    _downgrade_to_clear(data_dir, [], {})
    locked = VaultStore(data_dir / "vault.json", passphrase="")
    desk = Desk.open(data_dir, clock=clock, secrets=locked)
    desk.close()
    assert not (data_dir / "vault.json").exists()


def test_a_missing_key_is_never_replaced_by_a_new_one(desk: Desk, data_dir: Path, tmp_path: Path) -> None:
    name = _product(desk)
    code_import.import_codes(desk, name, _codes(2))
    desk.set_secrets(VaultStore(tmp_path / "other-vault.json", "another-passphrase"))
    with pytest.raises(DomainError) as refused:
        code_import.import_codes(desk, name, _codes(2, "NEW"))
    assert refused.value.code == "code_key_missing"
    # On a server store this is what a second PC meets: it says to bring the first PC's vault over,
    # never that a data file holds the codes.
    assert "数据文件里" not in refused.value.zh and "另一台电脑" in refused.value.zh
    assert "vault.json" in refused.value.en and "same vault passphrase" in refused.value.en


def test_a_dispute_is_approved_voiding_the_unused_code_first(desk: Desk) -> None:
    from kashop_desktop.domain.order import CodeUsed, ReasonCode
    from kashop_desktop.services import requests
    from kashop_desktop.store.models import Refund

    name = _product(desk)
    code_import.import_codes(desk, name, _codes(2))
    no = order(desk, prod=products.get_product(name))
    ops.deliver(desk, no)
    ops.set_code_used(desk, no, CodeUsed.NO, note="平台查询：未激活")
    _changes, request_id = requests.open_request(desk, no, ReasonCode.MERCHANT_FAULT, note="卡密无效")
    assert request_id is not None
    changes = requests.approve(desk, request_id, void_code=True)
    assert changes.code_ids and Refund.select().where(Refund.order == changes.order_ids.pop()).exists()
    assert sorted(c.state for c in codes.list_codes(desk, name)) == [C.AVAILABLE, C.VOID]
    assert "code_void" in [e.action for e in views.order_detail(desk, no).events]


def test_an_unpaid_order_reserves_codes_that_go_back_when_it_is_cancelled(desk: Desk) -> None:
    from kashop_desktop.domain.order import ReasonCode

    name = _product(desk)
    code_import.import_codes(desk, name, _codes(3))
    unpaid = order(desk, "pending_payment", prod=products.get_product(name), quantity=2)
    with desk.atomic():
        assert codes.reserve_codes(desk, Order.get(Order.order_no == unpaid)) == 2
    reserved = [c.id for c in codes.list_codes(desk, name, C.RESERVED)]
    other = order(desk, prod=products.get_product(name), quantity=2)
    with pytest.raises(DomainError):  # one code is free: the reserved two are not for others
        ops.deliver(desk, other)
    ops.cancel_unpaid(desk, unpaid, ReasonCode.NOT_NEEDED)
    assert codes.list_codes(desk, name, C.RESERVED) == []
    assert {c.id for c in codes.list_codes(desk, name, C.AVAILABLE)} >= set(reserved)
    ops.deliver(desk, other)
    assert len(codes.list_codes(desk, name, C.DELIVERED)) == 2


def test_codes_back_on_the_shelf_go_to_the_backorders_first(desk: Desk) -> None:
    from kashop_desktop.services import requests

    name = _product(desk)
    code_import.import_codes(desk, name, _codes(2))
    ids = [c.id for c in codes.list_codes(desk, name)]
    codes.move_codes(desk, ids, C.LOCKED)
    first, second = (order(desk, "pending_payment", prod=products.get_product(name)) for _ in range(2))
    for no in (first, second):
        ops.mark_paid(desk, no, f"T{no}", confirmed=True)
    assert [b.order_no for b in products.backorders(desk)] == [first, second]
    codes.move_codes(desk, ids[:1], C.AVAILABLE)  # unlocked: the oldest backorder takes it at once
    assert [b.order_no for b in products.backorders(desk)] == [second]
    CardCode.update(state="available").where(CardCode.id == ids[1]).execute()  # another desk's unlock
    _changes, counts = requests.sweep(desk)
    assert counts["backorders_delivered"] == 1 and products.backorders(desk) == []


def test_a_paid_order_cancelled_by_an_approved_request_gives_its_reserved_codes_back(desk: Desk) -> None:
    from kashop_desktop.domain.order import ReasonCode
    from kashop_desktop.services import requests

    name = _product(desk)
    code_import.import_codes(desk, name, _codes(2))
    no = order(desk, prod=products.get_product(name))
    with desk.atomic():
        codes.reserve_codes(desk, Order.get(Order.order_no == no))
    _changes, request_id = requests.open_request(desk, no, ReasonCode.MISTAKEN)
    if request_id is not None and views.request_view(desk, request_id).state == "open":
        requests.approve(desk, request_id)
    assert Order.get(Order.order_no == no).status == "cancelled"
    assert codes.list_codes(desk, name, C.RESERVED) == []
