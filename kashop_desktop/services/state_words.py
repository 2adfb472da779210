"""The words people read for a stored state code in check's and the guards' messages.

An order's status or a refund's state is stored as a code (``partially_refunded``, ``succeeded``);
a message for the owner names it as the desk shows it everywhere else (部分退款 / Partially
refunded), and a code the desk does not know (edited outside it) is shown as stored.
"""

from __future__ import annotations

from ..domain.refund_states import RefundStatus
from ..domain.states import OrderStatus

__all__ = ["order_status_words", "refund_state_words"]


def order_status_words(code: object) -> tuple[str, str]:
    """(zh, en) label of order status ``code``; an unknown code as stored, a missing one as -."""
    try:
        status = OrderStatus(str(code))
    except ValueError:
        return (str(code) if code is not None else "-",) * 2
    return status.zh, status.en


def refund_state_words(code: object) -> tuple[str, str]:
    """(zh, en) label of refund state ``code``; an unknown code as stored, a missing one as -."""
    try:
        state = RefundStatus(str(code))
    except ValueError:
        return (str(code) if code is not None else "-",) * 2
    return state.zh, state.en
