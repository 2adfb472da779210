"""Shared harness for the fake gateway servers: real HTTP on loopback, a ledger, chaos knobs.

The data (Chaos, Ledger, FakePayment, FakeRefund, FakeRequest, FakeResponse) lives in ``ledger``
and is re-exported here.

Each fake subclasses FakeGatewayServer and implements ``handle``. The harness gives it:
  * a threaded HTTP server on 127.0.0.1 (port 0 picks a free one);
  * a Ledger of payments and refunds, the truth that chaos tests compare against;
  * chaos knobs applied around ``handle``: latency, 5xx before processing, the reply lost
    after the request was booked (connection dropped, or held past the client's timeout),
    a truncated body, a bad signature (``bad_signature`` is read by the subclass when it signs);
  * admin endpoints under ``/__fake__/``: GET ledger, POST chaos (JSON), POST payment (JSON:
    book a trade), POST pay (JSON ``{"out_trade_no": ..., "amount_fen": optional, in fen}``: the
    buyer pays a waiting trade, 409 for a closed one, as a test does from outside).
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .ledger import Chaos, FakePayment, FakeRefund, FakeRequest, FakeResponse, Ledger

__all__ = ["Chaos", "FakeGatewayServer", "FakePayment", "FakeRefund", "FakeRequest", "FakeResponse", "Ledger"]



class TradeClosed(Exception):
    """A closed trade cannot be paid."""

class _DropConnection(Exception):
    pass


class FakeGatewayServer:
    """Base class; subclasses set ``kind`` and implement ``handle``."""

    kind = "fake"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.chaos = Chaos()
        self.ledger = Ledger()
        self.lock = threading.RLock()
        self.requests_seen = 0
        self._rng = random.Random(0)
        self._host = host
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._seq = 0

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeGatewayServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                req = FakeRequest(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    raw_query=parts.query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                try:
                    resp = server._dispatch(req)
                except _DropConnection:
                    self.close_connection = True
                    return
                self.send_response(resp.status)
                for key, value in resp.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(resp.body)))
                self.end_headers()
                self.wfile.write(resp.body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        class Server(ThreadingHTTPServer):
            # Many concurrent clients in chaos runs: a deep backlog, and no Nagle delay
            # between the header and body writes of one reply.
            request_queue_size = 256

            def server_bind(self) -> None:
                super().server_bind()
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        self._httpd = Server((self._host, self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name=f"fake-{self.kind}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeGatewayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    # ---- ledger helpers ----------------------------------------------------------------------
    def set_chaos(self, **knobs: Any) -> None:
        with self.lock:
            for key, value in knobs.items():
                if not hasattr(self.chaos, key):
                    raise KeyError(key)
                setattr(self.chaos, key, value)
            self._rng = random.Random(self.chaos.seed)

    def add_payment(self, out_trade_no: str, amount_fen: int, *, status: str = "paid", subject: str = "") -> FakePayment:
        with self.lock:
            payment = FakePayment(out_trade_no, self.new_trade_no(), amount_fen, status, subject)
            if status == "paid":
                payment.paid_at = time.time()
            self.ledger.payments[out_trade_no] = payment
            return payment

    def pay_trade(self, out_trade_no: str, *, paid_at: float | None = None,
                  amount_fen: int | None = None) -> FakePayment:
        """The buyer pays the waiting trade ``out_trade_no`` (KeyError if there is none).
        ``paid_at`` (epoch seconds) backdates the payment, e.g. into yesterday's bill;
        ``amount_fen`` makes the gateway take another amount than the trade's (to try a
        mismatch). A closed trade cannot be paid (TradeClosed), as Alipay and WeChat Pay refuse
        to pay a trade once it is closed (alipay.trade.close; WeChat 关闭订单, gateways.md)."""
        with self.lock:
            payment = self.ledger.payments[out_trade_no]
            if payment.status == "closed":
                raise TradeClosed(out_trade_no)
            if amount_fen is not None:
                payment.amount_fen = int(amount_fen)
            payment.status = "paid"
            payment.paid_at = time.time() if paid_at is None else paid_at
            self._paid(payment)
            return payment

    def _paid(self, payment: FakePayment) -> None:
        """What a fake records beside the ledger when a trade is paid (subclasses)."""

    def new_trade_no(self) -> str:
        with self.lock:
            self._seq += 1
            return time.strftime("%Y%m%d%H%M%S") + f"{self._seq % 100000:05d}"

    def roll(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    # ---- dispatch ----------------------------------------------------------------------------
    def _dispatch(self, req: FakeRequest) -> FakeResponse:
        if req.path.startswith("/__fake__/"):
            return self._admin(req)
        with self.lock:
            self.requests_seen += 1
            chaos = Chaos(**asdict(self.chaos))
            fail_5xx = self.roll(chaos.fail_5xx_rate)
            drop = self.roll(chaos.drop_after_booking_rate)
            hang = self.roll(chaos.hang_after_booking_rate)
            truncate = self.roll(chaos.truncate_rate)
            bad_signature = self.roll(chaos.bad_signature_rate)
        if chaos.latency_ms:
            time.sleep(chaos.latency_ms / 1000)
        if fail_5xx:
            return self.server_error()
        with self.lock:
            # handle() runs under the lock, so the flag it reads is this request's own.
            self.bad_signature_now = bad_signature
            resp = self.handle(req)
        if resp.booked or drop or hang or truncate:
            if drop:
                raise _DropConnection()
            if hang:
                time.sleep(chaos.hang_seconds)
                raise _DropConnection()
            if truncate:
                resp = FakeResponse(resp.status, resp.body[: len(resp.body) // 2], resp.headers, resp.booked)
        return resp

    def server_error(self) -> FakeResponse:
        return FakeResponse.text("502 Bad Gateway", 502)

    def _admin(self, req: FakeRequest) -> FakeResponse:
        name = req.path[len("/__fake__/"):]
        if name == "ledger":
            with self.lock:
                return FakeResponse.json(self.ledger.to_json())
        data = json.loads(req.body or b"{}")
        if name == "chaos":
            self.set_chaos(**data)
            return FakeResponse.json(asdict(self.chaos))
        if name == "pay":
            amount = data.get("amount_fen")
            if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0):
                return FakeResponse.json({"error": "amount_fen must be a positive integer (fen)"}, 400)
            try:
                paid = self.pay_trade(str(data["out_trade_no"]), paid_at=data.get("paid_at"), amount_fen=amount)
            except TradeClosed:
                return FakeResponse.json({"error": "the trade is closed; it cannot be paid"}, 409)
            except KeyError:
                return FakeResponse.json({"error": "no such trade"}, 404)
            return FakeResponse.json(asdict(paid))
        if name == "payment":
            payment = self.add_payment(str(data["out_trade_no"]), int(data["amount_fen"]), status=data.get("status", "paid"))
            return FakeResponse.json(asdict(payment))
        return FakeResponse.json({"error": "unknown admin call"}, 404)

    # ---- subclass hook -------------------------------------------------------------------------
    bad_signature_now = False

    def handle(self, req: FakeRequest) -> FakeResponse:  # pragma: no cover - abstract
        raise NotImplementedError
