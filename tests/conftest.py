"""Shared fixtures: every test gets its own data dir and database; Qt runs offscreen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
os.environ["KASHOP_SECRETS"] = "vault"  # never touch a developer's real keyring
os.environ.setdefault("KASHOP_VAULT_PASSPHRASE", "test-passphrase")
os.environ.pop("KASHOP_DATA_DIR", None)

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.services.desk import Desk


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
