"""``demo``: build the demo shop, optionally with local fake gateways, and open the desk."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from .common import add_command, open_window, run_with_desk
from .helptext import T
from .output import EXIT_OK, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``demo`` command to ``sub``."""
    p = add_command(sub, common, "demo", cmd_demo, T("建好演示店铺（已有则直接用）并打开桌面窗口",
                                                    "build the demo shop (or reuse it) and open the desk"))
    p.add_argument("--orders", type=int, default=2000, metavar="N",
                   help=T("演示订单数（默认 2000）", "number of demo orders (default 2000)"))
    p.add_argument("--no-gui", action="store_true", help=T("只建店铺，不打开窗口", "build the shop only; no window"))
    p.add_argument("--with-fakes", action="store_true", help=T(
        "同时在本机运行模拟的易支付/支付宝/微信支付服务器，演示订单经由它们退款",
        "also run local fake 易支付/Alipay/WeChat Pay servers and route demo orders through them"))


def cmd_demo(args: argparse.Namespace) -> int:
    from ..services import demo, views

    servers: list[Any] = []

    def body(desk: Any) -> int:
        added = demo.build(desk, args.orders)
        print(_summary(added, views.status_counts(desk)["all"], str(desk.data_dir), zh(args), not args.no_gui))
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

            stop(servers)


def _summary(added: dict[str, int], orders: int, data_dir: str, chinese: bool, opening: bool) -> str:
    """One line: what was built, or that the shop was already there (a relaunch builds nothing)."""
    if not any(added.values()):
        if chinese:
            return f"演示店铺已在 {data_dir}（{orders:,} 个订单）" + ("，直接打开" if opening else "")
        return f"the demo shop is already in {data_dir} ({orders:,} orders)" + ("; opening it" if opening else "")
    if chinese:
        return (f"演示店铺已建好：{added['products']} 个商品、{added['orders']:,} 个订单、{added['requests']} 个售后申请、"
                f"{added['refunds']} 笔退款（{data_dir}）")
    return (f"demo shop built: {added['products']} products, {added['orders']:,} orders, {added['requests']} requests, "
            f"{added['refunds']} refunds ({data_dir})")


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
