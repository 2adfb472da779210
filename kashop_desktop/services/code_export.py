"""Exporting unsold 卡密 of a product (CSV or XLSX) to sell them elsewhere, optionally locking or
marking them sold in the same transaction so the desk never sells them a second time.

The file holds the codes in the clear (that is its purpose); it is written to a temporary name
and moved into place only when complete, and the export is written to the inventory's timeline
(who, when, how many, which file).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..domain.clock import to_epoch
from ..domain.codes import PAIR_JOINER, CodeState
from ..domain.errors import DomainError
from ..domain.roles import Right
from ..store.models import CardCode
from .changes import Changes
from .codes import code_event
from .common import OWNER, add_code_events
from .desk import Desk
from .outfiles import check_output, write_atomically
from .products import get_product, update_low_stock
from .recon_export import safe_text

C = CodeState
#: The states an export reads: unsold codes only (a delivered code is read through reveal, logged).
EXPORTABLE = (C.AVAILABLE, C.LOCKED)
#: What the export does to the codes it wrote: nothing, lock them, or mark them sold (outside the desk).
AFTER = {"keep": None, "lock": C.LOCKED, "mark_sold": C.DELIVERED}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    count: int
    after: str
    changes: Changes


def export_codes(desk: Desk, product: str, out: Path, *, state: CodeState = C.AVAILABLE, after: str = "keep",
                 force: bool = False, actor: str = OWNER) -> ExportResult:
    """Write the product's unsold codes in ``state`` (EXPORTABLE) to ``out`` (.xlsx by its suffix, else CSV UTF-8 with
    BOM for Excel, codes as ``="…"`` so Excel keeps them as text): id, 卡号/卡密, 密码, batch. With ``after`` lock or mark_sold, available codes
    move in the same transaction (mark_sold also takes locked codes: the owner held them back to
    sell elsewhere). ``out`` must pass ``outfiles.check_output`` (not in the data
    folder; an existing file only with ``force``). Raises OutputRefused, DomainError
    product_not_found, invalid_value, file_unwritable, and the key's errors."""
    desk.require(Right.REVEAL_CODES_BULK)
    if after not in AFTER:
        raise DomainError("invalid_value", f"未知的导出后操作：{after}", f"unknown action after export: {after}")
    target = AFTER[after]
    if state not in EXPORTABLE:
        raise DomainError("export_state", "只能导出未售出的卡密（可售、锁定）；已发出的卡密请用“显示卡密”查看（会记入订单时间线）",
                          "only unsold codes (available, locked) are exported; read a delivered code through "
                          "reveal (written to the order's timeline)")
    if target is C.LOCKED and state is not C.AVAILABLE:
        raise DomainError("invalid_value", "只有可售卡密可以在导出时锁定", "only available codes can be locked by an export")
    out = check_output(desk.data_dir, out, force=force, suffixes=(".csv", ".xlsx"))
    cipher = desk.code_cipher()
    with desk.atomic():
        p = get_product(product)
        codes = list(CardCode.select().where((CardCode.product == p.id) & (CardCode.state == state.value))
                     .order_by(CardCode.id))
        rows = []
        for code in codes:
            clear = cipher.open(code.sealed)
            first, _, second = clear.partition(PAIR_JOINER)
            rows.append([str(code.id), first, second, code.batch])
        _write(out, rows, replace=force)
        changes = Changes(product_ids={p.id})
        if target is not None and codes:
            CardCode.update(state=target.value, changed_at=to_epoch(desk.now())).where(
                CardCode.id.in_([c.id for c in codes])).execute()
            changes.code_ids = {c.id for c in codes}
        add_code_events([code_event(desk, p.id, "export", actor=actor, note=str(out),
                                    data={"count": len(codes), "state": state.value, "after": after})])
        update_low_stock(desk, p)
    return ExportResult(out, len(codes), after, changes)


HEADER = ["id", "卡号/卡密 code", "密码 password", "批次 batch"]


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if value else ""


def as_text(value: str) -> str:
    """A CSV cell Excel keeps as text (``="0001234"``: no number, no dropped zeros, no date);
    the desk's import unwraps it (services.imports.cells.unwrap_excel_text)."""
    return '="' + value.replace('"', '""') + '"' if value else ""


def _write(out: Path, rows: list[list[str]], *, replace: bool) -> None:
    def write(tmp: Path) -> None:
        if out.suffix.lower() == ".xlsx":
            import openpyxl

            book = openpyxl.Workbook(write_only=True)
            sheet = book.create_sheet("codes")
            sheet.append(HEADER)
            for row in rows:
                sheet.append(row)
            book.save(tmp)
        else:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerow(HEADER)
            # ="…" must stay unquoted for Excel to read it as text; codes hold no comma (canonical splits there)
            buffer.writelines(f"{code_id},{as_text(code)},{as_text(password)},{_quoted(safe_text(batch))}\r\n"
                              for code_id, code, password, batch in rows)
            tmp.write_text(buffer.getvalue(), encoding="utf-8-sig")

    write_atomically(out, write, replace=replace)
