"""Screenshots of 新建订单 for the docs: ``python packaging/sale_screenshots.py OUT_DIR``.

Builds a small demo shop beside a local fake Alipay (loopback), opens the real main window at
1366x768 and at 1024x640, in Chinese and in English, and grabs the sale dialog three times: the
form, the QR view and the paid view after the buyer paid through the fake's ``/__fake__/pay``.
Every QR view is decoded back (zxing-cpp) and compared with the payload the gateway gave, so a
QR that is not square, sharp or complete fails the run. Run it under Xvfb (fonts and window
decorations are the real ones): ``xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python ...``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.gui.app import load_cjk_font, make_app
from kashop_desktop.gui.context import DeskContext
from kashop_desktop.gui.dialogs.new_sale import NewSaleDialog
from kashop_desktop.gui.i18n import install_translator, remove_translators
from kashop_desktop.gui.main_window import MainWindow
from kashop_desktop.gui.qt import QImage, QSettings, Qt, qasync
from kashop_desktop.services import demo
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account

SIZES = {"": (1366, 768), "_1024": (1024, 640)}
PAINT_S = 0.6


def decode(image: QImage) -> str | None:
    try:
        import zxingcpp
    except ImportError:  # the dev extra is not installed: say so rather than pass silently
        return None
    found = zxingcpp.read_barcodes(image.convertToFormat(QImage.Format.Format_Grayscale8))
    return str(found[0].text) if found else ""


async def wait_for(check: Any, seconds: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("the dialog did not get there in time")
        await asyncio.sleep(0.1)


async def one_sale(window: MainWindow, ctx: DeskContext, server: Any, out: Path, suffix: str) -> list[str]:
    dialog = NewSaleDialog(window, ctx)
    dialog.poll_steps = (1.0,)
    dialog.show()
    dialog.product.setCurrentIndex(max(0, dialog.product.findText("王者荣耀", Qt.MatchFlag.MatchContains)))
    dialog.buyer.setText("138 0013 8000")
    dialog.payment.setCurrentIndex(dialog.payment.findData("支付宝当面付"))
    await asyncio.sleep(PAINT_S)
    notes = []
    dialog.grab().save(str(out / f"dialog_new_sale{suffix}.png"))
    dialog.ok_button.click()
    await wait_for(lambda: dialog.sale is not None and dialog.pay.isVisible())
    await asyncio.sleep(PAINT_S)
    shot = dialog.grab().toImage()
    shot.save(str(out / f"dialog_sale_qr{suffix}.png"))
    assert dialog.sale is not None
    read = decode(shot)
    if read is None:
        notes.append("zxing-cpp not installed: QR not decoded")
    elif read != dialog.sale.qr_content:
        raise SystemExit(f"the QR in dialog_sale_qr{suffix}.png reads {read!r}, not {dialog.sale.qr_content!r}")
    else:
        qr = dialog.pay.qr.pixmap()
        notes.append(f"dialog_sale_qr{suffix}: QR decoded from the screenshot, {qr.width()}x{qr.height()} px")
    httpx.post(f"{server.url}__fake__/pay", json={"out_trade_no": dialog.sale.order_no}, timeout=5).raise_for_status()
    await wait_for(lambda: dialog.sale is not None and dialog.sale.paid)
    await asyncio.sleep(PAINT_S)
    dialog.grab().save(str(out / f"dialog_sale_paid{suffix}.png"))
    dialog.close_button.click()
    return notes


async def run(out: Path) -> list[str]:
    app = make_app([])
    app.setQuitOnLastWindowClosed(False)
    load_cjk_font(app)
    scratch = tempfile.TemporaryDirectory(prefix="kashop-sale-shots-")
    desk = Desk.open(scratch.name)
    await asyncio.to_thread(demo.build, desk, 300)
    server = fake_class("alipay")().start()
    save_account(desk, "支付宝当面付", "alipay", server.account_config("alipay"))
    ctx = DeskContext(desk)
    settings = QSettings(str(Path(scratch.name) / "ui.ini"), QSettings.Format.IniFormat)
    notes: list[str] = []
    translators = install_translator(app, "zh_CN")
    try:
        for lang in ("zh_CN", "en"):
            remove_translators(app, translators)
            translators = install_translator(app, lang)
            for size_suffix, size in SIZES.items():
                window = MainWindow(ctx, settings)
                window.resize(*size)
                window.show()
                await asyncio.sleep(PAINT_S)
                notes += await one_sale(window, ctx, server, out, size_suffix + ("_en" if lang == "en" else ""))
                window.close()
    finally:
        remove_translators(app, translators)
        await ctx.aclose()
        server.stop()
        desk.close()
        scratch.cleanup()
    return notes


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = make_app([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        notes = loop.run_until_complete(run(out))
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
