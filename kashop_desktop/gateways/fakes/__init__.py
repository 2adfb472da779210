"""Local fake gateway servers that speak each gateway's real protocol on loopback.

``FAKES`` maps an adapter kind to the fake server class that speaks its protocol. Every fake
class takes ``(host, port)``, starts with ``start()``, and offers ``account_config()``: the
configuration keys (``base_url``, ids and PEM keys) an adapter of that kind needs to talk to it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

FAKES: dict[str, str] = {
    "epay_v1": "kashop_desktop.gateways.fakes.epay:FakeEpayServer",
    "epay_v2": "kashop_desktop.gateways.fakes.epay:FakeEpayServer",
    "alipay": "kashop_desktop.gateways.fakes.alipay:FakeAlipayServer",
    "wechatpay_v3": "kashop_desktop.gateways.fakes.wechatpay:FakeWechatPayServer",
}


def fake_class(kind: str) -> Any:
    """The fake server class for an adapter kind (KeyError if there is none)."""
    module_name, _, attr = FAKES[kind].partition(":")
    return getattr(import_module(module_name), attr)
