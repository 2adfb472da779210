"""Backups, restore and the store's health check.

Automatic backups: once a day (when the newest automatic backup is older than
``AUTO_INTERVAL_S``), at the start of the window (on its worker, after the first paint) and of
every CLI command that writes; the newest ``keep`` automatic backups are kept, older ones are
deleted. Backups taken by hand and before a migration are never deleted. Both are settings
(``backups``: ``{"auto": true, "keep": 7}``), on by default.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from .. import paths
from ..domain.audit import ChainBreak
from ..domain.errors import DomainError
from ..domain.money import format_yuan
from ..domain.refund_states import RefundStatus
from ..domain.roles import Right
from ..store import backups as store_backups
from ..store import bulkload, pg_reports, report_tables, rollback
from ..store import chain as store_chain
from ..store import db as store_db
from ..store import moved as store_moved
from ..store import server as store_server
from ..store.backups import BackupInfo, RefundSince
from ..store.db import LATEST
from ..store.schema3 import duplicate_trade_nos, trade_nos_across_accounts
from . import chain_anchor, state_check
from .desk import Desk

__all__ = ["BackupInfo", "BackupSettings", "CheckReport", "RefundSince", "RestoreReport", "auto_backup",
           "auto_backup_due", "backup", "backup_settings", "check", "list_backups", "rebuild_reports", "refunds_since",
           "refunds_since_error", "restore", "set_backup_settings"]

log = logging.getLogger(__name__)

AUTO_INTERVAL_S = 24 * 3600
SET_ASIDE_DIR = "set-aside"


@dataclass(frozen=True)
class CheckReport:
    ok: bool
    integrity: str
    foreign_key_problems: int
    schema_version: int
    orders: int
    #: Whether the status counts agree with the orders; None when not checked (an import running).
    counts_match: bool | None
    duplicate_trade_nos: list[tuple[str, list[str]]] = field(default_factory=list)  # (trade no, order nos)
    #: (order no, status) of the first ``REFUND_UNKNOWN_SHOWN`` orders whose refunded amount is
    #: unknown: 部分退款 with nothing recorded as refunded, or a paid 已取消 order with no refund
    #: at all whose 导入 entry does not record the file's 退款金额 0 (an import from before the
    #: column was required and recorded); their "refundable" may already have gone back.
    #: ``refund_unknown_total`` counts them all.
    refund_unknown: list[tuple[str, str]] = field(default_factory=list)
    #: A bulk import is running in another process: the status counts catch up when it ends,
    #: so ``counts_match`` is not judged meanwhile (None, and not held against ``ok``).
    import_running: bool = False
    #: The 卡密 key: "ok" (it opens the store's sealed codes), "none" (no codes, no key yet),
    #: "locked" (the vault's passphrase is needed to tell), or the refusal's code
    #: (code_key_wrong, code_key_missing) with ``code_key_message`` (zh, en).
    code_key: str = "none"
    code_key_message: tuple[str, str] | None = None
    #: Rows of the tamper-evident log that hold (both chains), and the first break of each chain
    #: (``domain.audit.ChainBreak``: the row edited, deleted or inserted outside the desk).
    log_rows: int = 0
    log_breaks: list[ChainBreak] = field(default_factory=list)
    #: The reports' summary tables (``store.report_tables``) that disagree with the orders,
    #: timeline and requests (``rebuild_reports`` mends them); not judged while an import runs.
    report_tables_wrong: list[str] = field(default_factory=list)
    #: State rows that disagree with the chained events that made them (``state_check``): a refund's
    #: amount and its approval, refunds above what was paid, a voided 卡密 back on sale; (zh, en).
    state_disagreements: list[tuple[str, str]] = field(default_factory=list)
    #: The HMAC anchors of the chains' heads (``services.chain_anchor.AnchorReport.state``): "ok",
    #: "behind", "none", "locked", "key_missing" (not ok) or "broken" (named in ``log_breaks``:
    #: a log cut off at its end, wiped, or its anchor forged), with a (zh, en) message to show.
    log_anchor: str = "ok"
    log_anchor_message: tuple[str, str] | None = None
    #: How many orders' refunded amount is unknown (``refund_unknown`` lists the first of them).
    refund_unknown_total: int = 0


@dataclass(frozen=True)
class BackupSettings:
    """``auto``: take a backup every day; ``keep``: how many automatic backups to keep (1-365)."""

    auto: bool = True
    keep: int = 7

    def __post_init__(self) -> None:
        if not 1 <= self.keep <= 365:
            raise DomainError("invalid_backup_keep", "自动备份保留份数须在 1 到 365 之间",
                              "the number of automatic backups to keep must be 1-365")


@dataclass(frozen=True)
class RestoreReport:
    restored_from: Path
    schema_version: int  # of the backup, before any migration
    set_aside: Path | None  # where the replaced data file now is (None: there was none)
    #: The backup holds no anchor of the log (taken before the shop's first anchoring): where the
    #: anchor key knows the shop, ``check`` calls that a break until the owner runs ``audit anchor``.
    unanchored: bool = False


def _stamped(directory: Path, prefix: str = "kashop-") -> Path:
    """A new backup name in `directory`: the time, and a counter when that second is taken."""
    base = f"{prefix}{store_backups.stamp()}"
    path, n = directory / f"{base}{store_backups.SUFFIX}", 1
    while path.exists():
        n += 1
        path = directory / f"{base}-{n}{store_backups.SUFFIX}"
    return path


def backup(desk: Desk, target: Path | None = None, *, force: bool = False) -> Path:
    """A consistent copy of the live database (safe while the desk is running): in the data
    folder's backups/ by default; a folder the owner names gets a stamped name, a file name must
    pass ``outfiles.check_output`` (outside the data folder; an existing file only with
    ``force``). Raises OutputRefused; DomainError ``server_backup`` for a shop on a database
    server, whose backups are the server's."""
    from .outfiles import check_output

    desk.require(Right.BACKUP)
    if desk.db_url is not None:
        raise DomainError(
            "server_backup",
            f"店铺在数据库服务器上（{desk.store_label}）：请用服务器的备份，例如 pg_dump -Fc 库名 > 备份文件；"
            "本程序只备份数据文件。",
            f"the shop is on a database server ({desk.store_label}): back it up there, e.g. "
            "pg_dump -Fc DBNAME > BACKUP_FILE; the desk backs up data files only.")
    if target is None:
        target = _stamped(desk.backups_dir)
    elif target.is_dir():
        target = check_output(desk.data_dir, _stamped(target))
    else:
        target = check_output(desk.data_dir, target, force=force)
    return store_backups.backup_file(desk.db_path, target)


def list_backups(data_dir: Path) -> list[BackupInfo]:
    """Backups in ``data_dir/backups``, newest first: path, time (epoch s), size (bytes), kind."""
    return store_backups.list_backups(data_dir / "backups")


def backup_settings(desk: Desk) -> BackupSettings:
    raw = desk.setting("backups", {}) or {}
    try:
        return BackupSettings(bool(raw.get("auto", True)), int(raw.get("keep", 7)))
    except (DomainError, TypeError, ValueError):
        return BackupSettings()


def set_backup_settings(desk: Desk, settings: BackupSettings) -> None:
    desk.set_setting("backups", {"auto": settings.auto, "keep": settings.keep})


def auto_backup_due(desk: Desk, now: float | None = None) -> bool:
    """True when automatic backups are on and the newest one is older than a day (real time).
    A shop on a database server is backed up by the server (pg_dump), never copied here."""
    if desk.db_url is not None or not backup_settings(desk).auto:
        return False
    autos = [b for b in list_backups(desk.data_dir) if b.kind == "auto"]
    return not autos or (time.time() if now is None else now) - autos[0].taken_at >= AUTO_INTERVAL_S


def auto_backup(desk: Desk) -> Path | None:
    """Take the daily automatic backup if it is due and rotate; return its path (None: not due).

    A copy that fails its integrity check is not kept and rotates nothing away: the store itself
    is damaged, so StoreUnusable (store_damaged) is raised, recommending only backups that pass."""
    if not auto_backup_due(desk):
        return None
    # Several processes starting at once (two commands, a command beside the window) take one
    # backup between them: the one that gets the lock copies, the others find it done.
    lock = FileLock(desk.data_dir / ".auto-backup.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return None  # another process is taking today's backup now
    try:
        if not auto_backup_due(desk):
            return None
        try:
            path = store_backups.backup_file(desk.db_path, _stamped(desk.backups_dir, store_backups.AUTO_PREFIX))
        except store_backups.BackupDamaged as exc:
            log.error("automatic backup failed its integrity check: %s", exc.found)
            raise store_db.unusable(desk.db_path, "damaged", desk.backups_dir, exc.found) from exc
    finally:
        lock.release()
    removed = store_backups.rotate(desk.backups_dir, backup_settings(desk).keep)
    log.info("automatic backup %s; rotated away %d", path, len(removed))
    return path


def refunds_since(data_dir: Path, backup_file: Path) -> list[RefundSince]:
    """Refunds the store of ``data_dir`` sent or settled that ``backup_file`` does not hold as
    such (see ``store.backups.refunds_since``): what a restore would forget. Reads only."""
    return store_backups.refunds_since(data_dir / paths.DB_FILENAME, backup_file)


def refunds_since_error(lost: list[RefundSince], *, command_line: bool = True) -> DomainError:
    """The refusal naming the refunds a restore would forget (up to ten, then how many more);
    ``command_line``: say that ``--yes`` confirms (the window asks with a tick box instead)."""
    shown = lost[:10]
    more = len(lost) - len(shown)
    zh = "；".join(f"{r.refund_no}（订单 {r.order_no}，¥{format_yuan(r.amount_fen)}，{RefundStatus(r.state).zh}）"
                  for r in shown) + (f"；另有 {more} 笔" if more else "")
    en = "; ".join(f"{r.refund_no} (order {r.order_no}, ¥{format_yuan(r.amount_fen)}, {RefundStatus(r.state).en})"
                   for r in shown) + (f"; and {more} more" if more else "")
    return DomainError(
        "restore_forgets_refunds",
        f"这个备份早于 {len(lost)} 笔已发出或已完成的退款：{zh}。恢复后它们会回到备份时的状态，钱可能被再退一次；"
        "确认已核对后再恢复" + ("（命令行加 --yes）" if command_line else ""),
        f"this backup predates {len(lost)} refund(s) sent or settled since: {en}. Restoring it puts them back as "
        "they were then and the money could go out again; restore only once you have checked"
        + (" (--yes on the command line)" if command_line else ""))


def server_restore_refusal(url: str | None) -> DomainError | None:
    """The refusal for restoring a backup file while the shop is on the server ``url`` (``--db``,
    KASHOP_DB_URL): a backup file would only replace the data folder's file, which is not the
    shop; the server's shop comes back from the server's backups (pg_restore). None off a server."""
    if url is None:
        return None
    from ..store.server import redact

    where = redact(url)
    return DomainError(
        "server_restore",
        f"店铺在数据库服务器上（{where}）：备份文件恢复不到服务器上，本程序只恢复数据文件。没有恢复，什么都没有改动；"
        "请用服务器的备份，例如 pg_restore --clean -d 库名 备份文件。",
        f"the shop is on a database server ({where}): a backup file cannot be restored onto it, the desk restores "
        "data files only. Not restored, nothing was changed; use the server's backups, e.g. "
        "pg_restore --clean -d DBNAME BACKUP_FILE.")


def restore_refusal(data_dir: Path, backup_file: Path) -> DomainError | None:
    """Why ``backup_file`` can never be restored over this shop (its card codes are sealed under
    another key: another shop's backup, every code would fail), or None."""
    if rollback.other_key(data_dir / paths.DB_FILENAME, backup_file):
        return DomainError(
            "restore_other_key",
            "这个备份的卡密密钥与本店不符（可能是另一家店或另一台电脑的备份）：恢复后所有卡密都无法读取、无法发货。没有恢复，什么都没有改动",
            "this backup's card codes are sealed under another key (another shop's or another PC's backup): "
            "after a restore no code could be read or delivered. Not restored; nothing was changed")
    return None


def restore_warning(data_dir: Path, backup_file: Path, *, command_line: bool = True) -> DomainError | None:
    """What restoring ``backup_file`` would roll back and needs the owner's confirmation: refunds
    sent or settled since (``refunds_since_error``), payments and deliveries made since, codes sold
    or voided since that would be on sale again, active operators the backup does not hold. None
    when it rolls back none of these."""
    live = data_dir / paths.DB_FILENAME
    lost = store_backups.refunds_since(live, backup_file)
    back = rollback.rollback_since(live, backup_file)
    # A backup with no order put over a store that had some, or that cannot be read to tell (a
    # damaged file): the automatic backup of a new shop would leave the shop empty.
    empty = (live.exists() and store_backups.order_count(backup_file) == 0
             and store_backups.order_count(live) != 0)
    if not lost and back.empty and not empty:
        return None
    zh, en = [], []
    if empty:
        zh.append("这个备份里没有订单（例如店铺刚建时的自动备份），恢复后店铺是空的；请先看看有没有更新的备份。")
        en.append("this backup holds no order (the automatic backup of a new shop, say): restored, the shop is empty; "
                  "look for a newer backup first.")
    if lost:
        refunds = refunds_since_error(lost, command_line=False)
        zh.append(refunds.zh.rsplit("；确认", 1)[0].rstrip("。") + "。")
        en.append(refunds.en.rsplit("; restore only", 1)[0] + ".")
    if back.payment_count:
        names = " ".join(back.payments) + (" …" if back.payment_count > len(back.payments) else "")
        zh.append(f"{back.payment_count} 个订单在备份之后已付款，恢复后会回到未付款（买家的付款记录会丢失）：{names}。")
        en.append(f"{back.payment_count} order(s) paid since would be unpaid again (the buyer's payment forgotten): "
                  f"{names}.")
    if back.delivery_count:
        names = " ".join(back.deliveries) + (" …" if back.delivery_count > len(back.deliveries) else "")
        zh.append(f"{back.delivery_count} 个订单在备份之后已发货，恢复后会回到未发货：{names}。")
        en.append(f"{back.delivery_count} order(s) delivered since would be undelivered again: {names}.")
    if back.codes_back:
        zh.append(f"{back.codes_back} 个之后已售出或作废的卡密会回到可售，可能被再卖一次。")
        en.append(f"{back.codes_back} code(s) sold or voided since would be on sale again and could be sold twice.")
    if back.operators_dropped:
        names = "、".join(back.operators_dropped)
        zh.append(f"备份里没有这些在用的操作员，恢复后他们无法登录（只剩备份里的操作员；备份早于操作员时，店铺回到只有店主、"
                  f"不用登录）：{names}。")
        en.append(f"the backup does not hold these active operators, who could not sign in after it (only the backup's "
                  f"operators remain; a backup from before operators leaves the owner alone, with no sign-in): "
                  f"{', '.join(back.operators_dropped)}.")
    return DomainError(
        "restore_forgets_refunds" if lost else "restore_rolls_back",
        "恢复这个备份会撤销备份之后的变动：" + "".join(zh) + "确认已核对后再恢复"
        + ("（命令行加 --yes）" if command_line else ""),
        "restoring this backup undoes what happened since: " + " ".join(en) + " Restore only once you have checked"
        + (" (--yes on the command line)" if command_line else ""))


def restore(data_dir: Path, backup_file: Path, *, confirmed: bool = False, operator: str = "") -> RestoreReport:
    """Put `backup_file` back as the store of `data_dir`, after checking it through and through.

    The file it replaces (damaged or not) is moved, with its ``-wal``, to ``data_dir/set-aside``.
    Close the desk first: raises StoreBusy while another connection has the store open,
    StoreUnusable (``backup_unusable``) when the backup fails its check, DomainError
    ``restore_other_key`` (its card codes are sealed under another key: never restored),
    ``restore_forgets_refunds`` / ``restore_rolls_back`` (``restore_warning``: refunds, payments,
    deliveries or sold codes it would undo) when the owner has not ``confirmed``; nothing is
    moved then; ``restore_moved`` when the data file's shop moved to a server (store.moved: take
    it back with ``store unmark-moved`` first). The restored store's shop log gets a ``restored``
    row naming ``operator`` (who restored; "" when no store could be opened to ask), the backup
    and where the replaced file went.
    """
    live = data_dir / paths.DB_FILENAME
    backup_file = backup_file.resolve()
    if backup_file == live.resolve():
        raise DomainError("restore_self", "不能用数据文件本身来恢复", "the data file cannot be restored from itself")
    version = store_backups.check_backup(backup_file, LATEST)  # a bad backup: refused before the live file is read
    mark = store_moved.found_in_file(live)
    if mark is not None:  # a backup put back here would make the old shop live again beside the server's
        moved = store_moved.refusal(live, mark)
        raise DomainError("restore_moved", moved.zh, moved.en)
    store_backups.ensure_unused(live)
    refusal = restore_refusal(data_dir, backup_file)
    if refusal is not None:
        raise refusal
    warning = restore_warning(data_dir, backup_file)
    if warning is not None and not confirmed:
        raise warning
    lost = store_backups.refunds_since(live, backup_file)
    if lost:
        log.warning("restore of %s forgets %d refunds sent or settled since: %s", backup_file, len(lost),
                    " ".join(r.refund_no for r in lost))
    aside = store_backups.set_aside(live, data_dir / SET_ASIDE_DIR)
    store_backups.put_back(backup_file, live)
    db = store_db.open_store(live, backups=data_dir / "backups")  # migrates an older backup
    try:
        unanchored = not chain_anchor.anchored_before(db.connection())
        with db.atomic():
            store_chain.append(db.connection(), "audit_event", [(
                int(time.time()), operator, "restored", backup_file.name, "",
                json.dumps({"backup": str(backup_file), "schema": version, "set_aside": str(aside) if aside else None,
                            "refunds_forgotten": len(lost)}, ensure_ascii=False, sort_keys=True))])
    finally:
        store_db.release(db)
    log.info("restored %s (schema %d); replaced file set aside at %s", backup_file, version, aside)
    return RestoreReport(backup_file, version, aside, unanchored)


def check(desk: Desk) -> CheckReport:
    db = desk.db
    if desk.db_url is not None:  # the server keeps its pages and foreign keys whole itself
        integrity, fk, version = "ok", 0, store_server.schema_version(db) or 0  # type: ignore[arg-type]
    else:
        integrity = str(db.execute_sql("PRAGMA integrity_check").fetchone()[0])
        fk = len(db.execute_sql("PRAGMA foreign_key_check").fetchall())
        version = int(db.execute_sql("PRAGMA user_version").fetchone()[0])
    real = dict(db.execute_sql("SELECT status, COUNT(*) FROM orders GROUP BY status").fetchall())
    kept = dict(db.execute_sql("SELECT status, n FROM status_count").fetchall())
    running = import_running(desk)
    counts_match = None if running else (all(kept.get(s, 0) == n for s, n in real.items()) and all(
        n == real.get(s, 0) for s, n in kept.items()))
    orders = sum(real.values())
    duplicates = duplicate_trade_nos(db)
    listed = {trade_no for trade_no, _ in duplicates}
    duplicates += [d for d in trade_nos_across_accounts(db) if d[0] not in listed]
    unknown, unknown_total = refund_unknown(desk), refund_unknown_count(desk)
    key, key_message = code_key_state(desk)
    log_rows, breaks, anchors = verify_log(desk)
    reports_wrong = [] if running else _report_differences(desk)
    states = state_check.disagreements(db.connection())
    ok = (integrity == "ok" and fk == 0 and counts_match is not False and version == LATEST and not duplicates and not unknown
          and key_message is None and not breaks and not reports_wrong and not states
          and anchors.state != "key_missing")
    return CheckReport(ok, integrity, fk, version, orders, counts_match, duplicates, unknown, running, key, key_message,
                       log_rows, breaks, reports_wrong, states, anchors.state, anchors.message, unknown_total)


def rebuild_reports(desk: Desk) -> list[str]:
    """Fill the reports' summary tables again from the orders, timeline and requests (one
    transaction; seconds on a big store) and record it in the shop log. Returns the tables that
    disagreed before. Needs the reports right (store upkeep: clerk, owner; ``Right.REPORTS``):
    PermissionRefused; refused as import_running (DomainError) while a bulk import runs (it rebuilds them when it ends)."""
    desk.require(Right.REPORTS)
    if import_running(desk):
        raise DomainError("import_running", "正在批量导入订单：导入结束时会自动重建报表数据，请稍后再试",
                          "a bulk import is running: it rebuilds the report tables when it ends; try again later")
    with desk.atomic():
        wrong = _report_differences(desk)
        if desk.db_url is not None:
            pg_reports.rebuild(desk.db)
        else:
            report_tables.rebuild(desk.db.connection())
        desk.log("reports_rebuilt", "", "", {"disagreed": wrong})
    return wrong


def _report_differences(desk: Desk) -> list[str]:
    """The reports' summary tables that disagree with the orders (in the store's dialect)."""
    if desk.db_url is not None:
        return pg_reports.differences(desk.db)
    return report_tables.differences(desk.db.connection())


def code_key_state(desk: Desk) -> tuple[str, tuple[str, str] | None]:
    """Whether the shop's 卡密 key fits its sealed codes (see ``CheckReport.code_key``)."""
    from .codekeys import KEY_ID_SETTING, sealed_sample
    from .secrets import VaultLocked

    if not sealed_sample(desk.db, 1) and not desk.setting(KEY_ID_SETTING):
        return "none", None
    try:
        desk.code_cipher()
    except VaultLocked:
        return "locked", None
    except DomainError as exc:
        return exc.code, (exc.zh, exc.en)
    return "ok", None


def verify_log(desk: Desk) -> tuple[int, list[ChainBreak], chain_anchor.AnchorReport]:
    """Verify the chains of the tamper-evident log (``store.chain.verify``) and their heads'
    anchors (``services.chain_anchor.verify``) in one read transaction: (rows that hold, the
    first break of each chain that has one, then the anchors' breaks; the anchors' report)."""
    secrets = desk.secrets()
    con = desk.db.connection()
    # The heads and the rows of one moment, while another process writes.
    con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if desk.db_url is not None else "BEGIN DEFERRED")
    try:
        results = [store_chain.verify(con, name) for name in store_chain.FIELDS]
        anchors = chain_anchor.verify(con, secrets)
    finally:
        con.execute("COMMIT")
    breaks = [b for _, b in results if b is not None]
    broken = {b.chain for b in breaks}  # a chain broken in the middle is named once, there
    return sum(n for n, _ in results), breaks + [b for b in anchors.breaks if b.chain not in broken], anchors


def import_running(desk: Desk) -> bool:
    """Whether a bulk import (``store.bulkload``) is running in another process now: its
    status counts and order list totals catch up when it ends."""
    if bulkload.pending(desk.db.connection()) is None:
        return False
    return bulkload.BulkLoadLock(desk.db_path).held_elsewhere()


#: At most this many orders are named by ``refund_unknown``.
REFUND_UNKNOWN_SHOWN = 200

#: The orders whose refunded amount is not known (``refund_unknown``). A paid 已取消 order
#: imported as 已取消 from a file that gave 退款金额 0 is known: its 导入 entry records ``"refunded_fen":0``
#: (``services.imports.events.amount_data``; an entry from before the column was required
#: records no ``refunded_fen``), as does the 导入更新 entry of an import that recorded the
#: payment of an order the desk held unpaid and its cancellation. ``?``: ``_STATED_ZERO``, a parameter (a literal % is a
#: placeholder to the server's driver).
_REFUND_UNKNOWN_WHERE = (
    "o.refunded_fen + o.refund_pending_fen = 0 AND (o.status = 'partially_refunded' OR ("
    "o.status = 'cancelled' AND o.paid_at IS NOT NULL AND o.paid_fen > 0 "
    "AND NOT EXISTS (SELECT 1 FROM refund r WHERE r.order_id = o.id) "
    "AND NOT EXISTS (SELECT 1 FROM order_event e WHERE e.order_id = o.id "
    "AND e.action IN ('imported', 'imported_update') "
    "AND e.after_status = 'cancelled' AND e.data LIKE ?)))")
_STATED_ZERO = '%"refunded_fen":0}%'


def refund_unknown(desk: Desk) -> list[tuple[str, str]]:
    """(order no, status) of up to REFUND_UNKNOWN_SHOWN orders whose refunded amount is not
    known: 部分退款 with nothing refunded or in flight, and paid 已取消 orders with no refund
    row, nothing refunded and no 退款金额 recorded at their import (what imports wrote before the
    退款金额 column was required). ``refund_unknown_count`` counts them all."""
    rows = desk.db.execute_sql(f"SELECT order_no, status FROM orders o WHERE {_REFUND_UNKNOWN_WHERE} "
                               "ORDER BY o.id LIMIT ?", (_STATED_ZERO, REFUND_UNKNOWN_SHOWN)).fetchall()
    return [(str(no), str(status)) for no, status in rows]


def refund_unknown_count(desk: Desk) -> int:
    """How many orders ``refund_unknown`` would name without its limit."""
    row = desk.db.execute_sql(f"SELECT COUNT(*) FROM orders o WHERE {_REFUND_UNKNOWN_WHERE}", (_STATED_ZERO,)).fetchone()
    return int(row[0])


def authorize_restore(desk: Desk) -> None:
    """Refuse (PermissionRefused, recorded) unless the operator may restore a backup (owner).
    ``restore`` itself runs with the store closed: the window and the command line ask this first."""
    desk.require(Right.RESTORE)
