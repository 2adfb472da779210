"""Where the bundled files (font, translations, icons) are, in a source tree or a frozen build.

PyInstaller unpacks data files under ``sys._MEIPASS``; from a source checkout they sit in
``resources/`` beside the package. Every caller asks here, so a packaging change touches one
function. No Qt here: the CLI may want the same paths.
"""

from __future__ import annotations

import sys
from pathlib import Path

FONT_FILE = ("fonts", "wqy-microhei.ttc")
FONT_LICENCE = ("fonts", "wqy-microhei.LICENSE.txt")
I18N_DIR = ("i18n",)


def resource_root() -> Path:
    """The ``resources`` folder: inside the PyInstaller bundle if frozen, else the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath(*parts)


def font_path() -> Path:
    return resource_path(*FONT_FILE)


def font_licence_text() -> str:
    """The bundled font's licence, for the About box (empty if the file is missing)."""
    try:
        return resource_path(*FONT_LICENCE).read_text("utf-8")
    except OSError:
        return ""


def translation_path(lang: str) -> Path:
    """The compiled Qt translation (.qm) for a UI language, e.g. ``en`` -> kashop_en.qm."""
    return resource_path(*I18N_DIR, f"kashop_{lang}.qm")
