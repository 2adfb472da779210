"""Malformed files, fixed and generated: no traceback, no refused row written, the store checks out.

The fixed corpus (``corpus.py``, 320 files from one seed) runs against one store, file after
file; hypothesis adds CSV and XLSX files built from hostile cells. For every file,
``import_file`` either refuses the whole file with an ImportFileError or returns a report whose
counts add up, and the orders it added are exactly the rows it accepted.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import ImportFileError, ImportReport, Outcome, import_file
from kashop_desktop.services.maintenance import check

from .corpus import HEADER, NASTY, generate
from .files import write_xlsx

pytestmark = pytest.mark.sqlite_only(reason="CI time: how a file is read (encodings, Excel cells, refusals) is the same on either store; the import's writes run on both in test_window_hooks, test_importfix and test_newcomer")

_ROW_OF = re.compile(r"^F(\d{3})R(\d{5})$")


def _order_nos(desk: Desk) -> set[str]:
    return {str(n) for (n,) in desk.db.execute_sql("SELECT order_no FROM orders")}


def import_and_check(desk: Desk, path: Path, *, all_or_nothing: bool = False) -> ImportReport | None:
    """Import ``path`` and assert the invariants; returns the report (None if refused whole)."""
    before = _order_nos(desk)
    try:
        report = import_file(desk, path, all_or_nothing=all_or_nothing)
    except ImportFileError as refused:
        assert refused.zh and refused.en
        assert _order_nos(desk) == before, "a file refused whole wrote rows"
        return None
    added = _order_nos(desk) - before
    refused_rows = {p.row for p in report.problems}
    assert len(added) == report.inserted
    if report.stopped is None and not report.rolled_back:
        assert report.inserted + report.updated + report.unchanged + report.refused == report.rows
    if report.rolled_back:
        assert not added and (report.refused or report.stopped)
    for order_no in added:
        match = _ROW_OF.match(order_no)
        if match:
            assert int(match.group(2)) not in refused_rows, f"refused row {order_no} was written"
    assert all(p.zh and p.en for p in report.problems)
    return report


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return generate(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def corpus_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    desk = Desk.open(tmp_path_factory.mktemp("corpus_store"))
    yield desk
    desk.close()


def test_the_fixed_corpus(corpus: list[Path], corpus_desk: Desk) -> None:
    assert len(corpus) >= 300
    outcomes = {"file": 0, **{o.value: 0 for o in Outcome}}
    for number, path in enumerate(corpus):
        report = import_and_check(corpus_desk, path, all_or_nothing=number % 5 == 4)
        outcomes["file" if report is None else report.outcome.value] += 1
    assert check(corpus_desk).ok
    # The corpus exercises every outcome, so none of the assertions above is vacuous.
    assert all(n >= 10 for n in outcomes.values()), outcomes


HOSTILE = st.one_of(st.sampled_from(NASTY), st.text(max_size=12),
                    st.from_regex(r"20[0-9]{2}[-/年][0-9]{1,2}[-/月][0-9]{1,2}日? ?[0-9]{1,2}:[0-9]{2}", fullmatch=True),
                    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str))
VALID = ["X", "2026-11-18 09:00", "点券", "卡密", "1", "6.00", "0", "0", "6.00", "已支付", "2026-11-18 09:01", "",
         "支付宝", "", "T1", "13800138000", "否"]


@st.composite
def hostile_rows(draw: st.DrawFn) -> list[list[object]]:
    count = draw(st.integers(1, 6))
    rows = []
    for r in range(2, count + 2):
        row: list[object] = list(VALID)
        row[0] = f"F999R{r:05d}"
        for column in draw(st.lists(st.integers(0, len(VALID) - 1), max_size=4)):
            row[column] = draw(HOSTILE)
        rows.append(row)
    return rows


def _store() -> tuple[tempfile.TemporaryDirectory[str], Desk]:
    folder = tempfile.TemporaryDirectory()
    return folder, Desk.open(Path(folder.name) / "data")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=hostile_rows(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
       newline=st.sampled_from(["\r\n", "\n", "\r"]), all_or_nothing=st.booleans())
def test_generated_csv(rows: list[list[object]], encoding: str, newline: str, all_or_nothing: bool) -> None:
    folder, desk = _store()
    with folder:
        path = Path(folder.name) / "o.csv"
        lines = [",".join(HEADER)] + [",".join('"' + str(c).replace('"', '""') + '"' for c in row) for row in rows]
        path.write_bytes((newline.join(lines) + newline).encode(encoding, errors="replace"))
        import_and_check(desk, path, all_or_nothing=all_or_nothing)
        assert check(desk).ok
        desk.close()


XLSX_CELL = st.one_of(HOSTILE, st.integers(-(10**20), 10**20), st.floats(allow_nan=True), st.booleans(),
                      st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=hostile_rows(), cells=st.lists(st.tuples(st.integers(0, 16), XLSX_CELL), max_size=4),
       date1904=st.booleans())
def test_generated_xlsx(rows: list[list[object]], cells: list[tuple[int, object]], date1904: bool) -> None:
    for column, value in cells:
        rows[column % len(rows)][column] = value
    folder, desk = _store()
    with folder:
        path = write_xlsx(Path(folder.name) / "o.xlsx", [list(HEADER), *rows], date1904=date1904)
        import_and_check(desk, path)
        assert check(desk).ok
        desk.close()


ANY_CELL = st.one_of(st.none(), st.text(), st.sampled_from(NASTY), st.integers(), st.floats(), st.booleans(),
                     st.datetimes(), st.dates(), st.times(), st.timedeltas())


@settings(max_examples=400, deadline=None)
@given(value=ANY_CELL, date1904=st.booleans())
def test_cell_readers_refuse_only_with_cell_errors(value: object, date1904: bool) -> None:
    from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

    from kashop_desktop.services.imports import cells

    readers = [cells.clean_text, cells.read_id, cells.read_contact, cells.read_name, cells.read_money,
               cells.read_count, lambda v: cells.read_time(v, MAC_EPOCH if date1904 else WINDOWS_EPOCH),
               lambda v: cells.read_time(v, None)]
    for read in readers:
        try:
            read(value)  # type: ignore[operator]
        except cells.CellError as refused:
            assert refused.zh and refused.en
