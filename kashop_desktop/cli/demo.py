"""``demo``: build the demo shop, optionally with local fake gateways, and open the desk."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from .common import add_command, at_least_one, open_window, run_with_desk
from .helptext import T
from .output import EXIT_OK, EXIT_USAGE, print_error, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``demo`` command to ``sub``."""
    p = add_command(sub, common, "demo", cmd_demo, T("建好演示店铺（已有则直接用）并打开桌面窗口",
                                                    "build the demo shop (or reuse it) and open the desk"))
    p.add_argument("--orders", type=order_count, default=None, metavar="N",
                   help=T("演示订单数，至少 1（默认 2000；已有的演示店铺不重建，有真实订单的店铺拒绝）",
                        "number of demo orders, at least 1 (default 2000; a demo shop already there is not rebuilt, "
                        "a shop with real orders is refused)"))
    p.add_argument("--no-gui", action="store_true", help=T("只建店铺，不打开窗口", "build the shop only; no window"))
    p.add_argument("--with-fakes", action="store_true", help=T(
        "同时在本机运行模拟的易支付/支付宝/微信支付服务器，演示订单经由它们退款",
        "also run local fake 易支付/Alipay/WeChat Pay servers and route demo orders through them"))


def order_count(text: str) -> int:
    """``--orders``: a whole number of at least 1, else a usage error (exit 2) while the command
    line is read, before any folder or store is made."""
    return at_least_one(text, example=f"--orders {DEFAULT_ORDERS}")


def cmd_demo(args: argparse.Namespace) -> int:
    from ..services import demo, views

    servers: list[Any] = []
    if not args.no_gui and not has_display():
        print_error("没有可用的显示器，无法打开桌面窗口（店铺未建）。可用 --no-gui 只建店铺，或在 Xvfb 下运行："
                    "xvfb-run -a kashop-desktop demo …，或设 QT_QPA_PLATFORM=offscreen（不可见）",
                    "no display to open the desk window on (the shop was not built). Use --no-gui to build the "
                    "shop only, run it under Xvfb (xvfb-run -a kashop-desktop demo ...), or set "
                    "QT_QPA_PLATFORM=offscreen (nothing visible)")
        return EXIT_USAGE

    def body(desk: Any) -> int:
        demo.refuse_a_server(desk)
        demo.refuse_a_real_shop(desk)  # before the vault is opened or made: nothing written in a real shop
        vault = demo.ensure_demo_secrets(desk)  # the demo's 卡密 are sealed under a key in the secret store
        wanted = DEFAULT_ORDERS if args.orders is None else args.orders
        added = demo.build(desk, wanted)
        orders = views.status_counts(desk)["all"]
        print(_summary(added, orders, str(desk.data_dir), _chinese(args, desk), not args.no_gui))
        if args.orders is not None and not any(added.values()) and orders != args.orders:
            print(f"  --orders {args.orders} 未生效：这里已有演示店铺，不会重建；要新建请换一个 --data-dir / "
                  f"--orders {args.orders} was not applied: a demo shop is already here and is not rebuilt; "
                  "use another --data-dir for a new one")
        if vault:
            print(f"  密钥保险箱口令 / vault passphrase: {vault}")
        if args.with_fakes:
            from ..services import demo_fakes  # the fake servers pull in every gateway's client

            started, passphrase = demo_fakes.start(desk)
            servers.extend(started)
            for server in started:
                print(f"  fake {server.kind} on {server.url}")
            if passphrase:
                print(f"  密钥保险箱口令 / vault passphrase: {passphrase}")
            if args.no_gui:
                _send_refunds(desk)
        return EXIT_OK

    try:
        code = run_with_desk(args, body)
        if args.no_gui or code:
            return code
        return open_window(args)
    finally:
        if servers:
            from ..services.demo_fakes import stop

            urls = [s.url for s in servers]  # read while they run
            stop(servers)
            print_error(
                "模拟网关已随演示停止：演示店铺里指向它们的网关账户（" + "、".join(urls)
                + "）现在连不上；再次运行 kashop-desktop demo --with-fakes"
                + (f" --data-dir {args.data_dir}" if getattr(args, "data_dir", None) else "") + " 会重新启动它们并更新账户",
                "the fake gateways stopped with the demo: the demo shop's gateway accounts that point at them ("
                + ", ".join(urls) + ") cannot be reached now; run kashop-desktop demo --with-fakes"
                + (f" --data-dir {args.data_dir}" if getattr(args, "data_dir", None) else "")
                + " again to start them and update the accounts")


def _chinese(args: argparse.Namespace, desk: Any) -> bool:
    """The summary's language: ``--lang`` when given, else the language the desk is set to (the
    window about to open speaks it; Chinese unless the owner chose English in Settings)."""
    if "lang" in vars(args):
        return zh(args)
    return bool(desk.setting("language") != "en")


#: Demo orders built when --orders is not given.
DEFAULT_ORDERS = 2000


def has_display() -> bool:
    """Whether Qt can open a window here: always on Windows and macOS; on Linux and the like
    when DISPLAY or WAYLAND_DISPLAY is set or QT_QPA_PLATFORM names a platform (offscreen...),
    otherwise Qt's xcb plugin aborts the process (exit 134) instead of raising."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def _summary(added: dict[str, int], orders: int, data_dir: str, chinese: bool, opening: bool) -> str:
    """One line: what was built, or that the shop was already there (a relaunch builds nothing)."""
    if not any(added.values()):
        if chinese:
            return f"演示店铺已在 {data_dir}（{orders:,} 个订单）" + ("，直接打开" if opening else "")
        return f"the demo shop is already in {data_dir} ({orders:,} orders)" + ("; opening it" if opening else "")
    # Every count with the same thousands separator (a big shop has 200,015 orders and 19,871 requests).
    if chinese:
        return (f"演示店铺已建好：{added['products']:,} 个商品、{added['orders']:,} 个订单、{added['requests']:,} 个售后申请、"
                f"{added['refunds']:,} 笔退款（{data_dir}）")
    return (f"demo shop built: {added['products']:,} products, {added['orders']:,} orders, {added['requests']:,} "
            f"requests, {added['refunds']:,} refunds ({data_dir})")


def _send_refunds(desk: Any) -> None:
    from ..services.refund_queue import RefundQueue

    async def run() -> Any:
        queue = RefundQueue(desk)
        try:
            return await queue.send()
        finally:
            await queue.aclose()

    report = asyncio.run(run())
    print(f"  refunds sent: succeeded={report.succeeded} failed={report.failed} unknown={report.unknown}")
