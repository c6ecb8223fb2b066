"""Table definitions (SQLAlchemy Core); Alembic migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Id = BigInteger().with_variant(Integer(), "sqlite")

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("caller", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(20), nullable=False),  # in_progress | completed
    Column("locked_until", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("response_body", Text),
    Column("response_headers", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    Column("plan_id", String(40)),  # the write plan the key's request made, once it made one
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target_type", String(50), nullable=False),
    Column("target_id", String(100), nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("correlation_id", String(128)),
    Column("owner_id", String(50)),  # whose record it is; NULL: the gateway's own (credentials)
    Index("audit_by_target", "target_type", "target_id"),
    Index("audit_by_owner", "owner_id", "id"),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("type", String(100), nullable=False),
    Column("aggregate_id", String(100), nullable=False),
    Column("owner_id", String(50)),
    Column("payload", Text, nullable=False),
    Column("correlation_id", String(128)),
    Column("dedupe_key", String(200), unique=True),
    # gateway: a change the gateway made; erp: one the change detector found (migration 0008)
    Column("origin", String(20), nullable=False, server_default="gateway"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(20), nullable=False),  # pending | done
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("done_at", DateTime(timezone=True)),
    Column("correlation_id", String(128)),
    Column("plan_id", String(40)),  # the write plan whose step this undoes
    Column("owner_id", String(50)),  # whose stock or work order it touches
    Index("outbox_due", "state", "next_attempt_at"),
)

legacy_clients = Table(
    "legacy_clients",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("roles", Text, nullable=False),  # JSON list of role names
    Column("owners", Text, nullable=False),  # JSON list of owner ids; "*" means every owner
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True)),
)

legacy_client_secrets = Table(
    "legacy_client_secrets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("client_name", String(64), ForeignKey("legacy_clients.name"), nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("digest_secret", Text),  # Fernet token; only for clients allowed PasswordDigest
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("not_after", DateTime(timezone=True)),  # refused from then on (rotation grace)
    Index("legacy_secrets_by_client", "client_name"),
)

used_nonces = Table(
    "used_nonces",
    metadata,
    Column("client_name", String(64), primary_key=True),
    Column("nonce", String(128), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("used_nonces_expiry", "expires_at"),
)

upstream_credentials = Table(
    "upstream_credentials",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),  # the upstream: inventory | workorders
    Column("version", Integer, nullable=False),  # 1, 2, … per name; processes follow it
    Column("kind", String(32), nullable=False),  # azure-secret | azure-certificate
    Column("client_id", String(200), nullable=False),
    Column("sealed", Text),  # Fernet token under the master key; NULL once retired
    Column("fingerprint", String(100), nullable=False),
    Column("state", String(20), nullable=False),  # current | previous | retired
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("retired_at", DateTime(timezone=True)),
    UniqueConstraint("name", "version", name="upstream_credential_version"),
    Index("upstream_credentials_by_state", "name", "state"),
)

credential_processes = Table(
    "credential_processes",
    metadata,
    Column("process_id", String(120), primary_key=True),
    Column("versions", Text, nullable=False),  # JSON {name: version in use}
    Column("key_ids", Text, nullable=False),  # JSON [master key ids, primary first]
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(200), primary_key=True),  # limits' key: the policy and client or address
    Column("hits", Integer, nullable=False),  # failed logins in the current window
    Column("expires_at", Float, nullable=False),  # the window's end, in epoch seconds (as limits)
    Index("login_throttle_expiry", "expires_at"),
)

write_plans = Table(
    "write_plans",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("operation", String(50), nullable=False),  # workorder.update | reservation.create …
    Column("target_id", String(100), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("state", String(20), nullable=False),  # running | done | undone | undoing | conflict
    Column("steps", Text, nullable=False),  # JSON: kind, args, undo, state, result per step
    Column("summary", Text, nullable=False),  # JSON: what the audit entry of the plan says
    Column("error", Text),  # JSON: the failing step's code and detail
    Column("correlation_id", String(128)),
    Column("lease_until", DateTime(timezone=True), nullable=False),  # its process's lease
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Index("write_plans_running", "state", "lease_until"),
)

work_order_locks = Table(
    "work_order_locks",
    metadata,
    Column("work_order_id", String(100), primary_key=True),
    Column("holder", String(40), nullable=False),  # the write plan (or its id to be)
    Column("locked_until", DateTime(timezone=True), nullable=False),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),  # webhook (brokers later: issue 14.2)
    Column("url", Text, nullable=False),
    Column("event_types", Text, nullable=False),  # JSON list of event types
    Column("owners", Text, nullable=False),  # JSON list of owner ids; "*" means every owner
    Column("state", String(20), nullable=False),  # active | disabled
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("disabled_at", DateTime(timezone=True)),
    Column("disabled_reason", Text),
    Column("cursor", BigInteger, nullable=False),  # the last event id it is done with
    Column("retry_at", DateTime(timezone=True)),  # the head event waits until then
    Column("lease_holder", String(120)),  # the drainer delivering it now (one per pool)
    Column("lease_until", DateTime(timezone=True)),
    Index("webhook_subscriptions_by_state", "state"),
)

webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subscription_id", String(40), ForeignKey("webhook_subscriptions.id"), nullable=False),
    Column("sealed", Text, nullable=False),  # Fernet token under the master key
    Column("fingerprint", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("not_after", DateTime(timezone=True)),  # NULL: current; else signs until then
    Index("webhook_secrets_by_subscription", "subscription_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subscription_id", String(40), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("aggregate_id", String(100), nullable=False),
    Column("state", String(20), nullable=False),  # retrying | delivered | dead | redeliver
    Column("attempts", Integer, nullable=False),
    Column("first_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("give_up_at", DateTime(timezone=True), nullable=False),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    UniqueConstraint("subscription_id", "event_id", name="webhook_delivery_once"),
    Index("webhook_deliveries_by_state", "subscription_id", "state"),
)

# The ERP change detector (issue 14.3, migration 0008): its lease and how far it followed the
# event feed, the item/warehouse pairs it reads, the OPEN reservations it tracks.
erp_detector = Table(
    "erp_detector",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("holder", String(120), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=False),
    Column("events_read", BigInteger, nullable=False),
)

erp_watch = Table(
    "erp_watch",
    metadata,
    Column("item_sku_id", String(100), primary_key=True),
    Column("warehouse_id", String(50), primary_key=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

erp_snapshots = Table(
    "erp_snapshots",
    metadata,
    Column("reservation_id", String(100), primary_key=True),
    Column("item_sku_id", String(100), nullable=False),
    Column("warehouse_id", String(50), nullable=False),
    Column("source_id", String(100), nullable=False),
    Column("reported", String(20)),  # OPEN once its InventoryReserved exists
    Column("observed", String(20)),  # a state seen on the last pass, without an event yet
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

# Backorders (issue 15.2, migration 0009): what partial creates still wait for, and the lease
# of the process that fills them. Quantities are exact decimal text, as in every payload.
backorders = Table(
    "backorders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("item_sku_id", String(100), nullable=False),
    Column("warehouse_id", String(50), nullable=False),
    Column("requested", String(40), nullable=False),
    Column("quantity", String(40), nullable=False),  # still outstanding
    Column("type", String(20), nullable=False),
    Column("source_type", String(20), nullable=False),
    Column("source_id", String(100), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("owner_id", String(50), nullable=False),
    Column("created_by", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),  # OPEN | FILLED | CANCELLED | EXPIRED
    Column("fills", Integer, nullable=False),
    Column("uom", String(20)),
    Column("location", String(40)),
    Column("lot", String(40)),
    Column("ended_at", DateTime(timezone=True)),
    Column("filling", String(40)),  # the reference of a fill in flight, until it commits
    Index("backorders_open", "status", "item_sku_id", "warehouse_id"),
    Index("backorders_by_owner", "owner_id", "status"),
)

backorder_filler = Table(
    "backorder_filler",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("holder", String(120), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=False),
)
