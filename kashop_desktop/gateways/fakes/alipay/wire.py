"""Constants and value helpers of the fake Alipay gateway (written apart from the adapter's)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

BEIJING = timezone(timedelta(hours=8), "CST")
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_GATEWAY_PATH = "/gateway.do"
_BILL_PATH = "/downloadBillFile.resource"


def _beijing(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fen(text: Any) -> int | None:
    """Alipay's amount rule: a positive number with at most two decimals."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value * 100 != (value * 100).to_integral_value():
        return None
    return int(value * 100)


def _pem_private(key: rsa.RSAPrivateKey, *, pkcs1: bool = False) -> str:
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode("ascii")


def _pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
