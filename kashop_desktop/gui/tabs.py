"""A tab bar that fits its width: no scroll arrows, ever, and whole labels wherever possible.

On a small screen (1024 px, English labels, a shop with six-digit counts) a row of status tabs
with counts can be wider than the page. Scroll arrows would hide tabs off to the side. Instead
``fit_counts`` tries, in order, until the row fits (``LEVELS``): every label with its exact
count; without the counts said elsewhere (全部: the count beside the search box); with half
the space beside each label; counts of 10,000 and more shortened (12.3万 / 12.3k, 1.2M);
with a quarter of the space; counts in whole 万 / k / M. Only then does each tab elide its
label. Every tab's tooltip holds its label with the exact count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .i18n import ui_lang
from .qt import QProxyStyle, QStyle, Qt, QTabBar, QWidget

#: Counts from this size on may be shortened (12.3万, 12.3k) when the full ones do not fit.
SHORTEN_FROM = 10_000
#: What each step of ``fit_counts`` gives up: (optional counts out, space beside each label
#: divided by, counts shortened: 0 no, 1 to one decimal, 2 to whole 万 / k / M).
LEVELS = ((False, 1, 0), (True, 1, 0), (True, 2, 0), (True, 2, 1), (True, 4, 1), (True, 4, 2))


@dataclass(frozen=True)
class TabCount:
    """One tab's words and count; ``optional``: the count is shown elsewhere too, so it may go."""

    label: str
    count: int
    optional: bool = False


def short_count(n: int, lang: str, whole: bool = False) -> str:
    """``n`` for a narrow tab: exact below ``SHORTEN_FROM``; else 万 (Chinese) or k / M (English)
    with at most one decimal (none with ``whole``), rounded down so a count never reads larger
    than it is."""
    if n < SHORTEN_FROM:
        return f"{n:,}"
    if whole:
        if lang != "en":
            return f"{n // 10_000}万"
        return f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000}M"
    if lang != "en":
        return f"{n // 1000 / 10:g}万" if n < 1_000_000 else f"{n // 10_000}万"
    if n < 100_000:
        return f"{n // 100 / 10:g}k"
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n // 100_000 / 10:g}M"


class _TabSpacing(QProxyStyle):
    """The application's style, with the space beside each tab's label divided by ``divisor``."""

    def __init__(self) -> None:
        super().__init__()
        self.divisor = 1

    def pixelMetric(self, metric: QStyle.PixelMetric, option: Any = None, widget: Any = None) -> int:
        value = int(super().pixelMetric(metric, option, widget))
        if metric == QStyle.PixelMetric.PM_TabBarTabHSpace:
            return value // self.divisor
        return value


class FittingTabBar(QTabBar):
    """``set_label`` sets a tab's text and its tooltip; ``fit_counts`` labels every tab with its
    count, giving up what it must (``LEVELS``) to keep every label whole."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setUsesScrollButtons(False)
        self.setElideMode(Qt.TextElideMode.ElideRight)
        # The bar owns its style (a widget does not take ownership in setStyle): the style then
        # lives exactly as long as the bar, whatever order Python drops its wrappers in.
        self.spacing = _TabSpacing()
        self.spacing.setParent(self)
        self.setStyle(self.spacing)
        self.level = 0  # the step of LEVELS the last fit_counts stopped at
        self._counts: list[TabCount] = []
        self._fitting = False

    def set_label(self, index: int, text: str, tooltip: str | None = None) -> None:
        if self.tabText(index) != text:
            self.setTabText(index, text)
        tip = tooltip or text
        if self.tabToolTip(index) != tip:
            self.setTabToolTip(index, tip)

    def fit_counts(self, tabs: list[TabCount]) -> None:
        """Label each tab "label count", as fully as the width allows (see the module); again
        whenever the bar's width changes."""
        self._counts = list(tabs)
        if self._fitting:
            return
        self._fitting = True
        try:
            self._fit(tabs)
        finally:
            self._fitting = False

    def _fit(self, tabs: list[TabCount]) -> None:
        lang = ui_lang()
        for level, (drop_optional, divisor, short) in enumerate(LEVELS):
            self.level = level
            if self.spacing.divisor != divisor:
                self.spacing.divisor = divisor
                self.setIconSize(self.iconSize())  # the tabs are measured again with the new spacing
            for i, tab in enumerate(tabs):
                count = short_count(tab.count, lang, whole=short > 1) if short else f"{tab.count:,}"
                text = tab.label if drop_optional and tab.optional else self._text(tab.label, count)
                self.set_label(i, text, self._text(tab.label, f"{tab.count:,}"))
            if self.fits():
                return

    def fits(self) -> bool:
        """Whether every visible tab shows its whole label (a hidden bar has no width yet)."""
        return not self.isVisible() or self.sizeHint().width() <= self.width()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self._counts:
            self.fit_counts(self._counts)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._counts:
            self.fit_counts(self._counts)

    def _text(self, label: str, count: str) -> str:
        return self.tr("{label} {count}").format(label=label, count=count)
