"""易支付 signatures: the canonical string (PHP semantics), V1 MD5, V2 SHA256withRSA, and keys.

Source: the server source of 彩虹易支付 (``pwj2333/EasyPay``), ``includes/lib/Payment.php``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from cryptography.hazmat.primitives.asymmetric import rsa

from ..base import GatewayError
from ..common import (
    KeyFormatError,
    join_sorted,
    read_private_key,
    read_public_key,
    rsa_sha256_sign,
    rsa_sha256_verify,
)
from .messages import config_error

#: What PHP ``trim`` strips (Python's ``str.strip`` would also strip U+3000 and friends).
PHP_TRIM: Final = " \t\n\r\0\x0b"


def _php_float(value: float) -> str:
    """PHP's ``(string)$float`` (precision=14), e.g. 1.0 -> "1", 1.5 -> "1.5", 1e20 -> "1.0E+20"."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    text = f"{value:.14G}"
    if "E" not in text:
        return text
    mantissa, exponent = text.split("E")
    if "." not in mantissa:
        mantissa += ".0"
    exp = int(exponent)
    return f"{mantissa}E{'+' if exp >= 0 else '-'}{abs(exp)}"


def php_string(value: object) -> str | None:
    """The text PHP would put in the signature string for a decoded value; None if it is skipped."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _php_float(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return value
    return None  # arrays / objects are never signed


def sign_content(params: Mapping[str, object]) -> str:
    """The epay canonical string: non-empty, non-array params but sign/sign_type, sorted, raw k=v."""
    texts = {key: text for key, value in params.items() if (text := php_string(value)) is not None}
    return join_sorted(texts, skip=("sign", "sign_type"), keep=lambda text: text.strip(PHP_TRIM) != "")


def md5_sign(params: Mapping[str, object], key: str) -> str:
    """V1 signature: lowercase hex MD5 of ``sign_content(params) + key`` (no ``&key=``)."""
    return hashlib.md5((sign_content(params) + key).encode("utf-8")).hexdigest()


def rsa_sign(params: Mapping[str, object], private_key: rsa.RSAPrivateKey) -> str:
    """V2 signature: base64 of SHA256withRSA (PKCS#1 v1.5) over the canonical string."""
    return rsa_sha256_sign(private_key, sign_content(params).encode("utf-8"))


def rsa_verify(params: Mapping[str, object], signature: str, public_key: rsa.RSAPublicKey) -> bool:
    """Check a V2 signature; False for anything malformed."""
    # A '+' turned into a space by a careless URL decoder is restored; the check stays cryptographic.
    text = "".join(signature.replace(" ", "+").split())
    return rsa_sha256_verify(public_key, sign_content(params).encode("utf-8"), text)


def _key_error(exc: KeyFormatError, text: str, what: tuple[str, str], not_rsa: tuple[str, str],
               unreadable: tuple[str, str]) -> GatewayError:
    """The MISCONFIGURED error for key text that ``common.read_*_key`` refused."""
    if exc.reason == "not_base64" and "-----BEGIN" not in text:
        return config_error(f"{what[0]}格式无效：应为 PEM 或 base64 文本", f"{what[1]} is neither PEM nor base64 text")
    return config_error(*(not_rsa if exc.reason == "not_rsa" else unreadable))


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """The merchant private key: PEM (PKCS#8 or PKCS#1) or bare base64 DER as 彩虹 shows it.

    Raises ``GatewayError(MISCONFIGURED)`` for an empty, unreadable or non-RSA key.
    """
    if not text.strip():
        raise config_error("商户私钥为空", "merchant private key is empty")
    try:
        return read_private_key(text)
    except KeyFormatError as exc:
        raise _key_error(
            exc, text, ("商户私钥", "merchant private key"),
            ("商户私钥不是 RSA 私钥", "the merchant private key is not an RSA private key"),
            ("商户私钥无法读取（是否误填了公钥或带密码的私钥？）",
             "the merchant private key cannot be read (a public key, or a password-protected key?)"),
        ) from exc


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """The platform public key: PEM (SPKI or PKCS#1) or bare base64 DER as 彩虹 shows it.

    Raises ``GatewayError(MISCONFIGURED)`` for an empty, unreadable or non-RSA key.
    """
    if not text.strip():
        raise config_error("平台公钥为空", "platform public key is empty")
    try:
        return read_public_key(text)
    except KeyFormatError as exc:
        raise _key_error(
            exc, text, ("平台公钥", "platform public key"),
            ("平台公钥不是 RSA 公钥", "the platform public key is not an RSA public key"),
            ("平台公钥无法读取（是否误填了私钥？）", "the platform public key cannot be read (a private key?)"),
        ) from exc


def php_float_money(fen: int) -> str:
    """How 彩虹 renders money in a notify: PHP ``(float)`` of the decimal, 100 -> "1", 150 -> "1.5"."""
    text = format((Decimal(fen) / 100).normalize(), "f")
    return text
