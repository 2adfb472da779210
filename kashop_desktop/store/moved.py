"""The mark a data file keeps once its shop has moved to a PostgreSQL server (``store migrate``).

After the server has committed a verified copy, the SQLite file is marked in its ``setting``
table (key ``moved_to_server``; value JSON ``{"to": URL without password, "at": epoch
seconds}``). A file so marked is a frozen copy of the shop as it was at the move: the server
goes on selling the same 卡密 and handing out the next order numbers, so a desk that sold from the
file too would deliver a code twice and reuse an order number. A marked file is therefore
refused when opened, and any write transaction begun on it by a desk that was open during the
move is refused as well (``StoreDatabase.begin``); the owner can take the file back on purpose
(``clear``, ``kashop-desktop store unmark-moved``).

The mark is written and removed through a plain connection with the busy timeout, never through
the models, so a refused desk cannot be needed to undo it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.clock import SHOP_TZ
from ..domain.errors import StoreUnusable
from .dialect import read_only_uri

SETTING = "moved_to_server"
_LOOKUP = "SELECT value FROM setting WHERE key = ?"


def _parsed(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        found = json.loads(value)
    except ValueError:
        found = None
    return found if isinstance(found, dict) else {"to": "?", "at": 0}


def mark(path: Path, where: str, *, busy_timeout_s: float) -> None:
    """Mark the data file ``path`` as moved to the server ``where`` (a URL without its password),
    now. Raises sqlite3.Error when the file cannot be written within ``busy_timeout_s``."""
    value = json.dumps({"to": where, "at": int(time.time())}, ensure_ascii=False)
    con = sqlite3.connect(str(path), timeout=busy_timeout_s)
    try:
        with con:
            con.execute("INSERT INTO setting (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (SETTING, value))
    finally:
        con.close()


def clear(path: Path, *, busy_timeout_s: float) -> dict[str, Any] | None:
    """Remove the mark from the data file ``path``; returns the mark that was there (``to``,
    ``at``) or None. Raises sqlite3.Error when the file cannot be written in time."""
    con = sqlite3.connect(str(path), timeout=busy_timeout_s)
    try:
        with con:
            row = con.execute(_LOOKUP, (SETTING,)).fetchone()
            con.execute("DELETE FROM setting WHERE key = ?", (SETTING,))
    finally:
        con.close()
    return _parsed(row[0] if row else None)


def found(db: Any) -> dict[str, Any] | None:
    """The mark in the store ``db`` (a peewee SQLite database, inside or outside a transaction), or None."""
    row = db.execute_sql(_LOOKUP, (SETTING,)).fetchone()
    return _parsed(row[0] if row else None)


def found_in_file(path: Path) -> dict[str, Any] | None:
    """The mark in the data file ``path``, read through a read-only connection; None when the
    file is missing, unreadable (damaged) or not marked."""
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            row = con.execute(_LOOKUP, (SETTING,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return _parsed(row[0] if row else None)


def setting_in_file(path: Path, key: str) -> Any:
    """The setting ``key`` (parsed JSON) in the data file ``path``, read through a read-only
    connection (a marked file is refused by the store); None when missing or unreadable."""
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            row = con.execute(_LOOKUP, (key,)).fetchone()
        finally:
            con.close()
        return json.loads(row[0]) if row else None
    except (sqlite3.Error, ValueError):
        return None


def refusal(path: Path, moved: dict[str, Any]) -> StoreUnusable:
    """The refusal (exit 5) for using the marked file ``path``: it names the server (no password)
    and how to open the shop there, and how to take the file back."""
    where = str(moved.get("to", "?"))
    at = int(moved.get("at", 0) or 0)
    when = f"{datetime.fromtimestamp(at, SHOP_TZ):%Y-%m-%d %H:%M}"
    return StoreUnusable(
        "store_moved",
        f"数据文件 {path} 里的店铺已于 {when}（北京时间）移到 PostgreSQL 服务器 {where}。这个文件只是当时的旧副本："
        "在它上面开单会把服务器已卖出的卡密再发一次、重复使用订单号，所以本程序不再用它。"
        f"请用 --db {where} 或环境变量 KASHOP_DB_URL 打开店铺（密码写在地址里，或用 PGPASSWORD / .pgpass）。"
        "确实要把这个文件当作店铺再用（服务器上之后的订单不在里面）：kashop-desktop store unmark-moved",
        f"the shop in the data file {path} was moved to the PostgreSQL server {where} on {when} (Beijing time). "
        "The file is an old copy from then: selling from it would deliver 卡密 the server already sold and reuse "
        f"order numbers, so the desk no longer uses it. Open the shop with --db {where} or KASHOP_DB_URL (the "
        "password in the URL, or from PGPASSWORD / .pgpass). To use this file as the shop again on purpose (the "
        "server's later orders are not in it): kashop-desktop store unmark-moved",
        str(path))
