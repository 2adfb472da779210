"""The desk: one open store plus the clock, policy and gateway plugins every operation uses."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import SqliteDatabase

from .. import paths
from ..domain import clock as shop_clock
from ..domain.calendar import HolidaySchedule
from ..domain.errors import DomainError, StoreUnusable
from ..domain.holidays import from_setting, schedule_of
from ..domain.policy import CancelPolicy
from ..domain.roles import (
    Identity,
    PermissionRefused,
    Right,
    Role,
    changed_outside,
    not_signed_in,
    over_limit,
    refusal,
    within_limit,
)
from ..store import chain
from ..store import db as store_db
from ..store import server as store_server
from ..store.models import Product, Setting
from . import chain_anchor, codekeys
from .secrets import SecretStore, default_store

Clock = Callable[[], datetime]
HOLIDAYS_SETTING = "holiday_schedule"
SECRET_BACKEND_SETTING = "secret_backend"  # the owner's choice: "keyring" or "vault" (services.secrets)
#: Settings that shape the whole shop: changed by the owner only (domain.roles.Right.POLICY).
OWNER_SETTINGS = frozenset({"policy", HOLIDAYS_SETTING, "backups", "idle_minutes"})

#: Files only this PC keeps in its data folder (the key vault; the PC's id, services.local_ledger):
#: beside them and no shop file, a command does not make an empty shop (``Desk.open``).
PC_FILES = ("vault.json", "desk-id")


def environment_problem() -> tuple[str, str] | None:
    """(zh, en) when an environment setting the store reads is invalid (KASHOP_BUSY_TIMEOUT_MS,
    KASHOP_DB_URL, KASHOP_SECRETS), else None; the command line refuses to run with it (exit 2)."""
    from .secrets import setting_problem

    try:
        store_db.parse_busy_timeout(os.environ.get(store_db.BUSY_ENV))
    except ValueError as exc:
        return str(exc.args[0]), str(exc.args[1])
    url = store_server.env_url()
    if url is not None and (problem := store_server.url_problem(url)) is not None:
        return f"环境变量 {store_server.URL_ENV}：{problem[0]}", f"{store_server.URL_ENV}: {problem[1]}"
    return setting_problem()


def shop_file_missing(folder: Path) -> bool:
    """True when ``folder`` holds this PC's own files (``PC_FILES``) but no shop file: opening it
    would make an empty shop a second PC then shows as the shop (``Desk.open``)."""
    return (not (folder / paths.DB_FILENAME).exists()
            and any((folder / name).exists() for name in PC_FILES))


class Desk:
    """Everything an operation needs. Create with ``Desk.open(data_dir)``."""

    def __init__(self, db: SqliteDatabase, data_dir: Path, clock: Clock | None = None) -> None:
        self.db = db
        #: The server store's URL (``postgresql://``) when the shop lives on PostgreSQL, else None.
        self.db_url: str | None = getattr(db, "url", None) if store_server.is_server(db) else None
        self.data_dir = data_dir
        #: Where the store was chosen (``services.store_choice.SOURCES``); set by ``Desk.open``.
        self.store_source = "file" if self.db_url is None else "argument"
        self._clock: Clock = clock or shop_clock.now
        self._policy_cache: CancelPolicy | None = None
        self._holidays_cache: HolidaySchedule | None = None
        self.secret_store: SecretStore | None = None
        self._code_cipher: codekeys.CodeCipher | None = None
        #: Who is working: the owner while the shop has one operator (single-owner mode), else
        #: nobody until someone signs in (``services.operators.sign_in``).
        self.operator: Identity | None = None
        self._rights_seen: tuple[Any, ...] | None = None  # the operator row and log head last found agreeing
        self._team_logged = False  # the shop log recorded another operator added (for good: the log only grows)
        self.sign_in(self.sole_owner())
        self.anchorer = chain_anchor.Anchorer(self.secrets)
        if hasattr(db, "before_commit"):  # the file's StoreDatabase, a server's ServerDatabase
            db.before_commit = self.anchorer.before_commit

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None = None, *, clock: Clock | None = None,
             secrets: SecretStore | None = None, create: bool = True, db_url: str | None = None,
             file_only: bool = False, new_shop_in_pc_folder: bool | None = None) -> Desk:
        """Open the store in ``data_dir`` (the default folder when None). Raises StoreUnusable /
        StoreBusy, or DomainError vault_locked when migration 6 must seal codes and the vault
        has no passphrase. With ``create`` False, a folder that does not exist is refused
        (StoreUnusable ``store_missing``) instead of becoming a new, empty shop: a mistyped
        folder must not look like a shop with no orders. ``new_shop_in_pc_folder`` (``create``
        when None): whether a folder that holds this PC's own files (``PC_FILES``) but no shop
        file may become a new, empty shop; when not, it is refused (StoreUnusable
        ``store_missing``, ``shop_file_missing`` tells it apart): it is a second PC's folder whose
        shop is on a server not named, or one whose data file was moved away. The window passes
        False until the owner confirmed a new shop there; demo, orders import and restore make one.

        ``db_url`` (else ``KASHOP_DB_URL``) puts the shop on a PostgreSQL server
        (``postgresql://…``, ``store.server``); the data folder then keeps only what stays on
        this computer (the key vault, logs). ``file_only`` opens the SQLite file whatever
        ``KASHOP_DB_URL`` says (the shop being moved to a server). Without either, the server this
        PC saved in Settings is used (``services.store_choice``: its password from the secret
        store; VaultLocked when that is the locked vault), else the data folder's file. The
        desk's ``store_source`` says which (``store_choice.SOURCES``)."""
        url, source = (None, "file") if file_only else cls._chosen_url(data_dir, db_url, secrets)
        if url is not None:
            desk = cls._open_server(url, data_dir, clock, secrets)
            desk.store_source = source
            return desk
        paths.data_dir(data_dir, create=False)  # a file named as the folder: refused (StoreUnusable)
        if not create and data_dir is not None:
            missing = paths.data_dir(data_dir, create=False) / paths.DB_FILENAME
            if not missing.parent.is_dir():
                raise StoreUnusable(
                    "store_missing",
                    f"数据文件夹 {missing.parent} 不存在，里面没有店铺：请检查 --data-dir 是否写错。"
                    f"新建店铺用 demo、orders import 或 restore，或打开窗口",
                    f"the data folder {missing.parent} does not exist, so there is no shop in it: check --data-dir "
                    f"for a typo. A new shop is made by demo, orders import or restore, or by opening the window",
                    str(missing))
        if not (create if new_shop_in_pc_folder is None else new_shop_in_pc_folder):
            folder = paths.data_dir(data_dir, create=False)
            if shop_file_missing(folder):
                raise cls._no_shop_here(folder / paths.DB_FILENAME)
        directory = paths.data_dir(data_dir)
        chosen: list[SecretStore] = [secrets] if secrets is not None else []

        def secret_store() -> SecretStore:  # only when migration 6 has codes to seal
            if not chosen:
                row = Setting.get_or_none(Setting.key == SECRET_BACKEND_SETTING)
                chosen.append(default_store(directory, choice=json.loads(row.value) if row else None))
            return chosen[0]

        db = store_db.open_store(directory / paths.DB_FILENAME, backups=directory / "backups",
                                 sealer=codekeys.migration_cipher(directory, secret_store))
        desk = cls(db, directory, clock)
        desk.secret_store = chosen[0] if chosen else None
        return desk

    @staticmethod
    def _no_shop_here(missing: Path) -> StoreUnusable:
        """A folder that holds this PC's files (the key vault, the PC's id) but no shop file: the
        shop lives on a server not named here, or its file was moved away. Not made into an empty
        shop, which a second PC would then show as the shop (StoreUnusable ``store_missing``)."""
        folder = missing.parent
        return StoreUnusable(
            "store_missing",
            f"数据文件夹 {folder} 里没有店铺的数据文件，只有这台电脑的文件（密钥保险箱等）。如果店铺在数据库服务器上，"
            "请用 --db 或 KASHOP_DB_URL 指定服务器，或打开窗口，在提示框里选“连接数据库服务器…”保存；"
            "如果数据文件被移走了，请放回原处或用 restore 从备份恢复。没有新建空店铺",
            f"the data folder {folder} holds no shop file, only this computer's own files (the key vault and "
            "the like). If the shop is on a database server, name it with --db or KASHOP_DB_URL, or open the "
            "window and save it with 连接数据库服务器… in the box it shows; if the data file was moved away, put it "
            "back or restore it from a backup. No empty shop was made",
            str(missing))

    @staticmethod
    def _chosen_url(data_dir: str | os.PathLike[str] | None, db_url: str | None,
                    secrets: SecretStore | None) -> tuple[str | None, str]:
        """(URL or None for the file, where it was chosen): ``--db``, KASHOP_DB_URL, the saved choice."""
        from . import store_choice

        if db_url:
            return db_url, "argument"
        if (env := store_server.env_url()) is not None:
            return env, "environment"
        folder = paths.data_dir(data_dir, create=False)
        saved = store_choice.saved_url(folder, secrets) if folder.is_dir() else None
        return saved, "saved" if saved is not None else "file"

    @classmethod
    def _open_server(cls, url: str, data_dir: str | os.PathLike[str] | None, clock: Clock | None,
                     secrets: SecretStore | None) -> Desk:
        # A server store answers every call the services make of the SQLite one (store.server).
        db = cast(SqliteDatabase, store_server.open_server_store(url))
        try:  # the desk's first reads (the operators): a table it may not read is refused, no traceback
            desk = cls(db, paths.data_dir(data_dir), clock)
        except DomainError:
            store_server.release(db)  # type: ignore[arg-type]
            raise
        except PeeweeDatabaseError as exc:
            store_server.release(db)  # type: ignore[arg-type]
            raise (store_server.classify(exc, url) or store_server.open_failed(url, str(exc))) from exc
        desk.secret_store = secrets
        return desk

    def secrets(self) -> SecretStore:
        """The secret store (OS keyring or the passphrase vault), opened on first use; a vault
        stays locked until a secret must be read or stored."""
        if self.secret_store is None:
            self.secret_store = default_store(self.data_dir, choice=self.setting(SECRET_BACKEND_SETTING))
        return self.secret_store

    def set_secrets(self, store: SecretStore) -> None:
        self.secret_store = store
        self._code_cipher = None
        self.anchorer.forget()

    def code_cipher(self) -> codekeys.CodeCipher:
        """The 卡密 cipher (key from the secret store, made on first need). Raises VaultLocked,
        DomainError code_key_missing / code_key_wrong (services.codekeys.load_cipher).

        The key is read, or made, under the store's write lock: two processes importing the
        shop's first codes at once get one key (the second waits, then reads the first one's),
        and a key that does not open this store's sealed codes is refused before it seals or
        hands out anything."""
        if self._code_cipher is None:
            from .refund_nos import store_id

            secrets = self.secrets()

            def load() -> codekeys.CodeCipher:
                return codekeys.load_cipher(
                    secrets, store_id(self), self.setting(codekeys.KEY_ID_SETTING),
                    lambda key_id: self.set_setting(codekeys.KEY_ID_SETTING, key_id),
                    sealed_sample=lambda: codekeys.sealed_sample(self.db))

            if self.setting(codekeys.KEY_ID_SETTING):  # the key exists: reading needs no write lock
                self._code_cipher = load()
            else:
                with self.atomic():
                    self._code_cipher = load()
            if self.setting(codekeys.REHINT_SETTING):  # schema 13 left the hints to write again
                with self.atomic():
                    if self.setting(codekeys.REHINT_SETTING):
                        codekeys.rehint(self.db, self._code_cipher)
        return self._code_cipher

    def code_cipher_if_open(self) -> codekeys.CodeCipher | None:
        """The 卡密 cipher when it can be had without a passphrase (None: the vault is locked).
        Raises DomainError code_key_missing / code_key_wrong."""
        from .secrets import VaultLocked

        try:
            return self.code_cipher()
        except VaultLocked:
            return None

    def hold_page_cache(self, kib: int) -> None:
        """Keep at most ``kib`` KiB of SQLite pages per connection of this desk: this thread's
        and every one opened after (the window's database worker). The window keeps the default
        16 MB per connection in check this way: its reads touch pages all over a big store, each
        connection's cache fills up and stays, and the file's pages are in the system's cache
        anyway (gui_bench: 20 MB less after browsing, searches no slower at 4 MB). A server store
        has no page cache in the desk's process (the server's shared buffers): nothing to hold."""
        if self.db_url is None:
            self.db.pragma("cache_size", -int(kib), permanent=True)

    def close(self) -> None:
        """Close this thread's connection (a thread that wrote calls it too, e.g. the window's worker)."""
        if self.db_url is not None:
            store_server.release(self.db)  # type: ignore[arg-type]
        else:
            store_db.release(self.db)

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    def explain(self, exc: BaseException) -> DomainError | None:
        """The StoreBusy / StoreUnusable an exception from the store stands for, or None."""
        if self.db_url is not None:
            return store_server.classify(exc, self.db_url)
        return store_db.classify(exc, self.db_path, self.backups_dir)

    @property
    def store_label(self) -> str:
        """Where the shop lives, for people: the data file's path, or the server's URL without
        its password."""
        return store_server.redact(self.db_url) if self.db_url is not None else str(self.db_path)

    @property
    def db_path(self) -> Path:
        return self.data_dir / paths.DB_FILENAME

    def now(self) -> datetime:
        return self._clock().astimezone(shop_clock.SHOP_TZ)

    @property
    def clock(self) -> Clock:
        return self._clock

    def set_clock(self, clock: Clock | None) -> None:
        self._clock = clock or shop_clock.now

    def fix_clock(self, at: datetime, *, writes: bool) -> None:
        """Act as if it were ``at`` from now on (the command line's ``--now``: replaying a sweep),
        once the operator at the desk is known (sign-in and lock-out are judged on the real clock
        first). Once the shop has several operators only the owner may (DomainError
        ``fixed_clock_owner_only``, recorded); a command that writes may not go back before the
        log's newest row by more than ``domain.audit.CLOCK_SKEW_S`` (DomainError ``fixed_clock_before_log``):
        rows dated before the ones already written would make the log read out of order."""
        from ..domain.audit import CLOCK_SKEW_S

        who = self.current_operator()
        if not self.single_owner and (who is None or who.role is not Role.OWNER):
            exc = DomainError("fixed_clock_owner_only",
                              "--now（按指定时间执行）在有多个操作员的店铺里只限店主使用",
                              "--now (act as if it were another time) is for the owner only once the shop has "
                              "several operators")
            self.log("refused", "fixed_clock", exc.en, {"code": exc.code, "zh": exc.zh})
            raise exc
        newest = chain.newest_time(self.db.connection())
        if writes and newest is not None and at.timestamp() < newest - CLOCK_SKEW_S:
            last = datetime.fromtimestamp(newest, shop_clock.SHOP_TZ)
            raise DomainError("fixed_clock_before_log",
                              f"--now {at:%Y-%m-%d %H:%M} 早于日志的最后一行（{last:%Y-%m-%d %H:%M}，北京时间）："
                              "写入的记录会排在更晚的记录之后，已拒绝，什么都没有做",
                              f"--now {at:%Y-%m-%d %H:%M} is before the log's last row ({last:%Y-%m-%d %H:%M} "
                              "Beijing time): the rows written would read out of order; refused, nothing was done")
        self.set_clock(lambda: at)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One write transaction: begins IMMEDIATE, waits its turn, StoreBusy when it cannot.

        A refusal of the operator's rights raised inside it is written to the shop log once the
        transaction has rolled back (so the record itself is kept)."""
        try:
            with self.db.atomic():
                yield
        except PermissionRefused as exc:
            if not exc.recorded and not self.db.in_transaction():
                self.log_refusal(exc)
            raise

    # ---- operators and the shop log -------------------------------------------------------------
    def sole_owner(self) -> Identity | None:
        """The owner when nobody needs to sign in, else None: the shop has a single active
        operator, the owner, and either no other operator at all or no owner's password yet.
        Once other operators exist, an owner who set a password is asked for it even while
        every other operator is disabled. Once the shop log records another operator added, the
        shop never goes back to single-owner mode (their rows deleted outside the desk do not
        switch sign-in off): the owner signs in with their password, and check names the rows gone."""
        rows = self.db.execute_sql("SELECT name, role, COALESCE(password_hash, '') != '' FROM operator "
                                   "WHERE disabled_at IS NULL LIMIT 2").fetchall()
        if len(rows) != 1 or rows[0][1] != Role.OWNER.code:
            return None
        if rows[0][2]:
            (others,) = self.db.execute_sql("SELECT COUNT(*) FROM operator WHERE disabled_at IS NOT NULL").fetchone()
            if others:
                return None
        if self.team_logged():
            return None
        return Identity(str(rows[0][0]), Role.OWNER)

    def team_logged(self) -> bool:
        """True once the shop log records an operator added (``operator_added``): the shop has had
        a team, whatever the operator table says now."""
        if not self._team_logged:
            self._team_logged = self.db.execute_sql(
                "SELECT 1 FROM audit_event WHERE action = 'operator_added' LIMIT 1").fetchone() is not None
        return self._team_logged

    @property
    def single_owner(self) -> bool:
        """True while the shop has one active operator, the owner: nobody signs in."""
        return self.sole_owner() is not None

    def sign_in(self, identity: Identity | None) -> None:
        """Work as ``identity`` from now on (None: nobody); every log row records its name."""
        self.operator = identity
        self.db.operator = identity.name if identity else ""  # type: ignore[attr-defined]

    def log(self, action: str, subject: str = "", note: str = "", data: dict[str, Any] | None = None) -> None:
        """Append one row to the shop log (``audit_event``: settings, operators, refusals, sign-ins),
        chained like the timeline; in its own transaction, or the caller's."""
        row = (int(self.now().timestamp()), getattr(self.db, "operator", ""), action, subject, note,
               json.dumps(data or {}, ensure_ascii=False, sort_keys=True))
        with self.db.atomic():
            chain.append(self.db.connection(), "audit_event", [row])

    def log_refusal(self, exc: PermissionRefused) -> None:
        """Record that an operator was refused (written at once, outside any transaction)."""
        exc.recorded = True
        self.log("refused", exc.right, exc.en, {"code": exc.code, "zh": exc.zh})

    # ---- settings ------------------------------------------------------------------------------
    def current_operator(self) -> Identity | None:
        """The operator at the desk with their rights as stored now: a role or approval limit the
        owner changed meanwhile (another window, the command line) applies at once, and an operator
        disabled meanwhile is signed out (None: every operation is then refused as not signed in,
        and the window asks who is working)."""
        who = self.operator
        if who is None:
            return None
        row = self.db.execute_sql("SELECT role, approve_limit_fen, disabled_at, password_hash FROM operator "
                                  "WHERE name = ?", (who.name,)).fetchone()
        if row is None:
            return who  # not an operator row (a sign-in made by the desk itself)
        self.check_rights(who.name, row)
        role_code, limit, disabled, _ = row
        if disabled is not None:
            self.sign_in(None)
            return None
        role = next((r for r in Role if r.code == role_code), None)
        if role is None:
            self.sign_in(None)  # a role the desk does not know (edited outside it): no rights
            return None
        if (role, limit) != (who.role, who.approve_limit_fen):
            self.sign_in(Identity(who.name, role, limit if isinstance(limit, int) else None))
        return self.operator

    def check_rights(self, name: str, row: tuple[Any, ...]) -> None:
        """Refuse (PermissionRefused ``operator_changed_outside``) operator ``name`` whose stored
        rights ``row`` (role code, approval limit in fen, disabled_at, password hash) are not what the
        shop log's entries about them made them (``services.state_check.operator_disagreement``).
        The log is replayed once per state of the row and the log's newest row, so a run of
        approvals reads it once."""
        from .state_check import operator_disagreement

        con = self.db.connection()
        (newest,) = con.execute("SELECT COALESCE(MAX(id), 0) FROM audit_event").fetchone()
        seen = (name, *row, newest)
        if seen == self._rights_seen:
            return
        why = operator_disagreement(con, name, row[0], row[1], row[2] is not None, row[3] or "")
        if why is not None:
            self.sign_in(None)
            raise changed_outside(name, why)
        self._rights_seen = seen

    def require(self, right: Right) -> None:
        """Refuse (PermissionRefused, recorded in the shop log) unless the operator at the desk
        may do what ``right`` names. Every operation that changes the shop calls this first
        (``services.access`` holds the finer checks: approval limits)."""
        try:
            who = self.current_operator()
        except PermissionRefused as refused:
            if not self.db.in_transaction():
                self.log_refusal(refused)
            raise
        if who is not None and who.may(right):
            return
        exc = refusal(who.name, who.role, right) if who else not_signed_in()
        if not self.db.in_transaction():  # inside one, atomic() records it after the rollback
            self.log_refusal(exc)
        raise exc

    def over_limit(self, amount_fen: int, already_fen: int = 0) -> PermissionRefused | None:
        """The refusal when the operator may not approve a refund of ``amount_fen`` (gross, fen)
        by their approval limit, else None (the owner is never limited). The limit is per order:
        ``already_fen`` is what the operator approved on the same order before (gross, fen), so
        splitting a refund into parts does not get round it."""
        who = self.current_operator()
        if who is None:  # signed out since the operation began (disabled, or the row changed outside the desk)
            return not_signed_in()
        if within_limit(who.role, who.approve_limit_fen, already_fen + amount_fen):
            return None
        return over_limit(who.name, who.approve_limit_fen or 0, amount_fen, already_fen)

    def setting(self, key: str, default: Any = None) -> Any:
        """Setting ``key`` as stored (JSON), or ``default`` when it is not set. A stored value that
        does not parse (edited outside the desk) is refused as ``setting_unreadable`` (DomainError)."""
        row = Setting.get_or_none(Setting.key == key)
        if row is None:
            return default
        try:
            return json.loads(row.value)
        except (TypeError, ValueError):
            raise unreadable_setting(key) from None

    def set_setting(self, key: str, value: Any) -> None:
        """Store a setting (JSON) and write the change to the shop log with the operator.
        Shop-wide settings (``OWNER_SETTINGS``) need the POLICY right: PermissionRefused."""
        if key in OWNER_SETTINGS:
            self.require(Right.POLICY)
        with self.atomic():
            text = json.dumps(value, ensure_ascii=False)
            Setting.insert(key=key, value=text).on_conflict(conflict_target=[Setting.key],
                                                            update={Setting.value: text}).execute()
            self.log("setting_changed", key, "", {"value": value})
        if key == "policy":
            self._policy_cache = None
        if key == HOLIDAYS_SETTING:
            self._holidays_cache = None

    def forget_cached_settings(self) -> None:
        """Read the policy and the holidays from the store again next time (another process,
        such as ``policy set``, may have changed them)."""
        self._policy_cache = None
        self._holidays_cache = None

    def policy(self) -> CancelPolicy:
        if self._policy_cache is None:
            stored = self.setting("policy", {}) or {}
            try:
                self._policy_cache = CancelPolicy.from_dict(stored)
            except (AttributeError, TypeError, ValueError):  # not an object of known keys and values
                raise unreadable_setting("policy") from None
        return self._policy_cache

    def set_policy(self, policy: CancelPolicy) -> None:
        self.set_setting("policy", policy.to_dict())

    def holidays(self) -> HolidaySchedule:
        """The holiday schedules the owner loaded (``services.holidays``), for the calendar."""
        if self._holidays_cache is None:
            self._holidays_cache = schedule_of(from_setting(self.setting(HOLIDAYS_SETTING, {})))
        return self._holidays_cache

    def product_policy(self, product: Product | None) -> CancelPolicy:
        base = self.policy()
        if product is None:
            return base
        overrides = json.loads(product.policy_overrides or "{}")
        return base.with_overrides(overrides)


def unreadable_setting(key: str) -> DomainError:
    """The refusal for a stored setting that does not read (edited outside the desk)."""
    return DomainError("setting_unreadable",
                       f"设置 {key} 已损坏，无法读取（在软件之外被改过）：请店主重新保存该设置，或从备份恢复；"
                       "kashop-desktop check 会列出与操作日志不符的设置",
                       f"the setting {key} is damaged and cannot be read (edited outside the desk): the owner "
                       "saves it again or restores a backup; kashop-desktop check lists settings that disagree "
                       "with the log")
