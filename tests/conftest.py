"""Shared fixtures: every test gets its own data dir and database; Qt runs offscreen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    # Qt's offscreen platform has one 800x800 screen: narrower than any shop's and than the
    # window's minimum width, so a first run's window (its preferred size cut to the screen)
    # opened at its minimum width in tests, not at the size a shop sees. A 1920x1080 desktop is
    # the primary screen, with a 1024x640 laptop screen beside it for the small-screen tests.
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen_screens.json')}"
os.environ.setdefault("QT_API", "pyside6")
os.environ["KASHOP_SECRETS"] = "vault"  # never touch a developer's real keyring
os.environ.setdefault("KASHOP_VAULT_PASSPHRASE", "test-passphrase")
os.environ.pop("KASHOP_DATA_DIR", None)
os.environ.pop("KASHOP_DB_URL", None)  # a test chooses its store (store_kind) itself

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.services.desk import Desk

from .pgserver import PrivateCluster

STORE_KINDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): runs on the SQLite store only, for the reason given")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests that use ``store_kind`` (the services and command-line suites, through an autouse
    fixture) run once per store; ``sqlite_only`` ones on SQLite alone."""
    if "store_kind" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        metafunc.parametrize("store_kind", ["sqlite"] if only else list(STORE_KINDS), indirect=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PrivateCluster]:
    """One private PostgreSQL cluster for the whole session, started on first need."""
    cluster = PrivateCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PrivateCluster) -> str:
    """The name of a database holding a freshly migrated, empty shop, copied for each test."""
    from kashop_desktop.store import server

    url = pg_cluster.new_database(prefix="template")
    db = server.open_server_store(url)
    db.close()
    return url.rsplit("/", 1)[1]


@pytest.fixture
def store_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``sqlite`` (the data file, the default) or ``postgresql``: a fresh database copied from
    the migrated template, chosen through KASHOP_DB_URL for every desk the test opens (in this
    process and in the command-line processes it starts)."""
    kind = getattr(request, "param", "sqlite")
    if kind == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.new_database(template=request.getfixturevalue("pg_template"))
        monkeypatch.setenv("KASHOP_DB_URL", url)
        request.addfinalizer(lambda: cluster.drop_database(url))
    return str(kind)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **kw: float) -> None:
        self.moment += timedelta(**kw)


@pytest.fixture
def clock() -> FakeClock:
    # A Wednesday in an ordinary working week (no holiday around it).
    return FakeClock(datetime(2026, 11, 18, 10, 0, tzinfo=SHOP_TZ))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def desk(data_dir: Path, clock: FakeClock) -> Iterator[Desk]:
    d = Desk.open(data_dir, clock=clock)
    try:
        yield d
    finally:
        d.close()


@pytest.fixture
def demo_desk(data_dir: Path) -> Iterator[Desk]:
    from kashop_desktop.services import demo

    d = Desk.open(data_dir)
    demo.build(d, 300)
    try:
        yield d
    finally:
        d.close()
