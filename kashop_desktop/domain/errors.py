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


class StoreError(DomainError):
    """The data file cannot serve this operation (not a rule of the shop)."""


class StoreBusy(StoreError):
    """Another process held the store's write lock for longer than the desk waits (CLI exit 4)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__("store_busy", zh, en)


class StoreUnusable(StoreError):
    """The data file is damaged, empty, or from a newer desk; nothing was written (CLI exit 5).

    ``path`` is the data file; ``code`` one of ``store_damaged``, ``store_empty``,
    ``schema_too_new``.
    """

    def __init__(self, code: str, zh: str, en: str, path: str = "") -> None:
        super().__init__(code, zh, en)
        self.path = path
