"""The services suite runs on both stores: the SQLite file and a PostgreSQL server."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _each_store(store_kind: str) -> str:
    return store_kind
