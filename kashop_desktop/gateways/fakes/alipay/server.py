"""The fake Alipay gateway server: ``/gateway.do`` and the bill download behind one dispatcher."""

from __future__ import annotations

import json

from ..base import FakeRequest, FakeResponse
from .methods import AlipayMethods
from .notify import AlipayNotify
from .wire import (
    _BILL_PATH,
    _GATEWAY_PATH,
    _TIMESTAMP_RE,
)


class FakeAlipayServer(AlipayMethods, AlipayNotify):
    """Alipay's gateway on loopback, with its own app and Alipay RSA-2048 key pairs."""

    kind = "alipay"

    # ---- dispatch ---------------------------------------------------------------------------------
    def handle(self, req: FakeRequest) -> FakeResponse:
        if req.path == _GATEWAY_PATH:
            return self._gateway(req)
        if req.path == _BILL_PATH:
            return self._download_bill(req)
        return FakeResponse.text("404 Not Found", 404)

    def _gateway(self, req: FakeRequest) -> FakeResponse:
        params = req.params()
        method = params.get("method", "")
        handlers = {
            "alipay.trade.query": self._trade_query,
            "alipay.trade.refund": self._trade_refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
            "alipay.trade.precreate": self._precreate,
            "alipay.trade.close": self._trade_close,
            "alipay.data.dataservice.bill.downloadurl.query": self._bill_url,
        }
        key = method.replace(".", "_") + "_response" if method in handlers else "error_response"
        refusal = self._gateway_refusal(params, method, key, known=method in handlers)
        if refusal is not None:
            return refusal
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

    def _gateway_refusal(self, params: dict[str, str], method: str, key: str, *, known: bool) -> FakeResponse | None:
        """The gateway's own checks, in Alipay's order; the error envelope, or None when all pass."""
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
        if not known:
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
        return None
