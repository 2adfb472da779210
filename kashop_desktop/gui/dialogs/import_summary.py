"""The words of an import's summary: what went in, what was already there, what was refused,
and for a stopped import how far it got. From the service's ImportReport only."""

from __future__ import annotations

from ...services.imports import ImportReport, Outcome
from ..i18n import pick
from ..qt import QCoreApplication

GOOD_STYLE = "QLabel{background:#e8f5e9;border:1px solid #9ccc9c;padding:6px;font-weight:bold;}"
WARN_STYLE = "QLabel{background:#fff4e0;border:1px solid #e0c080;padding:6px;font-weight:bold;}"
BAD_STYLE = "QLabel{background:#fdecea;border:1px solid #e0a0a0;padding:6px;font-weight:bold;}"


translate = QCoreApplication.translate


def _n(value: int) -> str:
    return f"{value:,}"


def summary_title(report: ImportReport) -> tuple[str, str]:
    """The headline and its colour (a style sheet)."""
    if report.cancelled and report.rolled_back:
        return translate("ImportDialog", "已停止：按「全部或全不」导入，一行也没有写入。"), WARN_STYLE
    if report.cancelled:
        return translate("ImportDialog", "已停止：文件第 {row} 行及之前的行已处理（写入 {written} 行），之后的行没有导入。"
                  "再次导入同一文件即可继续（已导入的行计为未变）。").format(
            row=report.committed_row, written=_n(report.written)), WARN_STYLE
    if report.rolled_back and not report.refused and report.stopped is not None:
        return translate("ImportDialog", "没有导入任何行：文件在第 {row} 行停止，按「全部或全不」一行也没有写入。").format(
            row=report.stopped.row), BAD_STYLE
    if report.rolled_back:
        return translate("ImportDialog", "没有导入任何行：有 {n} 行有问题，按「全部或全不」一行也没有写入。").format(n=_n(report.refused)), BAD_STYLE
    if report.stopped is not None:
        return translate("ImportDialog", "导入在第 {row} 行停止：{reason}。之前的行已导入。").format(
            row=report.stopped.row, reason=pick(report.stopped.zh, report.stopped.en)), WARN_STYLE
    if report.written == 0 and report.refused == 0:
        return translate("ImportDialog", "没有新内容：文件中的 {n} 行都已在订单台里，没有改动任何订单。").format(n=_n(report.unchanged)), GOOD_STYLE
    if report.outcome is Outcome.NOTHING:
        return translate("ImportDialog", "没有导入任何行：每一行都有问题（见下表）。"), BAD_STYLE
    if report.refused:
        return translate("ImportDialog", "部分导入：{n} 行有问题被跳过（见下表），其余已导入。").format(n=_n(report.refused)), WARN_STYLE
    if report.sheets_left_out:  # the first worksheet is in; the others are named below
        return translate("ImportDialog", "部分导入：只导入了第一个工作表，其他工作表没有导入（见下方）。"), WARN_STYLE
    return translate("ImportDialog", "导入完成。"), GOOD_STYLE


def summary_counts(report: ImportReport) -> str:
    """The counts, one line each."""
    lines = [
        translate("ImportDialog", "新增 {n} 行").format(n=_n(report.inserted)),
        translate("ImportDialog", "更新 {n} 行（状态向前推进）").format(n=_n(report.updated)),
        translate("ImportDialog", "已存在且相同，跳过 {n} 行").format(n=_n(report.unchanged)),
        translate("ImportDialog", "拒绝 {n} 行").format(n=_n(report.refused)),
    ]
    if report.delivered or report.backordered:
        lines.append(translate("ImportDialog", "已支付的卡密订单：{d} 单已从库存发货，{b} 单无卡密、进入缺货待发").format(
            d=_n(report.delivered), b=_n(report.backordered)))
    if report.blank:
        lines.append(translate("ImportDialog", "空行 {n} 行（忽略）").format(n=_n(report.blank)))
    if report.warning_count:
        first = report.warnings[0] if report.warnings else None
        example = pick(first.zh, first.en) if first is not None else ""
        lines.append(translate("ImportDialog", "提示 {n} 条，例如第 {row} 行：{text}").format(
            n=_n(report.warning_count), row=first.row if first else "", text=example))
    if report.refused > len(report.problems):
        lines.append(translate("ImportDialog", "下表列出前 {n} 个被拒绝的行。").format(n=_n(len(report.problems))))
    lines += [pick(zh, en) for zh, en in report.notes]  # what the file held that was not imported
    return "\n".join(lines)
