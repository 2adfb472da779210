"""`check` after an import done as the README says: a paid 已取消 row with 退款金额 0 is known,
the orders whose refunded amount is unknown are counted beyond those listed, and a count not
checked is not claimed to match. Real files, a real store, the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import Outcome, import_file
from kashop_desktop.services.maintenance import REFUND_UNKNOWN_SHOWN, check

HEAD = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,发货时间,支付方式,交易号,买家,退款金额"
PAID = "2026-11-18 09:01,,支付宝"


def csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEAD, *rows]) + "\n", encoding="utf-8")
    return path


def run_check(desk: Desk, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    if desk.db_url is not None:
        env["KASHOP_DB_URL"] = desk.db_url
    return subprocess.run([sys.executable, "-m", "kashop_desktop", "check", *args, "--data-dir",
                           str(desk.db_path.parent)], capture_output=True, text=True, env=env, timeout=120)


def test_a_paid_cancelled_row_imported_with_refunded_0_passes_check(desk: Desk, tmp_path: Path) -> None:
    report = import_file(desk, csv(tmp_path / "three.csv", [
        "N1,2026-11-18 09:00,点券,卡密,10.00,已取消,2026-11-18 09:01,,支付宝,T1,13800138001,0",
        "N2,2026-11-18 09:00,点券,卡密,10.00,已取消,2026-11-18 09:01,,支付宝,T2,13800138002,0.00",
        "N3,2026-11-18 09:00,点券,卡密,10.00,已支付,2026-11-18 09:01,,支付宝,T3,13800138003,"]))
    assert report.outcome is Outcome.ALL, report.problems
    found = check(desk)
    assert found.refund_unknown == [] and found.refund_unknown_total == 0
    assert found.ok, found
    done = run_check(desk)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK ") and "已退金额未知" not in done.stdout


def test_orders_beyond_those_listed_are_counted(desk: Desk, tmp_path: Path) -> None:
    n = REFUND_UNKNOWN_SHOWN + 3
    import_file(desk, csv(tmp_path / "many.csv", [
        f"M{i},2026-11-18 09:00,点券,卡密,10.00,已取消,{PAID},T{i},1380013{i:04d},10.00" for i in range(n)]))
    # What an import wrote before the 退款金额 column: nothing recorded as refunded.
    desk.db.execute_sql("UPDATE orders SET refunded_fen = 0")
    found = check(desk)
    assert not found.ok
    assert len(found.refund_unknown) == REFUND_UNKNOWN_SHOWN and found.refund_unknown_total == n
    done = run_check(desk)
    assert done.returncode == 1
    assert f"这 {n} 单的已退金额未知" in done.stdout and "and 3 more not listed" in done.stdout
    assert "另有 3 单未列出" in done.stdout
    listed = json.loads(run_check(desk, "--json").stdout)
    assert listed["refund_unknown_total"] == n and len(listed["refund_unknown"]) == REFUND_UNKNOWN_SHOWN
