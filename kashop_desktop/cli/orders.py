"""``orders``: list, show, import, cancel, restore, 补单 (mark-paid), deliver, complete, code-used."""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.clock import parse_time
from ..domain.errors import DomainError
from ..domain.money import format_yuan
from ..domain.order import OUTSIDE_CHANNELS, Channel, CodeUsed, ReasonCode
from ..domain.refund_states import PENDING_LABEL_EN, PENDING_LABEL_ZH, RefundStatus
from ..domain.states import OrderStatus
from . import labels, sale
from .common import add_command, add_noun, limit_type, run_with_desk
from .helptext import JSON_HELP, NO_IDEMPOTENCY_HELP, NOTE_HELP, ORDER_NO_HELP, T, reason_help
from .orders_export import register_export
from .output import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_REFUSED,
    UsageError,
    done,
    print_error,
    print_json,
    printable,
    refund_json,
    refunds_made,
    request_json,
    status_label,
    table,
    zh,
)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``orders`` noun and its verbs to ``sub``."""
    orders = add_noun(sub, "orders", T("订单：列表、详情、导入、取消、补单、发货", "orders: list, show, import, cancel, "
                                                                        "mark paid, deliver"))
    p = add_command(orders, common, "list", cmd_orders_list, T("列出订单（最新在前）", "list orders (newest first)"))
    p.add_argument("--status", choices=[s.value for s in OrderStatus] + ["refunding", "held"],
                   help=T("只列这个状态（refunding：退款中；held：拉黑买家的订单，扣留待审）",
                          "only this status (refunding: refunds in flight; held: a blocked buyer's orders, held for "
                          "review)"))
    p.add_argument("--search", default="", metavar="Q", help=T(
        "订单号（或尾号）、手机、QQ、邮箱、交易号或商品名", "order no (or its tail), phone, QQ, e-mail, trade no or product"))
    p.add_argument("--limit", type=limit_type(50), default=50, metavar="N", help=T("最多列出 N 条（默认 50）", "at most N (default 50)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(orders, common, "backorders", cmd_orders_backorders, T(
        "已付款、等待卡密的订单（缺货待发），最早的在前", "paid orders waiting for card codes (backorders), oldest first"))
    p.add_argument("--product", metavar="NAME", help=T("只列这个商品的", "only this product's"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(orders, common, "show", cmd_orders_show, T("一个订单及其时间线、申请和退款",
                                                               "one order with its timeline, requests and refunds"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    _register_import(orders, common)
    sale.register(orders, common)
    register_export(orders, common)
    p = add_command(orders, common, "cancel", cmd_orders_cancel, T(
        "取消订单（未支付立即取消；已支付未发货全额退款）", "cancel an order (unpaid: at once; paid, undelivered: full refund)"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--reason", required=True, choices=[r.value for r in ReasonCode], help=reason_help())
    p.add_argument("--note", default="", help=NOTE_HELP)
    p.add_argument("--confirm-no-idempotency", action="store_true", help=NO_IDEMPOTENCY_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(orders, common, "restore", cmd_orders_restore, T("恢复已取消的订单", "restore a cancelled order"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--note", default="", help=NOTE_HELP)
    p.add_argument("--no-deliver", action="store_true", help=T(
        "不占库存、不进缺货待发（旧系统已发货：之后的导入记下那次发货）",
        "take nothing from stock and do not queue for codes (the older system delivered it: a later import records that)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(orders, common, "mark-paid", cmd_orders_mark_paid, T(
        "补单：按网关交易号登记一笔网关收了钱却没通知的付款", "补单: record a payment the gateway took but never reported"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--trade-no", required=True, metavar="T", help=T("网关交易号", "the gateway trade no"))
    p.add_argument("--paid-at", metavar="TIME", help=T(
        "买家付款的时间（网关后台或旧系统所记，北京时间，如 \"2026-11-17 10:01\"；默认：现在）",
        "when the buyer paid (as the gateway's back office or the older system says, Beijing time, e.g. "
        "\"2026-11-17 10:01\"; default: now)"))
    p.add_argument("--channel", choices=[c.value for c in Channel], help=T(
        "买家实际的支付方式，与订单记录的不同时填写（退款按它原路退回）：" + "，".join(f"{c.value} {c.zh}" for c in Channel)
        + "；cash、bank_transfer 指买家直接付给本店、不经网关（交易号填转账流水号），之后的退款由店主手工退",
        "how the buyer really paid, when not the channel the order recorded (the refund goes back that way): "
        + ", ".join(c.value for c in Channel) + "; cash and bank_transfer mean paid to the shop directly, not through "
        "the gateway (give the transfer's serial no as the trade no): a later refund is the owner's, by hand"))
    p.add_argument("--no-deliver", action="store_true", help=T(
        "只登记付款，不自动发货（订单在别处已取消：随后 orders cancel 退款）",
        "record the payment only, deliver nothing (the order was cancelled elsewhere: orders cancel then refunds it)"))
    p.add_argument("--yes", action="store_true", help=T("二次确认（必需）", "the second confirmation (required)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(orders, common, "deliver", cmd_orders_deliver, T("为已支付的订单发货（卡密从库存取出）",
                                                                     "deliver a paid order (card codes from stock)"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(orders, common, "complete", cmd_orders_complete, T("把已发货的订单标为已完成",
                                                                       "mark a delivered order completed"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(orders, common, "code-used", cmd_orders_code_used, T("登记已发的卡密是否已被使用",
                                                                         "record whether the delivered code was used"))
    p.add_argument("order_no", help=ORDER_NO_HELP)
    p.add_argument("used", choices=[c.value for c in CodeUsed], help=T("yes 已使用 / no 未使用 / unknown 不知道",
                                                                       "yes / no / unknown"))
    p.add_argument("--note", default="", help=NOTE_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(orders, common, "release", cmd_orders_release, T(
        "放行扣留待审的订单（拉黑买家的订单），之后可以发货", "release orders held for review (a blocked buyer's); "
        "they may be delivered then"))
    p.add_argument("order_nos", nargs="+", metavar="ORDER_NO", help=T("订单号（可多个）", "order nos (one or more)"))
    p.add_argument("--note", default="", help=NOTE_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def _register_import(orders: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(orders, common, "import", cmd_orders_import, T("从 CSV 或 XLSX 文件导入订单（格式见 README）",
                                                                   "import orders from CSV or XLSX (format: README)"))
    p.add_argument("file", type=Path, help=T("CSV 或 XLSX 文件", "the CSV or XLSX file"))
    how = p.add_mutually_exclusive_group()
    how.add_argument("--all-or-nothing", action="store_true", help=T(
        "任何一行被拒就什么都不写（退出码 1）；整个文件在一个事务中写入",
        "if any row is refused, write nothing (exit 1); the file is written in one transaction"))
    how.add_argument("--dry-run", action="store_true", help=T(
        "试运行：按导入的规则检查每一行（包括与店里已有订单的对照），报告会新增、更新、拒绝多少行，什么都不写",
        "check every row as the import would (against the shop's orders too) and report what it would insert, "
        "update and refuse; write nothing"))
    p.add_argument("--column", action="append", default=[], metavar="HEADER=FIELD", help=T(
        "把文件的 HEADER 列当作 FIELD 读取（如 付款金额=paid_amount）；HEADER= 跳过该列；可重复",
        "read the file's column HEADER as FIELD (e.g. 付款金额=paid_amount); HEADER= skips that column; repeatable"))
    p.add_argument("--encoding", metavar="NAME", help=T(
        "文本文件的编码（如 big5、gbk、utf-8）；默认自动识别", "the text file's encoding (e.g. big5, gbk, utf-8); "
        "detected by default"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def cmd_orders_backorders(args: argparse.Namespace) -> int:
    from ..services.products import backorders

    def body(desk: Any) -> int:
        found = backorders(desk, args.product)
        if args.json:
            print_json({"backorders": found, "count": len(found)})
            return EXIT_OK
        header = (["订单号", "商品", "数量", "实付", "买家", "支付时间", "缺货起"] if zh(args)
                  else ["order no", "product", "qty", "paid", "buyer", "paid at", "waiting since"])
        table([[b.order_no, b.product, str(b.quantity), format_yuan(b.paid_fen), b.buyer,
                f"{b.paid_at:%Y-%m-%d %H:%M}" if b.paid_at else "", f"{b.waiting_since:%Y-%m-%d %H:%M}"
                if b.waiting_since else ""] for b in found], header)
        print(f"缺货待发 {len(found)} 单：导入卡密后按支付先后自动发货，或为买家退款" if zh(args)
              else f"{len(found)} backorders: delivered oldest-first when codes are imported, or refund the buyer")
        return EXIT_OK

    return run_with_desk(args, body)


def cmd_orders_list(args: argparse.Namespace) -> int:
    from ..services import views
    from ..services.maintenance import import_running

    def body(desk: Any) -> int:
        flt = views.OrderFilter(status=args.status, search=args.search)
        rows = views.order_page(desk, flt, args.limit)
        matched = list(views.search_matches(desk, args.search)) if args.search.strip() else None
        if args.json:
            print_json({"total": views.count_orders(desk, flt), "matched": matched, "orders": [
                {"order_no": r.order_no, "created_at": r.created_at, "product": r.product,
                 "product_type": r.product_type, "quantity": r.quantity, "buyer": r.buyer, "amount_fen": r.paid_fen,
                 "paid_fen": r.received_fen, "refunded_fen": r.refunded_fen,
                 "refund_pending_fen": r.refund_pending_fen, "refundable_fen": r.refundable_fen, "status": r.status,
                 "channel": r.channel, "held": r.held,
                 "gateway_trade_no": r.gateway_trade_no} for r in rows]})
            return EXIT_OK
        table([[r.order_no, f"{r.created_at:%Y-%m-%d %H:%M}", r.product, r.buyer, format_yuan(r.paid_fen),
                format_yuan(r.received_fen) if r.paid else "-", _status(r, args)] for r in rows],
              ["订单号", "下单时间", "商品", "买家", "金额", "实付", "状态"] if zh(args)
              else ["order no", "created", "product", "buyer", "amount", "paid", "status"])
        print(f"{len(rows)} / {views.count_orders(desk, flt)}")
        if import_running(desk):
            print("正在导入（另一个进程）：总数与标签计数在导入结束后才准确 / an import is running in another process: "
                  "the totals and tab counts are right once it ends", file=sys.stderr)
        if matched is not None:
            _print_matched(matched, args.search)
        return EXIT_OK

    return run_with_desk(args, body)


#: Search fields as the list names them (``views.search_matches``): Chinese, English.
_FIELDS = {"order_no": ("订单号", "order no"), "order_tail": ("订单号尾号", "order-no tail"),
           "trade_no": ("交易号", "trade no"), "buyer": ("买家", "buyer"), "product": ("商品名", "product name")}


def _print_matched(matched: list[str], text: str) -> None:
    """One line on stderr (Chinese, then English) saying which fields the search matched."""
    from ..services import views

    if matched:
        print_error("匹配：" + "、".join(_FIELDS.get(f, (f, f))[0] for f in matched),
                    "matched: " + ", ".join(_FIELDS.get(f, (f, f))[1] for f in matched))
    elif len(text.strip()) < views.MIN_BUYER:
        print_error(f"无匹配（买家至少输入 {views.MIN_BUYER} 个字符，订单号尾号至少 {views.MIN_TAIL} 位）",
                    f"no match (a buyer search needs at least {views.MIN_BUYER} characters, an order-no tail "
                    f"at least {views.MIN_TAIL})")
    elif len(text.strip()) < views.MIN_TAIL:
        print_error(f"无匹配（订单号尾号至少 {views.MIN_TAIL} 位）",
                    f"no match (an order-no tail needs at least {views.MIN_TAIL} characters)")
    else:
        print_error("无匹配", "no match")


def _status(r: Any, args: argparse.Namespace) -> str:
    label = status_label(r.status.value, args)
    if not r.held:
        return label
    return f"{label}（扣留待审）" if zh(args) else f"{label} (held for review)"


def cmd_orders_release(args: argparse.Namespace) -> int:
    from ..services.buyers import release

    def body(desk: Any) -> int:
        changes = release(desk, args.order_nos, note=args.note)
        for s in changes.skipped:
            print_error(f"{s.ref}：{s.zh}", f"{s.ref}: {s.en}")
        n = len(changes.order_ids)
        done(args, changes, f"已放行 {n} 个订单，可以发货", f"released {n} order(s); they may be delivered")
        return EXIT_REFUSED if changes.skipped else EXIT_OK

    return run_with_desk(args, body)


def cmd_orders_show(args: argparse.Namespace) -> int:
    from ..services import views

    def body(desk: Any) -> int:
        d = views.order_detail(desk, args.order_no)
        if args.json:
            print_json(_detail_json(d))
            return EXIT_OK
        _print_detail(d, args)
        return EXIT_OK

    return run_with_desk(args, body)


def _print_detail(d: Any, args: argparse.Namespace) -> None:
    """One order for people: labels in the chosen language, never raw codes."""
    print(f"{d.order_no}  {status_label(d.status.value, args)}  {d.product} x{d.quantity}")
    money = [format_yuan(d.paid_fen), format_yuan(d.refunded_fen), format_yuan(d.coupon_fen),
             format_yuan(d.refund_pending_fen), format_yuan(d.refundable_fen)]
    pay = " ".join(x for x in (labels.channel(d.channel, args), d.gateway or "", d.gateway_trade_no or "") if x)
    fee = sum(r.fee_fen for r in d.refunds if r.state == RefundStatus.SUCCEEDED.value)
    # 已退 counts what is no longer refundable; the fee the shop kept never reached the buyer.
    kept = (f"（含手续费 ¥{format_yuan(fee)}，买家实收 ¥{format_yuan(d.refunded_fen - fee)}）",
            f" (incl. a ¥{format_yuan(fee)} fee; the buyer got ¥{format_yuan(d.refunded_fen - fee)})") if fee else ("", "")
    if d.paid_at is None:  # nothing paid yet: the amount is due, not paid
        print(f"  应付 ¥{format_yuan(d.amount_fen)}（未付）" if zh(args) else f"  due ¥{format_yuan(d.amount_fen)} (unpaid)")
        qr = next((e.data.get("qr") for e in reversed(d.events) if e.action == "payment_created"), None)
        if qr and d.status.value == "pending_payment":  # a desk sale still waiting: its QR to send again
            print(f"  收款二维码内容 {qr}" if zh(args) else f"  QR payload {qr}")
    elif zh(args):
        print(f"  实付 ¥{money[0]}  已退 ¥{money[1]}{kept[0]}  {PENDING_LABEL_ZH} ¥{money[3]}  可退 ¥{money[4]}  优惠券 ¥{money[2]}"
              f"  积分 {d.points}  买家 {d.buyer}  {pay}")
    else:
        print(f"  paid ¥{money[0]}  refunded ¥{money[1]}{kept[1]}  {PENDING_LABEL_EN.lower()} ¥{money[3]}"
              f"  refundable ¥{money[4]}  coupon ¥{money[2]}  points {d.points}  buyer {d.buyer}  {pay}")
    _print_buyer(d, args)
    for r in d.refunds:
        state = r.state_zh if zh(args) else r.state_en
        print(f"  退款单号 {r.refund_no}  ¥{format_yuan(r.amount_fen)}  {state}" if zh(args)
              else f"  refund no {r.refund_no}  ¥{format_yuan(r.amount_fen)}  {state}")
    for q in d.requests:
        _print_request(q, args)
    rows = []
    for e in d.events:
        arrow = f"{labels.status(e.before, args)} → {labels.status(e.after, args)}" if e.before and e.after else \
            labels.status(e.after, args)
        if e.before and e.before == e.after:  # a status that did not change (an approval of part): none shown
            arrow = labels.status(None, args)
        reason = e.data.get("reason") if isinstance(e.data, dict) else None
        note = "：".join(x for x in (labels.reason(reason, args) if reason else "", e.note) if x)
        rows.append([f"  {e.at:%Y-%m-%d %H:%M:%S}", labels.actor(e.actor, args), e.operator or "-",
                     labels.action(e.action, args), arrow, note])
    if rows:
        # 来源: whose side acted (店主 the shop, 买家, 系统, 网关); 操作员: who was signed in at the desk
        table(rows, ["  时间", "来源", "操作员", "操作", "状态变化", "备注"] if zh(args)
              else ["  time", "source", "operator", "action", "status", "note"])


def _print_request(q: Any, args: argparse.Namespace) -> None:
    """One request on the order: its id, state, reason, the amount asked and what the buyer
    said and showed (说明, 证据), and the decision's note once decided."""
    asked = f"¥{format_yuan(q.amount_fen)}" if q.amount_fen is not None else ("全额" if zh(args) else "all")
    parts = [f"#{q.id}", labels.request_state(q.state, args), labels.reason(q.reason, args),
             f"申请 {asked}" if zh(args) else f"asked {asked}"]
    said = [("说明", "note", q.note), ("证据", "evidence", q.evidence), ("处理说明", "decision", q.decision_note)]
    # A line break in what the buyer or the owner wrote is shown as ⏎, as in a table: the line stays
    # one line, and a note cannot fake a refund line of its own under it.
    parts += [f"{zh_word}：{_one_line(text)}" if zh(args) else f"{en_word}: {_one_line(text)}"
              for zh_word, en_word, text in said if text]
    print(("  申请 " if zh(args) else "  request ") + "  ".join(parts))


def _one_line(text: str) -> str:
    return " ⏎ ".join(text.splitlines())


def _print_buyer(d: Any, args: argparse.Namespace) -> None:
    """The hold, the blocklist mark and the owner's note on the buyer, when there are any."""
    info = d.buyer_info
    if d.held_at is not None:
        print(f"  扣留待审（{d.held_reason or '—'}）：放行前不会发货（orders release {d.order_no}）" if zh(args)
              else f"  held for review ({d.held_reason or '—'}): not delivered until released "
                   f"(orders release {d.order_no})")
    if info is not None and info.blocked and d.held_at is None:
        print(f"  买家在黑名单上：{info.blocked_reason}" if zh(args) else f"  the buyer is blocked: {info.blocked_reason}")
    if info is not None and info.note:
        print(f"  买家备注：{info.note}" if zh(args) else f"  note on the buyer: {info.note}")


def _event_reason(e: Any) -> str | None:
    """The reason code an entry was written with (a cancel, a request), or None."""
    reason = e.data.get("reason") if isinstance(e.data, dict) else None
    return str(reason) if reason else None


def _cancel_reason(d: Any) -> str | None:
    """The reason code of the order's cancellation (``mistaken``, ``not_needed``, …): the one the
    cancel was given, or the reason of the request whose approval cancelled it. None when the
    order is not cancelled, or when it expired unpaid (the ``expire`` entry says so)."""
    if d.status != "cancelled":
        return None
    entry = next((e for e in reversed(d.events) if e.after == "cancelled" and e.before != "cancelled"), None)
    if entry is None:
        return None
    request_id = entry.data.get("request_id") if isinstance(entry.data, dict) else None
    request = next((r for r in d.requests if r.id == request_id), None)
    return _event_reason(entry) or (request.reason if request is not None else None)


def _detail_json(d: Any) -> dict[str, Any]:
    return {
        "order_no": d.order_no, "status": d.status, "product": d.product, "product_type": d.product_type,
        "quantity": d.quantity, "list_fen": d.list_fen, "amount_fen": d.amount_fen, "paid_fen": d.paid_fen,
        "refunded_fen": d.refunded_fen, "refund_pending_fen": d.refund_pending_fen,
        "refundable_fen": d.refundable_fen, "coupon_fen": d.coupon_fen,
        "coupon_code": d.coupon_code, "points": d.points, "points_refunded": d.points_refunded,
        "buyer": d.buyer, "channel": d.channel, "gateway": d.gateway, "gateway_trade_no": d.gateway_trade_no,
        "created_at": d.created_at, "paid_at": d.paid_at, "delivered_at": d.delivered_at,
        "cancelled_at": d.cancelled_at, "code_used": d.code_used, "card_code_masked": d.masked_code,
        "cancel_reason": _cancel_reason(d),
        "events": [{"at": e.at, "action": e.action, "actor": e.actor, "operator": e.operator, "note": e.note, "before": e.before,
                    "after": e.after, "reason": _event_reason(e)} for e in d.events],
        "requests": [request_json(r) for r in d.requests],
        "refunds": [refund_json(r) for r in d.refunds],
        "held_at": d.held_at, "held_reason": d.held_reason,
        "buyer_note": d.buyer_info.note if d.buyer_info else "",
        "buyer_blocked": bool(d.buyer_info and d.buyer_info.blocked),
    }


def _makes_a_new_shop(args: argparse.Namespace) -> bool:
    """Whether opening the shop for ``args`` would make a new one (no shop file in the data
    folder, none chosen elsewhere). Raises DomainError for a choice file it cannot read."""
    from .. import paths
    from ..services.store_choice import source

    folder = paths.data_dir(getattr(args, "data_dir", None), create=False)
    return not (folder / paths.DB_FILENAME).exists() and source(folder, getattr(args, "db", None)) == "file"


def _header_refused_before_a_new_shop(args: argparse.Namespace) -> DomainError | None:
    """Where the import would make a new shop (no shop file here, none chosen elsewhere), the
    file's header is read first: a file the import would refuse whole (missing a required
    column, naming one twice: a usage error; empty, not a table, not valid text) gets its
    message with no shop made for it, as the README says."""
    from ..services.imports import ImportFileError
    from ..services.imports.preview import preview_file

    try:
        if not _makes_a_new_shop(args):
            return None
        preview = preview_file(args.file, rows=0, columns=_columns(args.column))
    except ImportFileError as exc:
        return exc
    except DomainError:
        return None  # the import says what is wrong (a choice file it cannot read...)
    problem = preview.header_problem
    # Columns the desk does not know are imported without (with a note), not refused.
    return None if problem is None or problem.code == "import_unknown_columns" else problem


def cmd_orders_import(args: argparse.Namespace) -> int:
    from ..services.imports import Outcome, import_file

    if not args.file.exists() or args.file.is_dir():  # before the store is opened: no new shop for a wrong path
        from ..services.imports.reading import unreadable

        missing = not args.file.exists()
        raise unreadable(args.file, FileNotFoundError() if missing else IsADirectoryError())  # exit 2: FILE_USAGE
    refused = _header_refused_before_a_new_shop(args)
    if refused is not None:
        raise refused

    def body(desk: Any) -> int:
        columns = _columns(args.column)
        meter = ImportMeter(sys.stderr) if sys.stderr.isatty() else None
        last: list[Any] = []

        def progress(report: Any) -> None:
            last[:] = [report]
            if meter is not None:
                meter(report)

        try:
            report = import_file(desk, args.file, all_or_nothing=args.all_or_nothing, progress=progress,
                                 columns=columns, encoding=args.encoding, dry_run=args.dry_run)
        except KeyboardInterrupt:
            if meter is not None:
                meter.clear()
            _print_interrupted(args, last[0] if last else None)
            raise
        finally:
            if meter is not None:
                meter.clear()
        _print_import(args, report)
        return {Outcome.ALL: EXIT_OK, Outcome.PARTIAL: EXIT_PARTIAL, Outcome.NOTHING: EXIT_REFUSED}[report.outcome]

    if args.dry_run and _makes_a_new_shop(args):
        # A dry run makes nothing, not even a shop: the rows are checked against an empty shop
        # in a scratch folder, which is what an import into a new shop would find.
        with tempfile.TemporaryDirectory(prefix="kashop-dry-run-") as scratch:
            return run_with_desk(argparse.Namespace(**{**vars(args), "data_dir": scratch, "db": None}), body)
    return run_with_desk(args, body)


class ImportMeter:
    """One line on a terminal's stderr, rewritten after each committed chunk: rows done (of the
    file's estimated rows), rows per second and the time left."""

    def __init__(self, stream: Any, clock: Any = time.monotonic) -> None:
        self.stream, self.clock = stream, clock
        self.start = clock()
        self.shown = False

    def __call__(self, report: Any) -> None:
        if report.all_committed:
            text = (f"全部 {report.rows:,} 行已写入，正在收尾（订单列表的索引和搜索）… / all {report.rows:,} rows written, "
                    "finishing (the order list's indexes and search)…")
        else:
            text = self.line(report.rows, report.estimated_rows, self.clock() - self.start)
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self.shown = True

    @staticmethod
    def line(done: int, total: int, seconds: float) -> str:
        """``导入中 importing 35,000 / ~1,000,000 行 rows · 12,300 行/秒 rows/s · 剩余 about 1:18 left``."""
        rate = done / seconds if seconds > 0 else 0.0
        text = f"导入中 importing {done:,}"
        if total > done:
            text += f" / ~{total:,}"
        text += f" 行 rows · {rate:,.0f} 行/秒 rows/s"
        if total > done and rate > 0:
            left = round((total - done) / rate)
            text += f" · 剩余 about {left // 60}:{left % 60:02d} left"
        return text

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _columns(items: list[str]) -> dict[str, str]:
    from ..services.imports import COLUMNS

    chosen: dict[str, str] = {}
    for item in items:
        header, sep, field = item.partition("=")
        if not sep or not header.strip():
            raise UsageError(f"--column 应为 表头=字段，收到 {item!r}\n--column needs HEADER=FIELD, got {item!r}")
        if field.strip() and field.strip() not in COLUMNS:
            raise UsageError(f"--column：没有字段 {field.strip()!r}；可用：{', '.join(COLUMNS)}\n"
                             f"--column: no field {field.strip()!r}; fields: {', '.join(COLUMNS)}")
        chosen[header.strip()] = field.strip()
    return chosen


def _print_interrupted(args: argparse.Namespace, report: Any) -> None:
    """Ctrl+C during an import: what is in the store and where to go on from."""
    if args.all_or_nothing or report is None or not report.committed_row:
        print_error("导入被中断：没有写入任何行", "the import was interrupted: no row was written")
        return
    if report.all_committed:  # stopped while the list's indexes were being built again
        print_error(f"文件的每一行都已导入（新增或更新 {report.inserted + report.updated} 行）；导入在收尾时被中断，"
                    "订单列表的索引和搜索由下一个打开这个店的命令或窗口补建完成（会多花几秒），不必再导入",
                    f"every row of the file is in ({report.inserted + report.updated} rows inserted or updated); the "
                    "import was interrupted while finishing, and the next command or window that opens the shop "
                    "finishes the order list's indexes and search (a few seconds more): no need to import again")
        return
    done, row = report.inserted + report.updated, report.committed_row
    print_error(f"导入被中断：文件第 {row} 行及之前已提交（新增或更新 {done} 行），第 {row + 1} 行起未写入；"
                "再导入同一个文件即可从那里继续（已导入的行计为未变）",
                f"the import was interrupted: file rows up to {row} are committed ({done} rows inserted or "
                f"updated), nothing from row {row + 1} on; import the same file again to go on from there "
                "(rows already in count as unchanged)")


def _print_import(args: argparse.Namespace, report: Any) -> None:
    def rows(items: list[Any]) -> list[dict[str, Any]]:
        return [{"row": p.row, "column": p.column, "value": p.value, "zh": p.zh, "en": p.en} for p in items]

    if args.json:
        print_json({"outcome": report.outcome.value, "dry_run": report.dry_run, "rows": report.rows,
                    "inserted": report.inserted,
                    "updated": report.updated, "unchanged": report.unchanged, "refused": report.refused,
                    "blank_rows": report.blank, "rolled_back": report.rolled_back,
                    "stopped": rows([report.stopped])[0] if report.stopped else None,
                    "problems": rows(report.problems), "warnings": rows(report.warnings),
                    # only the first refused rows and warnings are listed (KEEP_MESSAGES each)
                    "problems_truncated": report.refused > len(report.problems),
                    "warnings_truncated": report.warning_count > len(report.warnings),
                    "warning_count": report.warning_count, "held": report.held,
                    "delivered": report.delivered, "backordered": report.backordered,
                    "notes": [{"zh": zh, "en": en} for zh, en in report.notes]})
        return
    for zh_note, en_note in report.notes:
        print(f"  注意 note: {zh_note} / {en_note}")
    if report.dry_run:
        print(f"试运行，什么都没有写入 / dry run, nothing was written — 行 rows {report.rows}: "
              f"会新增 would insert {report.inserted}, 会更新 would update {report.updated}, "
              f"未变 unchanged {report.unchanged}, 会拒绝 would refuse {report.refused}")
        if report.unchanged and not (report.inserted or report.updated or report.refused or report.stopped):
            print("  文件里的订单都已在店里、与文件一致：导入不会改动任何订单 / every order of the file is already in "
                  "the shop as the file has it: an import would change nothing")
    else:
        print(f"行 rows {report.rows}: 新增 inserted {report.inserted}, 更新 updated {report.updated}, "
              f"未变 unchanged {report.unchanged}, 拒绝 refused {report.refused}")
    if report.held and report.dry_run:
        print(f"  {report.held} 个新订单属于黑名单买家，导入时会扣留待审 / {report.held} new order(s) of blocked buyers "
              "would be held for review")
    elif report.held:
        print(f"  {report.held} 个新订单属于黑名单买家，已扣留待审（orders list --status held）/ {report.held} new "
              "order(s) of blocked buyers held for review (orders list --status held)")
    if (report.delivered or report.backordered) and report.dry_run:
        print(f"  已支付的卡密订单：按现在的库存，{report.delivered} 单会从库存发货，{report.backordered} 单会缺卡密、进入缺货待发"
              f" / paid card-code orders, with the codes in stock now: {report.delivered} would be delivered from stock, "
              f"{report.backordered} would wait for codes")
    elif report.delivered or report.backordered:
        print(f"  已支付的卡密订单：{report.delivered} 单已从库存发货，{report.backordered} 单无卡密、进入缺货待发"
              f"（orders backorders）/ paid card-code orders: {report.delivered} delivered from stock, "
              f"{report.backordered} waiting for codes (orders backorders)")
    for p in sorted(report.problems, key=lambda p: p.row):
        where = f" [{p.column}]" if p.column else ""
        print(printable(f"  第 {p.row} 行 row {p.row}{where}: {p.zh} / {p.en}"), file=sys.stderr)
    if report.refused > len(report.problems):
        more = report.refused - len(report.problems)
        print(f"  …另有 {more} 行被拒绝 / …and {more} more rows refused", file=sys.stderr)
    for p in sorted(report.warnings, key=lambda p: p.row):
        print(f"  提示 第 {p.row} 行 warning row {p.row} [{p.column}]: {p.zh} / {p.en}")
    if report.stopped is not None:
        print_error(f"导入在第 {report.stopped.row} 行停止：{report.stopped.zh}",
                    f"the import stopped at row {report.stopped.row}: {report.stopped.en}")
    if report.rolled_back and not report.refused and report.stopped is not None:
        above_zh = f"它上面的 {report.rows} 行也没有写入；" if report.rows else ""
        above_en = ("" if not report.rows else ", so the row above it was not written either" if report.rows == 1
                    else f", so the {report.rows} rows above it were not written either")
        print_error(f"按 --all-or-nothing 未写入任何行：文件在第 {report.stopped.row} 行停止，{above_zh}改好文件后再导入整个文件",
                    f"with --all-or-nothing nothing was written: the file stopped at row {report.stopped.row}"
                    f"{above_en}; fix the file and import the whole file again")
    elif report.rolled_back:
        good = report.rows - report.refused
        good_zh = f"：其余 {good} 行正确的行也没有写入；" if good else "；"
        good_en = ("" if not good else ": the other good row was not written either" if good == 1
                   else f": the other {good} good rows were not written either")
        refused_en = "1 row was refused" if report.refused == 1 else f"{report.refused} rows were refused"
        print_error(f"有 {report.refused} 行被拒绝，按 --all-or-nothing 未写入任何行{good_zh}改正被拒绝的行后再导入整个文件",
                    f"{refused_en}, so with --all-or-nothing nothing was written{good_en}; correct the refused rows "
                    "and import the whole file again")


def cmd_orders_cancel(args: argparse.Namespace) -> int:
    """An unpaid order's gateway trade is closed at once too (or it says why not)."""
    import asyncio

    from ..services.requests import cancel_order
    from ..services.trade_close import close_now
    from ..store.models import Order, Refund

    def body(desk: Any) -> int:
        before = Order.get_or_none(Order.order_no == args.order_no)
        was_cancelled = before is not None and before.status == "cancelled"
        changes = cancel_order(desk, args.order_no, ReasonCode(args.reason), args.note,
                               confirm_non_idempotent=args.confirm_no_idempotency)
        closes = asyncio.run(close_now(desk, [args.order_no])).results
        for close in closes:
            print_error(f"网关交易：{close.zh}", f"gateway trade: {close.en}")
        after = Order.get(Order.order_no == args.order_no)
        if after.status != "cancelled":  # the close found the buyer's payment: paid (and delivered), not cancelled
            now_is = OrderStatus(after.status)
            print_error(f"订单 {args.order_no} 没有取消：关闭交易时发现买家已经付款，订单已补单，现为「{now_is.zh}」。"
                        f"要退款请登记买家的申请：kashop-desktop requests open {args.order_no} --reason {args.reason}",
                        f"order {args.order_no} is not cancelled: closing its trade found the buyer had paid, so it "
                        f"was marked paid and is now '{now_is.en}'. To refund it, record the buyer's request: "
                        f"kashop-desktop requests open {args.order_no} --reason {args.reason}")
            return EXIT_REFUSED
        if was_cancelled:  # cancelled before, its money kept: only the refund is new
            zh_text, en_text = f"退回 {args.order_no} 未退的款项（订单仍为已取消）", \
                f"returning the money kept on {args.order_no} (the order stays cancelled)"
        else:
            zh_text, en_text = f"已取消 {args.order_no}", f"cancelled {args.order_no}"
        refunds = list(Refund.select().where(Refund.id.in_(sorted(changes.refund_ids)))) if changes.refund_ids else []
        zh_tail, en_tail = refunds_made(refunds)
        zh_text, en_text = zh_text + zh_tail, en_text + en_tail
        return done(args, changes, zh_text, en_text, trade_close=closes[0].code if closes else None)

    return run_with_desk(args, body)


def cmd_orders_restore(args: argparse.Namespace) -> int:
    from ..services.orders import restore

    return run_with_desk(args, lambda desk: done(args, restore(desk, args.order_no, note=args.note,
                                                               deliver=not args.no_deliver),
                                                 f"已恢复 {args.order_no}", f"restored {args.order_no}"))


def _time_option(option: str, text: str | None) -> datetime | None:
    """A time typed by a person (Beijing time unless it names its offset), or None; a malformed
    one is a usage error (exit 2)."""
    if text is None:
        return None
    if re.fullmatch(r"\s*\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*", text):
        # A date alone is not a moment (the import refuses it too): say what is missing.
        raise UsageError(f"{option}：只有日期，没有时刻（如 2026-11-17 10:01）/ {option}: a date without a time of day "
                         f"(e.g. 2026-11-17 10:01): {text!r}")
    try:
        return parse_time(text)
    except ValueError:
        pass
    # The forms an import reads (2026年11月18日 9:05, 2026/11/18 下午 3:05, 12时30分...): a time
    # copied from the older system's screen is taken as its export's would be.
    from ..domain.clock import from_epoch
    from ..domain.errors import DomainError
    from ..services.imports.cells import read_time

    try:
        epoch = read_time(text, None)
    except DomainError:
        epoch = None
    if epoch is None:
        raise UsageError(f"{option}：时间格式不对（如 2026-11-17 10:01）/ {option}: not a time "
                         f"(e.g. 2026-11-17 10:01): {text!r}")
    return from_epoch(epoch)


def cmd_orders_mark_paid(args: argparse.Namespace) -> int:
    from ..services.common import get_order
    from ..services.orders import TRADE_NO_REPLACED, mark_paid

    paid_at = _time_option("--paid-at", args.paid_at)

    def body(desk: Any) -> int:
        changes = mark_paid(desk, args.order_no, args.trade_no, confirmed=args.yes, paid_at=paid_at,
                            channel=args.channel, deliver=not args.no_deliver)
        for message in changes.messages:
            if message.startswith(TRADE_NO_REPLACED):
                old = message[len(TRADE_NO_REPLACED):]
                print_error(f"注意：订单原记录的交易号 {old} 已替换为 {args.trade_no.strip()}（时间线保留两者）",
                            f"note: the order's recorded trade no {old} was replaced by {args.trade_no.strip()}"
                            " (the timeline keeps both)")
        if "held" in changes.messages:
            print_error(f"订单 {args.order_no} 扣留待审（买家在黑名单）：已记为已支付，但不会发货，直到放行",
                        f"order {args.order_no} is held for review (blocked buyer): recorded as paid, not delivered "
                        "until released")
        if "paid_at_corrected" in changes.messages:
            shown = paid_at.strftime("%Y-%m-%d %H:%M:%S") if paid_at is not None else ""
            return done(args, changes, f"{args.order_no} 已用该交易号补过单：付款时间更正为 {shown}",
                        f"{args.order_no} was already marked paid with this trade no: its payment time is now {shown}",
                        already_paid=True)
        if "already_paid" in changes.messages:
            return done(args, changes, f"{args.order_no} 已用该交易号支付过，未做任何改动",
                        f"{args.order_no} was already paid with this trade no; nothing changed", already_paid=True)
        order = get_order(args.order_no)
        delivered, waiting = order.delivered_at is not None, order.backorder_at is not None
        zh_text, en_text = f"已补单 {args.order_no}", f"marked {args.order_no} paid"
        if delivered:
            zh_text, en_text = zh_text + "，已发货", en_text + " and delivered it"
        elif args.no_deliver:
            zh_text, en_text = zh_text + "，未发货（--no-deliver：不发货，不占用库存）", \
                en_text + ", nothing delivered (--no-deliver: no delivery, nothing taken from stock)"
        elif waiting:
            zh_text += "；卡密缺货，订单已加入缺货待发，补货后按先后自动发货（orders backorders）"
            en_text += "; no code in stock: the order joined the backorder queue and is delivered when codes are " \
                       "imported (orders backorders)"
        if args.channel in OUTSIDE_CHANNELS:
            how = Channel(args.channel)
            zh_text += f"；买家以{how.zh}直接付给本店，之后的退款由你手工退（不会发到网关）"
            en_text += f"; paid to the shop directly by {how.en.lower()}: a later refund is yours by hand (never sent to " \
                       "the gateway)"
        return done(args, changes, zh_text, en_text, already_paid=False, delivered=delivered, backorder=waiting)

    return run_with_desk(args, body)


def cmd_orders_deliver(args: argparse.Namespace) -> int:
    from ..services.orders import deliver

    return run_with_desk(args, lambda desk: done(args, deliver(desk, args.order_no),
                                                 f"已发货 {args.order_no}", f"delivered {args.order_no}"))


def cmd_orders_complete(args: argparse.Namespace) -> int:
    from ..services.orders import complete

    return run_with_desk(args, lambda desk: done(args, complete(desk, args.order_no),
                                                 f"已完成 {args.order_no}", f"completed {args.order_no}"))


def cmd_orders_code_used(args: argparse.Namespace) -> int:
    from ..services.orders import set_code_used

    return run_with_desk(args, lambda desk: done(
        args, set_code_used(desk, args.order_no, CodeUsed(args.used), note=args.note),
        f"已记录卡密使用情况：{ {'yes': '已使用', 'no': '未使用', 'unknown': '未知'}[args.used] }",
        f"recorded code used: {args.used}"))
