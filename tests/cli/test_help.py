"""``--help`` in Chinese by default and in English with ``--lang en``, for every command."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kashop_desktop.cli.helptext import T, error_zh, language
from kashop_desktop.cli.main import build_parser

CJK = re.compile(r"[\u4e00-\u9fff]")
#: The English help quotes a few Chinese words: the field's terms (补单, 易支付) and a header example.
ENGLISH_MAY_QUOTE = set("补单易支付付款金额")


def parsers(parser: argparse.ArgumentParser, path: str = "") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, f"{path} {name}".strip())


def test_every_option_and_command_has_its_help_in_both_languages() -> None:
    missing = []
    for path, parser in parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._VersionAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                texts = [choice.help for choice in action._choices_actions]
            else:
                texts = [action.help]
            missing += [f"{path}: {action.dest}" for text in texts
                        if not isinstance(text, T) or not CJK.search(str(text)) or (CJK.search(text.en) and
                        not set(CJK.findall(text.en)) <= ENGLISH_MAY_QUOTE)]
    assert missing == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_commands_help_reads_in_the_chosen_language(lang: str) -> None:
    every = list(parsers(build_parser(lang)))
    assert len(every) > 40
    for path, parser in every:
        text = parser.format_help()
        if lang == "zh":
            assert text.startswith("用法：") and "显示帮助并退出" in text and "options" not in text, path
            flat = re.sub(r"\s+", "", text)
            assert all(re.sub(r"\s+", "", str(a.help)) in flat for a in parser._actions if isinstance(a.help, T)), path
        else:
            assert text.startswith("usage: ") and "show this help message and exit" in text, path
            # only the field's own terms stay in Chinese (补单, 易支付, 退款单号 ...)
            assert "用法" not in text and "选项" not in text and "显示帮助" not in text, path


def test_the_language_is_read_before_parsing_as_for_messages() -> None:
    assert language([]) == "zh"
    assert language(["orders", "list", "--lang", "en", "--help"]) == "en"
    assert language(["--lang=en", "--help"]) == "en"
    assert language(["--lang", "zh", "--help"]) == "zh"
    assert language(["orders", "cancel", "X", "--note", "--", "--lang", "en"]) == "zh"


def test_help_and_argparse_errors_from_the_command_line() -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kashop_desktop", *args], capture_output=True, text=True,
                              env=env, timeout=60)

    zh = run("--help")
    assert zh.returncode == 0 and "用法：kashop-desktop" in zh.stdout and "订单" in zh.stdout
    en = run("refunds", "send", "--help", "--lang", "en")
    assert en.returncode == 0 and "only these refunds" in en.stdout and not CJK.search(en.stdout)
    bad = run("orders", "cancel")
    assert bad.returncode == 2
    assert "缺少必需的参数：order_no, --reason" in bad.stderr and "the following arguments are required" in bad.stderr


def test_a_bad_value_shows_the_usage_of_its_own_command(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    bad = subprocess.run([sys.executable, "-m", "kashop_desktop", "policy", "set", "no_refunds=ture", "--data-dir",
                          str(tmp_path)], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2
    assert bad.stderr.startswith("用法：kashop-desktop policy set") and "no_refunds" in bad.stderr


def test_argparse_errors_in_chinese() -> None:
    assert error_zh("unrecognized arguments: --x") == "无法识别的参数：--x"
    assert error_zh("argument --limit: invalid int value: 'a'") == "参数 --limit：不是有效的 int 值：'a'"
    assert error_zh("something new") == "something new"
