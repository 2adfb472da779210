"""WeChat Pay APIv3 signature strings, the Authorization header, AES-GCM resources and keys.

Pure protocol helpers (golden-tested against the vendor SDK; no I/O). Source: the protocol notes
§3 and the WeChat Pay APIv3 documentation "签名生成" / "签名验证" / "证书和回调报文解密".
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta, timezone
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..common import pem_from_text, rsa_sha256_sign, rsa_sha256_verify

SIGNATURE_TYPE: Final = "WECHATPAY2-SHA256-RSA2048"
DEFAULT_BASE_URL: Final = "https://api.mch.weixin.qq.com"
#: wechatpay-go rejects replies and notifications whose timestamp is this far from now.
MAX_CLOCK_SKEW_S: Final = 300
CST: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
USER_AGENT: Final = "kashop-desktop/0.1 (wechatpay-apiv3; httpx)"
_AUTH_FIELD_RE: Final = re.compile(r'(\w+)="([^"]*)"')


def request_message(method: str, target: str, timestamp: int | str, nonce: str, body: bytes) -> bytes:
    """The string a merchant signs: five lines, each ending in ``\\n`` (body may be empty)."""
    head = f"{method.upper()}\n{target}\n{timestamp}\n{nonce}\n".encode()
    return head + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """The string WeChat signs on a reply or a notification (body empty for 204)."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """base64 SHA256withRSA (PKCS#1 v1.5) of ``message``."""
    return rsa_sha256_sign(key, message)


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    """True only if ``signature_b64`` (strict base64) verifies over ``message``."""
    return rsa_sha256_verify(key, message, signature_b64)


def authorization_header(*, mchid: str, serial_no: str, nonce: str, timestamp: int | str, signature: str) -> str:
    """The Authorization value, fields in wechatpay-go's order (WeChat ignores the order)."""
    return (
        f'{SIGNATURE_TYPE} mchid="{mchid}",nonce_str="{nonce}",timestamp="{timestamp}",'
        f'serial_no="{serial_no}",signature="{signature}"'
    )


def parse_authorization(value: str) -> dict[str, str]:
    """The five ``key="value"`` fields of an Authorization header ({} if not WECHATPAY2)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != SIGNATURE_TYPE:
        return {}
    return dict(_AUTH_FIELD_RE.findall(rest))


def decrypt_resource(apiv3_key: str, *, nonce: str, associated_data: str, ciphertext: str) -> bytes:
    """AEAD_AES_256_GCM: key = the 32-char APIv3 key, data = base64(ciphertext || 16-byte tag).

    Raises InvalidTag (wrong key or tampered data) or ValueError (malformed input).
    """
    data = base64.b64decode(ciphertext, validate=True)
    aad = associated_data.encode("utf-8") if associated_data else None
    return AESGCM(apiv3_key.encode("utf-8")).decrypt(nonce.encode("utf-8"), data, aad)


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """A PEM private key (PKCS#8 as in apiclient_key.pem, or PKCS#1); bare base64 is wrapped."""
    key = serialization.load_pem_private_key(pem_from_text(text, "PRIVATE KEY"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem_from_text(text, "PUBLIC KEY"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key
