"""``codes``: the 卡密 inventory: import, list, lock / unlock / void, delete, export, reveal, 回库."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..domain.codes import CodeState
from ..domain.errors import DomainError, MoneyError
from ..domain.money import format_yuan, parse_yuan
from .common import add_command, add_noun, limit_type, record_id, run_with_desk
from .helptext import JSON_HELP, ORDER_NO_HELP, T
from .output import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_REFUSED,
    UsageError,
    changes_json,
    count_en,
    print_error,
    print_json,
    table,
    zh,
)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``codes`` noun and its verbs to ``sub``."""
    codes = add_noun(sub, "codes", T("卡密库存：导入、列表、锁定、作废、导出、查看、回库",
                                     "card codes: import, list, lock, void, export, reveal, return to stock"))
    p = add_command(codes, common, "import", cmd_codes_import, T(
        "导入卡密：每行一个，或卡号和密码用 ----、Tab、逗号或空格分开",
        "import codes: one a line, or card no + password split by ----, tab, comma or spaces"))
    p.add_argument("file", help=T(".txt、.csv 或 .xlsx 文件；- 从标准输入读取", ".txt, .csv or .xlsx; - reads standard input"))
    p.add_argument("--product", required=True, metavar="NAME", help=PRODUCT_HELP)
    p.add_argument("--batch", default="", metavar="NOTE", help=T("这一批的备注", "a note for this batch"))
    p.add_argument("--cost", default=None, metavar="YUAN", help=T("每个卡密的成本（元）", "cost per code in yuan"))
    p.add_argument("--dry-run", action="store_true", help=T("只检查每一行，不导入", "check every line, import nothing"))
    p.add_argument("--encoding", metavar="NAME", help=T(
        "文本文件的编码（如 big5、shift_jis）；默认自动识别 UTF-8 与 GBK/GB18030",
        "the text file's encoding (e.g. big5, shift_jis); by default UTF-8 and GBK/GB18030 are recognised"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(codes, common, "list", cmd_codes_list, T("一个商品的卡密（打码显示）", "a product's codes, masked"))
    p.add_argument("--product", required=True, metavar="NAME", help=PRODUCT_HELP)
    p.add_argument("--state", choices=[s.value for s in CodeState], help=STATE_HELP)
    p.add_argument("--batch", metavar="B", help=T("只列这一批", "only this batch"))
    p.add_argument("--limit", type=limit_type(200), default=200, metavar="N", help=T("最多列出 N 个（默认 200）", "at most N (default 200)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    for verb, what in (("lock", T("锁定卡密（暂停销售）", "hold codes back from sale")),
                       ("unlock", T("解锁卡密（恢复销售）", "put locked codes back on sale")),
                       ("void", T("作废卡密：不再售出或使用", "void codes: never sold or used again"))):
        p = add_command(codes, common, verb, cmd_codes_move, what)
        p.add_argument("ids", nargs="+", type=record_id, metavar="ID", help=IDS_HELP)
        p.add_argument("--note", default="", help=T("备注（写入卡密日志）", "a note (written to the code log)"))
        p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(codes, common, "delete", cmd_codes_delete, T(
        "删除卡密（先显示影响；加 --yes 才删除）", "delete codes (shows what it affects; --yes to do it)"))
    p.add_argument("ids", nargs="+", type=record_id, metavar="ID", help=IDS_HELP)
    p.add_argument("--yes", action="store_true", help=T("确认删除", "confirm the deletion"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(codes, common, "export", cmd_codes_export, T("把一个商品的卡密导出为 CSV 或 XLSX",
                                                                 "export a product's codes to CSV or XLSX"))
    p.add_argument("out", type=Path, help=T("输出文件（.csv 或 .xlsx）", "the file to write (.csv or .xlsx)"))
    p.add_argument("--product", required=True, metavar="NAME", help=PRODUCT_HELP)
    p.add_argument("--state", choices=[s.value for s in CodeState], default="available", help=T(
        "导出哪些卡密：available 可售（默认）、locked 已锁定；已发出的卡密用 codes reveal 查看",
        "which codes: available (the default) or locked; read delivered codes with codes reveal"))
    after = p.add_mutually_exclusive_group()
    after.add_argument("--lock", action="store_true", help=T("同时锁定导出的卡密", "lock the exported codes in the same step"))
    after.add_argument("--mark-sold", action="store_true", help=T("同时把导出的卡密标为已售出",
                                                                 "mark the exported codes sold in the same step"))
    p.add_argument("--force", action="store_true", help=T(
        "文件已存在时替换它；原文件先另存为 名字.bak.csv（已有则 .bak2 …，从不覆盖备份），以免丢失其中已标为售出的卡密。"
        "没有可导出的卡密时不写任何文件（退出码 1），加不加 --force 都一样",
        "replace the file if it exists; the old one is first kept as NAME.bak.csv (.bak2 … when taken; a backup is "
        "never replaced), so codes it marked sold are never lost. With no code to export no file is written "
        "(exit 1), --force or not"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(codes, common, "reveal", cmd_codes_reveal, T(
        "显示订单已发出的卡密明文（记入时间线：谁、何时）",
        "print the delivered card code of an order (logged in its timeline: who, when)"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(codes, common, "return", cmd_codes_return, T(
        "回库：已退款订单未使用的卡密重新上架（需要 --unused 和 --note）",
        "return to stock: a refunded order's unused code goes back on sale (needs --unused and --note)"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--unused", action="store_true", help=T("店主确认买家从未使用", "the owner confirms the buyer never used it"))
    p.add_argument("--note", default="", help=T("如何确认未使用", "how it is known to be unused"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


FORCE_HELP = T("文件已存在时覆盖它", "replace the file if it exists")
PRODUCT_HELP = T("商品名称", "the product's name")
STATE_HELP = T("卡密状态：available 可售、reserved 已预留、delivered 已发出、locked 已锁定、void 已作废",
               "code state: available, reserved, delivered, locked, void")
IDS_HELP = T("卡密 ID（可多个，见 codes list）", "code ids (one or more; see codes list)")


def _lines(source: str, encoding: str | None) -> list[str]:
    """The lines of FILE (or stdin); an empty file or first sheet is a bad argument (exit 2)."""
    from ..services.code_files import read_code_file
    from ..services.code_import import decode_text

    if source == "-":
        lines = decode_text(sys.stdin.buffer.read(), "stdin").splitlines()
        if not any(line.strip() for line in lines):
            raise UsageError("标准输入里没有卡密\nno codes on stdin")
        return lines
    try:
        return read_code_file(Path(source), encoding)
    except DomainError as exc:
        if exc.code in ("codes_file_empty", "import_empty", "import_bad_encoding"):
            raise UsageError(f"{exc.zh}\n{exc.en}") from exc
        raise


def cmd_codes_import(args: argparse.Namespace) -> int:
    from ..services.code_import import import_codes, plan_import

    try:
        cost = parse_yuan(args.cost) if args.cost is not None else 0
    except MoneyError as exc:
        raise UsageError(f"--cost（元）：{exc.zh}\n--cost (yuan): {exc.en}") from exc
    lines = _lines(args.file, args.encoding)

    def body(desk: Any) -> int:
        if args.dry_run:
            plan, imported, delivered = plan_import(desk, args.product, lines), 0, []
        else:
            result = import_codes(desk, args.product, lines, batch=args.batch, cost_fen=cost)
            plan, imported, delivered = result.plan, result.imported, result.delivered_orders
        _report_import(args, plan, imported, delivered)
        if plan.refused and (imported or args.dry_run):
            return EXIT_PARTIAL
        return EXIT_REFUSED if plan.refused else EXIT_OK

    return run_with_desk(args, body)


SHOWN = 20  # duplicates and problems named one by one; the rest are counted


def _report_import(args: argparse.Namespace, plan: Any, imported: int, delivered: list[str]) -> None:
    if args.json:
        print_json({"product": plan.product, "imported": imported, "new": len(plan.new), "dry_run": args.dry_run,
                    "duplicates": [{"line": d.line, "first_line": d.first_line, "sold": d.sold}
                                   for d in plan.duplicates],
                    "problems": [{"line": n, "zh": z, "en": e} for n, z, e in plan.problems],
                    "headers_skipped": plan.headers,
                    "warnings": [{"line": n, "zh": z, "en": e} for n, z, e in plan.warnings],
                    "delivered_backorders": delivered})
        return
    for d in plan.duplicates[:SHOWN]:
        if d.sold:
            print_error(f"第 {d.line} 行：卡密已售出或作废，永远不能再导入", f"line {d.line}: the code was sold or voided; "
                        "it can never be imported again")
        elif d.first_line is None:
            print_error(f"第 {d.line} 行：卡密已在库中，未导入", f"line {d.line}: the code is already stored; not imported")
        else:
            print_error(f"第 {d.line} 行：与第 {d.first_line} 行重复，未导入",
                        f"line {d.line}: same code as line {d.first_line}; not imported")
    if len(plan.duplicates) > SHOWN:
        more = len(plan.duplicates) - SHOWN
        print_error(f"……另有 {more} 个重复（--json 列出全部）", f"... and {more} more duplicates (--json lists them all)")
    for _line, z, e in plan.problems[:SHOWN]:
        print_error(f"{z}，未导入", f"{e}; not imported")
    if len(plan.problems) > SHOWN:
        more = len(plan.problems) - SHOWN
        print_error(f"……另有 {more} 行有问题（--json 列出全部）", f"... and {more} more lines with problems (--json)")
    for _line, z, e in plan.warnings[:SHOWN]:
        print_error(f"注意：{z}", f"note: {e}")
    if plan.headers:
        lines = " ".join(map(str, plan.headers))
        print_error(f"已跳过表头行：{lines}", f"header lines skipped: {lines}")
    verb = ("可导入" if args.dry_run else "已导入") if zh(args) else ("would import" if args.dry_run else "imported")
    count = len(plan.new) if args.dry_run else imported
    print(f"{verb} {count}，未导入 {plan.refused}（{plan.product}）" if zh(args)
          else f"{verb} {count}, not imported {plan.refused} ({plan.product})")
    if delivered:
        print(("缺货待发订单已发货：" if zh(args) else "backorders delivered: ") + " ".join(delivered))


def cmd_codes_list(args: argparse.Namespace) -> int:
    from ..services.codes import count_codes, list_codes

    if args.limit < 1:
        raise UsageError("--limit 必须是正整数\n--limit must be a positive whole number")

    def body(desk: Any) -> int:
        state = CodeState(args.state) if args.state else None
        found = list_codes(desk, args.product, state, args.batch, limit=args.limit)
        total = count_codes(desk, args.product, state, args.batch) if len(found) >= args.limit else len(found)
        if args.json:
            print_json({"codes": found, "total": total, "truncated": total > len(found)})
            return EXIT_OK
        header = ["ID", "卡密", "状态", "批次", "成本", "订单"] if zh(args) else ["id", "code", "state", "batch", "cost", "order"]
        table([[str(c.id), c.masked, c.state.zh if zh(args) else c.state.en, c.batch, format_yuan(c.cost_fen),
                c.order_no or ""] for c in found], header)
        if total > len(found):
            print(f"只列出前 {len(found)} 个，共 {total} 个（--limit 可调整）" if zh(args)
                  else f"showing the first {len(found)} of {total} (see --limit)")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_codes_move(args: argparse.Namespace) -> int:
    from ..services.codes import move_codes

    target = {"lock": CodeState.LOCKED, "unlock": CodeState.AVAILABLE, "void": CodeState.VOID}[args.sub]
    words = {"lock": ("已锁定", "locked"), "unlock": ("已解锁", "unlocked"), "void": ("已作废", "voided")}[args.sub]

    def body(desk: Any) -> int:
        changes = move_codes(desk, args.ids, target, note=args.note)
        if args.json:
            print_json(changes_json(changes, code_ids=sorted(changes.code_ids)))
        else:
            print(f"{words[0]} {len(changes.code_ids)} 个卡密" if zh(args) else f"{words[1]} {count_en(len(changes.code_ids), 'code')}")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_codes_delete(args: argparse.Namespace) -> int:
    from ..services.codes import delete_codes, delete_preview

    def body(desk: Any) -> int:
        preview = delete_preview(desk, args.ids)
        if not args.yes or preview.refused:
            _show_delete_preview(args, preview)
            if preview.refused:
                return EXIT_REFUSED
            print_error("加 --yes 确认删除", "add --yes to delete them")
            return EXIT_REFUSED
        changes = delete_codes(desk, args.ids, confirmed=True)
        if args.json:
            print_json(changes_json(changes, code_ids=sorted(changes.code_ids)))
        else:
            print(f"已删除 {len(changes.code_ids)} 个卡密" if zh(args) else f"deleted {count_en(len(changes.code_ids), 'code')}")
        return EXIT_OK

    return run_with_desk(args, body)


def _show_delete_preview(args: argparse.Namespace, preview: Any) -> None:
    from ..services.codes import sold_refusal

    if args.json:
        print_json({"deletable": preview.deletable, "refused": [{"id": i, "state": s.value} for i, s in preview.refused],
                    "stock": {k: {"before": b, "after": a} for k, (b, a) in preview.stock.items()},
                    "low_stock_after": preview.low_after})
        return
    for code_id, state in preview.refused:
        if code_id in preview.sold:
            exc = sold_refusal(code_id)
            print_error(exc.zh, exc.en)
        else:
            print_error(f"卡密 {code_id} {state.zh}，不能删除", f"code {code_id} is {state.en}; it cannot be deleted")
    for name, (before, after) in preview.stock.items():
        print(f"{name}：可售 {before} → {after}" if zh(args) else f"{name}: available {before} -> {after}")
    for name in preview.low_after:
        print(f"{name} 将低于低库存阈值" if zh(args) else f"{name} will fall to its low-stock threshold")


def cmd_codes_export(args: argparse.Namespace) -> int:
    """Export a product's unsold codes (services.code_export): with no code to export nothing is
    written (exit 1, the file untouched, --force or not); with --force an existing file is kept
    as NAME.bak.csv before it is replaced (printed, and ``kept`` in --json)."""
    from ..services.code_export import export_codes

    after = "lock" if args.lock else "mark_sold" if args.mark_sold else "keep"
    if args.state not in ("available", "locked"):
        raise UsageError("--state：只能导出未售出的卡密（available、locked）；已发出的卡密用 codes reveal 订单号 查看（记入时间线）\n"
                         "--state: only unsold codes (available, locked) are exported; read a delivered code with "
                         "codes reveal ORDER_NO (written to its timeline)")

    def body(desk: Any) -> int:
        result = export_codes(desk, args.product, args.out, state=CodeState(args.state), after=after,
                              force=args.force)
        if args.json:
            print_json({"path": str(result.path), "count": result.count, "after": after,
                        "kept": None if result.kept is None else str(result.kept)})
        else:
            print(f"已导出 {result.count} 个卡密到 {result.path}" if zh(args)
                  else f"exported {count_en(result.count, 'code')} to {result.path}")
            if result.kept is not None:
                print(f"原文件已另存为 {result.kept}" if zh(args) else f"the file it replaced was kept as {result.kept}")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_codes_reveal(args: argparse.Namespace) -> int:
    from ..services.delivery import reveal_code

    def body(desk: Any) -> int:
        _changes, code = reveal_code(desk, args.order_no)
        if args.json:
            print_json({"order_no": args.order_no, "codes": code.splitlines()})
        else:
            print(("已记入订单时间线（查看卡密）：" if zh(args) else "written to the order's timeline (code revealed):"),
                  file=sys.stderr)
            print(code)
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_codes_return(args: argparse.Namespace) -> int:
    from ..services.codes import return_codes

    def body(desk: Any) -> int:
        changes = return_codes(desk, args.order_no, unused=args.unused, note=args.note)
        if args.json:
            print_json(changes_json(changes, code_ids=sorted(changes.code_ids)))
        else:
            print(f"已回库 {len(changes.code_ids)} 个卡密" if zh(args) else f"returned {count_en(len(changes.code_ids), 'code')} to stock")
        return EXIT_OK

    return run_with_desk(args, body)
