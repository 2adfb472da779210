"""The fake WeChat Pay server: authentication, then the routes, bills and notify behind one dispatcher."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from ..base import FakeRequest, FakeResponse
from .bills import WechatBills
from .notify import WechatNotify


class FakeWechatPayServer(WechatBills, WechatNotify):
    """WeChat Pay APIv3 on loopback; see the package docstring for what is faithful."""

    kind = "wechatpay_v3"

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
