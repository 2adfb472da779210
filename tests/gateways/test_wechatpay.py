"""WeChat Pay APIv3: golden vectors, the adapter against the fake on loopback, and the vendor SDK
(wechatpayv3) as an independent oracle for both the adapter's and the fake's crypto."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kashop_desktop.gateways.base import (
    Capability,
    ErrorKind,
    GatewayError,
    InboundHttp,
    Notification,
    PaymentRef,
    PaymentState,
    QrRequest,
    RefundRef,
    RefundRequest,
    RefundState,
    TxQuery,
)
from kashop_desktop.gateways.fakes import fake_class
from kashop_desktop.gateways.fakes.wechatpay import FakeWechatKeys, FakeWechatPayServer, _private_pem
from kashop_desktop.gateways.wechatpay import (
    CST,
    SIGNATURE_TYPE,
    WechatPayV3Adapter,
    authorization_header,
    decrypt_resource,
    load_private_key,
    parse_authorization,
    parse_trade_bill,
    request_message,
    response_message,
    rsa_sign,
)

# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> FakeWechatKeys:
    return FakeWechatKeys.generate()  # RSA generation is the slow part: once per module


@pytest.fixture(scope="module")
def _server(keys: FakeWechatKeys) -> Iterator[FakeWechatPayServer]:
    server = FakeWechatPayServer(keys=keys)
    server.start()  # stop() costs the harness's 0.5 s poll: once per module
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake(_server: FakeWechatPayServer) -> FakeWechatPayServer:
    _server.reset()
    return _server


@asynccontextmanager
async def adapter(config: dict[str, str], **kw: Any) -> AsyncIterator[WechatPayV3Adapter]:
    a = WechatPayV3Adapter(config, **kw)
    try:
        yield a
    finally:
        await a.aclose()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def refund_req(refund_no: str, amount: int, total: int = 1000, otn: str = "T1", reason: str = "") -> RefundRequest:
    return RefundRequest(otn, None, refund_no, amount, total, reason)


async def expect_error(coro: Any) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        await coro
    return info.value


def _public_of(key: rsa.RSAPrivateKey) -> str:
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


# ---- golden vectors (the protocol notes §3.2, §3.3, §3.7) ------------------------------------------------


def test_request_message_layout_is_five_newline_terminated_lines() -> None:
    get = request_message("GET", "/v3/pay/transactions/out-trade-no/T1?mchid=1900000100", 1554208460,
                          "593BEC0C930BF1AFEB40B4A08C8FB242", b"")
    assert get == (b"GET\n/v3/pay/transactions/out-trade-no/T1?mchid=1900000100\n1554208460\n"
                   b"593BEC0C930BF1AFEB40B4A08C8FB242\n\n")
    body = '{"out_refund_no":"R1","reason":"商品已售完"}'.encode()
    post = request_message("post", "/v3/refund/domestic/refunds", "1554208460", "N", body)
    assert post == b"POST\n/v3/refund/domestic/refunds\n1554208460\nN\n" + body + b"\n"


def test_response_message_layout_and_empty_204_body() -> None:
    assert response_message("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", b'{"a":1}') == (
        b'1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"a":1}\n'
    )
    assert response_message("1", "n", b"") == b"1\nn\n\n"  # 204: the last line is a lone \n


def test_authorization_header_layout_round_trips() -> None:
    value = authorization_header(mchid="1900000100", serial_no="ABC", nonce="N1", timestamp=1554208460, signature="c2ln")
    assert value == (
        'WECHATPAY2-SHA256-RSA2048 mchid="1900000100",nonce_str="N1",timestamp="1554208460",'
        'serial_no="ABC",signature="c2ln"'
    )
    assert parse_authorization(value) == {
        "mchid": "1900000100", "nonce_str": "N1", "timestamp": "1554208460", "serial_no": "ABC", "signature": "c2ln",
    }
    assert parse_authorization('OTHER mchid="1"') == {}


def test_aes_gcm_reference_vector() -> None:
    plain = decrypt_resource(
        "0123456789abcdef0123456789abcdef", nonce="fdasflkja484", associated_data="refund",
        ciphertext="DUcclrHBFYRYbVgf252J0g14r1jy3c3SWVVefHAava65fgIIwJp7Sv+hSPf/76tGaaFqBgVjyuZYcDULmA8hRw==",
    )
    assert plain == b'{"out_refund_no":"R1","refund_status":"SUCCESS"}'
    with pytest.raises(InvalidTag):
        decrypt_resource("0123456789abcdef0123456789abcdeX", nonce="fdasflkja484", associated_data="refund",
                         ciphertext="DUcclrHBFYRYbVgf252J0g14r1jy3c3SWVVefHAava65fgIIwJp7Sv+hSPf/76tGaaFqBgVjyuZYcDULmA8hRw==")
    # The vendor SDK's own decrypt agrees on the vector.
    from wechatpayv3.utils import aes_decrypt

    assert aes_decrypt(nonce="fdasflkja484", associated_data="refund", apiv3_key="0123456789abcdef0123456789abcdef",
                       ciphertext="DUcclrHBFYRYbVgf252J0g14r1jy3c3SWVVefHAava65fgIIwJp7Sv+hSPf/76tGaaFqBgVjyuZYcDULmA8hRw==") \
        == '{"out_refund_no":"R1","refund_status":"SUCCESS"}'


def test_adapter_authorization_equals_vendor_sdk_and_verifies_like_it(
    fake: FakeWechatPayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(c) Same inputs -> byte-identical Authorization as wechatpayv3.utils.build_authorization
    (PKCS#1 v1.5 is deterministic), and the header verifies with the SDK's message layout."""
    import wechatpayv3.utils as sdk_utils

    config = fake.account_config()
    a = WechatPayV3Adapter(config)
    target, ts, nonce = "/v3/refund/domestic/refunds", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242"
    body = '{"out_refund_no":"R|1*@","amount":{"refund":1,"total":2,"currency":"CNY"},"reason":"缺货"}'
    ours = a.authorization("POST", target, body.encode(), timestamp=ts, nonce=nonce)
    monkeypatch.setattr(sdk_utils.time, "time", lambda: float(ts))
    sdk_key = sdk_utils.load_private_key(config["merchant_private_key"])
    theirs = sdk_utils.build_authorization(target, "POST", a.mchid, a.serial_no, sdk_key, data=body, nonce_str=nonce)
    assert parse_authorization(ours) == parse_authorization(theirs)
    fields = parse_authorization(ours)
    # the SDK's own format string (wechatpayv3/utils.py: build_authorization), kept as written there
    sdk_sign_str = "%s\n%s\n%s\n%s\n%s\n" % ("POST", target, fields["timestamp"], fields["nonce_str"], body)  # noqa: UP031
    fake.keys.merchant.public_key().verify(
        base64.b64decode(fields["signature"]), sdk_sign_str.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    assert sdk_utils.rsa_sign(sdk_key, sdk_sign_str) == rsa_sign(load_private_key(config["merchant_private_key"]),
                                                                 sdk_sign_str.encode())


# ---- configuration -----------------------------------------------------------------------------------


def test_declared_plugin_surface(fake: FakeWechatPayServer) -> None:
    assert WechatPayV3Adapter.kind == "wechatpay_v3" and fake_class("wechatpay_v3") is FakeWechatPayServer
    fields = {f.key: f for f in WechatPayV3Adapter.config_fields}
    assert {"base_url", "mchid", "merchant_serial_no", "merchant_private_key", "apiv3_key",
            "platform_public_key", "platform_public_key_id"} <= set(fields)
    assert fields["merchant_private_key"].secret and fields["merchant_private_key"].multiline
    assert fields["apiv3_key"].secret and fields["platform_public_key"].multiline
    assert all(f.zh and f.en for f in fields.values())
    assert {Capability.REFUND_IDEMPOTENT, Capability.QUERY_REFUND, Capability.VERIFY_NOTIFICATION,
            Capability.CREATE_QR} <= WechatPayV3Adapter.capabilities


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [("mchid", "", "missing_config"), ("merchant_private_key", "not a key", "bad_merchant_private_key"),
     ("platform_public_key", "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----", "bad_platform_public_key"),
     ("apiv3_key", "short", "bad_apiv3_key")],
)
def test_bad_configuration_is_refused_locally(fake: FakeWechatPayServer, key: str, value: str, code: str) -> None:
    config = {**fake.account_config(), key: value}
    with pytest.raises(GatewayError) as info:
        WechatPayV3Adapter(config)
    assert info.value.kind is ErrorKind.MISCONFIGURED and info.value.code == code and not info.value.sent


# ---- end to end against the fake --------------------------------------------------------------------


def test_query_payment_states(fake: FakeWechatPayServer) -> None:
    paid = fake.add_payment("T1", 1000)
    fake.add_payment("T2", 500, status="pending")

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            snap = await a.query_payment(PaymentRef("T1"))
            assert (snap.state, snap.total_fen, snap.gateway_trade_no) == (PaymentState.PAID, 1000, paid.trade_no)
            assert snap.paid_at is not None and snap.paid_at.utcoffset() is not None
            by_id = await a.query_payment(PaymentRef("", paid.trade_no))
            assert by_id.out_trade_no == "T1" and by_id.state is PaymentState.PAID
            assert (await a.query_payment(PaymentRef("T2"))).state is PaymentState.PENDING
            assert (await a.query_payment(PaymentRef("NOPE"))).state is PaymentState.NOT_FOUND

    run(main())


def test_full_and_partial_refunds(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)
    fake.add_payment("T2", 888)

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            first = await a.refund(refund_req("R1a", 300, reason="卡密已售完，部分退款"))
            assert (first.state, first.amount_fen, first.refund_no) == (RefundState.SUCCEEDED, 300, "R1a")
            assert first.gateway_refund_no and first.raw_bytes
            second = await a.refund(refund_req("R1b", 700))
            assert second.state is RefundState.SUCCEEDED
            over = await a.refund(refund_req("R1c", 1))
            assert (over.state, over.code) == (RefundState.FAILED, "INVALID_REQUEST")
            assert "可退" in over.message_zh and "refundable" in over.message_en
            assert (await a.query_payment(PaymentRef("T1"))).state is PaymentState.PARTIALLY_REFUNDED
            full = await a.refund(RefundRequest("T2", None, "R2", 888, 888))
            assert full.state is RefundState.SUCCEEDED and full.amount_fen == 888

    run(main())
    assert fake.ledger.payments["T1"].refunded_fen == 1000 and fake.ledger.payments["T2"].refunded_fen == 888
    assert sorted(r.out_refund_no for r in fake.ledger.refunds) == ["R1a", "R1b", "R2"]


def test_idempotent_repeat_books_once(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            # Characters WeChat allows in out_refund_no that need percent-encoding in the path:
            # the fake verifies the signature over the raw target, so this proves byte fidelity.
            one = await a.refund(refund_req("R|1*@x", 400))
            two = await a.refund(refund_req("R|1*@x", 400))
            assert one.gateway_refund_no == two.gateway_refund_no and two.state is RefundState.SUCCEEDED
            found = await a.query_refund(RefundRef("T1", None, "R|1*@x", amount_fen=400))
            assert found.state is RefundState.SUCCEEDED and found.gateway_refund_no == one.gateway_refund_no

    run(main())
    assert len(fake.ledger.refunds) == 1 and fake.ledger.payments["T1"].refunded_fen == 400
    assert (fake.ledger.refund_calls, fake.ledger.duplicate_refund_calls, fake.auth_failures) == (2, 1, 0)


def test_processing_then_success(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)
    fake.set_chaos(processing_first=True)

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            assert (await a.refund(refund_req("R1", 500))).state is RefundState.PROCESSING
            ref = RefundRef("T1", None, "R1", amount_fen=500)
            assert (await a.query_refund(ref)).state is RefundState.PROCESSING
            done = await a.query_refund(ref)
            assert done.state is RefundState.SUCCEEDED and done.raw.get("success_time")

    run(main())
    assert [r.status for r in fake.ledger.refunds] == ["succeeded"]


def test_processing_can_end_closed_or_abnormal(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)
    fake.set_chaos(processing_first=True)

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            fake.processing_outcome = "ABNORMAL"
            await a.refund(refund_req("R1", 100))
            await a.query_refund(RefundRef("T1", None, "R1"))
            abnormal = await a.query_refund(RefundRef("T1", None, "R1"))
            assert (abnormal.state, abnormal.code) == (RefundState.FAILED, "ABNORMAL") and "异常退款" in abnormal.message_zh
            fake.processing_outcome = "CLOSED"
            await a.refund(refund_req("R2", 100))
            await a.query_refund(RefundRef("T1", None, "R2"))
            closed = await a.query_refund(RefundRef("T1", None, "R2"))
            assert (closed.state, closed.code) == (RefundState.FAILED, "CLOSED")

    run(main())


def test_not_enough_is_failed_with_clear_message(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)
    fake.set_chaos(balance_not_enough=True)

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            result = await a.refund(refund_req("R1", 100))
            assert (result.state, result.code) == (RefundState.FAILED, "NOT_ENOUGH")
            assert "余额不足" in result.message_zh and "insufficient" in result.message_en
            missing = await a.refund(refund_req("R2", 100, otn="NO_SUCH_ORDER"))
            assert (missing.state, missing.code) == (RefundState.FAILED, "RESOURCE_NOT_EXISTS")
            assert "找不到" in missing.message_zh and "no such order" in missing.message_en

    run(main())
    assert fake.ledger.refunds == [] and fake.ledger.payments["T1"].refunded_fen == 0


def test_wrong_merchant_key_is_misconfigured(fake: FakeWechatPayServer) -> None:
    config = {**fake.account_config(), "merchant_private_key": _private_pem(fake.keys.wrong)}
    fake.add_payment("T1", 1000)

    async def main() -> None:
        async with adapter(config) as a:
            report = await a.test_connection()
            assert not report.ok and report.kind is ErrorKind.MISCONFIGURED
            assert "商户API私钥" in report.message_zh and "private key" in report.message_en
            err = await expect_error(a.refund(refund_req("R1", 100)))
            assert err.kind is ErrorKind.MISCONFIGURED and err.code == "SIGN_ERROR"
        async with adapter(fake.account_config()) as good:
            assert (await good.test_connection()).ok

    run(main())
    assert fake.ledger.refunds == [] and fake.auth_failures == 2


def test_wrong_platform_key_or_id_is_security(fake: FakeWechatPayServer) -> None:
    wrong_key = {**fake.account_config(), "platform_public_key": _public_of(fake.keys.wrong)}
    wrong_id = {**fake.account_config(), "platform_public_key_id": "PUB_KEY_ID_OTHER"}

    async def main() -> None:
        for config in (wrong_key, wrong_id):
            async with adapter(config) as a:
                report = await a.test_connection()
                assert not report.ok and report.kind is ErrorKind.SECURITY and "微信支付公钥" in report.message_zh

    run(main())


def test_bad_response_signature_is_security_even_on_204(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)
    fake.add_payment("Q1", 100, status="pending")
    fake.set_chaos(bad_signature_rate=1.0)

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            assert (await expect_error(a.query_payment(PaymentRef("T1")))).kind is ErrorKind.SECURITY
            closed = await expect_error(a.close_payment(PaymentRef("Q1")))  # 204 No Content
            assert closed.kind is ErrorKind.SECURITY
            refund = await expect_error(a.refund(refund_req("R1", 100)))
            assert refund.kind is ErrorKind.SECURITY  # never success, though it was booked
            fake.set_chaos(bad_signature_rate=0.0)
            assert (await a.query_refund(RefundRef("T1", None, "R1"))).state is RefundState.SUCCEEDED

    run(main())
    assert fake.ledger.payments["Q1"].status == "closed"


def test_stale_reply_timestamp_is_security(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)
    fake.reply_clock_offset_s = -600

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            err = await expect_error(a.query_payment(PaymentRef("T1")))
            assert err.kind is ErrorKind.SECURITY and "5 分钟" in err.zh

    run(main())


def _mock_adapter(fake: FakeWechatPayServer, handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return client, adapter(fake.account_config(), http=client)


@pytest.mark.parametrize(
    ("status", "body", "signed", "call", "kind", "sent"),
    [
        (200, b'{"out_refund_no":"R1","status":"SUCCESS","amount":{"refund":100}}', False, "refund", ErrorKind.SECURITY, True),
        (404, b'{"code":"RESOURCE_NOT_EXISTS","message":"x"}', False, "query_refund", ErrorKind.SECURITY, True),
        (403, b'{"code":"NOT_ENOUGH","message":"x"}', False, "refund", ErrorKind.SECURITY, True),
        (429, b'{"code":"FREQUENCY_LIMITED","message":"x"}', True, "refund", ErrorKind.RETRYABLE, False),
        (500, b'{"code":"SYSTEM_ERROR","message":"x"}', True, "refund", ErrorKind.UNKNOWN_OUTCOME, True),
        (502, b"<html>bad gateway</html>", False, "refund", ErrorKind.UNKNOWN_OUTCOME, True),
        (500, b'{"code":"SYSTEM_ERROR","message":"x"}', True, "query_refund", ErrorKind.RETRYABLE, True),
        (403, b'{"code":"NO_AUTH","message":"x"}', True, "refund", ErrorKind.MISCONFIGURED, True),
        (400, b'{"code":"SOMETHING_NEW","message":"x"}', True, "refund", ErrorKind.UNKNOWN_OUTCOME, True),
        (200, b'{"out_refund_no":"R1","status":"WEIRD","amount":{"refund":100}}', True, "refund",
         ErrorKind.UNKNOWN_OUTCOME, True),
    ],
)
def test_reply_mapping(
    fake: FakeWechatPayServer, status: int, body: bytes, signed: bool, call: str, kind: ErrorKind, sent: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signed:
            headers.update(fake.signature_headers(body))
        return httpx.Response(status, content=body, headers=headers)

    async def main() -> None:
        client, ctx = _mock_adapter(fake, handler)
        async with client, ctx as a:
            coro = a.refund(refund_req("R1", 100)) if call == "refund" else a.query_refund(RefundRef("T1", None, "R1"))
            err = await expect_error(coro)
            assert (err.kind, err.sent) == (kind, sent)

    run(main())


def test_a_signed_reply_about_another_refund_reports_what_it_names(fake: FakeWechatPayServer) -> None:
    """The adapter reports; the refund queue compares (services.refund_queue.reply_mismatch)."""
    body = (b'{"out_refund_no":"OTHER","out_trade_no":"T2","transaction_id":"42000","status":"SUCCESS",'
            b'"amount":{"refund":250}}')

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json",
                                                          **fake.signature_headers(body)})

    async def main() -> None:
        client, ctx = _mock_adapter(fake, handler)
        async with client, ctx as a:
            result = await a.refund(refund_req("R1", 100))
            assert (result.named_refund_no, result.named_out_trade_no, result.named_trade_no,
                    result.named_amount_fen) == ("OTHER", "T2", "42000", 250)

    run(main())


@pytest.mark.parametrize(
    ("status", "code", "zh", "en"),
    [(403, "NOT_ENOUGH", "余额不足", "insufficient"), (404, "RESOURCE_NOT_EXISTS", "找不到该订单", "no such order"),
     (400, "INVALID_REQUEST", "可退金额", "refundable amount"), (403, "USER_ACCOUNT_ABNORMAL", "账户异常", "abnormal"),
     (400, "PARAM_ERROR", "参数有误", "parameters")],
)
def test_signed_business_refusals_are_failed_with_messages(
    fake: FakeWechatPayServer, status: int, code: str, zh: str, en: str
) -> None:
    body = json.dumps({"code": code, "message": "微信说明"}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json",
                                                             **fake.signature_headers(body)})

    async def main() -> None:
        client, ctx = _mock_adapter(fake, handler)
        async with client, ctx as a:
            result = await a.refund(refund_req("R1", 100))
            assert (result.state, result.code, result.refund_no) == (RefundState.FAILED, code, "R1")
            assert zh in result.message_zh and "微信说明" in result.message_zh and en in result.message_en

    run(main())


def test_connect_error_is_retryable_not_sent(fake: FakeWechatPayServer) -> None:
    config = {**fake.account_config(), "base_url": "http://127.0.0.1:9"}

    async def main() -> None:
        async with adapter(config) as a:
            err = await expect_error(a.refund(refund_req("R1", 100)))
            assert (err.kind, err.sent) == (ErrorKind.RETRYABLE, False)

    run(main())


def test_5xx_before_booking(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)
    fake.set_chaos(fail_5xx_rate=1.0)

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            assert (await expect_error(a.refund(refund_req("R1", 100)))).kind is ErrorKind.UNKNOWN_OUTCOME
            assert (await expect_error(a.query_payment(PaymentRef("T1")))).kind is ErrorKind.RETRYABLE
            fake.set_chaos(fail_5xx_rate=0.0)
            assert (await a.query_refund(RefundRef("T1", None, "R1"))).state is RefundState.NOT_FOUND
            assert (await a.refund(refund_req("R1", 100))).state is RefundState.SUCCEEDED

    run(main())
    assert len(fake.ledger.refunds) == 1


@pytest.mark.parametrize("knob", ["drop_after_booking_rate", "truncate_rate"])
def test_reply_lost_after_booking_then_query_then_resend(fake: FakeWechatPayServer, knob: str) -> None:
    fake.add_payment("T1", 1000)
    fake.set_chaos(**{knob: 1.0})

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            err = await expect_error(a.refund(refund_req("R1", 600)))
            assert (err.kind, err.sent) == (ErrorKind.UNKNOWN_OUTCOME, True)
            fake.set_chaos(**{knob: 0.0})
            found = await a.query_refund(RefundRef("T1", None, "R1", amount_fen=600))
            assert found.state is RefundState.SUCCEEDED
            again = await a.refund(refund_req("R1", 600))  # same out_refund_no and amount
            assert again.state is RefundState.SUCCEEDED and again.gateway_refund_no == found.gateway_refund_no

    run(main())
    assert len(fake.ledger.refunds) == 1 and fake.ledger.payments["T1"].refunded_fen == 600
    assert fake.ledger.duplicate_refund_calls == 1


def test_hang_times_out_as_unknown_outcome(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)
    fake.set_chaos(hang_after_booking_rate=1.0, hang_seconds=0.8)

    async def main() -> None:
        async with adapter(fake.account_config(), timeout=0.25) as a:
            err = await expect_error(a.refund(refund_req("R1", 100)))
            assert (err.kind, err.sent, err.code) == (ErrorKind.UNKNOWN_OUTCOME, True, "timeout")
            assert "查询" in err.zh

    run(main())
    assert len(fake.ledger.refunds) == 1


# ---- notifications ------------------------------------------------------------------------------------


class _Receiver:
    """The merchant's notify endpoint: parses with the adapter and answers its ack bytes."""

    def __init__(self, a: WechatPayV3Adapter) -> None:
        self.notes: list[Notification | GatewayError] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                inbound = InboundHttp("POST", self.path, headers=dict(self.headers.items()), body=body)
                try:
                    receiver.notes.append(a.parse_notification(inbound))
                    ack = a.notification_ack(True)
                except GatewayError as exc:
                    receiver.notes.append(exc)
                    ack = a.notification_ack(False)
                self.send_response(ack.status)
                for key, value in ack.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(ack.body)))
                self.end_headers()
                self.wfile.write(ack.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/wx/notify"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_notification_ack_bytes(fake: FakeWechatPayServer) -> None:
    a = WechatPayV3Adapter(fake.account_config())
    ok, bad = a.notification_ack(True), a.notification_ack(False)
    assert (ok.status, ok.body) == (200, '{"code":"SUCCESS","message":"成功"}'.encode())
    assert (bad.status, bad.body) == (500, '{"code":"FAIL","message":"失败"}'.encode())
    assert ok.headers["Content-Type"].startswith("application/json")


def test_payment_and_refund_notifications_over_http(fake: FakeWechatPayServer) -> None:
    a = WechatPayV3Adapter(fake.account_config())
    fake.add_payment("T1", 1000)

    async def refund() -> None:
        async with adapter(fake.account_config()) as b:
            await b.refund(refund_req("R1", 250))

    run(refund())
    with _Receiver(a) as rx:
        assert fake.notify_payment(rx.url, "T1") == (200, '{"code":"SUCCESS","message":"成功"}'.encode())
        assert fake.notify_refund(rx.url, "R1")[0] == 200
        status, body = fake.notify_refund(rx.url, "R1", bad_signature=True)
        assert (status, json.loads(body)["code"]) == (500, "FAIL")
    paid, refunded, forged = rx.notes
    assert isinstance(paid, Notification) and isinstance(refunded, Notification)
    assert (paid.kind, paid.out_trade_no, paid.amount_fen, paid.state) == ("payment", "T1", 1000, PaymentState.PARTIALLY_REFUNDED)
    assert paid.gateway_trade_no == fake.ledger.payments["T1"].trade_no
    assert (refunded.kind, refunded.refund_no, refunded.amount_fen, refunded.state) == ("refund", "R1", 250, RefundState.SUCCEEDED)
    assert isinstance(forged, GatewayError) and forged.kind is ErrorKind.SECURITY


def test_notification_with_wrong_apiv3_key_is_misconfigured(fake: FakeWechatPayServer) -> None:
    fake.add_payment("T1", 1000)
    headers, body = fake.payment_notification("T1")
    a = WechatPayV3Adapter({**fake.account_config(), "apiv3_key": "X" * 32})
    with pytest.raises(GatewayError) as info:
        a.parse_notification(InboundHttp("POST", "/n", headers=headers, body=body))
    assert info.value.kind is ErrorKind.MISCONFIGURED and "APIv3" in info.value.zh
    tampered = body.replace(b'"event_type":"TRANSACTION.SUCCESS"', b'"event_type":"REFUND.SUCCESS"')
    with pytest.raises(GatewayError) as info:
        WechatPayV3Adapter(fake.account_config()).parse_notification(InboundHttp("POST", "/n", headers=headers, body=tampered))
    assert info.value.kind is ErrorKind.SECURITY


def test_native_qr_then_paid_notification(fake: FakeWechatPayServer) -> None:
    async def main() -> str:
        async with adapter(fake.account_config()) as a:
            qr = await a.create_qr(QrRequest("Q1", 1234, "月卡 ×1", notify_url="https://shop.example/wx/notify"))
            assert qr.qr_content.startswith("weixin://wxpay/bizpayurl?pr=")
            again = await a.create_qr(QrRequest("Q1", 1234, "月卡 ×1", notify_url="https://shop.example/wx/notify"))
            assert again.qr_content == qr.qr_content
            assert (await a.query_payment(PaymentRef("Q1"))).state is PaymentState.PENDING
            fake.complete_payment("Q1")
            assert (await a.query_payment(PaymentRef("Q1"))).state is PaymentState.PAID
            return qr.qr_content

    run(main())
    headers, body = fake.payment_notification("Q1")
    note = WechatPayV3Adapter(fake.account_config()).parse_notification(InboundHttp("POST", "/", headers=headers, body=body))
    assert (note.state, note.amount_fen, note.paid_at is not None) == (PaymentState.PAID, 1234, True)


# ---- bills -------------------------------------------------------------------------------------------


def test_trade_bill_reconciliation(fake: FakeWechatPayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.add_payment("T1", 1000, subject="点卡, 100 元")  # a comma inside a field
    fake.add_payment("T2", 50)

    async def main() -> None:
        async with adapter(fake.account_config()) as a:
            await a.refund(refund_req("R1", 250))
            today = a.clock().astimezone(CST).date()
            records = {r.out_trade_no: r for r in await a.list_transactions(TxQuery(start=today, end=today))}
            assert (records["T1"].amount_fen, records["T1"].refunded_fen, records["T1"].state) == (
                1000, 250, PaymentState.PARTIALLY_REFUNDED)
            assert (records["T2"].amount_fen, records["T2"].state) == (50, PaymentState.PAID)
            assert await a.list_transactions(TxQuery(start=date(2020, 1, 1))) == []  # NO_STATEMENT_EXIST
            original = fake._bill_file
            monkeypatch.setattr(fake, "_bill_file", lambda req: _tamper(original(req)))
            err = await expect_error(a.list_transactions(TxQuery(start=today)))
            assert err.kind is ErrorKind.SECURITY

    run(main())
    rows = parse_trade_bill(FakeWechatPayServer.bill_content([["2024-01-01 10:00:00", "wx", "1", "0", "", "42", "T9"]]))
    assert rows[0]["商户订单号"] == "T9" and rows[0]["交易时间"] == "2024-01-01 10:00:00"


def _tamper(resp: Any) -> Any:
    resp.body = resp.body.replace(b"10.00", b"99.00")
    return resp

# ---- the vendor SDK (wechatpayv3) as an independent oracle ---------------------------------------------


def _sdk(config: dict[str, str], base_url: str) -> Any:
    from wechatpayv3 import WeChatPay, WeChatPayType

    wx = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE, mchid=config["mchid"], private_key=config["merchant_private_key"],
        cert_serial_no=config["merchant_serial_no"], appid=config["appid"], apiv3_key=config["apiv3_key"],
        notify_url="https://shop.example/wx/notify", timeout=(2, 5),
        public_key=config["platform_public_key"], public_key_id=config["platform_public_key_id"],
    )  # public-key mode: no /v3/certificates download at construction
    wx._core._gate_way = base_url.rstrip("/")  # private attribute, test-only (the protocol notes §3.9)
    return wx


def test_sdk_requests_accepted_and_fake_replies_verified_by_sdk(fake: FakeWechatPayServer) -> None:
    """(a) The fake verifies what the SDK signs (json.dumps with default separators, its own header
    field order), and the SDK verifies every 2xx the fake signs, including a 204."""
    fake.add_payment("T1", 1000)
    fake.add_payment("Q1", 100, status="pending")
    wx = _sdk(fake.account_config(), fake.url)
    code, text = wx.query(out_trade_no="T1")
    assert code == 200 and json.loads(text)["trade_state"] == "SUCCESS"
    code, text = wx.refund(out_refund_no="SDK-R1", amount={"refund": 300, "total": 1000, "currency": "CNY"},
                           out_trade_no="T1", reason="商品已售完")
    assert code == 200 and json.loads(text)["status"] == "SUCCESS"
    assert wx.refund(out_refund_no="SDK-R1", amount={"refund": 300, "total": 1000, "currency": "CNY"},
                     out_trade_no="T1")[0] == 200
    code, text = wx.query_refund(out_refund_no="SDK-R1")
    assert code == 200 and json.loads(text)["amount"]["refund"] == 300
    assert wx.close(out_trade_no="Q1")[0] == 204  # the SDK verified the empty-body signature
    assert wx.query(out_trade_no="NOPE")[0] == 404
    assert fake.auth_failures == 0 and len(fake.ledger.refunds) == 1
    assert fake.ledger.duplicate_refund_calls == 1 and fake.ledger.payments["Q1"].status == "closed"
    fake.set_chaos(bad_signature_rate=1.0)
    with pytest.raises(Exception, match="failed to verify the signature"):
        wx.query(out_trade_no="T1")


def test_sdk_with_wrong_key_is_refused_by_fake(fake: FakeWechatPayServer) -> None:
    wx = _sdk({**fake.account_config(), "merchant_private_key": _private_pem(fake.keys.wrong)}, fake.url)
    code, text = wx.query(out_trade_no="T1")
    assert code == 401 and json.loads(text)["code"] == "SIGN_ERROR"


def test_sdk_callback_decrypts_and_verifies_fake_notifications(fake: FakeWechatPayServer) -> None:
    """(b) wechatpayv3's callback() verifies and decrypts what the fake sends."""
    fake.add_payment("T1", 1000)
    wx = _sdk(fake.account_config(), fake.url)
    fake_refund = asyncio.run(_one_refund(fake))
    headers, body = fake.payment_notification("T1")
    result = wx.callback(headers, body)
    assert result["event_type"] == "TRANSACTION.SUCCESS" and result["resource"]["out_trade_no"] == "T1"
    assert result["resource"]["amount"]["total"] == 1000
    headers, body = fake.refund_notification(fake_refund)
    result = wx.callback(headers, body.decode())
    assert result["resource"]["refund_status"] == "SUCCESS" and result["resource"]["amount"]["refund"] == 100
    headers, body = fake.payment_notification("T1", bad_signature=True)
    assert wx.callback(headers, body) is None


async def _one_refund(fake: FakeWechatPayServer) -> str:
    async with adapter(fake.account_config()) as a:
        await a.refund(refund_req("R-sdk", 100))
    return "R-sdk"


def test_sdk_signed_notification_layout_matches_adapter(fake: FakeWechatPayServer) -> None:
    """The adapter and the SDK agree on the same notification bytes: both accept, both reject."""
    fake.add_payment("T1", 1000)
    wx = _sdk(fake.account_config(), fake.url)
    a = WechatPayV3Adapter(fake.account_config())
    headers, body = fake.payment_notification("T1")
    ours = a.parse_notification(InboundHttp("POST", "/", headers=headers, body=body))
    theirs = wx.callback(headers, body)
    assert ours.raw["resource"] == theirs["resource"]
    assert headers["Wechatpay-Signature-Type"] == SIGNATURE_TYPE
