"""A product's and a gateway account's name: one line of at most 200 characters (the import reads
names up to the same length); longer, or with a line break or a control character, is refused and
nothing is written."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ProductType
from kashop_desktop.services import products
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.gateways import save_account
from kashop_desktop.store.models import GatewayAccount, Product


@pytest.mark.parametrize("bad", ["很" * 201, "点券\n退款成功", "点券\x1b[31m"], ids=["long", "newline", "escape"])
def test_a_name_of_more_than_one_line_or_200_characters_is_refused(desk: Desk, bad: str) -> None:
    with pytest.raises(DomainError) as refused:
        products.add_product(desk, bad, ProductType.CARD_CODE, 10_00)
    assert refused.value.code == "invalid_name" and "200" in refused.value.zh
    products.add_product(desk, "点" * 200, ProductType.CARD_CODE, 10_00)  # at the limit: taken
    with pytest.raises(DomainError) as renamed:
        products.set_product(desk, "点" * 200, {"name": bad})
    assert renamed.value.code == "invalid_name"
    with pytest.raises(DomainError) as account:
        save_account(desk, bad, "sandbox", {"scenario": "success"})
    assert account.value.code == "invalid_name"
    assert [p.name for p in Product.select()] == ["点" * 200]
    assert not GatewayAccount.select().where(GatewayAccount.name == bad).exists()
