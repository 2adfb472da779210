"""``buyers``: a note per buyer, the blocklist, and releasing orders held for review."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_command, add_noun, run_with_desk
from .helptext import JSON_HELP, NOTE_HELP, T
from .output import EXIT_OK, UsageError, done, print_json, table, zh

CONTACT_HELP = T("买家联系方式：手机号、QQ 或邮箱，任何写法（138-0013-8000、+86 138…、QQ 8888…）",
                 "the buyer's contact: phone, QQ or e-mail, any spelling (138-0013-8000, +86 138…, QQ 8888…)")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``buyers`` noun and its verbs to ``sub``."""
    noun = add_noun(sub, "buyers", T("买家：备注、黑名单（拉黑后其订单扣留待审）",
                                     "buyers: notes, the blocklist (a blocked buyer's orders are held for review)"))
    p = add_command(noun, common, "note", cmd_buyers_note, T("给买家写备注（空文本清除），显示在其订单详情中",
                                                             "keep a note on a buyer (empty text clears it); shown "
                                                             "with their orders"))
    p.add_argument("contact", help=CONTACT_HELP)
    p.add_argument("text", help=T("备注内容", "the note"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(noun, common, "block", cmd_buyers_block, T(
        "拉黑买家：其未发货的订单和以后导入的订单扣留待审，不会发货", "block a buyer: their undelivered orders, and "
        "those imported later, are held for review instead of being delivered"))
    p.add_argument("contact", help=CONTACT_HELP)
    p.add_argument("--reason", required=True, metavar="T", help=T("拉黑原因（必填，显示在每个扣留的订单上）",
                                                                  "why (required; shown on every held order)"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(noun, common, "unblock", cmd_buyers_unblock, T(
        "解除拉黑；已扣留的订单不会自动放行（用 buyers release 或 orders release）",
        "take a buyer off the blocklist; held orders stay held (buyers release or orders release)"))
    p.add_argument("contact", help=CONTACT_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(noun, common, "release", cmd_buyers_release, T("放行该买家全部扣留待审的订单",
                                                                   "release every held order of a buyer"))
    p.add_argument("contact", help=CONTACT_HELP)
    p.add_argument("--note", default="", help=NOTE_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = add_command(noun, common, "list", cmd_buyers_list, T("有备注或被拉黑的买家", "buyers with a note or blocked"))
    p.add_argument("--blocked", action="store_true", help=T("只列黑名单", "the blocklist only"))
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def _contact_or_usage(contact: str) -> str:
    """The buyer's contact key; an empty contact is a usage error (exit 2), not a refusal."""
    from ..domain.contacts import contact_key

    key = contact_key(contact or "")
    if not key:
        raise UsageError("需要买家联系方式（手机号、QQ 或邮箱），收到空值\n"
                         "a buyer contact (phone, QQ or e-mail) is required; got an empty one")
    return key


def _count(changes: Any, prefix: str) -> int:
    return next((int(m.split(":", 1)[1]) for m in changes.messages if m.startswith(prefix + ":")), 0)


def cmd_buyers_note(args: argparse.Namespace) -> int:
    from ..services import buyers

    key = _contact_or_usage(args.contact)

    def body(desk: Any) -> int:
        changes = buyers.set_note(desk, args.contact, args.text)
        if args.text.strip():
            return done(args, changes, f"已保存买家 {key} 的备注", f"note kept for buyer {key}", buyer=key)
        return done(args, changes, f"已清除买家 {key} 的备注", f"note cleared for buyer {key}", buyer=key)

    return run_with_desk(args, body)


def cmd_buyers_block(args: argparse.Namespace) -> int:
    from ..services import buyers

    key = _contact_or_usage(args.contact)
    if not args.reason.strip():
        raise UsageError("--reason：拉黑需要写明原因\n--reason: blocking a buyer needs a reason")

    def body(desk: Any) -> int:
        changes = buyers.block(desk, args.contact, args.reason)
        held, orders = _count(changes, "held"), _count(changes, "orders")
        previous = next((m.split(":", 1)[1] for m in changes.messages if m.startswith("previous_reason:")), "")
        reason = args.reason.strip()
        zh_text = f"已拉黑买家 {key}（{reason}）；{held} 个未发货订单扣留待审"
        en_text = f"buyer {key} blocked ({reason}); {held} undelivered order(s) held for review"
        if previous:
            zh_text = f"买家 {key} 已在黑名单上：原因由「{previous}」改为「{reason}」（旧原因记入买家备注）；{held} 个订单新扣留"
            en_text = (f"buyer {key} was already blocked: reason changed from \"{previous}\" to \"{reason}\" "
                       f"(the old reason is kept in the buyer's note); {held} more order(s) held")
        if not orders:
            zh_text += "；该买家还没有订单，之后的订单会自动扣留待审"
            en_text += "; this buyer has no orders yet: future orders will be held for review"
        return done(args, changes, zh_text, en_text, buyer=key, held=held, orders=orders,
                    previous_reason=previous or None)

    return run_with_desk(args, body)


def cmd_buyers_unblock(args: argparse.Namespace) -> int:
    from ..services import buyers

    key = _contact_or_usage(args.contact)

    def body(desk: Any) -> int:
        changes = buyers.unblock(desk, args.contact)
        still = _count(changes, "still_held")
        tail_zh = f"；仍有 {still} 个订单扣留待审，需逐个或用 buyers release 放行" if still else ""
        tail_en = f"; {still} order(s) stay held until you release them (orders release, buyers release)" if still else ""
        return done(args, changes, f"已解除拉黑买家 {key}{tail_zh}", f"buyer {key} unblocked{tail_en}",
                    buyer=key, still_held=still)

    return run_with_desk(args, body)


def cmd_buyers_release(args: argparse.Namespace) -> int:
    from ..services import buyers

    key = _contact_or_usage(args.contact)

    def body(desk: Any) -> int:
        changes = buyers.release_buyer(desk, args.contact, note=args.note)
        n = _count(changes, "released")
        if not n:
            return done(args, changes, f"买家 {key} 没有扣留待审的订单", f"buyer {key} has no orders held for review",
                        buyer=key, released=0)
        return done(args, changes, f"已放行买家 {key} 的 {n} 个订单，可以发货",
                    f"released {n} order(s) of buyer {key}; they may be delivered", buyer=key, released=n)

    return run_with_desk(args, body)


def cmd_buyers_list(args: argparse.Namespace) -> int:
    from ..services import buyers

    def body(desk: Any) -> int:
        found = buyers.list_buyers(desk, blocked_only=args.blocked)
        if args.json:
            print_json([{"buyer": b.key, "note": b.note, "note_at": b.note_at,
                         "blocked": b.blocked, "blocked_reason": b.blocked_reason,
                         "blocked_at": b.blocked_at, "orders": b.orders,
                         "held": b.held} for b in found])
            return EXIT_OK
        yes, no = ("是", "") if zh(args) else ("yes", "")
        table([[b.key, yes if b.blocked else no, b.blocked_reason, str(b.held), str(b.orders), b.note[:40]]
               for b in found],
              ["买家", "拉黑", "原因", "扣留", "订单", "备注"] if zh(args)
              else ["buyer", "blocked", "reason", "held", "orders", "note"])
        return EXIT_OK

    return run_with_desk(args, body)
