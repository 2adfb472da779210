"""``policy set`` takes values exactly of their key's type or changes nothing (exit 2); a
malformed amount is a usage error too. Run in-process through the CLI's ``main`` on a real store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.cli.main import main
from kashop_desktop.cli.output import EXIT_OK, EXIT_USAGE
from kashop_desktop.domain.errors import PolicyError
from kashop_desktop.domain.policy import UNITS, parse_policy_value
from kashop_desktop.services.desk import Desk

from .conftest import PARSING_ONLY

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


def policy_of(data_dir: Path) -> dict[str, Any]:
    desk = Desk.open(data_dir)
    try:
        return dict(desk.policy().to_dict())
    finally:
        desk.close()


@PARSING_ONLY
@pytest.mark.parametrize("item", [
    "auto_approve_ceiling_fen=100.0",  # once silently read as yuan: ¥100 instead of 100 fen
    "auto_approve_ceiling_fen=¥100",
    "auto_approve_ceiling_fen=1e4",
    "no_refunds=ture",  # once silently false
    "no_refunds=1",
    "cooling_off_minutes=10min",
    "cooling_off_minutes=",
    "cooling_off_minutes=99",  # the right type, out of its range
    "no_such_key=1",
    "cooling_off_minutes",
])
def test_a_value_not_exactly_of_its_type_is_refused_and_nothing_changes(data_dir: Path, capsys: Any,
                                                                         item: str) -> None:
    before = policy_of(data_dir)
    code = main(["policy", "set", "risk_cancel_count=5", item, "--data-dir", str(data_dir)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "没有改动任何设置" in err and "nothing was changed" in err
    assert policy_of(data_dir) == before  # not even the valid risk_cancel_count=5


@PARSING_ONLY
def test_money_keys_say_their_unit_in_the_error_and_the_help(data_dir: Path, capsys: Any) -> None:
    assert main(["policy", "set", "auto_approve_ceiling_fen=100.0", "--data-dir", str(data_dir)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "单位为分" in err and "fen" in err and "10000" in err
    with pytest.raises(SystemExit):
        main(["policy", "set", "--help"])
    help_text = capsys.readouterr().out
    assert all(key in help_text for key in UNITS)
    assert "单位为分（10000 分 = ¥100.00）" in help_text and "a whole number of fen" not in help_text  # one language
    with pytest.raises(SystemExit):
        main(["--lang", "en", "policy", "set", "--help"])
    english = capsys.readouterr().out
    assert "a whole number of fen" in english and "单位为分" not in english


def test_policy_set_says_what_it_saved_in_a_sentence(data_dir: Path, capsys: Any) -> None:
    assert main(["policy", "set", "cooling_off_minutes=12", "--data-dir", str(data_dir)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("政策已保存") and "12" in out and "{" not in out
    assert main(["--lang", "en", "policy", "set", "auto_approve_ceiling_fen=5000", "--data-dir", str(data_dir)]) == EXIT_OK
    english = capsys.readouterr().out
    assert english.startswith("policy saved") and "¥50.00" in english
    assert main(["policy", "set", "risk_window_days=9", "--json", "--data-dir", str(data_dir)]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["risk_window_days"] == 9
    assert main(["policy", "set", "auto_approve_ceiling_fen=99999999999", "--data-dir", str(data_dir)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "¥100000.00" in err and "(分)" not in err  # one unit: the range in yuan, the label without 分


def test_exact_values_are_stored(data_dir: Path, capsys: Any) -> None:
    code = main(["policy", "set", "auto_approve_ceiling_fen=100", "no_refunds=true", "--data-dir", str(data_dir)])
    assert code == EXIT_OK
    stored = policy_of(data_dir)
    assert stored["auto_approve_ceiling_fen"] == 100 and stored["no_refunds"] is True
    assert main(["policy", "set", "no_refunds=否", "--data-dir", str(data_dir)]) == EXIT_OK
    assert policy_of(data_dir)["no_refunds"] is False
    capsys.readouterr()
    assert main(["policy", "show", "--data-dir", str(data_dir)]) == EXIT_OK
    assert "auto_approve_ceiling_fen = 100" in capsys.readouterr().out


@PARSING_ONLY
def test_parse_policy_value_takes_only_exact_types() -> None:
    assert parse_policy_value("risk_window_days", " 30 ") == 30
    assert parse_policy_value("no_refunds", "FALSE") is False
    for key, text in (("risk_window_days", "30.0"), ("risk_window_days", "３０"), ("no_refunds", "yes"),
                      ("fee_rate_permyriad", "0.1%")):
        with pytest.raises(PolicyError):
            parse_policy_value(key, text)


@PARSING_ONLY
@pytest.mark.parametrize("text", ["12.345", "abc", "-5", "0"])
def test_a_malformed_amount_is_a_usage_error(data_dir: Path, capsys: Any, text: str) -> None:
    code = main(["requests", "approve", "1", "--amount", text, "--data-dir", str(data_dir)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    assert "--amount" in err and "yuan" in err
