"""The anchor key of the tamper-evident log, kept in the secret store, and what ``check`` makes of the anchors.

The heads of the log's chains are anchored with an HMAC (``store.anchor``, ``domain.audit.anchor_mac``)
under one random 256-bit key held where gateway keys and the 卡密 data key are (the OS keyring,
or the passphrase vault: ``services.secrets``), account ``log-anchor``. The key is made on first
need: the first write transaction of a store that has none (one per secret store: every shop
anchored through this keyring or vault uses it, the MAC names the shop by its ``store_id``). The
entry also lists the stores it anchored, so a store whose anchors were stripped is not mistaken
for one never anchored. The store keeps the key's fingerprint (``log_anchor_key_id``), never the key.

A write whose key cannot be read (the vault locked, no keyring) still writes: its chains' anchors
stay behind and the next write that can read the key moves them on. ``check`` says how many rows
are not anchored yet. What the anchor does not stop: whoever holds the key (the owner's keyring,
or the vault's passphrase) can re-anchor a cut-off log, and a store copied back whole from an
older copy carries that copy's valid anchors.
"""

from __future__ import annotations

import base64
import inspect
import json
import logging
import os
import time
import weakref
from dataclasses import dataclass
from typing import Any

from ..domain.audit import BreakKind, ChainBreak, anchor_mac, key_fingerprint
from ..domain.errors import DomainError
from ..store import anchor as store_anchor
from .secrets import SecretStore, VaultLocked

log = logging.getLogger(__name__)

ACCOUNT = "log-anchor"
KEY_ID_SETTING = "log_anchor_key_id"
_RETRY_S = 60.0  # a keyring that cannot be reached is asked again after this long, not at every commit


@dataclass
class AnchorKey:
    """The anchor key as read from the secret store, and the stores it anchored."""

    key: bytes
    stores: list[str]

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.key)


def read_key(secrets: SecretStore) -> AnchorKey | None:
    """The anchor key, or None when the secret store holds none. Raises VaultLocked, DomainError
    keyring_unavailable."""
    entry: dict[str, Any] = secrets.get(ACCOUNT)
    if not entry.get("key"):
        return None
    try:
        stores = json.loads(str(entry.get("stores") or "[]"))
    except ValueError:
        stores = []
    return AnchorKey(base64.b64decode(str(entry["key"])), [str(s) for s in stores] if isinstance(stores, list) else [])


def _save(secrets: SecretStore, found: AnchorKey) -> None:
    secrets.put(ACCOUNT, {"key": base64.b64encode(found.key).decode("ascii"), "stores": json.dumps(found.stores)})


def macer(key: bytes, store_id: str) -> store_anchor.Mac:
    """The MAC function of ``store.anchor`` for one store under ``key``."""
    return lambda chain, row_id, row_hash: anchor_mac(key, store_id, chain, row_id, row_hash)


def store_id_of(con: Any) -> str:
    row = con.execute("SELECT value FROM setting WHERE key = 'store_id'").fetchone()
    try:
        return str(json.loads(row[0])) if row else ""
    except (TypeError, ValueError):
        return str(row[0])


def anchored_before(con: Any) -> bool:
    """Whether the store shows it was anchored: a key fingerprint recorded, or any anchor."""
    if con.execute("SELECT 1 FROM setting WHERE key = ?", (KEY_ID_SETTING,)).fetchone() is not None:
        return True
    return con.execute("SELECT 1 FROM chain_head WHERE anchor_mac IS NOT NULL").fetchone() is not None


def _remember(con: Any, fingerprint: str) -> None:
    con.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (KEY_ID_SETTING, json.dumps(fingerprint)))


class Anchorer:
    """Moves the chains' anchors on just before each write transaction of one desk commits
    (``store.db.StoreDatabase.before_commit``). The key is read once and kept."""

    def __init__(self, secrets: Any) -> None:
        # The desk's ``secrets`` (its secret store, opened on first use), held weakly: the store's
        # database holds this anchorer, and a desk let go must free its connections at once.
        self._secrets_ref = weakref.WeakMethod(secrets) if inspect.ismethod(secrets) else lambda: secrets
        self._key: AnchorKey | None = None
        self._failed_at = -_RETRY_S

    def _secrets(self) -> SecretStore:
        method = self._secrets_ref()
        if method is None:
            raise DomainError("desk_closed", "店铺已关闭", "the desk was closed")
        return method()

    def forget(self) -> None:
        """Read the key again next time (the desk changed its secret store)."""
        self._key, self._failed_at = None, -_RETRY_S

    def before_commit(self, con: Any) -> None:
        """Anchor the chains written in this transaction (see the module doc). Never raises for a
        key that cannot be read: the write goes on and its anchors stay behind."""
        if time.monotonic() - self._failed_at < _RETRY_S:
            return
        store_id = store_id_of(con)
        try:
            key = self._key_for(store_id, con)
        except (VaultLocked, DomainError) as exc:
            if not isinstance(exc, VaultLocked):
                self._failed_at = time.monotonic()
            log.info("the log's anchors stay behind: %s", exc.en)
            return
        if key is None:
            log.warning("the log's anchors stay behind: the store was anchored, but not under the key at hand")
            return
        refused = store_anchor.move_on(con, macer(key.key, store_id))
        if refused:
            log.warning("the log's anchors were not moved on (they do not hold: run check): %s", ", ".join(refused))

    def _key_for(self, store_id: str, con: Any) -> AnchorKey | None:
        """The key, or None when it must not be used to move anchors on. The key is made, or this
        store first anchored under it, inside the write transaction, and only for a store that
        shows no sign of having been anchored (else the key went missing, or the store's anchors
        were stripped: ``check`` says which, and the owner decides with ``audit anchor``)."""
        if self._key is not None and store_id in self._key.stores:
            return self._key
        secrets = self._secrets()
        found = read_key(secrets)
        if found is not None and store_id in found.stores:
            self._key = found
            return found
        if anchored_before(con):
            return None
        found = found or AnchorKey(os.urandom(32), [])
        store_anchor.anchor_all(con, macer(found.key, store_id))  # the store's first anchoring (trust on first use)
        _remember(con, found.fingerprint)
        found.stores.append(store_id)
        _save(secrets, found)
        self._key = found
        return found

    def anchor_again(self, con: Any) -> None:
        """The owner's re-anchoring (``services.audit.anchor_log``): every chain anchored at its head
        as it is now, under the key (made when the secret store has none). In the caller's
        transaction, the chains checked by the caller. Raises VaultLocked, DomainError."""
        secrets = self._secrets()
        store_id = store_id_of(con)
        found = read_key(secrets) or AnchorKey(os.urandom(32), [])
        store_anchor.anchor_all(con, macer(found.key, store_id))
        _remember(con, found.fingerprint)
        if store_id not in found.stores:
            found.stores.append(store_id)
            _save(secrets, found)
        self._key, self._failed_at = found, -_RETRY_S


def anchored_under(con: Any, secrets: SecretStore) -> bool:
    """Whether the store records that it was anchored under the key the secret store holds now
    (its ``log_anchor_key_id`` is that key's fingerprint): an anchor missing or wrong is then no
    move to another PC or keyring, but the anchors edited. Raises VaultLocked, DomainError."""
    known = con.execute("SELECT value FROM setting WHERE key = ?", (KEY_ID_SETTING,)).fetchone()
    found = read_key(secrets)
    try:
        return found is not None and known is not None and json.loads(known[0]) == found.fingerprint
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class AnchorReport:
    """What ``check`` found of the anchors: ``state`` is "ok", "behind" (rows written while the
    key could not be read: ``unanchored`` of them), "none" (not anchored yet: the next write
    does it), "locked" (the vault's passphrase is needed to check the MACs), "key_missing" (the
    store was anchored but the secret store has no key: a problem) or "broken" (``breaks``)."""

    state: str
    breaks: list[ChainBreak]
    unanchored: int = 0
    message: tuple[str, str] | None = None


def verify(con: Any, secrets: SecretStore) -> AnchorReport:
    """Check each chain's anchor (call in the read transaction that verified the chains)."""
    heads = store_anchor.heads(con)
    store_id = store_id_of(con)
    known = con.execute("SELECT value FROM setting WHERE key = ?", (KEY_ID_SETTING,)).fetchone()
    was_anchored = anchored_before(con)
    try:
        found = read_key(secrets)
    except VaultLocked:
        breaks = [b for h in heads.values() if (b := _truncation(con, h)) is not None]
        return AnchorReport("broken" if breaks else "locked", breaks, message=_LOCKED)
    except DomainError as exc:
        return AnchorReport("locked", [], message=(exc.zh, exc.en))
    if found is None or (store_id not in found.stores and not was_anchored):
        if was_anchored:
            return AnchorReport("key_missing", [], message=_KEY_MISSING)
        return AnchorReport("none", [], message=_NOT_YET)
    mac = macer(found.key, store_id)
    breaks = [b for h in heads.values() if (b := _judge(con, h, mac)) is not None]
    if breaks:
        other_key = known is not None and json.loads(known[0]) != found.fingerprint
        # The key knows this shop, yet the file shows no sign of ever being anchored: a backup
        # from before the first anchoring put back, or every anchor and its record removed. The
        # desk cannot tell which: it says both and the way on, still as a break.
        return AnchorReport("broken", breaks, message=_OTHER_KEY if other_key else None if was_anchored else _NEVER_HERE)
    behind = sum(_count_after(con, h) for h in heads.values())
    return AnchorReport("behind" if behind else "ok", [], behind, _behind(behind) if behind else None)


def _judge(con: Any, head: store_anchor.Head, mac: store_anchor.Mac) -> ChainBreak | None:
    if not head.anchored:
        return ChainBreak(head.chain, BreakKind.ANCHOR_MISSING, 0)
    assert head.anchor_id is not None and head.anchor_hash is not None
    if mac(head.chain, head.anchor_id, head.anchor_hash) != head.anchor_mac:
        return ChainBreak(head.chain, BreakKind.ANCHOR_WRONG, head.anchor_id)
    return _truncation(con, head)


def _truncation(con: Any, head: store_anchor.Head) -> ChainBreak | None:
    """The anchored row gone, or no longer the row anchored: the chain was cut back past it."""
    if not head.anchored:
        return None
    assert head.anchor_id is not None
    if head.anchor_id <= head.last_id and store_anchor.row_hash(con, head.chain, head.anchor_id) == head.anchor_hash:
        return None
    (last,) = con.execute(f"SELECT COALESCE(MAX(id), 0) FROM {head.chain}").fetchone()
    return ChainBreak(head.chain, BreakKind.TRUNCATED, head.anchor_id, int(last))


def _count_after(con: Any, head: store_anchor.Head) -> int:
    if not head.behind or head.anchor_id is None:
        return 0
    (n,) = con.execute(f"SELECT COUNT(*) FROM {head.chain} WHERE id > ?", (head.anchor_id,)).fetchone()
    return int(n)


_LOCKED = ("日志锚定未核对：密钥保险箱未解锁（设置 KASHOP_VAULT_PASSPHRASE）",
           "the log's anchors were not checked: the key vault is locked (set KASHOP_VAULT_PASSPHRASE)")
_NOT_YET = ("日志尚未锚定：下一次改动时会生成锚定密钥（存放在钥匙串或保险箱）并锚定",
            "the log is not anchored yet: the next change makes the anchor key (kept in the keyring or the vault) "
            "and anchors it")
_KEY_MISSING = ("日志已锚定过，但密钥存放处找不到锚定密钥（换了电脑，或钥匙串被清空）：截断和清空无法发现。"
                "请换回原来的密钥存放处；确认日志无误后，店主可运行 kashop-desktop audit anchor 用新密钥重新锚定",
                "the log was anchored but the secret store has no anchor key (another PC, or the keyring was "
                "cleared): a cut-off or wiped log cannot be seen. Use the secret store that holds it; once the log "
                "is known to be right the owner can run kashop-desktop audit anchor to anchor it under a new key")
_OTHER_KEY = ("锚定是用另一把密钥做的（换了电脑或钥匙串）：若是你自己搬的店，确认无误后运行 kashop-desktop audit anchor",
              "the anchors were made under another key (another PC or keyring): if you moved the shop yourself, "
              "check it and run kashop-desktop audit anchor")


_NEVER_HERE = ("这个数据文件没有任何锚定记录，而锚定密钥记得这家店已锚定过：可能是恢复了锚定之前的备份（例如店铺刚建时的自动备份），"
               "也可能锚定被人清除了。确认日志和订单无误后，运行 kashop-desktop audit anchor 重新锚定",
               "this data file holds no anchor at all, while the anchor key knows the shop was anchored: a backup from "
               "before the first anchoring was restored (the automatic backup of a new shop, say), or the anchors were "
               "removed. Once the log and the orders look right, run kashop-desktop audit anchor to anchor it again")


def _behind(n: int) -> tuple[str, str]:
    return (f"有 {n} 行日志写入时无法读取锚定密钥（保险箱未解锁），尚未锚定：下一次能读到密钥的改动会补上",
            f"{n} {'log row was' if n == 1 else 'log rows were'} written while the anchor key could not be read (the vault locked) and are not "
            "anchored yet: the next change that can read the key anchors them")
