"""A big import into an empty store sets the orders table's upkeep aside and rebuilds it at the
end (store.bulkload): the store it leaves is exactly the one the row-by-row upkeep leaves, and a
load that dies part-way is finished when the store is next opened."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kashop_desktop.domain.clock import SHOP_TZ
from kashop_desktop.services import datagen
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.imports import ImportReport, Outcome, import_file
from kashop_desktop.services.imports.importer import BULK_CHUNKS_PER_TRANSACTION
from kashop_desktop.services.maintenance import check
from kashop_desktop.store import bulkload, report_tables, search_aside
from kashop_desktop.store.search_aside import SearchIndexAside

pytestmark = pytest.mark.sqlite_only(reason="not ported to PostgreSQL yet: the import's bulk path (set-aside indexes, SQLite SQL)")

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=SHOP_TZ)
TABLES = ("orders", "order_event", "buyer", "product", "status_count", "report_sales", "report_cancels", "report_answers")


def clock() -> datetime:
    return NOW


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "orders.csv"
    datagen.write_export(path, 3000, seed=11, now=NOW)
    return path


def with_changes(source: Path, target: Path) -> Path:
    """The export with rows a hand-edited file has: two times that do not read, a repeated order no."""
    lines = source.read_text(encoding="utf-8").splitlines()
    lines[40] = lines[40].replace(",", ",x", 1)  # x2023-11-29 12:26:54
    lines[41] = lines[41].split(",", 1)[0] + ",2026-13-01 10:00:00," + lines[41].split(",", 2)[2]
    lines.append(lines[100])  # order no repeated in the file
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def dump(db_path: Path) -> dict[str, Any]:
    """Everything the import wrote, read with plain sqlite3: rows, schema, search results."""
    con = sqlite3.connect(db_path)
    try:
        found: dict[str, Any] = {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}
        found["schema"] = sorted(con.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
        found["settings"] = con.execute("SELECT key FROM setting ORDER BY key").fetchall()
        # The search index against the orders it indexes (rank 1: compared with the content table).
        con.execute("INSERT INTO orders_fts(orders_fts, rank) VALUES ('integrity-check', 1)")
        terms = [row[0][-4:] for row in con.execute("SELECT buyer FROM orders WHERE id % 97 = 0")]
        found["search"] = [con.execute("SELECT rowid FROM orders_fts WHERE orders_fts MATCH ? ORDER BY rowid",
                                       (f'"{term}"',)).fetchall() for term in terms if len(term) >= 3]
        return found
    finally:
        con.close()


def imported(data_dir: Path, path: Path, **options: Any) -> tuple[ImportReport, dict[str, Any]]:
    desk = Desk.open(data_dir, clock=clock)
    try:
        report = import_file(desk, path, chunk_rows=500, **options)
        assert check(desk).ok
        db_path = desk.db_path
    finally:
        desk.close()
    return report, dump(db_path)


def summary(report: ImportReport) -> tuple[Any, ...]:
    return (report.rows, report.inserted, report.updated, report.unchanged, report.refused, report.warning_count,
            report.problems, report.outcome)


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each ``SearchIndexAside.finish`` of the test returned (True: the index built aside was copied in)."""
    seen: list[bool] = []
    finish = SearchIndexAside.finish

    def watched(self: SearchIndexAside, *args: Any) -> bool:
        seen.append(finish(self, *args))
        return seen[-1]

    monkeypatch.setattr(SearchIndexAside, "finish", watched)
    return seen


@pytest.mark.parametrize("all_or_nothing", [False, True])
def test_the_bulk_path_leaves_exactly_the_store_the_plain_path_leaves(
        tmp_path: Path, export: Path, all_or_nothing: bool, copies: list[bool]) -> None:
    plain_report, plain = imported(tmp_path / "plain", export, bulk=False, all_or_nothing=all_or_nothing)
    bulk_report, bulk = imported(tmp_path / "bulk", export, bulk=True, all_or_nothing=all_or_nothing)
    # Into an empty store, in transactions of their own, the new orders' search index is built aside
    # and copied in (one all-or-nothing transaction fills it in place); no scratch file is left.
    assert copies == ([] if all_or_nothing else [True])
    assert not search_aside.aside_path(tmp_path / "bulk" / "kashop.sqlite3").exists()
    assert list((tmp_path / "bulk").glob("*.search-aside")) == []
    assert plain_report.inserted == 3000 and plain_report.outcome is Outcome.ALL
    assert summary(bulk_report) == summary(plain_report)
    for key in plain:
        assert bulk[key] == plain[key], key
    assert len(plain["orders"]) == 3000 and any(plain["search"])


def test_both_paths_agree_on_refused_rows_and_on_a_second_import(tmp_path: Path, export: Path) -> None:
    changed = with_changes(export, tmp_path / "changed.csv")
    results = []
    for name, bulk in (("plain", False), ("bulk", True)):
        first, _ = imported(tmp_path / name, changed, bulk=bulk)
        again, store = imported(tmp_path / name, export, bulk=bulk)  # the store is no longer empty
        results.append((summary(first), summary(again), store))
    assert results[0] == results[1]
    first, again, _ = results[0]
    assert first[4] == 3 and first[7] is Outcome.PARTIAL  # two bad cells and the repeated order no
    assert again[1] == 2 and again[3] == 2998  # the two refused rows come in, the rest are unchanged


def test_a_stop_part_way_puts_the_upkeep_back(tmp_path: Path, export: Path) -> None:
    desk = Desk.open(tmp_path / "stop", clock=clock)

    class Stop(Exception):
        pass

    def stop_after_two(report: ImportReport) -> None:
        if report.committed_row > 1000:
            raise Stop

    try:
        with pytest.raises(Stop):
            import_file(desk, export, chunk_rows=500, bulk=True, progress=stop_after_two)
        assert bulkload.pending(desk.db.connection()) is None and check(desk).ok
        names = {n for (n,) in desk.db.execute_sql("SELECT name FROM sqlite_master WHERE tbl_name = 'orders'")}
        assert {"orders_status_created_at_id", "orders_fts_ins", "orders_count_ins"} <= names
        events = {n for (n,) in desk.db.execute_sql("SELECT name FROM sqlite_master WHERE tbl_name = 'order_event'")}
        assert {"report_cancels_ins", "report_cancels_undo"} <= events
        hits = desk.db.execute_sql("SELECT COUNT(*) FROM orders_fts WHERE orders_fts MATCH ?", ('"qq:"',)).fetchone()[0]
        assert hits > 0
    finally:
        desk.close()


def test_a_cancel_between_transactions_keeps_the_ones_before_it(tmp_path: Path, export: Path) -> None:
    """A bulk load commits BULK_CHUNKS_PER_TRANSACTION chunks at a time; progress is told after each commit."""
    desk = Desk.open(tmp_path / "cancel", clock=clock)
    seen: list[int] = []
    try:
        report = import_file(desk, export, chunk_rows=500, bulk=True, progress=lambda r: seen.append(r.rows),
                             cancel=lambda: len(seen) >= 1)
        assert report.cancelled and report.outcome is Outcome.PARTIAL
        in_one = 500 * BULK_CHUNKS_PER_TRANSACTION
        assert in_one < 3000 and len(seen) == 1
        assert report.inserted == in_one and desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0] == in_one
        assert 2900 <= report.estimated_rows <= 3100 and check(desk).ok
    finally:
        desk.close()


def test_a_cancel_inside_a_transaction_commits_the_whole_chunks_taken(tmp_path: Path, export: Path) -> None:
    """The cancel is asked before each chunk is taken, inside a bulk load's transaction too: the
    chunks taken before it commit whole, the rest of the file is not read into the store."""
    desk = Desk.open(tmp_path / "cancel-inside", clock=clock)
    asked: list[int] = []

    def cancel() -> bool:  # asked before the first chunk (no), the second (no), the third (yes)
        asked.append(1)
        return len(asked) >= 3

    try:
        report = import_file(desk, export, chunk_rows=500, bulk=True, cancel=cancel)
        assert BULK_CHUNKS_PER_TRANSACTION >= 3
        assert report.cancelled and report.inserted == 1000 and report.rows == 1000
        assert desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0] == 1000 and check(desk).ok
    finally:
        desk.close()


def test_a_cancelled_all_or_nothing_import_writes_nothing(tmp_path: Path, export: Path) -> None:
    desk = Desk.open(tmp_path / "cancel-all", clock=clock)
    asked: list[int] = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 2

    try:
        report = import_file(desk, export, chunk_rows=500, all_or_nothing=True, cancel=cancel)
        assert report.cancelled and report.rolled_back and report.outcome is Outcome.NOTHING
        assert desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0] == 0 and check(desk).ok
    finally:
        desk.close()


def abandoned_load(data_dir: Path, export: Path, hold: Callable[[Path], Any] | None = None) -> Path:
    """A store left as a bulk load that died after its first chunks leaves it: upkeep set aside."""
    desk = Desk.open(data_dir, clock=clock)
    try:
        with desk.atomic():
            bulkload.set_aside(desk.db.connection())
        import_file(desk, export, chunk_rows=500, bulk=False)  # written with the upkeep still aside
        assert bulkload.pending(desk.db.connection()) is not None
        return desk.db_path
    finally:
        desk.close()


def test_a_load_that_died_is_finished_at_the_next_open(tmp_path: Path, export: Path) -> None:
    db_path = abandoned_load(tmp_path / "died", export)
    _, reference = imported(tmp_path / "reference", export, bulk=False)
    desk = Desk.open(tmp_path / "died", clock=clock)
    try:
        assert bulkload.pending(desk.db.connection()) is None and check(desk).ok
    finally:
        desk.close()
    assert dump(db_path) == reference


def test_a_load_still_running_in_another_process_is_left_to_it(tmp_path: Path, export: Path) -> None:
    db_path = abandoned_load(tmp_path / "running", export)
    lock = bulkload.BulkLoadLock(db_path)
    assert lock.acquire(wait=False)  # the loader is alive
    try:
        desk = Desk.open(tmp_path / "running", clock=clock)
        try:
            assert bulkload.pending(desk.db.connection()) is not None
        finally:
            desk.close()
    finally:
        lock.release()


def test_the_rebuild_sorts_through_temporary_files_and_puts_the_setting_back(tmp_path: Path) -> None:
    """SQLite's sorter takes no helper thread while temporary storage is in memory (the store's
    setting): put_back switches to files for its sorts and back after, and where SQLite refuses
    the switch (inside a transaction with a temporary table) it rebuilds on one thread."""
    desk = Desk.open(tmp_path / "shop", clock=clock)
    try:
        con = desk.db.connection()
        assert con.execute("PRAGMA temp_store").fetchone()[0] == 2  # the store's setting: memory
        seen: list[int] = []
        fill_settings: list[str] = []

        def traced(sql: str) -> None:
            if sql.startswith("CREATE INDEX"):
                seen.append(1)
            elif "orders_fts(orders_fts, rank)" in sql:
                fill_settings.append(sql[sql.index("VALUES"):])

        con.set_trace_callback(traced)
        for staged in (False, True):
            with desk.atomic():
                bulkload.set_aside(con)
                if staged:
                    con.execute("CREATE TEMP TABLE staged (k INTEGER)")
                    con.execute("DROP TABLE temp.staged")
                assert bulkload.put_back(con)
            assert con.execute("PRAGMA temp_store").fetchone()[0] == 2
        con.set_trace_callback(None)
        assert seen  # the indexes were built again both times
        # The search index's fill used a larger term table and merged less; the store keeps FTS5's defaults.
        assert dict(con.execute("SELECT k, v FROM orders_fts_config WHERE k IN ('hashsize', 'automerge')")) == {
            "hashsize": 1 << 20, "automerge": 4}
        assert {f"VALUES ('{k}', {v})" for k, v in bulkload.FTS_FILL_SETTINGS.items()} <= set(fill_settings)
        with bulkload.temp_files(con):
            assert con.execute("PRAGMA temp_store").fetchone()[0] == 1
            with desk.atomic():
                con.execute("CREATE TEMP TABLE staged (k INTEGER)")
                bulkload.set_aside(con)
                assert bulkload.put_back(con)
        assert con.execute("PRAGMA temp_store").fetchone()[0] == 2
    finally:
        desk.close()


def file_alone(db_path: Path, target: Path) -> sqlite3.Connection:
    """The store's file copied without its write-ahead log: what checkpoints have copied into it."""
    target.write_bytes(db_path.read_bytes())
    return sqlite3.connect(target)


def test_the_load_is_in_the_store_file_itself_when_the_import_returns(tmp_path: Path, export: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The indexes put back and the search index copied in are copied from the log into the
    file by a helper thread while the import finishes (store.checkpoints): when the import
    returns the file alone holds the whole load, and the connection checkpoints as before."""
    from kashop_desktop.store import checkpoints

    made: list[Path] = []
    run = checkpoints.CopiedBehind._run

    def watched(self: checkpoints.CopiedBehind) -> None:
        made.append(self._path)
        run(self)

    monkeypatch.setattr(checkpoints.CopiedBehind, "_run", watched)
    desk = Desk.open(tmp_path / "shop", clock=clock)
    try:
        before = desk.db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]
        report = import_file(desk, export, chunk_rows=500, bulk=True)
        assert report.inserted == 3000 and made == [desk.db_path]
        assert desk.db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == before
        alone = file_alone(desk.db_path, tmp_path / "alone.sqlite3")
        try:
            assert alone.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert alone.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 3000
            assert alone.execute("SELECT COUNT(*) FROM orders_fts_docsize").fetchone()[0] == 3000
            assert alone.execute("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('orders_status_created_at_id', "
                                 "'orders_fts_ins')").fetchone()[0] == 2
            assert alone.execute("SELECT 1 FROM setting WHERE key = ?", (bulkload.SETTING,)).fetchone() is None
        finally:
            alone.close()
    finally:
        desk.close()


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_after_the_last_row_waits_for_the_upkeep_unless_pressed_again(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch, presses: int) -> None:
    """Ctrl+C while a load whose rows are all in puts the list's upkeep back: the first is held
    and the import ends as it would have; a second stops it at once, the rows stay in and the
    next open finishes the upkeep."""
    import os
    import signal
    import time

    put_back = bulkload.put_back

    def pressed_during(con: Any, *args: Any) -> bool:
        for _ in range(presses):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs between two bytecodes of this thread
        return put_back(con, *args)

    monkeypatch.setattr(bulkload, "put_back", pressed_during)
    seen: list[ImportReport] = []
    desk = Desk.open(tmp_path / "shop", clock=clock)
    try:
        if presses == 1:
            report = import_file(desk, export, chunk_rows=500, bulk=True)
            assert report.inserted == 3000 and report.all_committed and report.outcome is Outcome.ALL
            assert bulkload.pending(desk.db.connection()) is None  # the upkeep is back
        else:
            with pytest.raises(KeyboardInterrupt):
                import_file(desk, export, chunk_rows=500, bulk=True, progress=seen.append)
            assert seen[-1].all_committed and seen[-1].inserted == 3000
            assert bulkload.pending(desk.db.connection()) is not None  # left to the next open
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        desk.close()
    monkeypatch.setattr(bulkload, "put_back", put_back)
    desk = Desk.open(tmp_path / "shop", clock=clock)
    try:
        assert bulkload.pending(desk.db.connection()) is None and check(desk).ok
        assert desk.db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0] == 3000
    finally:
        desk.close()


def test_a_checkpoint_the_helper_cannot_make_is_made_by_the_connection(tmp_path: Path) -> None:
    """The helper cannot open the store (its path names a folder): the last checkpoint is made
    on the importing connection itself, and its setting is put back."""
    from kashop_desktop.store import checkpoints

    desk = Desk.open(tmp_path / "shop", clock=clock)
    try:
        con = desk.db.connection()
        before = con.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        (tmp_path / "a folder").mkdir()
        with checkpoints.copied_behind(con, tmp_path / "a folder") as behind:
            assert con.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
            with desk.atomic():
                con.execute("CREATE TABLE filler (k INTEGER PRIMARY KEY, v TEXT)")
                con.executemany("INSERT INTO filler (v) VALUES (?)", [("x" * 500,)] * 4000)  # 2 MB: past 1,000 pages
            behind.copy()
        assert behind.error is not None
        assert con.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == before
        alone = file_alone(desk.db_path, tmp_path / "alone.sqlite3")
        try:
            assert alone.execute("SELECT COUNT(*) FROM filler").fetchone()[0] == 4000
        finally:
            alone.close()
    finally:
        desk.close()


def test_a_search_index_that_cannot_be_built_aside_is_filled_in_place(tmp_path: Path, export: Path,
                                                                      copies: list[bool]) -> None:
    """The scratch file cannot be made (a folder holds its name): the import goes on and the
    search index is filled in the store itself, as without the helper."""
    data_dir = tmp_path / "blocked"
    Desk.open(data_dir, clock=clock).close()
    (data_dir / "kashop.sqlite3.search-aside").mkdir()
    report, store = imported(data_dir, export, bulk=True)
    _, reference = imported(tmp_path / "reference", export, bulk=False)
    assert report.inserted == 3000 and True not in copies  # the helper failed before the rebuild or after it
    assert store["search"] == reference["search"] and store["schema"] == reference["schema"]
    assert store["settings"] == reference["settings"]  # the load's record is gone


def test_orders_added_before_the_copy_are_indexed_too(tmp_path: Path, export: Path, copies: list[bool],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process adds an order after the load's last transaction and before the copy (the
    search index's trigger is still set aside then): the copy indexes it."""
    finish = SearchIndexAside.finish

    def meanwhile(self: SearchIndexAside, *args: Any) -> bool:
        other = sqlite3.connect(self.db_path)
        columns = [row[1] for row in other.execute("PRAGMA table_info(orders)") if row[1] != "id"]
        picked = ", ".join({"order_no": "'LATE' || order_no", "buyer": "'zq-late-buyer'",
                            "buyer_key": "'zq-late-buyer'", "gateway_trade_no": "NULL"}.get(c, c) for c in columns)
        other.execute(f"INSERT INTO orders ({', '.join(columns)}) SELECT {picked} FROM orders ORDER BY id LIMIT 1")
        other.commit()
        other.close()
        return finish(self, *args)

    monkeypatch.setattr(SearchIndexAside, "finish", meanwhile)
    desk = Desk.open(tmp_path / "late", clock=clock)
    try:
        assert import_file(desk, export, chunk_rows=500, bulk=True).inserted == 3000
        hits = desk.db.execute_sql("SELECT o.order_no FROM orders_fts f JOIN orders o ON o.id = f.rowid "
                                   "WHERE orders_fts MATCH ?", ('"zq-late"',)).fetchall()
        assert [no.startswith("LATE") for (no,) in hits] == [True]
        assert bulkload.pending(desk.db.connection()) is None
        desk.db.execute_sql("INSERT INTO orders_fts(orders_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        desk.close()
    assert copies == [True]


def test_a_load_that_died_before_the_copy_is_finished_at_the_next_open(tmp_path: Path, export: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies after the rebuild's commit, before the copy: the record names the search
    index alone, and the next open fills it in place (and removes the scratch file)."""
    def dies(self: SearchIndexAside, *args: Any) -> bool:
        self._thread.join()
        raise RuntimeError("the process ended here")

    monkeypatch.setattr(SearchIndexAside, "finish", dies)
    monkeypatch.setattr(SearchIndexAside, "close", lambda self: None)  # a dead process removes nothing
    desk = Desk.open(tmp_path / "died", clock=clock)
    try:
        assert import_file(desk, export, chunk_rows=500, bulk=True).inserted == 3000
        record = bulkload.pending(desk.db.connection())
        assert record is not None and [name for _, name, _ in record["dropped"]] == ["orders_fts_ins"]
        assert desk.db.execute_sql("SELECT COUNT(*) FROM orders_fts_docsize").fetchone()[0] == 0
        db_path = desk.db_path
    finally:
        desk.close()
    assert search_aside.aside_path(db_path).exists()
    _, reference = imported(tmp_path / "reference", export, bulk=False)
    Desk.open(tmp_path / "died", clock=clock).close()  # finishes the load
    assert not search_aside.aside_path(db_path).exists()
    assert dump(db_path) == reference


def test_the_reports_sums_read_aside_or_in_place_are_the_same(tmp_path: Path, export: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """put_back reads the reports' sums on a connection of its own when told where the committed
    rows are; told a file it cannot read, it reads them itself: the same sums either way."""
    db_path = abandoned_load(tmp_path / "sums", export)
    con = sqlite3.connect(db_path, isolation_level=None)
    try:
        expected = report_tables.expected_rows(con)
        assert expected["report_sales"] and expected["report_cancels"]
        for committed_in in (db_path, tmp_path / "nowhere" / "kashop.sqlite3", None):
            con.execute("DELETE FROM report_sales")  # whatever the tables hold, the rebuild replaces it
            con.execute("BEGIN IMMEDIATE")
            bulkload.set_aside(con)
            caplog.clear()
            assert bulkload.put_back(con, committed_in=committed_in)
            con.execute("COMMIT")
            failed = [r for r in caplog.records if "reports' sums aside failed" in r.getMessage()]
            assert len(failed) == (committed_in is not None and committed_in != db_path)  # read aside, or not
            assert report_tables.expected_rows(con) == expected
            assert {t: sorted(con.execute(f"SELECT * FROM {t}")) for t in expected} == {
                t: sorted(rows) for t, rows in expected.items()}, committed_in
    finally:
        con.close()


def test_a_loader_killed_after_its_last_commit_leaves_no_files(tmp_path: Path) -> None:
    """Killed between its last commit and letting go (or an all-or-nothing load rolled back by
    the kill), a loader leaves its lock file and maybe its scratch search index, but no record:
    the next open removes both; while a load runs, they are its own and stay."""
    desk = Desk.open(tmp_path / "shop", clock=clock)
    db_path = desk.db_path
    desk.close()
    leftovers = [bulkload.lock_path(db_path), search_aside.aside_path(db_path)]
    for path in leftovers:
        path.write_bytes(b"")
    running = bulkload.BulkLoadLock(db_path)
    assert running.acquire(wait=False)
    try:
        Desk.open(tmp_path / "shop", clock=clock).close()
        assert all(path.exists() for path in leftovers)  # a load holds the lock: its files
    finally:
        held = running._file  # the loader dies: the OS lets go of the lock, nothing removes the file
        running._file = None
        if held is not None:
            held.close()
    Desk.open(tmp_path / "shop", clock=clock).close()
    assert not any(path.exists() for path in leftovers)


def _rounds(con: Any, stages: Any, transactions: int) -> None:
    """``transactions`` transactions of about 100 pages each, ``stages`` told after each commit."""
    for n in range(transactions):
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT INTO filler (v) VALUES (?)", [(f"{n:04d}" + "x" * 3000,)] * 120)
        con.execute("COMMIT")
        if stages is not None:
            stages.committed()


@pytest.mark.parametrize("helper_opens", [True, False], ids=["helper", "helper-cannot-open"])
def test_staged_checkpoints_start_the_log_again_every_round(tmp_path: Path, helper_opens: bool) -> None:
    """A load told to stage its checkpoints keeps its log to about a round of transactions (the
    helper copies all but the last of each round, the importing connection that one), with the
    store's automatic checkpoints off meanwhile; when the helper cannot open the store the
    importing connection's own checkpoint copies the round, and the log is kept short the same."""
    from kashop_desktop.store import checkpoints

    path = tmp_path / "s.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("CREATE TABLE filler (k INTEGER PRIMARY KEY, v TEXT)")
        (tmp_path / "a folder").mkdir()
        before = con.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        with checkpoints.staged(con, path if helper_opens else tmp_path / "a folder", every=2) as stages:
            assert stages is not None
            assert con.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
            _rounds(con, stages, 30)
        assert con.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == before
        assert (stages.behind.error is None) is helper_opens
        one = 120 * 3100  # one transaction's rows, bytes
        assert path.with_name("s.sqlite3-wal").stat().st_size < 5 * one  # 30 transactions: over 11 MB
        assert con.execute("SELECT COUNT(*) FROM filler").fetchone()[0] == 3600
        busy, log_frames, copied = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and copied == log_frames
    finally:
        con.close()


def test_without_staged_checkpoints_the_log_holds_the_whole_load(tmp_path: Path) -> None:
    """What the staging saves: the same load with automatic checkpoints off and none made."""
    path = tmp_path / "s.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA wal_autocheckpoint = 0")
        con.execute("CREATE TABLE filler (k INTEGER PRIMARY KEY, v TEXT)")
        _rounds(con, None, 30)
        assert path.with_name("s.sqlite3-wal").stat().st_size > 25 * 120 * 3000
    finally:
        con.close()
