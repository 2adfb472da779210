"""Alipay OpenAPI adapter against its byte-faithful fake on 127.0.0.1, cross-checked with the vendor SDK.

The vendor package (python-alipay-sdk, ``import alipay``) is used only here, as an independent
oracle: it signs requests the fake must accept, verifies the fake's replies and notifications,
and verifies our adapter's signatures with its own (pycryptodomex) RSA code.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kashop_desktop.gateways.alipay import (
    BEIJING,
    AlipayAdapter,
    canonical_request_string,
    gateway_url_from,
    load_private_key,
    load_public_key,
    notification_sign_content,
    rsa2_sign,
    rsa2_verify,
    signed_response_content,
)
from kashop_desktop.gateways.base import (
    Capability,
    ErrorKind,
    GatewayError,
    InboundHttp,
    PaymentRef,
    PaymentState,
    QrRequest,
    RefundRef,
    RefundRequest,
    RefundState,
    TxQuery,
)
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.gateways.fakes.alipay import FakeAlipayServer
from kashop_desktop.gateways.fakes.base import Chaos, FakeRefund

# The canonical string of the protocol notes §2.3, verbatim.
DOC_CANONICAL = (
    'app_id=2021000000000000&biz_content={"out_trade_no":"T1","refund_amount":"0.50","out_request_no":"R1"}'
    "&charset=utf-8&format=JSON&method=alipay.trade.refund&sign_type=RSA2&timestamp=2024-07-01 16:47:32&version=1.0"
)


# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeAlipayServer]:
    server = FakeAlipayServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake(_server: FakeAlipayServer) -> FakeAlipayServer:
    """The module's fake with calm chaos; tests use their own trade numbers."""
    _server.set_chaos(**asdict(Chaos()))
    _server.error_after_booking_rate = 0.0
    _server.refund_query_lag_rate = 0.0
    return _server


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _no() -> str:
    return "T" + uuid.uuid4().hex[:20]


@contextlib.asynccontextmanager
async def adapter(config: dict[str, str], **kw: Any) -> AsyncIterator[AlipayAdapter]:
    a = AlipayAdapter(config, **kw)
    try:
        yield a
    finally:
        await a.aclose()


def _pem(key: rsa.RSAPrivateKey, fmt: serialization.PrivateFormat) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def _bare(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def _fixed_clock() -> datetime:
    return datetime(2024, 7, 1, 16, 47, 32, tzinfo=BEIJING)


def _sdk(fake: FakeAlipayServer, *, alipay_public_key: str | None = None, pkcs1: bool = True) -> Any:
    from alipay import AliPay

    sdk = AliPay(
        appid=fake.app_id,
        app_notify_url=None,
        app_private_key_string=fake.app_private_key_pem(pkcs1=pkcs1),
        alipay_public_key_string=alipay_public_key or fake.alipay_public_key_pem(),
        sign_type="RSA2",
    )
    sdk._gateway = fake.gateway_url  # the SDK's only way to point at another gateway (§2.11)
    return sdk


# ---- golden vectors and signatures ----------------------------------------------------------------


def test_canonical_string_matches_the_reference_example(fake: FakeAlipayServer) -> None:
    """Protocol notes §2.3: the refund request built from a RefundRequest gives the documented string."""
    config = {**fake.account_config(), "app_id": "2021000000000000"}
    a = AlipayAdapter(config, clock=_fixed_clock)
    req = RefundRequest("T1", None, "R1", amount_fen=50, total_fen=100)
    params = a.signed_params("alipay.trade.refund", a.refund_biz(req))
    assert canonical_request_string(params) == DOC_CANONICAL
    # sign_type is signed; sign is not; the signature is one base64 line of a 2048-bit RSA block.
    assert "sign_type=RSA2" in DOC_CANONICAL and "sign=" not in canonical_request_string(params)
    assert len(base64.b64decode(params["sign"], validate=True)) == 256
    assert rsa2_verify(fake.app_key.public_key(), DOC_CANONICAL, params["sign"])
    # Empty values are dropped from the canonical string; keys sort by ASCII.
    assert canonical_request_string({"b": "2", "a": "1", "c": "", "sign": "x"}) == "a=1&b=2"


def test_rsa2_signature_equals_the_vendor_sdk_and_verifies_both_ways(fake: FakeAlipayServer) -> None:
    from alipay import AliPay

    sdk = AliPay(
        appid=fake.app_id,
        app_private_key_string=fake.app_private_key_pem(pkcs1=True),
        alipay_public_key_string=fake.app_public_key_pem(),  # so the SDK's _verify checks *our* signatures
    )
    key = load_private_key(fake.app_private_key_pem())
    text = DOC_CANONICAL + "&中文=退款/测试"
    ours = rsa2_sign(key, text)
    assert ours == sdk._sign(text)  # PKCS#1 v1.5 is deterministic: same bytes from pycryptodomex
    assert sdk._verify(text, ours)
    assert rsa2_verify(load_public_key(fake.app_public_key_pem()), text, sdk._sign(text))
    assert not rsa2_verify(load_public_key(fake.app_public_key_pem()), text + "x", ours)
    # The SDK's own canonicalisation of our full parameter set verifies with our signature.
    a = AlipayAdapter(fake.account_config(), clock=_fixed_clock)
    params = a.signed_params("alipay.trade.query", {"out_trade_no": "订单-1"})
    sign = params.pop("sign")
    sdk_string = "&".join(f"{k}={v}" for k, v in sdk._ordered_data(dict(params)))
    assert sdk_string == canonical_request_string(params)
    assert sdk._verify(sdk_string, sign)


def test_key_formats_and_misconfigurations(fake: FakeAlipayServer, other_key: rsa.RSAPrivateKey) -> None:
    base = fake.account_config()
    pkcs1 = fake.app_private_key_pem(pkcs1=True)
    pkcs8 = fake.app_private_key_pem()
    variants = [pkcs1, pkcs8, _bare(pkcs1), _bare(pkcs8), pkcs8.replace("\n", "\\n"), pkcs8.replace("\n", "")]
    text = "hello 世界"
    for private in variants:
        a = AlipayAdapter({**base, "app_private_key": private})
        assert rsa2_verify(fake.app_key.public_key(), text, rsa2_sign(a._private_key, text))
    for public in (fake.alipay_public_key_pem(), _bare(fake.alipay_public_key_pem())):
        AlipayAdapter({**base, "alipay_public_key": public})
    bad_cases = {
        "app_private_key": ["not a key", fake.alipay_public_key_pem()],
        "alipay_public_key": ["nope", pkcs8],
        "base_url": ["ftp://example.com/gateway.do"],
    }
    for field_name, values in bad_cases.items():
        for value in values:
            with pytest.raises(GatewayError) as err:
                AlipayAdapter({**base, field_name: value})
            assert err.value.kind is ErrorKind.MISCONFIGURED and not err.value.sent
    # The classic mistake: the app's own public key pasted as the "Alipay public key".
    with pytest.raises(GatewayError) as err:
        AlipayAdapter({**base, "alipay_public_key": fake.app_public_key_pem()})
    assert err.value.kind is ErrorKind.MISCONFIGURED and "应用公钥" in err.value.zh
    with pytest.raises(GatewayError) as err:
        AlipayAdapter({**base, "app_id": ""})
    assert err.value.code == "missing_config"


def test_declared_plugin_surface() -> None:
    assert AlipayAdapter.kind == "alipay" and fake_class("alipay") is FakeAlipayServer
    assert AlipayAdapter.title_zh and AlipayAdapter.title_en
    keys = {f.key: f for f in AlipayAdapter.config_fields}
    assert list(keys) == ["base_url", "app_id", "app_private_key", "alipay_public_key"]
    assert (
        keys["app_private_key"].secret
        and keys["app_private_key"].multiline
        and keys["alipay_public_key"].multiline
    )
    assert not keys["base_url"].required
    assert {
        Capability.REFUND,
        Capability.PARTIAL_REFUND,
        Capability.REFUND_IDEMPOTENT,
        Capability.QUERY_REFUND,
        Capability.VERIFY_NOTIFICATION,
        Capability.CREATE_QR,
        Capability.CLOSE,
    } <= AlipayAdapter.capabilities
    assert gateway_url_from("http://127.0.0.1:8765") == "http://127.0.0.1:8765/gateway.do"
    assert gateway_url_from("http://127.0.0.1:8765/") == "http://127.0.0.1:8765/gateway.do"
    assert (
        gateway_url_from("https://openapi.alipay.com/gateway.do") == "https://openapi.alipay.com/gateway.do"
    )
    assert gateway_url_from("") == "https://openapi.alipay.com/gateway.do"


def test_signed_content_is_the_exact_raw_substring(fake: FakeAlipayServer) -> None:
    inner = {"code": "10000", "msg": "Success", "qr_code": "https://qr.alipay.com/x", "note": '含 "}{" 与 \\'}
    resp = fake.envelope("alipay_trade_precreate_response", inner)
    body = resp.body.decode("utf-8")
    assert "https:\\/\\/qr.alipay.com\\/x" in body and "含" in body  # '/' escaped, UTF-8 raw
    key, content, sign = signed_response_content(body, "alipay_trade_precreate_response")
    assert key == "alipay_trade_precreate_response" and sign
    assert json.loads(content) == inner
    public = load_public_key(fake.alipay_public_key_pem())
    assert rsa2_verify(public, content, sign)
    # A re-serialisation (what a careless client would verify) is different bytes and fails.
    assert not rsa2_verify(public, json.dumps(inner, ensure_ascii=False, separators=(",", ":")), sign)
    # Whitespace around the value does not change the span.
    spaced = body.replace('_response":', '_response" : \n ')
    assert signed_response_content(spaced, "alipay_trade_precreate_response")[1] == content
    for broken in (body[: len(body) // 2], body + "x", '{"a":1,"a":2}', "[]"):
        with pytest.raises(ValueError):
            signed_response_content(broken, "alipay_trade_precreate_response")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=30) | st.integers(), max_size=5))
def test_any_signed_reply_verifies_over_its_raw_bytes(fake: FakeAlipayServer, extra: dict[str, Any]) -> None:
    inner = {"code": "10000", "msg": "Success", **extra}
    body = fake.envelope("alipay_trade_query_response", inner).body.decode("utf-8")
    _key, content, sign = signed_response_content(body, "alipay_trade_query_response")
    assert sign and json.loads(content) == inner
    assert rsa2_verify(fake.alipay_key.public_key(), content, sign)


# ---- end to end against the fake -------------------------------------------------------------------


def test_query_payment_states(fake: FakeAlipayServer) -> None:
    paid, pending, qr = _no(), _no(), _no()
    payment = fake.add_payment(paid, 1234, subject="月卡")
    fake.add_payment(pending, 500, status="pending")

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            snap = await a.query_payment(PaymentRef(paid))
            assert snap.state is PaymentState.PAID and snap.total_fen == 1234
            assert snap.gateway_trade_no == payment.trade_no and snap.paid_at is not None
            assert snap.paid_at.tzinfo is not None
            by_trade_no = await a.query_payment(PaymentRef(paid, payment.trade_no))
            assert by_trade_no.state is PaymentState.PAID
            assert (await a.query_payment(PaymentRef(pending))).state is PaymentState.PENDING
            assert (await a.query_payment(PaymentRef(_no()))).state is PaymentState.NOT_FOUND
            # Precreated but never scanned: Alipay says TRADE_NOT_EXIST.
            created = await a.create_qr(
                QrRequest(qr, 990, "充值卡 100 元", notify_url="http://127.0.0.1:9/notify")
            )
            assert created.qr_content.startswith("https://qr.alipay.com/")
            assert (await a.query_payment(PaymentRef(qr))).state is PaymentState.NOT_FOUND
            fake.pay(qr)
            after = await a.query_payment(PaymentRef(qr))
            assert after.state is PaymentState.PAID and after.total_fen == 990

    asyncio.run(scenario())


def test_full_refund_closes_the_trade(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 3000)

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            result = await a.refund(RefundRequest(no, None, "R" + no, 3000, 3000, reason="买错了"))
            assert result.state is RefundState.SUCCEEDED and result.amount_fen == 3000
            assert result.raw["refund"]["fund_change"] == "Y" and result.raw_bytes.startswith(b"{")
            assert (result.named_refund_no, result.named_out_trade_no, result.named_amount_fen) == ("R" + no, no, 3000)
            assert (await a.query_payment(PaymentRef(no))).state is PaymentState.CLOSED
            queried = await a.query_refund(RefundRef(no, None, "R" + no))
            assert queried.state is RefundState.SUCCEEDED and queried.amount_fen == 3000

    asyncio.run(scenario())
    refunds = fake.ledger.refunds_for(no)
    assert [(r.out_refund_no, r.amount_fen, r.status) for r in refunds] == [("R" + no, 3000, "succeeded")]


def test_partial_refunds_then_over_refund_fails(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 1000)

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            first = await a.refund(RefundRequest(no, None, no + "-1", 300, 1000))
            second = await a.refund(RefundRequest(no, None, no + "-2", 500, 1000))
            assert first.state is second.state is RefundState.SUCCEEDED
            assert (await a.query_payment(PaymentRef(no))).state is PaymentState.PAID
            over = await a.refund(RefundRequest(no, None, no + "-3", 300, 1000))
            assert over.state is RefundState.FAILED and over.code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
            assert "超过" in over.message_zh and "exceeds" in over.message_en
            assert (await a.query_refund(RefundRef(no, None, no + "-2"))).amount_fen == 500
            assert (await a.query_refund(RefundRef(no, None, no + "-3"))).state is RefundState.NOT_FOUND

    asyncio.run(scenario())
    assert sorted(r.amount_fen for r in fake.ledger.refunds_for(no)) == [300, 500]
    assert fake.ledger.payments[no].refunded_fen == 800


def test_idempotent_repeat_books_once_and_discordant_repeat_is_unknown(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 800)
    calls, dups = fake.ledger.refund_calls, fake.ledger.duplicate_refund_calls

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            req = RefundRequest(no, None, "R" + no, 200, 800)
            first = await a.refund(req)
            again = await a.refund(req)
            assert first.state is again.state is RefundState.SUCCEEDED
            assert again.raw["refund"]["fund_change"] == "N"  # confirmed through fastpay.refund.query
            with pytest.raises(GatewayError) as err:
                await a.refund(RefundRequest(no, None, "R" + no, 300, 800))
            assert (
                err.value.kind is ErrorKind.UNKNOWN_OUTCOME
                and err.value.code == "ACQ.DISCORDANT_REPEAT_REQUEST"
            )

    asyncio.run(scenario())
    assert len(fake.ledger.refunds_for(no)) == 1
    assert fake.ledger.refund_calls - calls == 3 and fake.ledger.duplicate_refund_calls - dups == 2


def test_processing_then_success(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 600)
    fake.set_chaos(processing_first=True)

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            first = await a.refund(RefundRequest(no, None, "R" + no, 600, 600))
            assert first.state is RefundState.PROCESSING and first.raw["refund"]["fund_change"] == "N"
            assert fake.ledger.refunds_for(no)[0].status == "processing"
            later = await a.query_refund(RefundRef(no, None, "R" + no, amount_fen=600))
            assert later.state is RefundState.SUCCEEDED and later.amount_fen == 600

    asyncio.run(scenario())
    assert [r.status for r in fake.ledger.refunds_for(no)] == ["succeeded"]


def test_balance_not_enough_fails_clearly_and_can_be_resent(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 5000)
    fake.set_chaos(balance_not_enough=True)

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            req = RefundRequest(no, None, "R" + no, 5000, 5000)
            result = await a.refund(req)
            assert result.state is RefundState.FAILED and result.code == "ACQ.SELLER_BALANCE_NOT_ENOUGH"
            assert "余额不足" in result.message_zh and "balance" in result.message_en
            assert fake.ledger.refunds_for(no) == []
            fake.set_chaos(balance_not_enough=False)
            assert (await a.refund(req)).state is RefundState.SUCCEEDED  # topped up: same key works

    asyncio.run(scenario())
    assert len(fake.ledger.refunds_for(no)) == 1


def test_other_business_failures_are_failed_with_messages(fake: FakeAlipayServer) -> None:
    finished, pending = _no(), _no()
    fake.add_payment(finished, 100)
    fake.finish_trade(finished)
    fake.add_payment(pending, 100, status="pending")
    cases = [
        (finished, "ACQ.TRADE_HAS_FINISHED", "完结"),
        (pending, "ACQ.TRADE_STATUS_ERROR", "状态"),
        (_no(), "ACQ.TRADE_NOT_EXIST", "没有这笔交易"),
    ]

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            for no, code, word in cases:
                result = await a.refund(RefundRequest(no, None, "R" + no, 100, 100))
                assert (result.state, result.code) == (RefundState.FAILED, code)
                assert word in result.message_zh and result.message_en
            with pytest.raises(GatewayError) as err:  # caught before sending
                await a.refund(RefundRequest(finished, None, "R", 200, 100))
            assert err.value.kind is ErrorKind.REJECTED and not err.value.sent

    asyncio.run(scenario())
    assert all(fake.ledger.refunds_for(no) == [] for no, _c, _w in cases)


def test_bad_app_key_is_misconfigured(fake: FakeAlipayServer, other_key: rsa.RSAPrivateKey) -> None:
    no = _no()
    fake.add_payment(no, 100)
    config = {**fake.account_config(), "app_private_key": _pem(other_key, serialization.PrivateFormat.PKCS8)}
    calls = fake.ledger.refund_calls

    async def scenario() -> None:
        async with adapter(config) as a:
            report = await a.test_connection()
            assert not report.ok and report.kind is ErrorKind.MISCONFIGURED
            assert "应用私钥" in report.message_zh and "private key" in report.message_en
            assert "isv.invalid-signature" in report.message_zh
            with pytest.raises(GatewayError) as err:
                await a.refund(RefundRequest(no, None, "R" + no, 100, 100))
            assert err.value.kind is ErrorKind.MISCONFIGURED and err.value.code == "isv.invalid-signature"
        async with adapter(fake.account_config()) as good:
            report = await good.test_connection()
            assert report.ok and report.kind is None and "ACQ.TRADE_NOT_EXIST" in report.detail

    asyncio.run(scenario())
    assert fake.ledger.refund_calls == calls and fake.ledger.refunds_for(no) == []


def test_invalid_app_id_and_wrong_alipay_public_key(
    fake: FakeAlipayServer, other_key: rsa.RSAPrivateKey
) -> None:
    wrong_pub = (
        other_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    async def scenario() -> None:
        async with adapter({**fake.account_config(), "app_id": "2021999999999999"}) as a:
            report = await a.test_connection()
            assert report.kind is ErrorKind.MISCONFIGURED and "app_id" in report.message_zh
            # The gateway sends this one unsigned: the money paths do not trust it.
            with pytest.raises(GatewayError) as err:
                await a.query_payment(PaymentRef(_no()))
            assert err.value.kind is ErrorKind.SECURITY and "isv.invalid-app-id" in err.value.zh
        async with adapter({**fake.account_config(), "alipay_public_key": wrong_pub}) as a:
            report = await a.test_connection()
            assert report.kind is ErrorKind.MISCONFIGURED and "支付宝公钥" in report.message_zh

    asyncio.run(scenario())


def test_bad_response_signature_is_security_never_success(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 700)
    fake.set_chaos(bad_signature_rate=1.0)

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            req = RefundRequest(no, None, "R" + no, 700, 700)
            with pytest.raises(GatewayError) as err:
                await a.refund(req)
            assert err.value.kind is ErrorKind.SECURITY and err.value.code == "bad_reply_signature"
            with pytest.raises(GatewayError) as err:
                await a.query_refund(RefundRef(no, None, "R" + no))
            assert err.value.kind is ErrorKind.SECURITY
            fake.set_chaos(bad_signature_rate=0.0)
            assert (await a.query_refund(RefundRef(no, None, "R" + no))).state is RefundState.SUCCEEDED

    asyncio.run(scenario())
    assert len(fake.ledger.refunds_for(no)) == 1


def test_reply_lost_after_booking_then_query_then_resend_books_nothing(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 450)
    fake.set_chaos(drop_after_booking_rate=1.0)
    dups = fake.ledger.duplicate_refund_calls

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            req = RefundRequest(no, None, "R" + no, 450, 450)
            with pytest.raises(GatewayError) as err:
                await a.refund(req)
            assert err.value.kind is ErrorKind.UNKNOWN_OUTCOME and err.value.sent
            fake.set_chaos(drop_after_booking_rate=0.0)
            assert (await a.query_refund(RefundRef(no, None, "R" + no))).state is RefundState.SUCCEEDED
            assert (await a.refund(req)).state is RefundState.SUCCEEDED

    asyncio.run(scenario())
    assert [(r.amount_fen, r.status) for r in fake.ledger.refunds_for(no)] == [(450, "succeeded")]
    assert fake.ledger.duplicate_refund_calls - dups == 1


def test_reply_lost_and_early_query_empty_then_resend_is_idempotent(fake: FakeAlipayServer) -> None:
    """Alipay's documented lag: the query says "no such refund", so the same key goes out again."""
    no = _no()
    fake.add_payment(no, 990)
    fake.set_chaos(drop_after_booking_rate=1.0)
    fake.refund_query_lag_rate = 1.0
    dups = fake.ledger.duplicate_refund_calls

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            req = RefundRequest(no, None, "R" + no, 990, 990)
            with pytest.raises(GatewayError) as err:
                await a.refund(req)
            assert err.value.kind is ErrorKind.UNKNOWN_OUTCOME
            fake.set_chaos(drop_after_booking_rate=0.0)
            assert (await a.query_refund(RefundRef(no, None, "R" + no))).state is RefundState.NOT_FOUND
            again = await a.refund(req)  # the rules allow it: same out_request_no, same amount
            assert again.state is RefundState.SUCCEEDED and again.raw["refund"]["fund_change"] == "N"

    asyncio.run(scenario())
    assert [(r.amount_fen, r.status) for r in fake.ledger.refunds_for(no)] == [(990, "succeeded")]
    assert fake.ledger.payments[no].refunded_fen == 990
    assert fake.ledger.duplicate_refund_calls - dups == 1


def test_hang_times_out_as_unknown_outcome(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 100)
    fake.set_chaos(hang_after_booking_rate=1.0, hang_seconds=1.0)

    async def scenario() -> None:
        async with adapter(fake.account_config(), timeout=0.3) as a:
            with pytest.raises(GatewayError) as err:
                await a.refund(RefundRequest(no, None, "R" + no, 100, 100))
            assert err.value.kind is ErrorKind.UNKNOWN_OUTCOME and err.value.code == "timeout"

    asyncio.run(scenario())
    assert len(fake.ledger.refunds_for(no)) == 1  # booked: only a query can tell


def test_transport_failures(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 100)

    async def scenario() -> None:
        # Nothing listens on a just-closed port: refused before anything was sent.
        with contextlib.closing(__import__("socket").socket()) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        async with adapter({**fake.account_config(), "base_url": f"http://127.0.0.1:{port}"}) as a:
            with pytest.raises(GatewayError) as err:
                await a.refund(RefundRequest(no, None, "R" + no, 100, 100))
            assert err.value.kind is ErrorKind.RETRYABLE and not err.value.sent
            report = await a.test_connection()
            assert not report.ok and report.kind is ErrorKind.RETRYABLE
        async with adapter(fake.account_config()) as a:
            for knob in ("fail_5xx_rate", "truncate_rate"):
                fake.set_chaos(**{knob: 1.0})
                with pytest.raises(GatewayError) as err:
                    await a.refund(RefundRequest(no, None, "R" + no, 100, 100))
                assert err.value.kind is ErrorKind.UNKNOWN_OUTCOME and err.value.sent, knob
                fake.set_chaos(**{knob: 0.0})
            # 20000 / ACQ.SYSTEM_ERROR after booking: signed, but the outcome is unknown.
            other = _no()
            fake.add_payment(other, 100)
            fake.error_after_booking_rate = 1.0
            with pytest.raises(GatewayError) as err:
                await a.refund(RefundRequest(other, None, "R" + other, 100, 100))
            assert err.value.kind is ErrorKind.UNKNOWN_OUTCOME
            assert err.value.code in ("isp.unknow-error", "ACQ.SYSTEM_ERROR")
            fake.error_after_booking_rate = 0.0
            assert (await a.query_refund(RefundRef(other, None, "R" + other))).state is RefundState.SUCCEEDED
        async with adapter({**fake.account_config(), "base_url": fake.url + "nowhere.do"}) as a:
            with pytest.raises(GatewayError) as err:
                await a.query_payment(PaymentRef(no))
            assert err.value.kind is ErrorKind.MISCONFIGURED

    asyncio.run(scenario())
    # The 5xx came before booking, the truncated reply after it: exactly one refund either way.
    assert len(fake.ledger.refunds_for(no)) == 1


# ---- notifications -------------------------------------------------------------------------------------


class _NotifyReceiver:
    """A merchant endpoint on loopback that runs parse_notification and answers notification_ack."""

    def __init__(self, a: AlipayAdapter) -> None:
        self.seen: list[Any] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                http = InboundHttp("POST", self.path, {}, dict(self.headers.items()), body)
                try:
                    receiver.seen.append(a.parse_notification(http))
                    ack = a.notification_ack(True)
                except GatewayError as exc:
                    receiver.seen.append(exc)
                    ack = a.notification_ack(False)
                self.send_response(ack.status)
                for k, v in ack.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(ack.body)))
                self.end_headers()
                self.wfile.write(ack.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/alipay/notify"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def test_payment_notify_end_to_end(fake: FakeAlipayServer) -> None:
    no = _no()
    a = AlipayAdapter(fake.account_config())
    receiver = _NotifyReceiver(a)
    try:

        async def create() -> None:
            try:
                await a.create_qr(QrRequest(no, 2500, "季卡", notify_url=receiver.url))
            finally:
                await a.aclose()

        asyncio.run(create())
        assert fake.notify_urls[no] == receiver.url
        fake.pay(no)
        status, body = fake.send_notify(receiver.url, fake.notify_params(no))
        assert (status, body) == (200, b"success")
        note = receiver.seen[-1]
        assert note.kind == "payment" and note.out_trade_no == no and note.amount_fen == 2500
        assert note.state is PaymentState.PAID and note.paid_at is not None
        status, body = fake.send_notify(receiver.url, fake.notify_params(no, bad_signature=True))
        assert body == b"fail" and receiver.seen[-1].kind is ErrorKind.SECURITY
    finally:
        receiver.close()


def test_notification_verification_rules(fake: FakeAlipayServer) -> None:
    no = _no()
    fake.add_payment(no, 1000, subject="点卡")
    a = AlipayAdapter(fake.account_config())

    def parse(params: dict[str, str]) -> Any:
        from urllib.parse import urlencode

        return a.parse_notification(InboundHttp("POST", "/n", body=urlencode(params).encode()))

    good = fake.notify_params(no)
    assert parse(good).amount_fen == 1000
    tampered = {**good, "total_amount": "0.01"}
    unsigned = {k: v for k, v in good.items() if k != "sign"}
    rsa1 = {**good, "sign_type": "RSA"}
    for forged in (tampered, unsigned, rsa1):
        with pytest.raises(GatewayError) as err:
            parse(forged)
        assert err.value.kind is ErrorKind.SECURITY
    with pytest.raises(GatewayError) as err:  # duplicate keys are never resolved silently
        a.parse_notification(InboundHttp("POST", "/n", body=b"a=1&a=2&sign=x"))
    assert err.value.kind is ErrorKind.SECURITY
    # A genuine notification for another app of the same Alipay key pair is not ours.
    other = FakeAlipayServer(app_id="2021000000000002")
    other.alipay_key = fake.alipay_key
    other.ledger.payments[no] = fake.ledger.payments[no]
    with pytest.raises(GatewayError) as err:
        parse(other.notify_params(no))
    assert err.value.code == "wrong_app_id"
    # Refund notifications carry out_biz_no = our refund number.
    fake.ledger.payments[no].refunded_fen = 1000
    fake.ledger.payments[no].status = "closed"
    note = parse(fake.notify_params(no, refund=FakeRefund("x", "R" + no, no, "t", 1000)))
    assert note.kind == "refund" and note.refund_no == "R" + no and note.state is RefundState.SUCCEEDED
    assert a.notification_ack(True).body == b"success"


# ---- reconciliation ---------------------------------------------------------------------------------------


def test_bill_download_lists_yesterdays_transactions(fake: FakeAlipayServer) -> None:
    yesterday_ts = (datetime.now(BEIJING) - timedelta(days=1)).replace(hour=12).timestamp()
    paid, refunded = _no(), _no()
    for no, amount in ((paid, 1999), (refunded, 500)):
        p = fake.add_payment(no, amount, subject="账单测试")
        p.paid_at = p.created_at = yesterday_ts

    async def scenario() -> None:
        async with adapter(fake.account_config()) as a:
            await a.refund(RefundRequest(refunded, None, "R" + refunded, 200, 500))
            fake.ledger.refunds_for(refunded)[0].created_at = yesterday_ts
            day = (datetime.now(BEIJING) - timedelta(days=1)).date()
            records = {
                r.out_trade_no: r for r in await a.list_transactions(TxQuery(start=day, end=day, limit=1000))
            }
            assert records[paid].amount_fen == 1999 and records[paid].state is PaymentState.PAID
            assert records[refunded].refunded_fen == 200
            assert records[refunded].state is PaymentState.PARTIALLY_REFUNDED
            # Today's bill does not exist yet: the range is clipped to finished days.
            assert await a.list_transactions(TxQuery(start=date.today() + timedelta(days=2))) == []
            url = await a.bill_download_url(day)
        async with adapter(fake.account_config()) as a:
            # The download link is one-shot.
            import httpx

            async with httpx.AsyncClient() as client:
                assert (await client.get(url)).status_code == 200
                assert (await client.get(url)).status_code == 404

    asyncio.run(scenario())


# ---- independent cross-check with the vendor SDK (python-alipay-sdk) ------------------------------------


def test_vendor_sdk_against_the_fake(fake: FakeAlipayServer, other_key: rsa.RSAPrivateKey) -> None:
    """(a) The fake accepts what the SDK signs (GET, \\uXXXX biz_content) and the SDK verifies its replies."""
    from alipay.exceptions import AliPayException, AliPayValidationError

    no = _no()
    fake.add_payment(no, 1500)
    sdk = _sdk(fake)
    queried = sdk.api_alipay_trade_query(out_trade_no=no)
    assert queried["code"] == "10000" and queried["trade_status"] == "TRADE_SUCCESS"
    refunded = sdk.api_alipay_trade_refund(
        refund_amount="5.00", out_trade_no=no, out_request_no="SDK-1", refund_reason="测试退款/中文"
    )
    assert refunded["code"] == "10000" and refunded["fund_change"] == "Y"
    again = sdk.api_alipay_trade_refund(refund_amount="5.00", out_trade_no=no, out_request_no="SDK-1")
    assert again["fund_change"] == "N"
    status = sdk.api_alipay_trade_fastpay_refund_query(out_request_no="SDK-1", out_trade_no=no)
    assert status["refund_status"] == "REFUND_SUCCESS" and status["refund_amount"] == "5.00"
    precreate = sdk.api_alipay_trade_precreate(subject="卡密", out_trade_no=_no(), total_amount="1.00")
    assert precreate["qr_code"].startswith("https://qr.alipay.com/")  # the SDK verified a '\/' body
    assert len(fake.ledger.refunds_for(no)) == 1
    # The SDK signs with a PKCS#8 key just as well.
    assert _sdk(fake, pkcs1=False).api_alipay_trade_query(out_trade_no=no)["code"] == "10000"
    # And it does verify: a wrong Alipay key, or a reply signed with the wrong key, is refused.
    wrong_pub = (
        other_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(AliPayValidationError):
        _sdk(fake, alipay_public_key=wrong_pub).api_alipay_trade_query(out_trade_no=no)
    fake.set_chaos(bad_signature_rate=1.0)
    with pytest.raises(AliPayValidationError):
        sdk.api_alipay_trade_query(out_trade_no=no)
    fake.set_chaos(bad_signature_rate=0.0)
    # A request the SDK signs with a key the fake does not know is refused (isv.invalid-signature).
    from alipay import AliPay

    stranger = AliPay(
        appid=fake.app_id,
        app_private_key_string=_pem(other_key, serialization.PrivateFormat.TraditionalOpenSSL),
        alipay_public_key_string=fake.alipay_public_key_pem(),
    )
    stranger._gateway = fake.gateway_url
    refused = stranger.api_alipay_trade_query(out_trade_no=no)
    assert (refused["code"], refused["sub_code"]) == ("40002", "isv.invalid-signature")
    # Unknown app_id comes back unsigned, which the SDK itself refuses to trust.
    ghost = _sdk(fake)
    ghost._appid = "2021000000000999"
    with pytest.raises(AliPayException):
        ghost.api_alipay_trade_query(out_trade_no=no)


def test_vendor_sdk_verifies_fake_notifications_and_our_signatures(fake: FakeAlipayServer) -> None:
    """(b) The SDK's verify() accepts our fake's notifications and our adapter's request signatures."""
    no = _no()
    fake.add_payment(no, 321, subject="会员")
    sdk = _sdk(fake)
    params = fake.notify_params(no)
    sign = params.pop("sign")
    assert sdk.verify(dict(params), sign)  # pops sign_type itself
    assert not sdk.verify({**params, "total_amount": "3.22"}, sign)
    # Our content string for notifications is the SDK's.
    assert notification_sign_content({**params, "sign": sign}) == "&".join(
        f"{k}={v}" for k, v in sdk._ordered_data({k: v for k, v in params.items() if k != "sign_type"})
    )
    # The SDK, holding the app *public* key, verifies what our adapter signs.
    from alipay import AliPay

    checker = AliPay(
        appid=fake.app_id,
        app_private_key_string=fake.app_private_key_pem(pkcs1=True),
        alipay_public_key_string=fake.app_public_key_pem(),
    )
    a = AlipayAdapter(fake.account_config())
    signed = a.signed_params(
        "alipay.trade.refund", a.refund_biz(RefundRequest(no, None, "R1", 100, 321, "退款"))
    )
    sign = signed.pop("sign")
    assert checker._verify(canonical_request_string(signed), sign)
