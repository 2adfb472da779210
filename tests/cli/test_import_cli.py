"""``orders import`` exit statuses as a script sees them: 0 all, 3 some rows refused, 1 nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services.imports.files import HEADER_ZH, paid_row, write_csv

from .conftest import once

pytestmark = [pytest.mark.usefixtures("store_kind"),
              pytest.mark.sqlite_only(reason="the command line's words, exit statuses and files; its rules run on both stores in tests/services, and the PostgreSQL wiring in the tests kept on both")]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "kashop_desktop", "orders", "import", *args, "--data-dir",
                           str(data_dir)], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "good": write_csv(tmp_path / "good.csv", [HEADER_ZH, paid_row(1), paid_row(2), ",,,,,,,,,"]),
        "mixed": write_csv(tmp_path / "mixed.csv", [HEADER_ZH, paid_row(3), paid_row(4).replace(",6.00,", ',"12,34",')]),
        "bad": write_csv(tmp_path / "bad.csv", [HEADER_ZH, paid_row("2.02611E+17")]),
        "big5": tmp_path / "big5.csv",
    }


def test_exit_statuses_tell_all_partial_and_nothing_apart(data_dir: Path, files: dict[str, Path]) -> None:
    assert run(data_dir, str(files["good"])).returncode == 0
    partial = run(data_dir, str(files["mixed"]), "--json")
    assert partial.returncode == 3
    report = json.loads(partial.stdout)
    assert (report["outcome"], report["inserted"], report["refused"]) == ("partial", 1, 1)
    assert report["problems"][0]["row"] == 3 and report["problems"][0]["column"] == "paid_amount"
    nothing = run(data_dir, str(files["bad"]))
    assert nothing.returncode == 1 and "文本" in nothing.stderr and "Text" in nothing.stderr


def test_all_or_nothing_refuses_the_whole_file(data_dir: Path, files: dict[str, Path]) -> None:
    proc = run(data_dir, str(files["mixed"]), "--all-or-nothing", "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["rolled_back"] is True
    assert json.loads(run(data_dir, str(files["good"]), "--json").stdout)["inserted"] == 2  # KS3 was not written


def test_a_dry_run_says_what_an_import_would_do_and_writes_nothing(data_dir: Path, files: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    """--dry-run checks every row as the import would, against the shop's orders too, and writes
    nothing; into a folder with no shop it makes none."""
    proc = run(data_dir, str(files["mixed"]), "--dry-run", "--json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 3 and report["dry_run"] is True
    assert (report["inserted"], report["refused"], report["problems"][0]["row"]) == (1, 1, 3)
    assert json.loads(run(data_dir, str(files["mixed"]), "--json").stdout)["inserted"] == 1  # KS3 was not written before
    again = run(data_dir, str(files["mixed"]), "--dry-run")
    assert again.returncode == 3 and "试运行" in again.stdout and "dry run" in again.stdout
    assert "unchanged 1" in again.stdout and "would insert 0" in again.stdout  # checked against the shop's KS3
    new_folder = tmp_path / "no shop yet"
    fresh = run(new_folder, str(files["good"]), "--dry-run", "--json")
    assert fresh.returncode == 0 and json.loads(fresh.stdout)["inserted"] == 2
    assert not (new_folder / "kashop.sqlite3").exists()
    both = run(data_dir, str(files["good"]), "--dry-run", "--all-or-nothing")
    assert both.returncode == 2 and "Traceback" not in both.stderr
    assert run(data_dir, str(files["good"])).returncode == 0
    same = run(data_dir, str(files["good"]), "--dry-run")
    assert same.returncode == 0 and "an import would change nothing" in same.stdout and "导入不会改动任何订单" in same.stdout
    assert "would change nothing" not in again.stdout  # a refused row is not "nothing"
    codec = run(data_dir, str(files["good"]), "--dry-run", "--encoding", "nosuchcodec")
    assert codec.returncode == 2 and "nosuchcodec" in codec.stderr  # a bad value, as --column's


def test_a_file_level_problem_is_a_message_not_a_traceback(data_dir: Path, files: dict[str, Path]) -> None:
    files["big5"].write_bytes("訂單號,商品\nKS1,點券\n".encode("big5"))
    proc = run(data_dir, str(files["big5"]))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "Big5" in proc.stderr and "UTF-8" in proc.stderr


def test_warnings_name_the_row_as_errors_do(data_dir: Path, tmp_path: Path) -> None:
    no_trade_no = paid_row(7).replace(",20261118227,", ",,")
    path = write_csv(tmp_path / "warn.csv", [HEADER_ZH, paid_row(6), no_trade_no])
    proc = run(data_dir, str(path))
    assert proc.returncode == 0, proc.stderr
    assert "第 3 行" in proc.stdout and "row 3" in proc.stdout and "no trade no" in proc.stdout


def run_on_terminal(data_dir: Path, path: Path) -> tuple[int, str]:
    """``orders import`` with stderr on a pseudo-terminal (as in a shell); returns (status, stderr)."""
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "kashop_desktop", "orders", "import", str(path), "--data-dir",
                             str(data_dir)], stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            block = os.read(leader, 65536)
        except OSError:  # the terminal's other end closed: the command is done
            break
        if not block:
            break
        seen += block
    proc.communicate(timeout=120)
    os.close(leader)
    return proc.returncode, seen.decode("utf-8", errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@once("the progress line on a terminal")
def test_progress_shows_on_a_terminal_and_nowhere_else(data_dir: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "some.csv", [HEADER_ZH, *(paid_row(n) for n in range(1, 40))])
    status, terminal = run_on_terminal(data_dir, path)
    assert status == 0 and "导入中 importing 39" in terminal and "rows/s" in terminal
    assert terminal.rstrip().endswith("\x1b[K")  # the line is cleared before the summary (on stdout)
    again = write_csv(tmp_path / "more.csv", [HEADER_ZH, *(paid_row(n) for n in range(40, 50))])
    piped = run(data_dir, str(again))
    assert piped.returncode == 0 and "importing" not in piped.stderr and "\x1b" not in piped.stderr


@once("the progress line's text")
def test_the_progress_line_gives_rows_rate_and_time_left() -> None:
    from kashop_desktop.cli.orders import ImportMeter

    line = ImportMeter.line(250_000, 1_000_000, 20.0)
    assert line == "导入中 importing 250,000 / ~1,000,000 行 rows · 12,500 行/秒 rows/s · 剩余 about 1:00 left"
    assert ImportMeter.line(1_000, 0, 2.0) == "导入中 importing 1,000 行 rows · 500 行/秒 rows/s"

def test_column_names_a_header_as_a_field_or_skips_it(data_dir: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "own.csv", ["订单号,下单时间,商品,商品类型,实收金额,状态,支付时间,备注",
                                            "KS1,2026-11-18 09:00,点券,卡密,6,已支付,2026-11-18 09:01,老客户"])
    refused = run(data_dir, str(path))
    assert refused.returncode == 2 and "实收金额" in refused.stderr  # a required column missing: a usage error
    done = run(data_dir, str(path), "--column", "实收金额=paid_amount", "--column", "备注=", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["inserted"] == 1
    usage = run(data_dir, str(path), "--column", "实收金额")
    assert usage.returncode == 2 and "HEADER=FIELD" in usage.stderr
    unknown = run(data_dir, str(path), "--column", "实收金额=amount")
    assert unknown.returncode == 2 and "paid_amount" in unknown.stderr


def test_all_or_nothing_says_the_good_rows_were_not_written_and_lists_problems_in_row_order(
        data_dir: Path, tmp_path: Path) -> None:
    head = "订单号,下单时间,商品,商品类型,实付金额,状态,支付时间,交易号,买家"
    first = write_csv(tmp_path / "first.csv", [head, "A1,2026-11-18 09:00,点券,卡密,6,已支付,2026-11-18 09:01,T1,1"])
    assert run(data_dir, str(first)).returncode == 0
    path = write_csv(tmp_path / "a.csv", [
        head, "A1,2026-11-18 09:00,点券,卡密,9,已支付,2026-11-18 09:01,T1,1",  # refused by the store: amount
        "A3,2026-11-18 09:00,点券,卡密,6,谁知道,2026-11-18 09:01,T3,3",  # refused by the file rules
        "A4,2026-11-18 09:00,点券,卡密,6,已支付,2026-11-18 09:01,T4,4"])
    done = run(data_dir, str(path), "--all-or-nothing")
    assert done.returncode == 1
    assert "the other good row was not written" in done.stderr and "正确的行也没有写入" in done.stderr
    assert "1 rows" not in done.stderr and "1 good rows" not in done.stderr
    assert 0 <= done.stderr.index("row 2") < done.stderr.index("row 3")


def test_json_says_when_the_refused_rows_listed_are_only_the_first(data_dir: Path, tmp_path: Path) -> None:
    bad = [paid_row(n).replace(",6.00,", ',"12,34",') for n in range(2000, 3005)]  # 1,005 ambiguous amounts
    path = write_csv(tmp_path / "many.csv", [HEADER_ZH, paid_row(1), *bad])
    result = run(data_dir, str(path), "--json")
    assert result.returncode == 3
    report = json.loads(result.stdout)
    assert report["refused"] == 1005 and len(report["problems"]) == 1000 and report["problems_truncated"] is True
    assert report["warnings_truncated"] is False
    small = json.loads(run(data_dir, str(write_csv(tmp_path / "few.csv", [HEADER_ZH, bad[0]])), "--json").stdout)
    assert small["refused"] == 1 and small["problems_truncated"] is False


def test_ctrl_c_after_every_row_is_in_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """A second Ctrl+C while a big import finishes: the message says every row is in and that
    nothing needs importing again, not where to go on from."""
    import argparse

    from kashop_desktop.cli.orders import _print_interrupted
    from kashop_desktop.services.imports import ImportReport

    args = argparse.Namespace(all_or_nothing=False, lang="en")
    report = ImportReport(rows=300_000, inserted=300_000, committed_row=300_001, all_committed=True)
    _print_interrupted(args, report)
    said = capsys.readouterr().err
    assert "every row of the file is in (300000 rows" in said and "no need to import again" in said
    assert "go on from" not in said
    report.all_committed = False
    _print_interrupted(args, report)
    assert "import the same file again to go on from there" in capsys.readouterr().err
