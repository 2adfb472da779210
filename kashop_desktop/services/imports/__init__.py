"""Importing orders from the files shops really have: CSV/TSV as Excel, WPS or a web shop saved
it (UTF-8, UTF-8 or UTF-16 with BOM, GBK/GB18030) and XLSX.

- ``reading``: the file's format and encoding, rows streamed one at a time.
- ``cells``: one cell as its column's type (ids, money, counts, times), refusing what Excel
  mangled and anything ambiguous.
- ``rows``: the header and each row checked on its own, without the store.
- ``stream``: the rows checked on their own, packed chunk by chunk for writing.
- ``pipeline``: the same, for a big file, in a worker process while this one writes.
- ``checks``: the per-row rules that need the store (the hook for new ones).
- ``writing``: one chunk written set-based, in the caller's transaction.
- ``importer``: ``import_file`` tying them together; its docstring says what a crash leaves.
"""

from __future__ import annotations

from .importer import CHUNK_ROWS, import_file
from .reading import ImportFileError
from .report import ImportReport, Outcome, RowProblem
from .rows import COLUMNS, REQUIRED

__all__ = ["CHUNK_ROWS", "COLUMNS", "REQUIRED", "ImportFileError", "ImportReport", "Outcome", "RowProblem",
           "import_file"]
