"""The shop's cancel policy, with per-product overrides, validated field by field."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .errors import PolicyError
from .money import Fen, format_yuan

#: The fee rate is kept in 万分之 (1/10,000): 10 means 0.1 %, 50 means 0.5 %.
FEE_RATE_MAX = 50


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    minimum: int
    maximum: int
    zh: str
    en: str


SPECS: dict[str, FieldSpec] = {
    s.name: s
    for s in (
        FieldSpec("unpaid_expiry_minutes", 1, 24 * 60, "未支付订单自动关闭(分钟)", "Unpaid orders expire after (minutes)"),
        FieldSpec("cooling_off_minutes", 5, 15, "冷静期(分钟)", "Cooling-off window (minutes)"),
        FieldSpec("auto_approve_ceiling_fen", 0, 100_000_00, "自动通过金额上限", "Auto-approve ceiling"),
        FieldSpec("fee_rate_permyriad", 0, FEE_RATE_MAX, "退款手续费", "Refund fee"),
        FieldSpec("risk_cancel_count", 1, 100, "风险：取消次数", "Risk: cancellations"),
        FieldSpec("risk_window_days", 1, 365, "风险：统计天数", "Risk: within days"),
        FieldSpec("response_business_days", 1, 10, "处理时限(工作日)", "Answer within (business days)"),
    )
}


@dataclass(frozen=True, slots=True)
class CancelPolicy:
    """Shop-wide defaults; products may override any field (see ``with_overrides``)."""

    unpaid_expiry_minutes: int = 15
    cooling_off_minutes: int = 10
    auto_approve_ceiling_fen: Fen = 100_00
    fee_rate_permyriad: int = 0
    risk_cancel_count: int = 3
    risk_window_days: int = 7
    response_business_days: int = 2
    no_refunds: bool = False

    def __post_init__(self) -> None:
        for spec in SPECS.values():
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PolicyError(spec.name, f"{spec.zh}必须是整数", f"{spec.en} must be an integer")
            if not spec.minimum <= value <= spec.maximum:
                raise PolicyError(
                    spec.name,
                    f"{spec.zh}必须在 {_show(spec, spec.minimum)} 到 {_show(spec, spec.maximum)} 之间",
                    f"{spec.en} must be between {_show(spec, spec.minimum)} and {_show(spec, spec.maximum)}",
                )
        if not isinstance(self.no_refunds, bool):
            raise PolicyError("no_refunds", "「不支持退款」必须是是/否", "'no refunds' must be true or false")

    def with_overrides(self, overrides: dict[str, Any] | None) -> CancelPolicy:
        """Return this policy with a product's overrides applied (validated again)."""
        if not overrides:
            return self
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            name = sorted(unknown)[0]
            raise PolicyError(name, f"未知的政策项：{name}", f"unknown policy field: {name}")
        return replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CancelPolicy:
        return cls().with_overrides({k: v for k, v in data.items() if k in {f.name for f in fields(cls)}})

    @property
    def fee_rate_percent_text(self) -> str:
        """0.1% style text for the fee rate."""
        whole, rest = divmod(self.fee_rate_permyriad, 100)
        return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") + "%"


#: The unit each policy key is written in (KEY=VALUE on the command line, the settings file).
UNITS: dict[str, tuple[str, str]] = {
    "unpaid_expiry_minutes": ("整数，单位为分钟", "a whole number of minutes"),
    "cooling_off_minutes": ("整数，单位为分钟", "a whole number of minutes"),
    "auto_approve_ceiling_fen": ("整数，单位为分（10000 分 = ¥100.00）", "a whole number of fen (10000 fen = ¥100.00)"),
    "fee_rate_permyriad": ("整数，单位为万分之（10 = 0.1%）", "a whole number per ten thousand (10 = 0.1%)"),
    "risk_cancel_count": ("整数，单位为次", "a whole number of cancellations"),
    "risk_window_days": ("整数，单位为天", "a whole number of days"),
    "response_business_days": ("整数，单位为工作日", "a whole number of business days"),
    "no_refunds": (" true 或 false（是/否）", "true or false"),
}
_WHOLE = re.compile(r"-?[0-9]+")
_BOOLS = {"true": True, "false": False, "是": True, "否": False}


def parse_policy_value(key: str, text: str) -> int | bool:
    """A policy value typed by a person, exactly of its key's type, or PolicyError.

    Whole-number keys take digits only (``100.0``, ``1e3``, ``¥100`` are refused, never
    reinterpreted); ``no_refunds`` takes ``true``/``false`` (or 是/否), never a guess. Range
    checks stay with ``CancelPolicy``. Errors name the key's unit (fen for money).
    """
    if key not in UNITS:
        raise PolicyError(key, f"未知的政策项：{key}（可用：{'、'.join(UNITS)}）",
                          f"unknown policy key: {key} (known: {', '.join(UNITS)})")
    unit_zh, unit_en = UNITS[key]
    value = text.strip()
    if key == "no_refunds":
        if value.lower() in _BOOLS:
            return _BOOLS[value.lower()]
    elif _WHOLE.fullmatch(value):
        return int(value)
    raise PolicyError(key, f"{key} 应为{unit_zh}，收到 {text!r}", f"{key} must be {unit_en}, got {text!r}")


#: The two keys the window shows in hundredths: the ceiling in yuan, the fee in percent.
DISPLAY_UNITS: dict[str, tuple[str, str]] = {
    "auto_approve_ceiling_fen": ("金额（元），最多两位小数，如 100 或 99.50", "an amount in yuan, at most two decimals (100 or 99.50)"),
    "fee_rate_permyriad": ("百分比，最多两位小数，如 0.1", "a percentage, at most two decimals (0.1)"),
}
_WHOLE_UNITS: dict[str, tuple[str, str]] = {
    "unpaid_expiry_minutes": ("整数（分钟）", "a whole number of minutes"),
    "cooling_off_minutes": ("整数（分钟）", "a whole number of minutes"),
    "risk_cancel_count": ("整数（次）", "a whole number of cancellations"),
    "risk_window_days": ("整数（天）", "a whole number of days"),
    "response_business_days": ("整数（工作日）", "a whole number of business days"),
}
_HUNDREDTHS = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?")


def parse_display_value(key: str, text: str) -> int:
    """A policy value as the settings window shows it, or PolicyError (message without the key).

    ``auto_approve_ceiling_fen`` is typed in yuan (returns fen), ``fee_rate_permyriad`` in
    percent (returns 1/10,000), every other number whole; ``100.0`` for minutes, ``1e2``,
    ``30.5`` or three decimals are refused, never reinterpreted. The range is checked too
    (``SPECS``), with the bounds in the same unit as the field.
    """
    spec = SPECS[key]
    value = text.strip()
    if key in DISPLAY_UNITS:
        match = _HUNDREDTHS.fullmatch(value.removeprefix("¥").removesuffix("元").removesuffix("%").strip())
        number = None if match is None else int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
        unit_zh, unit_en = DISPLAY_UNITS[key]
    else:
        number = int(value) if re.fullmatch(r"[0-9]+", value) else None
        unit_zh, unit_en = _WHOLE_UNITS[key]
    if number is None:
        raise PolicyError(key, f"应为{unit_zh}，收到 {text!r}", f"must be {unit_en}, got {text!r}")
    if not spec.minimum <= number <= spec.maximum:
        low, high = _show(spec, spec.minimum), _show(spec, spec.maximum)
        raise PolicyError(key, f"应在 {low} 到 {high} 之间", f"must be between {low} and {high}")
    return number


def display_text(key: str, value: int) -> str:
    """``value`` as the settings window shows it (``100.00`` yuan, ``0.10`` percent, ``15``)."""
    if key in DISPLAY_UNITS:
        return f"{value // 100}.{value % 100:02d}"
    return str(value)


def _show(spec: FieldSpec, value: int) -> str:
    if spec.name.endswith("_fen"):
        return "¥" + format_yuan(value)
    if spec.name == "fee_rate_permyriad":
        return f"{value / 100:.2f}%".replace(".00%", "%")
    return str(value)
