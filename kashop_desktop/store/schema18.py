"""Schema 18: two secondary indexes that only repeat the front of another are dropped.

* ``order_event_order_id`` on ``order_event (order_id)``: peewee's default index for the
  timeline's foreign key, while ``order_event_order_id_id`` on ``(order_id, id)`` answers every
  look-up by order (a timeline in its order, the checks' first/last entry of an order, the
  refund guard's entries of one order) and the cascade from a deleted order.
* ``orders_product_id`` on ``orders (product_id)``: the default index of the order's product,
  while ``orders_product_id_created_at_id`` on ``(product_id, created_at, id)`` answers every
  look-up by product and the RESTRICT check when a product is deleted.

SQLite's foreign-key checks look the child key up as an ordinary query would (SQLite
documentation, "SQLite Foreign Key Support", section 3, "Required and Suggested Database
Indexes"), so any index whose leftmost column is that key serves them; PostgreSQL likewise uses
a B-tree for a condition on its leading column (PostgreSQL 15 manual, "Multicolumn Indexes").
Each dropped index cost every insert of an order or a timeline entry a B-tree write, and a bulk
load's rebuild (``store.bulkload``) one more sort of the whole table: the figures are in the
README (import speed).

New stores never make them (the models declare ``index=False``); this migration drops them
where they exist, on the file and on a server alike (``DROP INDEX IF EXISTS`` is the same in
both dialects). A bulk load set aside before this migration recorded the CREATE statement of
``orders_product_id``: ``bulkload.put_back`` skips the names in ``RETIRED`` so that finishing
such a load does not bring it back. A desk of an older version still open on the store while it
was upgraded knows no better and may build it again as it finishes a load; every open of the
file drops a retired index it finds (``store.db._retired_indexes``).
"""

from __future__ import annotations

from typing import Any

#: The indexes schema 18 retired: (name, the index that serves its look-ups instead).
RETIRED_WITH_SUCCESSOR = (
    ("order_event_order_id", "order_event_order_id_id"),
    ("orders_product_id", "orders_product_id_created_at_id"),
)
RETIRED: frozenset[str] = frozenset(name for name, _ in RETIRED_WITH_SUCCESSOR)


def migrate(db: Any) -> None:
    """Drop the retired indexes where they exist (either dialect: ``db.execute_sql``)."""
    for name, _ in RETIRED_WITH_SUCCESSOR:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
