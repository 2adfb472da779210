"""Importing 卡密: from a paste box, .txt, .csv or .xlsx; a preview with every line's problem;
duplicates within the text and against the store reported, never imported; then the backorder
queue (缺货待发) of the product filled oldest-first from the new codes.

The forms shops use are accepted line by line (domain.codes.parse_line): one code, or a card no
and password separated by ``----``, tab, comma or spaces. Text files may be UTF-8 (with or without
BOM), UTF-16 with BOM, or GB18030/GBK; an XLSX takes the first sheet, one or two cells a row.
A header row (卡密 / 卡号 密码 / code …) is skipped.

Speed: 100,000 codes in about 3 s on a busy 2-core machine (benchmarks/bench_codes.py): sealing and
hashing are one call each per code, duplicates against the store are one indexed lookup per 900.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain.clock import to_epoch
from ..domain.codes import CodeLine, canonical, parse_lines
from ..domain.errors import DomainError
from ..domain.order import ProductType
from ..store.models import CardCode, Order
from .changes import Changes
from .codes import add_code_events, code_event
from .common import OWNER
from .desk import Desk
from .products import BACKORDER_SQL, backorder_clause, get_product, update_low_stock

HEADER_WORDS = {"卡密", "卡号", "密码", "卡号----密码", "卡号----卡密", "code", "codes", "card", "card_no",
                "password", "card_no----password", "card----password", "code----password"}
_CHUNK = 900  # SQLite's bound parameters per statement, with room to spare


@dataclass(frozen=True)
class Duplicate:
    """A line not imported: ``first_line`` is the earlier line of the same text holding the code,
    or None when the store already has it; ``sold``: the stored code was sold or voided (a buyer
    may hold it), so it can never be imported again."""

    line: int
    first_line: int | None
    sold: bool = False


@dataclass
class ImportPlan:
    """What an import would do: ``new`` lines to import, ``duplicates`` and ``problems`` (line, zh, en)
    not imported. Built without writing anything (the preview)."""

    product: str
    new: list[CodeLine] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    digests: dict[int, str] = field(default_factory=dict)

    @property
    def refused(self) -> int:
        return len(self.duplicates) + len(self.problems)


@dataclass
class ImportResult:
    plan: ImportPlan
    imported: int
    delivered_orders: list[str]
    changes: Changes


# ---- reading ------------------------------------------------------------------------------------

def read_code_file(path: Path) -> list[str]:
    """The lines of a code file, recognised by content. Raises DomainError file_unreadable /
    file_encoding / file_format (an old .xls, a damaged workbook) with the way to save it again."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DomainError("file_unreadable", f"无法读取文件：{path}（{exc.strerror}）",
                          f"cannot read file: {path} ({exc.strerror})") from exc
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_lines(data, path)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DomainError("file_format", f"{path.name} 是旧版 .xls 工作簿：请另存为 .xlsx 或文本后再导入",
                          f"{path.name} is an old .xls workbook: save it as .xlsx or text and import that")
    return decode_text(data, path.name).splitlines()


def decode_text(data: bytes, name: str = "") -> str:
    """Text from bytes: BOM first (UTF-8, UTF-16), then strict UTF-8, then strict GB18030."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("file_encoding", f"{name} 的编码无法识别：请另存为 UTF-8 文本后再导入",
                      f"cannot tell the encoding of {name}: save it as UTF-8 text and import that")


def _xlsx_lines(data: bytes, path: Path) -> list[str]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DomainError("file_format", f"{path.name} 不是可读的 .xlsx 工作簿（可能已损坏）：请重新保存后再导入",
                          f"{path.name} is not a readable .xlsx workbook (damaged?): save it again and import that"
                          ) from exc
    lines: list[str] = []
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            lines.append("\t".join(_cell_text(v) for v in row if v is not None and str(v).strip()))
    finally:
        book.close()
    return lines


NUMBER_CELL = "\ufffenumber:"  # marks a line with a number cell (a noncharacter: never in a real code)


def _cell_text(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        # Excel keeps 15 digits and drops leading zeros: such a code may already be wrong.
        return f"{NUMBER_CELL}{value}"
    return str(value)


# ---- planning and importing -----------------------------------------------------------------------

def plan_import(desk: Desk, product: str, lines: list[str]) -> ImportPlan:
    """Check every line (format, duplicates in the text and in the store) without writing.
    Raises DomainError product_not_found, not_card_product, or the key's errors (VaultLocked …)."""
    target = get_product(product)
    if target.product_type != ProductType.CARD_CODE.value:
        raise DomainError("not_card_product", f"「{target.name}」不是卡密商品", f"'{target.name}' is not a card-code product")
    cipher = desk.code_cipher()
    plan = ImportPlan(target.name)
    first_seen: dict[str, int] = {}
    start = 1
    if lines and canonical(lines[0]).lower() in HEADER_WORDS:
        start = 2
    for parsed in parse_lines(lines[start - 1:], first_line=start):
        if parsed.code is None or NUMBER_CELL in lines[parsed.line - 1]:
            plan.problems.append(_problem(parsed, lines[parsed.line - 1]))
            continue
        digest = cipher.digest(parsed.code)
        if digest in first_seen:
            plan.duplicates.append(Duplicate(parsed.line, first_seen[digest]))
            continue
        first_seen[digest] = parsed.line
        plan.digests[parsed.line] = digest
        plan.new.append(parsed)
    _drop_stored(plan)
    return plan


def _problem(parsed: CodeLine, raw: str) -> tuple[int, str, str]:
    if parsed.problem is not None:
        return parsed.line, parsed.problem[0], parsed.problem[1]
    return (parsed.line, f"第 {parsed.line} 行是数字单元格：Excel 只保留 15 位并去掉开头的 0，请把该列设为文本后重新录入",
            f"line {parsed.line} is a number cell: Excel keeps 15 digits and drops leading zeros; format the column "
            "as Text and enter the codes again")


def _drop_stored(plan: ImportPlan) -> None:
    digests = list(plan.digests.values())
    stored: dict[str, bool] = {}  # digest -> sold or voided
    con = CardCode._meta.database.connection()
    for start in range(0, len(digests), _CHUNK):
        chunk = digests[start:start + _CHUNK]
        sql = ("SELECT digest, state IN ('delivered', 'void') OR (order_id IS NOT NULL AND state <> 'reserved') "
               f"FROM card_code WHERE digest IN ({','.join('?' * len(chunk))})")
        stored.update((d, bool(sold)) for d, sold in con.execute(sql, chunk))
    if not stored:
        return
    kept = []
    for parsed in plan.new:
        if plan.digests[parsed.line] in stored:
            plan.duplicates.append(Duplicate(parsed.line, None, stored[plan.digests[parsed.line]]))
            del plan.digests[parsed.line]
        else:
            kept.append(parsed)
    plan.new = kept
    plan.duplicates.sort(key=lambda d: d.line)


def import_codes(desk: Desk, product: str, lines: list[str], *, batch: str = "", cost_fen: int = 0,
                 actor: str = OWNER) -> ImportResult:
    """Import the new lines of ``plan_import`` in one transaction, then fill the product's
    backorders oldest-first. Lines refused stay out (the result's plan says which and why).
    Raises what plan_import raises, and DomainError invalid_value for a negative cost."""
    if cost_fen < 0:
        raise DomainError("invalid_value", "成本不能为负", "the cost cannot be negative")
    cipher = desk.code_cipher()
    with desk.atomic():
        plan = plan_import(desk, product, lines)  # again inside: another process may have imported meanwhile
        target = get_product(product)
        now = to_epoch(desk.now())
        rows = []
        for parsed in plan.new:
            token = cipher.seal(parsed.code or "")
            rows.append((target.id, token, plan.digests[parsed.line], token.split(":", 2)[2], batch.strip(),
                         cost_fen, now, now))
        desk.db.connection().executemany(
            "INSERT INTO card_code (product_id, sealed, digest, hint, batch, cost_fen, imported_at, changed_at, state,"
            " used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'available', 'unknown')", rows)
        changes = Changes(product_ids={target.id}, counts_changed=bool(rows))
        if rows:
            add_code_events([code_event(desk, target.id, "import", actor=actor, note=batch.strip(),
                                        data={"imported": len(rows), "refused": plan.refused, "cost_fen": cost_fen})])
        update_low_stock(desk, target)
        delivered = fill_backorders(desk, target.id, changes)
    return ImportResult(plan, len(rows), delivered, changes)


def add_codes(desk: Desk, product_id: int, codes: list[str], *, batch: str = "") -> int:
    """Put codes on a product's shelf as they are (the demo's stock, tests), sealed, skipping
    any already stored; in the caller's transaction. Returns how many were added."""
    cipher = desk.code_cipher()
    now = to_epoch(desk.now())
    rows = []
    for code in codes:
        text = canonical(code)
        token = cipher.seal(text)
        rows.append((product_id, token, cipher.digest(text), token.split(":", 2)[2], batch, now, now))
    con = desk.db.connection()
    before = con.total_changes
    con.executemany("INSERT OR IGNORE INTO card_code (product_id, sealed, digest, hint, batch, imported_at, changed_at,"
                    " state, used, cost_fen) VALUES (?, ?, ?, ?, ?, ?, ?, 'available', 'unknown', 0)", rows)
    return int(con.total_changes - before)


def fill_all_backorders(desk: Desk, changes: Changes) -> list[str]:
    """Fill every product's backorders that codes are there for now (the sweep); one transaction."""
    con = desk.db.connection()
    waiting = [pid for (pid,) in con.execute(f"SELECT DISTINCT product_id FROM orders {BACKORDER_SQL}")]
    delivered: list[str] = []
    if not waiting:
        return delivered  # the usual sweep: one read of a small index, no write lock
    with desk.atomic():
        for pid in waiting:
            delivered += fill_backorders(desk, int(pid), changes)
    return delivered


def fill_backorders(desk: Desk, product_id: int, changes: Changes, *, actor: str = "system") -> list[str]:
    """Deliver the product's backorders (缺货待发) oldest-first while codes last, in the caller's
    transaction; returns the order nos delivered. An order that cannot be delivered now (a buyer's
    open cancel request) stays in the queue."""
    from .orders import deliver_waiting

    delivered = []
    waiting = (Order.select().where(backorder_clause() & (Order.product == product_id))
               .order_by(Order.paid_at, Order.id))
    for order in waiting:
        outcome = deliver_waiting(desk, order, actor)
        if outcome is None:
            break  # the shelf is empty again
        if outcome:
            delivered.append(order.order_no)
            changes.order_ids.add(order.id)
            changes.counts_changed = True
    return delivered
