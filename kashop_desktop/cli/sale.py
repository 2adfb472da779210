"""``orders new``: a sale at the desk (新建订单), paid by a gateway's QR code or by hand."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

from ..domain.money import format_yuan
from .helptext import JSON_HELP, T
from .output import EXIT_OK, UsageError, print_error, print_json, status_label, zh


def register(orders: Any, common: argparse.ArgumentParser) -> None:
    """Add ``orders new`` to the ``orders`` noun's verbs."""
    from .common import add_command

    p = add_command(orders, common, "new", cmd_orders_new, T(
        "新建订单（桌面销售）：网关二维码收款，或手动收款（现金、银行转账、店内余额）后立即发货",
        "a sale at the desk: paid by a gateway's QR code, or by hand (cash, bank transfer, wallet) and delivered at "
        "once"))
    p.add_argument("--product", required=True, metavar="NAME", help=T("商品名", "the product's name"))
    p.add_argument("--qty", type=quantity, default=1, metavar="N", help=T("数量（默认 1）", "quantity (default 1)"))
    p.add_argument("--buyer", required=True, metavar="CONTACT", help=T(
        "买家联系方式：手机、QQ 或邮箱（按统一格式保存和搜索）", "the buyer's contact: phone, QQ or e-mail (kept and "
        "searched in one canonical form)"))
    p.add_argument("--coupon", default="", metavar="CODE", help=T("优惠券码", "a coupon code"))
    pay = p.add_mutually_exclusive_group(required=True)
    pay.add_argument("--gateway", metavar="NAME", help=T(
        "用这个网关账户生成收款二维码（支付宝当面付、微信 Native、易支付）", "create the QR payment with this gateway account "
        "(Alipay face-to-face, WeChat Native, 易支付)"))
    pay.add_argument("--manual", metavar="METHOD", choices=["cash", "bank_transfer", "wallet"], help=T(
        "已当面收款：cash 现金、bank_transfer 银行转账、wallet 店内余额；记为已支付并立即发货",
        "the money is already in: cash, bank_transfer or wallet; marked paid and delivered at once"))
    p.add_argument("--reference", default="", metavar="REF", help=T(
        "手动收款的凭证号（如银行转账流水号），记作交易号", "the manual payment's reference (e.g. the transfer's), "
        "recorded as the trade no"))
    p.add_argument("--qr-png", type=Path, metavar="FILE", help=T("把收款二维码另存为 PNG 图片",
                                                                 "also save the QR code as a PNG image"))
    p.add_argument("--force", action="store_true", help=T("--qr-png 的文件已存在时覆盖它",
                                                          "replace the --qr-png file if it exists"))
    p.add_argument("--show-codes", action="store_true", help=T(
        "手动收款时打印发出的卡密（会记入时间线）", "with --manual, print the delivered card codes (written to the timeline)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def _check_png_target(args: argparse.Namespace) -> None:
    """Refuse an unwritable --qr-png before any order is made (exit 2, nothing written): not in
    the data folder, an existing file only with --force (services.outfiles)."""
    from .. import paths
    from ..services.outfiles import OutputRefused, check_output

    path: Path | None = args.qr_png
    if path is None:
        return
    try:
        check_output(paths.data_dir(getattr(args, "data_dir", None)), path, force=args.force, suffixes=(".png",))
    except OutputRefused as exc:
        raise UsageError(f"--qr-png：{exc.zh}\n--qr-png: {exc.en}") from exc
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UsageError(f"--qr-png：无法写入 {path}（文件夹不存在或不可写）\n"
                         f"--qr-png: cannot write {path} (no such folder, or not writable)")


def save_qr_png(content: str, path: Path, *, replace: bool = False) -> None:
    """The QR code as a PNG: error correction M, 8 px a module, the 4-module quiet zone (segno);
    a file at ``path`` is replaced only when ``replace`` (--force)."""
    import segno

    from ..services.outfiles import write_atomically

    write_atomically(path, lambda tmp: segno.make(content, error="m", micro=False).save(
        str(tmp), kind="png", scale=8, border=4), replace=replace)


def quantity(text: str) -> int:
    """``--qty``: a whole number from 1 to ``services.sale.MAX_QUANTITY``, else a usage error (exit 2)
    while the command line is read."""
    from ..services.sale import MAX_QUANTITY
    from .common import whole_number

    return whole_number(text, 1, MAX_QUANTITY, "--qty 2")


def cmd_orders_new(args: argparse.Namespace) -> int:
    from ..domain.errors import DomainError
    from ..services.sale import SaleInput, check_reference, parse_buyer

    if args.qr_png is not None and args.manual:
        raise UsageError("--qr-png 只用于网关收款（--gateway）\n--qr-png is for a gateway payment (--gateway) only")
    if args.reference and not args.manual:  # a gateway payment's trade no is the gateway's own
        raise UsageError("--reference 只用于手动收款（--manual）\n--reference is for a manual payment (--manual) only")
    if args.show_codes and not args.manual:
        raise UsageError("--show-codes 只用于手动收款（--manual）\n--show-codes is for a manual payment (--manual) only")
    _check_png_target(args)
    from .common import run_with_desk

    try:
        parse_buyer(args.buyer)
    except DomainError as exc:  # a contact that is no contact is a bad value (exit 2), like --qty
        raise UsageError(f"--buyer：{exc.zh}\n--buyer: {exc.en}") from exc
    try:
        check_reference(args.reference)
    except DomainError as exc:  # the desk's own trade-no form is a bad value (exit 2)
        raise UsageError(f"--reference：{exc.zh}\n--reference: {exc.en}") from exc
    sale = SaleInput(args.product, args.qty, args.buyer, args.coupon, args.gateway, args.manual, args.reference)
    return run_with_desk(args, lambda desk: _manual(desk, sale, args) if args.manual else _gateway(desk, sale, args))


def _gateway(desk: Any, sale: Any, args: argparse.Namespace) -> int:
    from ..services.outfiles import check_output
    from ..services.payment_sync import PaymentSync
    from ..services.sale_flow import open_sale

    async def run() -> Any:
        sync = PaymentSync(desk)
        try:
            return await open_sale(desk, sale, sync)
        finally:
            await sync.aclose()

    try:
        _created, view = asyncio.run(run())
    except KeyboardInterrupt as exc:  # Ctrl+C: name the order that was voided, if one was made
        interrupted = _interrupted_sale(exc)
        if interrupted is not None:
            print_error(interrupted.zh, interrupted.en)
        raise
    if args.qr_png is not None:
        save_qr_png(view.qr_content or "", check_output(desk.data_dir, args.qr_png, force=args.force),
                    replace=args.force)
    if args.json:
        print_json({"order_no": view.order_no, "amount_fen": view.amount_fen, "status": view.status,
                    "gateway": view.gateway_name, "qr": view.qr_content, "trade_no": view.trade_no,
                    "expires_at": view.expires_at, "qr_png": str(args.qr_png) if args.qr_png else None})
        return EXIT_OK
    chinese = zh(args)
    print(f"{'订单号' if chinese else 'order no'}  {view.order_no}")
    print(f"{'金额' if chinese else 'amount'}  {format_yuan(view.amount_fen, symbol=True)}")
    print(f"{'网关' if chinese else 'gateway'}  {view.gateway_name}")
    print(f"{'二维码内容' if chinese else 'QR payload'}  {view.qr_content}")
    print(f"{'过期时间' if chinese else 'expires at'}  {view.expires_at:%Y-%m-%d %H:%M:%S}")
    if args.qr_png is not None:
        print(f"{'二维码图片' if chinese else 'QR image'}  {args.qr_png}")
    print_error(f"买家扫码付款后，窗口的后台同步或 kashop-desktop payments sync --order {view.order_no} 会补单并发货",
                f"once the buyer pays, the window's background sync or kashop-desktop payments sync --order "
                f"{view.order_no} marks it paid and delivers")
    return EXIT_OK


def _interrupted_sale(exc: BaseException) -> Any:
    """The SaleInterrupted behind a KeyboardInterrupt (asyncio.run raises it while handling the
    cancelled sale), or None."""
    from ..services.sale_flow import SaleInterrupted

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SaleInterrupted):
            return seen
        seen = seen.__context__ or seen.__cause__
    return None


def _manual(desk: Any, sale: Any, args: argparse.Namespace) -> int:
    from ..domain.errors import DomainError
    from ..domain.roles import Right
    from ..services.delivery import reveal_code
    from ..services.sale import create_order
    from ..services.sale_flow import sale_view

    if args.show_codes:
        # Asked before the sale is made: a locked vault or a missing right must refuse the sale, not
        # make it and then fail (a retry would sell, and deliver, a second time).
        desk.require(Right.REVEAL_CODE)
        desk.code_cipher()
    created = create_order(desk, sale, confirmed=True)
    view = sale_view(desk, created.order_no)
    codes: list[str] = []
    if args.show_codes and view.codes:
        try:
            codes = reveal_code(desk, view.order_no)[1].splitlines()
        except DomainError as exc:  # the sale stands: say it, and how to see the code
            print_error(f"订单 {view.order_no} 已售出并发货，但卡密无法显示：{exc.zh}；之后用 kashop-desktop codes reveal "
                        f"{view.order_no} 查看，不要重新下单",
                        f"order {view.order_no} is sold and delivered, but its code cannot be shown: {exc.en}; see it "
                        f"later with kashop-desktop codes reveal {view.order_no}, do not sell it again")
    if args.json:
        print_json({"order_no": view.order_no, "amount_fen": view.amount_fen, "status": view.status,
                    "method": args.manual, "trade_no": view.trade_no, "delivered": view.delivered_at is not None,
                    "held": view.held, "backorder": view.backorder, "codes": codes if args.show_codes else None})
    else:
        chinese = zh(args)
        print(f"{'订单号' if chinese else 'order no'}  {view.order_no}")
        print(f"{'金额' if chinese else 'amount'}  {format_yuan(view.amount_fen, symbol=True)}")
        print(f"{'状态' if chinese else 'status'}  {status_label(view.status, args)}")
        for code in codes:
            print(f"{'卡密' if chinese else 'code'}  {code}")
    _manual_notes(view, args)
    return EXIT_OK


def _manual_notes(view: Any, args: argparse.Namespace) -> None:
    if view.held:
        print_error(f"订单 {view.order_no} 扣留待审（买家在黑名单）：已记为已支付，放行后才发货",
                    f"order {view.order_no} is held for review (blocked buyer): recorded as paid, delivered once "
                    "released")
    elif view.backorder:
        print_error(f"订单 {view.order_no} 已支付，卡密不足：已加入缺货待发，导入卡密后自动发货",
                    f"order {view.order_no} is paid but short of codes: it waits in the backorder queue")
    elif view.codes and not args.show_codes:
        print_error(f"卡密已发出；查看：kashop-desktop codes reveal {view.order_no}（或加 --show-codes）",
                    f"the code is delivered; to see it: kashop-desktop codes reveal {view.order_no} (or add "
                    "--show-codes)")
