"""Checkout and notify of the fake: ``submit.php``, ``mapi.php``, ``api/pay/create``, notifications."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from ..base import FakePayment, FakeRequest, FakeResponse
from .core import EpayFakeCore
from .php import (
    _JSON_HEADERS,
    _OUT_TRADE_NO_RE,
    NotifyResult,
    _intval,
    _is_numeric,
    _md5,
    _OrderInfo,
    _PhpError,
    _rsa_sign,
    _yuan,
    php_float_money,
    php_urlencode,
)


class EpayCheckout(EpayFakeCore):
    """Order creation (V1 and V2) and the asynchronous notify sent to the shop."""

    # ---- payment creation ----------------------------------------------------------------------
    def _mapi(self, req: FakeRequest) -> FakeResponse:
        post = self._post(req)
        if "pid" not in post:
            body = '{"code":-4, "msg":"未传入任何参数"}'.encode()
            return FakeResponse(200, body, dict(_JSON_HEADERS))
        return self._create(post, v2=False)

    def _create(self, post: dict[str, str], *, v2: bool) -> FakeResponse:
        """Pay::create for mapi.php (V1, code 1, unsigned) and api/pay/create (V2, code 0, signed)."""
        refused = self._create_refusal(post, v2=v2)
        if refused is not None:
            return refused
        g = post.get
        method = g("method", "") if v2 else ""
        amount = _is_numeric(g("money", ""))
        assert amount is not None  # checked by _create_refusal
        name = g("name", "").encode("utf-8")[:127].decode("utf-8", errors="ignore")
        fen = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        payment = self._book_order(post, name, fen, v2=v2)
        if isinstance(payment, FakeResponse):
            return payment
        trade_no = payment.trade_no
        pay_type_out, pay_info = self._pay_info(payment, method, g("type", ""), fen)
        if v2:
            result = self._signed({"code": 0, "trade_no": trade_no, "pay_type": pay_type_out, "pay_info": pay_info})
            return self._json(result, unicode=False)
        field_name = {"jump": "payurl", "qrcode": "qrcode", "scan": "payurl"}[pay_type_out]
        return self._json({"code": 1, "trade_no": trade_no, field_name: pay_info}, unicode=False)

    def _create_refusal(self, post: dict[str, str], *, v2: bool) -> FakeResponse | None:
        """The error Pay::create answers for this request (merchant, signature, fields), or None."""
        if "pid" not in post:
            return self._echojsonmsg("未传入任何参数", -4)
        pid = _intval(post["pid"])
        if not pid:
            return self._echojsonmsg("商户ID不能为空")
        if pid != _intval(self.pid):
            return self._echojsonmsg("商户不存在！")
        try:
            self._api_verify(post, api_init=v2)
        except _PhpError as exc:
            return self._echojsonmsg(exc.msg, -3)
        g = post.get
        method = g("method", "") if v2 else ""
        pay_type, out_trade_no, notify_url = g("type", ""), g("out_trade_no", ""), g("notify_url", "")
        name, money, clientip = g("name", ""), g("money", ""), g("clientip", "")
        checks = [
            (not out_trade_no, "订单号(out_trade_no)不能为空"),
            (not notify_url, "通知地址(notify_url)不能为空"),
            (not name, "商品名称(name)不能为空"),
            (not money, "金额(money)不能为空"),
            (not pay_type and method != "scan", "支付方式(type)不能为空"),
            (not clientip, "用户IP地址(clientip)不能为空"),
        ]
        for failed, msg in checks:
            if failed:
                return self._echojsonmsg(msg)
        amount = _is_numeric(money)
        if amount is None or amount <= 0:
            return self._echojsonmsg("金额不合法")
        if not _OUT_TRADE_NO_RE.match(out_trade_no):
            return self._echojsonmsg("订单号(out_trade_no)格式不正确")
        if method == "scan" and not g("auth_code"):
            return self._echojsonmsg("付款码支付时授权码(auth_code)不能为空")
        return None

    def _book_order(self, post: dict[str, str], name: str, fen: int, *, v2: bool) -> FakePayment | FakeResponse:
        """The pending order for ``out_trade_no``: a new one, or the same unpaid one again."""
        g = post.get
        out_trade_no, notify_url = g("out_trade_no", ""), g("notify_url", "")
        existing = self.ledger.payments.get(out_trade_no)
        if existing is not None:
            info = self._info(existing)
            if self._status(existing) != "0":
                return self._echojsonmsg(f"该订单({out_trade_no})已完成支付，请勿重复发起支付")
            if (
                existing.amount_fen != fen
                or existing.subject != name
                or info.notify_url != notify_url
                or info.return_url != g("return_url", "")
                or info.param != g("param", "")
            ):
                return self._echojsonmsg(f"该订单({out_trade_no})支付参数有变化，请更换订单号重新发起支付")
            return existing
        payment = FakePayment(out_trade_no, self.new_trade_no(), fen, "pending", name)
        self.ledger.payments[out_trade_no] = payment
        self.orders[out_trade_no] = _OrderInfo(
            type=g("type", "") or "alipay",
            notify_url=notify_url,
            return_url=g("return_url", ""),
            param=g("param", ""),
            clientip=g("clientip", ""),
            version=1 if v2 else 0,
        )
        return payment

    def _pay_info(self, payment: FakePayment, method: str, pay_type: str, fen: int) -> tuple[str, str]:
        """(pay_type, pay_info) of a created order: 付款码 paid at once, a jump page or a QR link."""
        trade_no = payment.trade_no
        if method == "scan":  # 付款码: the buyer's code is charged at once
            self.mark_paid(payment.out_trade_no)
            info = self._info(payment)
            return "scan", json.dumps(
                {"type": info.type, "trade_no": trade_no, "api_trade_no": info.api_trade_no, "money": _yuan(fen)},
                separators=(",", ":"),
            )
        if method == "jump" or not pay_type:
            return "jump", f"{self.url}pay/submit/{trade_no}/"
        if pay_type == "wxpay":
            return "qrcode", f"weixin://wxpay/bizpayurl?pr=fake{trade_no}"
        return "qrcode", f"https://qr.alipay.com/fake{trade_no}"

    def _submit(self, req: FakeRequest, *, api_init: bool = False, route: str | None = None) -> FakeResponse:
        """submit.php (minimal): verify, create the order, answer the jump page."""
        form = self._post(req)
        if "pid" in req.query:
            params = dict(req.query)
        elif "pid" in form:
            params = form
        else:
            return FakeResponse.text("你还未配置支付接口商户！")
        if route is not None and "pid" in req.query:
            params["s"] = route  # the rewrite puts s=pay/submit into $_GET, and $_GET is signed
        pid = _intval(params["pid"])
        if not pid:
            return self._sysmsg("商户ID不能为空")
        if pid != _intval(self.pid):
            return self._sysmsg("商户不存在！")
        params.pop("__defend", None)
        try:
            self._api_verify(params, api_init=api_init)
        except _PhpError as exc:
            return self._sysmsg(exc.msg)
        for key, msg in (
            ("out_trade_no", "订单号(out_trade_no)不能为空"),
            ("notify_url", "通知地址(notify_url)不能为空"),
            ("return_url", "回调地址(return_url)不能为空"),
            ("name", "商品名称(name)不能为空"),
            ("money", "金额(money)不能为空"),
        ):
            if not params.get(key):
                return self._sysmsg(msg)
        amount = _is_numeric(params["money"])
        if amount is None or amount <= 0:
            return self._sysmsg("金额不合法")
        if not _OUT_TRADE_NO_RE.match(params["out_trade_no"]):
            return self._sysmsg("订单号(out_trade_no)格式不正确")
        out_trade_no = params["out_trade_no"]
        existing = self.ledger.payments.get(out_trade_no)
        if existing is not None and self._status(existing) != "0":
            return self._sysmsg(f"该订单({out_trade_no})已完成支付，请勿重复发起支付")
        if existing is None:
            fen = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            existing = FakePayment(out_trade_no, self.new_trade_no(), fen, "pending", params["name"])
            self.ledger.payments[out_trade_no] = existing
            self.orders[out_trade_no] = _OrderInfo(
                type=params.get("type", "") or "alipay",
                notify_url=params["notify_url"],
                return_url=params["return_url"],
                param=params.get("param", ""),
                version=1 if api_init else 0,
            )
        target = f"./cashier.php?trade_no={existing.trade_no}"
        html = f"<script>window.location.replace('{target}');</script>"
        return FakeResponse(200, html.encode("utf-8"), {"Content-Type": "text/html; charset=UTF-8"})

    # ---- notifications -------------------------------------------------------------------------
    def notify_params(
        self, out_trade_no: str, *, rsa_sign: bool | None = None, bad_signature: bool = False
    ) -> list[tuple[str, str]]:
        """creat_callback: the ordered notify parameters of a paid order (V1 MD5 or V2 RSA)."""
        with self.lock:
            p = self.ledger.payments[out_trade_no]
            info = self._info(p)
            v2 = info.version == 1 if rsa_sign is None else rsa_sign
            arr: dict[str, str] = {
                "pid": self.pid,
                "trade_no": p.trade_no,
                "out_trade_no": p.out_trade_no,
                "type": self._type(info),
                "name": p.subject,
                "money": php_float_money(p.amount_fen),  # (float) of decimal(10,2)
                "trade_status": "TRADE_SUCCESS",
            }
            if v2:
                if info.api_trade_no:
                    arr["api_trade_no"] = info.api_trade_no
                if info.buyer:
                    arr["buyer"] = info.buyer
            if info.param:
                arr["param"] = info.param
            if v2:
                arr["addtime"] = self._fmt_time(p.created_at) or ""
                if p.paid_at:
                    arr["endtime"] = self._fmt_time(p.paid_at) or ""
                arr["timestamp"] = str(int(self.now()))
                arr["sign_type"] = "RSA"
                arr["sign"] = _rsa_sign(arr, self._rogue_key if bad_signature else self.platform_private_key)
            else:
                arr["sign"] = _md5(arr, self.key + ("x" if bad_signature else ""))
                arr["sign_type"] = "MD5"
            return list(arr.items())

    def notify_url_for(self, notify_url: str, params: Sequence[tuple[str, str]]) -> str:
        """notify_url + ('&' if it already has '?' else '?') + http_build_query(params)."""
        query = "&".join(f"{php_urlencode(k)}={php_urlencode(v)}" for k, v in params)
        return notify_url + ("&" if notify_url.find("?") > 0 else "?") + query

    def send_notify(
        self,
        out_trade_no: str,
        notify_url: str | None = None,
        *,
        rsa_sign: bool | None = None,
        bad_signature: bool = False,
        retry_delays: Sequence[float] = (),
        timeout: float = 5.0,
    ) -> NotifyResult:
        """do_notify: GET the notify URL; acked when the body contains success/SUCCESS/Success.

        ``retry_delays`` is the retry ladder (the real cron waits ~2 min, 16 min, 36 min, 1 h;
        tests compress it). Runs in the caller's thread; the receiver must be serving elsewhere.
        """
        url = notify_url or self.orders.get(out_trade_no, _OrderInfo()).notify_url
        if not url:
            raise ValueError("no notify_url for " + out_trade_no)
        full = self.notify_url_for(url, self.notify_params(out_trade_no, rsa_sign=rsa_sign, bad_signature=bad_signature))
        log: list[tuple[int, str]] = []
        status, body = 0, ""
        for attempt, delay in enumerate((0.0, *retry_delays), start=1):
            if delay:
                time.sleep(delay)
            status, body = self._http_get(full, timeout)
            log.append((status, body))
            acked = any(word in body for word in ("success", "SUCCESS", "Success"))
            with self.lock:
                self.notifications.append({"out_trade_no": out_trade_no, "url": full, "status": status, "acked": acked})
            if acked:
                return NotifyResult(full, True, attempt, status, body, log)
        return NotifyResult(full, False, len(log), status, body, log)

    @staticmethod
    def _http_get(url: str, timeout: float) -> tuple[int, str]:
        try:
            with urlopen(Request(url, method="GET", headers={"User-Agent": "Mozilla/5.0"}), timeout=timeout) as resp:
                return int(resp.status), resp.read().decode("utf-8", errors="replace")
        except HTTPError as exc:
            try:
                return int(exc.code), exc.read().decode("utf-8", errors="replace")
            finally:
                exc.close()
        except (URLError, OSError):
            return 0, ""
