"""The fake's APIv3 payment and refund routes (query, close, Native, refunds and their query)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from ..base import FakePayment, FakeRefund, FakeRequest, FakeResponse
from .core import WechatFakeCore
from .keys import (
    _LEDGER_STATUS,
    _OUT_NO,
    _obj,
    _rfc3339,
)


class WechatRoutes(WechatFakeCore):
    """``/v3/pay/transactions/*`` and ``/v3/refund/domestic/refunds*``."""

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
        # One ledger per merchant: several desks (data folders) sharing this fake get whatever
        # refund holds the number, whichever desk made it, as WeChat Pay answers by out_refund_no.
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
