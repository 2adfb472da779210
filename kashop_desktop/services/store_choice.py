"""Where this PC's desk keeps the shop: the data folder's SQLite file, or a PostgreSQL server.

The order at start (window and command line alike, ``Desk.open``): ``--db URL``, then
``KASHOP_DB_URL``, then the choice saved here (Settings > 数据存储 in the window), then the
data folder's file. The choice belongs to this PC, not to the shop, so it is kept in the data
folder (``store-choice.json``: ``{"url": the URL without any password, "password_in":
"keyring" | "vault" | null}``), never in the store. The password is kept in the secret store
(``services.secrets``, account ``PASSWORD_ACCOUNT``), as the gateway keys are: the OS keyring,
or the passphrase vault (a locked vault raises ``VaultLocked`` at start: the window asks for
the passphrase, the command line reads ``KASHOP_VAULT_PASSPHRASE``).

``try_server`` / ``try_url`` try a server before it is saved (``services.server_probe``; it
waits up to the connect timeout: call it on a worker thread) and say in plain words what failed.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..domain.errors import DomainError, StoreUnusable
from ..domain.roles import Right
from ..store import server as store_server
from ..store.pg_url import (
    DEFAULT_PORT,
    SSLMODES,
    ServerParts,
    compose,
    parts_of,
    server_name,
    url_problem,
    without_password,
)
from .secrets import ENV_PASSPHRASE, KeyringStore, SecretStore, VaultLocked, VaultStore

log = logging.getLogger(__name__)

CHOICE_FILE = "store-choice.json"
URL_ENV = store_server.URL_ENV
PASSWORD_ACCOUNT = "store_server"
#: Where the store in use was chosen: ``--db`` (or a caller's URL), KASHOP_DB_URL, the saved
#: choice, or the data folder's file.
SOURCES = ("argument", "environment", "saved", "file")


@dataclass(frozen=True)
class SavedChoice:
    """The server this PC saved (``parts``: host, port, database, user, sslmode) and where its
    password is kept (``password_in``: "keyring", "vault", or None when it has none)."""

    parts: ServerParts
    password_in: str | None

    @property
    def url(self) -> str:
        """The URL without the password."""
        return compose(self.parts)


@dataclass(frozen=True)
class StoreInUse:
    """Where the open desk's shop lives, for people: ``source`` (``SOURCES``), the data file's
    ``path`` or the ``server`` (host, port, database, user, sslmode; never the password) and
    its ``name`` (``host:port/dbname``)."""

    source: str
    path: Path | None = None
    server: ServerParts | None = None
    name: str | None = None


def in_use(desk: Any) -> StoreInUse:
    """Where ``desk``'s shop lives (``StoreInUse``)."""
    if desk.db_url is None:
        return StoreInUse(desk.store_source, path=desk.db_path)
    return StoreInUse(desk.store_source, server=parts_of(desk.db_url), name=server_name(desk.db_url))


def shop_server_name(desk: Any) -> str | None:
    """``host:port/dbname`` of the server ``desk``'s shop lives on; None on the data file."""
    return None if desk.db_url is None else server_name(desk.db_url)


def _path(data_dir: Path) -> Path:
    return Path(data_dir) / CHOICE_FILE


def saved(data_dir: Path) -> SavedChoice | None:
    """The server saved in ``data_dir``, or None (the data folder's file). A file that cannot be
    read (edited by hand, cut short, not the shape above) raises StoreUnusable
    ``store_choice_unreadable`` naming it in plain words (the command line exits 5): the desk
    must not quietly open the file instead of the shop's server. A BOM (Windows Notepad) is
    accepted. A password written into the file is refused, not ignored: it is never read from
    there (the file is plain text), so the login would fail without saying why."""
    path = _path(data_dir)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, "无法读取 / cannot be read", str(exc)) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _unreadable(path, "不是有效的 JSON", f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise _unreadable(path, '应为 {"url": "postgresql://…", "password_in": …}',
                          'expected {"url": "postgresql://…", "password_in": …}')
    where = data.get("password_in")
    if where not in (None, "keyring", "vault"):
        raise _unreadable(path, f"password_in 只能是 keyring、vault 或 null，而不是 {where!r}",
                          f"password_in must be keyring, vault or null, not {where!r}")
    try:
        parts = parts_of(data["url"])
    except ValueError as exc:
        raise _unreadable(path, f"url 不是可用的数据库地址：{data['url']!r}",
                          f"url is not a usable database address: {data['url']!r}") from exc
    if parts.has_password or "password" in data:
        raise _password_in_file(path)
    return SavedChoice(parts, where)


def _unreadable(path: Path, zh_detail: str, en_detail: str) -> StoreUnusable:
    return StoreUnusable(
        "store_choice_unreadable",
        f"保存的店铺位置 {path} 读不出来（{zh_detail}）。请在设置页的“数据存储”里重新选择，或删除这个文件改用这台电脑的数据文件。",
        f"the saved shop location {path} cannot be read ({en_detail}). Choose it again in Settings > data storage, "
        "or delete the file to use this PC's data file.", str(path))


def _password_in_file(path: Path) -> StoreUnusable:
    return StoreUnusable(
        "store_choice_unreadable",
        f"保存的店铺位置 {path} 里写了密码：本程序不从这个文件读密码（它是明文）。请从文件里删掉密码，"
        "在设置页的“数据存储”里输入并保存（存进系统钥匙串或保险箱），或用环境变量 PGPASSWORD / ~/.pgpass。",
        f"the saved shop location {path} holds a password: the desk never reads one from this file (it is plain "
        "text). Remove it from the file and enter it in Settings > data storage (kept in the system keyring or "
        "the vault), or use PGPASSWORD / ~/.pgpass.", str(path))


def source(data_dir: Path, db_url: str | None = None) -> str:
    """Where the next ``Desk.open(data_dir, db_url=db_url)`` takes the store from (``SOURCES``),
    without reading any password. Raises DomainError ``store_choice_unreadable``."""
    if db_url:
        return "argument"
    if store_server.env_url() is not None:
        return "environment"
    return "saved" if saved(data_dir) is not None else "file"


def _secret_store(data_dir: Path, where: str, given: SecretStore | None) -> SecretStore:
    if given is not None and given.name == where:
        return given
    return KeyringStore() if where == "keyring" else VaultStore(Path(data_dir) / "vault.json")


def saved_url(data_dir: Path, secrets: SecretStore | None = None) -> str | None:
    """The saved server's URL with its password (read from the secret store it was put in;
    ``secrets`` when it is that store, e.g. a vault the window has unlocked), or None when this
    PC keeps the shop in its file. Raises VaultLocked, DomainError ``keyring_unavailable`` and
    ``store_choice_unreadable``. The URL is for connecting only: never write or log it."""
    choice = saved(data_dir)
    if choice is None:
        return None
    if choice.password_in is None:
        return choice.url
    try:
        password = _secret_store(data_dir, choice.password_in, secrets).get(PASSWORD_ACCOUNT).get("password")
    except VaultLocked as exc:
        raise ServerPasswordLocked(server_name(choice.url)) from exc
    except DomainError as exc:
        if exc.code != "vault_wrong_passphrase":
            raise
        where = server_name(choice.url)
        raise DomainError(
            exc.code,
            f"保险箱口令错误：这台电脑保存的店铺服务器 {where} 的密码在密钥保险箱里，要用保险箱口令才能取出它连接服务器。"
            f"请检查环境变量 {ENV_PASSPHRASE}，或在窗口中输入口令。",
            f"wrong vault passphrase: the password of the shop's server {where} saved on this PC is in the key "
            f"vault, and the vault's passphrase is needed to read it and connect. Check {ENV_PASSPHRASE}, or enter "
            "it in the window.") from exc
    return compose(choice.parts, password or None)


class ServerPasswordLocked(VaultLocked):
    """The saved server's password is in the locked vault (code ``vault_locked``, as any locked
    vault: the window asks for the passphrase; the command line names KASHOP_VAULT_PASSPHRASE)."""

    def __init__(self, server: str) -> None:
        DomainError.__init__(
            self, "vault_locked",
            f"这台电脑保存的店铺服务器 {server} 的密码在密钥保险箱里，保险箱未解锁：请在窗口中输入口令，"
            f"或设置环境变量 {ENV_PASSPHRASE}",
            f"the password of the shop's server {server} saved on this PC is in the key vault, which is locked: "
            f"enter its passphrase in the window or set {ENV_PASSPHRASE}")


def save_server(desk: Any, parts: ServerParts, password: str | None, *, keep_password: bool = False) -> SavedChoice:
    """Save ``parts`` as this PC's store from the next start; the password goes into the desk's
    secret store (``desk.secrets()``), the file keeps the URL without it. ``keep_password``
    keeps the password saved before (the owner left the field empty). Owner only
    (PermissionRefused). Raises DomainError ``store_url`` for an address libpq would refuse, and
    the secret store's errors (VaultLocked: nothing saved)."""
    desk.require(Right.POLICY)
    url = compose(parts)
    problem = url_problem(url)
    if problem is not None:
        raise DomainError("store_url", *problem)
    data_dir = Path(desk.data_dir)
    try:
        before = saved(data_dir)
    except DomainError:  # a choice file that cannot be read is replaced by this one
        before = None
    where: str | None = None
    if password:
        _forget_password(data_dir, desk.secret_store)  # a password kept elsewhere before
        store = desk.secrets()
        store.put(PASSWORD_ACCOUNT, {"password": password})
        where = store.name
    elif keep_password and before is not None and before.password_in is not None:
        where = before.password_in
    else:
        _forget_password(data_dir, desk.secret_store)
    _write(data_dir, {"url": without_password(url), "password_in": where})
    log.info("the shop's store from the next start: %s", url)
    return SavedChoice(parts, where)


def use_file(desk: Any) -> None:
    """Keep the shop in this PC's data file from the next start: the saved server and its
    password are removed, and the first start on the file says that it does not hold what
    was done on the server (``left_server_note``). Owner only (PermissionRefused)."""
    desk.require(Right.POLICY)
    forget(Path(desk.data_dir), desk.secret_store)
    log.info("the shop's store from the next start: the data file")


def leaving_server(desk: Any) -> str | None:
    """``host:port/dbname`` of the server this PC keeps the shop on (in use, or saved for the
    next start), or None when it keeps it in its data file: the server ``use_file`` would
    leave behind."""
    if desk.db_url is not None and desk.store_source == "saved":
        return server_name(desk.db_url)
    try:
        choice = saved(Path(desk.data_dir))
    except DomainError:
        return None
    return server_name(choice.url) if choice is not None else None


def back_to_file_warning(server: str) -> tuple[str, str]:
    """(zh, en): going back to this PC's data file after the shop lived on ``server``."""
    return (f"这台电脑的数据文件里没有在数据库服务器 {server} 上做过的改动（订单、退款、卡密、设置）：改回数据文件后，"
            "看到的是改用服务器之前的店铺。本程序不能把店铺从服务器搬回数据文件（store migrate 只能从数据文件迁到服务器）。"
            f"要继续使用服务器上的店铺，请留在服务器上；服务器上的店铺请用 pg_dump 备份，它不受这次更改影响。",
            f"this PC's data file does not hold what was done on the database server {server} (orders, refunds, "
            "card codes, settings): back on the file you see the shop as it was before the server. The desk cannot "
            "move the shop from the server back into a data file (store migrate only goes from a file to a server). "
            "To keep working with the server's shop, stay on the server; back it up with pg_dump. The shop on the "
            "server is not changed by this.")


LEFT_SERVER_FILE = "left-server.json"


def _note_left_server(data_dir: Path, server: str) -> None:
    path = Path(data_dir) / LEFT_SERVER_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"server": server}, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def left_server_note(data_dir: Path, *, keep: bool = False) -> tuple[str, str] | None:
    """(zh, en) for the first start on the data file after the owner left a server
    (``back_to_file_warning``), or None; the note is removed once read unless ``keep``."""
    path = Path(data_dir) / LEFT_SERVER_FILE
    try:
        server = str(json.loads(path.read_text(encoding="utf-8-sig"))["server"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        server = "?"
    if not keep:
        path.unlink(missing_ok=True)
    return back_to_file_warning(server)


def forget(data_dir: Path, secrets: SecretStore | None = None) -> None:
    """Remove the saved server and its password (the start's way back to this PC's file when
    the saved server cannot be used; that start warns as ``use_file``'s does)."""
    try:
        choice = saved(data_dir)
    except DomainError:
        choice = None
    _forget_password(data_dir, secrets)
    _path(data_dir).unlink(missing_ok=True)
    if choice is not None:
        _note_left_server(Path(data_dir), server_name(choice.url))


def _forget_password(data_dir: Path, secrets: SecretStore | None) -> None:
    try:
        choice = saved(data_dir)
    except DomainError:
        return
    if choice is not None and choice.password_in is not None:
        try:
            _secret_store(data_dir, choice.password_in, secrets).delete(PASSWORD_ACCOUNT)
        except DomainError as exc:  # e.g. the keyring went away: the file goes anyway
            log.warning("the saved server's password could not be removed: %s", exc.en)


def _write(data_dir: Path, data: dict[str, Any]) -> None:
    path = _path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def try_server(desk: Any, parts: ServerParts, password: str | None, *, keep_password: bool = False) -> Any:
    """测试连接 for ``parts`` with ``password`` (or, with ``keep_password`` and no password given,
    the one saved for this PC): ``server_probe.ProbeResult``. Blocks up to the connect timeout:
    call it on a worker thread. Raises the secret store's errors (VaultLocked) when the saved
    password must be read."""
    from .server_probe import probe

    if not password and keep_password:
        choice = saved(Path(desk.data_dir))
        if choice is not None and choice.password_in is not None:
            store = _secret_store(Path(desk.data_dir), choice.password_in, desk.secret_store)
            password = store.get(PASSWORD_ACCOUNT).get("password")
    return probe(compose(parts, password or None))



def restart_changes_store(desk: Any) -> bool:
    """Whether starting again would open another store than ``desk``'s: False while ``--db`` or
    KASHOP_DB_URL chose it (they win over the saved choice), or when the saved choice is the
    store in use. Raises DomainError ``store_choice_unreadable``."""
    if desk.store_source in ("argument", "environment"):
        return False
    choice = saved(Path(desk.data_dir))
    if choice is None:
        return desk.db_url is not None
    if desk.db_url is None:
        return True
    now = parts_of(desk.db_url)
    return replace(now, has_password=False) != replace(choice.parts, has_password=False)



def moved_to(data_dir: Path) -> ServerParts | None:
    """The server the data file in ``data_dir`` was moved to (``store migrate``'s mark), or None
    when the file is not marked (or the mark names no usable address)."""
    from .. import paths
    from ..store import moved

    mark = moved.found_in_file(Path(data_dir) / paths.DB_FILENAME)
    try:
        return parts_of(str(mark["to"])) if mark else None
    except ValueError:
        return None


def try_url(parts: ServerParts, password: str | None) -> Any:
    """测试连接 for ``parts`` with ``password`` when no desk is open (at start): a
    ``server_probe.ProbeResult``. Blocks up to the connect timeout."""
    from .server_probe import probe

    return probe(compose(parts, password or None))


def save_moved_server(data_dir: Path, parts: ServerParts, password: str | None,
                      secrets: SecretStore | None = None) -> SavedChoice:
    """At start, on a data file marked as moved (no shop can be opened on this PC, so there is no
    operator to ask): save the server it moved to (``moved_to``; any other is refused with
    DomainError ``store_url``) as this PC's store. The password goes into ``secrets``, or the
    secret store the file's owner chose (raises VaultLocked when that is the locked vault)."""
    from .. import paths
    from ..store import moved
    from .desk import SECRET_BACKEND_SETTING
    from .secrets import default_store

    target = moved_to(data_dir)
    if target is None or (target.host, target.port, target.dbname) != (parts.host, parts.port, parts.dbname):
        raise DomainError("store_url", "只能改用这个数据文件迁移到的服务器。", "only the server this data file moved to can be chosen here.")
    where: str | None = None
    if password:
        choice = moved.setting_in_file(Path(data_dir) / paths.DB_FILENAME, SECRET_BACKEND_SETTING)
        store = secrets or default_store(Path(data_dir), choice=choice)
        store.put(PASSWORD_ACCOUNT, {"password": password})
        where = store.name
    _write(Path(data_dir), {"url": compose(parts), "password_in": where})
    log.info("the shop's store from the next start: %s (the server the data file moved to)", compose(parts))
    return SavedChoice(parts, where)



def save_server_for_missing_shop(data_dir: Path, parts: ServerParts, password: str | None,
                                 secrets: SecretStore | None = None) -> SavedChoice:
    """At start, in a folder that holds this PC's files but no shop file (``desk.shop_file_missing``:
    no shop can be opened, so there is no operator to ask; the server's shop asks for its own
    sign-in): save ``parts`` as this PC's store. The password goes into ``secrets``, else the
    secret store KASHOP_SECRETS or the system names (raises VaultLocked when that is the locked
    vault: nothing saved). Raises DomainError ``store_url`` for an address libpq would refuse and
    ``store_present`` when the folder holds a shop file (Settings > 数据存储 chooses then)."""
    from .desk import shop_file_missing
    from .secrets import default_store

    folder = Path(data_dir)
    if not shop_file_missing(folder):
        raise DomainError("store_present", "这个文件夹里有店铺的数据文件：请打开它，在设置页的“数据存储”里选择服务器。",
                          "this folder holds a shop file: open it and choose the server in Settings > 数据存储.")
    url = compose(parts)
    problem = url_problem(url)
    if problem is not None:
        raise DomainError("store_url", *problem)
    where: str | None = None
    if password:
        store = secrets or default_store(folder)
        store.put(PASSWORD_ACCOUNT, {"password": password})
        where = store.name
    _write(folder, {"url": without_password(url), "password_in": where})
    log.info("the shop's store from the next start: %s (chosen at a start with no shop file)", url)
    return SavedChoice(parts, where)


def backups_elsewhere(desk: Any) -> tuple[str, str] | None:
    """(zh, en) saying where a server shop's backups are made (the server's ``pg_dump``: the
    desk's file backups do not apply), or None on the data file."""
    if desk.db_url is None:
        return None
    where = server_name(desk.db_url)
    return (f"店铺在数据库服务器 {where} 上：请在服务器上备份（例如 pg_dump -Fc 库名 > 备份文件）；本程序只备份数据文件。",
            f"the shop is on the database server {where}: back it up there (e.g. pg_dump -Fc DBNAME > BACKUP_FILE); "
            "the desk backs up data files only.")


def file_backups_note(data_dir: Path, db_url: str | None = None) -> tuple[str, str] | None:
    """(zh, en) for a list of ``data_dir``'s file backups when the shop opened from it lives on a
    server (``--db``, KASHOP_DB_URL or the saved choice: ``source``): the backups listed are of a
    data file this folder held, not of the server's shop. None when the shop is the data file or
    the saved choice cannot be read (every other command says what is wrong with it)."""
    try:
        where = source(data_dir, db_url)
    except DomainError:
        return None
    if where == "file":
        return None
    if where == "saved":
        choice = saved(data_dir)
        server = server_name(compose(choice.parts)) if choice is not None else ""
    else:
        server = server_name(db_url or store_server.env_url() or "")
    return (f"店铺在数据库服务器 {server} 上：下面是这个文件夹里数据文件的备份，不是服务器上店铺的备份；"
            "服务器上的店铺请在服务器上备份（例如 pg_dump -Fc 库名 > 备份文件）。",
            f"the shop is on the database server {server}: the backups below are of a data file this folder "
            "held, not of the server's shop; back the server's shop up on the server (e.g. pg_dump -Fc DBNAME > "
            "BACKUP_FILE).")


__all__ = ["CHOICE_FILE", "DEFAULT_PORT", "PASSWORD_ACCOUNT", "SOURCES", "SSLMODES", "URL_ENV", "SavedChoice",
           "ServerParts", "ServerPasswordLocked", "StoreInUse", "back_to_file_warning", "backups_elsewhere", "file_backups_note", "forget",
           "in_use", "leaving_server", "left_server_note", "moved_to",
           "restart_changes_store", "save_moved_server", "save_server", "saved", "saved_url", "shop_server_name",
           "source", "try_server", "try_url", "use_file"]
