"""The fake 彩虹易支付 server: the routes of ``v1``, ``v2`` and ``checkout`` behind one dispatcher."""

from __future__ import annotations

from ..base import FakeRequest, FakeResponse
from .v1 import EpayV1Routes
from .v2 import EpayV2Routes


class FakeEpayServer(EpayV1Routes, EpayV2Routes):
    """彩虹易支付 V1 + V2 for one merchant; see the package docstring for what is faithful."""

    kind = "epay"

    # ---- dispatch ----------------------------------------------------------------------------
    def handle(self, req: FakeRequest) -> FakeResponse:
        path = req.path
        if path == "/submit.php":
            return self._submit(req)
        if path == "/mapi.php":
            return self._mapi(req)
        if path == "/api.php":
            if "s" in req.query:
                return self._load_api(req.query["s"], req)
            return self._v1_api(req)
        if path.startswith("/api/"):  # nginx: ^/api/(.*)$ -> /api.php?s=$1
            return self._load_api(path[len("/api/"):], req)
        return FakeResponse(404, b"<html><body><h1>404 Not Found</h1></body></html>", {"Content-Type": "text/html"})
