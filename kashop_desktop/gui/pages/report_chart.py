"""The chart beside a report's table, drawn with pyqtgraph (MIT; Qt-native, draws through
QGraphicsView with the binding the desk already loaded).

pyqtgraph and numpy are imported when the reports page is first built, never at start-up.
Bar heights are yuan as floats for drawing only: every number a person reads comes from
the table, computed in integer fen.
"""

from __future__ import annotations

from typing import Any

from ...services.reports import Numbers, Report
from ..i18n import pick
from ..qt import QCoreApplication, QVBoxLayout, QWidget

#: The most bars a split or reason chart draws (the table lists every one).
MOST_BARS = 12


class ReportChart(QWidget):
    """One bar chart: per period (no split), per split key, or per cancellation reason."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background="w", foreground="#33404d")
        self.pg = pg
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        for side in ("left", "bottom"):  # numbers along an axis read as the table's: 10,000
            self.plot.getAxis(side).tickStrings = grouped_ticks
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.bars: Any = None
        self.heights: list[float] = []
        self.labels: list[str] = []
        self.across = True  # bars per period along the bottom (else per name, going right)
        self.disposed = False

    def dispose(self) -> None:
        """Take the plot apart while every Python object of it is alive (pyqtgraph's own close:
        the scene cleared, the widget detached), then let Qt delete it. A pyqtgraph widget left
        for its parent's destructor calls back into Python objects already collected, which
        can crash the process (seen once in the test suite, inside a later modal dialog)."""
        if self.disposed:
            return
        self.disposed = True
        plot, self.bars = self.plot, None
        plot.close()
        plot.deleteLater()

    def show_report(self, report: Report) -> None:
        """Draw ``report``: bars per period going up, or, per split key or reason, bars going
        right with their names down the left (largest first)."""
        if self.disposed:
            return
        labels, values, title = self._series(report)
        self.labels, self.heights = labels, values
        self.across = report.split is None and report.kind != "reasons"
        plot = self.plot
        plot.clear()
        plot.setTitle(title)
        top = max([*values, 1.0]) * 1.1
        span = (-0.6, max(0, len(values) - 1) + 0.6)
        if self.across:
            self.bars = self.pg.BarGraphItem(x=list(range(len(values))), height=values, width=0.7,
                                             brush="#3d7cc9", pen=None)
            plot.getAxis("left").setTicks(None)
            plot.setXRange(*span, padding=0)
            plot.setYRange(0, top, padding=0)
        else:  # the largest on top: row 0 is drawn highest
            rows = [len(values) - 1 - i for i in range(len(values))]
            self.bars = self.pg.BarGraphItem(x0=0, y=rows, width=values, height=0.7, brush="#3d7cc9", pen=None)
            plot.getAxis("left").setTicks([[(row, label) for row, label in zip(rows, labels, strict=True)]])
            plot.getAxis("bottom").setTicks(None)
            plot.setYRange(*span, padding=0)
            plot.setXRange(0, top, padding=0)
        plot.addItem(self.bars)
        self._apply_ticks()

    def _apply_ticks(self) -> None:
        """As many period labels along the bottom as fit the chart's width (every n-th one)."""
        if not self.labels or not self.across or self.disposed:
            return
        metrics = self.fontMetrics()
        widest = max(metrics.horizontalAdvance(label) for label in self.labels) + 12
        room = max(1, (self.plot.width() - 70) // widest)
        step = max(1, -(-len(self.labels) // room))
        self.plot.getAxis("bottom").setTicks([[(i, label) for i, label in enumerate(self.labels) if i % step == 0]])

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._apply_ticks()

    def _series(self, report: Report) -> tuple[list[str], list[float], str]:
        if report.kind == "reasons":
            from ...services.reports import reason_label

            counts = sorted(report.total.cancels.items(), key=lambda kv: (-kv[1], kv[0]))[:MOST_BARS]
            return ([pick(*reason_label(code)) for code, _ in counts], [float(n) for _, n in counts],
                    QCoreApplication.translate("ReportChart", "取消次数（按原因）"))
        refunds = report.kind == "refunds"

        def money(n: Numbers) -> float:  # yuan, for bar heights only
            return (n.refunded_fen if refunds else n.paid_fen) / 100

        translate = QCoreApplication.translate
        title = (translate("ReportChart", "已退金额（元）") if report.kind == "refunds"
                 else translate("ReportChart", "实收金额（元）"))
        if report.split is None:
            return report.titles, [money(n) for n in report.totals], title
        splits = report.splits[:MOST_BARS]
        return ([pick(s.zh, s.en) for s in splits], [money(report.split_totals[s.key]) for s in splits], title)


def grouped_ticks(values: list[float], scale: float, spacing: float) -> list[str]:
    """An axis's automatic tick labels with thousands separators (``10,000``; decimals only
    where the ticks are closer than 1). Ticks a chart names itself (periods, names) are not these."""
    places = 0 if spacing * scale >= 1 else 2
    return [f"{v * scale:,.{places}f}" for v in values]
