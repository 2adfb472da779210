"""Draw the kashop-desktop app icon with QPainter (no Pillow in the project venv).

A vermilion rounded square holding a tilted white gift card with a gold stripe and the glyph 卡
("card"), taken as a path from the bundled WenQuanYi Micro Hei so the icon looks the same on
every machine. Small sizes (<= 32 px) drop the card and keep a bold 卡, which stays legible.

Writes resources/icons/kashop.png (256), kashop.ico (16-256, BMP entries up to 128 and a PNG
entry for 256, the layout Windows and makensis both read) and kashop.svg (scalable, for the
hicolor theme). Run: QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
)
from PySide6.QtSvg import QSvgGenerator

ROOT = Path(__file__).resolve().parents[1]
FONT = ROOT / "resources" / "fonts" / "wqy-microhei.ttc"
OUT = ROOT / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
GLYPH = "卡"


def glyph_path(family: str, box: QRectF) -> QPainterPath:
    """The glyph as a path, scaled and centred to fill ``box``."""
    font = QFont(family)
    font.setPixelSize(100)
    path = QPainterPath()
    path.addText(0, 0, font, GLYPH)
    bounds = path.boundingRect()
    scale = min(box.width() / bounds.width(), box.height() / bounds.height())
    t = QTransform()
    t.translate(box.center().x(), box.center().y())
    t.scale(scale, scale)
    t.translate(-bounds.center().x(), -bounds.center().y())
    return t.map(path)


def paint(p: QPainter, size: float, family: str, *, simple: bool) -> None:
    """Paint the icon into a ``size`` x ``size`` square."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    u = size / 256.0  # design grid is 256 units
    bg = QLinearGradient(0, 0, 0, size)
    bg.setColorAt(0.0, QColor("#e8452c"))
    bg.setColorAt(1.0, QColor("#b3261e"))
    square = QPainterPath()
    margin = 8 * u if not simple else 0.5
    square.addRoundedRect(QRectF(margin, margin, size - 2 * margin, size - 2 * margin), 48 * u, 48 * u)
    p.fillPath(square, QBrush(bg))
    if simple:
        glyph = glyph_path(family, QRectF(28 * u, 28 * u, size - 56 * u, size - 56 * u))
        p.fillPath(glyph, QColor("#ffffff"))
        p.strokePath(glyph, QPen(QColor("#ffffff"), 10 * u))  # the font has no bold: thicken by hand
        return
    # The card: a white rounded rectangle tilted a little, with a soft shadow.
    card = QPainterPath()
    card.addRoundedRect(QRectF(-84 * u, -56 * u, 168 * u, 112 * u), 14 * u, 14 * u)
    t = QTransform()
    t.translate(size / 2, size / 2 + 4 * u)
    t.rotate(-8)
    shadow = QTransform(t)
    shadow.translate(4 * u, 7 * u)
    p.fillPath(shadow.map(card), QColor(80, 10, 5, 90))
    p.fillPath(t.map(card), QColor("#fffaf2"))
    stripe = QPainterPath()
    stripe.addRect(QRectF(-84 * u, -36 * u, 168 * u, 18 * u))
    p.fillPath(t.map(stripe).intersected(t.map(card)), QColor("#f2b705"))
    chip = QPainterPath()
    chip.addRoundedRect(QRectF(-66 * u, 2 * u, 30 * u, 22 * u), 4 * u, 4 * u)
    p.fillPath(t.map(chip), QColor("#f2b705"))
    p.setPen(QPen(QColor("#c98f00"), max(1.0, 1.5 * u)))
    p.drawPath(t.map(chip))
    glyph = glyph_path(family, QRectF(-18 * u, -12 * u, 78 * u, 64 * u))
    p.fillPath(t.map(glyph), QColor("#c0261c"))
    p.strokePath(t.map(glyph), QPen(QColor("#c0261c"), 4 * u))


def render(size: int, family: str) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    paint(p, size, family, simple=size <= 32)
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def dib_bytes(image: QImage) -> bytes:
    """A 32-bit BGRA DIB with its AND mask, as an .ico entry holds it (rows bottom-up)."""
    img = image.convertToFormat(QImage.Format.Format_ARGB32)
    w, h = img.width(), img.height()
    header = struct.pack("<IiiHHIIiiII", 40, w, h * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    for y in range(h - 1, -1, -1):
        line = img.constScanLine(y)
        rows.append(bytes(line)[: w * 4])  # ARGB32 is stored B,G,R,A on little-endian
    mask_row = ((w + 31) // 32) * 4
    mask = bytes(mask_row * h)  # all zero: alpha decides
    return header + b"".join(rows) + mask


def ico_bytes(images: list[QImage]) -> bytes:
    entries = [png_bytes(im) if im.width() >= 256 else dib_bytes(im) for im in images]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for im, blob in zip(images, entries, strict=True):
        dim = 0 if im.width() >= 256 else im.width()
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    return out + b"".join(entries)


def write_svg(path: Path, family: str) -> None:
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(QSize(256, 256))
    gen.setViewBox(QRectF(0, 0, 256, 256))
    gen.setTitle("kashop-desktop")
    p = QPainter(gen)
    paint(p, 256, family, simple=False)
    p.end()


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    font_id = QFontDatabase.addApplicationFont(str(FONT))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        print(f"cannot load {FONT}", file=sys.stderr)
        return 1
    family = families[0]
    OUT.mkdir(parents=True, exist_ok=True)
    images = [render(s, family) for s in ICO_SIZES]
    images[-1].save(str(OUT / "kashop.png"), "PNG")
    (OUT / "kashop.ico").write_bytes(ico_bytes(images))
    write_svg(OUT / "kashop.svg", family)
    print(f"wrote {OUT / 'kashop.png'}, kashop.ico ({', '.join(map(str, ICO_SIZES))}), kashop.svg")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
