"""The fakes' data: chaos knobs, the ledger of payments and refunds (the truth chaos runs compare
against), and the request and response every fake handler sees and returns."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Chaos:
    latency_ms: int = 0
    fail_5xx_rate: float = 0.0  # 5xx *before* anything is booked
    drop_after_booking_rate: float = 0.0  # booked, then the connection closes with no reply
    hang_after_booking_rate: float = 0.0  # booked, then the reply is held for hang_seconds
    hang_seconds: float = 3.0
    truncate_rate: float = 0.0  # booked, reply body cut in half
    bad_signature_rate: float = 0.0  # booked, reply signed with the wrong key
    balance_not_enough: bool = False  # refunds refused for insufficient merchant balance
    processing_first: bool = False  # refunds report PROCESSING until queried twice (where the gateway has it)
    # Alipay: a refund is booked with fund_change=N and never settles; every
    # alipay.trade.fastpay.refund.query answers code 10000 without refund_status (which Alipay
    # documents as "not received or failed"), and a repeat with the same out_request_no answers N.
    refund_never_settles: bool = False
    seed: int = 0


@dataclass
class FakePayment:
    out_trade_no: str
    trade_no: str
    amount_fen: int
    status: str = "paid"  # pending | paid | closed
    subject: str = ""
    created_at: float = field(default_factory=time.time)
    paid_at: float | None = None
    refunded_fen: int = 0


@dataclass
class FakeRefund:
    refund_no: str  # gateway's own refund number
    out_refund_no: str  # the merchant's key ("" where the gateway honours none)
    out_trade_no: str
    trade_no: str
    amount_fen: int
    status: str = "succeeded"  # succeeded | processing | failed
    created_at: float = field(default_factory=time.time)
    queries: int = 0


@dataclass
class Ledger:
    payments: dict[str, FakePayment] = field(default_factory=dict)  # by out_trade_no
    refunds: list[FakeRefund] = field(default_factory=list)
    refund_calls: int = 0
    duplicate_refund_calls: int = 0  # calls that repeated an already-booked out_refund_no

    def payment(self, out_trade_no: str | None = None, trade_no: str | None = None) -> FakePayment | None:
        if trade_no:
            for p in self.payments.values():
                if p.trade_no == trade_no:
                    return p
            return None
        return self.payments.get(out_trade_no or "")

    def refunds_for(self, out_trade_no: str) -> list[FakeRefund]:
        return [r for r in self.refunds if r.out_trade_no == out_trade_no]

    def refund_by_key(self, out_refund_no: str) -> FakeRefund | None:
        for r in self.refunds:
            if out_refund_no and r.out_refund_no == out_refund_no:
                return r
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "payments": [asdict(p) for p in self.payments.values()],
            "refunds": [asdict(r) for r in self.refunds],
            "refund_calls": self.refund_calls,
            "duplicate_refund_calls": self.duplicate_refund_calls,
        }


@dataclass
class FakeRequest:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    raw_query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))

    def params(self) -> dict[str, str]:
        """Query-string and form-body parameters merged (the body wins)."""
        merged = dict(self.query)
        ctype = self.headers.get("content-type", "")
        if self.body and "application/x-www-form-urlencoded" in ctype:
            merged.update(self.form())
        return merged


@dataclass
class FakeResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    booked: bool = False  # this call changed the ledger (chaos after booking applies)

    @classmethod
    def json(cls, obj: Any, status: int = 200, *, booked: bool = False, **json_kw: Any) -> FakeResponse:
        body = json.dumps(obj, ensure_ascii=False, **json_kw).encode("utf-8")
        return cls(status, body, {"Content-Type": "application/json; charset=UTF-8"}, booked)

    @classmethod
    def text(cls, text: str, status: int = 200) -> FakeResponse:
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/plain; charset=UTF-8"})
