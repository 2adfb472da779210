"""``--help`` in the chosen language: Chinese by default, English with ``--lang en``.

Every help text is written once as ``T("中文", "English")``; the parser prints the one the
command line asked for, as messages do (``output.zh``). ``--lang`` is read from the command
line before parsing, since ``--help`` prints during parsing. argparse's own words (usage,
section headings, ``-h``, its error messages) are given in Chinese too; an argparse error
prints in Chinese and English, like every other message, and exits 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .output import EXIT_USAGE


class T(str):
    """A help text: the Chinese (its value as a string) and its English (``.en``)."""

    en: str

    def __new__(cls, zh: str, en: str) -> T:
        text = super().__new__(cls, zh)
        text.en = en
        return text


def language(argv: Sequence[str]) -> str:
    """``"en"`` when ``--lang en`` (or ``--lang=en``) is on the command line, else ``"zh"``."""
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            return "en" if args[i + 1] == "en" else "zh"
        if arg.startswith("--lang="):
            return "en" if arg.split("=", 1)[1] == "en" else "zh"
    return "zh"


#: argparse's own help texts and headings, in Chinese.
_ARGPARSE_ZH = {
    "show this help message and exit": "显示帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
}

#: argparse's error messages (Python 3.11) as (pattern, Chinese).
_ERRORS_ZH = [
    (r"the following arguments are required: (.+)", r"缺少必需的参数：\1"),
    (r"argument (.+?): invalid choice: (.+?) \(choose from (.+)\)", r"参数 \1：无效的选项 \2（可选：\3）"),
    (r"argument (.+?): invalid (\w+) value: (.+)", r"参数 \1：不是有效的 \2 值：\3"),
    (r"argument (.+?): expected one argument", r"参数 \1：需要一个值"),
    (r"argument (.+?): expected at least one argument", r"参数 \1：至少需要一个值"),
    (r"argument (.+?): not allowed with argument (.+)", r"参数 \1 不能与 \2 同时使用"),
    (r"one of the arguments (.+) is required", r"参数 \1 必须给出一个"),
    (r"unrecognized arguments: (.+)", r"无法识别的参数：\1"),
    (r"argument (.+?): ignored explicit argument (.+)", r"参数 \1：多余的值 \2"),
    (r"ambiguous option: (.+)", r"有歧义的选项：\1"),
    (r"argument (.+?): must be at least (-?\d+), not (.+?) \(e\.g\. (.+)\)", r"参数 \1：至少为 \2，而不是 \3（例如 \4）"),
    (r"argument (.+?): must be at most (-?\d+), not (.+?) \(e\.g\. (.+)\)", r"参数 \1：至多为 \2，而不是 \3（例如 \4）"),
    (r"argument (.+?): must be at least (-?\d+), not (.+)", r"参数 \1：至少为 \2，而不是 \3"),
    (r"argument (.+?): must be at most (-?\d+), not (.+)", r"参数 \1：至多为 \2，而不是 \3"),
]


def pick(text: Any, lang: str) -> Any:
    """``text`` in ``lang``: a ``T``'s English, argparse's words in Chinese, anything else as is."""
    if isinstance(text, T):
        return text.en if lang == "en" else str(text)
    if lang != "en" and isinstance(text, str):
        return _ARGPARSE_ZH.get(text, text)
    return text


def error_zh(message: str) -> str:
    """An argparse error message in Chinese (the English as is when no pattern knows it)."""
    for pattern, replacement in _ERRORS_ZH:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


class Formatter(argparse.HelpFormatter):
    """Prints each help text, description and heading in the parser's language."""

    lang = "zh"

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = pick(action.help, self.lang)
        return None if text is None else str(text)

    def _format_text(self, text: str) -> str:
        return super()._format_text(str(pick(text, self.lang)))

    def start_section(self, heading: str | None) -> None:
        super().start_section(pick(heading, self.lang))

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        if prefix is None:  # argparse passes "" when it only measures a subcommand's prog
            prefix = "用法：" if self.lang != "en" else "usage: "
        super().add_usage(usage, actions, groups, prefix)


class RawFormatter(Formatter):
    """Keeps the line breaks of descriptions and epilogs (a table of keys)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line for line in text.splitlines(keepends=True))


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors speak ``lang``, as do its subcommands'."""

    def __init__(self, *args: Any, lang: str = "zh", **kwargs: Any) -> None:
        self.lang = lang
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("parser_class", lambda **kw: Parser(lang=self.lang, **kw))
        if "title" in kwargs or "description" in kwargs:
            kwargs["title"] = pick(kwargs.get("title"), self.lang)
        return super().add_subparsers(**kwargs)

    def _get_formatter(self) -> argparse.HelpFormatter:
        formatter = super()._get_formatter()
        if isinstance(formatter, Formatter):
            formatter.lang = self.lang
        return formatter

    #: Whether the command line asked for --json (``main`` sets it before parsing): a usage error
    #: is then also a JSON object on stdout, as every refusal is.
    json_errors = False

    def error(self, message: str) -> NoReturn:
        """Usage, then the message in Chinese and English; exit ``EXIT_USAGE``."""
        self.print_usage(sys.stderr)
        zh_text = error_zh(message)
        lines = [f"{self.prog}: 错误：{zh_text}", f"{self.prog}: error: {message}"]
        if Parser.json_errors:
            import json

            print(json.dumps({"error": {"code": "usage", "exit": EXIT_USAGE, "zh": zh_text, "en": message}},
                             ensure_ascii=False, indent=2))
        self.exit(EXIT_USAGE, "\n".join(lines) + "\n")


#: Help texts several commands share.
JSON_HELP = T("输出 JSON（金额为整数分 *_fen，时间为带时区的 ISO 8601，状态为代码）",
              "print JSON (money as integer fen in *_fen, times ISO 8601 with offset, states as codes)")
ORDER_NO_HELP = T("订单号", "the order no")
NOTE_HELP = T("备注（写入时间线）", "a note (written to the timeline)")
NO_IDEMPOTENCY_HELP = T("确认经由不支持退款幂等的网关（易支付 V1）退款", "confirm a refund through a gateway without "
                        "refund idempotency (易支付 V1)")
AMOUNT_HELP = T("退款金额，单位元，如 12.50（默认：全部可退金额）",
                "refund amount in yuan, e.g. 12.50 (default: all that is refundable)")


def reason_help() -> T:
    """The cancel reasons with their labels, for ``--reason``."""
    from ..domain.order import REASON_EN, REASON_ZH

    return T("原因：" + "，".join(f"{code.value} {label}" for code, label in REASON_ZH.items()),
             "reason: " + ", ".join(f"{code.value} ({label})" for code, label in REASON_EN.items()))
