"""The HMAC anchor of the log's chain heads: a tail cut off, a log wiped or an anchor forged is named
by ``check`` even when ``chain_head`` is edited to match; a store without a key says so; a write
made while the vault is locked leaves its rows unanchored, and the next write with the key anchors them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kashop_desktop.domain.audit import BreakKind
from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.roles import Identity, PermissionRefused, Role
from kashop_desktop.services import audit, chain_anchor, maintenance, orders, requests
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.secrets import VaultStore

from ..conftest import FakeClock
from .helpers import order, product, sandbox

_FILE = pytest.mark.sqlite_only(reason="tampers with the data file through sqlite3, as someone with the file would "
                                 "(the demo it may build writes SQLite SQL)")


def _tamper(desk: Desk, *statements: str) -> None:
    """Change the store with a separate raw sqlite3 connection, as someone with the file would."""
    con = sqlite3.connect(desk.db_path)
    for sql in statements:
        con.execute(sql)
    con.commit()
    con.close()


def _shop(desk: Desk) -> None:
    product(desk)
    gateway = sandbox(desk)
    for _ in range(3):
        no = order(desk, "paid", gateway_id=gateway)
        requests.open_request(desk, no, requests.ReasonCode.MISTAKEN)
    orders.cancel_unpaid(desk, order(desk, "pending_payment"), requests.ReasonCode.MISTAKEN)


def _cut(desk: Desk, chain: str, keep: int) -> int:
    """Delete the newest ``chain`` rows past the ``keep`` first and move chain_head back to match
    (no hash computed): the truncation a bare chain does not see. Returns the last id kept."""
    ids = [r[0] for r in desk.db.execute_sql(f"SELECT id FROM {chain} ORDER BY id")]
    last = ids[keep - 1]
    _tamper(desk, f"DELETE FROM {chain} WHERE id > {last}",
            f"UPDATE chain_head SET last_id = {last}, last_hash = (SELECT hash FROM {chain} WHERE id = {last}) "
            f"WHERE chain = '{chain}'")
    return last


def _locked(desk: Desk) -> VaultStore:
    return VaultStore(desk.data_dir / "vault.json", "")  # no passphrase given: stays locked


def test_a_clean_store_is_anchored_at_every_write(desk: Desk) -> None:
    _shop(desk)
    report = maintenance.check(desk)
    assert report.ok and report.log_anchor == "ok" and report.log_anchor_message is None
    heads = desk.db.execute_sql("SELECT chain, last_id, anchor_id, anchor_mac FROM chain_head").fetchall()
    assert {h[0] for h in heads} == {"order_event", "audit_event", "code_event"}
    assert all(last == anchored and mac is not None and len(mac) == 32 for _, last, anchored, mac in heads)


@_FILE
@pytest.mark.parametrize("chain", ["order_event", "audit_event"])
def test_a_cut_off_tail_with_its_head_moved_back_is_named(desk: Desk, chain: str) -> None:
    _shop(desk)
    for n in range(4):
        desk.log("note_written", "x", f"shop log row {n}")
    anchored = desk.db.execute_sql("SELECT anchor_id FROM chain_head WHERE chain = ?", (chain,)).fetchone()[0]
    last = _cut(desk, chain, 3)
    report = maintenance.check(desk)
    assert not report.ok
    [broken] = report.log_breaks
    assert (broken.chain, broken.kind, broken.row_id, broken.after_id) == (chain, BreakKind.TRUNCATED, anchored, last)
    assert "截断" in broken.zh and "cut off" in broken.en and str(anchored) in broken.en


@_FILE
def test_a_write_after_the_cut_does_not_bless_it(desk: Desk) -> None:
    _shop(desk)
    anchored = desk.db.execute_sql("SELECT anchor_id FROM chain_head WHERE chain = 'order_event'").fetchone()[0]
    _cut(desk, "order_event", 4)
    orders.cancel_unpaid(desk, order(desk, "pending_payment"), requests.ReasonCode.MISTAKEN)  # reuses the cut ids
    [broken] = maintenance.check(desk).log_breaks
    assert (broken.kind, broken.row_id) == (BreakKind.TRUNCATED, anchored)


@_FILE
def test_a_wiped_log_with_its_head_row_removed_is_named(desk: Desk) -> None:
    _shop(desk)
    _tamper(desk, "DELETE FROM audit_event", "DELETE FROM chain_head WHERE chain = 'audit_event'")
    report = maintenance.check(desk)
    assert not report.ok
    [broken] = report.log_breaks
    assert (broken.chain, broken.kind) == ("audit_event", BreakKind.ANCHOR_MISSING)


@_FILE
def test_a_forged_anchor_is_named(desk: Desk) -> None:
    _shop(desk)
    last = _cut(desk, "order_event", 2)
    # Moved back and "anchored" there by copying the other columns too: the MAC cannot be made.
    _tamper(desk, f"UPDATE chain_head SET anchor_id = last_id, anchor_hash = last_hash WHERE chain = 'order_event' "
                  f"AND last_id = {last}")
    [broken] = maintenance.check(desk).log_breaks
    assert (broken.chain, broken.kind) == ("order_event", BreakKind.ANCHOR_WRONG)


def test_writes_with_the_vault_locked_stay_behind_until_a_write_with_the_key(desk: Desk) -> None:
    _shop(desk)
    desk.set_secrets(_locked(desk))
    for n in range(3):
        desk.log("note_written", "x", f"written with the vault locked {n}")
    report = maintenance.check(desk)
    assert report.ok and report.log_anchor == "locked" and report.log_anchor_message is not None
    desk.set_secrets(VaultStore(desk.data_dir / "vault.json", "test-passphrase"))
    report = maintenance.check(desk)
    assert report.ok and report.log_anchor == "behind" and report.log_anchor_message is not None
    assert "not anchored yet" in report.log_anchor_message[1]
    desk.log("note_written", "x", "a write that can read the key")
    report = maintenance.check(desk)
    assert report.ok and report.log_anchor == "ok"


@_FILE
def test_a_cut_is_seen_even_with_the_vault_locked(desk: Desk) -> None:
    _shop(desk)
    _cut(desk, "order_event", 3)
    desk.set_secrets(_locked(desk))
    [broken] = maintenance.check(desk).log_breaks
    assert broken.kind is BreakKind.TRUNCATED


def test_a_store_never_anchored_says_so_and_the_next_write_anchors_it(data_dir: Path, clock: FakeClock) -> None:
    desk = Desk.open(data_dir, clock=clock)
    desk.set_secrets(_locked(desk))
    try:
        for n in range(3):  # every write with the vault locked: no key made yet
            desk.log("note_written", "x", f"written with the vault locked {n}")
        desk.set_secrets(VaultStore(data_dir / "vault.json", "test-passphrase"))
        report = maintenance.check(desk)
        assert report.ok and report.log_anchor == "none" and report.log_breaks == []
        assert report.log_anchor_message is not None and "not anchored yet" in report.log_anchor_message[1]
        desk.log("note_written", "x", "the first write that can read the key")
        assert maintenance.check(desk).log_anchor == "ok"
        assert desk.setting(chain_anchor.KEY_ID_SETTING)
    finally:
        desk.close()


@_FILE
def test_a_backup_from_before_the_first_anchoring_is_named_and_anchored_again(data_dir: Path, clock: FakeClock) -> None:
    """The automatic backup of a new shop, put back after the shop was anchored: check names the
    missing anchors with the way on (both causes it cannot tell apart), and audit anchor settles it."""
    desk = Desk.open(data_dir, clock=clock)
    desk.set_secrets(_locked(desk))
    try:
        desk.log("note_written", "x", "before the shop was ever anchored")
        early = maintenance.backup(desk)
        desk.set_secrets(VaultStore(data_dir / "vault.json", "test-passphrase"))
        _shop(desk)
        assert maintenance.check(desk).log_anchor == "ok"
    finally:
        desk.close()
    report = maintenance.restore(data_dir, early, confirmed=True)
    assert report.unanchored
    desk = Desk.open(data_dir, clock=clock)
    desk.set_secrets(VaultStore(data_dir / "vault.json", "test-passphrase"))
    try:
        found = maintenance.check(desk)
        assert not found.ok and found.log_anchor == "broken"
        assert {b.kind for b in found.log_breaks} == {BreakKind.ANCHOR_MISSING}
        assert found.log_anchor_message is not None
        assert "audit anchor" in found.log_anchor_message[1] and "before the first anchoring" in found.log_anchor_message[1]
        audit.anchor_log(desk)
        assert maintenance.check(desk).ok
    finally:
        desk.close()


def test_a_lost_key_is_a_problem_and_the_owner_anchors_again(desk: Desk) -> None:
    _shop(desk)
    VaultStore(desk.data_dir / "vault.json", "test-passphrase").delete(chain_anchor.ACCOUNT)
    desk.set_secrets(VaultStore(desk.data_dir / "vault.json", "test-passphrase"))
    report = maintenance.check(desk)
    assert not report.ok and report.log_anchor == "key_missing" and report.log_breaks == []
    assert report.log_anchor_message is not None and "audit anchor" in report.log_anchor_message[1]
    orders.cancel_unpaid(desk, order(desk, "pending_payment"), requests.ReasonCode.MISTAKEN)  # no key is made
    assert maintenance.check(desk).log_anchor == "key_missing"
    rows = audit.anchor_log(desk)
    report = maintenance.check(desk)
    assert report.ok and report.log_anchor == "ok" and rows == report.log_rows
    logged = desk.db.execute_sql("SELECT COUNT(*) FROM audit_event WHERE action = 'log_anchored'").fetchone()[0]
    assert logged == 1


@_FILE
def test_anchoring_again_is_refused_over_a_broken_chain_and_for_a_clerk(desk: Desk) -> None:
    _shop(desk)
    victim = desk.db.execute_sql("SELECT MIN(id) + 2 FROM order_event").fetchone()[0]
    _tamper(desk, f"UPDATE order_event SET note = 'x' WHERE id = {victim}")
    with pytest.raises(DomainError) as refused:
        audit.anchor_log(desk)
    assert refused.value.code == "log_broken" and str(victim) in refused.value.en
    desk.sign_in(Identity("小王", Role.CLERK))
    with pytest.raises(PermissionRefused):
        audit.anchor_log(desk)


@_FILE
def test_anchoring_again_is_refused_over_a_wiped_log_or_records_the_log_does_not_name(desk: Desk) -> None:
    _shop(desk)
    _tamper(desk, "DELETE FROM audit_event", "DELETE FROM chain_head WHERE chain = 'audit_event'")
    with pytest.raises(DomainError) as refused:
        audit.anchor_log(desk)  # the anchor made under this very key is gone: removed, not made elsewhere
    assert refused.value.code == "log_broken" and "shop log" in refused.value.en
    assert desk.db.execute_sql("SELECT COUNT(*) FROM audit_event").fetchone()[0] == 0


@_FILE
def test_anchoring_again_is_refused_while_a_refund_is_named_by_no_approval(desk: Desk) -> None:
    _shop(desk)
    first = desk.db.execute_sql("SELECT MIN(id) FROM order_event WHERE action = 'approved' OR action = "
                                "'auto_approved'").fetchone()[0]
    if first is None:
        pytest.skip("no approval in the shop")
    _tamper(desk, f"DELETE FROM order_event WHERE id >= {first}",
            f"UPDATE chain_head SET last_id = {first - 1}, last_hash = (SELECT hash FROM order_event WHERE id = "
            f"{first - 1}), anchor_id = NULL, anchor_hash = NULL, anchor_mac = NULL WHERE chain = 'order_event'",
            "DELETE FROM setting WHERE key = 'log_anchor_key_id'")
    with pytest.raises(DomainError) as refused:
        audit.anchor_log(desk)
    assert refused.value.code == "log_disagrees" and "approval" in refused.value.en
