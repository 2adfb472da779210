"""Changing the shop's cancel policy: the one path the window and ``policy set`` both take.

Values arrive already typed (``domain.policy.parse_policy_value`` for the command line's fen
and 万分之, ``parse_display_value`` for the window's yuan and percent); the merged policy is
validated as a whole (``CancelPolicy`` raises PolicyError) before anything is written, so an
invalid value changes nothing.
"""

from __future__ import annotations

from typing import Any

from ..domain.policy import CancelPolicy
from .desk import Desk


def policy_with(desk: Desk, changes: dict[str, Any]) -> CancelPolicy:
    """The current policy with ``changes`` (key -> int fen / minutes / ... or bool) applied.
    Raises PolicyError (bilingual) for an unknown key or a value out of range; writes nothing."""
    return CancelPolicy.from_dict({**desk.policy().to_dict(), **changes})


def set_policy_values(desk: Desk, changes: dict[str, Any]) -> CancelPolicy:
    """Validate and save ``changes``; returns the policy now in force. PolicyError: nothing saved."""
    with desk.atomic():
        policy = policy_with(desk, changes)
        desk.set_policy(policy)
    return policy
