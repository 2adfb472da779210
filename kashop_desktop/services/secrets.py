"""Where secrets live (gateway keys, the 卡密 data key): the OS keyring, or a local vault.

Secrets (private keys, merchant keys) never go into the database, logs or exports. The vault
is a JSON file of AES-256-GCM blobs whose key is derived with scrypt from a passphrase the
owner gives (in the window, or ``KASHOP_VAULT_PASSPHRASE`` for the command line). Nothing asks
for that passphrase until a secret must be read or stored.

Which one is used: ``KASHOP_SECRETS=vault|keyring`` if set (tests, scripts), else the owner's
choice (the ``secret_backend`` setting, changed with ``services.gateways.switch_secret_store``),
else the OS keyring when this PC has a working one, else the vault.
"""

from __future__ import annotations

import base64
import functools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from filelock import FileLock, Timeout

from ..domain.errors import DomainError, StoreBusy, StoreUnusable

SERVICE = "kashop-desktop"
ENV_PASSPHRASE = "KASHOP_VAULT_PASSPHRASE"


class SecretStore(Protocol):
    name: str

    def get(self, account: str) -> dict[str, str]: ...

    def put(self, account: str, secrets: dict[str, str]) -> None: ...

    def delete(self, account: str) -> None: ...


def keyring_unavailable() -> DomainError:
    return DomainError(
        "keyring_unavailable",
        "系统钥匙串不可用（这台电脑没有可用的钥匙串服务）：请改用密钥保险箱（KASHOP_SECRETS=vault，或设置页的“密钥存放”）",
        "the OS keyring is not available on this PC: use the key vault instead (KASHOP_SECRETS=vault, or "
        "Settings > key storage)")


class KeyringStore:
    name = "keyring"

    def __init__(self) -> None:
        import keyring
        import keyring.errors

        self._keyring = keyring
        self._errors = keyring.errors.KeyringError

    def get(self, account: str) -> dict[str, str]:
        """Raises DomainError(keyring_unavailable) when the keyring cannot be reached."""
        try:
            raw = self._keyring.get_password(SERVICE, account)
        except self._errors as exc:
            raise keyring_unavailable() from exc
        return json.loads(raw) if raw else {}

    def put(self, account: str, secrets: dict[str, str]) -> None:
        try:
            self._keyring.set_password(SERVICE, account, json.dumps(secrets))
        except self._errors as exc:
            raise keyring_unavailable() from exc

    def delete(self, account: str) -> None:
        try:
            self._keyring.delete_password(SERVICE, account)
        except Exception:
            return


class VaultLocked(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "vault_locked",
            f"密钥保险箱未解锁：请在窗口中输入口令，或设置环境变量 {ENV_PASSPHRASE}",
            f"the key vault is locked: enter its passphrase in the window or set {ENV_PASSPHRASE}",
        )


class VaultUnusable(StoreUnusable):
    """vault.json is empty, damaged or unreadable: no key can be read and none is written over
    it (CLI exit 5, like a damaged store)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            "vault_damaged",
            f"密钥保险箱文件已损坏或为空：{path}。卡密和网关密钥现在无法读取；不会覆盖它。"
            "请从你的备份放回这个文件（或换回原来的密钥存放处），什么都没有改动",
            f"the key vault file is damaged or empty: {path}. Card codes and gateway keys cannot be read now; "
            "it is not written over. Put back your copy of this file (or use the secret store that holds the "
            "keys); nothing was changed", str(path))


class VaultStore:
    """AES-GCM encrypted secrets in ``vault.json``; the key comes from the owner's passphrase."""

    name = "vault"

    def __init__(self, path: Path, passphrase: str | None = None) -> None:
        self.path = path
        self._key: bytes | None = None
        if passphrase is None:
            passphrase = os.environ.get(ENV_PASSPHRASE)
        if passphrase:
            self.unlock(passphrase)

    def _load(self) -> dict[str, object]:
        """The vault file's content. Raises VaultUnusable (empty, damaged, unreadable)."""
        if not self.path.exists():
            return {"salt": base64.b64encode(os.urandom(16)).decode(), "entries": {}, "check": ""}
        try:
            data = json.loads(self.path.read_text("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
                raise ValueError("not a vault")
            base64.b64decode(str(data["salt"]), validate=True)
        except (OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
            raise VaultUnusable(self.path) from exc
        vault: dict[str, object] = data
        return vault

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the lock every read-modify-write of the vault takes: two processes saving a gateway's
        keys at once must not lose one of them (each reads, changes one entry, writes it all back).
        Raises StoreBusy when another process holds it for 30 s."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.path.with_name(f".{self.path.name}.lock"), timeout=30)
        try:
            lock.acquire()
        except Timeout as exc:
            raise StoreBusy("另一个程序正在写密钥保险箱，30 秒后仍未结束：请稍后再试，什么都没改",
                            "another program has been writing the key vault for 30 s: try again later; "
                            "nothing was changed") from exc
        try:
            yield
        finally:
            lock.release()

    def _save(self, data: dict[str, object]) -> None:
        tmp = self._tmp_name()
        tmp.write_text(json.dumps(data), "utf-8")
        os.replace(tmp, self.path)

    def _tmp_name(self) -> Path:  # one per writer: two processes never write the same temporary file
        return self.path.with_name(f".{self.path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")

    def _create(self, data: dict[str, object]) -> bool:
        """Create the vault file with ``data`` if there is none (False: another process made it
        first). Linking a complete file into place fails when the name exists: create-if-absent."""
        tmp = self._tmp_name()
        tmp.write_text(json.dumps(data), "utf-8")
        try:
            os.link(tmp, self.path)
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    @property
    def unlocked(self) -> bool:
        return self._key is not None

    def unlock(self, passphrase: str) -> None:
        """Derive the vault key from ``passphrase``; a first unlock creates the vault (once, even
        when two processes start at the same moment: the second uses the first one's salt).
        Raises DomainError(vault_wrong_passphrase)."""
        if not self.path.exists():
            salt_bytes = os.urandom(16)
            key = self._derive(passphrase, salt_bytes)
            fresh: dict[str, object] = {"salt": base64.b64encode(salt_bytes).decode(), "entries": {}, "check": self._seal(key, "kashop")}
            if self._create(fresh):
                self._key = key
                return
        data = self._load()
        key = self._derive(passphrase, base64.b64decode(str(data["salt"])))
        check = str(data.get("check") or "")
        if check:
            try:
                self._open(key, check)
            except InvalidTag as exc:
                raise DomainError("vault_wrong_passphrase", "保险箱口令错误", "wrong vault passphrase") from exc
        else:
            with self._writing():
                data = self._load()
                data["check"] = data.get("check") or self._seal(key, "kashop")
                self._save(data)
        self._key = key

    @staticmethod
    @functools.lru_cache(maxsize=4)
    def _derive(passphrase: str, salt: bytes) -> bytes:
        """The vault key (scrypt, n=2^14: about 50 ms); the last few are kept for this process, so the
        desks one process opens on the same vault (the window's, a command's) derive it once."""
        return Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(passphrase.encode("utf-8"))

    @staticmethod
    def _seal(key: bytes, text: str) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, text.encode("utf-8"), None)).decode()

    @staticmethod
    def _open(key: bytes, blob: str) -> str:
        raw = base64.b64decode(blob)
        return AESGCM(key).decrypt(raw[:12], raw[12:], None).decode("utf-8")

    def get(self, account: str) -> dict[str, str]:
        if self._key is None:
            raise VaultLocked()
        entries = self._load()["entries"]
        assert isinstance(entries, dict)
        blob = entries.get(account)
        return json.loads(self._open(self._key, blob)) if blob else {}

    def put(self, account: str, secrets: dict[str, str]) -> None:
        if self._key is None:
            raise VaultLocked()
        with self._writing():
            data = self._load()
            entries = data["entries"]
            assert isinstance(entries, dict)
            entries[account] = self._seal(self._key, json.dumps(secrets))
            self._save(data)

    def delete(self, account: str) -> None:
        with self._writing():
            data = self._load()
            entries = data["entries"]
            assert isinstance(entries, dict)
            entries.pop(account, None)
            self._save(data)


def keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0
    except Exception:
        return False


BACKENDS = ("keyring", "vault")


def setting_problem() -> tuple[str, str] | None:
    """(zh, en) when ``KASHOP_SECRETS`` names no backend, or the keyring when this PC has none;
    the command line refuses to run with it (exit 2)."""
    forced = os.environ.get("KASHOP_SECRETS", "")
    if forced and forced not in BACKENDS:
        return (f"环境变量 KASHOP_SECRETS 的值无效：{forced!r}（只能是 vault 或 keyring，或不设置）",
                f"KASHOP_SECRETS is not valid: {forced!r} (vault or keyring, or leave it unset)")
    if forced == "keyring" and not keyring_usable():
        error = keyring_unavailable()
        return (f"KASHOP_SECRETS=keyring：{error.zh}", f"KASHOP_SECRETS=keyring: {error.en}")
    return None


def chosen_backend(choice: str | None) -> str:
    """The backend in use for the owner's ``choice`` (None: not chosen): see the module doc."""
    forced = os.environ.get("KASHOP_SECRETS", "")
    if forced in BACKENDS:
        return forced
    if choice in BACKENDS:
        return "keyring" if choice == "keyring" and keyring_usable() else "vault"
    return "keyring" if keyring_usable() else "vault"


def default_store(data_dir: Path, passphrase: str | None = None, choice: str | None = None) -> SecretStore:
    """The secret store for ``data_dir`` (a vault stays locked until unlocked or a passphrase is given)."""
    if chosen_backend(choice) == "keyring":
        return KeyringStore()
    return VaultStore(data_dir / "vault.json", passphrase)
