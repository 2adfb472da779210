"""Why the operator at the desk may not do something, as a tooltip for a greyed-out control.

The rights themselves are the services' (``Desk.require``, the table in ``domain.roles``);
this only reads that table so the window can grey out in advance what would be refused, with
the services' own words for it.
"""

from __future__ import annotations

from ...domain.roles import Right, not_signed_in, refusal
from ...services.desk import Desk
from ..dialogs.base import pick


def refuse_reason(desk: Desk, right: Right) -> str | None:
    """The reason ``desk``'s operator may not do what ``right`` names, or None when they may."""
    who = desk.operator
    if who is not None and who.may(right):
        return None
    exc = refusal(who.name, who.role, right) if who is not None else not_signed_in()
    return pick(exc.zh, exc.en)
