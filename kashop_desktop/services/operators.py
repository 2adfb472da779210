"""Operators: who works the desk, their roles, passwords and approval limits, and signing in.

A shop starts with one operator, the owner (店主), and needs no sign-in (single-owner mode)
until the owner adds a second active operator; from then on the window asks who is working and
the command line needs ``--operator NAME``. Passwords are stored only as argon2id hashes
(argon2-cffi, its default parameters: RFC 9106's second recommended option) and never logged.
Five wrong passwords in a row lock the operator for 15 minutes; the count and the lock are in
the store, so a restart does not clear them. Every change here and every sign-in, failed or
not, goes to the shop log (``Desk.log``).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..domain.audit import digest_mark
from ..domain.clock import from_epoch, to_epoch
from ..domain.errors import DomainError
from ..domain.money import format_yuan
from ..domain.roles import (
    CLERK_START_LIMIT_FEN,
    LOCK_SECONDS,
    MAX_TRIES,
    Identity,
    PermissionRefused,
    Right,
    Role,
)
from ..store.models import AuditEvent, Operator
from .desk import Desk

_HASHERS: list[Any] = []


def _hasher() -> Any:
    """argon2-cffi's PasswordHasher with its defaults, imported on first use (not at start-up)."""
    if not _HASHERS:
        from argon2 import PasswordHasher

        _HASHERS.append(PasswordHasher())
    return _HASHERS[0]
MIN_PASSWORD = 6
MAX_NAME = 32
#: Minutes without input after which the window asks who is working again (a setting).
IDLE_SETTING = "idle_minutes"
DEFAULT_IDLE_MINUTES = 15


@dataclass(frozen=True)
class OperatorView:
    """One operator as listed: ``approve_limit_fen`` None means no limit; ``locked_until`` is
    the end of a lock-out (Beijing time) or None."""

    name: str
    role: Role
    approve_limit_fen: int | None
    active: bool
    has_password: bool
    locked_until: datetime | None
    created_at: datetime


def _view(row: Operator, now: datetime) -> OperatorView:
    held = lock_time(row.locked_until)
    locked = from_epoch(held) if held is not None and held > to_epoch(now) else None
    created = from_epoch(row.created_at)
    assert created is not None
    return OperatorView(row.name, Role.of(row.role), row.approve_limit_fen, row.disabled_at is None,
                        bool(row.password_hash), locked, created)


def list_operators(desk: Desk) -> list[OperatorView]:
    """Every operator, active ones first, then by name."""
    now = desk.now()
    rows = Operator.select().order_by(Operator.disabled_at.is_null(False), Operator.name)
    return [_view(r, now) for r in rows]


def name_key(name: str) -> str:
    """What tells two operator names apart: compatibility-folded (NFKC: full-width ＢＯＢ is BOB),
    case-folded, without spaces (小　王 is 小王). Names with one key are one operator."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def _find(name: str) -> Operator | None:
    """The operator named ``name``, exactly or by ``name_key`` (sign-in as bob finds Bob)."""
    row = Operator.get_or_none(Operator.name == name.strip())
    if row is not None:
        return row
    key = name_key(name)
    return next((r for r in Operator.select() if name_key(r.name) == key), None) if key else None


def _get(name: str) -> Operator:
    row = _find(name)
    if row is None:
        raise DomainError("operator_not_found", f"没有名为 {name} 的操作员", f"no operator named {name}")
    return row


#: Names the timeline's By column uses for the desk's own actors: an operator so named would be
#: taken for them (compared ignoring case).
RESERVED_NAMES = frozenset({"系统", "网关", "买家", "system", "gateway", "buyer"})


def check_name(name: str) -> str:
    """The name as stored (trimmed); DomainError ``invalid_operator_name`` when empty, longer
    than MAX_NAME characters, holding control characters, or one of RESERVED_NAMES."""
    name = " ".join(unicodedata.normalize("NFKC", name).split())  # full-width forms folded, spaces squeezed
    if not name or len(name) > MAX_NAME or any(unicodedata.category(c).startswith("C") for c in name):
        raise DomainError("invalid_operator_name", f"操作员名字须为 1 到 {MAX_NAME} 个字符，不含控制字符",
                          f"an operator's name is 1 to {MAX_NAME} characters, without control characters")
    if name.casefold() in RESERVED_NAMES:
        raise DomainError("invalid_operator_name", f"“{name}”是时间线里软件自己的名字，不能用作操作员名字",
                          f"\"{name}\" names the desk's own actions in the timeline: not an operator's name")
    return name


def check_password(password: str) -> None:
    """DomainError ``weak_password`` for a password shorter than MIN_PASSWORD characters."""
    if len(password) < MIN_PASSWORD:
        raise DomainError("weak_password", f"密码至少 {MIN_PASSWORD} 个字符", f"a password needs at least {MIN_PASSWORD} characters")


#: ``add``'s and ``change``'s default for the approval limit: the starting one for a new clerk,
#: else leave it as it is (None means no limit).
KEEP: Any = object()


def _limit_text(limit_fen: int | None) -> str:
    return "none" if limit_fen is None else format_yuan(limit_fen)


def _limit_data(limit_fen: int | None) -> dict[str, Any]:
    """How the shop log records an approval limit: for people, and in fen for ``check``."""
    return {"approve_limit": _limit_text(limit_fen), "approve_limit_fen": limit_fen}


def add(desk: Desk, name: str, role: Role, password: str, *, approve_limit_fen: Any = KEEP) -> OperatorView:
    """Add an operator (owner only). A clerk's ``approve_limit_fen`` (fen; None: no limit) caps
    the refunds they approve; left out (KEEP), a clerk starts with ``CLERK_START_LIMIT_FEN`` and
    anyone else has none. Refused while an active owner has no password yet (once there
    are two operators, everyone signs in) and for a name already taken."""
    desk.require(Right.OPERATORS)
    name = check_name(name)
    check_password(password)
    if approve_limit_fen is KEEP:
        approve_limit_fen = CLERK_START_LIMIT_FEN if role is Role.CLERK else None
    if approve_limit_fen is not None and approve_limit_fen < 0:
        raise DomainError("invalid_limit", "审批额度不能为负", "an approval limit cannot be negative")
    if approve_limit_fen is not None and role is not Role.CLERK:
        raise DomainError("limit_for_clerks", f"审批额度只用于店员：{name} 是{role.zh}",
                          f"approval limits are for clerks: {name} is a {role.en}")
    with desk.atomic():
        bare = [r.name for r in Operator.select().where(
            (Operator.role == Role.OWNER.code) & Operator.disabled_at.is_null() & (Operator.password_hash == ""))]
        if bare:
            raise DomainError(
                "owner_needs_password",
                f"添加操作员后每个人都要登录：请先为店主 {bare[0]} 设置密码（operators passwd {bare[0]}）。",
                f"once there are several operators everyone signs in: set a password for the owner {bare[0]} first "
                f"(operators passwd {bare[0]}).")
        taken = [r.name for r in Operator.select(Operator.name) if name_key(r.name) == name_key(name)]
        if taken:  # Bob and bob, 小王 and 小 王 would be told apart by nobody reading the log
            raise DomainError("operator_exists", f"已有名为 {taken[0]} 的操作员（名字不区分大小写、全角半角和空格）",
                              f"there is already an operator named {taken[0]} (names ignore case, full-width "
                              "forms and spaces)")
        now = to_epoch(desk.now())
        row = Operator.create(name=name, role=role.code, password_hash=_hasher().hash(password),
                              approve_limit_fen=approve_limit_fen, created_at=now, updated_at=now)
        desk.log("operator_added", name, "", {"role": role.code, **_limit_data(approve_limit_fen),
                                              "digest": digest_mark(row.password_hash)})
    return _view(row, desk.now())


def set_password(desk: Desk, name: str, password: str) -> None:
    """Set an operator's password: their own, or anyone's by the owner. Clears a lock-out."""
    row = _get(name)
    if desk.operator is None or desk.operator.name != row.name:
        desk.require(Right.OPERATORS)
    check_password(password)
    with desk.atomic():
        digest = _hasher().hash(password)
        Operator.update(password_hash=digest, failed_tries=0, locked_until=None,
                        updated_at=to_epoch(desk.now())).where(Operator.id == row.id).execute()
        desk.log("password_changed", row.name, "", {"digest": digest_mark(digest)})


def _last_owner_guard(row: Operator) -> None:
    others = Operator.select().where((Operator.role == Role.OWNER.code) & Operator.disabled_at.is_null()
                                     & (Operator.id != row.id)).count()
    if row.role == Role.OWNER.code and row.disabled_at is None and others == 0:
        raise DomainError("last_owner", f"{row.name} 是唯一在用的店主：不能停用或降级（先添加另一位店主）",
                          f"{row.name} is the only active owner: cannot be disabled or demoted (add another owner first)")


def set_active(desk: Desk, name: str, active: bool) -> None:
    """Disable or enable an operator (owner only). The last active owner cannot be disabled. An
    operator already so is left as is, and nothing is logged."""
    desk.require(Right.OPERATORS)
    with desk.atomic():
        row = _get(name)
        if (row.disabled_at is None) == active:
            return  # already so: nothing changes, nothing is logged
        if not active:
            _last_owner_guard(row)
        Operator.update(disabled_at=None if active else to_epoch(desk.now()), updated_at=to_epoch(desk.now())
                        ).where(Operator.id == row.id).execute()
        desk.log("operator_enabled" if active else "operator_disabled", row.name)
    desk.sign_in(desk.operator if desk.operator else desk.sole_owner())


def set_role(desk: Desk, name: str, role: Role) -> None:
    """Change an operator's role (owner only). The last active owner cannot be demoted."""
    change(desk, name, role=role)


def set_limit(desk: Desk, name: str, approve_limit_fen: int | None) -> None:
    """Set an operator's approval limit in fen (None: no limit); owner only."""
    change(desk, name, approve_limit_fen=approve_limit_fen)


def change(desk: Desk, name: str, *, role: Role | None = None, approve_limit_fen: Any = KEEP) -> OperatorView:
    """Change an operator's role and/or approval limit in one transaction (owner only); the
    operator as stored afterwards. ``approve_limit_fen``: fen, None for no limit, KEEP to leave
    it. Each change is written to the shop log as ``operators set-role`` / ``set-limit`` write
    it (``operator_role`` with the role's code, ``operator_limit`` with the yuan or "none").

    Refused (DomainError): ``operator_not_found``; ``last_owner`` (demoting the only active
    owner); ``limit_for_clerks`` (a limit for an operator who is not, or will not be, a clerk);
    ``invalid_limit`` (negative). A clerk's stored limit stays while they have another role, so
    making them a clerk again does not lift it; someone made a clerk with no stored limit and
    none given starts with ``CLERK_START_LIMIT_FEN``, as a new clerk does.
    """
    desk.require(Right.OPERATORS)
    if approve_limit_fen is not KEEP and approve_limit_fen is not None and approve_limit_fen < 0:
        raise DomainError("invalid_limit", "审批额度不能为负", "an approval limit cannot be negative")
    with desk.atomic():
        row = _get(name)
        target = role if role is not None else Role.of(row.role)
        if role is not None and role is not Role.OWNER:
            _last_owner_guard(row)
        if approve_limit_fen is not KEEP and target is not Role.CLERK:
            raise DomainError("limit_for_clerks", f"审批额度只用于店员：{row.name} 是{target.zh}",
                              f"approval limits are for clerks: {row.name} is a {target.en}")
        now = to_epoch(desk.now())
        if (approve_limit_fen is KEEP and role is Role.CLERK and row.role != Role.CLERK.code
                and row.approve_limit_fen is None and not _was_unlimited_clerk(row.name)):
            approve_limit_fen = CLERK_START_LIMIT_FEN
        if role is not None:
            Operator.update(role=role.code, updated_at=now).where(Operator.id == row.id).execute()
            desk.log("operator_role", row.name, "", {"role": role.code})
        if approve_limit_fen is not KEEP:
            Operator.update(approve_limit_fen=approve_limit_fen, updated_at=now).where(Operator.id == row.id).execute()
            desk.log("operator_limit", row.name, "", _limit_data(approve_limit_fen))
        changed = Operator.get_by_id(row.id)
    return _view(changed, desk.now())


def _was_unlimited_clerk(name: str) -> bool:
    """Whether the shop log's last word on ``name``'s limit as a clerk was "no limit" (set with
    ``set-limit none``, or added as a clerk with none): a clerk made viewer and clerk again keeps
    it, as a clerk with a limit keeps theirs (no stored limit is otherwise a non-clerk's)."""
    for event in (AuditEvent.select(AuditEvent.action, AuditEvent.data)
                  .where((AuditEvent.subject == name) & AuditEvent.action.in_(("operator_limit", "operator_added")))
                  .order_by(AuditEvent.id.desc())):
        data = json.loads(event.data or "{}")
        if event.action == "operator_added" and data.get("role") != Role.CLERK.code:
            return False
        return "approve_limit_fen" in data and data["approve_limit_fen"] is None
    return False


def _wrong() -> DomainError:
    """The one answer to a sign-in refused for its name or password, whether the name exists or is
    locked out: a guesser learns nothing more (the owner sees lock-outs in 操作员 / operators list)."""
    minutes = LOCK_SECONDS // 60
    return DomainError("sign_in_failed",
                       f"操作员名字或密码不对，或该操作员因连续 {MAX_TRIES} 次输错密码已暂时锁定（{minutes} 分钟；店主可重设其密码解锁）",
                       f"wrong operator name or password, or the operator is locked for a while after {MAX_TRIES} "
                       f"wrong passwords ({minutes} minutes; the owner can unlock by setting a new password)")


def sign_in(desk: Desk, name: str, password: str, *, record: bool = True, switching: bool = False) -> Identity:
    """Check ``name``'s password and work as them from now on; the Identity signed in.

    ``name`` is matched as ``name_key`` folds it (bob signs in as Bob). Refused (DomainError,
    recorded in the shop log): an unknown name, a wrong password, or an operator locked out
    (``sign_in_failed``, the same message for all three: it never tells that a name exists; the
    owner sees lock-outs in ``list_operators``), a disabled operator (with the right password
    only). The fifth wrong password in a row locks the
    operator for LOCK_SECONDS. ``record=False`` (a command that only reads): a successful
    sign-in writes nothing unless it clears earlier wrong tries, so the command takes no write
    lock and runs beside another process's write; failures are always written. ``switching``
    (the window's 切换操作员): the operator at the desk stays signed in until the password is
    right, then a ``signed_out`` row in their name comes before the new ``signed_in``.
    """
    now = desk.now()
    row = _find(name)
    if row is None:
        desk.log("sign_in_failed", name.strip()[:MAX_NAME], "unknown name")
        raise _wrong()
    if row.disabled_at is not None:
        desk.log("sign_in_failed", row.name, "disabled")
        if not _verified(row.password_hash, password):
            raise _wrong()  # a guesser is not told the name exists
        raise DomainError("operator_disabled", f"操作员 {row.name} 已停用", f"operator {row.name} is disabled")
    held = lock_time(row.locked_until)
    if held is not None and held > to_epoch(now):
        desk.log("sign_in_failed", row.name, "locked")
        raise _wrong()  # the lock-out is not told: it would say the name exists
    if not row.password_hash:  # emptied outside the desk: no password can match, say why
        _check_row(desk, row)
    if not _verified(row.password_hash, password):
        raise _failed(desk, row, now)
    _check_row(desk, row)
    who = Identity(row.name, Role.of(row.role), row.approve_limit_fen)
    if switching and desk.operator is not None and desk.operator.name != row.name:
        desk.log("signed_out", desk.operator.name)
    desk.sign_in(who)
    if not record and not row.failed_tries and not row.locked_until:
        return who
    with desk.atomic():
        Operator.update(failed_tries=0, locked_until=None).where(Operator.id == row.id).execute()
        rehashed: dict[str, Any] = {}
        if _hasher().check_needs_rehash(row.password_hash):
            digest = _hasher().hash(password)
            Operator.update(password_hash=digest).where(Operator.id == row.id).execute()
            rehashed = {"digest": digest_mark(digest)}
        desk.log("signed_in", row.name, "", rehashed)
    return who


def _check_row(desk: Desk, row: Operator) -> None:
    """Refuse (PermissionRefused ``operator_changed_outside``, recorded) an operator row the shop
    log's entries did not make (``Desk.check_rights``): a digest emptied or swapped outside the
    desk gets this message, not the generic wrong-password one."""
    try:
        desk.check_rights(row.name, (row.role, row.approve_limit_fen, row.disabled_at, row.password_hash))
    except PermissionRefused as refused:
        desk.log_refusal(refused)
        raise


def _verified(stored: str, password: str) -> bool:
    if not stored:
        return False  # no password set: nobody signs in as this operator (the owner alone needs none)
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def _failed(desk: Desk, row: Operator, now: datetime) -> DomainError:
    """Count one wrong password. The count is one ``failed_tries = failed_tries + 1`` inside the
    IMMEDIATE transaction that reads it back, so guesses made at once by several processes are
    each counted and the fifth in a row locks, whichever process makes it."""
    now_s = to_epoch(now)
    with desk.atomic():
        Operator.update(failed_tries=Operator.failed_tries + 1).where(Operator.id == row.id).execute()
        tries, current = desk.db.connection().execute(
            "SELECT failed_tries, locked_until FROM operator WHERE id = ?", (row.id,)).fetchone()
        tries = int(tries)
        held = lock_time(current)
        if held is not None and held > now_s:  # another guess locked it meanwhile: it stays locked
            locked_until: int | None = held
        elif tries >= MAX_TRIES:
            locked_until = to_epoch(now + timedelta(seconds=LOCK_SECONDS))
            Operator.update(failed_tries=0, locked_until=locked_until).where(Operator.id == row.id).execute()
        else:
            locked_until = None
        desk.log("sign_in_failed", row.name, "wrong password", {"tries": tries, "locked": locked_until is not None})
    return _wrong()  # locked or not, the same answer


def lock_time(value: object) -> int | None:
    """A stored ``locked_until`` as epoch seconds, or None when there is none or it does not read
    as a whole number (a value edited outside the desk counts as no lock: the tries go on counting
    and the next lock writes a proper one)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def sign_out(desk: Desk) -> None:
    """Stop working as the signed-in operator (the window then asks who is working)."""
    if desk.operator is not None:
        desk.log("signed_out", desk.operator.name)
    desk.sign_in(desk.sole_owner())


def idle_minutes(desk: Desk) -> int:
    """Minutes without input before the window asks who is working again (0: never)."""
    value = desk.setting(IDLE_SETTING, DEFAULT_IDLE_MINUTES)
    return value if isinstance(value, int) and 0 <= value <= 24 * 60 else DEFAULT_IDLE_MINUTES


def set_idle_minutes(desk: Desk, minutes: int) -> None:
    """Set the idle time (0-1440 minutes, 0: never ask again while the window is open); owner only."""
    if not 0 <= minutes <= 24 * 60:
        raise DomainError("invalid_idle_minutes", "空闲时间须在 0 到 1440 分钟之间", "the idle time must be 0-1440 minutes")
    desk.set_setting(IDLE_SETTING, minutes)


def has_password(desk: Desk, name: str) -> bool:
    """Whether operator ``name`` has a password set (the owner working alone may have none)."""
    row = Operator.get_or_none(Operator.name == name.strip())
    return bool(row and row.password_hash)


#: Why a shop asks who is working (``sign_in_need``).
SEVERAL_ACTIVE = "several_active"  # two or more active operators
OTHERS_DISABLED = "others_disabled"  # the owner alone is active, the others disabled, the owner has a password
OWNER_LEFT_ALONE = "owner_left_alone"  # only the owner's row is left, but the log records another operator added


def sign_in_need(desk: Desk) -> tuple[str, str] | None:
    """Why someone must sign in, as (reason, the owner's name when the owner is the only active
    operator, else ""), or None in single-owner mode (``Desk.sole_owner``). The reasons are
    SEVERAL_ACTIVE, OTHERS_DISABLED and OWNER_LEFT_ALONE: the other operators' rows were deleted
    but the shop log records one added, so sign-in stays on (``Desk.sole_owner``)."""
    if desk.sole_owner() is not None:
        return None
    active = list(Operator.select(Operator.name, Operator.role).where(Operator.disabled_at.is_null()).limit(2))
    if len(active) != 1 or active[0].role != Role.OWNER.code:
        return SEVERAL_ACTIVE, ""
    owner = str(active[0].name)
    if Operator.select().where(Operator.disabled_at.is_null(False)).exists():
        return OTHERS_DISABLED, owner
    return OWNER_LEFT_ALONE, owner
