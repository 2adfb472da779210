"""The desk's pages besides the order list: review queue, refund queue, products, card codes,
gateways, settings."""

from .codes import CodesPage
from .gateways import GatewaysPage
from .products import ProductsPage
from .refunds import RefundsPage
from .requests import RequestsPage
from .settings import SettingsPage

__all__ = ["CodesPage", "GatewaysPage", "ProductsPage", "RefundsPage", "RequestsPage", "SettingsPage"]
