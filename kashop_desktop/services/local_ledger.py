"""The offline gateways' books on a shop shared by several PCs (a PostgreSQL server store).

The wallet and the sandbox keep their books (refunds booked once per out_refund_no, the
buyers' wallet balances) in a small SQLite file in the data folder of the PC that uses them
(``gateways.ledgerfile``), as a real gateway keeps its own records apart from the shop's. On a
server store every PC has its own data folder, so a second PC would ask its own empty ledger
whether a refund was already paid, find nothing and pay it again, and the wallet's balances
would be split across PCs. So on a server store each such account's ledger belongs to one PC:
the first PC that books money through the account (sends a refund) records itself in the shop (setting ``ledger_desk_<id>``,
JSON ``{"desk": id, "where": host and folder}``, under the shop's write lock), and every other
PC is refused from using the account (DomainError ``ledger_elsewhere``, naming that PC). A read
(测试连接, a statement) claims nothing: it reads this PC's books while no PC keeps them, and is
refused naming the PC that keeps them once one does. A PC is
told apart by a random id kept in its data folder (``desk-id``). On the SQLite file there is one
data folder and nothing to decide.
"""

from __future__ import annotations

import json
import secrets
import socket
from pathlib import Path

from ..domain.errors import DomainError
from ..store.models import GatewayAccount, Setting
from .desk import Desk

#: Kinds whose books live in the data folder (``state_dir``) of the PC that uses them.
LOCAL_LEDGER_KINDS = frozenset({"wallet", "sandbox"})
DESK_ID_FILE = "desk-id"


def desk_id(data_dir: Path) -> str:
    """This PC's id (32 hex digits) from ``data_dir/desk-id``, made on first need."""
    path = data_dir / DESK_ID_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        text = ""
    if len(text) == 32:
        return text
    made = secrets.token_hex(16)
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(made + "\n", encoding="ascii")
    return made


def _holder(acct: GatewayAccount) -> dict[str, str] | None:
    """The PC recorded as keeping ``acct``'s books (``desk``, ``where``), or None."""
    row = Setting.get_or_none(Setting.key == f"ledger_desk_{acct.id}")
    if row is None:
        return None
    try:
        holder = json.loads(row.value)
    except ValueError:
        holder = None
    return holder if isinstance(holder, dict) else {}


def _this_pc(desk: Desk) -> dict[str, str]:
    return {"desk": desk_id(desk.data_dir), "where": f"{socket.gethostname()}:{desk.data_dir}"}


def claim(desk: Desk, acct: GatewayAccount) -> None:
    """Before a write that books money through the wallet or sandbox account ``acct`` (sending a
    refund, asking about one the queue may send again, taking a payment): on a server store, make
    sure this PC keeps its books, recording it when no PC does yet (under the write lock).
    Raises DomainError ``ledger_elsewhere`` naming the PC that keeps them. Does nothing on the
    SQLite file or for other kinds."""
    if desk.db_url is None or acct.kind not in LOCAL_LEDGER_KINDS:
        return
    mine = _this_pc(desk)
    holder = _holder(acct)
    if holder is None:
        with desk.atomic():
            holder = _holder(acct)  # read again under the lock: another PC may have just claimed it
            if holder is None:
                Setting.create(key=f"ledger_desk_{acct.id}", value=json.dumps(mine, ensure_ascii=False))
                return
    if holder.get("desk") != mine["desk"]:
        raise _elsewhere(acct, holder, sending=True)


#: The ledger file each kind keeps in its ``state_dir`` (``gateways.wallet``, ``gateways.sandbox``).
LEDGER_FILES = {"wallet": "wallet-ledger.sqlite3", "sandbox": "sandbox-ledger.sqlite3"}


def claim_moved_books(desk: Desk) -> list[str]:
    """Right after ``store migrate`` committed the shop on the server ``desk`` is open on: the
    wallet and sandbox accounts whose books are in this PC's folder (their ledger file exists,
    so refunds may have been paid from it on the file) are claimed for this PC, so no other PC
    answers an unknown refund from its own empty books and pays it again. Returns the names
    claimed. Raises DomainError ``ledger_elsewhere`` (another PC claimed one meanwhile)."""
    claimed: list[str] = []
    for acct in GatewayAccount.select().where(GatewayAccount.kind.in_(sorted(LOCAL_LEDGER_KINDS))):
        config = json.loads(acct.config or "{}")
        folder = Path(config.get("state_dir") or desk.data_dir)
        if (folder / LEDGER_FILES[acct.kind]).is_file():
            claim(desk, acct)
            claimed.append(str(acct.name))
    return claimed


def check_reader(desk: Desk, acct: GatewayAccount) -> None:
    """Before a read through the wallet or sandbox account ``acct`` (测试连接, a statement, a
    notification): never claims the books. Reads on this PC when no PC keeps them yet or this PC
    does; raises DomainError ``ledger_elsewhere`` naming the PC that keeps them otherwise (this
    PC's books would answer from an empty ledger). Does nothing on the SQLite file or for other
    kinds."""
    if desk.db_url is None or acct.kind not in LOCAL_LEDGER_KINDS:
        return
    holder = _holder(acct)
    if holder is not None and holder.get("desk") != desk_id(desk.data_dir):
        raise _elsewhere(acct, holder, sending=False)


def _elsewhere(acct: GatewayAccount, holder: dict[str, str], *, sending: bool) -> DomainError:
    host, folder = _pc_of(holder)
    pc_zh = f"电脑“{host}”（数据文件夹 {folder}）" if folder else f"电脑“{host}”"
    pc_en = f"the PC named \"{host}\" (data folder {folder})" if folder else f"the PC named \"{host}\""
    why_zh = ("它记着哪些款已收、哪些退款已付、买家余额多少，在这台电脑上用它可能把钱再付一次或算错" if sending
              else "这台电脑上没有它的记录，在这里用它会按一本空账本回答")
    why_en = ("they record the payments taken, the refunds paid and the buyers' balances, and using the account here "
              "could pay twice or count wrong" if sending
              else "this PC holds no record of them, so here it would answer from an empty ledger")
    return DomainError(
        "ledger_elsewhere",
        f"网关账户 {acct.name}（{acct.kind}）的账本在另一台电脑上，只有{pc_zh}有：{why_zh}。用这个账户收款开单、发送退款和查询，"
        "都请在那台电脑上做；这台电脑上什么都没有改动，也没有发送任何东西。",
        f"the books of the gateway account {acct.name} ({acct.kind}) are kept on another PC, only on {pc_en}: "
        f"{why_en}. Make sales "
        "with this account, send its refunds and query on that PC; nothing was changed or sent on this one.")


def _pc_of(holder: dict[str, str]) -> tuple[str, str]:
    """(host name, data folder) of the PC in ``holder`` (``where`` is ``host:folder``)."""
    where = str(holder.get("where") or "?")
    host, _, folder = where.partition(":")
    return host or "?", folder
