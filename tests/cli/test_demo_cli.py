"""``demo``: the first run says what it built, a relaunch says the shop is already there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kashop_desktop.cli.main import main
from kashop_desktop.cli.output import EXIT_OK


def test_a_relaunch_does_not_read_like_an_empty_shop(data_dir: Path, capsys: Any) -> None:
    assert main(["demo", "--no-gui", "--orders", "60", "--data-dir", str(data_dir)]) == EXIT_OK
    first = capsys.readouterr().out
    assert "演示店铺已建好" in first and "60 个订单" in first and "{" not in first
    assert main(["demo", "--no-gui", "--orders", "60", "--data-dir", str(data_dir), "--lang", "en"]) == EXIT_OK
    again = capsys.readouterr().out
    assert again.startswith(f"the demo shop is already in {data_dir} (")
    assert "orders)" in again and "0," not in again and "{" not in again
