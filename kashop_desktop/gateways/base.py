"""The adapter protocol every payment gateway plugin implements.

Money is integer fen on every type here; each adapter converts to its gateway's wire format
(yuan strings with two decimals for 易支付 and Alipay, integer fen for WeChat Pay).

Outcome rules the refund queue relies on:
  * ``refund`` and ``query_refund`` *return* a RefundResult only for a definitive answer from
    the gateway whose signature verified (SUCCEEDED, PROCESSING, FAILED, NOT_FOUND).
  * A RefundResult reports what the reply itself *named* (``named_*``: the refund no, the
    trade's out_trade_no and gateway trade no, this refund's amount), as received and never
    filled in from the request. The refund queue alone compares them with the refund it asked
    about: a result settles that refund only when it names our refund no (where the gateway
    honours refund keys), our order's trade and the amount we asked for.
  * Everything else *raises* GatewayError with a kind:
      RETRYABLE      the gateway said "try again" or could not be reached; ``sent`` says
                     whether the request may have reached it.
      REJECTED       a definite business refusal that came as an error rather than a result
                     (e.g. refused before sending): nothing was done.
      MISCONFIGURED  credentials or signature refused by the gateway: nothing was done.
      UNKNOWN_OUTCOME the request went out and no usable reply came back: query first.
      SECURITY       a reply whose signature does not verify: never taken as success.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable


class Capability(StrEnum):
    QUERY_PAYMENT = "query_payment"
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    REFUND_IDEMPOTENT = "refund_idempotent"  # a refund may be re-sent with the same key safely
    QUERY_REFUND = "query_refund"
    LIST_TRANSACTIONS = "list_transactions"
    DOWNLOAD_BILL = "download_bill"
    VERIFY_NOTIFICATION = "verify_notification"
    CREATE_QR = "create_qr"
    CLOSE = "close"


class PaymentState(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CLOSED = "closed"
    FROZEN = "frozen"
    NOT_FOUND = "not_found"
    UNKNOWN = "unknown"


class RefundState(StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the gateway has no refund under that key: it never happened


class ErrorKind(StrEnum):
    RETRYABLE = "retryable"
    REJECTED = "rejected"
    MISCONFIGURED = "misconfigured"
    UNKNOWN_OUTCOME = "unknown_outcome"
    SECURITY = "security"


class GatewayError(Exception):
    """A call that produced no definitive, verified answer (see module docstring)."""

    def __init__(
        self,
        kind: ErrorKind,
        zh: str,
        en: str,
        *,
        code: str = "",
        sent: bool = True,
        raw: Any = None,
    ) -> None:
        super().__init__(f"[{kind.value}] {code} {zh} / {en}".replace("  ", " "))
        self.kind = kind
        self.zh = zh
        self.en = en
        self.code = code
        self.sent = sent
        self.raw = raw


@dataclass(frozen=True, slots=True)
class ConfigField:
    """One configuration key an adapter needs; the GUI builds its form from these."""

    key: str
    zh: str
    en: str
    secret: bool = False
    multiline: bool = False
    required: bool = True
    default: str = ""
    choices: tuple[str, ...] = ()
    #: (zh, en) for each of ``choices``, in order, as people read them (the code is what is saved).
    choice_labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PaymentRef:
    out_trade_no: str
    gateway_trade_no: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentSnapshot:
    state: PaymentState
    out_trade_no: str
    gateway_trade_no: str | None
    total_fen: int | None
    refunded_fen: int | None = None
    paid_at: datetime | None = None
    raw: Any = None


@dataclass(frozen=True, slots=True)
class RefundRequest:
    out_trade_no: str
    gateway_trade_no: str | None
    refund_no: str  # our idempotency key, persisted before the call
    amount_fen: int
    total_fen: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RefundRef:
    out_trade_no: str
    gateway_trade_no: str | None
    refund_no: str
    gateway_refund_no: str | None = None
    amount_fen: int | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    state: RefundState
    refund_no: str  # the refund the question was about (ours)
    gateway_refund_no: str | None = None
    amount_fen: int | None = None
    code: str = ""
    message_zh: str = ""
    message_en: str = ""
    raw: Any = None
    raw_bytes: bytes = b""
    # What the reply named, verbatim (None: the reply does not say). See the module docstring.
    named_refund_no: str | None = None
    named_out_trade_no: str | None = None
    named_trade_no: str | None = None
    named_amount_fen: int | None = None


@dataclass(frozen=True, slots=True)
class TxQuery:
    start: date | None = None
    end: date | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class TxRecord:
    out_trade_no: str
    gateway_trade_no: str | None
    amount_fen: int
    state: PaymentState
    created_at: datetime | None = None
    paid_at: datetime | None = None
    refunded_fen: int | None = None
    raw: Any = None


@dataclass(frozen=True, slots=True)
class InboundHttp:
    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class OutboundHttp:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Notification:
    kind: str  # "payment" or "refund"
    out_trade_no: str
    gateway_trade_no: str | None
    amount_fen: int | None
    state: PaymentState | RefundState
    paid_at: datetime | None = None
    refund_no: str | None = None
    raw: Any = None


@dataclass(frozen=True, slots=True)
class QrRequest:
    out_trade_no: str
    amount_fen: int
    subject: str
    notify_url: str = ""
    client_ip: str = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class QrPayment:
    out_trade_no: str
    gateway_trade_no: str | None
    qr_content: str
    raw: Any = None


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    ok: bool
    kind: ErrorKind | None
    message_zh: str
    message_en: str
    detail: str = ""


Clock = Callable[[], datetime]


@runtime_checkable
class GatewayAdapter(Protocol):
    """What the refund queue and the GUI need from a gateway plugin."""

    kind: ClassVar[str]
    title_zh: ClassVar[str]
    title_en: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    config_fields: ClassVar[Sequence[ConfigField]]

    async def query_payment(self, ref: PaymentRef) -> PaymentSnapshot: ...

    async def refund(self, req: RefundRequest) -> RefundResult: ...

    async def query_refund(self, ref: RefundRef) -> RefundResult: ...

    async def list_transactions(self, query: TxQuery) -> list[TxRecord]: ...

    def parse_notification(self, http: InboundHttp) -> Notification: ...

    def notification_ack(self, ok: bool) -> OutboundHttp: ...

    async def test_connection(self) -> ConnectionReport: ...

    async def aclose(self) -> None: ...


class AdapterBase:
    """Shared plumbing: config lookup, capability checks, defaults for unsupported calls."""

    kind: ClassVar[str] = ""
    title_zh: ClassVar[str] = ""
    title_en: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    config_fields: ClassVar[Sequence[ConfigField]] = ()

    def __init__(self, config: Mapping[str, str], *, clock: Clock | None = None, timeout: float = 10.0) -> None:
        missing = [f.key for f in self.config_fields if f.required and not str(config.get(f.key, "")).strip()]
        if missing:
            raise GatewayError(
                ErrorKind.MISCONFIGURED,
                f"缺少配置项：{', '.join(missing)}",
                f"missing configuration: {', '.join(missing)}",
                code="missing_config",
                sent=False,
            )
        self.config = {f.key: str(config.get(f.key, f.default)) for f in self.config_fields}
        for key, value in config.items():
            self.config.setdefault(key, str(value))
        self.clock: Clock = clock or (lambda: datetime.now().astimezone())
        self.timeout = timeout

    def supports(self, cap: Capability) -> bool:
        return cap in self.capabilities

    def _unsupported(self, what: str) -> GatewayError:
        return GatewayError(
            ErrorKind.MISCONFIGURED,
            f"该网关不支持：{what}",
            f"this gateway does not support: {what}",
            code="unsupported",
            sent=False,
        )

    async def query_payment(self, ref: PaymentRef) -> PaymentSnapshot:
        raise self._unsupported("query_payment")

    async def refund(self, req: RefundRequest) -> RefundResult:
        raise self._unsupported("refund")

    async def query_refund(self, ref: RefundRef) -> RefundResult:
        raise self._unsupported("query_refund")

    async def list_transactions(self, query: TxQuery) -> list[TxRecord]:
        raise self._unsupported("list_transactions")

    async def create_qr(self, req: QrRequest) -> QrPayment:
        raise self._unsupported("create_qr")

    async def close_payment(self, ref: PaymentRef) -> PaymentState:
        """Close an unpaid trade so the buyer can no longer pay it (Capability.CLOSE).

        Returns CLOSED (closed now or already), PAID (the buyer paid meanwhile: take the
        payment instead) or NOT_FOUND (the gateway has no such trade yet, e.g. an Alipay QR
        never scanned). Anything else raises GatewayError as the module docstring says.
        """
        raise self._unsupported("close_payment")

    def parse_notification(self, http: InboundHttp) -> Notification:
        raise self._unsupported("verify_notification")

    def notification_ack(self, ok: bool) -> OutboundHttp:
        return OutboundHttp(200, {"Content-Type": "text/plain"}, b"success" if ok else b"fail")

    async def test_connection(self) -> ConnectionReport:
        return ConnectionReport(True, None, "连接正常", "connection OK")

    async def aclose(self) -> None:
        return None
