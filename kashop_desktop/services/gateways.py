"""Gateway accounts: add, edit, list, test; and building an adapter for an account."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain.clock import to_epoch
from ..domain.errors import DomainError
from ..domain.notes import check_name
from ..domain.roles import Identity, Right
from ..gateways.base import Capability, ConfigField, ConnectionReport, GatewayError
from ..gateways.registry import classes_for, discover
from ..store.models import GatewayAccount, Setting
from .common import not_found
from .desk import SECRET_BACKEND_SETTING, Desk
from .secrets import BACKENDS, KeyringStore, SecretStore, VaultStore, keyring_usable


@dataclass(frozen=True)
class GatewayKind:
    kind: str
    title_zh: str
    title_en: str
    capabilities: frozenset[Capability]
    fields: tuple[ConfigField, ...]

    @property
    def auto_refund(self) -> bool:
        return Capability.REFUND in self.capabilities

    @property
    def partial(self) -> bool:
        return Capability.PARTIAL_REFUND in self.capabilities

    @property
    def idempotent(self) -> bool:
        return Capability.REFUND_IDEMPOTENT in self.capabilities


@dataclass(frozen=True)
class AccountView:
    id: int
    name: str
    kind: str
    title_zh: str
    title_en: str
    enabled: bool
    config: dict[str, str]  # without secrets
    secret_keys: list[str]
    capabilities: list[str]
    last_test_ok: bool | None
    last_test_message: str
    last_test_message_en: str


def kinds(only: Iterable[str] | None = None) -> dict[str, GatewayKind]:
    """Every installed gateway kind, or those in ``only`` (loading only their plugins)."""
    found = discover() if only is None else classes_for(only)
    return {kind: GatewayKind(kind, cls.title_zh, cls.title_en, frozenset(cls.capabilities), tuple(cls.config_fields))
            for kind, cls in sorted(found.items())}


def _secrets(desk: Desk) -> SecretStore:
    return desk.secrets()


def set_secret_store(desk: Desk, store: SecretStore) -> None:
    desk.set_secrets(store)


def read_value(value: str) -> str:
    """``@FILE`` reads the value from a file (PEM keys); anything else is the value itself."""
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return path.read_text("utf-8").strip()
        except OSError as exc:
            raise DomainError("file_unreadable", f"无法读取文件：{path}", f"cannot read file: {path}") from exc
    return value


def save_account(desk: Desk, name: str, kind: str, values: dict[str, str], *, enabled: bool = True,
                 replace: bool = False) -> AccountView:
    """Add (or with ``replace`` update) an account. Secrets go to the secret store."""
    desk.require(Right.GATEWAYS)
    name = name.strip()
    if not name:
        raise DomainError("name_required", "网关账户需要名称", "a gateway account needs a name")
    check_name(name, "网关账户名称", "a gateway account's name")
    all_kinds = kinds()
    if kind not in all_kinds:
        raise DomainError("unknown_kind", f"未知的网关类型：{kind}（可用：{', '.join(all_kinds)}）",
                          f"unknown gateway kind: {kind} (known: {', '.join(all_kinds)})")
    spec = all_kinds[kind]
    known = {f.key for f in spec.fields} | {"base_url"}
    unknown = set(values) - known
    if unknown:
        raise DomainError("unknown_key", f"{kind} 不认识配置项：{', '.join(sorted(unknown))}",
                          f"{kind} has no setting named: {', '.join(sorted(unknown))}")
    for spec_field in spec.fields:  # a setting with a fixed set of values takes one of them
        given = values.get(spec_field.key)
        if spec_field.choices and given not in (None, "") and given not in spec_field.choices:
            raise DomainError("bad_setting", f"{spec_field.zh}（{spec_field.key}）不能是 {given}，可选：{', '.join(spec_field.choices)}",
                              f"{spec_field.en} ({spec_field.key}) cannot be {given}; one of: {', '.join(spec_field.choices)}")
    existing = GatewayAccount.get_or_none(GatewayAccount.name == name)
    if existing and not replace:
        raise DomainError("account_exists", f"网关账户已存在：{name}", f"a gateway account named {name} exists")
    old_public = json.loads(existing.config) if existing else {}
    old_secret = _secrets(desk).get(name) if existing and existing.secret_ref else {}
    public = {**old_public, **{k: v for k, v in values.items() if not _is_secret(spec, k)}}
    secret = {**old_secret, **{k: v for k, v in values.items() if _is_secret(spec, k)}}
    missing = [f.key for f in spec.fields if f.required and not (public.get(f.key) or secret.get(f.key))]
    if missing:
        raise DomainError("missing_config", f"缺少配置项：{', '.join(missing)}", f"missing settings: {', '.join(missing)}")
    if secret:
        _secrets(desk).put(name, secret)
    with desk.atomic():
        if existing is None and GatewayAccount.select().where(GatewayAccount.name == name).exists():
            # added by another process since the read above
            raise DomainError("account_exists", f"网关账户已存在：{name}", f"a gateway account named {name} exists")
        if existing:
            GatewayAccount.update(kind=kind, config=json.dumps(public, ensure_ascii=False),
                                  secret_ref=_secrets(desk).name if secret else "", enabled=enabled).where(
                GatewayAccount.id == existing.id).execute()
        else:
            GatewayAccount.create(name=name, kind=kind, config=json.dumps(public, ensure_ascii=False),
                                  secret_ref=_secrets(desk).name if secret else "", enabled=enabled,
                                  created_at=to_epoch(desk.now()))
    return account_view(desk, name)


def _is_secret(spec: GatewayKind, key: str) -> bool:
    return any(f.key == key and f.secret for f in spec.fields)


def account_view(desk: Desk, name: str) -> AccountView:
    acct = GatewayAccount.get_or_none(GatewayAccount.name == name)
    if acct is None:
        raise not_found("gateway", name)
    return _view(acct, kinds([acct.kind]))


def _view(acct: GatewayAccount, specs: dict[str, GatewayKind]) -> AccountView:
    spec = specs.get(acct.kind)
    return AccountView(
        acct.id, acct.name, acct.kind, spec.title_zh if spec else acct.kind, spec.title_en if spec else acct.kind,
        bool(acct.enabled), json.loads(acct.config or "{}"),
        [f.key for f in spec.fields if f.secret] if spec else [],
        sorted(c.value for c in spec.capabilities) if spec else [], acct.last_test_ok, acct.last_test_message,
        acct.last_test_message_en,
    )


def list_accounts(desk: Desk) -> list[AccountView]:
    """The shop's accounts, with their kinds' titles and capabilities. Only the plugins of the
    kinds the shop uses are loaded (the window lists them at start: a shop without an Alipay
    account does not load Alipay's client, or its HTTP library, for it)."""
    accounts = list(GatewayAccount.select().order_by(GatewayAccount.id))
    specs = kinds({a.kind for a in accounts})
    return [_view(a, specs) for a in accounts]


def account_config(desk: Desk, acct: GatewayAccount) -> dict[str, str]:
    config: dict[str, str] = json.loads(acct.config or "{}")
    if acct.secret_ref:
        config.update(_secrets(desk).get(acct.name))
    config.setdefault("state_dir", str(desk.data_dir))
    return config


def make_adapter(desk: Desk, account_id: int, *, books: bool = True, **kw: Any) -> Any:
    """The adapter of the account ``account_id`` (``kw`` to its constructor). ``books``: the
    caller may book money through it (send a refund): a wallet's or sandbox's books are then
    claimed for this PC on a server store (``local_ledger.claim``); a reader passes False and
    claims nothing. Raises DomainError (not_found, plugin_missing, ledger_elsewhere)."""
    acct = GatewayAccount.get_or_none(GatewayAccount.id == account_id)
    if acct is None:
        raise not_found("gateway", account_id)
    cls = discover().get(acct.kind)
    if cls is None:
        raise DomainError("plugin_missing", f"找不到网关插件：{acct.kind}", f"gateway plugin not installed: {acct.kind}")
    from .local_ledger import check_reader, claim

    (claim if books else check_reader)(desk, acct)  # a wallet's or sandbox's books are one PC's
    return cls(account_config(desk, acct), **kw)


def claim_books(desk: Desk, account_id: int) -> None:
    """Before money is booked through the account ``account_id`` when its adapter was made for
    reading: a wallet's or sandbox's books become this PC's on a server store
    (``local_ledger.claim``; DomainError ``ledger_elsewhere`` when another PC keeps them)."""
    from .local_ledger import claim

    acct = GatewayAccount.get_or_none(GatewayAccount.id == account_id)
    if acct is None:
        raise not_found("gateway", account_id)
    claim(desk, acct)


async def test_account(desk: Desk, name: str) -> ConnectionReport:
    """Probe the account and record the result (for callers that own the database thread; a
    viewer's result is not recorded: ``record_test``)."""
    report = await probe_account(desk, name)
    record_test(desk, name, report)
    return report


async def probe_account(desk: Desk, name: str) -> ConnectionReport:
    """A harmless signed call to the gateway; writes nothing (the window records it on its worker)."""
    acct = GatewayAccount.get_or_none(GatewayAccount.name == name)
    if acct is None:
        raise not_found("gateway", name)
    try:
        adapter = make_adapter(desk, acct.id, books=False, timeout=10.0)
    except GatewayError as exc:
        report = ConnectionReport(False, exc.kind, exc.zh, exc.en, exc.code)
    else:
        try:
            report = await adapter.test_connection()
        except GatewayError as exc:
            report = ConnectionReport(False, exc.kind, exc.zh, exc.en, exc.code)
        finally:
            await adapter.aclose()
    return report


def records_tests(who: Identity | None) -> bool:
    """Whether operator ``who`` records a connection test's result on the account (the 上次测试
    column everyone sees): whoever may send refunds or manage gateways (clerk, owner). A viewer
    may test, a read at the gateway, but changes nothing in the shop: their result is shown to
    them and written nowhere, not even to the shop log."""
    return who is not None and (who.may(Right.REFUNDS) or who.may(Right.GATEWAYS))


def record_test(desk: Desk, name: str, report: ConnectionReport) -> bool:
    """Record ``report`` as account ``name``'s last test (its time, result and message); False,
    with nothing written, for an operator who may not (``records_tests``: a viewer), their
    rights as stored now."""
    if not records_tests(desk.current_operator()):
        return False
    with desk.atomic():
        GatewayAccount.update(last_test_at=to_epoch(desk.now()), last_test_ok=report.ok,
                              last_test_message=report.message_zh,
                              last_test_message_en=report.message_en).where(GatewayAccount.name == name).execute()
    return True


#: The accounts every shop has, by name: its wallet, and the sandbox for trying things out.
BUILTIN_ACCOUNTS = ("余额", "沙箱")


def ensure_builtin_accounts(desk: Desk) -> None:
    """Every shop has its wallet; the sandbox is there for trying things out."""
    builtin: tuple[tuple[str, str, dict[str, str]], ...] = (
        (BUILTIN_ACCOUNTS[0], "wallet", {}), (BUILTIN_ACCOUNTS[1], "sandbox", {"scenario": "success"}))
    if GatewayAccount.select().where(GatewayAccount.name.in_([b[0] for b in builtin])).count() == len(builtin):
        return  # the usual case: a read, no write lock taken
    with desk.atomic():  # read again inside: another process may have added them meanwhile
        for name, kind, cfg in builtin:
            if not GatewayAccount.select().where(GatewayAccount.name == name).exists():
                GatewayAccount.create(name=name, kind=kind, config=json.dumps(cfg), created_at=to_epoch(desk.now()))


@dataclass(frozen=True)
class SecretStatus:
    backend: str  # "keyring" or "vault"
    unlocked: bool
    exists: bool  # a vault file is already there (else the first passphrase creates it)
    keyring_available: bool = False  # this PC has a working OS keyring the owner may choose


def secret_status(desk: Desk, *, keyring: bool = True) -> SecretStatus:
    """Where the secrets are and whether they can be read now; ``keyring`` False leaves out
    whether this PC has an OS keyring (``keyring_available`` False: asking loads the keyring
    library, ~5 MB, which the window's start does not need)."""
    store = _secrets(desk)
    if isinstance(store, VaultStore):
        return SecretStatus("vault", store.unlocked, store.path.exists(), keyring and keyring_usable())
    return SecretStatus(store.name, True, True, True)


def unlock_vault(desk: Desk, passphrase: str) -> SecretStatus:
    """Open the local vault (or create it with this passphrase); wrong passphrases raise."""
    if len(passphrase) < 6:
        raise DomainError("passphrase_too_short", "口令至少 6 个字符", "the passphrase needs at least 6 characters")
    store = _secrets(desk)
    if isinstance(store, VaultStore):
        store.unlock(passphrase)
    return secret_status(desk)


def secrets_needed_now(desk: Desk) -> bool:
    """Whether a secret must be read soon: a refund waits to be sent or asked about through an
    account whose keys are in the secret store. Only then does the window ask for the vault's
    passphrase on its own; otherwise it asks when the owner does something that needs a key."""
    from ..domain.refund_states import RefundStatus as R
    from ..store.models import Refund

    waiting = [R.QUEUED.value, R.SENDING.value, R.PROCESSING.value, R.UNKNOWN.value]
    return bool(Refund.select().join(GatewayAccount, on=(Refund.gateway == GatewayAccount.id))
                .where(Refund.state.in_(waiting) & (GatewayAccount.secret_ref != "")).exists())


def account_needs_secrets(desk: Desk, name: str) -> bool:
    """Whether using this account reads a secret (its kind has secret fields and some are saved)."""
    acct = GatewayAccount.get_or_none(GatewayAccount.name == name)
    return acct is not None and bool(acct.secret_ref)


def switch_secret_store(desk: Desk, backend: str, *, passphrase: str | None = None) -> SecretStatus:
    """Move every secret (gateway keys and the 卡密 key) to ``backend`` ("keyring" or "vault")
    and remember the owner's choice. Both stores must be open: a locked vault raises VaultLocked
    (``passphrase`` unlocks or creates the vault). Raises DomainError keyring_unavailable."""
    desk.require(Right.GATEWAYS)
    from .codekeys import key_account
    from .refund_nos import store_id

    if backend not in BACKENDS:
        raise DomainError("invalid_value", f"未知的密钥存放处：{backend}", f"unknown secret store: {backend}")
    if backend == "keyring" and not keyring_usable():
        raise DomainError("keyring_unavailable", "这台电脑没有可用的系统钥匙串", "this PC has no working OS keyring")
    source = _secrets(desk)
    target: SecretStore = KeyringStore() if backend == "keyring" else VaultStore(desk.data_dir / "vault.json", passphrase)
    if source.name == target.name:
        desk.set_setting(SECRET_BACKEND_SETTING, backend)
        return secret_status(desk)
    accounts = [a.name for a in GatewayAccount.select().where(GatewayAccount.secret_ref != "")]
    accounts.append(key_account(store_id(desk)))
    moving = {name: source.get(name) for name in accounts}
    for name, secret in moving.items():
        if secret:
            target.put(name, secret)
    with desk.atomic():
        GatewayAccount.update(secret_ref=target.name).where(GatewayAccount.secret_ref != "").execute()
        (Setting.insert(key=SECRET_BACKEND_SETTING, value=json.dumps(backend))
         .on_conflict(conflict_target=[Setting.key], preserve=[Setting.value]).execute())
    for name, secret in moving.items():
        if secret:
            source.delete(name)
    desk.set_secrets(target)
    return secret_status(desk)


#: Runs a store read or write: ``await run_db(fn, *args)`` (the window's database worker, or inline).
RunDb = Callable[..., Awaitable[Any]]


async def run_inline(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A RunDb that calls ``fn`` on the caller's thread (the CLI and the tests)."""
    return fn(*args, **kwargs)


class GatewayClients:
    """One adapter per gateway account, made on first use and closed together (the refund queue
    and payment sync talk to gateways through it); store work goes through ``run_db``.
    ``books_money``: whether the clients book money (``make_adapter``'s ``books``)."""

    books_money = True

    def __init__(self, desk: Desk, *, concurrency: int, run_db: RunDb | None = None,
                 adapter_kw: dict[str, Any] | None = None) -> None:
        self.desk = desk
        self.concurrency = concurrency
        self.run_db: RunDb = run_db or run_inline
        self._adapters: dict[int, Any] = {}
        self._adapter_kw = adapter_kw or {}

    async def aclose(self) -> None:
        for adapter in self._adapters.values():
            await adapter.aclose()
        self._adapters.clear()

    def _adapter(self, gateway_id: int) -> Any:
        if gateway_id not in self._adapters:
            self._adapters[gateway_id] = make_adapter(self.desk, gateway_id, books=self.books_money,
                                                      **self._adapter_kw)
        return self._adapters[gateway_id]
