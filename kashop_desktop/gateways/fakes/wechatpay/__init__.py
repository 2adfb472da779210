"""A local fake of WeChat Pay APIv3 (public-key mode) that speaks the real protocol on loopback.

What it does like WeChat (the protocol notes §3.10):
  * verifies the merchant's ``Authorization`` header (the five fields, the merchant serial, a
    timestamp within 5 minutes, SHA256withRSA over ``METHOD\\nPATH?QUERY\\nTS\\nNONCE\\nBODY\\n`` with
    the raw received target and body) and answers 401 SIGN_ERROR, unsigned, if it fails;
  * signs every reply to an authenticated request, 204 included, with its platform key in the
    ``Wechatpay-*`` headers (with a wrong key when the chaos roll says so);
  * errors are ``{"code","message"}`` with the statuses of §3.5; refunds are idempotent on
    ``out_refund_no``; Chaos.balance_not_enough -> 403 NOT_ENOUGH; Chaos.processing_first ->
    a refund answers PROCESSING until queried ``processing_queries`` times;
  * sends notifications encrypted with AES-256-GCM under the APIv3 key and signed;
  * serves the daily trade bill (``/v3/bill/tradebill`` + an unsigned download with its SHA1).

Its crypto is written out here on purpose, independently of the adapter, so that a bug in one
does not cancel a bug in the other; the vendor SDK cross-checks both in the tests.

The package: ``keys`` (constants, key pairs, value helpers), ``core`` (state, signing,
authentication), ``routes`` (payments and refunds), ``bills``, ``notify`` and ``server``.
"""

from __future__ import annotations

from .keys import FakeWechatKeys
from .keys import _private_pem as _private_pem
from .server import FakeWechatPayServer

__all__ = ["FakeWechatKeys", "FakeWechatPayServer"]
