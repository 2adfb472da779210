"""WeChat Pay APIv3 adapter (微信支付 APIv3), direct-merchant mode with the 微信支付公钥.

Protocol (reference: the protocol notes §3):
  * every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,
    timestamp=…,serial_no=…,signature=…``; the signature is SHA256withRSA (PKCS#1 v1.5) with the
    merchant API private key over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``, where the
    path and body are exactly the bytes that go on the wire;
  * every reply that WeChat signs (all replies to an authenticated request, 2xx incl. 204 and
    business errors) is verified with the platform public key over ``TIMESTAMP\\nNONCE\\nBODY\\n``;
    a 2xx without a valid signature is never taken as an answer (GatewayError SECURITY);
  * notifications are verified the same way and their ``resource`` is decrypted with
    AES-256-GCM under the APIv3 key.

Money is integer fen on the wire and inside. Nothing here uses the vendor SDK; it is only an
oracle in the tests. Error semantics follow ``gateways/base.py``.

The package: ``signing`` (signature strings, Authorization header, AES-GCM, keys), ``codes``
(state and error tables, reply values), ``bills`` (the daily trade bill), ``client`` (signed
round trips and reply verification) and ``adapter`` (the operations).
"""

from __future__ import annotations

from .adapter import WechatPayV3Adapter
from .bills import parse_trade_bill
from .signing import (
    CST,
    DEFAULT_BASE_URL,
    MAX_CLOCK_SKEW_S,
    SIGNATURE_TYPE,
    USER_AGENT,
    authorization_header,
    decrypt_resource,
    load_private_key,
    load_public_key,
    parse_authorization,
    request_message,
    response_message,
    rsa_sign,
    rsa_verify,
)

__all__ = [
    "CST",
    "DEFAULT_BASE_URL",
    "MAX_CLOCK_SKEW_S",
    "SIGNATURE_TYPE",
    "USER_AGENT",
    "WechatPayV3Adapter",
    "authorization_header",
    "decrypt_resource",
    "load_private_key",
    "load_public_key",
    "parse_authorization",
    "parse_trade_bill",
    "request_message",
    "response_message",
    "rsa_sign",
    "rsa_verify",
]
