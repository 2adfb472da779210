"""The fake's notifications: AES-256-GCM resources under the APIv3 key, signed, POSTed to the shop."""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import (
    _rfc3339,
)
from .routes import WechatRoutes


class WechatNotify(WechatRoutes):
    """Builds, encrypts, signs and sends payment and refund notifications."""

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
