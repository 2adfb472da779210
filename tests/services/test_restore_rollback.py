"""Restoring an older backup says what it would roll back (payments, deliveries, codes back on
sale) and needs a confirmation; another shop's backup, whose codes are sealed under another key,
is refused with nothing changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import code_import, maintenance, products
from kashop_desktop.services import orders as ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.store.models import CardCode, Order

from .helpers import order

pytestmark = pytest.mark.sqlite_only(reason="SQLite by nature: restoring a file backup")


def _shop(data_dir: Path, clock) -> tuple[Path, str]:
    desk = Desk.open(data_dir, clock=clock)
    products.add_product(desk, "点卡", ProductType.CARD_CODE, 10_00)
    code_import.import_codes(desk, "点卡", [f"ROLLBACK-{i:04d}-ABCDEFGH" for i in range(3)])
    no = order(desk, "pending_payment", prod=products.get_product("点卡"))
    backup = maintenance.backup(desk)
    ops.mark_paid(desk, no, "T-ROLLBACK-1", confirmed=True)  # paid and delivered after the backup
    desk.close()
    return backup, no


def test_an_older_backup_names_payments_deliveries_and_codes_and_needs_yes(data_dir: Path, clock) -> None:
    backup, no = _shop(data_dir, clock)
    warning = maintenance.restore_warning(data_dir, backup)
    assert warning is not None and warning.code == "restore_rolls_back"
    assert no in warning.zh and "付款" in warning.zh and "发货" in warning.zh and "1 个之后已售出" in warning.zh
    assert "--yes" in warning.zh and "paid since" in warning.en
    with pytest.raises(DomainError) as refused:
        maintenance.restore(data_dir, backup)
    assert refused.value.code == "restore_rolls_back"
    desk = Desk.open(data_dir)
    try:
        assert Order.get(Order.order_no == no).status == "delivered"  # nothing moved
    finally:
        desk.close()
    done = subprocess.run([sys.executable, "-m", "kashop_desktop", "restore", str(backup), "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    assert done.returncode == 1 and no in done.stderr and "--yes" in done.stderr
    maintenance.restore(data_dir, backup, confirmed=True)
    desk = Desk.open(data_dir)
    try:
        assert Order.get(Order.order_no == no).status == "pending_payment"
    finally:
        desk.close()


def test_another_shops_backup_is_refused(data_dir: Path, tmp_path: Path, clock) -> None:
    backup, _no = _shop(data_dir, clock)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other, _ = _shop(other_dir, clock)
    kept = (data_dir / "kashop.sqlite3").read_bytes()
    assert maintenance.restore_refusal(data_dir, other) is not None
    assert maintenance.restore_refusal(data_dir, backup) is None
    with pytest.raises(DomainError) as refused:
        maintenance.restore(data_dir, other, confirmed=True)
    assert refused.value.code == "restore_other_key" and "另一家店" in refused.value.zh
    assert (data_dir / "kashop.sqlite3").read_bytes() == kept and not (data_dir / "set-aside").exists()
    # a fresh store on a new PC (no key yet) takes the shop's own backup
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    Desk.open(fresh).close()
    shutil.copy(data_dir / "vault.json", fresh / "vault.json")
    assert maintenance.restore_refusal(fresh, backup) is None
    maintenance.restore(fresh, backup, confirmed=True)
    desk = Desk.open(fresh)
    try:
        assert desk.code_cipher() is not None and CardCode.select().count() == 3
    finally:
        desk.close()


def test_a_backup_without_the_operators_warns_and_needs_the_owners_yes(data_dir: Path, clock) -> None:
    from kashop_desktop.domain.roles import Role
    from kashop_desktop.services import operators

    desk = Desk.open(data_dir, clock=clock)
    backup = maintenance.backup(desk)  # the owner alone
    operators.set_password(desk, "店主", "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret")
    desk.close()
    warning = maintenance.restore_warning(data_dir, backup)
    assert warning is not None and warning.code == "restore_rolls_back"
    assert "小王" in warning.zh and "小王" in warning.en and "could not sign in" in warning.en
    with pytest.raises(DomainError):
        maintenance.restore(data_dir, backup)
    maintenance.restore(data_dir, backup, confirmed=True)
    desk = Desk.open(data_dir)
    try:
        assert desk.single_owner
        assert desk.db.execute_sql("SELECT COUNT(*) FROM audit_event WHERE action = 'restored'").fetchone()[0] == 1
    finally:
        desk.close()
