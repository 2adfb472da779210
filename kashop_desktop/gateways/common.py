"""What every payment adapter shares: RSA keys, SHA256withRSA signatures, canonical parameter
strings, and the reading of a failed HTTP exchange (was the request sent or not?).

The protocol modules wrap these with their own Chinese and English messages and error codes;
the decisions that the refund queue's safety rests on are made here once:

* ``send_failure`` tells "nothing left this computer" (connection refused, DNS, connect or pool
  timeout, an unusable URL: safe to send again) from "the request went out and no reply came"
  (read/write timeout, broken connection: the outcome is unknown, query before re-sending).
* ``rsa_sha256_verify`` is False for anything malformed, never raises: a reply that does not
  verify is never taken as an answer.
* Keys are accepted as PEM (PKCS#1 or PKCS#8 private, SPKI or PKCS#1 public, optionally an X.509
  certificate) or as the bare base64 DER that the gateways' back offices and key tools print,
  tolerant of line breaks mangled by copying (literal ``\\n`` from JSON, spaces).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Final

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "TRANSPORT_ERRORS",
    "KeyFormatError",
    "SendFailure",
    "der_from_text",
    "join_sorted",
    "pem_from_text",
    "read_private_key",
    "read_public_key",
    "rsa_sha256_sign",
    "rsa_sha256_verify",
    "send_failure",
]

_ARMOUR: Final = re.compile(r"-----(?:BEGIN|END) [A-Z0-9 ]+-----")

# ---- HTTP exchange failures -------------------------------------------------------------------


class SendFailure(StrEnum):
    """Why an HTTP exchange produced no response, as far as the money is concerned."""

    NOT_SENT = "not_sent"  # connection refused, DNS, connect or pool timeout: nothing went out
    BAD_URL = "bad_url"  # the URL cannot be used (scheme, syntax): nothing went out
    TIMEOUT = "timeout"  # the request went out; no reply in time: outcome unknown
    BROKEN = "broken"  # the request went out; the connection broke before a full reply: unknown


#: What an httpx request raises when the exchange fails (``httpx.InvalidURL`` is no HTTPError).
TRANSPORT_ERRORS: Final = (httpx.TransportError, httpx.InvalidURL)


def send_failure(exc: Exception) -> SendFailure:
    """Classify an exception raised by an httpx request (see ``SendFailure``).

    Anything that is not known to have failed before sending counts as sent (``BROKEN``).
    """
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return SendFailure.NOT_SENT
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return SendFailure.BAD_URL
    if isinstance(exc, httpx.TimeoutException):
        return SendFailure.TIMEOUT
    return SendFailure.BROKEN


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def not_running(exc: Exception) -> tuple[str, str]:
    """For a connection refused on this computer (a local fake gateway that is not running): a
    sentence saying so, in Chinese and English, to add to the error; ("", "") otherwise."""
    if not isinstance(exc, httpx.ConnectError):
        return "", ""
    try:
        url = exc.request.url
    except RuntimeError:  # no request attached
        return "", ""
    if url.host not in _LOOPBACK:
        return "", ""
    where = f"{url.host}:{url.port}"
    return (f"。本机 {where} 上没有网关在运行：请检查网关账户的地址；若它是演示店的本地模拟网关，"
            "kashop-desktop demo --with-fakes 会重新启动它们",
            f". No gateway is running on this computer at {where}: check the gateway account's address; if it is "
            "a demo shop's local fake gateway, kashop-desktop demo --with-fakes starts them again")


# ---- parameter strings and signatures ---------------------------------------------------------


def join_sorted(params: Mapping[str, str], *, skip: Iterable[str] = (), keep: Callable[[str], bool] | None = None) -> str:
    """``k=v`` pairs sorted by key, joined with ``&``, values raw (not URL-encoded).

    Keys in ``skip`` are left out, and so are values for which ``keep(value)`` is False.
    This is the canonical string of 易支付 and of Alipay's requests and notifications.
    """
    skipped = frozenset(skip)
    return "&".join(
        f"{key}={params[key]}" for key in sorted(params) if key not in skipped and (keep is None or keep(params[key]))
    )


def rsa_sha256_sign(key: rsa.RSAPrivateKey, data: bytes) -> str:
    """base64 of SHA256withRSA (PKCS#1 v1.5) over ``data``, one line."""
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def rsa_sha256_verify(key: rsa.RSAPublicKey, data: bytes, signature_b64: str) -> bool:
    """True only if ``signature_b64`` (strict base64) is a valid SHA256withRSA signature of ``data``."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):  # binascii.Error is a ValueError
        return False
    return True


# ---- keys -------------------------------------------------------------------------------------


class KeyFormatError(ValueError):
    """Key text that is no usable RSA key.

    ``reason``: ``"not_base64"`` (neither PEM nor base64 text), ``"unreadable"`` (decodes, but is
    no key of that kind, or a password-protected one) or ``"not_rsa"`` (a key, but not RSA).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def der_from_text(text: str) -> bytes:
    """The DER bytes of a PEM block or of bare base64, tolerant of mangled line breaks.

    Raises ``KeyFormatError("not_base64")``.
    """
    body = _ARMOUR.sub("", text)
    body = body.replace("\\n", "").replace("\\r", "")  # keys pasted out of JSON strings
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError("not_base64", "neither PEM nor base64 text") from exc


def pem_from_text(text: str, label: str) -> bytes:
    """PEM bytes: ``text`` as given if it is PEM, else bare base64 wrapped as ``label``."""
    text = text.strip()
    if not text.startswith("-----BEGIN"):
        body = "".join(text.split())
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        text = f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"
    return text.encode("ascii")


def read_private_key(text: str) -> rsa.RSAPrivateKey:
    """An unencrypted RSA private key, PKCS#1 or PKCS#8, PEM or bare base64. Raises KeyFormatError."""
    try:
        key = serialization.load_der_private_key(der_from_text(text), password=None)
    except KeyFormatError:
        raise
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError("unreadable", "not a readable private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFormatError("not_rsa", "not an RSA private key")
    return key


def read_public_key(text: str) -> rsa.RSAPublicKey:
    """An RSA public key, SPKI or PKCS#1 (PEM or bare base64), or a PEM X.509 certificate's key.

    Raises KeyFormatError.
    """
    try:
        if "BEGIN CERTIFICATE" in text:
            key: object = x509.load_pem_x509_certificate(text.strip().encode("ascii")).public_key()
        else:
            key = serialization.load_der_public_key(der_from_text(text))
    except KeyFormatError:
        raise
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:  # UnicodeEncodeError is a ValueError
        raise KeyFormatError("unreadable", "not a readable public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyFormatError("not_rsa", "not an RSA public key")
    return key
