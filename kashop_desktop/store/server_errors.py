"""How the PostgreSQL store's problems are told to people (``store.server``): a driver error
read for what it is (StoreBusy for a lock timeout, StoreUnusable for a lost server, a refused
login, missing rights), and the refusals for a database the desk will not open or change.
Every message names the server without its password (``pg_url.redact``)."""

from __future__ import annotations

from typing import Any

from peewee import InterfaceError, OperationalError

from ..domain.errors import StoreBusy, StoreError, StoreUnusable
from .pg_url import redact


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of the innermost driver error in ``exc``'s chain, if any."""
    for current in reversed(_chain(exc)):
        state = getattr(current, "sqlstate", None)
        if state:
            return str(state)
    return None


def _is_lock_timeout(exc: BaseException) -> bool:
    return getattr(exc, "sqlstate", None) == "55P03"  # lock_not_available


def unreachable(url: str, detail: str) -> StoreUnusable:
    """The refusal for a server that cannot be reached or refuses the login (nothing written)."""
    where = redact(url)
    text = detail.strip().splitlines()[0] if detail.strip() else ""
    low = detail.lower()
    if "password" in low or "authentication" in low:
        code, zh, en = ("store_login_failed", "拒绝了登录（用户名或密码不对）",
                        "refused the login (wrong user name or password)")
    elif "ssl" in low and ("not support" in low or "ssl negotiation" in low or "ssl connection" in low):
        code, zh, en = ("store_no_tls", "不支持加密连接（TLS），而地址要求了 sslmode=require 或更严（请在服务器上开启 ssl，"
                        "或确认在可信网络上后去掉 sslmode）",
                        "does not offer encrypted connections (TLS) while the URL asks for sslmode=require or stricter "
                        "(turn ssl on at the server, or drop sslmode on a network you trust)")
    elif "certificate" in low:  # verify-ca / verify-full: no root certificate, or it does not match
        code, zh, en = ("store_tls_certificate", "的证书无法核对（没有签发它的根证书文件，或证书与主机名不符）。请选择正确的"
                        "根证书文件（sslrootcert），或确认在可信网络上后改用 sslmode=require",
                        "has a certificate that cannot be verified (no root certificate that issued it, or it does "
                        "not match the host name). Choose the right root certificate file (sslrootcert), or use "
                        "sslmode=require on a network you trust")
    elif "does not exist" in low and "database" in low:
        code, zh, en = ("store_missing", "上没有这个数据库（请先用 createdb 建好，或检查库名）",
                        "has no such database (create it with createdb first, or check the name)")
    else:
        code, zh, en = ("store_unreachable", "连接不上（服务器没有运行，或网络、主机名、端口不对）",
                        "cannot be reached (the server is not running, or the network, host or port is wrong)")
    return StoreUnusable(
        code,
        f"数据库服务器 {where} {zh}。什么都没有改动；请检查后重试。（{text}）",
        f"the database server {where} {en}. Nothing was changed; check it and try again. ({text})",
        where)


def classify(exc: BaseException, url: str) -> StoreError | None:
    """The StoreBusy / StoreUnusable a psycopg error stands for, or None for anything else.

    The driver's own error (the innermost one carrying a SQLSTATE) is judged first: peewee
    wraps it in an OperationalError without one, which alone would read as a lost connection
    (a lock timeout, 55P03, is the store being busy, not the server being down)."""
    chain = _chain(exc)
    for current in chain:
        if isinstance(current, StoreError):
            return current
    said = [current for current in chain if getattr(current, "sqlstate", None)]
    if said:  # the server's own answer decides (a statement it refused is no lost connection)
        judged = _judge(said[-1], url)
        if judged is not None:
            return judged
    for current in chain:
        if _wraps_an_answer(current):  # peewee's wrapper of a driver error judged above
            continue
        judged = _judge(current, url)
        if judged is not None:
            return judged
    return None


def _wraps_an_answer(exc: BaseException) -> bool:
    inner: Any = exc.args[0] if exc.args else None
    inner = inner if isinstance(inner, BaseException) else exc.__cause__
    return inner is not None and bool(getattr(inner, "sqlstate", None))


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the errors it wraps, outermost first (``store.db.error_chain``)."""
    from .db import error_chain

    return list(error_chain(exc))


def _judge(exc: BaseException, url: str) -> StoreError | None:
    if _is_lock_timeout(exc):
        return lock_wait_error(url)
    if getattr(exc, "sqlstate", None) == "42501":  # insufficient_privilege
        return no_rights(url, str(exc))
    if _is_connection_error(exc):
        return unreachable(url, str(exc))
    return None


def lock_wait_error(url: str) -> StoreBusy:
    """StoreBusy for one statement (a read, or a step of a write) that waited the busy timeout
    (``lock_timeout``) for a lock another session holds: a table locked by hand, a migration, a
    long import. The write lock's own wait, tried several times, is ``store.db.busy_error``."""
    from .db import BUSY_TIMEOUT_MS, _seconds

    where = redact(url)
    each = _seconds(BUSY_TIMEOUT_MS)
    return StoreBusy(
        f"数据库服务器 {where} 上的店铺正被另一台电脑或程序占用（例如正在导入订单、迁移，或有人锁住了表）：等了 {each} 秒"
        "仍未轮到；什么都没有改动，请稍后再试。",
        f"the store is busy: the shop on the database server {where} was held by another desk or process (an "
        f"import, a migration, a table locked by hand); waited {each} s; nothing was changed, try again in a moment.")


def no_rights(url: str, detail: str) -> StoreUnusable:
    """The refusal for a login that may not read or write the shop's tables (SQLSTATE 42501)."""
    where = redact(url)
    user = login_name(url)
    text = detail.strip().splitlines()[0] if detail.strip() else ""
    return StoreUnusable(
        "store_no_rights",
        f"数据库服务器 {where} 上的用户 {user} 没有使用这个库里的表的权限（permission denied）。请让数据库管理员授予"
        f"权限（GRANT），或改用店铺表的所有者登录。什么都没有改动。（{text}）",
        f"the user {user} has no rights on this database's tables at the database server {where} (permission "
        f"denied). Ask the database's administrator to GRANT them, or log in as the tables' owner. Nothing was "
        f"changed. ({text})",
        where)


def login_name(url: str) -> str:
    """The user name in ``url``, decoded (``%E5%BA%97`` → 店), or "" when it names none."""
    from urllib.parse import unquote, urlsplit

    try:
        return unquote(urlsplit(url.strip()).username or "")
    except ValueError:
        return ""


def _is_connection_error(exc: BaseException) -> bool:
    import psycopg

    if isinstance(exc, psycopg.OperationalError | OperationalError | InterfaceError):
        sqlstate = getattr(exc, "sqlstate", None)
        # No SQLSTATE: the connection itself failed; class 08: connection exception; 28: login;
        # 3D000: no such database; 57P0x: the server shut down or is starting.
        return sqlstate is None or sqlstate[:2] in ("08", "28") or sqlstate in ("3D000", "57P01", "57P02", "57P03")
    return False


def _too_new(url: str, version: int, latest: int) -> StoreUnusable:
    where = redact(url)
    return StoreUnusable(
        "schema_too_new",
        f"数据库 {where} 来自更新版本的 kashop-desktop（结构版本 {version}，本程序支持 {latest}）。"
        "请升级程序；为保护数据，本程序不会改动它。",
        f"the database {where} was written by a newer kashop-desktop (schema {version}, this one knows "
        f"{latest}). Upgrade the desk; this version will not change it, to keep your data safe.",
        where)


def _foreign(url: str) -> StoreUnusable:
    where = redact(url)
    return StoreUnusable(
        "store_damaged",
        f"数据库 {where} 里已有别的表，不是卡店订单台的店铺。为保护数据，本程序不会改动它；请为店铺新建一个空库。",
        f"the database {where} already holds other tables and is not a kashop-desktop shop. To keep its data "
        "safe the desk will not change it; make an empty database for the shop.",
        where)


def _damaged(url: str, detail: str) -> StoreUnusable:
    where = redact(url)
    return StoreUnusable(
        "schema_damaged",
        f"数据库 {where} 里的店铺结构不完整或已损坏（{detail}），本程序无法打开它，也不会改动它。请从备份（pg_dump）恢复，"
        "或为店铺新建一个空库。",
        f"the shop's schema in the database {where} is incomplete or damaged ({detail}); the desk cannot open it "
        "and will not change it. Restore it from a backup (pg_dump), or make an empty database for the shop.",
        where)


def creation_refusal(url: str, can_create: bool | None) -> StoreUnusable | None:
    """The refusal when the login may not create the shop's tables in the database's current
    schema (``has_schema_privilege(current_schema(), 'CREATE')`` false, or no current schema:
    PostgreSQL 15 no longer grants CREATE on ``public`` to every user), else None."""
    if can_create:
        return None
    where = redact(url)
    user = login_name(url) or "-"
    return StoreUnusable(
        "store_no_create_rights",
        f"数据库 {where} 里用户 {user} 没有建表的权限（CREATE on schema），本程序不能在这里建立或升级店铺；什么都没有改动。"
        f"请用 createdb -O {user} 为店铺新建一个属于这个用户的库，或让数据库管理员授予权限。",
        f"the user {user} may not create tables in the database {where} (CREATE on its schema), so the desk cannot "
        f"make or upgrade the shop there; nothing was changed. Make a database for the shop owned by this user "
        f"(createdb -O {user}), or ask the database's administrator to grant the right.",
        where)


def open_failed(url: str, detail: str) -> StoreUnusable:
    where = redact(url)
    text = detail.strip().splitlines()[0] if detail.strip() else ""
    return StoreUnusable(
        "store_open_failed",
        f"数据库服务器 {where} 上的店铺打不开：服务器回答“{text}”。什么都没有改动；请检查这个库后重试。",
        f"the shop on the database server {where} could not be opened: the server said \"{text}\". Nothing was "
        "changed; check the database and try again.", where)


CAN_CREATE_SQL = "SELECT COALESCE(has_schema_privilege(current_schema(), 'CREATE'), false)"
