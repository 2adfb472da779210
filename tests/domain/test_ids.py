"""The one check of a typed trade no (补单) and a manual payment's reference (凭证号)."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.ids import MAX_TRADE_NO, check_reference, check_trade_no, id_problem
from kashop_desktop.services.imports.cells import CellError, read_id


@pytest.mark.parametrize("text", ["A B", "AB\tC", "AB\nCD", "AB\x1b[31m", "9" * (MAX_TRADE_NO + 1),
                                  "2.02611E+17", "2.0261129e-05", "20261129123456.0", "7.00"])
def test_what_no_payment_id_can_be_is_refused_the_same_way_by_both_checks(text: str) -> None:
    assert id_problem(text) is not None
    with pytest.raises(DomainError) as trade:
        check_trade_no(text)
    with pytest.raises(DomainError) as reference:
        check_reference(text)
    assert (trade.value.code, reference.value.code) == ("bad_trade_no", "bad_reference")
    assert trade.value.zh.startswith("交易号") and reference.value.zh.startswith("凭证号")


@pytest.mark.parametrize("text", ["4200001234202611291234567890", "2026112922001411111111111111", "TX-2026/11#7",
                                  "9" * MAX_TRADE_NO, "E17", "12E", "2026112922001E17", "1.5", ""])
def test_real_ids_pass_stripped(text: str) -> None:
    assert id_problem(text) is None
    assert check_trade_no(f"  {text} ") == text and check_reference(f"\t{text}\n") == text


@pytest.mark.parametrize("text", ["2.02611E+17", "20261129123456.0", "A B"])
def test_the_import_refuses_the_same_excel_forms(text: str) -> None:
    # The import reads its ids with the same forms (and its own hint about the column's format).
    with pytest.raises(CellError):
        read_id(text)


def test_one_transfer_cannot_be_typed_two_ways() -> None:
    # Full-width letters and digits are the ASCII ones; a reference is the same in any case.
    assert check_reference("ＢＴ-０００２") == check_reference("bt-0002") == check_reference("BT-0002") == "BT-0002"
    assert check_trade_no("ＴＸ２０２６") == "TX2026" and check_trade_no("tx2026") == "tx2026"  # a gateway's, as typed
