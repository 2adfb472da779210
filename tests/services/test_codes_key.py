"""One 卡密 data key per shop whatever the timing, and a key that does not fit is refused
everywhere: import, delivery, ``check``."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import code_export, code_import, codekeys, maintenance, products
from kashop_desktop.services import orders as ops
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.refund_nos import store_id
from kashop_desktop.services.secrets import VaultStore
from kashop_desktop.store.models import CardCode

from .helpers import order

WORKER = """
import sys
from kashop_desktop.services import code_import
from kashop_desktop.services.desk import Desk

desk = Desk.open(sys.argv[1])
desk.secrets()  # the vault unlocked (scrypt) before the start line
print("ready", flush=True)
sys.stdin.readline()
result = code_import.import_codes(desk, "点卡", [f"{sys.argv[2]}-{i:04d}-ABCDEFGH" for i in range(50)])
desk.close()
print("imported", result.imported, flush=True)
"""


def _race(data_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(data_dir), prefix], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for prefix in ("AAA", "BBB")]
    for w in workers:  # both wait at the start line with the store open and the vault unlocked
        assert w.stdout is not None and w.stdout.readline().strip() == "ready"
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    results = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [r[1][-2000:] for r in results]
    assert all("imported 50" in r[0] for r in results)


@pytest.mark.parametrize("round_no", range(4))
def test_two_first_imports_at_once_make_one_key(data_dir: Path, tmp_path: Path, round_no: int) -> None:
    desk = Desk.open(data_dir)
    products.add_product(desk, "点卡", ProductType.CARD_CODE, 10_00)
    desk.close()
    _race(data_dir)
    desk = Desk.open(data_dir)
    try:
        assert CardCode.select().count() == 100
        out = tmp_path / f"all-{round_no}.csv"
        result = code_export.export_codes(desk, "点卡", out)  # opens every code: all under one key
        assert result.count == 100
        again = code_import.import_codes(desk, "点卡", [f"AAA-{i:04d}-ABCDEFGH" for i in range(50)])
        assert again.imported == 0 and len(again.plan.duplicates) == 50
        assert maintenance.check(desk).code_key == "ok"
    finally:
        desk.close()


def _swap_key(desk: Desk) -> None:
    """Another key under this shop's account (a cleared keyring and a fresh one made elsewhere)."""
    vault = VaultStore(desk.data_dir / "vault.json")
    vault.put(codekeys.key_account(store_id(desk)), {"key": base64.b64encode(os.urandom(32)).decode("ascii")})


def test_a_key_that_does_not_fit_is_refused_by_import_delivery_and_check(data_dir: Path, clock) -> None:
    desk = Desk.open(data_dir, clock=clock)
    products.add_product(desk, "点卡", ProductType.CARD_CODE, 10_00)
    code_import.import_codes(desk, "点卡", [f"CODE-{i:04d}-ABCDEFGH" for i in range(5)])
    no = order(desk, prod=products.get_product("点卡"))
    desk.close()
    _swap_key(desk)
    for forget_fingerprint in (False, True):
        desk = Desk.open(data_dir, clock=clock)
        if forget_fingerprint:  # even without the recorded fingerprint, the sealed codes tell
            desk.db.execute_sql("DELETE FROM setting WHERE key = ?", (codekeys.KEY_ID_SETTING,))
        with pytest.raises(DomainError) as refused:
            code_import.import_codes(desk, "点卡", ["NEW-0001-ABCDEFGH"])
        assert refused.value.code == "code_key_wrong"
        with pytest.raises(DomainError) as refused:
            ops.deliver(desk, no)
        assert refused.value.code == "code_key_wrong"
        report = maintenance.check(desk)
        assert not report.ok and report.code_key == "code_key_wrong" and report.code_key_message
        assert CardCode.select().where(CardCode.state == "available").count() == 5  # nothing handed out
        desk.close()
    checked = subprocess.run([sys.executable, "-m", "kashop_desktop", "check", "--data-dir", str(data_dir)],
                             capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    assert checked.returncode == 1 and "卡密密钥与数据文件不符" in checked.stdout and "does not fit" in checked.stdout
    assert "Traceback" not in checked.stderr


@pytest.mark.sqlite_only(reason="SQLite by nature: opens the data file of another folder")
def test_a_store_with_sealed_codes_never_gets_a_new_key(data_dir: Path) -> None:
    desk = Desk.open(data_dir)
    products.add_product(desk, "点卡", ProductType.CARD_CODE, 10_00)
    code_import.import_codes(desk, "点卡", ["CODE-0001-ABCDEFGH"])
    VaultStore(data_dir / "vault.json").delete(codekeys.key_account(store_id(desk)))
    desk.db.execute_sql("DELETE FROM setting WHERE key = ?", (codekeys.KEY_ID_SETTING,))
    desk.close()
    desk = Desk.open(data_dir)
    try:
        with pytest.raises(DomainError) as refused:
            code_import.import_codes(desk, "点卡", ["CODE-0002-ABCDEFGH"])
        assert refused.value.code == "code_key_missing"
        assert VaultStore(data_dir / "vault.json").get(codekeys.key_account(store_id(desk))) == {}
    finally:
        desk.close()
