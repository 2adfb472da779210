"""Product names a person would read as one: refused at add and rename, naming the product there."""

from __future__ import annotations

import pytest

from kashop_desktop.domain.errors import DomainError
from kashop_desktop.domain.order import ProductType
from kashop_desktop.services.desk import Desk
from kashop_desktop.services.products import add_product, set_product
from kashop_desktop.store.models import Product


@pytest.mark.parametrize("typed", ["steam 钱包 50", "Ｓｔｅａｍ 钱包 50", "Steam  钱包 50", "STEAM钱包50", "Steam 钱包 50"])
def test_a_look_alike_of_an_existing_product_is_refused(desk: Desk, typed: str) -> None:
    add_product(desk, "Steam 钱包 50", ProductType.CARD_CODE, 50_00)
    with pytest.raises(DomainError) as refused:
        add_product(desk, typed, ProductType.CARD_CODE, 50_00)
    assert refused.value.code == "product_exists" and "Steam 钱包 50" in refused.value.zh
    assert Product.select().count() == 1


def test_a_rename_to_a_look_alike_is_refused_but_its_own_case_may_change(desk: Desk) -> None:
    add_product(desk, "Steam 钱包 50", ProductType.CARD_CODE, 50_00)
    add_product(desk, "Steam 钱包 100", ProductType.CARD_CODE, 100_00)
    with pytest.raises(DomainError) as refused:
        set_product(desk, "Steam 钱包 100", {"name": "steam 钱包 50"})
    assert refused.value.code == "product_exists" and "Steam 钱包 50" in refused.value.en
    set_product(desk, "Steam 钱包 50", {"name": "STEAM 钱包 50"})  # the product's own name, another case
    assert Product.select().where(Product.name == "STEAM 钱包 50").exists()
