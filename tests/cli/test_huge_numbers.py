"""A whole number too large for the store (or out of its sensible range) typed on the command line
is a usage error (exit 2, in Chinese and English) found while the command line is read: never
``内部错误（OverflowError）`` and exit 70. An id in range that no row has is "not found" (exit 1),
as any unknown id is. The bounds: ``cli.common`` (MAX_ID, MAX_COUNT), ``domain.holidays``
(MIN_YEAR, MAX_YEAR), ``services.sale.MAX_QUANTITY``, ``services.products.MAX_UNITS``."""

from __future__ import annotations

import pytest

from kashop_desktop.cli.common import MAX_COUNT, MAX_ID
from kashop_desktop.domain.holidays import MAX_YEAR, MIN_YEAR

from .conftest import PARSING_ONLY
from .test_cli import Cli, cli, shop  # noqa: F401 - the shared fixtures

pytestmark = [pytest.mark.usefixtures("store_kind"), PARSING_ONLY]

HUGE = "99999999999999999999"  # 10**20 - 1: more than SQLite's INTEGER holds
JUST_OVER = str(2**63)  # 9223372036854775808: one more than the largest signed 64-bit integer
PRODUCT = "爱奇艺会员月卡"  # a product of the `shop` fixture

#: (command, what the message names, the bound it names)
TOO_LARGE = [
    (("orders", "list", "--limit", HUGE), "--limit", f"at most {MAX_COUNT}"),
    (("orders", "list", "--limit", JUST_OVER), "--limit", f"at most {MAX_COUNT}"),
    (("codes", "list", "--product", "X", "--limit", HUGE), "--limit", f"at most {MAX_COUNT}"),
    (("codes", "list", "--product", PRODUCT, "--limit", HUGE), "--limit", f"at most {MAX_COUNT}"),
    (("refunds", "send", "--limit", HUGE), "--limit", f"at most {MAX_COUNT}"),
    (("refunds", "send", "--id", HUGE), "--id", f"at most {MAX_ID}"),
    (("requests", "approve", HUGE), "id", f"at most {MAX_ID}"),
    (("requests", "approve", JUST_OVER), "id", f"at most {MAX_ID}"),
    (("requests", "reject", HUGE, "--note", "x"), "id", f"at most {MAX_ID}"),
    (("codes", "lock", HUGE), "ID", f"at most {MAX_ID}"),
    (("codes", "lock", "1", HUGE), "ID", f"at most {MAX_ID}"),
    (("codes", "unlock", HUGE), "ID", f"at most {MAX_ID}"),
    (("refunds", "retry", HUGE), "id", f"at most {MAX_ID}"),
    (("holidays", "show", "--year", HUGE), "--year", f"at most {MAX_YEAR}"),
    (("holidays", "show", "--year", "1"), "--year", f"at least {MIN_YEAR}"),
    (("holidays", "remove", HUGE), "year", f"at most {MAX_YEAR}"),
    (("products", "add", "新品", "--type", "卡密", "--price", "1", "--threshold", HUGE), "--threshold",
     f"at most {MAX_COUNT}"),
    (("orders", "new", "--product", PRODUCT, "--qty", HUGE, "--buyer", "13800138000", "--manual", "cash"), "--qty",
     "at most 999"),
    (("gateways", "fake", "epay_v1", "--port", HUGE), "--port", "at most 65535"),
    (("demo", "--no-gui", "--orders", HUGE), "--orders", f"at most {MAX_COUNT}"),
]


def _no_crash(err: str) -> None:
    assert "Traceback" not in err and "内部错误" not in err and "internal error" not in err, err


@pytest.mark.parametrize(("command", "name", "bound"), TOO_LARGE, ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_a_number_out_of_range_is_a_usage_error(shop: Cli, command: tuple[str, ...], name: str,  # noqa: F811
                                                bound: str) -> None:
    err = shop(*command, code=2).stderr
    _no_crash(err)
    assert f"error: argument {name}: must be {bound}, not " in err
    assert f"错误：参数 {name}：" in err  # Chinese first, then English, as every usage error
    assert err.index("错误：") < err.index("error:")


def test_the_message_is_chinese_and_english_also_with_lang_en(shop: Cli) -> None:  # noqa: F811
    err = shop("orders", "list", "--limit", HUGE, "--lang", "en", code=2).stderr
    _no_crash(err)
    assert f"参数 --limit：至多为 {MAX_COUNT}，而不是 {HUGE}（例如 --limit 50）" in err
    assert f"argument --limit: must be at most {MAX_COUNT}, not {HUGE} (e.g. --limit 50)" in err


def test_a_json_command_says_the_usage_error_as_json_too(shop: Cli) -> None:  # noqa: F811
    out = shop("requests", "approve", HUGE, "--json", code=2)
    _no_crash(out.stderr)
    assert '"code": "usage"' in out.stdout and '"exit": 2' in out.stdout


@pytest.mark.parametrize("command", [("requests", "approve"), ("codes", "lock"), ("refunds", "retry")])
def test_the_largest_id_there_can_be_is_simply_not_found(shop: Cli, command: tuple[str, ...]) -> None:  # noqa: F811
    err = shop(*command, str(MAX_ID), code=1).stderr
    _no_crash(err)
    assert str(MAX_ID) in err


def test_the_largest_ids_and_limits_allowed_work(shop: Cli) -> None:  # noqa: F811
    assert shop.json("orders", "list", "--limit", str(MAX_COUNT))  # every order, no crash
    shop("codes", "list", "--product", PRODUCT, "--limit", str(MAX_COUNT))
    err = shop("refunds", "send", "--id", str(MAX_ID), "--limit", str(MAX_COUNT), code=1).stderr
    _no_crash(err)
    assert f"no refund #{MAX_ID}" in err
    shop("holidays", "show", "--year", str(MIN_YEAR))
    shop("holidays", "show", "--year", str(MAX_YEAR))


@pytest.mark.parametrize("key", ["threshold", "stock"])
def test_a_product_count_too_large_for_the_store_is_refused(shop: Cli, key: str) -> None:  # noqa: F811
    err = shop("products", "set", PRODUCT, f"{key}={HUGE}", code=2).stderr
    _no_crash(err)
    assert f"{key} must be at most 1000000000" in err
