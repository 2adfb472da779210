"""The store's bootstrap and queries, and importing orders from CSV and XLSX."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.services import views
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.store import db as store_db
from kashop_desktop.store.models import Order

from .helpers import order

HEADER_ZH = "订单号,下单时间,商品,商品类型,数量,原价,优惠券,积分,实付金额,状态,支付时间,发货时间,支付方式,网关,交易号,买家,卡密已使用"


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    before = path.read_bytes()
    with pytest.raises(store_db.StoreError, match="newer"):
        store_db.open_store(path)
    assert path.read_bytes() == before


def test_migrating_an_older_file_backs_it_up_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "k.sqlite3"
    with monkeypatch.context() as m:  # a store written by the first version: schema 1 only
        m.setattr(store_db, "MIGRATIONS", store_db.MIGRATIONS[:1])
        m.setattr(store_db, "LATEST", 1)
        db = store_db.open_store(path)
        db.execute_sql("ALTER TABLE gateway_account DROP COLUMN last_test_message_en")
        db.execute_sql("INSERT INTO gateway_account (name, kind, config, secret_ref, enabled, created_at, "
                       "last_test_message) VALUES ('a', 'sandbox', '{}', '', 1, 0, 'ok')")
        db.close()
    assert store_db.schema_version(path) == 1
    db = store_db.open_store(path, backups=tmp_path / "backups")
    backups = list((tmp_path / "backups").glob("k-v1-*.sqlite3"))
    assert len(backups) == 1 and store_db.schema_version(backups[0]) == 1
    assert store_db.schema_version(path) == store_db.LATEST
    row = db.execute_sql("SELECT name, last_test_message, last_test_message_en FROM gateway_account").fetchone()
    assert row == ("a", "ok", "")
    db.close()


@pytest.mark.sqlite_only(reason="SQLite by nature: the data file's PRAGMAs")
def test_wal_and_foreign_keys_are_on(desk: Desk) -> None:
    assert desk.db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert desk.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_keyset_pages_match_offset_pages_and_search_kinds(desk: Desk) -> None:
    for i in range(25):
        order(desk, "pending_payment" if i % 3 else "paid", buyer=f"1390000{i:04d}", paid_minutes_ago=i)
    flt = views.OrderFilter()
    first = views.order_page(desk, flt, 10)
    after = views.keyset_of(first[-1], flt)
    assert views.order_page(desk, flt, 10, after=after) == views.order_page(desk, flt, 10, offset=10)
    by_amount = views.OrderFilter(sort="amount", descending=False)
    assert [r.paid_fen for r in views.order_page(desk, by_amount, 25)] == sorted(
        r.paid_fen for r in views.order_page(desk, by_amount, 25))
    assert views.count_orders(desk, views.OrderFilter(status="paid")) == 9
    assert views.count_orders(desk, views.OrderFilter(search="13900000007")) == 1  # phone
    assert views.count_orders(desk, views.OrderFilter(search="00000")) == 25  # substring of every phone
    some = views.order_page(desk, flt, 1)[0]
    assert views.count_orders(desk, views.OrderFilter(search=some.order_no[:-1])) >= 1  # order-no prefix
    assert views.order_page(desk, views.OrderFilter(search="T" + some.order_no), 5)[0].order_no == some.order_no
    assert views.search_kind("alice@example.com") == "email" and views.search_kind("13912345678") == "phone"


@pytest.mark.sqlite_only(reason="SQLite by nature: SQLite's query plan")
def test_prefix_search_uses_the_order_no_index(desk: Desk) -> None:
    from kashop_desktop.store.search import _probes

    probes = {name: (sql, params) for name, sql, params in _probes(desk.db, "KS2026", "order_no")}
    sql, params = probes["order_no"]
    plan = desk.db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    text = " ".join(str(r[-1]) for r in plan)
    assert "order_no" in text and "SCAN" not in text


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


ROWS = [
    "KSI001,2026-11-18 09:00,王者荣耀点券 60点,卡密,1,6.00,0,0,6.00,待发货,2026-11-18 09:01,,支付宝,,202611180001,13800138000,",
    "KSI002,2026-11-18 09:05,中国移动话费 50元,直充,1,50,0.50,0,49.50,已完成,2026-11-18 09:06,2026-11-18 09:07,微信,,202611180002,qq:1234567,是",
    "KSI003,2026-11-18 09:10,爱奇艺会员月卡,卡密,1,19.80,0,0,19.805,已支付,2026-11-18 09:11,,支付宝,,x,b,",
    "KSI004,not a date,爱奇艺会员月卡,卡密,1,19.80,0,0,19.80,已支付,,,支付宝,,x,b,",
    "KSI005,2026-11-18 09:20,实体卡,礼品,1,100,0,0,100,已支付,2026-11-18 09:21,,支付宝,,x,b,",
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_import_reports_per_row_and_imports_the_valid_rows(desk: Desk, tmp_path: Path, encoding: str) -> None:
    report = import_file(desk, write_csv(tmp_path / "o.csv", [HEADER_ZH, *ROWS], encoding))
    assert report.inserted == 2
    problems = {(p.row, p.column) for p in report.problems}
    assert problems == {(4, "paid_amount"), (5, "created_at"), (6, "product_type")}
    assert all(p.zh and p.en for p in report.problems)
    o = Order.get(Order.order_no == "KSI002")
    assert (o.status, o.paid_fen, o.coupon_fen, o.channel, o.code_used) == ("completed", 4950, 50, "wechat", "yes")
    assert views.order_detail(desk, "KSI001").events[0].action == "imported"


def test_reimport_moves_forward_never_backwards(desk: Desk, tmp_path: Path) -> None:
    """A later export moves the order on; the older one imported after it is behind the desk:
    counted unchanged (it brings nothing new), never moving the order back."""
    import_file(desk, write_csv(tmp_path / "a.csv", [HEADER_ZH, ROWS[0]]))
    forward = ROWS[0].replace("待发货,2026-11-18 09:01,", "已发货,2026-11-18 09:01,2026-11-18 09:30")
    report = import_file(desk, write_csv(tmp_path / "b.csv", [HEADER_ZH, forward]))
    assert report.updated == 1 and Order.get(Order.order_no == "KSI001").status == "delivered"
    report = import_file(desk, write_csv(tmp_path / "c.csv", [HEADER_ZH, ROWS[0]]))
    assert (report.updated, report.unchanged, report.refused) == (0, 1, 0)
    assert Order.get(Order.order_no == "KSI001").status == "delivered"
    assert import_file(desk, write_csv(tmp_path / "d.csv", [HEADER_ZH, forward])).unchanged == 1


def test_xlsx_import_with_english_headers(desk: Desk, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["order_no", "created_at", "product", "product_type", "paid_amount", "status", "buyer"])
    sheet.append(["KSX1", "2026-11-18 10:00", "Steam 钱包充值卡 100元", "card_code", 100, "pending_payment", "a@b.c"])
    sheet.append(["KSX2", "2026-11-18 10:00", "Steam", "card_code", 12.345, "pending_payment", "a@b.c"])
    path = tmp_path / "o.xlsx"
    book.save(path)
    report = import_file(desk, path)
    assert report.inserted == 1 and report.problems[0].row == 3
    assert Order.get(Order.order_no == "KSX1").paid_fen == 100_00


def test_bad_headers_are_refused_whole_and_unknown_columns_skipped(desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(DomainError, match="缺少必需的列"):
        import_file(desk, write_csv(tmp_path / "x.csv", ["订单号,商品", "1,2"]))
    report = import_file(desk, write_csv(tmp_path / "y.csv", [HEADER_ZH + ",备注", ROWS[0] + ",x"]))
    assert report.inserted == 1 and "备注" in report.notes[0][0]


def test_bulk_load_fills_the_buyer_index_and_restores_its_trigger(desk: Desk) -> None:
    from kashop_desktop.services.bulk import insert_orders

    order(desk, buyer="13911112222")
    rows = [{"order_no": f"KSB{i}", "created_at": 1, "product_name": "x", "product_type": "card_code",
             "list_fen": 1, "paid_fen": 1, "status": "pending_payment", "buyer": f"bulk{i}@example.com"}
            for i in range(50)]
    assert insert_orders(desk, rows, bulk=True) == 50
    assert views.count_orders(desk, views.OrderFilter(search="bulk4")) == 11  # bulk4, bulk40-49
    order(desk, buyer="after@example.com")  # the trigger is back
    assert views.count_orders(desk, views.OrderFilter(search="after@ex")) == 1
    assert views.count_orders(desk, views.OrderFilter(search="1111222")) == 1
