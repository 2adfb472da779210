"""Operators' roles and what each may do: the one permission table the services consult.

Roles: ``owner`` (店主: everything), ``clerk`` (店员: orders, requests, refunds up to the
operator's approval limit in fen; no gateway keys, no policy or settings, no products or 卡密
stock, no bulk reveal (export) of 卡密, no operator management; exports of orders and
reconciliations), ``viewer`` (只读: reads only, reports included; exports nothing). ``allowed(role, right)`` is the
table; ``refusal`` builds the message a refused operator sees (Chinese and English).
"""

from __future__ import annotations

from enum import Enum

from .errors import DomainError
from .money import format_yuan


class Role(Enum):
    OWNER = ("owner", "店主", "owner")
    CLERK = ("clerk", "店员", "clerk")
    VIEWER = ("viewer", "只读", "viewer")

    def __init__(self, code: str, zh: str, en: str) -> None:
        self.code, self.zh, self.en = code, zh, en

    @classmethod
    def of(cls, code: str) -> Role:
        for role in cls:
            if role.code == code:
                return role
        raise DomainError("invalid_role", f"未知角色：{code}（可选 owner、clerk、viewer）",
                          f"unknown role: {code} (owner, clerk or viewer)")


class Right(Enum):
    """What an operation needs. (code, Chinese, English: what is refused.)"""

    ORDERS = ("orders", "处理订单", "work on orders")
    REQUESTS = ("requests", "处理售后申请", "work on after-sales requests")
    REFUNDS = ("refunds", "处理退款", "work on refunds")
    REVEAL_CODE = ("reveal_code", "查看卡密", "reveal a 卡密")
    REVEAL_CODES_BULK = ("reveal_codes_bulk", "批量查看卡密", "reveal 卡密 in bulk")
    IMPORT = ("import", "导入订单", "import orders")
    GATEWAYS = ("gateways", "管理网关账户和密钥", "manage gateway accounts and keys")
    POLICY = ("policy", "修改规则和设置", "change the policy and settings")
    OPERATORS = ("operators", "管理操作员", "manage operators")
    BACKUP = ("backup", "备份数据", "back up the store")
    RESTORE = ("restore", "恢复备份", "restore a backup")
    AUDIT = ("audit", "导出操作日志", "export the log")
    ANCHOR = ("anchor", "重新锚定操作日志", "anchor the log again")
    REPORTS = ("reports", "重建报表数据", "rebuild the report tables")
    DEMO = ("demo", "生成演示数据", "build demo data")
    STOCK = ("stock", "管理商品和卡密库存", "manage products and 卡密 stock")
    EXPORT = ("export", "导出订单和对账单", "export orders and reconciliations")

    def __init__(self, code: str, zh: str, en: str) -> None:
        self.code, self.zh, self.en = code, zh, en


#: A clerk may rebuild the reports' tables: store upkeep, computed again from the orders and their
#: timeline (nothing a person entered changes), recorded in the shop log like a backup.
_CLERK = frozenset({Right.ORDERS, Right.REQUESTS, Right.REFUNDS, Right.REVEAL_CODE, Right.IMPORT, Right.BACKUP,
                    Right.EXPORT, Right.REPORTS})
_TABLE: dict[Role, frozenset[Right]] = {
    Role.OWNER: frozenset(Right),
    Role.CLERK: _CLERK,
    Role.VIEWER: frozenset(),
}


def allowed(role: Role, right: Right) -> bool:
    """Whether ``role`` may do what ``right`` names."""
    return right in _TABLE[role]


def within_limit(role: Role, limit_fen: int | None, amount_fen: int) -> bool:
    """Whether an operator of ``role`` with approval limit ``limit_fen`` (None: no limit) may
    approve a refund of ``amount_fen`` (gross, fen). The owner is never limited."""
    return role is Role.OWNER or limit_fen is None or amount_fen <= limit_fen


class PermissionRefused(DomainError):
    """An operator's role (or approval limit) does not allow an operation. ``right`` names what."""

    def __init__(self, code: str, zh: str, en: str, operator: str, right: str) -> None:
        super().__init__(code, zh, en)
        self.operator, self.right = operator, right
        self.recorded = False


def refusal(name: str, role: Role, right: Right) -> PermissionRefused:
    """The refusal of ``right`` to operator ``name`` of ``role``."""
    return PermissionRefused(
        "not_permitted",
        f"操作员 {name}（{role.zh}）无权{right.zh}，请让店主来做。",
        f"operator {name} ({role.en}) may not {right.en}; ask the owner.", name, right.code)


def over_limit(name: str, limit_fen: int, amount_fen: int, already_fen: int = 0) -> PermissionRefused:
    """The refusal of a refund above an operator's approval limit: ``amount_fen`` this refund,
    ``already_fen`` what the operator approved on the same order before (gross, fen)."""
    if already_fen:
        total = already_fen + amount_fen
        return PermissionRefused(
            "over_approval_limit",
            f"操作员 {name} 的审批额度是每单 ¥{format_yuan(limit_fen)}：此前已批准本单 ¥{format_yuan(already_fen)}，"
            f"加上这笔 ¥{format_yuan(amount_fen)} 共 ¥{format_yuan(total)}，超出额度，请让店主审批。",
            f"operator {name} may approve up to ¥{format_yuan(limit_fen)} per order: they approved "
            f"¥{format_yuan(already_fen)} of this order before, with this ¥{format_yuan(amount_fen)} that is "
            f"¥{format_yuan(total)}: ask the owner.", name, "approve_limit")
    return PermissionRefused(
        "over_approval_limit",
        f"操作员 {name} 的审批额度是 ¥{format_yuan(limit_fen)}，这笔退款 ¥{format_yuan(amount_fen)} 超出额度，请让店主审批。",
        f"operator {name} may approve refunds up to ¥{format_yuan(limit_fen)}; this one is "
        f"¥{format_yuan(amount_fen)}: ask the owner.", name, "approve_limit")


#: The operator every store starts with: the owner, working alone (no sign-in) until a second
#: operator is added.
OWNER_NAME = "店主"
#: The approval limit (fen) someone made a clerk starts with, added or given the role, unless the
#: owner chose another (or none): the same in the window and on the command line.
CLERK_START_LIMIT_FEN = 100_00


class Identity:
    """Who is working at the desk: an operator's name, role and approval limit (fen; None: no limit)."""

    __slots__ = ("approve_limit_fen", "name", "role")

    def __init__(self, name: str, role: Role, approve_limit_fen: int | None = None) -> None:
        self.name, self.role, self.approve_limit_fen = name, role, approve_limit_fen

    def __repr__(self) -> str:
        return f"Identity({self.name!r}, {self.role.code})"

    def may(self, right: Right) -> bool:
        return allowed(self.role, right)


#: Five wrong passwords in a row lock an operator for LOCK_SECONDS (stored: a restart keeps it).
MAX_TRIES = 5
LOCK_SECONDS = 15 * 60


def not_signed_in() -> PermissionRefused:
    """The refusal when the shop has several operators and nobody has signed in."""
    return PermissionRefused("not_signed_in", "这个店铺有多个操作员：请先登录（命令行用 --operator 名字）。",
                             "this shop has several operators: sign in first (--operator NAME on the command line).",
                             "", "sign_in")


def changed_outside(name: str, why: tuple[str, str]) -> PermissionRefused:
    """The refusal of every operation to operator ``name`` whose stored rights are not what the
    shop log recorded (``why``: the disagreement, zh and en): the row was edited outside the desk."""
    return PermissionRefused(
        "operator_changed_outside",
        f"{why[0]}：操作员 {name} 暂不能操作，请店主运行 kashop-desktop check 查明。",
        f"{why[1]}: operator {name} may do nothing until the owner runs kashop-desktop check.", name, "sign_in")
