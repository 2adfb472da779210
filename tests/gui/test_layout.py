"""The orders screen fits the words it shows: chips in either language, small laptop screens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.services.desk import Desk

pytestmark = pytest.mark.gui


def test_english_status_chips_are_not_cut_by_widths_saved_in_chinese(qtbot: Any, desk: Desk,
                                                                     tmp_path: Path) -> None:
    from kashop_desktop.gui.context import DeskContext
    from kashop_desktop.gui.i18n import install_translator, remove_translators, status_label
    from kashop_desktop.gui.orders_model import COL_STATUS
    from kashop_desktop.gui.orders_page import TAB_STATUSES, OrdersPage
    from kashop_desktop.gui.qt import QApplication, QSettings

    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    ctx = DeskContext(desk)
    app = QApplication.instance()
    try:
        chinese = OrdersPage(ctx)
        qtbot.addWidget(chinese)
        chinese.save_state(settings)  # the width that fits 部分退款
        saved = chinese.view.columnWidth(COL_STATUS)
        translators = install_translator(app, "en")
        try:
            english = OrdersPage(ctx)
            qtbot.addWidget(english)
            english.restore_state(settings)
            metrics = english.view.fontMetrics()
            longest = max(metrics.horizontalAdvance(status_label(s)) for s in TAB_STATUSES if s)
            assert longest + 24 > saved  # the Chinese width would elide the English chip
            assert english.view.columnWidth(COL_STATUS) >= longest + 24  # chip padding and margins
        finally:
            remove_translators(app, translators)
    finally:
        ctx.worker.shutdown()


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_small_laptop_screen_shows_the_whole_row_and_more_than_five_rows(qtbot: Any, demo_desk: Desk,
                                                                          tmp_path: Path, lang: str) -> None:
    from kashop_desktop.gui.context import DeskContext
    from kashop_desktop.gui.i18n import install_translator, remove_translators
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QApplication, QScrollArea, QSettings

    app = QApplication.instance()
    translators = install_translator(app, lang)
    ctx = DeskContext(demo_desk)
    try:
        window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        window.persist_layout = False
        window.resize(1024, 640)
        window.show()
        qtbot.waitExposed(window)
        assert window.width() == 1024  # nothing in the orders screen needs more (新建订单… sits by the tabs)
        page = window.orders_page
        page.select_row(0)
        qtbot.waitUntil(lambda: page.view.horizontalHeader().length() <= page.view.viewport().width(), timeout=3000)
        assert page.view.horizontalScrollBar().maximum() == 0  # 状态 and 支付方式 in view
        rows = page.view.viewport().height() // page.view.rowHeight(0)
        assert rows > 5, rows
        scroll = page.detail.findChild(QScrollArea)
        assert scroll.horizontalScrollBar().maximum() == 0  # the buttons wrap under the title instead
        for row in range(12):  # long products, points, an amount due: the facts stay in view
            page.select_row(row)
            QApplication.processEvents()
            assert scroll.horizontalScrollBar().maximum() == 0, (row, page.detail.title.text())
        detail = page.detail
        for index, table in enumerate((detail.timeline, detail.requests_table, detail.refunds_table)):
            detail.tabs.setCurrentIndex(index)
            QApplication.processEvents()
            assert table.horizontalScrollBar().maximum() == 0, index  # columns share the width and elide
        assert all(b.isVisible() for b in page.detail.buttons.values())
        window.show_page("settings")  # taller than the screen: it scrolls, the window stays
        QApplication.processEvents()
        assert window.height() == 640
    finally:
        remove_translators(app, translators)
        ctx.worker.shutdown()


def test_switching_the_language_needs_no_restart(qtbot: Any, demo_desk: Desk, tmp_path: Path) -> None:
    import asyncio

    from kashop_desktop.gui.i18n import remove_translators, switch_language, ui_lang
    from kashop_desktop.gui.main_window import FIRST_RUN_SIZE, PAGE_KEYS, MainWindow
    from kashop_desktop.gui.qt import QApplication, QSettings
    from tests.gui.test_dialogs import desk_context, qasync_loop

    app = QApplication.instance()
    loops = qasync_loop(app)
    next(loops)
    contexts = desk_context(demo_desk, asyncio.get_event_loop(), qtbot)
    ctx = next(contexts)
    try:
        window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        window.persist_layout = False
        window.show()  # a first run's size on the desktop screen (tests/offscreen_screens.json)
        assert (window.width(), window.height()) == FIRST_RUN_SIZE  # room for each tab's count, 全部's too
        page = window.orders_page
        page.select_row(3)
        chosen = page.current_row().id
        settings = window.show_page("settings")
        settings.language.setCurrentIndex(settings.language.findData("en"))
        qtbot.waitUntil(lambda: window.nav.item(0).text() == "Orders", timeout=5000)
        assert ui_lang() == "en" and demo_desk.setting("language") == "en"
        assert window.orders_page is not page  # built again, in English
        assert window.orders_page.tabs.tabText(0).startswith("All ")
        assert window.orders_page.detail.buttons["cancel"].text() == "Cancel order"
        assert window.menuBar().actions()[0].text() == "&File"
        assert window.nav.currentRow() == PAGE_KEYS.index("settings")  # the owner stays where they were
        assert window.orders_page.current_row().id == chosen  # and so does the selected order
        window.switch_language("zh")
        assert window.nav.item(0).text() == "订单" and ui_lang() == "zh"
    finally:
        switch_language(app, "zh_CN")
        remove_translators(app, [])
        for gen in (contexts, loops):
            next(gen, None)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_page_fits_a_small_laptop_screen_without_sideways_scrolling(qtbot: Any, demo_desk: Desk,
                                                                          tmp_path: Path, lang: str) -> None:
    from kashop_desktop.gui.context import DeskContext
    from kashop_desktop.gui.i18n import install_translator, remove_translators
    from kashop_desktop.gui.main_window import PAGE_KEYS, MainWindow
    from kashop_desktop.gui.qt import QApplication, QSettings, QTabBar, QtWidgets

    app = QApplication.instance()
    translators = install_translator(app, lang)
    ctx = DeskContext(demo_desk)
    try:
        window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        window.persist_layout = False
        window.resize(1024, 640)
        window.show()
        qtbot.waitExposed(window)
        for key in PAGE_KEYS:
            page = window.show_page(key)
            QApplication.processEvents()
            for tabs in page.findChildren(QTabBar):  # never scroll arrows, every label whole
                if tabs.isVisible() and tabs.parent() is page:
                    assert not tabs.usesScrollButtons(), key
                    assert tabs.sizeHint().width() <= tabs.width() + 1, (key, tabs.sizeHint().width())
            for area in page.findChildren(QtWidgets.QAbstractScrollArea):
                if area.isVisible() and area.window() is window and area.parent() is page:
                    assert area.horizontalScrollBar().maximum() == 0, (key, type(area).__name__)
    finally:
        remove_translators(app, translators)
        ctx.worker.shutdown()


def test_counts_shorten_without_ever_reading_larger() -> None:
    from kashop_desktop.gui.tabs import short_count

    assert [short_count(n, "zh") for n in (9_999, 10_000, 18_447, 225_942, 1_234_567)] == [
        "9,999", "1万", "1.8万", "22.5万", "123万"]
    assert [short_count(n, "en") for n in (9_999, 18_447, 110_667, 999_999, 1_234_567)] == [
        "9,999", "18.4k", "110k", "999k", "1.2M"]
    assert [short_count(n, "en", whole=True) for n in (18_447, 1_234_567)] == ["18k", "1M"]
    assert short_count(18_447, "zh", whole=True) == "1万"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_big_shops_tab_labels_stay_whole_on_a_small_laptop_screen(qtbot: Any, demo_desk: Desk,
                                                                   tmp_path: Path, lang: str) -> None:
    """Six-digit counts, the 扣留待审 tab in use: at 1024x640 every label and count is whole
    (shortened counts at worst, exact in the tooltip); at 1366x768 every count but 全部's is
    exact and the tabs keep their spacing."""
    from kashop_desktop.gui.app import load_cjk_font
    from kashop_desktop.gui.context import DeskContext
    from kashop_desktop.gui.i18n import install_translator, remove_translators
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QApplication, QSettings
    from kashop_desktop.services import buyers, views

    load_cjk_font(QApplication.instance())  # the desk's own font, as the window has it
    demo_desk.db.execute_sql("UPDATE status_count SET n = n * 1537 + 3")  # as a big shop counts
    buyers.block(demo_desk, "13800138000", "刷单")
    counts = views.status_counts(demo_desk)
    app = QApplication.instance()
    translators = install_translator(app, lang)
    ctx = DeskContext(demo_desk)
    try:
        window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        window.persist_layout = False
        tabs = window.orders_page.tabs
        for size, most in (((1366, 768), 1), ((1024, 640), 5)):
            window.resize(*size)
            window.show()
            qtbot.waitExposed(window)
            QApplication.processEvents()
            shown = [i for i in range(tabs.count()) if tabs.isTabVisible(i)]
            assert len(shown) == tabs.count()  # 扣留待审 included
            assert tabs.sizeHint().width() <= tabs.width(), (size, tabs.level)
            for i in shown:
                assert tabs.tabRect(i).width() >= tabs.tabSizeHint(i).width(), tabs.tabText(i)  # not elided
            assert tabs.level <= most, (size, tabs.level)
            assert f"{counts['completed']:,}" in tabs.tabToolTip(5)  # the exact count, always
    finally:
        remove_translators(app, translators)
        ctx.worker.shutdown()



def test_long_status_bar_texts_never_make_the_window_wider_than_a_small_screen(qtbot: Any, demo_desk: Desk,
                                                                              tmp_path: Path) -> None:
    from kashop_desktop.gui.context import DeskContext
    from kashop_desktop.gui.i18n import install_translator, remove_translators
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QApplication, QSettings

    app = QApplication.instance()
    translators = install_translator(app, "en")
    ctx = DeskContext(demo_desk)
    try:
        window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        window.persist_layout = False
        long_name = "NetEase Cloud Music vinyl membership, annual card (physical, gift box edition)"
        window.stock_label.setText(f"Low stock: {long_name}; Tencent Video VIP season card")
        window.stock_label.setVisible(True)
        window.operator_label.setText("Operator: Wang Xiaoming the night-shift clerk (clerk)")
        window.resize(1024, 640)
        window.show()
        qtbot.waitExposed(window)
        QApplication.processEvents()
        assert window.minimumSizeHint().width() <= 1024
        assert window.width() == 1024
        label = window.stock_label
        assert label.width() < label.sizeHint().width()  # cut with …, not widening the window
        label.repaint()
        assert long_name in label.toolTip()  # the whole text where the label is cut
    finally:
        remove_translators(app, translators)
        ctx.worker.shutdown()
