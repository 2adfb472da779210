"""The desk's pages besides the order list: review queue, refund queue, products, card codes,
reports, gateways, settings."""

from .codes import CodesPage
from .gateways import GatewaysPage
from .products import ProductsPage
from .refunds import RefundsPage
from .reports import ReportsPage
from .requests import RequestsPage
from .settings import SettingsPage

__all__ = ["CodesPage", "GatewaysPage", "ProductsPage", "RefundsPage", "ReportsPage", "RequestsPage",
           "SettingsPage"]
