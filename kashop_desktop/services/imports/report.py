"""What an import did: counts, the refused rows and why, and whether everything went in."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ..changes import Changes

#: Refused rows and warnings kept with their reasons; beyond this only the count grows, so a
#: file of a million bad rows does not hold a million messages.
KEEP_MESSAGES = 1000


@dataclass(frozen=True)
class RowProblem:
    """One refused row (or a warning): the row number as Excel shows it (header = 1), the
    column code ("" for the whole row), why in Chinese and English, and the refused cell's
    value as the file has it ("" when the whole row is concerned or it is not known)."""

    row: int
    column: str
    zh: str
    en: str
    value: str = ""


class Outcome(StrEnum):
    """How much of the file is in the store (the CLI's exit status follows it)."""

    ALL = "all"  # every non-blank row imported (or already there, unchanged)
    PARTIAL = "partial"  # some rows refused, the file stopped part-way or other worksheets left; the rest imported
    NOTHING = "nothing"  # nothing written: every row refused, a file-level problem, or all-or-nothing refused


@dataclass
class ImportReport:
    """The result of ``import_file``. ``rows`` counts non-blank data rows; ``refused`` counts
    refused rows (``problems`` keeps the first KEEP_MESSAGES of them). ``stopped`` is a
    file-level problem met part-way (an XLSX damaged after its first rows). ``committed_row``
    is the last row number whose chunk is committed, for telling what a re-run will redo.
    ``cancelled``: the import was stopped between two chunks (nothing after ``committed_row``
    is written; with all-or-nothing nothing at all). ``dry_run``: the rows were only checked,
    and the counts say what an import would do."""

    rows: int = 0
    inserted: int = 0
    held: int = 0  # of the inserted, orders of blocked buyers held for the owner's review
    delivered: int = 0  # paid 卡密 orders the import brought in or moved to paid, delivered from stock
    backordered: int = 0  # ... and those that found no code: in the backorder queue (缺货待发)
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    blank: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    warning_count: int = 0
    stopped: RowProblem | None = None
    all_or_nothing: bool = False
    rolled_back: bool = False
    cancelled: bool = False
    dry_run: bool = False
    committed_row: int = 0
    #: Every chunk of the file is committed (a big load may still be putting the list's upkeep
    #: back: ``importer``).
    all_committed: bool = False
    changes: Changes = field(default_factory=Changes)
    #: Notes on the file as a whole, (zh, en): columns not imported...
    notes: list[tuple[str, str]] = field(default_factory=list)
    #: An XLSX's other worksheets holding rows, (name, rows): not imported, so the file is
    #: imported in part (``outcome``).
    sheets_left_out: tuple[tuple[str, int], ...] = ()
    #: About how many data rows the file holds (from its size; 0: unknown), for progress.
    estimated_rows: int = 0

    @property
    def written(self) -> int:
        return self.inserted + self.updated

    @property
    def outcome(self) -> Outcome:
        if self.rolled_back or (self.inserted + self.updated + self.unchanged == 0):
            return Outcome.NOTHING
        if self.refused or self.stopped is not None or self.cancelled or self.sheets_left_out:
            return Outcome.PARTIAL
        return Outcome.ALL

    def mark(self) -> tuple[int, ...]:
        """The counts and message lists' lengths now, for ``back_to`` (``changes`` apart)."""
        return (self.inserted, self.updated, self.unchanged, self.held, self.delivered, self.backordered,
                self.refused, len(self.problems), self.warning_count, len(self.warnings))

    def back_to(self, mark: tuple[int, ...]) -> None:
        """Restore the counts of ``mark``: what a chunk that did not commit had counted is undone."""
        (self.inserted, self.updated, self.unchanged, self.held, self.delivered, self.backordered,
         self.refused, problems, self.warning_count, warnings) = mark
        del self.problems[problems:], self.warnings[warnings:]

    def refuse(self, problem: RowProblem) -> None:
        self.refused += 1
        if len(self.problems) < KEEP_MESSAGES:
            self.problems.append(problem)

    def warn(self, problem: RowProblem) -> None:
        self.warning_count += 1
        if len(self.warnings) < KEEP_MESSAGES:
            self.warnings.append(problem)
