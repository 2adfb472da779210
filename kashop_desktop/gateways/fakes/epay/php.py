"""An independent re-implementation of 彩虹易支付's PHP helpers: the fake's oracle, not the adapter's code."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_CN = timezone(timedelta(hours=8))
_JSON_HEADERS = {"Content-Type": "application/json; charset=UTF-8"}
_V2_ROUTE_RE = re.compile(r"^(.[a-zA-Z0-9_]+)/(.[a-zA-Z0-9_]+)$")
_OUT_TRADE_NO_RE = re.compile(r"^[a-zA-Z0-9._\-|]+$")


# ---- independent re-implementation of the server's helpers (an oracle, not the adapter's code) --


def _php_str(value: object) -> str | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def _sign_content(params: Mapping[str, object]) -> str:
    """Payment::getSignContent: ksort, skip sign/sign_type/arrays/empty, raw ``k=v`` joined by &."""
    out = []
    for key in sorted(params):
        value = _php_str(params[key])
        if key in ("sign", "sign_type") or value is None or value.strip(" \t\n\r\0\x0b") == "":
            continue
        out.append(f"{key}={value}")
    return "&".join(out)


def _md5(params: Mapping[str, object], key: str) -> str:
    return hashlib.md5((_sign_content(params) + key).encode("utf-8")).hexdigest()


def _rsa_sign(params: Mapping[str, object], key: rsa.RSAPrivateKey) -> str:
    sig = key.sign(_sign_content(params).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(sig).decode("ascii")


def _rsa_ok(params: Mapping[str, object], sign: str, key: rsa.RSAPublicKey) -> bool:
    try:
        raw = base64.b64decode(sign)  # PHP base64_decode is lenient, so is this
        key.verify(raw, _sign_content(params).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def php_json(obj: Any, *, unescaped_unicode: bool) -> bytes:
    """PHP ``json_encode``: compact, ``\\/``; default flags escape non-ASCII as lowercase ``\\uXXXX``."""
    text = json.dumps(obj, ensure_ascii=not unescaped_unicode, separators=(",", ":"))
    text = text.replace("/", "\\/")
    if unescaped_unicode:  # PHP still escapes the JS line terminators unless told otherwise
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8")


def php_urlencode(value: str) -> str:
    """PHP ``urlencode`` (what ``http_build_query`` uses): RFC 1738, spaces as +, ``~`` encoded."""
    return quote_plus(value, safe="").replace("~", "%7E")


def php_float_money(fen: int) -> str:
    """``(string)(float)"1.50"`` -> "1.5"; "1.00" -> "1"; "0.01" -> "0.01"."""
    return format((Decimal(fen) / 100).normalize(), "f")


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _intval(value: object) -> int:
    match = re.match(r"\s*([+-]?\d+)", str(value) if value is not None else "")
    return int(match.group(1)) if match else 0


def _is_numeric(text: str) -> Decimal | None:
    """PHP ``is_numeric`` plus 彩虹's ``/^[0-9.]+$/``: the value as Decimal, or None."""
    if not re.match(r"^[0-9.]+$", text):
        return None
    try:
        dec = Decimal(text)
    except InvalidOperation:
        return None
    return dec if dec.is_finite() else None


def _pem_body(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


@lru_cache(maxsize=1)
def _shared_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """Platform, merchant and rogue RSA-2048 keys, generated once per process (keeps tests fast)."""
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


class _PhpError(Exception):
    def __init__(self, msg: str, code: int = 0) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = code


@dataclass
class _OrderInfo:
    type: str = "alipay"
    notify_url: str = ""
    return_url: str = ""
    param: str = ""
    buyer: str = ""
    clientip: str = ""
    api_trade_no: str = ""
    version: int = 1  # 1 = created through the V2 API (RSA notify), 0 = submit/mapi (MD5 notify)


@dataclass
class NotifyResult:
    url: str
    acked: bool
    attempts: int
    status: int
    body: str
    log: list[tuple[int, str]] = field(default_factory=list)
