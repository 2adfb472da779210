"""Exporting unsold 卡密 of a product (CSV or XLSX) to sell them elsewhere, optionally locking or
marking them sold in the same transaction so the desk never sells them a second time.

The file holds the codes in the clear (that is its purpose); it is written to a temporary name
and moved into place only when complete, and the export is written to the inventory's timeline
(who, when, how many, which file).

An earlier export may be the only clear copy of codes it marked sold (已发出 with no order: the
desk cannot read them out again), so an export never loses one: an export that finds no code
writes nothing (``export_empty``, whatever ``force`` says), and replacing an existing file
(``force``) first keeps it beside the new one as ``NAME.bak.csv`` (``NAME.bak2.csv`` … when that
is taken; an existing backup is never replaced).
"""

from __future__ import annotations

import csv
import io
import shutil
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
from .outfiles import check_output, unwritable, write_atomically
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
    #: Where the file ``force`` replaced was kept (None: there was none).
    kept: Path | None = None


def export_codes(desk: Desk, product: str, out: Path, *, state: CodeState = C.AVAILABLE, after: str = "keep",
                 force: bool = False, actor: str = OWNER) -> ExportResult:
    """Write the product's unsold codes in ``state`` (EXPORTABLE) to ``out`` (.xlsx by its suffix, else CSV UTF-8 with
    BOM for Excel, codes as ``="…"`` so Excel keeps them as text): id, 卡号/卡密, 密码, batch. With ``after`` lock or mark_sold, available codes
    move in the same transaction (mark_sold also takes locked codes: the owner held them back to
    sell elsewhere). ``out`` must pass ``outfiles.check_output`` (not in the data
    folder; an existing file only with ``force``). No code in ``state``: nothing is written and
    nothing changes (DomainError export_empty, with or without ``force``: an empty file must not
    take the place of an earlier export, maybe the only copy of codes it marked sold). With
    ``force`` an existing file is first copied to ``keep_name(out)`` (``ExportResult.kept``), so
    replacing never loses it. Raises OutputRefused, DomainError product_not_found, invalid_value,
    export_empty, file_unwritable, and the key's errors."""
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
        if not codes:
            raise DomainError("export_empty", f"「{p.name}」没有{state.zh}的卡密：没有导出，也没有写文件（{out.name} 保持原样）",
                              f"'{p.name}' has no {state.en.lower()} codes: nothing exported and no file written "
                              f"({out.name} is left as it was)")
        rows = []
        for code in codes:
            clear = cipher.open(code.sealed)
            first, _, second = clear.partition(PAIR_JOINER)
            rows.append([str(code.id), first, second, code.batch])
        kept = keep_old(out) if force else None
        _write(out, rows, replace=force)
        changes = Changes(product_ids={p.id})
        if target is not None:
            CardCode.update(state=target.value, changed_at=to_epoch(desk.now())).where(
                CardCode.id.in_([c.id for c in codes])).execute()
            changes.code_ids = {c.id for c in codes}
        add_code_events([code_event(desk, p.id, "export", actor=actor, note=str(out),
                                    data={"count": len(codes), "state": state.value, "after": after,
                                          **({"kept": str(kept)} if kept is not None else {})})])
        update_low_stock(desk, p)
    return ExportResult(out, len(codes), after, changes, kept)


def keep_name(out: Path, n: int = 1) -> Path:
    """The n-th name for keeping the file at ``out`` before it is replaced: codes.csv ->
    codes.bak.csv, codes.bak2.csv …"""
    return out.with_name(f"{out.stem}.bak{'' if n == 1 else n}{out.suffix}")


def keep_old(out: Path) -> Path | None:
    """Copy the file at ``out`` (if any) to the first free ``keep_name``, never replacing a file
    there (created exclusively). Returns where it was kept. Raises DomainError(file_unwritable)."""
    if not out.is_file():
        return None
    for n in range(1, 1000):
        kept = keep_name(out, n)
        try:
            copy = kept.open("xb")
        except FileExistsError:
            continue
        except OSError as exc:
            raise unwritable(kept, exc) from exc
        try:
            with copy, out.open("rb") as old:
                shutil.copyfileobj(old, copy)
            shutil.copymode(out, kept)
        except OSError as exc:
            kept.unlink(missing_ok=True)  # ours: made just now
            raise unwritable(kept, exc) from exc
        return kept
    raise DomainError("file_unwritable", f"{out.name} 的备份名已用尽（.bak … .bak999）：请先移走旧的备份",
                      f"no backup name left for {out.name} (.bak … .bak999): move the old backups away first")


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
