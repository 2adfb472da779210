"""Domain errors carry a stable code and a message in Chinese and English."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused something. `code` is stable; `zh` and `en` are for people."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def bilingual(self) -> str:
        return f"{self.zh}\n{self.en}"


class MoneyError(DomainError, ValueError):
    """A money amount could not be parsed or is out of range."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__("invalid_amount", zh, en)


class TransitionError(DomainError):
    """An order state change that the rules do not allow."""


class PolicyError(DomainError, ValueError):
    """A cancel policy value is out of its allowed range."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__(f"invalid_policy.{field}", zh, en)
        self.field = field
