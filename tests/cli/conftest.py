"""Fixtures of the command-line suite: shops built once per module, on whichever store the test
runs on (``store_kind``), and raw SQL on that store for the tests that edit it behind the desk.

A demo shop on PostgreSQL is made the way an owner makes one: built in a data file, then moved
with ``store migrate --to`` (``services.store_move``), since the demo itself is built on the data
file only. Each test gets its own copy: the folder copied, the server database cloned from the
built one (``CREATE DATABASE ... TEMPLATE``, a few milliseconds).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop import paths
from kashop_desktop.services import demo, store_move
from kashop_desktop.services.desk import Desk


def once(subject: str) -> pytest.MarkDecorator:
    """``sqlite_only`` for a test whose subject is the same whichever store holds the shop
    (``subject``: arguments parsed, local files, formatting): run once, for CI's time."""
    return pytest.mark.sqlite_only(reason=f"{subject}: the same on either store, run once")


#: A usage error or text of the command line's own, found before any store is read or written.
PARSING_ONLY = once("the command line's own parsing, before any store is read or written")

Build = Callable[[Path, "str | None"], None]
"""Builds a shop in a data folder; on PostgreSQL it is also given the empty database to put it in."""


def build_demo(orders: int, *, then: Build | None = None) -> Build:
    """A builder of the demo shop with ``orders`` orders (then ``then`` on the built shop)."""

    def build(folder: Path, url: str | None) -> None:
        desk = Desk.open(folder, file_only=True)
        try:
            demo.build(desk, orders)
        finally:
            desk.close()
        if url is not None:
            store_move.migrate_to_server(folder, url)
        if then is not None:
            then(folder, url)

    return build


class BuiltShops:
    """Shops built in one module: (name, store kind) -> (folder, server database or None)."""

    def __init__(self) -> None:
        self.shops: dict[tuple[str, str], tuple[Path, str | None]] = {}
        self.cluster: Any = None  # the PostgreSQL cluster holding the built databases, once one is

    def drop(self) -> None:
        for _, database in self.shops.values():
            if database is not None:
                self.cluster.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@pytest.fixture(scope="module")
def _built_shops() -> Iterator[BuiltShops]:
    built = BuiltShops()
    yield built
    built.drop()


@pytest.fixture
def built_shop(request: pytest.FixtureRequest, store_kind: str, data_dir: Path,
               tmp_path_factory: pytest.TempPathFactory, _built_shops: BuiltShops) -> Callable[[str, Build], Path]:
    """``built_shop(name, build)``: the shop ``build`` makes, built once per module and store,
    copied into this test's data folder (and its server database); returns the data folder."""
    cluster = request.getfixturevalue("pg_cluster") if store_kind == "postgresql" else None
    shops = _built_shops.shops

    def copy(name: str, build: Build) -> Path:
        if (name, store_kind) not in shops:
            folder = tmp_path_factory.mktemp(f"built-{name}") / "data"
            url = None
            if cluster is not None:
                _built_shops.cluster = cluster
                url = cluster.new_database(prefix=f"built_{name}")
            build(folder, url)
            shops[(name, store_kind)] = (folder, url.rsplit("/", 1)[1] if url else None)
        folder, database = shops[(name, store_kind)]
        if database is None:
            shutil.copytree(folder, data_dir, dirs_exist_ok=True)
            return data_dir
        # the moved data file stays behind: this shop lives on the server now
        shutil.copytree(folder, data_dir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(paths.DB_FILENAME + "*"))
        own = os.environ["KASHOP_DB_URL"].rsplit("/", 1)[1]
        cluster.execute(f"DROP DATABASE {own} WITH (FORCE)")
        cluster.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")
        cluster.execute(f"CREATE DATABASE {own} TEMPLATE {database}")
        return data_dir

    return copy


def raw_sql(data_dir: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` (``?`` placeholders) on the shop's store behind the desk's back, as someone with
    the file or a login to the server would, committed; returns the rows it gave."""
    url = os.environ.get("KASHOP_DB_URL")
    if url is None:
        con = sqlite3.connect(data_dir / paths.DB_FILENAME)
        try:
            rows = con.execute(sql, tuple(params)).fetchall()
            con.commit()
            return rows
        finally:
            con.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        cur = pg.execute(sql.replace("?", "%s"), tuple(params))  # type: ignore[arg-type]
        return list(cur.fetchall()) if cur.description else []


@contextlib.contextmanager
def write_lock_held(data_dir: Path) -> Iterator[None]:
    """Another process in a long write transaction on the shop's store, for the ``with`` block:
    SQLite's write lock on the data file (``BEGIN IMMEDIATE``), or on a server the shop's write
    lock that every desk's write transaction takes first (``store.server.WRITE_LOCK_KEY``)."""
    url = os.environ.get("KASHOP_DB_URL")
    if url is None:
        holder = sqlite3.connect(data_dir / paths.DB_FILENAME, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    import psycopg

    from kashop_desktop.store.server import WRITE_LOCK_KEY

    with psycopg.connect(url) as pg:  # not autocommit: the lock lasts until the rollback
        pg.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
        try:
            yield
        finally:
            pg.rollback()
