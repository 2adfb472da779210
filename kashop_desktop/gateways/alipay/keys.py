"""Alipay keys, RSA2 signatures and the canonical strings they cover (OpenAPI §2.1-2.3, §2.6)."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import rsa

from ..base import ErrorKind, GatewayError
from ..common import (
    KeyFormatError,
    join_sorted,
    read_private_key,
    read_public_key,
    rsa_sha256_sign,
    rsa_sha256_verify,
)


def bad_key(field: str, zh: str, en: str) -> GatewayError:
    """MISCONFIGURED for the key in config field ``field`` (code ``bad_<field>``), nothing sent."""
    return GatewayError(ErrorKind.MISCONFIGURED, zh, en, code=f"bad_{field}", sent=False)


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PKCS#1 or PKCS#8, PEM or bare base64 (unencrypted).

    Raises ``GatewayError(MISCONFIGURED, code="bad_app_private_key")``.
    """
    try:
        return read_private_key(text)
    except KeyFormatError as exc:
        if exc.reason == "not_rsa":
            raise bad_key("app_private_key", "应用私钥不是 RSA 私钥", "the app private key is not an RSA key") from exc
        raise bad_key(
            "app_private_key",
            "应用私钥格式不对：请粘贴 PKCS#1 或 PKCS#8 格式的 RSA 私钥（PEM 或纯 base64）",
            "the app private key is not readable: paste an RSA private key, PKCS#1 or PKCS#8, PEM or bare base64",
        ) from exc


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """An RSA public key from SPKI / PKCS#1 (PEM or bare base64) or from an X.509 certificate.

    Raises ``GatewayError(MISCONFIGURED, code="bad_alipay_public_key")``.
    """
    try:
        return read_public_key(text)
    except KeyFormatError as exc:
        if exc.reason == "not_rsa":
            raise bad_key(
                "alipay_public_key", "支付宝公钥不是 RSA 公钥", "the Alipay public key is not an RSA key"
            ) from exc
        raise bad_key(
            "alipay_public_key",
            "支付宝公钥格式不对：请粘贴开放平台“支付宝公钥”（PEM 或纯 base64），不是应用公钥",
            "the Alipay public key is not readable: paste the 'Alipay public key' from the Open Platform "
            "(PEM or bare base64), not the app public key",
        ) from exc


def rsa2_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    """base64(SHA256withRSA PKCS#1 v1.5 over the UTF-8 bytes of ``text``), one line."""
    return rsa_sha256_sign(key, text.encode("utf-8"))


def rsa2_verify(key: rsa.RSAPublicKey, text: str, sign: str) -> bool:
    """True only if ``sign`` is a valid RSA2 signature of the UTF-8 bytes of ``text``."""
    return rsa_sha256_verify(key, text.encode("utf-8"), "".join(sign.split()))


def canonical_request_string(params: Mapping[str, str]) -> str:
    """The string a request signature covers: all params but ``sign``, empties dropped, sorted."""
    return join_sorted(params, skip=("sign",), keep=lambda value: value != "")


def notification_sign_content(params: Mapping[str, str], *, drop_empty: bool = False) -> str:
    """The string a notification signature covers: all params but ``sign`` and ``sign_type``, sorted."""
    return join_sorted(params, skip=("sign", "sign_type"), keep=(lambda value: value != "") if drop_empty else None)
