"""The log for people: the order timelines and the shop log of a date range, as a CSV file.

``export`` writes the rows of the three chains (``timeline``: the orders' timelines, ``shop``:
the shop log, ``stock``: the 卡密 inventory's timeline) whose time falls in [start, end] (Beijing dates, both
days included), oldest first, with the operator of each, the row's id in its chain and its
hash (hex), so a copy kept elsewhere can later be compared with the store. The file is UTF-8
with a BOM (Excel opens it as such); a cell starting with ``= + - @`` is written with a
leading apostrophe so a spreadsheet does not run it as a formula.
"""

from __future__ import annotations

import csv
import heapq
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ..domain.clock import SHOP_TZ
from ..domain.errors import DomainError
from ..domain.roles import Right
from .desk import Desk
from .outfiles import check_output, write_atomically

HEADER_ZH = ("时间（北京时间）", "日志", "行号", "操作员", "执行方", "动作", "订单号", "对象", "说明", "状态（前）",
             "状态（后）", "数据", "哈希")
HEADER_EN = ("time (Beijing)", "log", "row", "operator", "actor", "action", "order_no", "subject", "note",
             "status_before", "status_after", "data", "hash")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _span(start: date, end: date) -> tuple[int, int]:
    if end < start:
        raise DomainError("invalid_range", f"结束日期 {end} 早于开始日期 {start}", f"the end date {end} is before the start {start}")
    first = datetime.combine(start, time(0), SHOP_TZ)
    last = datetime.combine(end + timedelta(days=1), time(0), SHOP_TZ)
    return int(first.timestamp()), int(last.timestamp())


def _timeline(desk: Desk, lo: int, hi: int) -> Iterator[tuple[Any, ...]]:
    cursor = desk.db.execute_sql(
        "SELECT e.at, 'timeline', e.id, e.operator, e.actor, e.action, o.order_no, '', e.note, e.before_status, "
        "e.after_status, e.data, e.hash FROM order_event e LEFT JOIN orders o ON o.id = e.order_id "
        "WHERE e.at >= ? AND e.at < ? ORDER BY e.at, e.id", (lo, hi))
    yield from cursor


def _shop_log(desk: Desk, lo: int, hi: int) -> Iterator[tuple[Any, ...]]:
    cursor = desk.db.execute_sql(
        "SELECT at, 'shop', id, operator, '', action, '', subject, note, '', '', data, hash FROM audit_event "
        "WHERE at >= ? AND at < ? ORDER BY at, id", (lo, hi))
    yield from cursor


def _stock_log(desk: Desk, lo: int, hi: int) -> Iterator[tuple[Any, ...]]:
    cursor = desk.db.execute_sql(
        "SELECT e.at, 'stock', e.id, e.operator, e.actor, e.action, o.order_no, COALESCE(p.name, ''), e.note, '', '', "
        "e.data, e.hash FROM code_event e LEFT JOIN product p ON p.id = e.product_id "
        "LEFT JOIN orders o ON o.id = e.order_id WHERE e.at >= ? AND e.at < ? ORDER BY e.at, e.id", (lo, hi))
    yield from cursor


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _line(row: tuple[Any, ...]) -> list[str]:
    at, log, row_id, operator, actor, action, order_no, subject, note, before, after, data, digest = row
    when = datetime.fromtimestamp(at, SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S")
    order_cell = f'="{order_no}"' if order_no and str(order_no).isdigit() else _cell(order_no)  # kept as text
    return [when, log, str(row_id), _cell(operator), _cell(actor), _cell(action), order_cell, _cell(subject),
            _cell(note), _cell(before), _cell(after), _cell(data), bytes(digest).hex() if digest else ""]


def export(desk: Desk, start: date, end: date, path: Path, *, english: bool = False, force: bool = False) -> int:
    """Write the log of ``start``..``end`` (Beijing dates) to ``path`` as CSV; the rows written.

    Owner only (Right.AUDIT: PermissionRefused). ``path`` must pass ``outfiles.check_output``
    (a .csv file outside the data folder; an existing file only with ``force``: OutputRefused).
    Written through a temporary file beside ``path`` and renamed into place at the end, so a
    failure leaves no half file (DomainError ``file_unwritable``, with the reason); raises
    DomainError ``invalid_range`` for an end before the start.
    """
    desk.require(Right.AUDIT)
    lo, hi = _span(start, end)
    target = check_output(desk.data_dir, path, force=force, suffixes=(".csv",))
    count = 0

    def write(scratch: Path) -> None:
        nonlocal count
        with scratch.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(HEADER_EN if english else HEADER_ZH)
            logs = (_timeline(desk, lo, hi), _shop_log(desk, lo, hi), _stock_log(desk, lo, hi))
            for row in heapq.merge(*logs, key=lambda r: (r[0], r[1], r[2])):
                writer.writerow(_line(row))
                count += 1

    write_atomically(target, write, replace=force)
    desk.log("log_exported", str(target.name), "", {"from": start.isoformat(), "to": end.isoformat(), "rows": count})
    return count



def anchor_log(desk: Desk) -> int:
    """Anchor every chain of the log again at its head as it is now (``services.chain_anchor``),
    under the secret store's anchor key (made when it holds none): after moving the shop to
    another PC, restoring a backup from before the anchors, or the keyring being cleared.
    Owner only (Right.ANCHOR: PermissionRefused). Refused as ``log_broken`` (DomainError) while a
    chain does not hold, or its valid anchor shows its end was cut off: anchoring would bless the
    tampering, as is an anchor missing or wrong while the store records it was anchored under
    the key at hand (it was removed, not made elsewhere); refused as ``log_disagrees`` while the state tables disagree with the log
    (``services.state_check.disagreements``: a wiped or cut log leaves operators, orders or
    refunds no entry names). A cut-off end cannot be told from an
    honest one once its anchor is gone: the owner vouches for the log by running this. Recorded in
    the shop log (``log_anchored``). Raises VaultLocked (the vault's passphrase is needed).
    Returns the rows of the log that hold."""
    from ..domain.audit import BreakKind
    from ..store import chain as store_chain
    from . import chain_anchor, state_check

    desk.require(Right.ANCHOR)
    with desk.atomic():
        con = desk.db.connection()
        results = [store_chain.verify(con, name) for name in store_chain.FIELDS]
        broken = [b for _, b in results if b is not None]
        same_key = chain_anchor.anchored_under(con, desk.secrets())  # then a missing anchor was removed
        broken += [b for b in chain_anchor.verify(con, desk.secrets()).breaks
                   if b.kind is BreakKind.TRUNCATED or same_key]
        if broken:
            raise DomainError("log_broken", f"日志链不完整，不能重新锚定：{broken[0].zh}。请先从备份恢复",
                              f"the log's chain does not hold, so it is not anchored again: {broken[0].en}. "
                              "Restore a backup first")
        disagreeing = state_check.disagreements(con)
        if disagreeing:
            raise DomainError("log_disagrees",
                              "日志与店铺数据不一致，不能重新锚定：" + "；".join(zh for zh, _ in disagreeing)
                              + "。请先运行 kashop-desktop check 查明，必要时从备份恢复",
                              "the log does not agree with the shop's records, so it is not anchored again: "
                              + "; ".join(en for _, en in disagreeing)
                              + ". Run kashop-desktop check first and restore a backup if need be")
        rows = sum(n for n, _ in results)
        desk.log("log_anchored", "", "", {"rows": rows})
        desk.anchorer.anchor_again(con)
    return rows + 1
