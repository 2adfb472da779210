"""A local fake of WeChat Pay APIv3 (public-key mode) that speaks the real protocol on loopback.

What it does like WeChat (the protocol notes §3.10):
  * verifies the merchant's ``Authorization`` header (the five fields, the merchant serial, a
    timestamp within 5 minutes, SHA256withRSA over ``METHOD\\nPATH?QUERY\\nTS\\nNONCE\\nBODY\\n`` with
    the raw received target and body) and answers 401 SIGN_ERROR, unsigned, if it fails;
  * signs every reply to an authenticated request, 204 included, with its platform key in the
    ``Wechatpay-*`` headers (with a wrong key when the chaos roll says so);
  * errors are ``{"code","message"}`` with the statuses of §3.5; refunds are idempotent on
    ``out_refund_no``; Chaos.balance_not_enough -> 403 NOT_ENOUGH; Chaos.processing_first ->
    a refund answers PROCESSING until queried ``processing_queries`` times;
  * sends notifications encrypted with AES-256-GCM under the APIv3 key and signed;
  * serves the daily trade bill (``/v3/bill/tradebill`` + an unsigned download with its SHA1).

Its crypto is written out here on purpose, independently of the adapter, so that a bug in one
does not cancel a bug in the other; the vendor SDK cross-checks both in the tests.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import json
import re
import secrets
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ...domain.money import format_yuan
from .base import Chaos, FakeGatewayServer, FakePayment, FakeRefund, FakeRequest, FakeResponse, Ledger

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
CST = timezone(timedelta(hours=8))
_OUT_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
_FIELD = re.compile(r'(\w+)="([^"]*)"')
_LEDGER_STATUS = {"SUCCESS": "succeeded", "PROCESSING": "processing", "CLOSED": "failed", "ABNORMAL": "failed"}
_BILL_HEADER = [
    "交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型",
    "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额",
    "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额",
    "费率备注",
]


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, CST).isoformat(timespec="seconds")


@dataclass(frozen=True)
class FakeWechatKeys:
    """The fake's RSA-2048 pairs: the merchant's API key, the platform key, and a wrong key used
    to sign replies that must fail verification. Reusable across servers to save key generation."""

    merchant: rsa.RSAPrivateKey
    platform: rsa.RSAPrivateKey
    wrong: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> FakeWechatKeys:
        return cls(_new_key(), _new_key(), _new_key())


class FakeWechatPayServer(FakeGatewayServer):
    kind = "wechatpay_v3"
    #: with Chaos.processing_first, a refund answers PROCESSING to this many queries, then moves on
    processing_queries = 1
    #: where a PROCESSING refund ends: SUCCESS, CLOSED or ABNORMAL
    processing_outcome = "SUCCESS"
    #: seconds added to the timestamps the fake signs (to test the client's skew check)
    reply_clock_offset_s = 0
    max_skew_s = 300

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, keys: FakeWechatKeys | None = None) -> None:
        super().__init__(host, port)
        self.keys = keys or FakeWechatKeys.generate()
        self.mchid = "1900000100"
        self.appid = "wxd678efh567hg6787"
        self.merchant_serial_no = secrets.token_hex(20).upper()
        self.platform_public_key_id = "PUB_KEY_ID_0119" + "".join(secrets.choice("0123456789") for _ in range(24))
        self.apiv3_key = secrets.token_hex(16)  # 32 ASCII characters = 32 key bytes
        self.auth_failures = 0
        self._wx_status: dict[str, str] = {}  # out_refund_no -> SUCCESS | PROCESSING | CLOSED | ABNORMAL
        self._notify_urls: dict[str, str] = {}
        self._bills: dict[str, bytes] = {}
        self._code_urls: dict[str, str] = {}

    def start(self) -> FakeWechatPayServer:
        super().start()
        assert self._httpd is not None
        # The harness handler writes the headers and the body in two sends; without TCP_NODELAY,
        # Nagle plus delayed ACKs add tens of milliseconds to every reply on loopback.
        self._httpd.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        return self

    def reset(self) -> None:
        """Forget every payment, refund, bill and knob (keys and ids stay): a fresh gateway
        without the cost of restarting the HTTP server."""
        with self.lock:
            self.ledger = Ledger()
            self.set_chaos(**asdict(Chaos()))
            self.requests_seen = self.auth_failures = 0
            for knob in ("processing_queries", "processing_outcome", "reply_clock_offset_s", "max_skew_s"):
                self.__dict__.pop(knob, None)
            self._wx_status.clear()
            self._notify_urls.clear()
            self._bills.clear()
            self._code_urls.clear()

    def account_config(self, kind: str = "wechatpay_v3") -> dict[str, str]:
        return {
            "base_url": self.url.rstrip("/"),
            "mchid": self.mchid,
            "merchant_serial_no": self.merchant_serial_no,
            "merchant_private_key": _private_pem(self.keys.merchant),
            "apiv3_key": self.apiv3_key,
            "platform_public_key": _public_pem(self.keys.platform),
            "platform_public_key_id": self.platform_public_key_id,
            "appid": self.appid,
        }

    # ---- ids ---------------------------------------------------------------------------------
    def new_trade_no(self) -> str:
        with self.lock:
            self._seq += 1
            return f"4200{self._seq:010d}{time.strftime('%Y%m%d')}{secrets.randbelow(10**6):06d}"

    def _new_refund_id(self) -> str:
        with self.lock:
            self._seq += 1
            return f"5030{self._seq:010d}{time.strftime('%Y%m%d')}{secrets.randbelow(10**7):07d}"

    def complete_payment(self, out_trade_no: str) -> FakePayment:
        """The buyer paid (e.g. scanned the Native code)."""
        with self.lock:
            paid = self.ledger.payments[out_trade_no]
            paid.status, paid.paid_at = "paid", time.time()
            return paid

    # ---- signing -----------------------------------------------------------------------------
    def signature_headers(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        ts = str(int(time.time()) + self.reply_clock_offset_s)
        nonce = secrets.token_hex(16)
        key = self.keys.wrong if bad else self.keys.platform
        message = f"{ts}\n{nonce}\n".encode() + body + b"\n"
        signature = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
        return {
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Serial": self.platform_public_key_id,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
            "Request-ID": str(uuid.uuid4()),
        }

    def _signed(self, resp: FakeResponse) -> FakeResponse:
        resp.headers.update(self.signature_headers(resp.body, bad=self.bad_signature_now))
        return resp

    def _json(self, obj: Any, status: int = 200, *, booked: bool = False) -> FakeResponse:
        return FakeResponse.json(obj, status, booked=booked, separators=(",", ":"))

    def _error(self, status: int, code: str, message: str) -> FakeResponse:
        return self._json({"code": code, "message": message}, status)

    def server_error(self) -> FakeResponse:
        # Chaos 5xx happens before authentication, like a front proxy: unsigned.
        return self._error(500, "SYSTEM_ERROR", "系统错误")

    def _check_auth(self, req: FakeRequest) -> str | None:
        value = req.headers.get("authorization", "")
        if not value.startswith(SIGNATURE_TYPE + " "):
            return "Authorization 缺失或认证类型不是 WECHATPAY2-SHA256-RSA2048"
        fields = dict(_FIELD.findall(value[len(SIGNATURE_TYPE) + 1 :]))
        missing = [k for k in ("mchid", "nonce_str", "timestamp", "serial_no", "signature") if not fields.get(k)]
        if missing:
            return f"Authorization 缺少字段：{','.join(missing)}"
        if fields["mchid"] != self.mchid:
            return "Authorization 中的商户号无效"
        if fields["serial_no"].upper() != self.merchant_serial_no:
            return "商户API证书序列号有误"
        ts = fields["timestamp"]
        if not ts.isdigit() or abs(time.time() - int(ts)) > self.max_skew_s:
            return "请求时间戳过期，请检查系统时间"
        target = req.path + (f"?{req.raw_query}" if req.raw_query else "")
        message = f"{req.method}\n{target}\n{ts}\n{fields['nonce_str']}\n".encode() + req.body + b"\n"
        try:
            signature = base64.b64decode(fields["signature"], validate=True)
            self.keys.merchant.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "签名错误，请检查后再试"
        return None

    # ---- dispatch ----------------------------------------------------------------------------
    def handle(self, req: FakeRequest) -> FakeResponse:
        problem = self._check_auth(req)
        if problem:
            self.auth_failures += 1
            return self._error(401, "SIGN_ERROR", problem)  # unsigned: the request was not trusted
        serial = req.headers.get("wechatpay-serial")
        if serial is not None and serial != self.platform_public_key_id:
            return self._signed(self._error(400, "PARAM_ERROR", "Wechatpay-Serial 无效"))
        if req.path == "/v3/billdownload/file":
            return self._bill_file(req)  # the file download is not signed (as on WeChat)
        return self._signed(self._route(req))

    def _route(self, req: FakeRequest) -> FakeResponse:
        parts = [unquote(p) for p in req.path.split("/")[1:]]
        try:
            body: Any = json.loads(req.body) if req.body else {}
        except ValueError:
            return self._error(400, "PARAM_ERROR", "请求体不是合法的 JSON")
        if not isinstance(body, dict):
            return self._error(400, "PARAM_ERROR", "请求体必须是 JSON 对象")
        get, post = req.method == "GET", req.method == "POST"
        if parts[:3] == ["v3", "pay", "transactions"] and len(parts) == 5 and get:
            return self._query_payment(req, parts[3], parts[4])
        if parts[:4] == ["v3", "pay", "transactions", "out-trade-no"] and len(parts) == 6 and parts[5] == "close" and post:
            return self._close(parts[4], body)
        if parts == ["v3", "pay", "transactions", "native"] and post:
            return self._native(body)
        if parts == ["v3", "refund", "domestic", "refunds"] and post:
            return self._refund(body)
        if parts[:4] == ["v3", "refund", "domestic", "refunds"] and len(parts) == 5 and get:
            return self._query_refund(parts[4])
        if parts == ["v3", "bill", "tradebill"] and get:
            return self._tradebill(req)
        return self._error(404, "NOT_FOUND", "请求的资源不存在")

    # ---- payments ----------------------------------------------------------------------------
    def _transaction(self, p: FakePayment) -> dict[str, Any]:
        state = {"pending": "NOTPAY", "closed": "CLOSED"}.get(p.status, "REFUND" if p.refunded_fen else "SUCCESS")
        desc = {"NOTPAY": "订单未支付", "CLOSED": "订单已关闭", "REFUND": "订单发生过退款", "SUCCESS": "支付成功"}[state]
        data: dict[str, Any] = {
            "appid": self.appid, "mchid": self.mchid, "out_trade_no": p.out_trade_no,
            "trade_state": state, "trade_state_desc": desc, "attach": "",
            "amount": {"total": p.amount_fen, "currency": "CNY"}, "promotion_detail": [],
        }
        if p.status == "paid" or p.refunded_fen:
            data.update({
                "transaction_id": p.trade_no, "trade_type": "NATIVE", "bank_type": "OTHERS",
                "success_time": _rfc3339(p.paid_at or p.created_at),
                "payer": {"openid": "o" + hashlib.md5(p.trade_no.encode()).hexdigest()[:27]},
                "amount": {"total": p.amount_fen, "payer_total": p.amount_fen, "currency": "CNY", "payer_currency": "CNY"},
            })
        return data

    def _query_payment(self, req: FakeRequest, by: str, key: str) -> FakeResponse:
        if req.query.get("mchid") != self.mchid:
            return self._error(400, "PARAM_ERROR", "mchid 参数缺失或与请求商户号不一致")
        if by == "out-trade-no":
            payment = self.ledger.payment(out_trade_no=key)
        elif by == "id":
            payment = self.ledger.payment(trade_no=key)
        else:
            return self._error(404, "NOT_FOUND", "请求的资源不存在")
        if payment is None:
            return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
        return self._json(self._transaction(payment))

    def _close(self, out_trade_no: str, body: dict[str, Any]) -> FakeResponse:
        if body.get("mchid") != self.mchid:
            return self._error(400, "PARAM_ERROR", "mchid 与请求商户号不一致")
        payment = self.ledger.payment(out_trade_no=out_trade_no)
        if payment is None:
            return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
        if payment.status == "paid":
            return self._error(400, "ORDERPAID", "订单已支付，不能关闭")
        payment.status = "closed"
        return FakeResponse(204, b"", {}, booked=True)

    def _native(self, body: dict[str, Any]) -> FakeResponse:
        amount = _obj(body.get("amount"))
        total = amount.get("total")
        otn = body.get("out_trade_no")
        if body.get("mchid") != self.mchid or body.get("appid") != self.appid:
            return self._error(400, "PARAM_ERROR", "appid 或 mchid 不匹配")
        if not isinstance(otn, str) or not _OUT_NO.match(otn) or not body.get("notify_url") or not body.get("description"):
            return self._error(400, "PARAM_ERROR", "缺少必填参数或参数格式错误")
        if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
            return self._error(400, "PARAM_ERROR", "amount.total 必须是正整数（分）")
        existing = self.ledger.payment(out_trade_no=otn)
        if existing is not None:
            if existing.status == "paid":
                return self._error(400, "ORDERPAID", "该订单已支付")
            if existing.amount_fen != total or existing.status != "pending":
                return self._error(400, "INVALID_REQUEST", "商户订单号重复")
            return self._json({"code_url": self._code_urls[otn]})
        payment = self.add_payment(otn, total, status="pending", subject=str(body["description"]))
        self._code_urls[otn] = "weixin://wxpay/bizpayurl?pr=" + secrets.token_urlsafe(6)
        self._notify_urls[otn] = str(body["notify_url"])
        return self._json({"code_url": self._code_urls[payment.out_trade_no]}, booked=True)

    # ---- refunds -----------------------------------------------------------------------------
    def _refund_json(self, r: FakeRefund) -> dict[str, Any]:
        payment = self.ledger.payment(out_trade_no=r.out_trade_no)
        total = payment.amount_fen if payment else r.amount_fen
        status = self._wx_status.get(r.out_refund_no, "SUCCESS")
        data: dict[str, Any] = {
            "refund_id": r.refund_no, "out_refund_no": r.out_refund_no, "transaction_id": r.trade_no,
            "out_trade_no": r.out_trade_no, "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
            "create_time": _rfc3339(r.created_at), "status": status, "funds_account": "AVAILABLE",
            "amount": {
                "total": total, "refund": r.amount_fen, "from": [], "payer_total": total, "payer_refund": r.amount_fen,
                "settlement_refund": r.amount_fen, "settlement_total": total, "discount_refund": 0,
                "currency": "CNY", "refund_fee": 0,
            },
            "promotion_detail": [],
        }
        if status == "SUCCESS":
            data["success_time"] = _rfc3339(r.created_at)
        return data

    def _refund(self, body: dict[str, Any]) -> FakeResponse:
        orn = body.get("out_refund_no")
        amount = _obj(body.get("amount"))
        refund, total = amount.get("refund"), amount.get("total")
        if not isinstance(orn, str) or not _OUT_NO.match(orn):
            return self._error(400, "PARAM_ERROR", "out_refund_no 格式错误")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (refund, total)):
            return self._error(400, "PARAM_ERROR", "amount.refund 与 amount.total 必须是整数（分）")
        assert isinstance(refund, int) and isinstance(total, int)
        if refund <= 0 or amount.get("currency", "CNY") != "CNY":
            return self._error(400, "PARAM_ERROR", "退款金额必须大于 0，币种只能是 CNY")
        tid, otn = body.get("transaction_id"), body.get("out_trade_no")
        if not tid and not otn:
            return self._error(400, "PARAM_ERROR", "transaction_id 与 out_trade_no 必须二选一")
        payment = self.ledger.payment(trade_no=str(tid)) if tid else self.ledger.payment(out_trade_no=str(otn))
        self.ledger.refund_calls += 1
        existing = self.ledger.refund_by_key(orn)
        if existing is not None:
            self.ledger.duplicate_refund_calls += 1
            if existing.amount_fen != refund or payment is None or existing.out_trade_no != payment.out_trade_no:
                # VERIFY: exact code for "same out_refund_no, different parameters".
                return self._error(400, "INVALID_REQUEST", "同一退款单号的退款参数与之前的请求不一致")
            return self._json(self._refund_json(existing))
        if payment is None or payment.status != "paid":
            return self._error(404, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
        if total != payment.amount_fen:
            return self._error(400, "PARAM_ERROR", "订单金额 amount.total 与原订单不一致")
        if refund > payment.amount_fen - payment.refunded_fen:
            return self._error(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        if len(self.ledger.refunds_for(payment.out_trade_no)) >= 50:
            return self._error(400, "INVALID_REQUEST", "部分退款次数超过 50 次")
        if self.chaos.balance_not_enough:
            return self._error(403, "NOT_ENOUGH", "基本账户余额不足，请充值后重新发起")
        status = "PROCESSING" if self.chaos.processing_first else "SUCCESS"
        booked = FakeRefund(self._new_refund_id(), orn, payment.out_trade_no, payment.trade_no, refund,
                            status=_LEDGER_STATUS[status])
        self.ledger.refunds.append(booked)
        self._wx_status[orn] = status
        payment.refunded_fen += refund
        if body.get("notify_url"):
            self._notify_urls[orn] = str(body["notify_url"])
        return self._json(self._refund_json(booked), booked=True)

    def _query_refund(self, orn: str) -> FakeResponse:
        r = self.ledger.refund_by_key(orn)
        if r is None:
            return self._error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        r.queries += 1
        resp = self._json(self._refund_json(r))
        if self._wx_status.get(orn) == "PROCESSING" and r.queries >= self.processing_queries:
            self._finish_refund(r, self.processing_outcome)
        return resp

    def _finish_refund(self, r: FakeRefund, outcome: str) -> None:
        self._wx_status[r.out_refund_no] = outcome
        r.status = _LEDGER_STATUS[outcome]
        if outcome == "CLOSED":
            payment = self.ledger.payment(out_trade_no=r.out_trade_no)
            if payment is not None:
                payment.refunded_fen -= r.amount_fen

    # ---- bills -------------------------------------------------------------------------------
    def _tradebill(self, req: FakeRequest) -> FakeResponse:
        try:
            day = date.fromisoformat(req.query.get("bill_date", ""))
        except ValueError:
            return self._error(400, "PARAM_ERROR", "bill_date 格式应为 YYYY-MM-DD")
        bill_type = req.query.get("bill_type", "ALL")
        if bill_type not in ("ALL", "SUCCESS", "REFUND"):
            return self._error(400, "PARAM_ERROR", "bill_type 无效")
        rows = self._bill_rows(day, bill_type)
        if not rows:
            return self._error(400, "NO_STATEMENT_EXIST", "账单文件不存在")  # VERIFY status
        content = self.bill_content(rows)
        if req.query.get("tar_type") == "GZIP":
            content = gzip.compress(content, mtime=0)
        token = secrets.token_urlsafe(16)
        self._bills[token] = content
        return self._json({
            "hash_type": "SHA1", "hash_value": hashlib.sha1(content).hexdigest(),
            "download_url": f"{self.url}v3/billdownload/file?token={token}",
        })

    def _bill_file(self, req: FakeRequest) -> FakeResponse:
        content = self._bills.get(req.query.get("token", ""))
        if content is None:
            return self._signed(self._error(400, "INVALID_REQUEST", "下载令牌无效或已过期"))
        return FakeResponse(200, content, {"Content-Type": "application/octet-stream"})

    def _bill_rows(self, day: date, bill_type: str) -> list[list[str]]:
        def on_day(ts: float | None) -> bool:
            return ts is not None and datetime.fromtimestamp(ts, CST).date() == day

        def stamp(ts: float) -> str:
            return datetime.fromtimestamp(ts, CST).strftime("%Y-%m-%d %H:%M:%S")

        rows: list[list[str]] = []
        if bill_type in ("ALL", "SUCCESS"):
            for p in self.ledger.payments.values():
                if p.paid_at is not None and on_day(p.paid_at):
                    total = format_yuan(p.amount_fen)
                    rows.append([stamp(p.paid_at), self.appid, self.mchid, "0", "", p.trade_no, p.out_trade_no,
                                 "oUser", "NATIVE", "SUCCESS", "OTHERS", "CNY", total, "0.00", "0", "0", "0.00",
                                 "0.00", "", "", p.subject, "", "0.00000", "0.60%", total, "0.00", ""])
        if bill_type in ("ALL", "REFUND"):
            for r in self.ledger.refunds:
                if not on_day(r.created_at):
                    continue
                order = self.ledger.payment(out_trade_no=r.out_trade_no)
                total = format_yuan(order.amount_fen if order else r.amount_fen)
                wx = self._wx_status.get(r.out_refund_no, "SUCCESS")
                refund = format_yuan(r.amount_fen)
                rows.append([stamp(r.created_at), self.appid, self.mchid, "0", "", r.trade_no, r.out_trade_no,
                             "oUser", "NATIVE", "REFUND", "OTHERS", "CNY", "0.00", "0.00", r.refund_no,
                             r.out_refund_no, refund, "0.00", "ORIGINAL", wx, order.subject if order else "", "",
                             "0.00000", "0.60%", total, refund, ""])
        return rows

    @staticmethod
    def bill_content(rows: list[list[str]]) -> bytes:
        """The bill text: header, back-tick-prefixed data rows, then the summary block (VERIFY)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(_BILL_HEADER)
        for row in rows:
            writer.writerow("`" + cell for cell in row)
        writer.writerow(["总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"])
        writer.writerow(["`" + str(len(rows)), "`0.00", "`0.00", "`0.00", "`0.00000", "`0.00", "`0.00"])
        return out.getvalue().encode("utf-8")

    # ---- notifications -----------------------------------------------------------------------
    def build_notification(
        self, event_type: str, resource: dict[str, Any], *, bad_signature: bool = False
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of a notification as WeChat would POST it."""
        original_type = "refund" if event_type.startswith("REFUND.") else "transaction"
        nonce = secrets.token_hex(6)  # 12 characters
        plain = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        cipher = AESGCM(self.apiv3_key.encode()).encrypt(nonce.encode(), plain, original_type.encode())
        envelope = {
            "id": str(uuid.uuid4()), "create_time": _rfc3339(time.time()), "resource_type": "encrypt-resource",
            "event_type": event_type, "summary": "退款状态变更" if original_type == "refund" else "支付成功",
            "resource": {
                "original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(cipher).decode(), "associated_data": original_type, "nonce": nonce,
            },
        }
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", **self.signature_headers(body, bad=bad_signature)}
        return headers, body

    def payment_notification(self, out_trade_no: str, **kw: Any) -> tuple[dict[str, str], bytes]:
        with self.lock:
            return self.build_notification("TRANSACTION.SUCCESS", self._transaction(self.ledger.payments[out_trade_no]), **kw)

    def refund_notification(self, out_refund_no: str, **kw: Any) -> tuple[dict[str, str], bytes]:
        with self.lock:
            r = self.ledger.refund_by_key(out_refund_no)
            assert r is not None, out_refund_no
            data = self._refund_json(r)
            resource = {
                "mchid": self.mchid, "out_trade_no": r.out_trade_no, "transaction_id": r.trade_no,
                "out_refund_no": r.out_refund_no, "refund_id": r.refund_no, "refund_status": data["status"],
                "success_time": data.get("success_time", ""), "user_received_account": data["user_received_account"],
                "amount": {k: data["amount"][k] for k in ("total", "refund", "payer_total", "payer_refund")},
            }
        return self.build_notification(f"REFUND.{data['status']}", resource, **kw)

    def send_notification(self, url: str, headers: dict[str, str], body: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
        """POST a notification to the merchant; returns the merchant's status and body."""
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return int(exc.code), bytes(exc.read())

    def notify_payment(self, url: str | None, out_trade_no: str, **kw: Any) -> tuple[int, bytes]:
        headers, body = self.payment_notification(out_trade_no, **kw)
        return self.send_notification(url or self._notify_urls[out_trade_no], headers, body)

    def notify_refund(self, url: str | None, out_refund_no: str, **kw: Any) -> tuple[int, bytes]:
        headers, body = self.refund_notification(out_refund_no, **kw)
        return self.send_notification(url or self._notify_urls[out_refund_no], headers, body)
