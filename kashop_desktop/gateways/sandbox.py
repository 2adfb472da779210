"""An offline, deterministic gateway for the demo and the tests.

Scenarios (config ``scenario``):
  success     refunds succeed at once;
  processing  the first reply is PROCESSING; the refund succeeds on the second query;
  stuck       the refund is booked and stays PROCESSING at every query (it never settles);
  reject      refunds are refused with code ``SELLER_BALANCE_NOT_ENOUGH`` (商户余额不足);
  timeout     the refund is booked but the reply is lost: the call raises UNKNOWN_OUTCOME,
              and a later query finds the booked refund.
``latency_ms`` adds a delay to every call (benchmarks). The books live in a ledger file in
``state_dir`` so that a crash of the desk cannot make the sandbox forget a refund.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from .base import (
    AdapterBase,
    Capability,
    ConfigField,
    ConnectionReport,
    ErrorKind,
    GatewayError,
    RefundRef,
    RefundRequest,
    RefundResult,
    RefundState,
)
from .ledgerfile import LedgerFile

SCENARIOS = ("success", "processing", "stuck", "reject", "timeout")
#: What each scenario does, in words for the connection test's message.
SCENARIO_WORDS = {
    "success": ("退款立即成功", "refunds succeed at once"),
    "processing": ("退款先处理中、再次查询时成功", "refunds are processing first, then succeed"),
    "stuck": ("退款一直处理中、不会结束", "refunds stay processing and never settle"),
    "reject": ("退款被拒（商户余额不足）", "refunds are refused (merchant balance too low)"),
    "timeout": ("退款已入账但回复丢失", "refunds are booked but the reply is lost"),
}


class SandboxAdapter(AdapterBase):
    kind: ClassVar[str] = "sandbox"
    title_zh: ClassVar[str] = "离线沙箱"
    title_en: ClassVar[str] = "Offline sandbox"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.REFUND, Capability.PARTIAL_REFUND, Capability.REFUND_IDEMPOTENT, Capability.QUERY_REFUND}
    )
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("scenario", "场景", "Scenario", required=False, default="success", choices=SCENARIOS,
                    choice_labels=tuple(SCENARIO_WORDS[s] for s in SCENARIOS)),
        ConfigField("latency_ms", "延迟(毫秒)", "Latency (ms)", required=False, default="0"),
        ConfigField("state_dir", "账本目录", "Ledger folder", required=False),
    )

    @property
    def scenario(self) -> str:
        value = self.config.get("scenario") or "success"
        if value not in SCENARIOS:
            raise GatewayError(ErrorKind.MISCONFIGURED, f"未知场景：{value}（可用：{'、'.join(SCENARIOS)}）",
                               f"unknown scenario: {value} (use one of: {', '.join(SCENARIOS)})",
                               code="bad_scenario", sent=False)
        return value

    _ledger_file: LedgerFile | None = None

    @property
    def ledger(self) -> LedgerFile:
        """The ledger file, opened once per adapter and folder: opening it creates its tables,
        and a refund reads it twice on the event loop's thread before handing it to another."""
        path = Path(self.config.get("state_dir") or ".") / "sandbox-ledger.sqlite3"
        if self._ledger_file is None or self._ledger_file.path != path:
            self._ledger_file = LedgerFile(path)
        return self._ledger_file

    async def _latency(self) -> None:
        ms = int(self.config.get("latency_ms") or 0)
        if ms:
            await asyncio.sleep(ms / 1000)

    async def refund(self, req: RefundRequest) -> RefundResult:
        scenario = self.scenario
        await self._latency()
        if scenario == "reject":
            return RefundResult(RefundState.FAILED, req.refund_no, code="SELLER_BALANCE_NOT_ENOUGH",
                                message_zh="商户余额不足", message_en="merchant balance insufficient")
        status = "processing" if scenario in ("processing", "stuck") else "succeeded"
        gw_no, booked_status, amount, _ = await asyncio.to_thread(
            self.ledger.book, req.refund_no, req.out_trade_no, req.amount_fen, status
        )
        if amount != req.amount_fen:
            return RefundResult(RefundState.FAILED, req.refund_no, gw_no, amount, code="DISCORDANT_REPEAT",
                                message_zh="同一退款单号的金额不一致", message_en="same refund no with another amount")
        if scenario == "timeout":
            raise GatewayError(ErrorKind.UNKNOWN_OUTCOME, "网关超时，结果未知", "gateway timed out; outcome unknown",
                               code="TIMEOUT", sent=True)
        return await self._named(RefundResult(RefundState(booked_status), req.refund_no, gw_no, amount))

    async def _named(self, result: RefundResult) -> RefundResult:
        """What the ledger's booking names: the key, the trade it was booked for, its amount."""
        trade = await asyncio.to_thread(self.ledger.trade_of, result.refund_no)
        return replace(result, named_refund_no=result.refund_no, named_out_trade_no=trade,
                       named_amount_fen=result.amount_fen)

    async def query_refund(self, ref: RefundRef) -> RefundResult:
        await self._latency()
        row = await asyncio.to_thread(self.ledger.get, ref.refund_no)
        if row is None:
            return RefundResult(RefundState.NOT_FOUND, ref.refund_no)
        gw_no, status, amount, queries = row
        if status == "processing" and queries >= 2 and self.scenario != "stuck":
            await asyncio.to_thread(self.ledger.set_status, ref.refund_no, "succeeded")
            status = "succeeded"
        return await self._named(RefundResult(RefundState(status), ref.refund_no, gw_no, amount))

    async def test_connection(self) -> ConnectionReport:
        zh, en = SCENARIO_WORDS[self.scenario]
        return ConnectionReport(True, None, f"沙箱可用：{zh}", f"sandbox ready: {en}")
