"""Translations: placeholders survive translation, the .qm is built from the current .ts, the
English catalogue loads, and no source string is assembled with an f-string around tr()."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.resources import resource_path

pytestmark = pytest.mark.gui

TS = resource_path("i18n", "kashop_en.ts")
QM = resource_path("i18n", "kashop_en.qm")
GUI_DIR = Path(__file__).resolve().parents[2] / "kashop_desktop" / "gui"
PLACEHOLDER = re.compile(r"%L?\d+|%n|\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text or ""))


def messages() -> list[tuple[str, str, ET.Element]]:
    root = ET.parse(TS).getroot()
    return [(ctx.findtext("name") or "", msg.findtext("source") or "", msg.find("translation"))  # type: ignore[misc]
            for ctx in root.iter("context") for msg in ctx.iter("message")]


def forms(translation: ET.Element) -> list[str]:
    """A translation's text, or each of its plural forms (a message with a count: 1 refund / 2 refunds)."""
    plural = translation.findall("numerusform")
    return [f.text or "" for f in plural] if plural else [translation.text or ""]


def test_every_translation_keeps_the_placeholders_of_its_source() -> None:
    checked = 0
    problems = []
    for context, source, translation in messages():
        if translation is None or translation.get("type") in ("obsolete", "vanished"):
            continue
        wanted = placeholders(source)
        if not wanted:
            continue
        checked += 1
        texts = forms(translation)
        if translation.get("type") == "unfinished" and not any(texts):
            continue  # falls back to the (correct) source text
        problems += [f"{context}: {source!r} -> {text!r}" for text in texts if placeholders(text) != wanted]
    assert checked > 20
    assert not problems, "\n".join(problems)


def test_the_english_catalogue_is_finished_for_the_main_screens() -> None:
    unfinished = [f"{c}: {s}" for c, s, t in messages()
                  if c in ("OrdersPage", "OrderDetailPane", "MainWindow", "OrdersModel", "Labels", "App")
                  and t is not None and t.get("type") == "unfinished"]
    assert not unfinished, "\n".join(unfinished)


def test_the_qm_is_compiled_from_the_current_ts(tmp_path: Path) -> None:
    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent)) or shutil.which(
        "pyside6-lrelease")
    assert lrelease, "pyside6-lrelease is part of PySide6; the .venv should have it"
    fresh = tmp_path / "fresh.qm"
    subprocess.run([lrelease, "-silent", "-nounfinished", str(TS), "-qm", str(fresh)], check=True, timeout=60)
    assert QM.exists(), "run packaging/update_translations.sh"
    assert QM.read_bytes() == fresh.read_bytes(), "kashop_en.qm is older than kashop_en.ts: run " \
                                                  "packaging/update_translations.sh"


def test_installing_english_translates_labels_and_screens(qtbot: Any, desk: Any) -> None:
    from kashop_desktop.gui.context import DeskContext
    from kashop_desktop.gui.i18n import install_translator, remove_translators, status_label, ui_lang
    from kashop_desktop.gui.orders_page import OrdersPage
    from kashop_desktop.gui.qt import QApplication

    app = QApplication.instance()
    translators = install_translator(app, "en")
    ctx = DeskContext(desk)
    try:
        assert ui_lang() == "en"
        assert status_label("pending_payment") == "Unpaid"
        page = OrdersPage(ctx)
        qtbot.addWidget(page)
        assert page.tabs.tabText(0) == "All 0"
        assert page.detail.buttons["cancel"].text() == "Cancel order"
    finally:
        remove_translators(app, translators)
        ctx.worker.shutdown()
    assert ui_lang() == "zh"
    assert status_label("pending_payment") == "待支付"


def test_no_source_string_is_an_f_string_inside_tr() -> None:
    pattern = re.compile(r"""\b(?:tr|translate)\((?:\s*"[^"]*",)?\s*f["']""")
    offenders = [f"{path.name}:{n}" for path in GUI_DIR.rglob("*.py")
                 for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if pattern.search(line)]
    assert not offenders, offenders


def _tr_calls() -> list[tuple[str, str, str]]:
    """(context, source, where) of every tr()/translate() call with literal text in the GUI code.

    self.tr() takes the enclosing class as its context, as pyside6-lupdate does."""
    found: list[tuple[str, str, str]] = []

    def visit(node: ast.AST, cls: str, path: Path) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                        for a in child.args]
                where = f"{path.name}:{child.lineno}"
                if name == "tr" and args and args[0] is not None and (len(args) == 1 or (len(args) == 3 and args[1] == "")):
                    found.append((cls, args[0], where))  # with a count: tr(text, "", n), a plural in English
                elif name == "translate" and len(args) >= 2 and None not in args[:2]:
                    found.append((args[0], args[1], where))  # type: ignore[arg-type]
                elif name in ("tr", "translate"):
                    found.append(("?", ast.unparse(child), where))  # lupdate cannot read it
            visit(child, child.name if isinstance(child, ast.ClassDef) else cls, path)

    for path in sorted(GUI_DIR.rglob("*.py")):
        visit(ast.parse(path.read_text("utf-8")), "", path)
    return found


def test_every_tr_call_in_the_gui_is_extracted_and_translated() -> None:
    """lupdate skips tr() inside f-strings, non-literal texts and an alias named tr (it reads the
    context as the text): such strings would stay Chinese in the English UI."""
    finished = {(c, s) for c, s, t in messages() if t is not None and t.get("type") is None and all(forms(t))}
    calls = _tr_calls()
    assert len(calls) > 200
    missing = [f"{where}: {context}: {source!r}" for context, source, where in calls
               if (context, source) not in finished]
    assert not missing, "run packaging/update_translations.sh and translate:\n" + "\n".join(missing)


def test_the_bundled_cjk_font_loads_and_backs_the_app_font(qtbot: Any) -> None:
    from kashop_desktop.gui.app import BUNDLED_FAMILY, load_cjk_font
    from kashop_desktop.gui.qt import QApplication, QFontDatabase
    from kashop_desktop.resources import font_path

    font_id = QFontDatabase.addApplicationFont(str(font_path()))
    assert font_id >= 0 and BUNDLED_FAMILY in QFontDatabase.applicationFontFamilies(font_id)
    QFontDatabase.removeApplicationFont(font_id)
    app = QApplication.instance()
    before = app.font()
    try:
        assert load_cjk_font(app) == BUNDLED_FAMILY
        assert BUNDLED_FAMILY in app.font().families()[1:], "a fallback behind the platform's UI font"
    finally:
        app.setFont(before)


def test_resources_are_found_in_a_pyinstaller_bundle(monkeypatch: Any, tmp_path: Path) -> None:
    from kashop_desktop import resources

    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.font_path() == tmp_path / "resources" / "fonts" / "wqy-microhei.ttc"
    assert resources.translation_path("en") == tmp_path / "resources" / "i18n" / "kashop_en.qm"
    monkeypatch.delattr(sys, "_MEIPASS")
    assert resources.font_path().is_file()


def test_counts_meet_their_nouns_in_english(qtbot: Any) -> None:
    """Where a count meets a noun the English has a singular and a plural (Qt's numerus forms)."""
    from kashop_desktop.gui.i18n import install_translator, remove_translators
    from kashop_desktop.gui.qt import QApplication, QCoreApplication

    plural = [(c, s) for c, s, t in messages() if t is not None and len(t.findall("numerusform")) == 2]
    assert ("ReportsPage", "实收 {paid}，{orders} 个订单") in plural and len(plural) >= 20
    app = QApplication.instance()
    translators = install_translator(app, "en")
    try:
        one = QCoreApplication.translate("ReportsPage", "实收 {paid}，{orders} 个订单", "", 1)
        two = QCoreApplication.translate("ReportsPage", "实收 {paid}，{orders} 个订单", "", 2)
        assert (one, two) == ("Received {paid} from {orders} order", "Received {paid} from {orders} orders")
    finally:
        remove_translators(app, translators)
