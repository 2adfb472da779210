"""V1 routes of the fake: ``api.php?act=query|order|orders|settle|refund`` (key in clear)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from ..base import FakeRequest, FakeResponse
from .core import EpayFakeCore
from .php import (
    _CN,
    _intval,
    _is_numeric,
    _yuan,
)


class EpayV1Routes(EpayFakeCore):
    """``api.php`` acts, as ``api.php`` of the server source answers them."""

    # ---- V1 api.php --------------------------------------------------------------------------
    def _v1_api(self, req: FakeRequest) -> FakeResponse:
        """``api.php?act=…``: one method per act, ``No Act!`` for any other."""
        act = req.query.get("act")
        if act == "refund":
            return self._v1_refund(req)
        handler = {"query": self._act_query, "settle": self._act_settle, "order": self._act_order,
                   "orders": self._act_orders}.get(act or "")
        if handler is None:
            return self._json({"code": -5, "msg": "No Act!"}, unicode=False)
        return handler(req.query)

    def _act_query(self, get: Mapping[str, str]) -> FakeResponse:
        err = self._v1_auth(get.get("pid"), get.get("key", ""))
        if err:
            return err
        paid = [p for p in self.ledger.payments.values() if self._status(p) != "0"]
        today = datetime.fromtimestamp(self.now(), _CN).date()
        today_n = sum(1 for p in paid if p.paid_at and datetime.fromtimestamp(p.paid_at, _CN).date() == today)
        return self._json(
            {
                "code": 1,
                "pid": _intval(get.get("pid")),  # intval() in PHP: a JSON int here
                "key": get.get("key", ""),
                "active": "1",
                "money": _yuan(self.merchant_money_fen),
                "type": "1",
                "account": "merchant@example.com",
                "username": "kashop",
                "orders": str(len(self.ledger.payments)),
                "orders_today": str(today_n),
                "orders_lastday": "0",
            },
            unicode=False,
        )

    def _act_settle(self, get: Mapping[str, str]) -> FakeResponse:
        err = self._v1_auth(get.get("pid"), get.get("key", ""))
        if err:
            return err
        limit = min(_intval(get.get("limit", "10")), 50)
        offset = _intval(get.get("offset", "0"))
        rows = self.settles[offset : offset + limit]
        return self._json({"code": 1, "msg": "查询结算记录成功！", "data": rows or None}, unicode=False)

    def _act_order(self, get: Mapping[str, str]) -> FakeResponse:
        if "sign" in get and "trade_no" in get:
            trade_no = get["trade_no"]
            if not get["sign"] or hashlib.md5((self.sys_key + trade_no + self.sys_key).encode()).hexdigest() != get["sign"]:
                return self._json({"code": -3, "msg": "verify sign failed"}, unicode=False)
            p = self.ledger.payment(trade_no=trade_no)
        else:
            err = self._v1_auth(get.get("pid"), get.get("key", ""))
            if err:
                return err
            if get.get("trade_no"):
                p = self._find(_intval(get.get("pid")), trade_no=get["trade_no"])
            elif get.get("out_trade_no"):
                p = self._find(_intval(get.get("pid")), out_trade_no=get["out_trade_no"])
            else:
                return self._json({"code": -4, "msg": "订单号不能为空"}, unicode=False)
        if p is None:
            return self._json({"code": -1, "msg": "订单号不存在"}, unicode=False)
        row = self._row(p, v2=False)
        return self._json({"code": 1, "msg": "succ", **row, "payurl": None}, unicode=False)

    def _act_orders(self, get: Mapping[str, str]) -> FakeResponse:
        err = self._v1_auth(get.get("pid"), get.get("key", ""))
        if err:
            return err
        limit = min(_intval(get.get("limit", "10")) if "limit" in get else 10, 50)
        offset = _intval(get.get("offset", "0"))
        payments = sorted(self.ledger.payments.values(), key=lambda p: p.trade_no, reverse=True)
        if "status" in get:
            wanted = str(_intval(get["status"]))
            payments = [p for p in payments if self._status(p) == wanted]
        data = [self._row(p, v2=False) for p in payments[offset : offset + max(limit, 0)]]
        # PHP: $data stays undefined for an empty page -> count 0 (with a notice), data null.
        return self._json(
            {"code": 1, "msg": "查询订单记录成功！", "count": len(data), "data": data or None}, unicode=False
        )

    def _v1_refund(self, req: FakeRequest) -> FakeResponse:
        self.ledger.refund_calls += 1
        post = self._post(req)
        if not self.user_refund:
            return self._json({"code": -4, "msg": "未开启商户后台自助退款"}, unicode=False)
        err = self._v1_auth(post.get("pid"), post.get("key", ""))
        if err:
            return err
        if not self.merchant_refund:
            return self._json({"code": -2, "msg": "商户未开启订单退款API接口"}, unicode=False)
        money = post.get("money", "").strip(" \t\n\r\0\x0b")
        if _is_numeric(money) is None:
            return self._json({"code": -1, "msg": "金额输入错误"}, unicode=False)
        pid = _intval(post.get("pid"))
        if post.get("trade_no"):
            trade_no = post["trade_no"]
        elif post.get("out_trade_no"):
            p = self._find(pid, out_trade_no=post["out_trade_no"])
            if p is None:
                return self._json({"code": -1, "msg": "当前订单不存在！"}, unicode=False)
            trade_no = p.trade_no
        else:
            return self._json({"code": -4, "msg": "订单号不能为空"}, unicode=False)
        refund_no = self.new_trade_no()
        result, booked = self._order_refund(refund_no, trade_no, money, pid, out_refund_no=None, v2=False)
        if result["code"] == 0:
            result["msg"] = "退款成功！退款金额￥" + result["money"]
        return self._json(result, unicode=False, booked=booked)
