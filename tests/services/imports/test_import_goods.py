"""Goods follow an import as they follow the desk's own 补单: a paid 卡密 order the file brings in or
moves to paid is delivered from stock or joins the backorder queue, exactly once however often the
file is imported; an unpaid order the file closes gives its reserved codes back."""

from __future__ import annotations

from pathlib import Path

from kashop_desktop.services.code_import import add_codes
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import import_file
from kashop_desktop.services.products import backorders
from kashop_desktop.store.models import CardCode, Order, OrderEvent, Product

HEAD = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,发货时间,支付方式,交易号,买家"


def write(tmp_path: Path, rows: list[str], name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEAD, *rows]) + "\n", encoding="utf-8")
    return path


def stocked(desk: Desk, name: str, codes: int) -> Product:
    product = Product.create(name=name, product_type="card_code", price_fen=30_00, stock=0)
    with desk.atomic():
        add_codes(desk, product.id, [f"IMPORT-GOODS-{product.id}-{i:03d}" for i in range(codes)])
    return product


def codes_of(order_no: str) -> list[CardCode]:
    order = Order.get(Order.order_no == order_no)
    return list(CardCode.select().where(CardCode.order_id == order.id))


def paid_row(no: str, product: str = "月卡") -> str:
    return f"{no},2026-11-18 09:00,{product},卡密,30.00,已支付,2026-11-18 09:01,,支付宝,T{no},13800138000"


def test_paid_card_orders_from_a_file_are_delivered_then_queued_and_never_twice(desk: Desk, tmp_path: Path) -> None:
    stocked(desk, "月卡", codes=2)
    path = write(tmp_path, [paid_row(f"IG{i}") for i in range(3)])
    report = import_file(desk, path)
    assert (report.inserted, report.delivered, report.backordered) == (3, 2, 1)
    delivered = [no for no in ("IG0", "IG1", "IG2") if Order.get(Order.order_no == no).status == "delivered"]
    assert delivered == ["IG0", "IG1"] and all(len(codes_of(no)) == 1 for no in delivered)
    assert [b.order_no for b in backorders(desk)] == ["IG2"]
    again = import_file(desk, path)  # the same file again: nothing moves, nothing is delivered twice
    # (the two the desk delivered are ahead of the file: counted unchanged, as any stale row)
    assert (again.unchanged, again.refused, again.delivered, again.backordered) == (3, 0, 0, 0)
    assert CardCode.select().where(CardCode.state == "delivered").count() == 2


def test_an_unpaid_order_the_file_moves_to_paid_is_delivered_once(desk: Desk, tmp_path: Path) -> None:
    stocked(desk, "月卡", codes=3)
    pending = "IGP1,2026-11-18 09:00,月卡,卡密,30.00,待支付,,,支付宝,,13800138000"
    assert import_file(desk, write(tmp_path, [pending], "a.csv")).inserted == 1
    assert not codes_of("IGP1")
    moved = import_file(desk, write(tmp_path, [paid_row("IGP1")], "b.csv"))
    assert (moved.updated, moved.delivered) == (1, 1)
    order = Order.get(Order.order_no == "IGP1")
    assert order.status == "delivered" and len(codes_of("IGP1")) == 1
    assert OrderEvent.select().where((OrderEvent.order == order.id) & (OrderEvent.action == "deliver")).count() == 1
    assert import_file(desk, write(tmp_path, [paid_row("IGP1")], "c.csv")).delivered == 0
    assert len(codes_of("IGP1")) == 1


def test_an_unpaid_order_the_file_closes_gives_its_reserved_codes_back(desk: Desk, tmp_path: Path) -> None:
    from kashop_desktop.services.codes import reserve_codes

    product = stocked(desk, "月卡", codes=2)
    pending = "IGC1,2026-11-18 09:00,月卡,卡密,30.00,待支付,,,支付宝,,13800138000"
    import_file(desk, write(tmp_path, [pending], "a.csv"))
    with desk.atomic():
        assert reserve_codes(desk, Order.get(Order.order_no == "IGC1")) == 1  # reserved as a desk sale would
    assert CardCode.select().where(CardCode.state == "reserved").count() == 1
    closed = "IGC1,2026-11-18 09:00,月卡,卡密,30.00,已取消,,,支付宝,,13800138000"
    assert import_file(desk, write(tmp_path, [closed], "b.csv")).updated == 1
    free = CardCode.select().where((CardCode.product == product.id) & (CardCode.state == "available")).count()
    assert free == 2 and not codes_of("IGC1")


def test_an_order_the_desk_delivered_that_the_older_system_delivered_too_warns(desk: Desk, tmp_path: Path) -> None:
    """Imported paid, the desk delivers a code from its stock; the older system's later export says
    it delivered the order itself at another time: counted unchanged (the desk's record stays) with
    a warning that the buyer may hold two codes. The same delivery time says nothing."""
    stocked(desk, "月卡", codes=1)
    assert import_file(desk, write(tmp_path, [paid_row("DT1")], "a.csv")).delivered == 1
    there = paid_row("DT1").replace("已支付,2026-11-18 09:01,,", "已发货,2026-11-18 09:01,2026-11-18 09:40,")
    for _ in range(2):
        report = import_file(desk, write(tmp_path, [there], "b.csv"))
        assert (report.refused, report.unchanged) == (0, 1), report.problems
        [said] = [w for w in report.warnings if w.column == "delivered_at"]
        assert "09:40" in said.zh and "two codes" in said.en
    assert len(codes_of("DT1")) == 1
    delivered_at = Order.get(Order.order_no == "DT1").delivered_at
    same = paid_row("DT1").replace("已支付,2026-11-18 09:01,,", f"已发货,2026-11-18 09:01,{_shown(delivered_at)},")
    assert not [w for w in import_file(desk, write(tmp_path, [same], "c.csv")).warnings if w.column == "delivered_at"]


def _shown(epoch: int) -> str:
    from kashop_desktop.domain.clock import from_epoch

    moment = from_epoch(epoch)
    assert moment is not None
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def test_a_dry_run_counts_what_the_import_would_deliver_queue_and_hold(desk: Desk, tmp_path: Path) -> None:
    """The dry run says, with the codes in stock now, what the import then does: the same
    delivered, backordered and held counts (new rows in file order, a stored unpaid order the
    file pays with a code reserved for it, a 循环卡密 product, a blocked buyer's order)."""
    from kashop_desktop.services.buyers import block
    from kashop_desktop.services.codes import reserve_codes

    stocked(desk, "月卡", codes=3)
    looped = Product.create(name="循环卡", product_type="card_code", price_fen=30_00, stock=0, reusable=True)
    with desk.atomic():
        add_codes(desk, looped.id, ["LOOPED-CODE-0001"])
    pending = "IGD0,2026-11-18 09:00,月卡,卡密,30.00,待支付,,,支付宝,,13800138001"
    import_file(desk, write(tmp_path, [pending], "a.csv"))
    with desk.atomic():
        assert reserve_codes(desk, Order.get(Order.order_no == "IGD0")) == 1  # its own: 2 left on the shelf
    block(desk, "13900139000", "拒付过")
    rows = [paid_row("IGD0").replace("13800138000", "13800138001"),
            *(paid_row(f"IGD{i}") for i in range(1, 4)),  # 2 from the shelf, the third waits
            paid_row("IGD4", "循环卡"), paid_row("IGD5", "循环卡"),  # one code serves both
            paid_row("IGD6", "新卡"),  # a product the shop has no code of yet
            paid_row("IGD7").replace("13800138000", "13900139000")]  # a blocked buyer's: held, not delivered
    path = write(tmp_path, rows, "b.csv")
    dry = import_file(desk, path, dry_run=True)
    assert CardCode.select().where(CardCode.state == "delivered").count() == 0  # nothing written
    done = import_file(desk, path)
    assert (done.updated, done.delivered, done.backordered, done.held) == (1, 5, 2, 1)
    assert (dry.delivered, dry.backordered, dry.held) == (done.delivered, done.backordered, done.held)
