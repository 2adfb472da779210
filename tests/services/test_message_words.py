"""check's and the guards' messages name states as the desk shows them, and count in English."""

from __future__ import annotations

from kashop_desktop.services.chain_anchor import _behind
from kashop_desktop.services.state_words import order_status_words, refund_state_words


def test_state_codes_read_as_their_labels_and_unknown_ones_as_stored() -> None:
    assert order_status_words("partially_refunded") == ("部分退款", "Partially refunded")
    assert refund_state_words("failed") == ("退款失败", "Refund failed")
    assert order_status_words("hacked") == ("hacked", "hacked") and refund_state_words(None) == ("-", "-")


def test_one_row_behind_the_anchor_is_one_row() -> None:
    assert "1 log row was written" in _behind(1)[1] and "2 log rows were written" in _behind(2)[1]
