"""V2 routes of the fake: ``api/pay/*`` and ``api/merchant/*`` (RSA, ``ApiHelper::load_api``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..base import FakeRefund, FakeRequest, FakeResponse
from .checkout import EpayCheckout
from .php import (
    _V2_ROUTE_RE,
    _intval,
    _is_numeric,
    _PhpError,
    _yuan,
)


class EpayV2Routes(EpayCheckout):
    """The signed V2 API, as ``includes/lib/api/Pay.php`` and ``ApiHelper`` answer it."""

    def _load_api(self, s: str, req: FakeRequest) -> FakeResponse:
        """ApiHelper::load_api."""
        match = _V2_ROUTE_RE.match(s)
        if not match:
            return self._echojsonmsg("URL Error!", -5)
        cls, func = match.group(1).lower(), match.group(2).lower()  # PHP class/method names ignore case
        post = self._post(req)
        if (cls, func) == ("pay", "submit"):
            return self._submit(req, api_init=True, route=None if "s" in req.query else s)
        if (cls, func) == ("pay", "create"):
            return self._create(post, v2=True)
        name = self._V2_ROUTES.get((cls, func))
        if name is None:
            return self._echojsonmsg("接口方法不存在", -5)
        handler: Callable[[dict[str, str]], tuple[dict[str, Any], bool]] = getattr(self, name)
        try:
            self._v2_verify(post)
            result, booked = handler(post)
        except _PhpError as exc:
            return self._echojsonmsg(exc.msg, exc.code or -1)
        if result.get("code") == 0 or self.sign_business_errors:
            result = self._signed(result)
        return self._json(result, unicode=True, booked=booked)

    def _v2_verify(self, post: Mapping[str, str]) -> None:
        """ApiHelper::verify."""
        if "pid" not in post:
            raise _PhpError("未传入任何参数", -4)
        pid = _intval(post["pid"])
        if not pid:
            raise _PhpError("商户ID不能为空")
        if pid != _intval(self.pid):
            raise _PhpError("商户不存在！")
        try:
            self._api_verify(post, api_init=True)
        except _PhpError as exc:
            raise _PhpError(exc.msg, -3) from exc

    def _pay_query(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        pid = _intval(post.get("pid"))
        if post.get("trade_no"):
            p = self._find(pid, trade_no=post["trade_no"])
        elif post.get("out_trade_no"):
            p = self._find(pid, out_trade_no=post["out_trade_no"])
        else:
            raise _PhpError("订单号不能为空")
        if p is None:
            raise _PhpError("订单号不存在")
        return self._filter_empty({"code": 0, **self._row(p, v2=True)}), False

    def _pay_refund(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        self.ledger.refund_calls += 1
        pid = _intval(post.get("pid"))
        if not self.user_refund:
            raise _PhpError("管理员未开启商户后台自助退款")
        if not self.merchant_refund:
            raise _PhpError("商户未开启订单退款API接口")
        money = post.get("money", "").strip(" \t\n\r\0\x0b")
        if _is_numeric(money) is None:
            raise _PhpError("金额输入错误")
        if post.get("trade_no"):
            trade_no = post["trade_no"]
        elif post.get("out_trade_no"):
            p = self._find(pid, out_trade_no=post["out_trade_no"])
            if p is None:
                raise _PhpError("当前订单不存在！")
            trade_no = p.trade_no
        else:
            raise _PhpError("订单号不能为空")
        refund_no = self.new_trade_no()
        out_refund_no: str | None = None
        given = post.get("out_refund_no", "")
        if given and len(given.encode("utf-8")) > 5:  # strlen() > 5: shorter keys are ignored
            out_refund_no = given
            existing = self.ledger.refund_by_key(given)
            if existing is not None and existing.status == "succeeded":
                self.ledger.duplicate_refund_calls += 1
                return (
                    {
                        "code": 0,
                        "refund_no": existing.refund_no,
                        "out_refund_no": existing.out_refund_no,
                        "trade_no": existing.trade_no,
                        "uid": self.pid,
                        "money": _yuan(existing.amount_fen),
                        "reducemoney": self.refund_reduce.get(existing.refund_no, _yuan(existing.amount_fen)),
                        "msg": "已存在相同退款单号！退款金额￥" + _yuan(existing.amount_fen),
                    },
                    False,
                )
            if existing is not None:  # a status-0 record: its refund_no is re-used
                refund_no = existing.refund_no
        result, booked = self._order_refund(refund_no, trade_no, money, pid, out_refund_no=out_refund_no, v2=True)
        if result["code"] == 0:
            result["msg"] = "退款成功！退款金额￥" + result["money"]
        return result, booked

    def _pay_refundquery(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        if not self.user_refund:
            raise _PhpError("管理员未开启商户后台自助退款")
        found: FakeRefund | None = None
        if post.get("refund_no"):
            found = next((r for r in self.ledger.refunds if r.refund_no == post["refund_no"]), None)
        elif post.get("out_refund_no"):
            key = post["out_refund_no"]
            found = next(
                (r for r in self.ledger.refunds if r.out_refund_no == key or (not r.out_refund_no and r.refund_no == key)),
                None,
            )
        else:
            raise _PhpError("商户退款单号不能为空")
        if found is None:
            raise _PhpError("退款记录不存在")
        found.queries += 1
        when = self._fmt_time(found.created_at)
        return (
            {
                "code": 0,
                "refund_no": found.refund_no,
                "out_refund_no": found.out_refund_no or found.refund_no,
                "trade_no": found.trade_no,
                "out_trade_no": found.out_trade_no,
                "uid": self.pid,
                "money": _yuan(found.amount_fen),
                "reducemoney": self.refund_reduce.get(found.refund_no, _yuan(found.amount_fen)),
                "status": "1" if found.status == "succeeded" else "0",
                "addtime": when,
                "endtime": when,
            },
            False,
        )

    def _merchant_info(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        return (
            {
                "code": 0,
                "pid": self.pid,
                "status": "1",
                "pay_status": "1",
                "settle_status": "1",
                "money": _yuan(self.merchant_money_fen),
                "settle_type": "1",
                "settle_account": "merchant@example.com",
                "settle_name": "测试商户",
                "order_num": str(len(self.ledger.payments)),
                "order_num_today": "0",
                "order_num_lastday": "0",
                "order_money_today": "0.00",
                "order_money_lastday": "0.00",
            },
            False,
        )

    def _merchant_orders(self, post: dict[str, str]) -> tuple[dict[str, Any], bool]:
        limit = min(_intval(post["limit"]) if "limit" in post else 10, 50)
        offset = _intval(post.get("offset", "0"))
        payments = sorted(self.ledger.payments.values(), key=lambda p: p.trade_no, reverse=True)
        if post.get("status", "") != "":
            wanted = str(_intval(post["status"]))
            payments = [p for p in payments if self._status(p) == wanted]
        rows = [self._filter_empty(self._row(p, v2=True)) for p in payments[offset : offset + max(limit, 0)]]
        return {"code": 0, "data": rows}, False
