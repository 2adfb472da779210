"""A payment QR code drawn for a screen: square, sharp and with its quiet zone.

segno encodes the payload (error correction M, never a Micro QR: phones' payment apps read only
full QR codes); the modules are painted as whole pixel squares (an integer scale, no smoothing)
so a phone camera reads it off the screen. ``MIN_SIDE`` keeps it at least 264 px across with
the 4-module quiet zone ISO/IEC 18004 asks for.
"""

from __future__ import annotations

import math

import segno

from .qt import QColor, QImage, QPainter

MIN_SIDE = 264
QUIET_ZONE = 4


def qr_matrix(content: str) -> tuple[tuple[bool, ...], ...]:
    """The QR modules (True: dark) without the quiet zone."""
    qr = segno.make(content, error="m", micro=False)
    return tuple(tuple(bool(v) for v in row) for row in qr.matrix)


def module_scale(modules: int, min_side: int = MIN_SIDE) -> int:
    """Pixels per module so that the code with its quiet zone is at least ``min_side`` across."""
    return max(2, math.ceil(min_side / (modules + 2 * QUIET_ZONE)))


def qr_image(content: str, min_side: int = MIN_SIDE) -> QImage:
    """The QR code of ``content`` as a square greyscale image (black on white)."""
    matrix = qr_matrix(content)
    scale = module_scale(len(matrix), min_side)
    side = (len(matrix) + 2 * QUIET_ZONE) * scale
    image = QImage(side, side, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        black = QColor("black")
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    painter.fillRect((c + QUIET_ZONE) * scale, (r + QUIET_ZONE) * scale, scale, scale, black)
    finally:
        painter.end()
    return image
