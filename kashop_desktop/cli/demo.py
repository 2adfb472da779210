"""``demo``: build the demo shop, optionally with local fake gateways, and open the desk."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from .common import add_command, open_window, run_with_desk
from .output import EXIT_OK, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``demo`` command to ``sub``."""
    p = add_command(sub, common, "demo", cmd_demo, "build the demo shop (and open the desk)")
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--no-gui", action="store_true")
    p.add_argument("--with-fakes", action="store_true",
                   help="also run local fake 易支付/Alipay/WeChat Pay servers and route demo orders through them")


def cmd_demo(args: argparse.Namespace) -> int:
    from ..services import demo, demo_fakes

    servers: list[Any] = []

    def body(desk: Any) -> int:
        added = demo.build(desk, args.orders)
        print(("演示店铺已就绪：" if zh(args) else "demo shop ready: ") + json.dumps(added, ensure_ascii=False)
              + f"  ({desk.data_dir})")
        if args.with_fakes:
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
        from ..services.demo_fakes import stop

        stop(servers)


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
