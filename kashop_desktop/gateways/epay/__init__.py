"""易支付 / 彩虹易支付 (epay) adapters: V1 (MD5, ``api.php``/``mapi.php``) and V2 (RSA, ``api/pay/*``).

Protocol facts follow the server source of 彩虹易支付 (``pwj2333/EasyPay``). The points that shape this package:

* Signature content (V1 and V2 alike): every parameter except ``sign``/``sign_type``, arrays and
  values that are ``null`` or empty after PHP ``trim``; sorted by key; ``k=v`` joined by ``&`` with
  raw (not URL-encoded) values. V1 appends the merchant key and takes the lowercase MD5 hex; V2
  signs with SHA256withRSA (PKCS#1 v1.5), base64. Replies are JSON-decoded and re-canonicalised;
  signatures are never computed over raw bytes.
* PHP returns numbers as strings ("1", "1.00"); ``code`` is an int. Everything numeric is parsed
  loosely (``as_int``, ``parse_money``) and money becomes integer fen, never float.
* V1 success is ``code == 1`` except ``act=refund`` where it is ``0`` (configurable through
  ``refund_success_codes`` because clones differ). V1 replies carry no signature at all.
* V2 success is ``code == 0``; only such replies are signed (by the platform key) and they are
  verified here together with their ``timestamp`` (±300 s) and merchant id; a ``code == 0`` reply
  that does not verify raises ``GatewayError(SECURITY)`` and is never taken as success.
* V1 has no refund idempotency key and no refund query: a V1 refund whose outcome is unknown must
  go to the owner, never be re-sent automatically. V2 honours ``out_refund_no`` (only when it is
  longer than 5 characters) and answers ``api/pay/refundquery``.

Error mapping (see base.py): a transport failure before the request could leave ->
RETRYABLE(sent=False); a timeout, broken connection, truncated or non-JSON body after sending ->
UNKNOWN_OUTCOME; HTTP 5xx -> RETRYABLE(sent=True) (except the V1 refund, see ``EpayV1Adapter.refund``);
``-3`` (auth/signature) -> MISCONFIGURED; business refusals of a refund -> ``RefundResult(FAILED)``
with the gateway's Chinese message and an English translation.

The package: ``signing`` (canonical string, MD5 and RSA signatures, keys), ``messages`` (the
gateway's Chinese messages in English, error helpers), ``parsing`` (loose parsing of PHP replies),
``adapter`` (HTTP plumbing and mapping shared by V1 and V2), ``v1`` and ``v2`` (the adapters).
"""

from __future__ import annotations

from .adapter import USER_AGENT
from .messages import translate_message
from .parsing import CHINA_TZ
from .signing import (
    load_private_key,
    load_public_key,
    md5_sign,
    php_float_money,
    php_string,
    rsa_sign,
    rsa_verify,
    sign_content,
)
from .v1 import EpayV1Adapter
from .v2 import TIMESTAMP_SKEW_SECONDS, EpayV2Adapter

__all__ = [
    "CHINA_TZ",
    "TIMESTAMP_SKEW_SECONDS",
    "USER_AGENT",
    "EpayV1Adapter",
    "EpayV2Adapter",
    "load_private_key",
    "load_public_key",
    "md5_sign",
    "php_float_money",
    "php_string",
    "rsa_sign",
    "rsa_verify",
    "sign_content",
    "translate_message",
]
