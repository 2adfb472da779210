"""The About dialog: version, where the data and the log are, and the licences of what we ship.

The font and library licences are shown because the installers redistribute them: the
WenQuanYi Micro Hei font (Apache-2.0 or GPL-3+ with the font exception, full text from
resources/fonts/wqy-microhei.LICENSE.txt, found through kashop_desktop.resources) and the Python libraries frozen into the app. Qt and
PySide6 are used under the LGPLv3 and ship as separate shared libraries the owner may replace.
"""

from __future__ import annotations

import html
import sys
from importlib import metadata
from pathlib import Path
from typing import ClassVar

from .. import version
from ..resources import font_licence_text, resource_path
from .qt import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPixmap,
    QPlainTextEdit,
    Qt,
    QTabWidget,
    QtCore,
    QTextBrowser,
    QtGui,
    QVBoxLayout,
    QWidget,
)

FONT_NAME = "WenQuanYi Micro Hei (文泉驿微米黑)"
FONT_LICENCE = "Apache-2.0 or GPL-3.0-or-later with font exception"
ICON_FILE = ("icons", "kashop.png")

# (shown name, distribution name for the version, licence). Transitive runtime libraries are
# listed too: the frozen app redistributes them.
LIBRARIES: list[tuple[str, str, str]] = [
    ("Qt 6 / PySide6", "PySide6-Essentials", "LGPL-3.0"),
    ("Shiboken6", "shiboken6", "LGPL-3.0"),
    ("peewee", "peewee", "MIT"),
    ("qasync", "qasync", "BSD-2-Clause"),
    ("httpx", "httpx", "BSD-3-Clause"),
    ("httpcore", "httpcore", "BSD-3-Clause"),
    ("h11", "h11", "MIT"),
    ("anyio", "anyio", "MIT"),
    ("idna", "idna", "BSD-3-Clause"),
    ("certifi", "certifi", "MPL-2.0"),
    ("cryptography", "cryptography", "Apache-2.0 or BSD-3-Clause"),
    ("cffi", "cffi", "MIT-0"),
    ("chinesecalendar", "chinesecalendar", "MIT"),
    ("phonenumbers", "phonenumbers", "Apache-2.0"),
    ("platformdirs", "platformdirs", "MIT"),
    ("openpyxl", "openpyxl", "MIT"),
    ("et-xmlfile", "et-xmlfile", "MIT"),
    ("XlsxWriter", "xlsxwriter", "BSD-2-Clause"),
    ("pyqtgraph", "pyqtgraph", "MIT"),
    ("NumPy", "numpy", "BSD-3-Clause (with the bundled OpenBLAS: BSD-3-Clause)"),
    ("colorama", "colorama", "BSD-3-Clause"),
    ("keyring", "keyring", "MIT"),
    ("SecretStorage", "SecretStorage", "BSD-3-Clause"),
    ("jeepney", "jeepney", "MIT"),
    ("Python", "", "PSF-2.0"),
]


def library_version(dist: str) -> str:
    if not dist:
        return sys.version.split()[0]
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "—"


class AboutDialog(QDialog):
    """Modeless: the main window calls ``AboutDialog(parent, data_dir, log_file).show()``."""

    _unparented: ClassVar[set[AboutDialog]] = set()  # keeps a parentless dialog alive until it closes

    def __init__(self, parent: QWidget | None, data_dir: str | Path, log_file: str | Path) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if parent is None:
            AboutDialog._unparented.add(self)
            self.finished.connect(lambda _result: AboutDialog._unparented.discard(self))
        self.setObjectName("AboutDialog")
        self.setWindowTitle(self.tr("关于卡店订单台"))
        self.data_dir = Path(data_dir)
        self.log_file = Path(log_file)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._about_tab(), self.tr("关于"))
        self.tabs.addTab(self._licences_tab(), self.tr("许可"))
        self.tabs.addTab(self._font_licence_tab(), self.tr("字体许可全文"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.resize(620, 520)

    def _about_tab(self) -> QWidget:
        page = QWidget(self)
        header = QHBoxLayout()
        icon = resource_path(*ICON_FILE)
        if icon.exists():
            logo = QLabel(page)
            logo.setPixmap(QPixmap(str(icon)).scaled(
                72, 72, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
            header.addWidget(logo)
        self.title_label = QLabel(page)
        self.title_label.setObjectName("aboutTitle")
        # lupdate does not look inside f-strings: the tr() calls stay outside them.
        app_name = self.tr("卡店订单台")
        tagline = self.tr("小卡店的订单台：订单、取消、审核与原路退款。")
        self.title_label.setText(
            f"<h2>{html.escape(app_name)}</h2>"
            f"<p>kashop-desktop {html.escape(version())}</p>"
            f"<p>{html.escape(tagline)}</p>")
        header.addWidget(self.title_label, 1)
        info = QLabel(page)
        info.setObjectName("aboutPaths")
        info.setTextFormat(Qt.TextFormat.RichText)
        info.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        info.setOpenExternalLinks(True)
        info.setWordWrap(True)
        rows = [
            (self.tr("版本"), html.escape(version())),
            (self.tr("数据目录"), self._link(self.data_dir)),
            (self.tr("日志文件"), self._link(self.log_file)),
            (self.tr("运行环境"), html.escape(
                f"Python {sys.version.split()[0]}, Qt {QtCore.qVersion()}, "
                f"PySide6 {library_version('PySide6-Essentials')}")),
        ]
        info.setText("<table cellspacing='6'>" + "".join(
            f"<tr><td><b>{html.escape(k)}</b></td><td>{v}</td></tr>" for k, v in rows) + "</table>")
        self.paths_label = info
        layout = QVBoxLayout(page)
        layout.addLayout(header)
        layout.addWidget(info)
        layout.addStretch(1)
        return page

    @staticmethod
    def _link(path: Path) -> str:
        """The path as a link that opens its folder (the log file's folder, since it may not exist yet)."""
        folder = path if path.is_dir() or not path.suffix else path.parent
        url = QtCore.QUrl.fromLocalFile(str(folder)).toString()
        return f"<a href='{html.escape(url)}'>{html.escape(str(path))}</a>"

    def _licences_tab(self) -> QWidget:
        self.licences = QTextBrowser(self)
        self.licences.setObjectName("aboutLicences")
        self.licences.setOpenExternalLinks(True)
        font_rows = f"<tr><td>{html.escape(FONT_NAME)}</td><td>0.2.0-beta</td><td>{html.escape(FONT_LICENCE)}</td></tr>"
        lib_rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(library_version(dist))}</td>"
            f"<td>{html.escape(licence)}</td></tr>" for name, dist, licence in LIBRARIES)
        # lupdate does not look inside f-strings: the tr() calls stay outside them.
        name_h, version_h, licence_h = self.tr("名称"), self.tr("版本"), self.tr("许可")
        fonts_h, libraries_h = self.tr("随附字体"), self.tr("随附程序库")
        lgpl_note = self.tr("Qt 与 PySide6 以 LGPLv3 许可使用，作为独立的共享库随附，可以自行替换。")
        head = (f"<tr><th align='left'>{html.escape(name_h)}</th>"
                f"<th align='left'>{html.escape(version_h)}</th>"
                f"<th align='left'>{html.escape(licence_h)}</th></tr>")
        self.licences.setHtml(
            f"<h3>{html.escape(fonts_h)}</h3><table cellspacing='4'>{head}{font_rows}</table>"
            f"<h3>{html.escape(libraries_h)}</h3><table cellspacing='4'>{head}{lib_rows}</table>"
            f"<p>{html.escape(lgpl_note)}</p>")
        return self.licences

    def _font_licence_tab(self) -> QWidget:
        text = QPlainTextEdit(self)
        text.setObjectName("aboutFontLicence")
        text.setReadOnly(True)
        text.setPlainText(font_licence_text() or f"{FONT_NAME}: {FONT_LICENCE}")
        text.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.font_licence = text
        return text

    def licence_text(self) -> str:
        """Everything the licences tabs show, as plain text (for tests and copy)."""
        return self.licences.toPlainText() + "\n" + self.font_licence.toPlainText()
