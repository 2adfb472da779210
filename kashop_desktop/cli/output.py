"""What the command line prints: JSON, tables, messages in Chinese and English, exit statuses.

``--json`` prints money as integer fen in ``*_fen`` fields, times in ISO 8601 with offset, states
as their codes. Tables size their columns by display width (a CJK character takes two cells).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from typing import Any, cast

from ..domain.states import OrderStatus

# Exit statuses, shared by every command (the project's decision, see README "Command line").
EXIT_OK = 0  # success
EXIT_REFUSED = 1  # a rule refused (message in Chinese and English on stderr)
EXIT_USAGE = 2  # bad arguments or values
EXIT_PARTIAL = 3  # partly done: some rows refused, the rest done
EXIT_BUSY = 4  # the store is busy: another process held it too long
EXIT_STORE = 5  # the store cannot be used: damaged, empty or a newer schema
EXIT_INTERNAL = 70  # an unexpected internal error (logged; a short message, no traceback)
EXIT_INTERRUPTED = 130  # Ctrl+C (the shell's convention: 128 + SIGINT)


#: Import refusals that are the file's own shape (or path), not a rule: exit 2 like any bad value.
FILE_USAGE = frozenset({"import_missing_columns", "import_duplicate_columns", "import_not_found",
                        "import_not_a_file", "import_bad_encoding", "import_column_not_found"})
#: The services' refusals (DomainError codes) of a value given on the command line rather than of
#: what a rule allows: a password too short, an approval limit for someone who is not a clerk, a
#: negative limit, a role the desk does not know, an import file of the wrong shape. Bad values
#: are usage errors: ``EXIT_USAGE``.
BAD_VALUE_CODES = frozenset({"weak_password", "limit_for_clerks", "invalid_limit", "invalid_role",
                             "bad_trade_no", "bad_reference", "trade_no_required"}) | FILE_USAGE


class UsageError(Exception):
    """Bad arguments or values; ``main`` prints the usage line and this message, exit ``EXIT_USAGE``."""


def count_en(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and an English noun in the number it takes, with thousands separators: "1 code",
    "2 codes", "1,200 rows" (``plural`` for nouns that do not just add s)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


#: What the command line prints in place of a control character that comes with the data (a
#: note, a name, a file's cell): its Unicode control picture (U+241B for ESC, U+240D for a carriage
#: return, U+2421 for DEL), or U+FFFD for a C1 or bidirectional control, so text typed or imported
#: with one cannot move the cursor, clear the screen, recolour or reorder what the terminal shows.
#: Tab and newline stay.
VISIBLE_CONTROLS = {**{c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)}, 0x7F: 0x2421,
                    **{c: 0xFFFD for c in range(0x80, 0xA0)},
                    # The bidirectional controls, which would show a note's text reversed or moved
                    # (U+202E makes "退款 001" read otherwise): U+FFFD as well.
                    **{c: 0xFFFD for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}}
#: The characters of VISIBLE_CONTROLS that JSON leaves raw (it escapes only C0): escaped there.
_JSON_RAW_CONTROLS = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(VISIBLE_CONTROLS) if c >= 0x20) + "]")


def printable(text: str) -> str:
    """``text`` with its control characters shown as VISIBLE_CONTROLS says."""
    return text.translate(VISIBLE_CONTROLS)


class PrintableOut:
    """Standard output for a command's words: every write goes through ``printable``. A command
    that writes data (``orders export -``'s CSV) writes to ``unfiltered``, which is left as it is."""

    def __init__(self, inner: Any) -> None:
        self.unfiltered = inner

    def write(self, text: str) -> int:
        self.unfiltered.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self.unfiltered.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unfiltered, name)


def unfiltered(stream: Any) -> Any:
    """The stream under a PrintableOut (``stream`` itself otherwise)."""
    return stream.unfiltered if isinstance(stream, PrintableOut) else stream


def print_error(zh: str, en: str) -> None:
    """Print one message on stderr, Chinese line first, then English (control characters shown as
    ``printable`` says: a message may quote the data)."""
    print(printable(f"{zh}\n{en}"), file=sys.stderr)


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON (money fen, times ISO 8601, through ``views.to_json``).
    JSON escapes the C0 controls itself; DEL, the C1 and the bidirectional controls are written
    as ``\\u`` escapes too, so a value reads back exactly and nothing reaches a terminal raw."""
    from ..services.views import to_json

    text = json.dumps(to_json(value), ensure_ascii=False, indent=2)
    print(_JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def zh(args: argparse.Namespace) -> bool:
    """True unless ``--lang en`` was given: Chinese is the default."""
    return getattr(args, "lang", "zh") != "en"


def status_label(code: str, args: argparse.Namespace) -> str:
    """An order status code as people read it, in the chosen language."""
    status = OrderStatus(code)
    return status.zh if zh(args) else status.en


def table(rows: list[list[str]], header: list[str]) -> None:
    """Print ``rows`` under ``header`` in columns aligned by display width; a cell's line breaks
    (a note typed over several lines) are shown as ⏎ so each row stays one line."""
    rows = [[" ⏎ ".join(str(c).splitlines()) if isinstance(c, str) else c for c in row] for row in rows]
    widths = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c) + " " * (w - width(str(c))) for c, w in zip(row, widths, strict=True)).rstrip())


def width(text: str) -> int:
    """Display width of ``text`` in terminal cells (CJK and wider characters count two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def changes_json(changes: Any, **extra: Any) -> dict[str, Any]:
    """A service's ``Changes`` as JSON: the ids it touched, its messages and what it skipped."""
    return {"order_ids": sorted(changes.order_ids), "request_ids": sorted(changes.request_ids),
            "refund_ids": sorted(changes.refund_ids), "messages": changes.messages,
            "skipped": [{"ref": s.ref, "code": s.code, "zh": s.zh, "en": s.en} for s in changes.skipped], **extra}


#: At most this many orders and refunds an operation touched are named in its JSON by order no and
#: refund (a sweep can touch thousands: their ids are listed as always).
NAMED_IN_JSON = 200


def _named(changes: Any) -> dict[str, Any]:
    """The orders (by order no) and the refunds (id, refund no, order no, fen: what goes back to
    the buyer, gross and the fee kept, state) an operation touched, when there are few enough to
    name."""
    from ..store.models import Order, Refund

    named: dict[str, Any] = {}
    if changes.order_ids and len(changes.order_ids) <= NAMED_IN_JSON:
        nos = cast(Iterable[tuple[str]], Order.select(Order.order_no)
                   .where(Order.id.in_(sorted(changes.order_ids))).tuples())
        named["order_nos"] = sorted(no for (no,) in nos)
    if changes.refund_ids and len(changes.refund_ids) <= NAMED_IN_JSON:
        rows = cast(Iterable[tuple[int, str, str, int, int, int, str]], (
            Refund.select(Refund.id, Refund.refund_no, Order.order_no, Refund.amount_fen, Refund.gross_fen,
                          Refund.fee_fen, Refund.state).join(Order)
            .where(Refund.id.in_(sorted(changes.refund_ids))).order_by(Refund.id).tuples()))
        named["refunds"] = [{"id": i, "refund_no": no, "order_no": order_no, "amount_fen": net, "gross_fen": gross,
                             "fee_fen": fee, "state": state} for i, no, order_no, net, gross, fee, state in rows]
    return named


def done(args: argparse.Namespace, changes: Any, zh_text: str, en_text: str, **extra: Any) -> int:
    """Report an operation's ``Changes``: JSON with ``--json`` (with the one line in both languages
    as ``zh`` and ``en``, and the orders and refunds it touched named), else the line in the
    chosen language."""
    if getattr(args, "json", False):
        print_json(changes_json(changes, **_named(changes), zh=zh_text, en=en_text, **extra))
    else:
        print(zh_text if zh(args) else en_text)
    return EXIT_OK


def about(exact: bool, args: argparse.Namespace) -> str:
    """The mark before a date computed across days the holiday calendar does not know yet."""
    return "" if exact else ("约 " if zh(args) else "approx. ")


def request_json(r: Any) -> dict[str, Any]:
    """A ``views.RequestView`` as JSON (amounts in fen). ``exact``: false when the deadline crosses
    days the holiday calendar does not know yet."""
    return {"id": r.id, "order_no": r.order_no, "state": r.state, "reason": r.reason, "is_dispute": r.is_dispute,
            "amount_fen": r.amount_fen, "note": r.note, "evidence": r.evidence, "overdue": r.overdue,
            "requested_at": r.requested_at, "due_at": r.due_at, "exact": r.due_exact, "outcome": r.outcome,
            "decision_reasons": r.decision_reasons, "decided_by": r.decided_by, "decision_note": r.decision_note}


def refund_json(r: Any) -> dict[str, Any]:
    """A ``views.RefundView`` as JSON (amounts in fen, times ISO 8601). ``exact``: false when the ETA
    crosses days the holiday calendar does not know yet."""
    return {"id": r.id, "order_no": r.order_no, "refund_no": r.refund_no, "amount_fen": r.amount_fen,
            "gross_fen": r.gross_fen, "fee_fen": r.fee_fen, "coupon_share_fen": r.coupon_share_fen,
            "points_returned": r.points_returned, "state": r.state, "checks": r.checks,
            "resolved_how": r.resolved_how, "gateway": r.gateway, "operator": r.operator,
            # who sent it last: the operator signed in, and whether by hand (null: never sent)
            "sent_by": r.sent_by if r.sent_by_hand is not None else None, "sent_by_hand": r.sent_by_hand,
            "gateway_kind": r.gateway_kind, "channel": r.channel, "attempts": r.attempts,
            # the owner's word when resolving by hand is a note, not an error
            "last_error": "" if r.last_error_kind == "manual" else r.last_error,
            "owner_note": r.last_error if r.last_error_kind == "manual" else "", "security_warning": r.security_warning,
            "needs_confirmation": r.needs_confirmation, "eta": r.eta_latest, "eta_earliest": r.eta_earliest,
            "exact": r.eta_exact,
            "created_at": r.created_at, "settled_at": r.settled_at}


def refunds_made(refunds: Any) -> tuple[str, str]:
    """What became of the refund rows an approval or a cancel made (``store.models.Refund``), as
    the tail of its one-line report (zh, en; "" for none): those queued to go back by the
    original route and those waiting for the owner (no gateway account), each with the fee the
    shop keeps when there is one (the buyer gets the amount less the fee)."""
    from ..domain.money import format_yuan
    from ..domain.order import OUTSIDE_CHANNELS
    from ..domain.refund_states import RefundStatus

    zh_parts, en_parts = [], []
    for waiting in (False, True):
        rows = [r for r in refunds if (r.state == RefundStatus.NEEDS_OWNER.value) is waiting]
        if not rows:
            continue
        net, fee = sum(int(r.amount_fen) for r in rows), sum(int(r.fee_fen or 0) for r in rows)
        zh_fee = f"（扣手续费 ¥{format_yuan(fee)}）" if fee else " "
        en_fee = f" (less a ¥{format_yuan(fee)} fee)" if fee else ""
        if waiting:  # no gateway to send it: the owner pays it back and records that
            direct = all(r.channel in OUTSIDE_CHANNELS for r in rows)  # paid to the shop directly
            zh_why = "买家是直接付给本店的（现金或转账），不经网关" if direct else "没有可发送它的网关账户"
            en_why = "the buyer paid the shop directly (cash or a transfer), not through a gateway" if direct \
                else "no gateway account can send it"
            zh_parts.append(f"；退款 ¥{format_yuan(net)}{zh_fee}待人工处理：{zh_why}，请手工退给买家，"
                            "再用 refunds resolve 登记")
            en_parts.append(f"; a refund of ¥{format_yuan(net)}{en_fee} waits for the owner: {en_why}, so pay the "
                            "buyer back by hand and record it with refunds resolve")
        else:
            zh_parts.append(f"；退款 ¥{format_yuan(net)}{zh_fee}已排队，原路退回（refunds send 发送；窗口开着时自动发送）")
            en_parts.append(f"; a refund of ¥{format_yuan(net)}{en_fee} is queued to go back by the original route "
                            "(refunds send sends it; an open window sends it by itself)")
    return "".join(zh_parts), "".join(en_parts)

