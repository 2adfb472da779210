"""Peewee models. Times are epoch seconds (UTC); money is integer fen."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BlobField,
    BooleanField,
    CharField,
    DatabaseProxy,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Setting(BaseModel):
    key = CharField(primary_key=True)
    value = TextField()  # JSON


class Product(BaseModel):
    id = AutoField()
    name = CharField(unique=True)
    product_type = CharField()  # card_code | direct_recharge | physical
    price_fen = IntegerField(default=0)
    stock = IntegerField(default=0)  # units free to reserve (直充 / 实物; 卡密 count their codes)
    policy_overrides = TextField(default="{}")  # JSON, validated by the domain policy
    # schema 6: the card-code inventory
    sku = CharField(default="", constraints=[SQL("DEFAULT ''")])  # SKU or face value as the shop writes it
    face_value_fen = IntegerField(null=True)
    low_stock_threshold = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])  # 0: no warning
    low_stock_raised = BooleanField(default=False, constraints=[SQL("DEFAULT 0")])
    reusable = BooleanField(default=False, constraints=[SQL("DEFAULT 0")])  # 循环卡密: one code for every buyer


class CardCode(BaseModel):
    """A 卡密 in stock, sealed (schema 6): ``sealed`` is the AES-GCM token, ``digest`` the keyed
    hash that finds duplicates (services.codekeys); ``state`` a domain.codes.CodeState value;
    ``order_id`` the order holding it (reserved) or that it went to (delivered)."""
    # peewee adds these for the foreign keys; declared so type checkers know them.
    product_id: int

    id = AutoField()
    product = ForeignKeyField(Product, backref="codes", on_delete="CASCADE")
    sealed = TextField()
    digest = CharField(unique=True)
    hint = CharField(default="")
    state = CharField(default="available")
    order_id = IntegerField(null=True, index=True)
    batch = CharField(default="")
    cost_fen = IntegerField(default=0)
    imported_at = IntegerField(default=0)
    changed_at = IntegerField(default=0)
    used = CharField(default="unknown")

    class Meta:
        indexes = ((("product", "state", "id"), False),)


class CodeEvent(BaseModel):
    """The inventory's own timeline: imports, locks, voids, deletions, 回库, low-stock warnings."""

    id = AutoField()
    product_id = IntegerField(null=True, index=True)
    code_id = IntegerField(null=True)
    order_id = IntegerField(null=True)
    at = IntegerField()
    actor = CharField()
    action = CharField()
    note = TextField(default="")
    data = TextField(default="{}")
    operator = CharField(default="", constraints=[SQL("DEFAULT ''")])  # schema 14: who was at the desk
    prev_id = IntegerField(null=True)  # schema 14: the chain (domain.audit)
    hash = BlobField(null=True)  # schema 14


class Coupon(BaseModel):
    code = CharField(primary_key=True)
    discount_fen = IntegerField()
    used_by_order = IntegerField(null=True)


class Buyer(BaseModel):
    id = AutoField()
    contact = CharField(unique=True)  # the canonical key (domain.contacts.contact_key)
    flagged = BooleanField(default=False)  # flagged by hand, on top of the automatic rule
    note = TextField(default="")  # the owner's note on this buyer (shown with every order of theirs)
    note_at = IntegerField(null=True)  # schema 5: when the note was last written
    blocked_at = IntegerField(null=True)  # schema 5: on the blocklist since (None: not blocked)
    blocked_reason = TextField(default="", constraints=[SQL("DEFAULT ''")])  # schema 5
    orders_count = IntegerField(default=0)
    cancel_count = IntegerField(default=0)
    last_cancel_at = IntegerField(null=True)


class BuyerCancellation(BaseModel):
    """One cancellation by a buyer, for the 'N in D days' risk rule."""
    # peewee adds these for the foreign keys; declared so type checkers know them.
    buyer_id: int

    id = AutoField()
    buyer = ForeignKeyField(Buyer, backref="cancellations", on_delete="CASCADE")
    order_id = IntegerField()
    at = IntegerField()

    class Meta:
        indexes = ((("buyer", "at"), False),)


class GatewayAccount(BaseModel):
    id = AutoField()
    name = CharField(unique=True)
    kind = CharField()
    config = TextField(default="{}")  # JSON, never secrets
    secret_ref = CharField(default="")  # where the secrets live (keyring or vault key)
    enabled = BooleanField(default=True)
    created_at = IntegerField()
    last_test_at = IntegerField(null=True)
    last_test_ok = BooleanField(null=True)
    last_test_message = TextField(default="")
    last_test_message_en = TextField(default="")  # schema 2


class Order(BaseModel):
    # peewee adds these for the foreign keys; declared so type checkers know them.
    product_id: int | None
    gateway_id: int | None
    buyer_ref_id: int | None
    id = AutoField()
    order_no = CharField(unique=True)
    created_at = IntegerField()
    # No index of its own (schema 18): (product, created_at, id) below serves every look-up by
    # product and the foreign-key checks, whose key need only lead an index (store.schema18).
    product = ForeignKeyField(Product, backref="orders", null=True, on_delete="RESTRICT", index=False)
    product_name = CharField()
    product_type = CharField()
    quantity = IntegerField(default=1)
    list_fen = IntegerField()
    coupon_fen = IntegerField(default=0)
    coupon_code = CharField(null=True)
    coupon_returned = BooleanField(default=False)
    points = IntegerField(default=0)
    points_refunded = IntegerField(default=0)
    paid_fen = IntegerField(default=0)
    refunded_fen = IntegerField(default=0)  # refunds the gateway confirmed or the owner resolved as done
    refund_pending_fen = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])  # schema 3: approved refunds not final yet (退款中)
    status = CharField()
    paid_at = IntegerField(null=True)
    delivered_at = IntegerField(null=True)
    completed_at = IntegerField(null=True)
    cancelled_at = IntegerField(null=True)
    channel = CharField(null=True)
    gateway = ForeignKeyField(GatewayAccount, null=True, backref="orders", on_delete="SET NULL")
    gateway_trade_no = CharField(null=True)
    buyer = CharField(default="")  # as written
    buyer_key = CharField(default="")  # canonical form (domain.contacts), schema 4
    buyer_ref = ForeignKeyField(Buyer, null=True, backref="orders", on_delete="SET NULL")
    code_used = CharField(default="unknown")
    card_code = TextField(null=True)
    stock_reserved = BooleanField(default=False)
    updated_at = IntegerField()
    held_at = IntegerField(null=True)  # schema 5: held for the owner's review (blocked buyer) since
    backorder_at = IntegerField(null=True)  # schema 6: paid with no code in stock (缺货待发) since then

    class Meta:
        table_name = "orders"
        indexes = (
            (("status", "created_at", "id"), False),
            (("created_at", "id"), False),
            (("paid_fen", "id"), False),
            (("status", "paid_fen", "id"), False),
            (("product_type", "created_at", "id"), False),
            (("product", "created_at", "id"), False),
            (("gateway_trade_no",), False),
            (("buyer", "created_at"), False),
        )


class OrderEvent(BaseModel):
    """The timeline: who did what, when, why, and the state before and after."""
    # peewee adds these for the foreign keys; declared so type checkers know them.
    order_id: int

    id = AutoField()
    # No index of its own (schema 18): (order, id) below serves every look-up by order and the
    # foreign-key checks (store.schema18).
    order = ForeignKeyField(Order, backref="events", on_delete="CASCADE", index=False)
    at = IntegerField()
    actor = CharField()
    action = CharField()
    note = TextField(default="")
    before_status = CharField(null=True)
    after_status = CharField(null=True)
    data = TextField(default="{}")
    operator = CharField(default="", constraints=[SQL("DEFAULT ''")])  # schema 14: who was at the desk
    prev_id = IntegerField(null=True)  # schema 14: the row before it in the chain (domain.audit)
    hash = BlobField(null=True)  # schema 14: SHA-256 chained to prev_id's (domain.audit)

    class Meta:
        indexes = ((("order", "id"), False),)


class AuditEvent(BaseModel):
    """Schema 14: the shop log (settings, operators, refusals, sign-ins), chained like the timeline."""

    id = AutoField()
    at = IntegerField(index=True)
    operator = CharField()
    action = CharField()
    subject = CharField(default="")
    note = TextField(default="")
    data = TextField(default="{}")
    prev_id = IntegerField(null=True)
    hash = BlobField(null=True)


class ChainHead(BaseModel):
    """Schema 14: the last row of each chain (store.chain)."""

    chain = CharField(primary_key=True)
    last_id = IntegerField()
    last_hash = BlobField()
    # Schema 16: the last row anchored and its HMAC (store.anchor).
    anchor_id = IntegerField(null=True)
    anchor_hash = BlobField(null=True)
    anchor_mac = BlobField(null=True)


class Operator(BaseModel):
    """Schema 14: a person who works the desk. ``password_hash`` is argon2 (empty: none set);
    ``approve_limit_fen`` None means no limit; ``locked_until`` epoch seconds after five wrong tries."""

    id = AutoField()
    name = CharField(unique=True)
    role = CharField()  # domain.roles.Role code
    password_hash = TextField(default="")
    approve_limit_fen = IntegerField(null=True)
    disabled_at = IntegerField(null=True)
    failed_tries = IntegerField(default=0)
    locked_until = IntegerField(null=True)
    created_at = IntegerField()
    updated_at = IntegerField()


class CancelRequest(BaseModel):
    # peewee adds these for the foreign keys; declared so type checkers know them.
    order_id: int
    id = AutoField()
    order = ForeignKeyField(Order, backref="requests", on_delete="CASCADE")
    is_dispute = BooleanField(default=False)
    reason = CharField()
    note = TextField(default="")
    evidence = TextField(default="")
    amount_fen = IntegerField(null=True)
    state = CharField(default="open")  # open | approved | auto_approved | rejected
    requested_at = IntegerField()
    due_at = IntegerField()
    overdue = BooleanField(default=False)
    outcome = CharField(default="")
    decision_reasons = TextField(default="[]")  # JSON list of {code, zh, en}
    decided_at = IntegerField(null=True)
    decided_by = CharField(null=True)
    decision_note = TextField(default="")

    class Meta:
        indexes = ((("state", "due_at"), False),)


class Refund(BaseModel):
    # peewee adds these for the foreign keys; declared so type checkers know them.
    order_id: int
    request_id: int | None
    gateway_id: int | None
    id = AutoField()
    order = ForeignKeyField(Order, backref="refunds", on_delete="RESTRICT")
    request = ForeignKeyField(CancelRequest, null=True, backref="refunds", on_delete="SET NULL")
    refund_no = CharField(unique=True)  # our idempotency key, stored before any gateway call
    gateway = ForeignKeyField(GatewayAccount, null=True, backref="refunds", on_delete="SET NULL")
    channel = CharField(null=True)
    gross_fen = IntegerField()
    fee_fen = IntegerField(default=0)
    amount_fen = IntegerField()  # net, what goes back to the buyer
    coupon_share_fen = IntegerField(default=0)
    points_returned = IntegerField(default=0)
    state = CharField(default="queued")  # a domain.refund_states.RefundStatus value
    attempts = IntegerField(default=0)  # sends
    checks = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])  # schema 3: questions to the gateway (refund queries)
    needs_confirmation = BooleanField(default=False)  # gateways without idempotency (易支付 V1)
    confirmed = BooleanField(default=False)
    last_error = TextField(default="")
    last_error_kind = CharField(default="")
    security_warning = BooleanField(default=False)
    gateway_refund_no = CharField(null=True)
    created_at = IntegerField()
    sent_at = IntegerField(null=True)
    first_sent_at = IntegerField(null=True)  # schema 3
    resolved_how = CharField(default="", constraints=[SQL("DEFAULT ''")])  # schema 3: the owner's resolution (domain OutsideMethod), or ""
    settled_at = IntegerField(null=True)
    next_attempt_at = IntegerField(default=0)
    eta_earliest = CharField(null=True)
    eta_latest = CharField(null=True)
    operator = CharField(default="", constraints=[SQL("DEFAULT ''")])  # schema 14: who approved it

    class Meta:
        indexes = ((("state", "next_attempt_at"), False),)


class PaymentWatch(BaseModel):
    """Payment sync (补单) and trade closing for one order with a gateway trade (schema 7).

    Made on the first check of an unpaid order. ``answer`` is the gateway's last word on the
    trade (a PaymentState value, or ``error``); ``flag`` marks what the owner must look at
    (amount_mismatch, trade_no_taken, other_trade, refunded_at_gateway, backorder, security,
    coupon_in_use) with its facts in ``flag_data`` (JSON). ``close_state``: "" (nothing asked),
    closing, closed, unsupported, not_found, paid (paid meanwhile: the payment path took over),
    same_payment (paid another way: the gateway's payment is the one the order was marked paid with),
    not_created (a voided desk sale whose trade never existed: nothing to close or watch).
    """
    # peewee adds these for the foreign keys; declared so type checkers know them.
    order_id: int

    id = AutoField()
    order = ForeignKeyField(Order, unique=True, backref="payment_watch", on_delete="CASCADE")
    checks = IntegerField(default=0)
    next_check_at = IntegerField(default=0)
    last_checked_at = IntegerField(null=True)
    answer = CharField(default="")
    error = TextField(default="")
    error_kind = CharField(default="")
    flag = CharField(default="")
    flag_data = TextField(default="{}")
    close_state = CharField(default="")
    close_attempts = IntegerField(default=0)
    close_next_at = IntegerField(default=0)
    close_error = TextField(default="")
    updated_at = IntegerField(default=0)


class ReconMark(BaseModel):
    """What the owner did about one reconciliation difference (schema 8): ``state`` is fixed or
    explained, ``key`` the difference's stable key (kind and out_trade_no), ``day`` YYYY-MM-DD."""
    # peewee adds these for the foreign keys; declared so type checkers know them.
    gateway_id: int

    id = AutoField()
    gateway = ForeignKeyField(GatewayAccount, backref="recon_marks", on_delete="CASCADE")
    day = CharField()
    key = CharField()
    kind = CharField()
    out_trade_no = CharField()
    order_no = CharField(null=True)
    trade_no = CharField(null=True)
    gateway_fen = IntegerField(null=True)
    desk_fen = IntegerField(null=True)
    state = CharField()
    note = TextField(default="")
    actor = CharField(default="owner")
    at = IntegerField()

    class Meta:
        indexes = ((("gateway", "day", "key"), True),)


class StatusCount(BaseModel):
    """Order counts per status, kept by triggers so the tabs never scan the orders table."""

    status = CharField(primary_key=True)
    n = IntegerField(default=0)


MODELS = [
    Setting,
    Product,
    CardCode,
    CodeEvent,
    Coupon,
    Buyer,
    BuyerCancellation,
    GatewayAccount,
    Order,
    OrderEvent,
    CancelRequest,
    Refund,
    StatusCount,
    AuditEvent,
    ChainHead,
    Operator,
]
