"""易支付 V1 (MD5) and V2 (RSA) adapters against golden vectors and the local fake server.

Every end-to-end test starts its own FakeEpayServer on 127.0.0.1 (port 0), drives a real adapter
over HTTP with ``asyncio.run`` and closes the adapter before the server stops.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from kashop_desktop.gateways import epay
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
from kashop_desktop.gateways.epay import EpayV1Adapter, EpayV2Adapter
from kashop_desktop.gateways.fakes import epay as fake_epay
from kashop_desktop.gateways.fakes.epay import FakeEpayServer

T = TypeVar("T")
Adapter = EpayV1Adapter | EpayV2Adapter
KINDS = ("epay_v1", "epay_v2")

GOLDEN_KEY = "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i"
GOLDEN_REQUEST = {
    "pid": "1001",
    "type": "alipay",
    "out_trade_no": "20160806151343349",
    "notify_url": "http://www.pay.com/notify_url.php",
    "return_url": "http://www.pay.com/return_url.php",
    "name": "VIP会员",
    "money": "1.00",
}
GOLDEN_NOTIFY = {
    "pid": "1001",
    "trade_no": "2024070116473212345",
    "out_trade_no": "20160806151343349",
    "type": "alipay",
    "name": "VIP会员",
    "money": "1",
    "trade_status": "TRADE_SUCCESS",
}


# ---- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[FakeEpayServer]:
    # One HTTP server per module (each stop() costs the harness's 0.5 s poll); reset per test.
    server = FakeEpayServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake(shared_fake: FakeEpayServer) -> Iterator[FakeEpayServer]:
    shared_fake.reset()
    yield shared_fake
    shared_fake.reset()


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def make(fake: FakeEpayServer, kind: str, *, timeout: float = 5.0, **overrides: str) -> Adapter:
    config = {**fake.account_config(kind), **overrides}
    if kind == "epay_v1":
        return EpayV1Adapter(config, timeout=timeout)
    return EpayV2Adapter(config, timeout=timeout)


@asynccontextmanager
async def opened(adapter: Adapter) -> AsyncIterator[Adapter]:
    try:
        yield adapter
    finally:
        await adapter.aclose()


def refund_req(out_trade_no: str, refund_no: str, amount: int, total: int = 1000) -> RefundRequest:
    return RefundRequest(out_trade_no, None, refund_no, amount, total)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rogue_private_pem() -> str:
    return fake_epay._shared_keys()[2].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


# ---- golden vectors and signature rules (no network) --------------------------------------------


def test_v1_request_signature_golden_vector() -> None:
    assert epay.sign_content(GOLDEN_REQUEST) == (
        "money=1.00&name=VIP会员&notify_url=http://www.pay.com/notify_url.php&out_trade_no=20160806151343349"
        "&pid=1001&return_url=http://www.pay.com/return_url.php&type=alipay"
    )
    assert epay.md5_sign(GOLDEN_REQUEST, GOLDEN_KEY) == "427724b6656aa612cfdbe7a2262036a3"
    # sign / sign_type / empty values never enter the string
    noisy = {**GOLDEN_REQUEST, "sign": "x", "sign_type": "MD5", "param": "", "sitename": "  "}
    assert epay.md5_sign(noisy, GOLDEN_KEY) == "427724b6656aa612cfdbe7a2262036a3"


def test_v1_notify_signature_golden_vector_and_parse() -> None:
    assert epay.md5_sign(GOLDEN_NOTIFY, GOLDEN_KEY) == "2c58e4f849b9ddf67c50508c52018934"
    adapter = EpayV1Adapter({"base_url": "http://127.0.0.1:9/", "pid": "1001", "key": GOLDEN_KEY})
    query = {**GOLDEN_NOTIFY, "sign": "2c58e4f849b9ddf67c50508c52018934", "sign_type": "MD5"}
    note = adapter.parse_notification(InboundHttp("GET", "/notify", query=query))
    assert (note.kind, note.state, note.amount_fen) == ("payment", PaymentState.PAID, 100)  # PHP float "1"
    assert note.out_trade_no == "20160806151343349" and note.gateway_trade_no == "2024070116473212345"


def test_sign_content_follows_php_rules() -> None:
    params: dict[str, object] = {
        "b": "2",
        "a": "1",
        "code": 0,  # an int 0 is a value, not "empty"
        "blank": " \t",
        "none": None,
        "data": [{"x": 1}],  # arrays are excluded
        "cjk_space": "\u3000",  # PHP trim() does not strip U+3000: it is signed
        "sign": "zzz",
        "sign_type": "RSA",
    }
    assert epay.sign_content(params) == "a=1&b=2&cjk_space=\u3000&code=0"
    assert epay.php_float_money(100) == "1" and epay.php_float_money(150) == "1.5"
    assert epay.php_float_money(1) == "0.01" and epay.php_float_money(1000) == "10"


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
        st.one_of(st.text(max_size=12), st.integers(-5, 10**6), st.none()),
        max_size=8,
    )
)
def test_canonical_string_matches_the_fakes_independent_oracle(params: dict[str, object]) -> None:
    assert epay.sign_content(params) == fake_epay._sign_content(params)
    assert epay.md5_sign(params, "k") == fake_epay._md5(params, "k")


def test_v2_sign_verify_round_trip_and_tamper_detection() -> None:
    server = FakeEpayServer()  # not started: only its keys are used
    private = epay.load_private_key(server.merchant_private_pem())
    public_bare = epay.load_public_key(server.merchant_public_base64())  # bare base64 DER, as 彩虹 shows it
    body = server.merchant_public_base64()
    wrapped = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    public_pem = epay.load_public_key(wrapped + "\n-----END PUBLIC KEY-----\n")
    params = {"pid": "1001", "out_trade_no": "T1", "money": "0.50", "timestamp": "1719823652", "name": "会员 卡"}
    sign = epay.rsa_sign(params, private)
    assert epay.rsa_verify(params, sign, public_bare) and epay.rsa_verify(params, sign, public_pem)
    # the fake's independent verifier agrees, and the adapter verifies what the fake signs
    assert fake_epay._rsa_ok(params, sign, server.merchant_private_key.public_key())
    fake_sign = fake_epay._rsa_sign(params, server.platform_private_key)
    assert epay.rsa_verify(params, fake_sign, epay.load_public_key(server.platform_public_base64()))
    # tampering
    assert not epay.rsa_verify({**params, "money": "5.00"}, sign, public_bare)
    assert not epay.rsa_verify({**params, "extra": "1"}, sign, public_bare)
    assert epay.rsa_verify({**params, "extra": ""}, sign, public_bare)  # empty values are not signed
    flipped = ("A" if sign[0] != "A" else "B") + sign[1:]
    assert not epay.rsa_verify(params, flipped, public_bare)
    assert not epay.rsa_verify(params, "not base64!!", public_bare)
    assert not epay.rsa_verify(params, sign, epay.load_public_key(server.platform_public_base64()))


def test_bad_keys_are_misconfigured_at_construction() -> None:
    server = FakeEpayServer()
    config = {"base_url": "http://127.0.0.1:9/", "pid": "1001", "merchant_private_key": "nonsense!!"}
    with pytest.raises(GatewayError) as err:
        EpayV2Adapter({**config, "platform_public_key": server.platform_public_base64()})
    assert err.value.kind is ErrorKind.MISCONFIGURED and not err.value.sent
    with pytest.raises(GatewayError) as err:  # a public key pasted into the private-key field
        EpayV2Adapter({**config, "merchant_private_key": server.merchant_public_base64(), "platform_public_key": "x"})
    assert err.value.kind is ErrorKind.MISCONFIGURED


def test_capabilities_are_honest() -> None:
    assert Capability.REFUND_IDEMPOTENT not in EpayV1Adapter.capabilities
    assert Capability.QUERY_REFUND not in EpayV1Adapter.capabilities
    assert {Capability.REFUND_IDEMPOTENT, Capability.QUERY_REFUND} <= EpayV2Adapter.capabilities
    assert [f.key for f in EpayV1Adapter.config_fields if f.required] == ["base_url", "pid", "key"]
    secret = {f.key for f in EpayV2Adapter.config_fields if f.secret}
    assert secret == {"merchant_private_key"}


# ---- the fake's wire format -----------------------------------------------------------------------


def test_fake_speaks_php_json(fake: FakeEpayServer) -> None:
    fake.add_payment("J1", 100)
    with httpx.Client(base_url=fake.url) as client:
        form = {"pid": fake.pid, "key": fake.key, "money": "0.10", "out_trade_no": "J1"}
        v1 = client.post("api.php", params={"act": "refund"}, data=form).content
        assert v1.startswith(b'{"code":0,"refund_no":"') and b'"msg":"\\u9000\\u6b3e' in v1  # default flags
        v2_error = client.post("api/pay/query", data={"pid": "9999"}).content
        assert v2_error == '{"code":-1,"msg":"商户不存在！"}'.encode()  # JSON_UNESCAPED_UNICODE
        assert client.post("mapi.php").content == '{"code":-4, "msg":"未传入任何参数"}'.encode()
        assert client.get("api.php", params={"act": "nope"}).json() == {"code": -5, "msg": "No Act!"}
        assert client.post("api/pay/nothing", data={}).json() == {"code": -5, "msg": "接口方法不存在"}
        order = client.get("api.php", params={"act": "order", "pid": fake.pid, "key": fake.key, "out_trade_no": "J1"})
        assert order.json()["status"] == "2" and order.json()["money"] == "1.00"  # numbers as strings


def test_fake_submit_php_page_jump(fake: FakeEpayServer) -> None:
    params = {**GOLDEN_REQUEST, "pid": fake.pid, "out_trade_no": "SUB-1", "sitename": "卡店"}
    signed = {**params, "sign": epay.md5_sign(params, fake.key), "sign_type": "MD5"}
    with httpx.Client(base_url=fake.url) as client:
        page = client.get("submit.php", params=signed).text
        assert "window.location.replace('./cashier.php?trade_no=" in page
        refused = client.get("submit.php", params={**signed, "money": "0.01"}).text
        assert "RSA签名校验失败" in refused  # (sic) the same text for MD5 failures
        assert client.get("submit.php").text == "你还未配置支付接口商户！"
    assert fake.ledger.payments["SUB-1"].status == "pending" and fake.orders["SUB-1"].version == 0


def test_v1_unrecognised_success_code_is_unknown_never_failed(fake: FakeEpayServer) -> None:
    fake.add_payment("U1", 1000)

    async def go() -> None:
        async with opened(make(fake, "epay_v1", refund_success_codes="1")) as a:  # a clone setting
            with pytest.raises(GatewayError) as err:
                await a.refund(refund_req("U1", "RF-U1-0001", 100))
            assert (err.value.kind, err.value.code) == (ErrorKind.UNKNOWN_OUTCOME, "unrecognised_0")

    run(go)
    assert len(fake.ledger.refunds) == 1  # it did happen: reporting FAILED would invite a double refund
    with pytest.raises(GatewayError):
        EpayV1Adapter({**fake.account_config("epay_v1"), "refund_success_codes": "0,-1"})


# ---- end to end: query, refund ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_query_payment(fake: FakeEpayServer, kind: str) -> None:
    paid = fake.add_payment("Q1", 1234)
    fake.add_payment("Q2", 500, status="pending")

    async def go() -> None:
        async with opened(make(fake, kind)) as a:
            snap = await a.query_payment(PaymentRef("Q1"))
            assert (snap.state, snap.total_fen, snap.gateway_trade_no) == (PaymentState.PAID, 1234, paid.trade_no)
            assert snap.paid_at is not None
            by_trade_no = await a.query_payment(PaymentRef("Q1", paid.trade_no))
            assert by_trade_no.out_trade_no == "Q1"
            assert (await a.query_payment(PaymentRef("Q2"))).state is PaymentState.PENDING
            assert (await a.query_payment(PaymentRef("nope"))).state is PaymentState.NOT_FOUND

    run(go)


@pytest.mark.parametrize("kind", KINDS)
def test_partial_then_full_refund(fake: FakeEpayServer, kind: str) -> None:
    fake.add_payment("P1", 1000)

    async def go() -> None:
        async with opened(make(fake, kind)) as a:
            first = await a.refund(refund_req("P1", "RF-P1-0001", 300))
            assert (first.state, first.amount_fen, first.code) == (RefundState.SUCCEEDED, 300, "0")
            assert first.gateway_refund_no and len(first.gateway_refund_no) == 19
            assert first.message_zh == "退款成功！退款金额￥3.00" and "3.00" in first.message_en
            snap = await a.query_payment(PaymentRef("P1"))
            if kind == "epay_v2":
                assert (snap.state, snap.refunded_fen) == (PaymentState.PARTIALLY_REFUNDED, 300)
            else:  # V1 cannot see the refunded amount
                assert (snap.state, snap.refunded_fen) == (PaymentState.REFUNDED, None)
            rest = await a.refund(refund_req("P1", "RF-P1-0002", 700))
            assert rest.state is RefundState.SUCCEEDED
            if kind == "epay_v2":
                snap = await a.query_payment(PaymentRef("P1"))
                assert (snap.state, snap.refunded_fen) == (PaymentState.REFUNDED, 1000)

    run(go)
    assert [r.amount_fen for r in fake.ledger.refunds] == [300, 700]
    assert fake.ledger.payments["P1"].refunded_fen == 1000


@pytest.mark.parametrize("kind", KINDS)
def test_refund_over_remaining_is_refused(fake: FakeEpayServer, kind: str) -> None:
    fake.add_payment("O1", 1000)

    async def go() -> None:
        async with opened(make(fake, kind)) as a:
            too_big = await a.refund(RefundRequest("O1", None, "RF-O1-0000", 1500, 2000))
            assert too_big.state is RefundState.FAILED and too_big.message_zh == "退款金额不能大于订单金额"
            await a.refund(refund_req("O1", "RF-O1-0001", 600))
            over = await a.refund(refund_req("O1", "RF-O1-0002", 500))
            assert (over.state, over.code) == (RefundState.FAILED, "-1")
            assert over.message_zh == "退款金额不能超过该订单剩余可退款金额！"
            assert "remains refundable" in over.message_en
            await a.refund(refund_req("O1", "RF-O1-0003", 400))
            done = await a.refund(refund_req("O1", "RF-O1-0004", 1))
            assert done.message_zh == "该订单已全额退款！" and "fully refunded" in done.message_en

    run(go)
    assert [r.amount_fen for r in fake.ledger.refunds] == [600, 400]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("signed_errors", [True, False])
def test_balance_not_enough_is_a_clear_failure(fake: FakeEpayServer, kind: str, signed_errors: bool) -> None:
    fake.add_payment("B1", 1000)
    fake.set_chaos(balance_not_enough=True)
    fake.sign_business_errors = signed_errors

    async def go() -> None:
        async with opened(make(fake, kind)) as a:
            result = await a.refund(refund_req("B1", "RF-B1-0001", 1000))
            assert (result.state, result.code) == (RefundState.FAILED, "-1")
            assert result.message_zh == "商户余额不足，请先充值"
            assert result.message_en.startswith("merchant balance insufficient")
            assert ("sign" in result.raw) is (signed_errors and kind == "epay_v2")

    run(go)
    assert fake.ledger.refunds == []


@pytest.mark.parametrize("kind", KINDS)
def test_refund_switches_off_are_failures(fake: FakeEpayServer, kind: str) -> None:
    fake.add_payment("S1", 1000)
    fake.merchant_refund = False

    async def go() -> None:
        async with opened(make(fake, kind)) as a:
            result = await a.refund(refund_req("S1", "RF-S1-0001", 100))
            assert result.state is RefundState.FAILED and result.message_zh == "商户未开启订单退款API接口"
            assert result.message_en == "the refund API is not enabled for this merchant"

    run(go)


def test_wrong_key_is_misconfigured(fake: FakeEpayServer) -> None:
    fake.add_payment("K1", 1000)

    async def go() -> None:
        async with opened(make(fake, "epay_v1", key="not-the-key")) as v1:
            with pytest.raises(GatewayError) as err:
                await v1.refund(refund_req("K1", "RF-K1-0001", 100))
            assert (err.value.kind, err.value.code, err.value.zh) == (ErrorKind.MISCONFIGURED, "-3", "商户密钥错误")
            with pytest.raises(GatewayError) as err:
                await v1.query_payment(PaymentRef("K1"))
            assert err.value.kind is ErrorKind.MISCONFIGURED
            report = await v1.test_connection()
            assert (report.ok, report.kind, report.detail) == (False, ErrorKind.MISCONFIGURED, "wrong_key")
        async with opened(make(fake, "epay_v2", merchant_private_key=rogue_private_pem())) as v2:  # PKCS#1 PEM
            with pytest.raises(GatewayError) as err:
                await v2.refund(refund_req("K1", "RF-K1-0002", 100))
            assert (err.value.kind, err.value.code, err.value.zh) == (ErrorKind.MISCONFIGURED, "-3", "RSA签名校验失败")
            report = await v2.test_connection()
            assert (report.ok, report.detail) == (False, "signature_refused")

    run(go)
    assert fake.ledger.refunds == []


@pytest.mark.parametrize("kind", KINDS)
def test_connection_report(fake: FakeEpayServer, kind: str) -> None:
    async def go() -> None:
        async with opened(make(fake, kind)) as ok:
            report = await ok.test_connection()
            assert (report.ok, report.detail) == (True, "auth_ok")
        async with opened(make(fake, kind, pid="4242")) as stranger:
            report = await stranger.test_connection()
            assert (report.ok, report.kind, report.detail) == (False, ErrorKind.MISCONFIGURED, "unknown_pid")
        async with opened(make(fake, kind, base_url=f"http://127.0.0.1:{closed_port()}/")) as nowhere:
            report = await nowhere.test_connection()
            assert (report.ok, report.kind, report.detail) == (False, ErrorKind.RETRYABLE, "unreachable")
            with pytest.raises(GatewayError) as err:
                await nowhere.query_payment(PaymentRef("X"))
            assert (err.value.kind, err.value.sent) == (ErrorKind.RETRYABLE, False)

    run(go)


def test_v1_rsa_only_merchant_and_v2_clock_skew(fake: FakeEpayServer) -> None:
    fake.rsa_only = True
    fake.time_offset = 400  # the platform's clock is 400 s ahead of ours

    async def go() -> None:
        async with opened(make(fake, "epay_v1")) as v1:
            assert (await v1.test_connection()).detail == "rsa_only"
        async with opened(make(fake, "epay_v2")) as v2:
            report = await v2.test_connection()
            assert (report.ok, report.detail) == (False, "clock_skew")

    run(go)


# ---- V2 safety: signatures, lost replies, idempotency -------------------------------------------------


def test_v2_bad_response_signature_is_security_never_success(fake: FakeEpayServer) -> None:
    fake.add_payment("X1", 1000)
    fake.set_chaos(bad_signature_rate=1.0)

    async def go() -> None:
        async with opened(make(fake, "epay_v2")) as a:
            with pytest.raises(GatewayError) as err:
                await a.refund(refund_req("X1", "RF-X1-0001", 500))
            assert (err.value.kind, err.value.code) == (ErrorKind.SECURITY, "bad_signature")
            with pytest.raises(GatewayError) as err:
                await a.query_payment(PaymentRef("X1"))
            assert err.value.kind is ErrorKind.SECURITY
            fake.set_chaos(bad_signature_rate=0.0)
            found = await a.query_refund(RefundRef("X1", None, "RF-X1-0001"))  # the refund did happen
            assert (found.state, found.amount_fen) == (RefundState.SUCCEEDED, 500)

    run(go)
    assert len(fake.ledger.refunds) == 1


def test_v2_wrong_platform_key_is_reported(fake: FakeEpayServer) -> None:
    other = fake_epay._shared_keys()[2].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    async def go() -> None:
        async with opened(make(fake, "epay_v2", platform_public_key=other.decode())) as a:
            report = await a.test_connection()
            assert (report.ok, report.kind, report.detail) == (False, ErrorKind.SECURITY, "bad_platform_key")

    run(go)


def test_v2_reply_lost_after_booking_then_query_and_resend_book_nothing_new(fake: FakeEpayServer) -> None:
    fake.add_payment("L1", 1000)
    fake.set_chaos(drop_after_booking_rate=1.0)
    req = refund_req("L1", "RF-L1-0001", 400)

    async def go() -> None:
        async with opened(make(fake, "epay_v2")) as a:
            with pytest.raises(GatewayError) as err:
                await a.refund(req)
            assert (err.value.kind, err.value.sent) == (ErrorKind.UNKNOWN_OUTCOME, True)
            fake.set_chaos(drop_after_booking_rate=0.0)
            found = await a.query_refund(RefundRef("L1", None, req.refund_no, amount_fen=400))
            assert (found.state, found.amount_fen) == (RefundState.SUCCEEDED, 400)
            again = await a.refund(req)  # the same key: the gateway answers the first refund
            assert (again.state, again.amount_fen) == (RefundState.SUCCEEDED, 400)
            assert again.gateway_refund_no == found.gateway_refund_no
            assert again.message_zh.startswith("已存在相同退款单号")

    run(go)
    assert len(fake.ledger.refunds) == 1
    assert fake.ledger.duplicate_refund_calls == 1
    assert fake.ledger.payments["L1"].refunded_fen == 400


def test_v2_resend_with_reused_key_and_other_amount_names_the_first_refund(fake: FakeEpayServer) -> None:
    """彩虹 answers a reused out_refund_no with the first refund under it; the adapter reports what
    the reply names and the refund queue refuses it (services.refund_queue.reply_mismatch)."""
    fake.add_payment("C1", 1000)

    async def go() -> None:
        async with opened(make(fake, "epay_v2")) as a:
            await a.refund(refund_req("C1", "RF-C1-0001", 300))
            again = await a.refund(refund_req("C1", "RF-C1-0001", 500))
            assert (again.named_refund_no, again.named_amount_fen) == ("RF-C1-0001", 300)
            queried = await a.query_refund(RefundRef("C1", None, "RF-C1-0001", amount_fen=500))
            assert (queried.state, queried.named_amount_fen) == (RefundState.SUCCEEDED, 300)
            with pytest.raises(GatewayError) as err:  # a remembered gateway refund number must match too
                await a.query_refund(RefundRef("C1", None, "RF-C1-0001", "2000010101000000000"))
            assert (err.value.kind, err.value.code) == (ErrorKind.SECURITY, "refund_mismatch")

    run(go)
    assert [r.amount_fen for r in fake.ledger.refunds] == [300]


def test_v2_query_refund_not_found_and_short_keys_refused(fake: FakeEpayServer) -> None:
    fake.add_payment("N1", 1000)

    async def go() -> None:
        async with opened(make(fake, "epay_v2")) as a:
            missing = await a.query_refund(RefundRef("N1", None, "RF-N1-never"))
            assert missing.state is RefundState.NOT_FOUND
            with pytest.raises(GatewayError) as err:
                await a.refund(refund_req("N1", "R1", 100))  # 彩虹 would ignore a <=5-char out_refund_no
            assert (err.value.kind, err.value.sent, err.value.code) == (ErrorKind.REJECTED, False, "refund_no_too_short")

    run(go)
    assert fake.ledger.refund_calls == 0


def test_v2_route_style_query_uses_api_php_alias(fake: FakeEpayServer) -> None:
    fake.add_payment("A1", 1000)

    async def go() -> None:
        async with opened(make(fake, "epay_v2", route_style="query")) as a:
            assert (await a.query_payment(PaymentRef("A1"))).state is PaymentState.PAID
            assert (await a.refund(refund_req("A1", "RF-A1-0001", 100))).state is RefundState.SUCCEEDED

    run(go)


# ---- V1 safety: no idempotency ------------------------------------------------------------------------


def test_v1_reply_lost_after_booking_is_unknown_for_the_owner(fake: FakeEpayServer) -> None:
    fake.add_payment("L1", 1000)
    fake.set_chaos(drop_after_booking_rate=1.0)

    async def go() -> None:
        async with opened(make(fake, "epay_v1")) as a:
            with pytest.raises(GatewayError) as err:
                await a.refund(refund_req("L1", "RF-L1-0001", 400))
            assert err.value.kind is ErrorKind.UNKNOWN_OUTCOME and "back office" in err.value.en
            with pytest.raises(GatewayError) as err:
                await a.query_refund(RefundRef("L1", None, "RF-L1-0001"))
            assert (err.value.kind, err.value.code) == (ErrorKind.MISCONFIGURED, "unsupported")

    run(go)
    assert len(fake.ledger.refunds) == 1  # it did happen; only the owner can tell


def test_v1_duplicate_refund_calls_book_twice_and_the_ledger_shows_it(fake: FakeEpayServer) -> None:
    fake.add_payment("D1", 1000)
    req = refund_req("D1", "RF-D1-0001", 200)

    async def go() -> tuple[str | None, str | None]:
        async with opened(make(fake, "epay_v1")) as a:
            first = await a.refund(req)
            second = await a.refund(req)  # what an automatic retry would do: V1 books it again
            assert first.state is second.state is RefundState.SUCCEEDED
            return first.gateway_refund_no, second.gateway_refund_no

    first_no, second_no = run(go)
    assert first_no != second_no
    assert [r.amount_fen for r in fake.ledger.refunds_for("D1")] == [200, 200]
    assert fake.ledger.refund_calls == 2 and fake.ledger.payments["D1"].refunded_fen == 400


def test_http_5xx_retryable_but_v1_refund_unknown(fake: FakeEpayServer) -> None:
    fake.add_payment("E1", 1000)
    fake.set_chaos(fail_5xx_rate=1.0)

    async def go() -> None:
        async with opened(make(fake, "epay_v1")) as v1, opened(make(fake, "epay_v2")) as v2:
            with pytest.raises(GatewayError) as err:
                await v1.query_payment(PaymentRef("E1"))
            assert (err.value.kind, err.value.sent, err.value.code) == (ErrorKind.RETRYABLE, True, "http_502")
            with pytest.raises(GatewayError) as err:
                await v1.refund(refund_req("E1", "RF-E1-0001", 100))
            assert err.value.kind is ErrorKind.UNKNOWN_OUTCOME  # never auto-retried on V1
            with pytest.raises(GatewayError) as err:
                await v2.refund(refund_req("E1", "RF-E1-0002", 100))
            assert (err.value.kind, err.value.sent) == (ErrorKind.RETRYABLE, True)  # same key: safe to re-send

    run(go)
    assert fake.ledger.refunds == []


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_body_is_unknown_outcome(fake: FakeEpayServer, kind: str) -> None:
    fake.add_payment("T1", 1000)
    fake.set_chaos(truncate_rate=1.0)

    async def go() -> None:
        async with opened(make(fake, kind)) as a:
            with pytest.raises(GatewayError) as err:
                await a.refund(refund_req("T1", "RF-T1-0001", 100))
            assert err.value.kind is ErrorKind.UNKNOWN_OUTCOME

    run(go)
    assert len(fake.ledger.refunds) == 1


def test_timeout_after_sending_is_unknown_outcome(fake: FakeEpayServer) -> None:
    fake.add_payment("H1", 1000)
    fake.set_chaos(hang_after_booking_rate=1.0, hang_seconds=0.5)

    async def go() -> None:
        async with opened(make(fake, "epay_v2", timeout=0.15)) as a:
            with pytest.raises(GatewayError) as err:
                await a.refund(refund_req("H1", "RF-H1-0001", 100))
            assert (err.value.kind, err.value.code) == (ErrorKind.UNKNOWN_OUTCOME, "timeout")

    run(go)
    assert len(fake.ledger.refunds) == 1


# ---- listing and QR --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_list_transactions(fake: FakeEpayServer, kind: str) -> None:
    for i in range(3):
        fake.add_payment(f"LT{i}", 100 * (i + 1))
    fake.add_payment("LTP", 50, status="pending")

    async def go() -> None:
        async with opened(make(fake, kind)) as a:
            await a.refund(refund_req("LT2", "RF-LT2-001", 100, 300))
            records = await a.list_transactions(TxQuery(limit=60))
            by_no = {r.out_trade_no: r for r in records}
            assert set(by_no) == {"LT0", "LT1", "LT2", "LTP"}
            assert by_no["LT1"].amount_fen == 200 and by_no["LT1"].state is PaymentState.PAID
            assert by_no["LTP"].state is PaymentState.PENDING
            expected = PaymentState.PARTIALLY_REFUNDED if kind == "epay_v2" else PaymentState.REFUNDED
            assert by_no["LT2"].state is expected
            assert len(await a.list_transactions(TxQuery(offset=1, limit=2))) == 2

    run(go)


@pytest.mark.parametrize("kind", KINDS)
def test_create_qr_then_paid(fake: FakeEpayServer, kind: str) -> None:
    async def go() -> None:
        async with opened(make(fake, kind)) as a:
            qr = await a.create_qr(QrRequest("QR-1", 990, "点卡 100元", "http://127.0.0.1:1/notify"))
            assert qr.qr_content.startswith("https://qr.alipay.com/") and qr.gateway_trade_no
            assert (await a.query_payment(PaymentRef("QR-1"))).state is PaymentState.PENDING
            fake.mark_paid("QR-1")
            snap = await a.query_payment(PaymentRef("QR-1"))
            assert (snap.state, snap.total_fen) == (PaymentState.PAID, 990)
            with pytest.raises(GatewayError) as err:  # paid now: 彩虹 refuses to create it again
                await a.create_qr(QrRequest("QR-1", 990, "点卡 100元", "http://127.0.0.1:1/notify"))
            assert err.value.kind is ErrorKind.REJECTED and "已完成支付" in err.value.zh

    run(go)


# ---- notifications -------------------------------------------------------------------------------


class _Receiver:
    """A merchant notify endpoint: parse with the adapter, answer with its ack."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.received: list[Notification | GatewayError] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                inbound = InboundHttp("GET", parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)))
                try:
                    receiver.received.append(receiver.adapter.parse_notification(inbound))
                    ack = receiver.adapter.notification_ack(True)
                except GatewayError as exc:
                    receiver.received.append(exc)
                    ack = receiver.adapter.notification_ack(False)
                self.send_response(ack.status)
                for key, value in ack.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(ack.body)))
                self.end_headers()
                self.wfile.write(ack.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/notify.php"

    def __enter__(self) -> _Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("amount", "wire"), [(100, "1"), (150, "1.5"), (1, "0.01")])
def test_notification_verified_end_to_end(fake: FakeEpayServer, kind: str, amount: int, wire: str) -> None:
    fake.add_payment("N1", amount, subject="会员 卡&券")
    adapter = make(fake, kind)
    with _Receiver(adapter) as receiver:
        result = fake.send_notify("N1", receiver.url, rsa_sign=kind == "epay_v2")
        assert result.acked and result.body == "success"
        assert f"money={wire}&" in result.url and "name=%E4%BC%9A%E5%91%98+%E5%8D%A1%26%E5%88%B8" in result.url
        bad = fake.send_notify("N1", receiver.url, rsa_sign=kind == "epay_v2", bad_signature=True)
        assert not bad.acked and bad.body == "fail"
    good, refused = receiver.received
    assert isinstance(good, Notification) and isinstance(refused, GatewayError)
    assert (good.state, good.amount_fen, good.out_trade_no) == (PaymentState.PAID, amount, "N1")
    assert refused.kind is ErrorKind.SECURITY


@pytest.mark.parametrize("kind", KINDS)
def test_notification_tampering_is_rejected(fake: FakeEpayServer, kind: str) -> None:
    fake.add_payment("N2", 5000)
    adapter = make(fake, kind)
    params = dict(fake.notify_params("N2", rsa_sign=kind == "epay_v2"))
    assert adapter.parse_notification(InboundHttp("GET", "/n", params)).amount_fen == 5000
    for field, value in (("money", "0.01"), ("out_trade_no", "N3"), ("trade_status", "TRADE_CLOSED")):
        with pytest.raises(GatewayError) as err:
            adapter.parse_notification(InboundHttp("GET", "/n", {**params, field: value}))
        assert err.value.kind is ErrorKind.SECURITY
    with pytest.raises(GatewayError):  # an added (non-empty) field breaks the signature too
        adapter.parse_notification(InboundHttp("GET", "/n", {**params, "param": "x"}))
    other = dict(fake.notify_params("N2", rsa_sign=kind != "epay_v2"))  # the other version's notify
    with pytest.raises(GatewayError) as err:
        adapter.parse_notification(InboundHttp("GET", "/n", other))
    assert err.value.code in ("bad_sign_type", "bad_signature")


def test_v2_notification_with_stale_timestamp_is_rejected(fake: FakeEpayServer) -> None:
    fake.add_payment("N4", 100)
    params = dict(fake.notify_params("N4", rsa_sign=True))
    late = EpayV2Adapter(fake.account_config("epay_v2"), clock=lambda: datetime.now().astimezone() + timedelta(seconds=301))
    with pytest.raises(GatewayError) as err:
        late.parse_notification(InboundHttp("GET", "/n", params))
    assert (err.value.kind, err.value.code) == (ErrorKind.SECURITY, "stale_timestamp")
    on_time = EpayV2Adapter(fake.account_config("epay_v2"), clock=lambda: datetime.now().astimezone() + timedelta(seconds=250))
    assert on_time.parse_notification(InboundHttp("GET", "/n", params)).amount_fen == 100
