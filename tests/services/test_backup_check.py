"""A backup is kept only when the copy passes quick_check; a damaged store's message recommends
only backups that pass. Real SQLite files, damaged on disk as a failing disk would."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.errors import StoreUnusable
from kashop_desktop.services import maintenance
from kashop_desktop.services.desk import Desk
from kashop_desktop.store import backups as store_backups
from kashop_desktop.store.db import backup_lines

from .helpers import order

pytestmark = pytest.mark.sqlite_only(reason="SQLite by nature: file backups and their integrity checks")


def damage(path: Path) -> None:
    """Overwrite the middle of the file's last page but one with garbage (a torn write)."""
    size = path.stat().st_size
    page = 4096
    with path.open("r+b") as handle:
        handle.seek(size - 2 * page + 100)
        handle.write(b"\xa5" * 2000)


def test_a_copy_of_a_damaged_store_is_not_kept_and_only_good_backups_are_recommended(
        desk: Desk, data_dir: Path, clock: Any) -> None:
    for _ in range(400):
        order(desk, "delivered")
    backups = desk.backups_dir
    good = store_backups.backup_file(desk.db_path, backups / f"{store_backups.AUTO_PREFIX}20261117-120000.sqlite3")
    two_days_ago = time.time() - 2 * 86400
    os.utime(good, (two_days_ago, two_days_ago))
    bad = backups / "kashop-manual-damaged.sqlite3"
    bad.write_bytes(good.read_bytes())
    damage(bad)
    assert store_backups.passes_check(good) and not store_backups.passes_check(bad)
    zh, en = backup_lines(backups)
    assert str(good) in zh and str(bad) not in zh and str(bad) not in en

    desk.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    damage(desk.db_path)
    before = sorted(p.name for p in backups.iterdir())
    with pytest.raises(StoreUnusable) as caught:
        maintenance.auto_backup(desk)
    assert caught.value.code == "store_damaged"
    assert str(good) in caught.value.zh and str(bad) not in caught.value.zh
    assert sorted(p.name for p in backups.iterdir()) == before  # nothing kept, nothing rotated away


_BACKER = """
import sys, time
from pathlib import Path
from kashop_desktop.services import maintenance
from kashop_desktop.services.desk import Desk
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
desk = Desk.open(sys.argv[1])
try:
    print(maintenance.auto_backup(desk) is not None)
finally:
    desk.close()
"""


def test_processes_due_the_daily_backup_at_once_take_one_and_none_calls_the_store_damaged(
        desk: Desk, data_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    for _ in range(50):
        order(desk, "delivered")
    desk.close()
    for round_no in range(3):
        for old in desk.backups_dir.glob("*"):
            old.unlink()
        go = tmp_path / f"go-{round_no}"
        procs = [subprocess.Popen([sys.executable, "-c", _BACKER, str(data_dir), str(go)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        go.touch()
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], outs
        assert sorted(out.strip() for out, _err in outs) == ["False", "False", "False", "True"], outs
        kept = store_backups.list_backups(desk.backups_dir)
        assert len(kept) == 1 and store_backups.passes_check(kept[0].path)
        assert not list(desk.backups_dir.glob("*.partial"))
