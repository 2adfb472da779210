"""A command without ``--operator`` in a shop that asks who is working says why it asks: several
operators, the others disabled, or only the owner's row left while the log records a team."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.cli.main import main
from kashop_desktop.cli.output import EXIT_USAGE
from kashop_desktop.domain.roles import Role
from kashop_desktop.services import operators
from kashop_desktop.services.desk import Desk

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores (tests/conftest.py)


def _team(data_dir: Path, then: str | None = None) -> None:
    desk = Desk.open(data_dir)
    try:
        operators.set_password(desk, "店主", "owner-secret")
        operators.add(desk, "小王", Role.CLERK, "clerk-secret")
        if then == "disable":
            operators.set_active(desk, "小王", False)
        elif then == "delete":
            with desk.db.atomic():  # plain SQL behind the desk's back, as someone with the store would
                desk.db.execute_sql("DELETE FROM operator WHERE name != '店主'")
    finally:
        desk.close()


def _refusal(data_dir: Path, capsys: Any) -> str:
    capsys.readouterr()
    assert main(["orders", "list", "--data-dir", str(data_dir)]) == EXIT_USAGE
    return str(capsys.readouterr().err)


def test_only_the_owner_left_is_not_called_several_operators(data_dir: Path, capsys: Any) -> None:
    _team(data_dir, "delete")
    err = _refusal(data_dir, capsys)
    assert "多个操作员" not in err and "several operators" not in err
    assert "只剩店主 店主 一个操作员" in err and "only the owner 店主 is left" in err
    assert "--operator 店主" in err and "shop log records other operators added" in err and "Traceback" not in err


def test_the_others_disabled_is_said_as_such(data_dir: Path, capsys: Any) -> None:
    _team(data_dir, "disable")
    err = _refusal(data_dir, capsys)
    assert "多个操作员" not in err and "其他操作员都已停用" in err and "other operators are all disabled" in err


def test_several_active_operators_still_read_several(data_dir: Path, capsys: Any) -> None:
    _team(data_dir)
    err = _refusal(data_dir, capsys)
    assert "这个店铺有多个操作员" in err and "this shop has several operators" in err and "--operator NAME" in err
