"""Importing 卡密: from a paste box, .txt, .csv or .xlsx; a preview with every line's problem;
duplicates within the text and against the store reported, never imported; then the backorder
queue (缺货待发) of the product filled oldest-first from the new codes.

The forms shops use are accepted line by line (domain.codes.parse_line): one code, or a card no
and password separated by ``----``, tab, comma or spaces. Text files may be UTF-8 (with or without
BOM), UTF-16 with BOM, or GB18030/GBK; an XLSX takes the first sheet, one or two cells a row.
A header row (卡密 / 卡号 密码 / code …) is skipped.

Speed: 100,000 codes in about 3 s on a busy 2-core machine (benchmarks/bench_codes.py): sealing and
hashing are one call each per code, duplicates against the store are one indexed lookup per 900.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.clock import to_epoch
from ..domain.codes import PAIR_JOINER, CodeLine, canonical, parse_line
from ..domain.errors import DomainError
from ..domain.order import ProductType
from ..domain.roles import Right
from ..store.models import CardCode, Order
from .changes import Changes
from .code_files import cell_problem, is_header
from .codekeys import CodeCipher
from .codes import code_event, reusable_order_tokens
from .common import OWNER, add_code_events
from .desk import Desk
from .products import BACKORDER_SQL, backorder_clause, get_product, update_low_stock

_CHUNK = 900  # SQLite's bound parameters per statement, with room to spare


@dataclass(frozen=True)
class Duplicate:
    """A line not imported: ``first_line`` is the earlier line of the same text holding the code,
    or None when the store already has it; ``sold``: the stored code was sold or voided (a buyer
    may hold it), so it can never be imported again."""

    line: int
    first_line: int | None
    sold: bool = False


@dataclass
class ImportPlan:
    """What an import would do: ``new`` lines to import, ``duplicates`` and ``problems`` (line, zh, en)
    not imported. Built without writing anything (the preview)."""

    product: str
    new: list[CodeLine] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    digests: dict[int, str] = field(default_factory=dict)
    #: Header lines skipped (at the top or repeated mid-file), and warnings that import anyway
    #: (line, zh, en): the same card no with another password.
    headers: list[int] = field(default_factory=list)
    warnings: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return len(self.duplicates) + len(self.problems)


@dataclass
class ImportResult:
    plan: ImportPlan
    imported: int
    delivered_orders: list[str]
    changes: Changes


# ---- reading ------------------------------------------------------------------------------------

def decode_text(data: bytes, name: str = "") -> str:
    """Pasted or piped text from bytes: BOM first (UTF-8, UTF-16), then strict UTF-8, then
    strict GB18030. Raises DomainError(file_encoding); a file goes through ``read_code_file``."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("file_encoding", f"{name} 的编码无法识别：请另存为 UTF-8 文本后再导入",
                      f"cannot tell the encoding of {name}: save it as UTF-8 text and import that")


# ---- planning and importing -----------------------------------------------------------------------

def plan_import(desk: Desk, product: str, lines: list[str]) -> ImportPlan:
    """Check every line (format, duplicates in the text and in the store) without writing.
    Raises DomainError product_not_found, not_card_product, or the key's errors (VaultLocked …)."""
    target = get_product(product)
    if target.product_type != ProductType.CARD_CODE.value:
        raise DomainError("not_card_product", f"「{target.name}」不是卡密商品", f"'{target.name}' is not a card-code product")
    cipher = desk.code_cipher()
    plan = ImportPlan(target.name)
    first_seen: dict[str, int] = {}
    numbers: dict[str, tuple[int, str]] = {}  # card no -> (first line, its password)
    for number, raw in enumerate(lines, start=1):
        problem = cell_problem(number, raw)
        if problem is not None:
            plan.problems.append(problem)
            continue
        if is_header(raw):
            plan.headers.append(number)
            continue
        parsed = parse_line(number, raw)
        if parsed is None:
            continue
        if parsed.code is None:
            assert parsed.problem is not None
            plan.problems.append((parsed.line, parsed.problem[0], parsed.problem[1]))
            continue
        digest = cipher.digest(parsed.code)
        if digest in first_seen:
            plan.duplicates.append(Duplicate(parsed.line, first_seen[digest]))
            continue
        first_seen[digest] = parsed.line
        plan.digests[parsed.line] = digest
        plan.new.append(parsed)
        _same_card_no(plan, numbers, parsed)
    _drop_stored(plan, _handed_out(cipher) if plan.digests else set())
    return plan


def _handed_out(cipher: CodeCipher) -> set[str]:
    """The keyed hashes of the reusable codes (循环卡密) orders were delivered: such a code is
    sold as much as one delivered alone, though it stays on the shelf (or was deleted before
    this rule), so it is never imported again. Read from the orders' delivered codes, so a code
    handed out before this rule counts too. A token the key does not open is left out (the key's
    own check refuses such a store elsewhere)."""
    found: set[str] = set()
    for token in reusable_order_tokens():
        try:
            found.add(cipher.digest(canonical(cipher.open(token))))
        except DomainError:
            continue
    return found


def _same_card_no(plan: ImportPlan, numbers: dict[str, tuple[int, str]], parsed: CodeLine) -> None:
    """Warn (import anyway) when a card no comes again with another password."""
    card_no, joiner, password = (parsed.code or "").partition(PAIR_JOINER)
    if not joiner:
        return
    seen = numbers.setdefault(card_no, (parsed.line, password))
    if seen[1] != password:
        plan.warnings.append((parsed.line, f"第 {parsed.line} 行的卡号与第 {seen[0]} 行相同，但密码不同：请核对",
                              f"line {parsed.line} has the card no of line {seen[0]} with another password: check it"))


def _drop_stored(plan: ImportPlan, handed_out: set[str]) -> None:
    """Move the lines the store already holds to ``duplicates`` (``sold``: the stored code was
    delivered or voided), and those among ``handed_out`` (reusable codes an order was delivered,
    stored or not) as sold."""
    digests = list(plan.digests.values())
    stored: dict[str, bool] = dict.fromkeys(handed_out & set(digests), True)  # digest -> sold or voided
    con = CardCode._meta.database.connection()
    for start in range(0, len(digests), _CHUNK):
        chunk = digests[start:start + _CHUNK]
        sql = ("SELECT digest, state IN ('delivered', 'void') OR (order_id IS NOT NULL AND state <> 'reserved') "
               f"FROM card_code WHERE digest IN ({','.join('?' * len(chunk))})")
        stored.update((d, bool(sold) or d in handed_out) for d, sold in con.execute(sql, chunk))
    if not stored:
        return
    kept = []
    for parsed in plan.new:
        if plan.digests[parsed.line] in stored:
            plan.duplicates.append(Duplicate(parsed.line, None, stored[plan.digests[parsed.line]]))
            del plan.digests[parsed.line]
        else:
            kept.append(parsed)
    plan.new = kept
    plan.duplicates.sort(key=lambda d: d.line)


def import_codes(desk: Desk, product: str, lines: list[str], *, batch: str = "", cost_fen: int = 0,
                 actor: str = OWNER) -> ImportResult:
    """Import the new lines of ``plan_import`` in one transaction, then fill the product's
    backorders oldest-first. Lines refused stay out (the result's plan says which and why).
    Raises what plan_import raises, and DomainError invalid_value for a negative cost."""
    desk.require(Right.STOCK)
    if cost_fen < 0:
        raise DomainError("invalid_value", "成本不能为负", "the cost cannot be negative")
    cipher = desk.code_cipher()
    with desk.atomic():
        plan = plan_import(desk, product, lines)  # again inside: another process may have imported meanwhile
        target = get_product(product)
        now = to_epoch(desk.now())
        rows = []
        for parsed in plan.new:
            token = cipher.seal(parsed.code or "")
            rows.append((target.id, token, plan.digests[parsed.line], token.split(":", 2)[2], batch.strip(),
                         cost_fen, now, now))
        desk.db.connection().executemany(
            "INSERT INTO card_code (product_id, sealed, digest, hint, batch, cost_fen, imported_at, changed_at, state,"
            " used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'available', 'unknown')", rows)
        changes = Changes(product_ids={target.id}, counts_changed=bool(rows))
        if rows:
            add_code_events([code_event(desk, target.id, "import", actor=actor, note=batch.strip(),
                                        data={"imported": len(rows), "refused": plan.refused, "cost_fen": cost_fen})])
        update_low_stock(desk, target)
        delivered = fill_backorders(desk, target.id, changes)
    return ImportResult(plan, len(rows), delivered, changes)


def add_codes(desk: Desk, product_id: int, codes: list[str], *, batch: str = "") -> int:
    """Put codes on a product's shelf as they are (the demo's stock, tests), sealed, skipping
    any already stored; in the caller's transaction. Returns how many were added."""
    cipher = desk.code_cipher()
    now = to_epoch(desk.now())
    rows = []
    for code in codes:
        text = canonical(code)
        token = cipher.seal(text)
        rows.append((product_id, token, cipher.digest(text), token.split(":", 2)[2], batch, now, now))
    con = desk.db.connection()
    before = con.total_changes
    con.executemany("INSERT INTO card_code (product_id, sealed, digest, hint, batch, imported_at, changed_at,"
                    " state, used, cost_fen) VALUES (?, ?, ?, ?, ?, ?, ?, 'available', 'unknown', 0)"
                    " ON CONFLICT DO NOTHING", rows)
    return int(con.total_changes - before)


def fill_all_backorders(desk: Desk, changes: Changes) -> list[str]:
    """Fill every product's backorders that codes are there for now (the sweep); one transaction."""
    con = desk.db.connection()
    waiting = [pid for (pid,) in con.execute(f"SELECT DISTINCT product_id FROM orders {BACKORDER_SQL}")]
    delivered: list[str] = []
    if not waiting:
        return delivered  # the usual sweep: one read of a small index, no write lock
    with desk.atomic():
        for pid in waiting:
            delivered += fill_backorders(desk, int(pid), changes)
    return delivered


def fill_backorders(desk: Desk, product_id: int, changes: Changes, *, actor: str = "system") -> list[str]:
    """Deliver the product's backorders (缺货待发) oldest-first while codes last, in the caller's
    transaction; returns the order nos delivered. An order that cannot be delivered now (a buyer's
    open cancel request) stays in the queue."""
    from .orders import deliver_waiting

    delivered = []
    waiting = (Order.select().where(backorder_clause() & (Order.product == product_id))
               .order_by(Order.paid_at, Order.id))
    for order in waiting:
        outcome = deliver_waiting(desk, order, actor)
        if outcome is None:
            break  # the shelf is empty again
        if outcome:
            delivered.append(order.order_no)
            changes.order_ids.add(order.id)
            changes.counts_changed = True
    return delivered
