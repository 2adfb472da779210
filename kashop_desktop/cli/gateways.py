"""``gateways``: gateway accounts and plugins: list, kinds, add, test, fake."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from .common import add_command, add_noun, int_type, run_with_desk
from .helptext import JSON_HELP, T
from .output import EXIT_OK, EXIT_REFUSED, UsageError, print_error, print_json, table, zh

GATEWAY_NAME_HELP = T("网关账户名", "the gateway account's name")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``gateways`` noun and its verbs to ``sub``."""
    gws = add_noun(sub, "gateways", T("支付网关账户", "gateway accounts"))
    p = add_command(gws, common, "list", cmd_gateways_list, T("列出网关账户", "list the gateway accounts"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(gws, common, "kinds", cmd_gateways_kinds, T("已安装的网关插件及其能力",
                                                                "installed gateway plugins and what they can do"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(gws, common, "add", cmd_gateways_add, T("添加网关账户（密钥存入系统钥匙串或加密保险箱）",
                                                            "add a gateway account (secrets to the OS keyring or vault)"))
    p.add_argument("name", help=GATEWAY_NAME_HELP)
    p.add_argument("--kind", required=True, help=T("网关类型（见 gateways kinds）", "the gateway kind (see gateways kinds)"))
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=T(
        "一项设置（可重复）；KEY=@FILE 从文件读取（PEM 密钥）", "a setting (repeatable); KEY=@FILE reads a file (PEM keys)"))
    p.add_argument("--replace", action="store_true", help=T("账户已存在时更新它", "update the account if it exists"))
    p = add_command(gws, common, "test", cmd_gateways_test, T("测试网关账户的连接和凭据",
                                                              "test a gateway account's connection and credentials"))
    p.add_argument("name", help=GATEWAY_NAME_HELP)
    p = add_command(gws, common, "secrets", cmd_gateways_secrets, T(
        "密钥存放在哪里（系统钥匙串或口令保险箱）；--use 把全部密钥移过去",
        "where keys are kept (the OS keyring or the passphrase vault); --use moves them all"))
    p.add_argument("--use", choices=("keyring", "vault"), help=T("改用系统钥匙串（keyring）或本机保险箱（vault）",
                                                                 "move to the OS keyring or the local vault"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(gws, common, "fake", cmd_gateways_fake, T("在本机运行模拟网关服务器（测试用）",
                                                              "run a local fake gateway server (for testing)"))
    p.add_argument("kind", help=T("epay_v1、epay_v2、alipay 或 wechatpay_v3", "epay_v1, epay_v2, alipay or wechatpay_v3"))
    p.add_argument("--port", type=int_type(0, 65535, "--port 8080"), default=0, help=T("端口（默认：任一空闲端口）", "port (default: any free one)"))
    p.add_argument("--host", default="127.0.0.1", help=T("监听地址（默认 127.0.0.1）", "address to listen on "
                                                                                      "(default 127.0.0.1)"))


def cmd_gateways_secrets(args: argparse.Namespace) -> int:
    from ..services import gateways

    def body(desk: Any) -> int:
        status = gateways.switch_secret_store(desk, args.use) if args.use else gateways.secret_status(desk)
        if args.json:
            print_json(status)
            return EXIT_OK
        where = {"keyring": ("系统钥匙串", "the OS keyring"), "vault": ("本机保险箱（vault.json，口令解锁）",
                                                               "the local vault (vault.json, unlocked by a passphrase)")}
        print(f"密钥存放在：{where[status.backend][0]}" if zh(args) else f"keys are kept in {where[status.backend][1]}")
        if not status.keyring_available:
            print("这台电脑没有可用的系统钥匙串" if zh(args) else "this PC has no working OS keyring")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_gateways_list(args: argparse.Namespace) -> int:
    from ..services import gateways
    from ..services.views import to_json

    def body(desk: Any) -> int:
        gateways.ensure_builtin_accounts(desk)
        accounts = gateways.list_accounts(desk)
        if args.json:
            print_json([to_json(a) for a in accounts])
            return EXIT_OK
        table([[a.name, a.kind, a.title_zh if zh(args) else a.title_en, ",".join(a.capabilities),
                {None: "-", True: "OK", False: "✗"}[a.last_test_ok]] for a in accounts],
              ["名称", "类型", "说明", "能力", "测试"] if zh(args) else ["name", "kind", "title", "capabilities", "test"])
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_gateways_kinds(args: argparse.Namespace) -> int:
    from ..gateways.registry import entry_point_names
    from ..services.gateways import kinds

    found = kinds()
    if args.json:
        print_json({"entry_points": entry_point_names(), "kinds": [
            {"kind": k.kind, "title_zh": k.title_zh, "title_en": k.title_en,
             "capabilities": sorted(c.value for c in k.capabilities),
             "fields": [{"key": f.key, "secret": f.secret, "required": f.required} for f in k.fields]}
            for k in found.values()]})
    else:
        for k in found.values():
            print(f"{k.kind:<14} {k.title_zh}  ({', '.join(f.key for f in k.fields)})")
    return EXIT_OK


def cmd_gateways_add(args: argparse.Namespace) -> int:
    from ..services.gateways import read_value, save_account

    values: dict[str, str] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set 要写成 键=值，收到的是 {item!r}\n--set needs KEY=VALUE, got {item!r}")
        values[key.strip()] = read_value(value)

    def body(desk: Any) -> int:
        view = save_account(desk, args.name, args.kind, values, replace=args.replace)
        print(f"已保存网关账户 {view.name}（{view.title_zh}）" if zh(args)
              else f"saved gateway account {view.name} ({view.title_en})")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_gateways_test(args: argparse.Namespace) -> int:
    from ..services.gateways import probe_account, record_test

    def body(desk: Any) -> int:
        report = asyncio.run(probe_account(desk, args.name))
        recorded = record_test(desk, args.name, report)
        print(f"{'OK' if report.ok else '✗'} {report.message_zh} / {report.message_en} {report.detail}".rstrip())
        if not recorded:  # a viewer tests, but changes nothing: the account's 上次测试 stays as it was
            print_error("只读操作员的测试结果不保存：网关账户的“上次测试”没有改动",
                        "a viewer's test result is not recorded: the account's last test stays as it was")
        return EXIT_OK if report.ok else EXIT_REFUSED

    return run_with_desk(args, body)


def cmd_gateways_fake(args: argparse.Namespace) -> int:
    import signal
    import threading

    from ..gateways.fakes import fake_class

    try:
        cls = fake_class(args.kind)
    except (KeyError, ImportError) as exc:
        raise UsageError(f"网关类型 {args.kind!r} 没有模拟服务器\nno fake server for gateway kind {args.kind!r}") from exc
    server = cls(args.host, args.port).start()
    print(f"fake {args.kind} listening on {server.url}")
    config = server.account_config(args.kind) if hasattr(server, "account_config") else {}
    print(f"account settings (use with: gateways add NAME --kind {args.kind} --set KEY=VALUE ...):")
    print(json.dumps(config, ensure_ascii=False, indent=2))
    print(f"a buyer pays a waiting trade / 买家付款: curl -X POST {server.url}__fake__/pay "
          "-H 'Content-Type: application/json' -d '{\"out_trade_no\": \"ORDER_NO\"}'")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK
