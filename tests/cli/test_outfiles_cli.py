"""Files the owner names are never the shop's own: ``codes export``, ``backup PATH`` and the
reconcile export refuse the data folder (symlinks resolved) and an existing file without --force,
and write through a temporary name."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from kashop_desktop.services import recon_export
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.outfiles import OutputRefused, check_output
from kashop_desktop.services.reconcile import ReconReport

from .conftest import once
from .test_cli import Cli, cli  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


def _stock(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    cli("products", "add", "点卡", "--type", "卡密", "--price", "10")
    source = tmp_path / "in.txt"
    source.write_text("\n".join(f"OUTFILE-{i:04d}-ABCDEFGH" for i in range(6)), encoding="utf-8")
    cli("codes", "import", str(source), "--product", "点卡")


@once("output paths refused in the data folder (codes export on a server: test_codes_export_cli)")
def test_codes_export_never_overwrites_the_store_the_vault_or_an_earlier_export(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    _stock(cli, tmp_path)
    data = cli.data_dir
    guarded = {p: p.read_bytes() for p in (data / "kashop.sqlite3", data / "vault.json") if p.exists()}
    assert data / "vault.json" in guarded  # (the data file too, unless the shop is on a server)
    (data / "backups").mkdir(exist_ok=True)
    link = tmp_path / "innocent.csv"
    link.symlink_to(data / "kashop.sqlite3")
    for target in (data / "kashop.sqlite3", data / "vault.json", data / "kashop.sqlite3-wal",
                   data / "backups" / "x.csv", data / "new.csv", link):
        refused = cli("codes", "export", str(target), "--product", "点卡", "--force", code=2)
        assert "数据文件夹" in refused.stderr and "data folder" in refused.stderr and "Traceback" not in refused.stderr
    assert {p: p.read_bytes() for p in guarded} == guarded
    assert not (data / "new.csv").exists() and not (data / "backups" / "x.csv").exists()
    cli("check")  # the store is as it was
    out = tmp_path / "sold.csv"
    first = cli.json("codes", "export", str(out), "--product", "点卡", "--mark-sold")
    assert first["count"] == 6
    kept = out.read_bytes()
    again = cli("codes", "export", str(out), "--product", "点卡", "--mark-sold", code=2)
    assert "已存在" in again.stderr and "--force" in again.stderr
    assert out.read_bytes() == kept and b"OUTFILE-0005" in kept  # the sold codes are still in the file
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    cli("codes", "export", str(tmp_path / "codes.txt"), "--product", "点卡", code=2)  # .csv or .xlsx only


@pytest.mark.sqlite_only(reason="backs up the data file (a server shop is backed up by the server: pg_dump)")
def test_backup_to_a_named_file_refuses_the_data_folder_and_an_existing_file(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    cli("products", "add", "点卡", "--type", "卡密", "--price", "10")
    data = cli.data_dir
    before = (data / "kashop.sqlite3").read_bytes()
    cli("backup", str(data / "kashop.sqlite3"), code=2)
    cli("backup", str(data / "vault.json"), code=2)
    assert (data / "kashop.sqlite3").read_bytes() == before
    target = tmp_path / "shop.sqlite3"
    cli("backup", str(target))
    cli("backup", str(target), code=2)
    cli("backup", str(target), "--force")
    cli("backup", str(tmp_path))  # a folder gets a stamped name
    cli("check")


def test_check_output_is_the_one_rule(tmp_path: Path, data_dir: Path, desk: Desk) -> None:
    outside = tmp_path / "out"
    outside.mkdir()
    assert check_output(data_dir, outside / "a.csv") == (outside / "a.csv").resolve()
    (outside / "a.csv").write_text("x")
    codes = []
    for path, force in ((outside / "a.csv", False), (data_dir / "a.csv", True), (outside, True),
                        (outside / "missing" / "a.csv", True), (data_dir / ".." / data_dir.name / "logs" / "x", True)):
        with pytest.raises(OutputRefused) as refused:
            check_output(data_dir, path, force=force)
        codes.append(refused.value.code)
    assert codes == ["output_exists", "output_in_data_folder", "output_is_folder", "output_folder_missing",
                     "output_in_data_folder"]
    assert check_output(data_dir, outside / "a.csv", force=True).exists()
    report = ReconReport(1, "沙箱", "alipay", date(2026, 11, 18))
    with pytest.raises(OutputRefused):
        recon_export.export_report(desk, report, data_dir / "kashop.sqlite3", force=True)
    written = recon_export.export_report(desk, report, outside / "r.csv")
    assert written.read_bytes().startswith("\ufeff".encode())
    assert sorted(os.listdir(outside)) == ["a.csv", "r.csv"]  # no temporary file left


@once("output files' paths and writing, no store")
def test_write_atomically_replaces_only_when_asked(tmp_path: Path) -> None:
    from kashop_desktop.services.outfiles import write_atomically

    target = tmp_path / "report.csv"

    def racing(tmp: Path) -> None:  # another program creates the file while ours is written
        tmp.write_text("ours", encoding="utf-8")
        target.write_text("theirs", encoding="utf-8")

    with pytest.raises(OutputRefused) as refused:
        write_atomically(target, racing)
    assert refused.value.code == "output_exists" and target.read_text(encoding="utf-8") == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]
    write_atomically(target, racing, replace=True)
    assert target.read_text(encoding="utf-8") == "ours"


@once("output files' paths, no store")
def test_a_device_or_pipe_is_no_output(tmp_path: Path, data_dir: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for special in (fifo, Path("/dev/null")):
        with pytest.raises(OutputRefused) as refused:
            check_output(data_dir, special, force=True)
        assert refused.value.code == "output_not_file"
