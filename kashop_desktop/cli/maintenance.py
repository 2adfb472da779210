"""``sweep``, ``check``, ``backup`` and ``restore``: keeping the shop and its database in order."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.clock import SHOP_TZ
from ..domain.states import OrderStatus
from . import labels
from .common import add_command, open_desk, run_with_desk
from .helptext import JSON_HELP, T
from .output import EXIT_OK, EXIT_REFUSED, print_error, print_json, table, zh


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``sweep``, ``check`` and ``backup`` commands to ``sub``."""
    p = add_command(sub, common, "sweep", cmd_sweep, T("关闭超时未付订单、自动批准符合规则的申请、标出逾期申请",
                                                       "expire unpaid orders, auto-approve, flag overdue requests"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(sub, common, "check", cmd_check, T("检查数据文件（完整性、重复交易号）",
                                                       "check the database (integrity, shared trade nos)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(sub, common, "backup", cmd_backup, T("备份数据文件（--list：列出已有备份）",
                                                         "back up the database (--list: the backups kept)"))
    p.add_argument("path", nargs="?", type=Path, help=T("备份写到这里（默认：数据文件夹下的 backups/）",
                                                        "where to write it (default: backups/ in the data folder)"))
    p.add_argument("--list", action="store_true", help=T("列出备份及其日期和大小",
                                                         "list the backups with their dates and sizes"))
    p.add_argument("--force", action="store_true", help=T("备份文件已存在时覆盖它", "replace the named file if it exists"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(sub, common, "restore", cmd_restore, T(
        "从备份恢复（先检查备份；当前数据文件保留在 set-aside/）",
        "restore a backup (checked first; the current data file is kept in set-aside/)"))
    p.add_argument("backup", type=Path, help=T("备份文件", "the backup file"))
    p.add_argument("--yes", action="store_true", help=T(
        "备份会撤销之后的退款、付款、发货或售出的卡密时也恢复（不加时先列出它们）",
        "restore even though the backup undoes refunds, payments, deliveries or code sales made since (named "
        "first without it)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..services.requests import sweep

    def body(desk: Any) -> int:
        _, counts = sweep(desk, by_hand=True)
        if args.json:
            print_json({**counts, "now": desk.now()})
        else:
            print(labels.counts_line(counts, args))
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_check(args: argparse.Namespace) -> int:
    from ..services.maintenance import check

    def body(desk: Any) -> int:
        from ..services.products import backorders, low_stock_products
        from ..services.views import to_json

        report = check(desk)
        low, waiting = low_stock_products(desk), backorders(desk)
        if args.json:
            print_json({**to_json(report), "low_stock": [{"product": p.name, "stock": p.stock, "threshold": p.threshold}
                                                         for p in low], "backorders": len(waiting)})
        else:
            counts = "未核对/unchecked" if report.counts_match is None else report.counts_match
            print(f"{'OK' if report.ok else '✗'} integrity={report.integrity} fk_problems={report.foreign_key_problems}"
                  f" schema={report.schema_version} orders={report.orders} counts_match={counts}")
            if report.code_key_message is not None:
                print(f"  {report.code_key_message[0]} / {report.code_key_message[1]}")
            elif report.code_key == "locked":
                print("  卡密密钥未核对：保险箱未解锁（设置 KASHOP_VAULT_PASSPHRASE） / the card-code key was not "
                      "checked: the vault is locked (set KASHOP_VAULT_PASSPHRASE)")
            if report.import_running:
                print("  正在导入（另一个进程）：状态计数在导入结束后才核对 / an import is running in another process: "
                      "the status counts are checked once it ends")
            for trade_no, order_nos in report.duplicate_trade_nos:
                print(f"  交易号 {trade_no} 被多个订单使用 / trade no {trade_no} is held by several orders: "
                      f"{' '.join(order_nos)}")
            _print_refund_unknown(report)
            for p in low:
                print(f"  库存不足：{p.name} 剩 {p.stock}（阈值 {p.threshold}） / low stock: {p.name} has {p.stock} "
                      f"(threshold {p.threshold})")
            if waiting:
                print(f"  缺货待发 {len(waiting)} 单（orders backorders） / {len(waiting)} backorders (orders backorders)")
            _print_log(report)
            if report.report_tables_wrong:
                names = ", ".join(report.report_tables_wrong)
                print(f"  报表数据与订单不符：{names}（运行 reports rebuild 重建） / the report tables disagree with the "
                      f"orders: {names} (run reports rebuild to rebuild them)")
        return EXIT_OK if report.ok else EXIT_REFUSED

    return run_with_desk(args, body)


def _print_refund_unknown(report: Any) -> None:
    """The orders whose refunded amount is unknown: the first ones listed, the rest counted."""
    if not report.refund_unknown:
        return
    print(f"  这 {report.refund_unknown_total} 单的已退金额未知（可能已在旧系统退过款），退款前请先在旧系统核对 / the refunded "
          f"amount of these {report.refund_unknown_total} orders is unknown (the old system may have refunded them); "
          "check there before refunding any of them:")
    for order_no, status in report.refund_unknown:
        print(f"    {order_no} {OrderStatus(status).zh} / {OrderStatus(status).en}")
    more = report.refund_unknown_total - len(report.refund_unknown)
    if more > 0:
        print(f"    ……另有 {more} 单未列出 / … and {more} more not listed")


def _print_log(report: Any) -> None:
    if not report.log_breaks:
        print(f"  操作日志完好（{report.log_rows} 行哈希链无误）/ the log holds ({report.log_rows} chained rows verified)")
    for broken in report.log_breaks:
        print(f"  操作日志被篡改：{broken.zh} / the log was tampered with: {broken.en}")
    if report.log_anchor_message is not None:
        print(f"  {report.log_anchor_message[0]} / {report.log_anchor_message[1]}")
    for zh_text, en_text in report.state_disagreements:
        print(f"  数据与操作日志不符：{zh_text} / the data disagrees with the log: {en_text}")


def cmd_backup(args: argparse.Namespace) -> int:
    from ..services.maintenance import backup

    if args.list:
        return _list_backups(args)

    def body(desk: Any) -> int:
        path = backup(desk, args.path, force=args.force)
        print_json({"path": str(path)}) if args.json else print(path)
        return EXIT_OK

    return run_with_desk(args, body)


def _list_backups(args: argparse.Namespace) -> int:
    from .. import paths
    from ..services.maintenance import list_backups
    from ..services.store_choice import file_backups_note

    folder = paths.data_dir(getattr(args, "data_dir", None), create=False)
    note = file_backups_note(folder, getattr(args, "db", None))
    if note is not None:
        print_error(*note)
    found = list_backups(folder)
    if args.json:
        print_json([{"path": str(b.path), "taken_at": _when(b.taken_at), "size_bytes": b.size, "kind": b.kind}
                    for b in found])
        return EXIT_OK
    kinds = {"auto": ("自动", "auto"), "manual": ("手动", "manual"), "migration": ("升级前", "before upgrade")}
    table([[str(b.path), f"{_when(b.taken_at):%Y-%m-%d %H:%M}", f"{b.size / 1_048_576:.1f} MB",
            kinds[b.kind][0 if zh(args) else 1]] for b in found],
          ["备份", "时间", "大小", "类型"] if zh(args) else ["backup", "taken", "size", "kind"])
    return EXIT_OK


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, SHOP_TZ)


def _authorize_restore(args: argparse.Namespace) -> str:
    """Only the owner restores (once the shop has several operators, ``--operator`` says who).
    A store that cannot be opened (damaged: the usual reason to restore) holds no operators to
    ask, so its restore goes ahead; restore() itself checks the backup through and through.
    Returns who restores ("" when no store could be opened to ask)."""
    from .. import paths
    from ..domain.errors import StoreUnusable
    from ..services.maintenance import authorize_restore

    if not (paths.data_dir(getattr(args, "data_dir", None)) / paths.DB_FILENAME).exists():
        return ""  # no shop here yet: nobody to ask
    try:
        desk = open_desk(args)
    except StoreUnusable:
        return ""
    try:
        authorize_restore(desk)
        return desk.operator.name if desk.operator else ""
    finally:
        desk.close()


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup back (no desk is opened first: the current file may be damaged)."""
    from .. import paths
    from ..services.maintenance import restore, server_restore_refusal
    from ..store.server import env_url

    refusal = server_restore_refusal(getattr(args, "db", None) or env_url())
    if refusal is not None:
        raise refusal
    who = _authorize_restore(args)
    report = restore(paths.data_dir(getattr(args, "data_dir", None)), args.backup, confirmed=args.yes, operator=who)
    if args.json:
        print_json({"restored_from": str(report.restored_from), "schema_version": report.schema_version,
                    "set_aside": str(report.set_aside) if report.set_aside else None,
                    "unanchored": report.unanchored})
    else:
        print(f"已从 {report.restored_from} 恢复。" + (f"原数据文件已移到 {report.set_aside}" if report.set_aside else "")
              + f"\nrestored from {report.restored_from}."
              + (f" The previous data file is now {report.set_aside}" if report.set_aside else ""))
        if report.unanchored:
            print("这个备份没有日志锚定（早于店铺第一次锚定）：若 check 说锚定缺失，确认日志和订单无误后运行 "
                  "kashop-desktop audit anchor\nthis backup holds no anchor of the log (it is older than the shop's first "
                  "anchoring): if check says the anchors are missing, check the log and the orders, then run "
                  "kashop-desktop audit anchor")
    return EXIT_OK
