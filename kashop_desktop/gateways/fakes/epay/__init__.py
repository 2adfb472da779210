"""A byte-faithful fake 彩虹易支付 server: V1 (MD5, key in clear) and V2 (RSA) on one merchant.

Modelled on the server source (``pwj2333/EasyPay``: api.php, includes/lib/ApiHelper.php,
includes/lib/api/Pay.php, includes/lib/Order.php) as read from that source:

* Routes: ``/submit.php`` (minimal), ``/mapi.php`` (POST only), ``/api.php?act=query|order|orders|
  settle|refund``, ``/api/pay/{submit,create,query,refund,refundquery}``, ``/api/merchant/{info,
  orders}`` and the un-rewritten alias ``/api.php?s=pay/query``.
* Code conventions: V1 success 1, except ``act=refund`` success 0; V2 success 0. Numbers that come
  from the database are JSON strings ("1", "1.00"), ``code`` is an int.
* JSON bytes like PHP ``json_encode``: compact, ``/`` escaped as ``\\/``; api.php acts and the
  mapi/create success bodies with default flags (non-ASCII as ``\\uXXXX``); ``echojsonmsg`` errors
  and V2 signed bodies with ``JSON_UNESCAPED_UNICODE`` (raw UTF-8, U+2028/2029 still escaped).
* Request signatures are checked exactly as the server does: over ALL non-empty received params
  (V2 reads the POST body only); V2 requires ``timestamp`` within ±300 s of the server clock.
* V2 responses: ``ApiHelper::load_api`` signs every array a route *returns*. Routes *throw* most
  errors (unsigned ``{"code":<neg>,"msg":…}``), but ``Order::refund`` *returns* its business
  refusals as ``code -1`` arrays, which the real server therefore signs. ``sign_business_errors``
  (default True, as the source does) reproduces that; set it False to sign only ``code == 0``.
  ``bad_signature_now`` (harness chaos) signs with a key that is not the platform's.
* Refunds are synchronous (``Chaos.processing_first`` does not apply). V1 books a new refund on
  every call (no idempotency); V2 honours ``out_refund_no`` longer than 5 characters: a repeat of
  a booked one answers the first refund again (``已存在相同退款单号！…``, amount not compared) and
  counts in ``Ledger.duplicate_refund_calls``.
* ``Chaos.balance_not_enough`` -> ``商户余额不足，请先充值``.

Knobs beyond the harness chaos: ``user_refund`` (site switch), ``merchant_refund`` (merchant
switch), ``rsa_only`` (merchant keytype=RSA: V1 refused), ``merchant_money_fen`` (balance),
``time_offset`` (server clock skew), ``sign_business_errors``.

The package: ``php`` (an independent re-implementation of the server's helpers: the oracle),
``core`` (merchant state, rows, responses, checks, refund booking), ``v1`` (``api.php`` acts),
``v2`` (``api/*``), ``checkout`` (order creation and notify) and ``server`` (the dispatcher).
"""

from __future__ import annotations

# The oracle's helpers stay importable from here: the tests compare the adapter against them.
from .php import NotifyResult
from .php import _md5 as _md5
from .php import _rsa_ok as _rsa_ok
from .php import _rsa_sign as _rsa_sign
from .php import _shared_keys as _shared_keys
from .php import _sign_content as _sign_content
from .php import php_float_money as php_float_money
from .php import php_json as php_json
from .php import php_urlencode as php_urlencode
from .server import FakeEpayServer

__all__ = ["FakeEpayServer", "NotifyResult"]
