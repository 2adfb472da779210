"""What an operation changed, so screens refresh exactly those rows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Skipped:
    ref: str
    code: str
    zh: str
    en: str


@dataclass
class Changes:
    order_ids: set[int] = field(default_factory=set)
    request_ids: set[int] = field(default_factory=set)
    refund_ids: set[int] = field(default_factory=set)
    product_ids: set[int] = field(default_factory=set)  # products whose stock or fields changed
    code_ids: set[int] = field(default_factory=set)  # card codes whose state changed
    counts_changed: bool = False
    messages: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: Made outside this window (the command line, a second desk, an import process): any
    #: order, request, refund or setting may have changed, so screens read everything again.
    outside: bool = False
    #: The server store's connection came back after it was lost: screens read everything
    #: again (writes made meanwhile went unheard), though no write was seen.
    resumed: bool = False

    def merge(self, other: Changes) -> Changes:
        self.order_ids |= other.order_ids
        self.request_ids |= other.request_ids
        self.refund_ids |= other.refund_ids
        self.product_ids |= other.product_ids
        self.code_ids |= other.code_ids
        self.counts_changed = self.counts_changed or other.counts_changed
        self.messages += other.messages
        self.skipped += other.skipped
        self.outside = self.outside or other.outside
        self.resumed = self.resumed or other.resumed
        return self
