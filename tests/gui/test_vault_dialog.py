"""The key vault dialog: create with a passphrase typed twice, unlock, wrong passphrase inline."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.gui.dialogs.vault import VaultDialog
from kashop_desktop.services import gateways as gateway_service
from kashop_desktop.services.secrets import VaultStore

from .test_dialogs import desk_context, qasync_loop, run, submit

_aloop = pytest.fixture(qasync_loop, name="aloop")
_ctx = pytest.fixture(desk_context, name="ctx")


@pytest.fixture(autouse=True)
def locked_vault(desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KASHOP_VAULT_PASSPHRASE", raising=False)
    gateway_service.set_secret_store(desk, VaultStore(Path(desk.data_dir) / "vault.json", passphrase=""))


def test_first_use_creates_the_vault(qtbot, ctx) -> None:
    dialog = VaultDialog(None, ctx)
    qtbot.addWidget(dialog)
    assert dialog.creating and not dialog.ok_button.isEnabled()
    dialog.passphrase.setText("secret-1")
    dialog.again.setText("secret-2")
    assert not dialog.ok_button.isEnabled() and "不一致" in dialog.message.text()
    dialog.again.setText("secret-1")
    assert submit(qtbot, dialog)
    assert gateway_service.secret_status(ctx.desk).unlocked
    gateway_service.save_account(ctx.desk, "易支付", "epay_v1", {"base_url": "http://127.0.0.1:1/", "pid": "1",
                                                                "key": "k-123456"})
    assert b"k-123456" not in (Path(ctx.desk.data_dir) / "vault.json").read_bytes()


def test_wrong_passphrase_is_shown_and_nothing_unlocks(qtbot, ctx) -> None:
    VaultStore(Path(ctx.desk.data_dir) / "vault.json", "right-one").put("x", {"k": "v"})
    dialog = VaultDialog(None, ctx)
    qtbot.addWidget(dialog)
    assert not dialog.creating and dialog.again.isHidden()
    dialog.passphrase.setText("wrong-one")
    assert not submit(qtbot, dialog)
    assert "口令错误" in dialog.message.text()
    assert not gateway_service.secret_status(ctx.desk).unlocked
    dialog.passphrase.setText("right-one")
    assert submit(qtbot, dialog)
    assert gateway_service.secret_status(ctx.desk).unlocked


def test_a_damaged_vault_is_said_inline_not_a_crash(qtbot, ctx) -> None:
    vault = Path(ctx.desk.data_dir) / "vault.json"
    vault.write_bytes(b"")
    dialog = VaultDialog(None, ctx)
    qtbot.addWidget(dialog)
    dialog.passphrase.setText("right-one")
    assert not submit(qtbot, dialog)
    assert "已损坏或为空" in dialog.message.text() and vault.read_bytes() == b""
    assert not gateway_service.secret_status(ctx.desk).unlocked


def _asking() -> VaultDialog | None:
    from kashop_desktop.gui.qt import QApplication

    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, VaultDialog) and w.isVisible()]
    return found[0] if found else None


def test_a_launch_with_nothing_needing_a_key_asks_nothing(qtbot, ctx, tmp_path: Path) -> None:
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QSettings

    VaultStore(Path(ctx.desk.data_dir) / "vault.json", "right-one").put("x", {"k": "v"})
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.load_gateways()
    assert not ctx.tasks and _asking() is None and not window.vault_asked


def test_testing_the_sandbox_never_asks_for_a_passphrase(qtbot, ctx) -> None:
    from kashop_desktop.gui.pages import GatewaysPage

    gateway_service.ensure_builtin_accounts(ctx.desk)
    page = GatewaysPage(ctx)
    qtbot.addWidget(page)
    names = [page.table.item(r, 0).text() for r in range(page.table.rowCount())]
    page.table.selectRow(names.index("沙箱"))
    report = run(qtbot, page.test_selected())
    assert report.ok and _asking() is None
    assert not (Path(ctx.desk.data_dir) / "vault.json").exists()  # no vault was made for it


def _refund_waiting_on_a_key(desk) -> None:
    """A queued refund through an account whose keys are in the vault."""
    from kashop_desktop.store.models import GatewayAccount, Order, Refund

    from ..services.helpers import order, product

    no = order(desk, prod=product(desk, ptype="direct_recharge", codes=0))
    account = GatewayAccount.create(name="易支付", kind="epay_v1", config="{}", secret_ref="vault", created_at=0)
    Refund.create(order=Order.get(Order.order_no == no).id, refund_no="RFTEST0001", gateway=account.id,
                  gross_fen=100, amount_fen=100, created_at=0)


def test_main_window_asks_for_a_locked_vault_once_when_a_refund_needs_a_key(qtbot, ctx, tmp_path: Path) -> None:
    from kashop_desktop.gui.main_window import MainWindow
    from kashop_desktop.gui.qt import QSettings

    VaultStore(Path(ctx.desk.data_dir) / "vault.json", "right-one").put("x", {"k": "v"})
    _refund_waiting_on_a_key(ctx.desk)
    window = MainWindow(ctx, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.load_gateways()
    asking = _asking

    qtbot.waitUntil(lambda: asking() is not None, timeout=5000)
    dialog = asking()
    assert dialog is not None and not dialog.creating
    dialog.passphrase.setText("right-one")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: asking() is None, timeout=5000)
    assert gateway_service.secret_status(ctx.desk).unlocked
    qtbot.waitUntil(lambda: not ctx.tasks, timeout=5000)
    window.load_gateways()  # asked once per start only: no new prompt is started
    assert not ctx.tasks


def test_settings_move_every_key_from_the_vault_to_the_keyring(qtbot, ctx) -> None:
    import keyring

    from kashop_desktop.gui.pages.secrets_box import SecretsBox

    from ..services.test_secret_store import MemoryKeyring

    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        VaultStore(Path(ctx.desk.data_dir) / "vault.json", "right-one").put("x", {"k": "v"})
        gateway_service.unlock_vault(ctx.desk, "right-one")
        gateway_service.save_account(ctx.desk, "易支付", "epay_v1", {"base_url": "http://127.0.0.1:1/", "pid": "1",
                                                                    "key": "k-moving"})
        box = SecretsBox(ctx)
        qtbot.addWidget(box)
        assert box.move_button.isVisibleTo(box) and box.move_button.isEnabled()
        assert run(qtbot, box.use_keyring())
        assert any("k-moving" in v for v in ring.entries.values()) and not box.move_button.isVisibleTo(box)
        assert gateway_service.secret_status(ctx.desk).backend == "keyring"
    finally:
        keyring.set_keyring(previous)
