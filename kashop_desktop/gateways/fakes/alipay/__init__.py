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

The package: ``wire`` (constants and value helpers), ``core`` (keys, signing, envelopes),
``methods`` (the OpenAPI methods), ``bills`` (the trade bill zip), ``notify`` and ``server``.
"""

from __future__ import annotations

from .server import FakeAlipayServer

__all__ = ["FakeAlipayServer"]
