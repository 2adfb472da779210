"""The command line with operators: single-owner default, --operator and its password, the
refusals of a clerk and of a viewer (exit 1), lock-out, and the log: check and audit export."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import PARSING_ONLY, Build, build_demo, once, raw_sql, write_lock_held

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


def run(data_dir: Path, *args: str, code: int, operator: str | None = None, password: str | None = None,
        new_password: str | None = None, db_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command line on ``data_dir`` (on the server ``db_url`` when given, else the test's store)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KASHOP_OPERATOR_PASSWORD", "KASHOP_NEW_PASSWORD")}
    env["PYTHONIOENCODING"] = "utf-8"
    if db_url is not None:
        env["KASHOP_DB_URL"] = db_url
    if password is not None:
        env["KASHOP_OPERATOR_PASSWORD"] = password
    if new_password is not None:
        env["KASHOP_NEW_PASSWORD"] = new_password
    who = ["--operator", operator] if operator else []
    proc = subprocess.run([sys.executable, "-m", "kashop_desktop", *args, *who, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def _add_team(data: Path, url: str | None) -> None:
    out = run(data, "operators", "add", "小王", "--role", "clerk", code=1, new_password="clerk-secret", db_url=url)
    assert "operators passwd" in out.stderr  # the owner needs a password first
    run(data, "operators", "passwd", "店主", code=0, new_password="owner-secret", db_url=url)
    run(data, "operators", "add", "小王", "--role", "clerk", "--approve-limit", "50", code=0, new_password="clerk-secret",
        db_url=url)
    run(data, "operators", "add", "阿May", "--role", "viewer", code=2, new_password="viewer-secret",  # no --operator
        db_url=url)
    run(data, "operators", "add", "阿May", "--role", "viewer", code=0, new_password="viewer-secret", operator="店主",
        password="owner-secret", db_url=url)


@pytest.fixture
def team(built_shop: Callable[[str, Build], Path]) -> Path:
    """The test's own copy of a demo shop with an owner (password set), a clerk with a ¥50 limit
    and a viewer (built once for the module on each store)."""
    return built_shop("team", build_demo(60, then=_add_team))


def test_single_owner_needs_no_operator(built_shop: Callable[[str, Build], Path]) -> None:
    data_dir = built_shop("demo20", build_demo(20))
    listed = run(data_dir, "operators", "list", "--json", code=0)
    assert '"role": "owner"' in listed.stdout and '"has_password": false' in listed.stdout
    run(data_dir, "policy", "set", "cooling_off_minutes=12", code=0)


def test_a_command_without_operator_is_a_usage_error(team: Path) -> None:
    out = run(team, "orders", "list", code=2)
    assert "--operator" in out.stderr and "several operators" in out.stderr and "多个操作员" in out.stderr
    run(team, "orders", "list", "--limit", "1", code=2, operator="小王")  # no password and no terminal
    assert "Traceback" not in out.stderr


#: A role's refusal is one rights check whichever store holds the shop: a few commands are
#: refused on both stores, the rest of each list on the data file only (CI's time).
SAME_REFUSAL = once("a role's refusal of one more command (the first ones run on both stores)")


def _refused_to_a_clerk(team: Path, args: tuple[str, ...]) -> None:
    out = run(team, *args, code=1, operator="小王", password="clerk-secret")
    assert "小王" in out.stderr and "ask the owner" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("args", [
    ("policy", "set", "cooling_off_minutes=12"),
    ("audit", "export", "--from", "2020-01-01", "--to", "2030-12-31", "log.csv"),
], ids=lambda a: " ".join(a[:3]))
def test_owner_only_commands_are_refused_to_a_clerk(team: Path, args: tuple[str, ...]) -> None:
    _refused_to_a_clerk(team, args)


@SAME_REFUSAL
@pytest.mark.parametrize("args", [
    ("policy", "set", "cooling_off_minutes=60"),  # out of range: still the clerk's refusal, not the range
    ("gateways", "add", "mine", "--kind", "sandbox", "--set", "scenario=success"),
    ("operators", "disable", "阿May"),
    ("operators", "set-limit", "小王", "500"),
    ("holidays", "remove", "2027"),
], ids=lambda a: " ".join(a[:3]))
def test_more_owner_only_commands_are_refused_to_a_clerk(team: Path, args: tuple[str, ...]) -> None:
    _refused_to_a_clerk(team, args)


def _refused_to_a_viewer(team: Path, args: tuple[str, ...]) -> None:
    out = run(team, *args, code=1, operator="阿May", password="viewer-secret")
    assert "阿May" in out.stderr and "(viewer)" in out.stderr
    run(team, "orders", "list", "--limit", "3", code=0, operator="阿May", password="viewer-secret")


@pytest.mark.parametrize("args", [
    ("requests", "reject", "1", "--reason", "no"),
    ("backup",),  # (on a server the viewer is refused before the server's backup is named)
], ids=lambda a: " ".join(a[:2]))
def test_a_viewer_changes_nothing(team: Path, args: tuple[str, ...]) -> None:
    _refused_to_a_viewer(team, args)


@SAME_REFUSAL
@pytest.mark.parametrize("args", [
    ("orders", "complete", "NOSUCH"),
    ("buyers", "note", "13800138000", "VIP"),
    ("refunds", "confirm", "1"),
    ("codes", "reveal", "NOSUCH"),
], ids=lambda a: " ".join(a[:2]))
def test_a_viewer_changes_nothing_elsewhere(team: Path, args: tuple[str, ...]) -> None:
    _refused_to_a_viewer(team, args)


def test_wrong_passwords_lock_out_and_everything_is_in_the_log(team: Path, tmp_path: Path) -> None:
    shop = team
    for _ in range(4):
        out = run(shop, "orders", "list", code=1, operator="小王", password="nope")
        assert "wrong operator name or password" in out.stderr
    out = run(shop, "orders", "list", code=1, operator="小王", password="nope")
    assert "locked" in out.stderr and "锁定" in out.stderr
    run(shop, "orders", "list", code=1, operator="小王", password="clerk-secret")
    run(shop, "operators", "passwd", "小王", code=0, operator="店主", password="owner-secret", new_password="fresh-one")
    run(shop, "orders", "list", "--limit", "1", code=0, operator="小王", password="fresh-one")
    run(shop, "check", code=0, operator="小王", password="fresh-one")
    target = tmp_path / "log.csv"
    run(shop, "audit", "export", "--from", "2000-01-01", "--to", "2099-12-31", str(target), code=0, operator="店主",
        password="owner-secret")
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["时间（北京时间）", "日志", "行号", "操作员"]
    actions = [(r[3], r[5], r[7]) for r in rows[1:] if r[1] == "shop"]
    assert ("", "sign_in_failed", "小王") in actions and ("店主", "password_changed", "小王") in actions
    assert ("店主", "operator_added", "阿May") in actions
    assert all("nope" not in cell and "secret" not in cell for r in rows for cell in r)
    assert sum(1 for r in rows[1:] if r[1] == "timeline") > 60


def test_a_reading_command_signs_in_without_taking_the_write_lock(team: Path) -> None:
    with write_lock_held(team):  # another process is writing (an import, a refund send)
        run(team, "orders", "list", "--limit", "2", code=0, operator="阿May", password="viewer-secret")


def test_check_names_a_tampered_row(team: Path) -> None:
    shop = team
    victim = raw_sql(shop, "SELECT id FROM order_event ORDER BY id LIMIT 1 OFFSET 10")[0][0]
    raw_sql(shop, "UPDATE order_event SET actor = 'buyer' WHERE id = ?", (victim,))
    out = run(shop, "check", code=1, operator="阿May", password="viewer-secret")
    assert f"row {victim} was edited" in out.stdout and f"第 {victim} 行被改动" in out.stdout


def test_a_viewer_runs_no_sync_send_sale_or_export(team: Path, tmp_path: Path) -> None:
    shop = team
    viewer = {"operator": "阿May", "password": "viewer-secret"}
    out_csv, recon_csv = tmp_path / "orders.csv", tmp_path / "recon.csv"
    for args in (("payments", "sync"), ("refunds", "send"), ("orders", "export", str(out_csv)),
                 ("reconcile", "--gateway", "沙箱", "--date", "2020-01-01", "--export", str(recon_csv)),
                 ("orders", "new", "--product", "王者荣耀点券 680点", "--buyer", "13800138000", "--manual", "cash")):
        out = run(shop, *args, code=1, **viewer)
        assert "阿May" in out.stderr and "(viewer)" in out.stderr and "Traceback" not in out.stderr, args
    assert not out_csv.exists() and not recon_csv.exists()
    # A clerk exports the list (orders and reconciliations are the clerk's exports too).
    run(shop, "orders", "export", str(out_csv), code=0, operator="小王", password="clerk-secret")
    with out_csv.open(encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.reader(f))) > 60


def test_audit_export_never_writes_into_the_data_folder_or_over_a_file(team: Path, tmp_path: Path) -> None:
    shop = team
    owner = {"operator": "店主", "password": "owner-secret"}
    dates = ("--from", "2000-01-01", "--to", "2099-12-31")
    store = shop / "kashop.sqlite3"  # the data file, or where it would be when the shop is on a server
    before = store.read_bytes() if store.exists() else b""
    out = run(shop, "audit", "export", *dates, str(store), code=2, **owner)
    assert "数据文件夹" in out.stderr and "data folder" in out.stderr
    run(shop, "audit", "export", *dates, str(shop / "log.csv"), code=2, **owner)
    assert not (shop / "log.csv").exists() and (store.read_bytes() if store.exists() else b"")[:100] == before[:100]
    target = tmp_path / "log.csv"
    target.write_text("the owner's own file", encoding="utf-8")
    out = run(shop, "audit", "export", *dates, str(target), code=2, **owner)
    assert "--force" in out.stderr and target.read_text(encoding="utf-8") == "the owner's own file"
    run(shop, "audit", "export", *dates, str(target), "--force", code=0, **owner)
    assert target.read_text(encoding="utf-8-sig").startswith("时间（北京时间）")


def test_check_names_a_cut_off_log_and_the_owner_cannot_anchor_over_it(team: Path) -> None:
    shop = team
    # The log cut just before the viewer was added: the clerk's entries stay, the viewer's go.
    (keep,) = raw_sql(shop, "SELECT MAX(id) FROM audit_event WHERE id < (SELECT MIN(id) FROM audit_event "
                            "WHERE subject = '阿May')")[0]
    raw_sql(shop, "DELETE FROM audit_event WHERE id > ?", (keep,))
    raw_sql(shop, "UPDATE chain_head SET last_id = ?, last_hash = (SELECT hash FROM audit_event WHERE id = ?) "
                  "WHERE chain = 'audit_event'", (keep, keep))
    out = run(shop, "check", code=1, operator="店主", password="owner-secret")
    assert "shop log was cut off at its end" in out.stdout and "操作日志末尾被截断" in out.stdout
    # the viewer's own entry went with the cut: their row is no longer backed by the log, which
    # their check names (a changed row may still run check, and nothing else)
    out = run(shop, "check", code=1, operator="阿May", password="viewer-secret")
    assert "阿May was not added through the desk" in out.stdout and "Traceback" not in out.stderr
    out = run(shop, "audit", "anchor", code=1, operator="店主", password="owner-secret")
    assert "cut off" in out.stderr and "Traceback" not in out.stderr
    out = run(shop, "check", code=1, operator="店主", password="owner-secret")  # still named
    assert "shop log was cut off at its end" in out.stdout


def test_now_never_lifts_a_lock_out_and_is_the_owners_only(team: Path) -> None:
    shop = team
    for _ in range(5):
        run(shop, "orders", "list", code=1, operator="小王", password="wrong-password")
    out = run(shop, "orders", "list", "--now", "2099-12-01T00:00:00+08:00", code=1, operator="小王",
              password="clerk-secret")
    assert "锁定" in out.stderr and "locked" in out.stderr
    out = run(shop, "sweep", "--now", "2099-12-01T00:00:00+08:00", code=1, operator="阿May", password="viewer-secret")
    assert "owner only" in out.stderr and "Traceback" not in out.stderr
    out = run(shop, "policy", "set", "cooling_off_minutes=12", "--now", "2020-01-01T00:00:00+08:00", code=1,
              operator="店主", password="owner-secret")
    assert "before the log's last row" in out.stderr
    run(shop, "check", code=0, operator="店主", password="owner-secret")


def test_operators_set_changes_role_and_limit_at_once(team: Path) -> None:
    shop = team
    owner = {"operator": "店主", "password": "owner-secret"}
    out = run(shop, "operators", "set", "阿May", "--role", "clerk", "--approve-limit", "30", code=0, **owner)
    assert "阿May：店员，审批额度 ¥30.00" in out.stdout
    listed = run(shop, "operators", "list", "--json", code=0, **owner)
    may = next(o for o in json.loads(listed.stdout) if o["name"] == "阿May")
    assert (may["role"], may["approve_limit_fen"]) == ("clerk", 3000)
    out = run(shop, "operators", "set", "阿May", code=2, **owner)  # nothing to change: a usage error
    assert "--role" in out.stderr and "Traceback" not in out.stderr
    out = run(shop, "operators", "set", "阿May", "--role", "viewer", "--approve-limit", "10", code=2, **owner)
    assert "审批额度只用于店员" in out.stderr  # a bad value: a usage error, as the shared exit statuses say
    out = run(shop, "operators", "set", "店主", "--role", "clerk", code=1, **owner)
    assert "唯一在用的店主" in out.stderr
    out = run(shop, "operators", "set", "阿May", "--approve-limit", "none", code=1, operator="小王",
              password="clerk-secret")
    assert "ask the owner" in out.stderr


@PARSING_ONLY
def test_an_empty_new_password_is_a_usage_error_that_says_so(team: Path) -> None:
    shop = team
    out = run(shop, "operators", "add", "小张", "--role", "viewer", code=2, new_password="", operator="店主",
              password="owner-secret")
    assert "KASHOP_NEW_PASSWORD" in out.stderr and "empty" in out.stderr and "Traceback" not in out.stderr
    out = run(shop, "operators", "add", "小张", "--role", "viewer", code=2, new_password="short", operator="店主",
              password="owner-secret")  # too short: a bad value too
    assert "at least" in out.stderr and "Traceback" not in out.stderr
    listed = run(shop, "operators", "list", code=0, operator="店主", password="owner-secret")
    assert "小张" not in listed.stdout


def test_a_clerk_raised_to_owner_outside_the_desk_is_refused(team: Path) -> None:
    shop = team
    raw_sql(shop, "UPDATE operator SET role = 'owner', approve_limit_fen = NULL WHERE name = '小王'")
    out = run(shop, "operators", "add", "小张", "--role", "owner", code=1, new_password="third-secret",
              operator="小王", password="clerk-secret")
    assert "check" in out.stderr and "Traceback" not in out.stderr
    listed = run(shop, "operators", "list", code=0, operator="店主", password="owner-secret")
    assert "小张" not in listed.stdout
    checked = run(shop, "check", code=1, operator="小王", password="clerk-secret")  # check alone still runs
    assert "小王's role differs" in checked.stdout, checked.stdout
