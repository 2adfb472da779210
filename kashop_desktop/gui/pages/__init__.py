"""The desk's pages besides the order list: review queue, refund queue, gateways, settings."""

from .gateways import GatewaysPage
from .refunds import RefundsPage
from .requests import RequestsPage
from .settings import SettingsPage

__all__ = ["GatewaysPage", "RefundsPage", "RequestsPage", "SettingsPage"]
