"""``codes export`` is for unsold codes: delivered ones are read through reveal (logged), and
codes the owner locked to sell elsewhere can be exported and marked sold."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_cli import Cli, cli  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


def test_export_takes_unsold_codes_only_and_marks_locked_ones_sold(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    cli("products", "add", "点卡", "--type", "卡密", "--price", "10")
    source = tmp_path / "in.txt"
    source.write_text("\n".join(f"EXPORT-{i:04d}-ABCDEFGH" for i in range(4)), encoding="utf-8")
    cli("codes", "import", str(source), "--product", "点卡")
    ids = [str(c["id"]) for c in cli.json("codes", "list", "--product", "点卡")["codes"]]
    cli("codes", "lock", ids[0], ids[1])
    refused = cli("codes", "export", str(tmp_path / "sold.csv"), "--product", "点卡", "--state", "delivered", code=2)
    assert "reveal" in refused.stderr and not (tmp_path / "sold.csv").exists()
    out = tmp_path / "locked.csv"
    done = cli.json("codes", "export", str(out), "--product", "点卡", "--state", "locked", "--mark-sold")
    assert done["count"] == 2 and "EXPORT-0000" in out.read_text("utf-8-sig")
    states = {c["id"]: c["state"] for c in cli.json("codes", "list", "--product", "点卡")["codes"]}
    assert [states[int(i)] for i in ids] == ["delivered", "delivered", "available", "available"]
    cli("codes", "export", str(tmp_path / "x.csv"), "--product", "点卡", "--state", "locked", "--lock", code=1)
