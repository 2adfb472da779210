"""A byte-faithful local fake of the Alipay OpenAPI gateway (``gateway.do``, RSA2).

Follows the checklist of the protocol notes §2.12. It deliberately shares no code with the adapter
(kashop_desktop.gateways.alipay): canonical strings, response serialisation and signing are
written again here, so the adapter is proven against an independent reading of the protocol
(and both are cross-checked against the vendor SDK in the tests).

  * One route ``/gateway.do`` (GET or POST): query-string and form-body parameters merged.
  * The request signature is verified with the app public key over all parameters but ``sign``
    (``sign_type`` included, empty values dropped), sorted, ``k=v`` joined with ``&``;
    ``biz_content`` is verified as the exact string received (the vendor SDK sends CJK as
    ``\\uXXXX``, our adapter as raw UTF-8: both must pass).
  * Gateway checks, in Alipay's order: method, app_id (unknown -> 40002 isv.invalid-app-id,
    *unsigned*, as Alipay sends it), sign, sign_type, timestamp format, version, signature.
  * Replies: ``{"<method>_response":<inner>,"sign":"..."}`` where ``<inner>`` is compact JSON, UTF-8
    unescaped, ``/`` escaped as ``\\/``, signed over those exact bytes with the fake's Alipay
    private key (a wrong key while ``bad_signature_now``). Business failures (40004) are signed.
  * Methods: alipay.trade.query, alipay.trade.refund (out_request_no idempotency; partial refunds
    need out_request_no), alipay.trade.fastpay.refund.query, alipay.trade.precreate,
    alipay.data.dataservice.bill.downloadurl.query (one-shot zip URL, 30 s).
  * Chaos: the harness knobs, plus ``balance_not_enough`` -> ACQ.SELLER_BALANCE_NOT_ENOUGH,
    ``processing_first`` -> the refund reply says fund_change N and fastpay.refund.query shows
    no REFUND_SUCCESS until it is asked a second time, and the fake's own
    ``error_after_booking_rate`` -> 20000 isp.unknow-error or 40004 ACQ.SYSTEM_ERROR *after* the
    refund was booked, and ``refund_query_lag_rate`` -> a booked refund is missing from its first
    fastpay.refund.query (Alipay warns that an early query can come back empty).
  * ``send_notify`` POSTs a signed payment or refund notification (form) to a URL.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
import re
import secrets
import socket
import time
import zipfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .base import FakeGatewayServer, FakePayment, FakeRefund, FakeRequest, FakeResponse

BEIJING = timezone(timedelta(hours=8), "CST")
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_GATEWAY_PATH = "/gateway.do"
_BILL_PATH = "/downloadBillFile.resource"


def _beijing(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fen(text: Any) -> int | None:
    """Alipay's amount rule: a positive number with at most two decimals."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value * 100 != (value * 100).to_integral_value():
        return None
    return int(value * 100)


def _pem_private(key: rsa.RSAPrivateKey, *, pkcs1: bool = False) -> str:
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode("ascii")


def _pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeAlipayServer(FakeGatewayServer):
    """Alipay's gateway on loopback, with its own app and Alipay RSA-2048 key pairs."""

    kind = "alipay"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, app_id: str = "2021000000000001") -> None:
        super().__init__(host, port)
        self.app_id = app_id
        self.seller_id = "2088000000000001"
        self.app_key = _new_key()  # the merchant's pair: its public half is "uploaded" here
        self.alipay_key = _new_key()  # Alipay's pair: signs replies and notifications
        self._wrong_key: rsa.RSAPrivateKey | None = None
        self.error_after_booking_rate = 0.0
        # Alipay warns that a refund query made too soon can come back empty: a freshly booked
        # refund is, with this probability, missing from the first fastpay.refund.query.
        self.refund_query_lag_rate = 0.0
        self._lagging: set[tuple[str, str]] = set()
        self.bill_ttl_seconds = 30.0
        self.notify_urls: dict[str, str] = {}  # out_trade_no -> notify_url from precreate
        self.finished: set[str] = set()  # trades past their refund window (TRADE_FINISHED)
        self.frozen: set[str] = set()
        self.unscanned: set[str] = set()  # precreated, QR never scanned: Alipay says TRADE_NOT_EXIST
        self.calls: dict[str, int] = {}  # per method, authenticated calls only
        self._bills: dict[str, tuple[bytes, float]] = {}
        self._refund_seq = 0

    def start(self) -> FakeAlipayServer:
        super().start()
        # Harness workaround (reported upstream): the handler writes headers and body in two
        # send() calls, so without TCP_NODELAY every reply waits ~40 ms on the client's delayed
        # ACK; and socketserver's listen backlog of 5 resets bursts of new connections. Accepted
        # sockets inherit TCP_NODELAY from the listening socket on Linux; listen() again only
        # raises the backlog.
        httpd = self._httpd
        if httpd is not None:
            with contextlib.suppress(OSError):
                httpd.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                httpd.socket.listen(256)
        return self

    # ---- configuration for clients --------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{_GATEWAY_PATH}"

    def app_private_key_pem(self, *, pkcs1: bool = False) -> str:
        return _pem_private(self.app_key, pkcs1=pkcs1)

    def app_public_key_pem(self) -> str:
        return _pem_public(self.app_key.public_key())

    def alipay_public_key_pem(self) -> str:
        return _pem_public(self.alipay_key.public_key())

    def alipay_private_key_pem(self) -> str:
        return _pem_private(self.alipay_key)

    def account_config(self, kind: str = "alipay") -> dict[str, str]:
        """Configuration for an AlipayAdapter talking to this fake."""
        if kind != "alipay":
            raise KeyError(kind)
        return {
            "base_url": self.gateway_url,
            "app_id": self.app_id,
            "app_private_key": self.app_private_key_pem(),
            "alipay_public_key": self.alipay_public_key_pem(),
        }

    # ---- signing ---------------------------------------------------------------------------------
    @property
    def wrong_key(self) -> rsa.RSAPrivateKey:
        if self._wrong_key is None:
            self._wrong_key = _new_key()
        return self._wrong_key

    def sign(self, text: str, *, bad: bool = False) -> str:
        key = self.wrong_key if bad else self.alipay_key
        return base64.b64encode(key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode(
            "ascii"
        )

    @staticmethod
    def request_sign_content(params: dict[str, str]) -> str:
        return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")

    def _request_signature_ok(self, params: dict[str, str]) -> bool:
        try:
            signature = base64.b64decode(params["sign"], validate=True)
            self.app_key.public_key().verify(
                signature,
                self.request_sign_content(params).encode("utf-8"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    @staticmethod
    def serialize(obj: Any) -> str:
        """Compact JSON, UTF-8 unescaped, '/' escaped as '\\/' (as Alipay emits)."""
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/")

    def envelope(
        self, key: str, inner: dict[str, Any], *, signed: bool = True, booked: bool = False
    ) -> FakeResponse:
        content = self.serialize(inner)
        text = f"{{{self.serialize(key)}:{content}"
        if signed:
            text += f',"sign":{self.serialize(self.sign(content, bad=self.bad_signature_now))}'
        body = (text + "}").encode("utf-8")
        return FakeResponse(200, body, {"Content-Type": "text/html;charset=utf-8"}, booked)

    # ---- dispatch ---------------------------------------------------------------------------------
    def handle(self, req: FakeRequest) -> FakeResponse:
        if req.path == _GATEWAY_PATH:
            return self._gateway(req)
        if req.path == _BILL_PATH:
            return self._download_bill(req)
        return FakeResponse.text("404 Not Found", 404)

    @staticmethod
    def _error(code: str, sub_code: str, sub_msg: str) -> dict[str, Any]:
        msg = {
            "20000": "Service Currently Unavailable",
            "40001": "Missing Required Arguments",
            "40002": "Invalid Arguments",
            "40004": "Business Failed",
            "40006": "Insufficient Permissions",
        }[code]
        return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}

    def _gateway(self, req: FakeRequest) -> FakeResponse:
        params = req.params()
        method = params.get("method", "")
        handlers = {
            "alipay.trade.query": self._trade_query,
            "alipay.trade.refund": self._trade_refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
            "alipay.trade.precreate": self._precreate,
            "alipay.data.dataservice.bill.downloadurl.query": self._bill_url,
        }
        key = method.replace(".", "_") + "_response" if method in handlers else "error_response"
        if not method:
            return self.envelope(
                key, self._error("40001", "isv.missing-method", "缺少方法名参数"), signed=False
            )
        app_id = params.get("app_id", "")
        if not app_id:
            return self.envelope(
                key, self._error("40001", "isv.missing-app-id", "缺少AppID参数"), signed=False
            )
        if app_id != self.app_id:
            # VERIFY: Alipay answers an unknown app_id unsigned (it has no key pair for it).
            return self.envelope(
                key, self._error("40002", "isv.invalid-app-id", "无效的AppID参数"), signed=False
            )
        if method not in handlers:
            return self.envelope(key, self._error("40002", "isv.invalid-method", "不存在的方法名"))
        if not params.get("sign"):
            return self.envelope(key, self._error("40001", "isv.missing-signature", "缺少签名参数"))
        if not params.get("sign_type"):
            return self.envelope(key, self._error("40001", "isv.missing-signature-type", "缺少签名类型参数"))
        if params["sign_type"] != "RSA2":
            return self.envelope(
                key, self._error("40002", "isv.invalid-signature-type", "无效的签名类型参数")
            )
        if not params.get("timestamp"):
            return self.envelope(key, self._error("40001", "isv.missing-timestamp", "缺少时间戳参数"))
        if not _TIMESTAMP_RE.match(params["timestamp"]):
            return self.envelope(key, self._error("40002", "isv.invalid-timestamp", "非法的时间戳参数"))
        if not params.get("version"):
            return self.envelope(key, self._error("40001", "isv.missing-version", "缺少版本参数"))
        if params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
            return self.envelope(key, self._error("40002", "isv.invalid-charset", "字符集错误"))
        if not self._request_signature_ok(params):
            content = self.request_sign_content(params)
            return self.envelope(
                key,
                self._error(
                    "40002",
                    "isv.invalid-signature",
                    f"验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{content}",
                ),
            )
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            biz = None
        if not isinstance(biz, dict):
            return self.envelope(
                key, self._error("40004", "ACQ.INVALID_PARAMETER", "参数无效（biz_content）")
            )
        self.calls[method] = self.calls.get(method, 0) + 1
        inner, booked = handlers[method](biz, params)
        return self.envelope(key, inner, booked=booked)

    # ---- helpers ------------------------------------------------------------------------------------
    def _payment(self, biz: dict[str, Any]) -> FakePayment | None:
        trade_no = str(biz.get("trade_no") or "")
        out_trade_no = str(biz.get("out_trade_no") or "")
        payment = self.ledger.payment(out_trade_no or None, trade_no or None)
        if payment and out_trade_no and payment.out_trade_no != out_trade_no:
            return None
        return payment

    def trade_status(self, payment: FakePayment) -> str:
        if payment.status == "pending":
            return "WAIT_BUYER_PAY"
        if payment.status == "closed":
            return "TRADE_CLOSED"
        if payment.out_trade_no in self.finished:
            return "TRADE_FINISHED"
        return "TRADE_SUCCESS"

    def find_refund(self, out_trade_no: str, out_request_no: str) -> FakeRefund | None:
        for refund in self.ledger.refunds:
            if refund.out_trade_no == out_trade_no and refund.out_refund_no == out_request_no:
                return refund
        return None

    # ---- methods --------------------------------------------------------------------------------------
    def _trade_query(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        payment = self._payment(biz)
        if payment is None or payment.out_trade_no in self.unscanned:
            return self._error("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"), False
        paid = payment.paid_at is not None
        total = _yuan(payment.amount_fen)
        inner: dict[str, Any] = {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "csq***@sandbox.com",
            "buyer_pay_amount": total if paid else "0.00",
            "buyer_user_id": "2088102177846880",
            "invoice_amount": total if paid else "0.00",
            "out_trade_no": payment.out_trade_no,
            "point_amount": "0.00",
            "receipt_amount": total if paid else "0.00",
            "total_amount": total,
            "trade_no": payment.trade_no,
            "trade_status": self.trade_status(payment),
        }
        if paid:
            inner["send_pay_date"] = _beijing(payment.paid_at)
            inner["fund_bill_list"] = [{"amount": total, "fund_channel": "ALIPAYACCOUNT"}]
        return inner, False

    def _trade_refund(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        self.ledger.refund_calls += 1
        payment = self._payment(biz)
        if payment is None or payment.out_trade_no in self.unscanned:
            return self._error("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"), False
        amount = _fen(biz.get("refund_amount", ""))
        if amount is None:
            return self._error("40004", "ACQ.REASON_TRADE_REFUND_FEE_ERR", "退款金额无效"), False
        # Omitting out_request_no means a full refund keyed by the out_trade_no (§2.7).
        out_request_no = str(biz.get("out_request_no") or payment.out_trade_no)
        earlier = self.find_refund(payment.out_trade_no, out_request_no)
        if earlier is not None:
            self.ledger.duplicate_refund_calls += 1
            if earlier.amount_fen != amount:
                return self._error("40004", "ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致"), False
            return self._refund_reply(payment, fund_change="N"), False
        if not biz.get("out_request_no") and amount != payment.amount_fen:
            return self._error(
                "40004",
                "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                "退款金额与交易金额不相等（部分退款须传退款请求号）",
            ), False
        status = self.trade_status(payment)
        if status == "TRADE_FINISHED":
            return self._error("40004", "ACQ.TRADE_HAS_FINISHED", "交易已完结"), False
        if status != "TRADE_SUCCESS":
            return self._error("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态非法"), False
        if payment.out_trade_no in self.frozen:
            return self._error("40004", "ACQ.REASON_TRADE_BEEN_FREEZEN", "交易已经被冻结"), False
        if amount > payment.amount_fen - payment.refunded_fen:
            return self._error("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"), False
        if self.chaos.balance_not_enough:
            return self._error("40004", "ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足"), False
        self._refund_seq += 1
        refund = FakeRefund(
            refund_no=f"{payment.trade_no}-{self._refund_seq}",
            out_refund_no=out_request_no,
            out_trade_no=payment.out_trade_no,
            trade_no=payment.trade_no,
            amount_fen=amount,
            status="processing" if self.chaos.processing_first else "succeeded",
        )
        self.ledger.refunds.append(refund)
        payment.refunded_fen += amount
        if payment.refunded_fen >= payment.amount_fen:
            payment.status = "closed"
        if self.roll(self.refund_query_lag_rate):
            self._lagging.add((payment.out_trade_no, out_request_no))
        if self.roll(self.error_after_booking_rate):
            if self._rng.random() < 0.5:
                return self._error("20000", "isp.unknow-error", "系统繁忙"), True
            return self._error("40004", "ACQ.SYSTEM_ERROR", "系统错误"), True
        return self._refund_reply(payment, fund_change="N" if refund.status == "processing" else "Y"), True

    def _refund_reply(self, payment: FakePayment, *, fund_change: str) -> dict[str, Any]:
        return {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "csq***@sandbox.com",
            "buyer_user_id": "2088102177846880",
            "fund_change": fund_change,
            "gmt_refund_pay": _beijing(),
            "out_trade_no": payment.out_trade_no,
            "refund_fee": _yuan(payment.refunded_fen),  # the trade's total refunded so far
            "send_back_fee": "0.00",
            "trade_no": payment.trade_no,
        }

    def _refund_query(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        payment = self._payment(biz)
        if payment is None or payment.out_trade_no in self.unscanned:
            return self._error("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"), False
        out_request_no = str(biz.get("out_request_no") or "")
        if not out_request_no:
            return self._error("40004", "ACQ.INVALID_PARAMETER", "参数无效（out_request_no）"), False
        refund = self.find_refund(payment.out_trade_no, out_request_no)
        lagging = (payment.out_trade_no, out_request_no)
        if refund is None or lagging in self._lagging:
            self._lagging.discard(lagging)
            return {"code": "10000", "msg": "Success"}, False
        refund.queries += 1
        if refund.status == "processing" and refund.queries >= 2:
            refund.status = "succeeded"
        inner: dict[str, Any] = {
            "code": "10000",
            "msg": "Success",
            "out_request_no": refund.out_refund_no,
            "out_trade_no": payment.out_trade_no,
            "refund_amount": _yuan(refund.amount_fen),
            "total_amount": _yuan(payment.amount_fen),
            "trade_no": payment.trade_no,
        }
        if refund.status == "succeeded":
            inner["refund_status"] = "REFUND_SUCCESS"
            options = biz.get("query_options") or []
            if isinstance(options, list) and "gmt_refund_pay" in options:
                inner["gmt_refund_pay"] = _beijing(refund.created_at)
        return inner, False

    def _precreate(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        out_trade_no = str(biz.get("out_trade_no") or "")
        amount = _fen(biz.get("total_amount", ""))
        if not out_trade_no or amount is None or not biz.get("subject"):
            return self._error("40004", "ACQ.INVALID_PARAMETER", "参数无效"), False
        payment = self.ledger.payment(out_trade_no)
        if payment is not None and (payment.status != "pending" or payment.amount_fen != amount):
            if payment.status == "paid":
                return self._error("40004", "ACQ.TRADE_HAS_SUCCESS", "交易已被支付"), False
            return self._error("40004", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"), False
        if payment is None:
            payment = self.add_payment(out_trade_no, amount, status="pending", subject=str(biz["subject"]))
            self.unscanned.add(out_trade_no)
        if params.get("notify_url"):
            self.notify_urls[out_trade_no] = params["notify_url"]
        qr = "https://qr.alipay.com/bax0" + payment.trade_no[-8:] + "kashopfake"
        return {"code": "10000", "msg": "Success", "out_trade_no": out_trade_no, "qr_code": qr}, False

    def _bill_url(self, biz: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any], bool]:
        bill_type = str(biz.get("bill_type") or "")
        bill_date = str(biz.get("bill_date") or "")
        if bill_type != "trade" or not re.match(r"^\d{4}-\d{2}-\d{2}$", bill_date):
            return self._error("40004", "isp.bill_not_exist", "账单不存在"), False
        today = datetime.now(BEIJING).date().isoformat()
        if bill_date >= today:
            return self._error("40004", "isp.bill_not_exist", "账单不存在"), False
        token = secrets.token_hex(12)
        self._bills[token] = (self.bill_zip(bill_date), time.time() + self.bill_ttl_seconds)
        query = urlencode(
            {
                "bizType": "trade",
                "userId": self.seller_id,
                "fileType": "csv.zip",
                "bizDates": bill_date.replace("-", ""),
                "downloadFileName": f"{self.seller_id}0156_{bill_date.replace('-', '')}.csv.zip",
                "fileId": token,
            }
        )
        url = f"http://127.0.0.1:{self.port}{_BILL_PATH}?{query}"
        return {"code": "10000", "msg": "Success", "bill_download_url": url}, False

    def _download_bill(self, req: FakeRequest) -> FakeResponse:
        token = req.query.get("fileId", "")
        entry = self._bills.pop(token, None)  # one-shot
        if entry is None or entry[1] < time.time():
            return FakeResponse.text("bill link expired or unknown", 404)
        return FakeResponse(200, entry[0], {"Content-Type": "application/oct-stream"})

    def bill_zip(self, bill_date: str) -> bytes:
        """A trade bill zip for one Beijing day (VERIFY: layout as commonly reported), GBK CSV."""
        header = (
            "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
            "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
            "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
        )
        out = io.StringIO()
        out.write("#支付宝业务明细查询\r\n")
        out.write(f"#账号：[{self.seller_id}0156]\r\n")
        out.write(f"#起始日期：[{bill_date} 00:00:00]   终止日期：[{bill_date} 23:59:59]\r\n")
        out.write(
            "#-----------------------------------------业务明细列表----------------------------------------\r\n"
        )
        out.write(header + "\r\n")
        writer = csv.writer(out, lineterminator="\r\n")
        trades = refunds = 0
        for p in self.ledger.payments.values():
            if p.paid_at is None or _beijing(p.paid_at)[:10] != bill_date:
                continue
            trades += 1
            amount = _yuan(p.amount_fen)
            row = [
                p.trade_no + "\t",
                p.out_trade_no + "\t",
                "交易",
                p.subject,
                _beijing(p.created_at),
                _beijing(p.paid_at),
            ]
            row += (
                ["", "", "", "", "csq***@sandbox.com", amount, amount]
                + ["0.00"] * 5
                + ["", "0.00", "0.00", "", "0.00", "0.00", ""]
            )
            writer.writerow(row)
        for r in self.ledger.refunds:
            if r.status != "succeeded" or _beijing(r.created_at)[:10] != bill_date:
                continue
            refunds += 1
            payment = self.ledger.payment(r.out_trade_no)
            amount = "-" + _yuan(r.amount_fen)
            row = [
                r.trade_no + "\t",
                r.out_trade_no + "\t",
                "退款",
                payment.subject if payment else "",
                _beijing(r.created_at),
            ]
            row += [_beijing(r.created_at), "", "", "", "", "csq***@sandbox.com", amount, amount] + [
                "0.00"
            ] * 5
            row += ["", "0.00", "0.00", r.out_refund_no + "\t", "0.00", "0.00", ""]
            writer.writerow(row)
        out.write(
            "#-----------------------------------------业务明细列表结束------------------------------------\r\n"
        )
        out.write(f"#交易合计：{trades}笔，退款合计：{refunds}笔\r\n")
        out.write(f"#导出时间：[{_beijing()}]\r\n")
        detail = out.getvalue().encode("gbk")
        summary = (
            "#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数,退款订单总笔数\r\n"
            f",,{trades},{refunds}\r\n#导出时间：[{_beijing()}]\r\n"
        ).encode("gbk")
        buf = io.BytesIO()
        day = bill_date.replace("-", "")
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.seller_id}0156_{day}_detail.csv", detail)
            archive.writestr(f"{self.seller_id}0156_{day}_summary.csv", summary)
        return buf.getvalue()

    # ---- scenario helpers -------------------------------------------------------------------------------
    def pay(self, out_trade_no: str) -> FakePayment:
        """The buyer scans the QR and pays a precreated (or pending) trade."""
        with self.lock:
            payment = self.ledger.payments[out_trade_no]
            self.unscanned.discard(out_trade_no)
            payment.status = "paid"
            payment.paid_at = time.time()
            return payment

    def finish_trade(self, out_trade_no: str) -> None:
        """Move a paid trade past its refund window (TRADE_FINISHED)."""
        with self.lock:
            self.finished.add(out_trade_no)

    # ---- notifications ----------------------------------------------------------------------------------
    def notify_params(
        self, out_trade_no: str, *, refund: FakeRefund | None = None, bad_signature: bool = False
    ) -> dict[str, str]:
        """A signed trade_status_sync notification (payment, or refund when ``refund`` is given)."""
        with self.lock:
            payment = self.ledger.payments[out_trade_no]
            total = _yuan(payment.amount_fen)
            params: dict[str, str] = {
                "notify_time": _beijing(),
                "notify_type": "trade_status_sync",
                "notify_id": secrets.token_hex(16),
                "app_id": self.app_id,
                "charset": "utf-8",
                "version": "1.0",
                "trade_no": payment.trade_no,
                "out_trade_no": payment.out_trade_no,
                "buyer_id": "2088102177846880",
                "buyer_logon_id": "csq***@sandbox.com",
                "seller_id": self.seller_id,
                "seller_email": "shop@example.com",
                "trade_status": self.trade_status(payment),
                "total_amount": total,
                "receipt_amount": total,
                "invoice_amount": total,
                "buyer_pay_amount": total,
                "point_amount": "0.00",
                "subject": payment.subject or "商品",
                "gmt_create": _beijing(payment.created_at),
                "fund_bill_list": json.dumps(
                    [{"amount": total, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")
                ),
            }
            if payment.paid_at is not None:
                params["gmt_payment"] = _beijing(payment.paid_at)
            if refund is not None:
                params["out_biz_no"] = refund.out_refund_no
                params["refund_fee"] = _yuan(payment.refunded_fen)
                params["gmt_refund"] = _beijing(refund.created_at) + ".000"
                if payment.status == "closed":
                    params["gmt_close"] = _beijing(refund.created_at)
        content = "&".join(f"{k}={params[k]}" for k in sorted(params))  # sign and sign_type excluded
        params["sign_type"] = "RSA2"
        params["sign"] = self.sign(content, bad=bad_signature)
        return params

    @staticmethod
    def send_notify(url: str, params: dict[str, str], *, timeout: float = 5.0) -> tuple[int, bytes]:
        """POST the notification form to ``url``; returns (HTTP status, body). Ack is b"success"."""
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            resp = client.post(
                url,
                content=urlencode(params).encode("ascii"),
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            )
            return resp.status_code, resp.content

    @staticmethod
    def parse_form(body: bytes) -> dict[str, str]:
        return dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))
