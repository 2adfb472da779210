"""The 卡密 data key: AES-GCM sealing and the keyed-hash (HMAC) index, key kept in the secret store.

A code is stored as a token ``c1:<base64 nonce+ciphertext>:<hint>``: AES-256-GCM (cryptography)
with a fresh 96-bit nonce per code, the last few characters in the clear as the masked hint
(``domain.codes.hint``). Duplicates are found through ``digest``: HMAC-SHA256 of the canonical
code under a second key, so the store can say "already there" without decrypting anything and a
stolen file cannot be searched for a guessed code.

Both keys are derived (HKDF-SHA256) from one random 256-bit data key held in the same secret
store as gateway keys (OS keyring, or the passphrase vault) under ``card-codes:<store id>``. The
store keeps only a key id (a second HMAC, the key's fingerprint) to notice a missing or wrong key,
never the key. The key is made once per store, under the store's write lock (``Desk.code_cipher``).
Import, export, migration 6 and reveal need the key; delivery copies tokens but opens them first
whenever the key is at hand, so a key that does not fit stops it from handing out unreadable codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..domain.codes import hint
from ..domain.errors import DomainError
from ..store import codes13
from ..store.codes13 import strip_hint
from ..store.dialect import on_server
from .secrets import SecretStore, VaultLocked, default_store

TOKEN_PREFIX = "c1:"
_AAD = b"kashop-card-code-v1"
KEY_ID_SETTING = "codes_key_id"
REHINT_SETTING = codes13.REHINT_SETTING  # schema 13 removed the hints: written again with the key


def key_account(store_id: str) -> str:
    """The secret store account holding this store's code key."""
    return f"card-codes:{store_id}"


def is_token(value: str) -> bool:
    """True for a sealed code (``c1:...``), False for clear text (a store before migration 6)."""
    return value.startswith(TOKEN_PREFIX)


def token_hint(token: str) -> str:
    """The clear hint of a sealed code ('' for a short code, or clear text)."""
    if not is_token(token):
        return ""
    parts = token.split(":", 2)
    return parts[2] if len(parts) == 3 else ""


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


class CodeCipher:
    """Seals, opens and digests codes under one data key (32 random bytes)."""

    def __init__(self, data_key: bytes) -> None:
        self._data_key = data_key
        self._aead = AESGCM(_derive(data_key, b"kashop card codes aes-gcm"))
        self._mac_key = _derive(data_key, b"kashop card codes hmac index")
        self.key_id = hmac.digest(self._mac_key, b"key id", "sha256").hex()[:16]

    def __reduce__(self) -> tuple[type[CodeCipher], tuple[bytes]]:
        """A cipher is handed whole to a child process of this desk (the big history's row maker,
        ``datagen_worker``) through the pipe between them; nothing else pickles one."""
        return (CodeCipher, (self._data_key,))

    def seal(self, code: str) -> str:
        """The token stored for ``code`` (canonical text, ``domain.codes.canonical``)."""
        nonce = os.urandom(12)
        sealed = base64.b64encode(nonce + self._aead.encrypt(nonce, code.encode("utf-8"), _AAD)).decode("ascii")
        return f"{TOKEN_PREFIX}{sealed}:{hint(code)}"

    def seal_many(self, codes: list[str]) -> list[str]:
        """The tokens of ``codes`` (each canonical text), as ``seal`` makes them one by one: a
        fresh 96-bit nonce for each, all read from the OS in one call (a big history seals
        millions of codes)."""
        nonces = os.urandom(12 * len(codes))
        encrypt, encode = self._aead.encrypt, base64.b64encode
        tokens = []
        for at, code in zip(range(0, len(nonces), 12), codes, strict=True):
            nonce = nonces[at:at + 12]
            sealed = encode(nonce + encrypt(nonce, code.encode("utf-8"), _AAD)).decode("ascii")
            tokens.append(f"{TOKEN_PREFIX}{sealed}:{hint(code)}")
        return tokens

    def open(self, token: str) -> str:
        """The code in a token. Raises DomainError(code_key_wrong) when the key does not fit."""
        if not is_token(token):
            return token
        raw = base64.b64decode(token.split(":", 2)[1])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], _AAD).decode("utf-8")
        except InvalidTag as exc:
            raise key_wrong() from exc

    def digest(self, code: str) -> str:
        """The keyed hash of a canonical code (32 hex digits, 128 bits) for the duplicate index."""
        return hmac.digest(self._mac_key, code.encode("utf-8"), hashlib.sha256).hex()[:32]


def key_wrong() -> DomainError:
    return DomainError(
        "code_key_wrong",
        "卡密密钥与数据文件不符：可能换了电脑或系统钥匙串被清空。请换回原来的密钥存放处（钥匙串或保险箱）。",
        "the card-code key does not fit this store: another PC, or the OS keyring was cleared. Use the secret "
        "store (keyring or vault) that holds this store's key.")


def key_missing() -> DomainError:
    """The shop holds sealed 卡密 but this PC's secret store has no key for them: on the PC that
    sealed them the secret store was changed; on another PC of a server store the key was never
    brought over (the key lives with the secrets of each PC, not in the shop)."""
    return DomainError(
        "code_key_missing",
        "店铺里已有加密卡密，但这台电脑的密钥存放处找不到它们的密钥：不会新建密钥（那样旧卡密将无法解密）。"
        "请换回原来的密钥存放处（系统钥匙串或数据文件夹里的 vault.json）。店铺在数据库服务器上、这是另一台电脑时："
        "把第一台电脑数据文件夹里的 vault.json 复制到这台电脑的数据文件夹，用同一个保险箱口令"
        "（第一台电脑用系统钥匙串时，先在那里运行 gateways secrets --use vault）。",
        "the shop holds sealed card codes but this PC's secret store has no key for them; no new key is made (the "
        "old codes could never be opened again). Use the secret store that holds it (the OS keyring, or the "
        "data folder's vault.json). On another PC of a shop on a database server: copy vault.json from the first "
        "PC's data folder into this PC's and use the same vault passphrase (if the first PC keeps its keys in the "
        "OS keyring, run gateways secrets --use vault there first).")


def sealed_sample(db: Any, limit: int = 3) -> list[str]:
    """A few sealed codes of the store (the oldest and newest in stock, the last delivered), to
    check that a key fits them. Reads the store's connection; [] before migration 6."""
    con = db.connection()
    tokens: list[str] = []
    for sql in ("SELECT sealed FROM card_code ORDER BY id LIMIT ?", "SELECT sealed FROM card_code ORDER BY id DESC LIMIT ?",
                "SELECT card_code FROM orders WHERE card_code LIKE 'c1:%' ORDER BY id DESC LIMIT ?"):
        try:
            rows = con.execute(sql, (limit,)).fetchall()
        except Exception:  # a store before migration 6 has no sealed column
            continue
        tokens += [line for row in rows for line in str(row[0]).splitlines() if is_token(line)]
    return list(dict.fromkeys(tokens))


def check_fit(cipher: CodeCipher, tokens: list[str]) -> None:
    """Raises DomainError(code_key_wrong) unless every token opens under ``cipher``."""
    for token in tokens:
        cipher.open(token)


def load_cipher(secrets: SecretStore, store_id: str, known_key_id: str | None,
                remember: Callable[[str], None], sealed_sample: Callable[[], list[str]] | None = None) -> CodeCipher:
    """The store's cipher: its key from ``secrets``, made (and its fingerprint, the key id,
    remembered through ``remember``) the first time a store needs one. Call it under the store's
    write lock, reading ``known_key_id`` inside it: the lock makes "create if absent" happen once.

    ``sealed_sample`` gives a few of the store's sealed codes: a key must open them (a store whose
    fingerprint was lost still refuses a wrong key), and a store holding sealed codes never gets a
    new key. Raises VaultLocked (the passphrase is needed), DomainError code_key_missing (the store
    has sealed codes but the key is gone) or code_key_wrong (a key that is not this store's).
    """
    entry = secrets.get(key_account(store_id))
    sample = sealed_sample() if sealed_sample is not None else []
    if entry.get("key"):
        cipher = CodeCipher(base64.b64decode(entry["key"]))
        if known_key_id and cipher.key_id != known_key_id:
            raise key_wrong()
        check_fit(cipher, sample)
        if not known_key_id:
            remember(cipher.key_id)
        return cipher
    if known_key_id or sample:
        raise key_missing()
    data_key = os.urandom(32)
    secrets.put(key_account(store_id), {"key": base64.b64encode(data_key).decode("ascii")})
    cipher = CodeCipher(data_key)
    remember(cipher.key_id)
    return cipher


def with_hint(token: str, code: str) -> str:
    """``token`` with the clear hint of ``code`` (the code it seals), domain.codes.hint."""
    return strip_hint(token) + hint(code)


def rehint(db: Any, cipher: CodeCipher) -> int:
    """Write the hints schema 13 removed (``codes_rehint``), in the caller's transaction: every
    code and every order's delivered codes opened, its hint made again. Returns the codes done.
    Raises DomainError(code_key_wrong) when a code does not open (nothing is kept then)."""
    con = db.connection()
    done = 0
    for table, key, column in (("card_code", "id", "sealed"), ("orders", "id", "card_code")):
        last = 0
        while True:
            rows = con.execute(f"SELECT {key}, {column} FROM {table} WHERE {key} > ? AND {column} LIKE 'c1:%' "
                               f"ORDER BY {key} LIMIT 5000", (last,)).fetchall()
            if not rows:
                break
            updates = []
            for row_id, text in rows:
                lines = [with_hint(line, cipher.open(line)) for line in str(text).splitlines()]
                updates.append(("\n".join(lines), row_id))
            con.executemany(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", updates)
            done += len(rows) if table == "card_code" else 0
            last = rows[-1][0]
    position = "strpos" if on_server(con) else "instr"  # a server has no instr (PostgreSQL 15 "String Functions")
    con.execute(f"UPDATE card_code SET hint = substr(sealed, 4 + {position}(substr(sealed, 4), ':')) "
                "WHERE sealed LIKE 'c1:%'")
    con.execute("DELETE FROM setting WHERE key = ?", (REHINT_SETTING,))
    return done


def migration_cipher(data_dir: Path, secrets: Callable[[], SecretStore] | None = None) -> Callable[[Any], CodeCipher]:
    """For ``store.db.open_store``: a function giving migration 6 the cipher (read inside the
    migration's transaction: the store id and key id through the given connection)."""

    def factory(db: Any) -> CodeCipher:
        con = db.connection()
        row = con.execute("SELECT value FROM setting WHERE key = 'store_id'").fetchone()
        store_id = str(json.loads(row[0])) if row else "default"
        row = con.execute("SELECT value FROM setting WHERE key = ?", (KEY_ID_SETTING,)).fetchone()
        known = str(json.loads(row[0])) if row else None

        def remember(key_id: str) -> None:
            con.execute("INSERT INTO setting (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (KEY_ID_SETTING, json.dumps(key_id)))

        store = secrets() if secrets is not None else default_store(data_dir)
        try:
            return load_cipher(store, store_id, known, remember)
        except VaultLocked as exc:
            raise DomainError(
                "vault_locked",
                "数据文件升级要把已有卡密加密保存，需要密钥保险箱的口令：请在窗口中输入，或设置环境变量 "
                "KASHOP_VAULT_PASSPHRASE 后再运行一次。什么都没有改动。",
                "upgrading the store seals its card codes and needs the key vault's passphrase: enter it in "
                "the window or set KASHOP_VAULT_PASSPHRASE and run again. Nothing was changed.") from exc

    return factory
