"""Alipay OpenAPI adapter: the v1 gateway (``gateway.do``) with RSA2 signatures.

Protocol facts follow Alipay's OpenAPI documentation and official SDK; the points below are the ones
the refund queue's safety depends on.

Requests (§2.1-2.3)
  * POST to the gateway URL. The common parameters (``app_id``, ``method``, ``format``,
    ``charset``, ``sign_type``, ``timestamp``, ``version``, ``notify_url`` and ``sign``) travel in
    the URL query string and ``biz_content`` in the form body, as the official SDK does.
  * ``sign`` = base64(SHA256withRSA PKCS#1 v1.5 over the canonical string), where the canonical
    string is every parameter except ``sign`` (``sign_type`` included, empty values dropped),
    sorted by key, joined ``k=v`` with ``&``, values raw. ``biz_content`` is compact JSON with
    UTF-8 left unescaped and is sent exactly as signed.
  * ``timestamp`` is Beijing time, ``yyyy-MM-dd HH:mm:ss``.

Responses (§2.4, §2.5)
  * ``{"<method with . -> _>_response": {...}, "sign": "..."}`` (or ``error_response``). The
    signature is verified over the exact raw text of the ``..._response`` value as received, never
    over a re-serialisation. A reply with no ``sign`` or a ``sign`` that does not verify raises
    ``GatewayError(SECURITY)`` whatever it claims, including gateway errors: Alipay is known to
    send ``isv.invalid-app-id`` unsigned, so ``test_connection`` turns such a reply into a precise
    configuration report, but the money paths never act on an unsigned word.
  * Error mapping: connection refused / DNS -> RETRYABLE (``sent=False``); timeouts, dropped
    connections, non-200 statuses, truncated or non-JSON bodies -> UNKNOWN_OUTCOME; code 20000,
    ``ACQ.SYSTEM_ERROR`` and ``ACQ.DISCORDANT_REPEAT_REQUEST`` -> UNKNOWN_OUTCOME (query first);
    20001 / 40001 / 40002 / 40006 -> MISCONFIGURED; known refund business codes ->
    ``RefundResult(FAILED)`` with a Chinese and an English explanation.

Refunds (§2.7, §2.8)
  * ``out_request_no`` is always our ``refund_no``, so a partial refund is allowed and a re-send
    with the same number and amount is idempotent (Alipay answers ``fund_change=N`` and books
    nothing).
  * ``fund_change`` ``"Y"``, ``"N"`` or absent: confirmed with ``alipay.trade.fastpay.refund.query``
    before answering; until the query shows REFUND_SUCCESS the refund is PROCESSING.
  * ``fastpay.refund.query``: ``refund_status == "REFUND_SUCCESS"`` -> SUCCEEDED; code 10000
    without ``refund_status`` -> NOT_FOUND (Alipay: the refund was not received or failed; re-send
    with the same number and amount). A refund reply, even ``fund_change=Y``, is confirmed with
    this query, whose answer names the refund no, the trade and this refund's amount for the
    refund queue to compare.

Configuration: ``base_url`` is the full gateway URL, e.g. ``https://openapi.alipay.com/gateway.do``
(the default). A URL that does not end in ``.do`` is taken as the gateway's base and
``gateway.do`` is appended, so ``http://127.0.0.1:8765`` works for the local fake. Keys may be
PEM (PKCS#1 ``RSA PRIVATE KEY`` or PKCS#8 ``PRIVATE KEY``) or the bare base64 that Alipay's key
tool prints; the Alipay public key may be SPKI PEM, bare base64 or a certificate.

No vendor SDK is used at run time: httpx for HTTP, ``cryptography`` for RSA.

The package: ``keys`` (keys, RSA2 signatures, canonical strings), ``response`` (the raw reply
text a signature covers), ``codes`` (code tables, protocol constants, loose values), ``bills``
(the daily trade bill), ``client`` (signed calls and reply mapping) and ``adapter``.
"""

from __future__ import annotations

from .adapter import AlipayAdapter
from .bills import parse_trade_bill
from .codes import (
    BEIJING,
    PRODUCTION_GATEWAY,
    REFUND_FAILURES,
    SANDBOX_GATEWAY,
    TIMESTAMP_FORMAT,
    gateway_url_from,
)
from .keys import (
    canonical_request_string,
    load_private_key,
    load_public_key,
    notification_sign_content,
    rsa2_sign,
    rsa2_verify,
)
from .response import signed_response_content

__all__ = [
    "BEIJING",
    "PRODUCTION_GATEWAY",
    "REFUND_FAILURES",
    "SANDBOX_GATEWAY",
    "TIMESTAMP_FORMAT",
    "AlipayAdapter",
    "canonical_request_string",
    "gateway_url_from",
    "load_private_key",
    "load_public_key",
    "notification_sign_content",
    "parse_trade_bill",
    "rsa2_sign",
    "rsa2_verify",
    "signed_response_content",
]
