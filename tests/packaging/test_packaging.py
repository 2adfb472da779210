"""Fast packaging checks for the normal test run (the real frozen build is packaging/ci_packaging.sh).

The spec is executed with PyInstaller's entry points replaced by recorders, so these checks need
neither PyInstaller nor a build; makensis and desktop-file-validate are used when installed.
"""

from __future__ import annotations

import configparser
import re
import shutil
import sqlite3
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "kashop-desktop.spec"
DESKTOP = PACKAGING / "linux" / "kashop-desktop.desktop"
CONTROL = PACKAGING / "linux" / "control.in"
NSI = PACKAGING / "windows" / "kashop-desktop.nsi"
QT_DEPENDS = {
    "libgl1", "libegl1", "libglib2.0-0", "libfontconfig1", "libdbus-1-3", "libxkbcommon0", "libxkbcommon-x11-0",
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-render-util0", "libxcb-shape0",
    "libxcb-xkb1", "libxcb1", "libx11-xcb1",
}
GATEWAYS = {"wallet", "sandbox", "epay_v1", "epay_v2", "alipay", "wechatpay_v3"}


# ---- the PyInstaller spec ----------------------------------------------------------------------

class Recorder:
    """Stands in for Analysis/PYZ/EXE/COLLECT and keeps what they were given."""

    calls: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]]

    def __init__(self) -> None:
        self.calls = {}

    def maker(self, name: str) -> Any:
        def make(*args: Any, **kwargs: Any) -> types.SimpleNamespace:
            self.calls.setdefault(name, []).append((args, kwargs))
            return types.SimpleNamespace(binaries=[], datas=[], pure=[], scripts=[], args=args, kwargs=kwargs)
        return make


@pytest.fixture
def spec_run(monkeypatch: pytest.MonkeyPatch) -> tuple[Recorder, dict[str, Any], list[str]]:
    metadata_for: list[str] = []
    hooks = types.ModuleType("PyInstaller.utils.hooks")

    def copy_metadata(dist: str) -> list[tuple[str, str]]:
        metadata_for.append(dist)
        return [(f"/site-packages/{dist}.dist-info", f"{dist}.dist-info")]

    hooks.copy_metadata = copy_metadata  # type: ignore[attr-defined]
    hooks.collect_submodules = lambda package: [f"{package}.<all>"]  # type: ignore[attr-defined]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    rec = Recorder()
    namespace: dict[str, Any] = {"SPECPATH": str(PACKAGING), "__name__": "__main__", "__file__": str(SPEC)}
    namespace.update({n: rec.maker(n) for n in ("Analysis", "PYZ", "EXE", "COLLECT")})
    exec(compile(SPEC.read_text("utf-8"), str(SPEC), "exec"), namespace)
    return rec, namespace, metadata_for


def test_spec_bundles_resources_metadata_and_plugins(spec_run: tuple[Recorder, dict[str, Any], list[str]]) -> None:
    rec, ns, metadata_for = spec_run
    (args, kwargs), = rec.calls["Analysis"]
    assert args[0] == [str(ROOT / "packaging" / "launch.py")]
    assert (str(ROOT / "resources"), "resources") in kwargs["datas"]
    # Entry points (gateway plugins, keyring backends) need the metadata inside the frozen app.
    assert {"kashop-desktop", "keyring"} <= set(metadata_for)
    assert "kashop_desktop.<all>" in kwargs["hiddenimports"]  # gateways are imported by name
    assert "qasync" in kwargs["hiddenimports"]
    assert {"PySide6.QtWebEngineCore", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.Qt3DCore",
            "PySide6.QtMultimedia"} <= set(kwargs["excludes"])
    from importlib import metadata

    assert metadata.version("kashop-desktop") == ns["VERSION"]
    (_coll_args, coll_kwargs), = rec.calls["COLLECT"]
    assert coll_kwargs["name"] == "kashop-desktop"  # one-folder


def test_spec_executables_windowed_on_windows_only(spec_run: tuple[Recorder, dict[str, Any], list[str]]) -> None:
    rec, ns, _ = spec_run
    exes = rec.calls["EXE"]
    assert ns["IS_WIN"] is (sys.platform == "win32")
    if not ns["IS_WIN"]:
        # Linux: one executable that prints to its terminal (CLI commands and --smoke).
        assert [(kw["name"], kw["console"]) for _a, kw in exes] == [("kashop-desktop", True)]
    assert all(kw["icon"].endswith(("kashop.png", "kashop.ico")) for _a, kw in exes)
    assert Path(ns["ICON"]).exists()


def test_spec_drops_unused_qt_plugins(spec_run: tuple[Recorder, dict[str, Any], list[str]]) -> None:
    _rec, ns, _ = spec_run
    keep = ns["keep"]
    assert keep(("PySide6/Qt/plugins/platforms/libqxcb.so", "x", "BINARY"))
    assert keep(("PySide6/Qt/plugins/platforms/libqoffscreen.so", "x", "BINARY"))
    assert keep(("PySide6/Qt/lib/libQt6Svg.so.6", "x", "BINARY"))
    assert not keep(("PySide6/Qt/plugins/imageformats/libqpdf.so", "x", "BINARY"))
    assert not keep(("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "x", "BINARY"))
    assert not keep(("PySide6/Qt/lib/libQt6Pdf.so.6", "x", "BINARY"))


def test_launcher_and_registry_agree_with_pyproject() -> None:
    import tomllib

    from kashop_desktop.gateways import registry

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    declared = project["project"]["entry-points"]["kashop_desktop.gateways"]
    assert set(declared) == GATEWAYS == set(registry.BUILTINS)
    assert project["project"]["scripts"]["kashop-desktop"] == "kashop_desktop.cli:main"
    assert "from kashop_desktop.cli import main" in (PACKAGING / "launch.py").read_text("utf-8")


# ---- Linux: desktop entry, control file, maintainer scripts ------------------------------------

def test_desktop_entry_validates() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator:
        result = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True, check=False)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "卡店订单台"
    assert entry["Name[en]"] == "kashop desk"
    assert entry["Exec"].split()[0] == "kashop-desktop"
    assert entry["Icon"] == "kashop-desktop"
    assert entry["Comment"]
    assert {"Office", "Finance"} <= set(filter(None, entry["Categories"].split(";")))


def test_control_depends_on_the_qt_system_libraries() -> None:
    text = CONTROL.read_text("utf-8")
    fields: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith(" ") and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    depends = {re.split(r"[\s(]", d.strip())[0] for d in fields["Depends"].split(",")}
    assert depends >= QT_DEPENDS
    for name in ("Package", "Version", "Architecture", "Maintainer", "Description", "Installed-Size"):
        assert fields.get(name), name
    assert fields["Package"] == "kashop-desktop"


def test_build_script_uses_zstd_and_opt_layout() -> None:
    script = (PACKAGING / "build_linux.sh").read_text("utf-8")
    assert "-Zzstd" in script and "-Zxz" not in script
    assert '"$STAGE/opt/$NAME"' in script
    assert "usr/share/icons/hicolor/256x256/apps" in script
    assert 'ln -s "/opt/$NAME/$NAME" "$STAGE/usr/bin/$NAME"' in script


@pytest.mark.parametrize("script", ["postinst", "postrm"])
def test_maintainer_scripts_never_touch_user_data(script: str) -> None:
    text = (PACKAGING / "linux" / script).read_text("utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "rm " not in code and "HOME" not in code and "/home" not in code and ".local" not in code
    assert subprocess.run(["sh", "-n", str(PACKAGING / "linux" / script)], check=False).returncode == 0


def test_shell_scripts_parse() -> None:
    for script in sorted(PACKAGING.glob("*.sh")):
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{script.name}: {result.stderr}"


# ---- Windows: the NSIS script ------------------------------------------------------------------

def test_nsis_languages_and_langstrings() -> None:
    text = NSI.read_text("utf-8")
    assert text.index('MUI_LANGUAGE "SimpChinese"') < text.index('MUI_LANGUAGE "English"')
    defined: dict[str, set[str]] = {}
    for name, lang in re.findall(r"^LangString (\w+) \$\{LANG_(\w+)\}", text, re.MULTILINE):
        defined.setdefault(name, set()).add(lang)
    assert defined and all(langs == {"SIMPCHINESE", "ENGLISH"} for langs in defined.values()), defined
    used = set(re.findall(r"\$\((\w+)\)", text))
    assert used <= set(defined), used - set(defined)
    assert "$PROGRAMFILES64\\${APP_ID}" in text
    # The data section of the uninstaller is off unless the owner ticks it.
    assert re.search(r'^Section /o "un\.\$\(UN_SEC_DATA\)"', text, re.MULTILINE)


def test_nsis_script_compiles(tmp_path: Path) -> None:
    makensis = shutil.which("makensis")
    if makensis is None:
        pytest.skip("makensis is not installed (apt-get install nsis); CI's packaging/ci_packaging.sh installs it")
    payload = tmp_path / "payload"
    (payload / "_internal").mkdir(parents=True)
    (payload / "kashop-desktop.exe").write_bytes(b"placeholder")
    out = tmp_path / "kashop-desktop-1.2.3rc1-setup.exe"  # a bare "setup.exe" draws makensis warning 9000
    result = subprocess.run(
        [makensis, "-V2", "-WX", "-DVERSION=1.2.3rc1", f"-DPAYLOAD={payload}", f"-DOUTFILE={out}",
         "-DCOMPRESSOR=zlib", str(NSI)], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.stat().st_size > 50_000


# ---- the app as shipped: About dialog, log file, crash hook ------------------------------------

@pytest.mark.gui
def test_about_dialog_shows_version_paths_and_licences(qtbot: Any, tmp_path: Path) -> None:
    from kashop_desktop import __version__
    from kashop_desktop.gui.about import AboutDialog

    log_file = tmp_path / "logs" / "kashop-desktop.log"
    dialog = AboutDialog(None, tmp_path, log_file)
    qtbot.addWidget(dialog)
    dialog.show()
    assert __version__ in dialog.title_label.text()
    assert str(tmp_path) in dialog.paths_label.text() and str(log_file) in dialog.paths_label.text()
    licences = dialog.licence_text()
    for needle in ("WenQuanYi Micro Hei", "Apache-2.0", "LGPL-3.0", "PySide6", "peewee", "qasync", "httpx",
                   "cryptography", "chinesecalendar", "platformdirs", "openpyxl", "keyring", "MIT", "BSD"):
        assert needle in licences, needle
    # The font licence's full text comes from the bundled file.
    assert "Upstream-Name: WenQuanYi Micro Hei" in dialog.font_licence.toPlainText()
    dialog.close()


def test_setup_logging_writes_rotating_file_without_secrets(tmp_path: Path) -> None:
    import logging

    from kashop_desktop import applog

    path = applog.setup_logging(tmp_path)
    try:
        assert path == tmp_path.resolve() / "logs" / "kashop-desktop.log"
        assert applog.setup_logging(tmp_path) == path  # idempotent: still one handler
        handlers = [h for h in logging.getLogger().handlers if h.get_name() == "kashop-desktop-file"]
        assert len(handlers) == 1
        logging.getLogger("kashop_desktop.test").warning("gateway config %s", {"apiv3_key": "S3CRET-KEY", "mchid": "1900"})
        handlers[0].flush()
        text = path.read_text("utf-8")
        assert "S3CRET-KEY" not in text and "1900" in text and "***" in text
    finally:
        for handler in [h for h in logging.getLogger().handlers if h.get_name() == "kashop-desktop-file"]:
            logging.getLogger().removeHandler(handler)
            handler.close()


def _raise_with_secret() -> None:
    password = "hunter2-SECRET"  # a fake secret that must not reach the report
    raise RuntimeError(f"gateway refused: key={password}")


@pytest.mark.gui
def test_crash_hook_writes_report_and_leaves_database_intact(qtbot: Any, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from kashop_desktop import __version__
    from kashop_desktop.gui.crash import install_excepthook
    from kashop_desktop.gui.qt import QMessageBox

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    db = tmp_path / "data" / "kashop.sqlite3"
    db.parent.mkdir()
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, order_no TEXT)")
        con.execute("INSERT INTO orders (order_no) VALUES ('KS2026111800001')")
    con.close()
    before = db.read_bytes()
    log_dir = tmp_path / "logs"

    handler = install_excepthook(log_dir, lambda: None)
    assert sys.excepthook is handler
    try:
        _raise_with_secret()
    except RuntimeError as exc:
        report = handler(type(exc), exc, exc.__traceback__)

    assert report is not None and report.parent == log_dir and report.exists()
    text = report.read_text("utf-8")
    assert "Traceback" in text and "_raise_with_secret" in text and "RuntimeError" in text
    assert f"version: {__version__}" in text and "python: " in text and "qt: " in text and "platform: " in text
    assert "hunter2-SECRET" not in text
    assert db.read_bytes() == before  # the hook never touches the database
    assert not list(db.parent.glob("*-journal")) and not list(db.parent.glob("*-wal"))
    boxes = [b for b in handler.dialogs if isinstance(b, QMessageBox)]
    assert len(boxes) == 1 and str(report) in boxes[0].informativeText()
    qtbot.waitUntil(boxes[0].isVisible)
    assert "hunter2-SECRET" not in boxes[0].detailedText()
    boxes[0].done(0)
    assert handler.dialogs == []
