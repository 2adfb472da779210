"""The in-shop wallet (余额): refunds go back to the buyer's balance at once."""

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
    RefundRef,
    RefundRequest,
    RefundResult,
    RefundState,
)
from .ledgerfile import LedgerFile


class WalletAdapter(AdapterBase):
    kind: ClassVar[str] = "wallet"
    title_zh: ClassVar[str] = "店内余额"
    title_en: ClassVar[str] = "In-shop wallet"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.REFUND, Capability.PARTIAL_REFUND, Capability.REFUND_IDEMPOTENT, Capability.QUERY_REFUND}
    )
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("state_dir", "账本目录", "Ledger folder", required=False),
    )

    @property
    def ledger(self) -> LedgerFile:
        return LedgerFile(Path(self.config.get("state_dir") or ".") / "wallet-ledger.sqlite3")

    async def refund(self, req: RefundRequest) -> RefundResult:
        gw_no, status, amount, _ = await asyncio.to_thread(
            self.ledger.book, req.refund_no, req.out_trade_no, req.amount_fen, "succeeded"
        )
        return await self._named(RefundResult(RefundState(status), req.refund_no, gw_no, amount))

    async def query_refund(self, ref: RefundRef) -> RefundResult:
        row = await asyncio.to_thread(self.ledger.get, ref.refund_no)
        if row is None:
            return RefundResult(RefundState.NOT_FOUND, ref.refund_no)
        return await self._named(RefundResult(RefundState(row[1]), ref.refund_no, row[0], row[2]))

    async def _named(self, result: RefundResult) -> RefundResult:
        """What the ledger's booking names: the key, the trade it was booked for, its amount."""
        trade = await asyncio.to_thread(self.ledger.trade_of, result.refund_no)
        return replace(result, named_refund_no=result.refund_no, named_out_trade_no=trade,
                       named_amount_fen=result.amount_fen)

    async def test_connection(self) -> ConnectionReport:
        return ConnectionReport(True, None, "余额账本可用", "wallet ledger available", str(self.ledger.path))
