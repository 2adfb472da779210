"""``products``: list, add and change products (商品): price, SKU, low-stock threshold, reusable
codes, and the cancel-policy overrides a product may have."""

from __future__ import annotations

import argparse
from typing import Any

from ..domain.errors import DomainError, MoneyError
from ..domain.money import format_yuan, parse_yuan
from .common import MAX_COUNT, add_command, add_noun, int_type, run_with_desk
from .helptext import JSON_HELP, T
from .output import EXIT_OK, UsageError, changes_json, print_json, table, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``products`` noun and its verbs to ``sub``."""
    from ..services.products import PRODUCT_KEYS

    products = add_noun(sub, "products", T("商品及其库存", "products and their stock"))
    p = add_command(products, common, "list", cmd_products_list, T(
        "商品：价格、库存、低库存提醒", "products with price, stock and low-stock warning"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(products, common, "add", cmd_products_add, T("添加商品", "add a product"))
    p.add_argument("name", help=T("商品名称", "the product's name"))
    p.add_argument("--type", required=True, help=T("卡密、直充或实物（或 card_code、direct_recharge、physical）",
                                                   "card_code, direct_recharge or physical (or the Chinese words)"))
    p.add_argument("--price", required=True, metavar="YUAN", help=T("价格，单位元，如 50 或 49.90",
                                                                    "price in yuan, e.g. 50 or 49.90"))
    p.add_argument("--threshold", type=int_type(0, MAX_COUNT, "--threshold 5"), default=0, metavar="N", help=T(
        "库存降到 N 时提醒（0：不提醒）", "low-stock warning at this many units (0: off)"))
    p.add_argument("--reusable", action="store_true", help=T("循环卡密：同一个卡密发给每位买家",
                                                             "reusable: one code for every buyer"))
    p.add_argument("--sku", default="", help=T("SKU 或面值说明", "SKU or face value text"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    zh_keys = "、".join(f"{k}（{v[1]}）" for k, v in PRODUCT_KEYS.items())
    en_keys = ", ".join(f"{k} ({v[2]})" for k, v in PRODUCT_KEYS.items())
    p = add_command(products, common, "set", cmd_products_set, T(
        f"修改商品：{zh_keys}；或退款政策项（见 policy set --help），KEY= 表示沿用店铺设置",
        f"change a product: {en_keys}; or a policy override (policy set --help), KEY= removes it"))
    p.add_argument("name", help=T("商品名称", "the product's name"))
    p.add_argument("pairs", nargs="+", metavar="KEY=VALUE", help=T("要修改的项", "what to change"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_products_list(args: argparse.Namespace) -> int:
    from ..services.products import list_products

    def body(desk: Any) -> int:
        found = list_products(desk)
        if args.json:
            print_json({"products": found})
            return EXIT_OK
        header = (["商品", "类型", "价格", "库存", "低库存阈值", "缺货待发", "提醒"] if zh(args)
                  else ["product", "type", "price", "stock", "threshold", "backorders", "warning"])
        rows = [[p.name, p.product_type.zh if zh(args) else p.product_type.en, format_yuan(p.price_fen),
                 str(p.stock) + (" ∞" if p.reusable else ""), str(p.threshold or "—"), str(p.backorders),
                 ("库存不足" if zh(args) else "low stock") if p.low_stock else ""] for p in found]
        table(rows, header)
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_products_add(args: argparse.Namespace) -> int:
    from ..services.products import add_product, product_type

    try:
        price = parse_yuan(args.price)
        kind = product_type(args.type)
    except (MoneyError, DomainError) as exc:
        raise UsageError(f"{exc.zh}\n{exc.en}") from exc
    if args.threshold < 0:
        raise UsageError("--threshold 不能为负\n--threshold cannot be negative")

    def body(desk: Any) -> int:
        changes = add_product(desk, args.name, kind, price, threshold=args.threshold, reusable=args.reusable,
                              sku=args.sku)
        if args.json:
            print_json(changes_json(changes, product_ids=sorted(changes.product_ids)))
        else:
            print(f"已添加商品：{args.name}" if zh(args) else f"product added: {args.name}")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_products_set(args: argparse.Namespace) -> int:
    from ..domain.errors import PolicyError
    from ..services.products import PRODUCT_KEYS, parse_setting, set_product

    values: dict[str, Any] = {}
    for pair in args.pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"应为 KEY=VALUE：{pair!r}\nexpected KEY=VALUE: {pair!r}")
        if not text.strip() and key.strip() not in PRODUCT_KEYS:
            values[key.strip()] = None  # a policy override removed: the shop's policy applies
            continue
        try:
            values.update([parse_setting(key, text)])
        except DomainError as exc:
            raise UsageError(f"{exc.zh}\n{exc.en}") from exc

    def body(desk: Any) -> int:
        try:
            changes = set_product(desk, args.name, values)
        except PolicyError as exc:  # a value out of range is a bad value (exit 2), like one that does not parse
            raise UsageError(f"{exc.zh}\n{exc.en}") from exc
        if args.json:
            print_json(changes_json(changes, product_ids=sorted(changes.product_ids)))
        else:
            print(f"已修改商品：{args.name}" if zh(args) else f"product changed: {args.name}")
        return EXIT_OK

    return run_with_desk(args, body)
