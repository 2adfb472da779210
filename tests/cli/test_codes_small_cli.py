"""Smaller card-code faults a new owner met on the command line: a cut list says so, a big
re-import prints a summary, an empty file is a usage error, English type labels, a policy value
out of range is a bad value, and 补单 says whether a code went out or the order waits for one."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import products
from kashop_desktop.services.desk import Desk

from ..services.helpers import order
from .conftest import once
from .test_cli import Cli, cli  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


def _stock(cli: Cli, tmp_path: Path, n: int) -> Path:  # noqa: F811
    cli("products", "add", "点卡", "--type", "卡密", "--price", "10")
    source = tmp_path / "in.txt"
    source.write_text("\n".join(f"SMALL-{i:05d}-ABCDEFGH" for i in range(n)), encoding="utf-8")
    cli("codes", "import", str(source), "--product", "点卡")
    return source


def test_list_says_when_it_is_cut_and_a_reimport_prints_a_summary(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    source = _stock(cli, tmp_path, 45)
    listed = cli("codes", "list", "--product", "点卡", "--limit", "10")
    assert "只列出前 10 个，共 45 个" in listed.stdout
    data = cli.json("codes", "list", "--product", "点卡", "--limit", "10")
    assert (len(data["codes"]), data["total"], data["truncated"]) == (10, 45, True)
    again = cli("codes", "import", str(source), "--product", "点卡", code=1)
    assert len(again.stderr.splitlines()) <= 2 * 20 + 4 and "另有 25 个重复" in again.stderr
    assert len(cli.json("codes", "import", str(source), "--product", "点卡", code=1)["duplicates"]) == 45
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    refused = cli("codes", "import", str(empty), "--product", "点卡", code=2)
    assert "没有卡密" in refused.stderr and "holds no codes" in refused.stderr


@once("English labels and a policy value's range")
def test_products_in_english_and_a_policy_value_out_of_range(cli: Cli) -> None:  # noqa: F811
    cli("products", "add", "点卡", "--type", "卡密", "--price", "10")
    listed = cli("products", "list", "--lang", "en")
    assert "Card code" in listed.stdout and "card_code" not in listed.stdout
    refused = cli("products", "set", "点卡", "cooling_off_minutes=99", code=2)
    assert "Traceback" not in refused.stderr


def test_mark_paid_says_delivered_or_waiting_for_codes(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    desk = Desk.open(cli.data_dir)
    products.add_product(desk, "点卡", ProductType.CARD_CODE, 10_00)
    waiting = order(desk, "pending_payment", prod=products.get_product("点卡"))
    desk.close()
    paid = cli("orders", "mark-paid", waiting, "--trade-no", "T-SMALL-1", "--yes")
    assert "缺货待发" in paid.stdout
    source = tmp_path / "one.txt"
    source.write_text("SMALL-ONLY-ABCDEFGH\n", encoding="utf-8")
    cli("codes", "import", str(source), "--product", "点卡")  # fills the backorder
    desk = Desk.open(cli.data_dir)
    second = order(desk, "pending_payment", prod=products.get_product("点卡"))
    desk.close()
    cli("codes", "import", str(tmp_path / "one.txt"), "--product", "点卡", code=1)
    source.write_text("SMALL-TWO-ABCDEFGH\n", encoding="utf-8")
    cli("codes", "import", str(source), "--product", "点卡")
    done = cli.json("orders", "mark-paid", second, "--trade-no", "T-SMALL-2", "--yes")
    assert done["delivered"] is True and done["backorder"] is False


@once("English counts' wording")
def test_english_counts_take_the_nouns_number(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    _stock(cli, tmp_path, 3)
    ids = [c["id"] for c in cli.json("codes", "list", "--product", "点卡")["codes"]]
    assert cli("--lang", "en", "codes", "lock", str(ids[0])).stdout.strip() == "locked 1 code"
    assert cli("--lang", "en", "codes", "unlock", str(ids[0])).stdout.strip() == "unlocked 1 code"
    assert cli("--lang", "en", "codes", "void", *map(str, ids[1:])).stdout.strip() == "voided 2 codes"
