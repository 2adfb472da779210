"""Constants, keys and value helpers of the fake WeChat Pay server (written apart from the adapter's)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
CST = timezone(timedelta(hours=8))
_OUT_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
_FIELD = re.compile(r'(\w+)="([^"]*)"')
_LEDGER_STATUS = {"SUCCESS": "succeeded", "PROCESSING": "processing", "CLOSED": "failed", "ABNORMAL": "failed"}
_BILL_HEADER = [
    "交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型",
    "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额",
    "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额",
    "费率备注",
]


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, CST).isoformat(timespec="seconds")


@dataclass(frozen=True)
class FakeWechatKeys:
    """The fake's RSA-2048 pairs: the merchant's API key, the platform key, and a wrong key used
    to sign replies that must fail verification. Reusable across servers to save key generation."""

    merchant: rsa.RSAPrivateKey
    platform: rsa.RSAPrivateKey
    wrong: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> FakeWechatKeys:
        return cls(_new_key(), _new_key(), _new_key())
