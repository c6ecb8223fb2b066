"""Schemas of /admin/subscriptions: subscriptions and their deliveries, never a stored secret."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.api.text import Text
from gateway.domain.webhooks import EVENT_TYPES, DeliveryState, SubscriptionState

OWNER = Text(validate=validate.Length(1, 50), metadata={"example": "PLANT-A"})


class NewSubscriptionSchema(Schema):
    url = Text(
        required=True, validate=validate.Length(1, 2000),
        metadata={"example": "https://mes.example.com/hooks/reservations"},
    )  # fmt: skip
    event_types = fields.List(
        Text(validate=validate.OneOf(EVENT_TYPES)), data_key="eventTypes",
        validate=validate.Length(1, len(EVENT_TYPES)),
        metadata={"description": "Default: every event type"},
    )  # fmt: skip
    owners = fields.List(
        Text(validate=validate.Length(1, 50)), validate=validate.Length(1, 100),
        metadata={"description": "Owner ids whose events it receives, `*` for every owner "
                  "(default: the caller's owner scope)", "example": ["PLANT-A"]},
    )  # fmt: skip


class SubscriptionSchema(Schema):
    id = Text(metadata={"example": "sub_5f0c2b9e1d7a4c3b8e6f0a12"})
    kind = Text(metadata={"example": "webhook"})
    url = Text()
    event_types = fields.List(Text(), data_key="eventTypes")
    owners = fields.List(Text())
    state = Text(validate=validate.OneOf([s.value for s in SubscriptionState]))
    created_at = fields.AwareDateTime(data_key="createdAt")
    created_by = Text(data_key="createdBy")
    disabled_at = fields.AwareDateTime(data_key="disabledAt", allow_none=True)
    disabled_reason = Text(data_key="disabledReason", allow_none=True)
    cursor = fields.Integer(metadata={"description": "The last event id it is done with"})
    secret_fingerprints = fields.List(
        Text(), data_key="secretFingerprints",
        metadata={"description": "Of the secrets signing now: the current one first"},
    )  # fmt: skip


class SubscriptionWithSecretSchema(SubscriptionSchema):
    secret = Text(
        metadata={"description": "The Standard Webhooks signing secret: shown this once, "
                  "never again", "example": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    )  # fmt: skip


class SubscriptionListSchema(Schema):
    subscriptions = fields.List(fields.Nested(SubscriptionSchema))


class SubscriptionChangeSchema(Schema):
    state = Text(required=True, validate=validate.OneOf([s.value for s in SubscriptionState]))


class RotateSecretSchema(Schema):
    grace_seconds = fields.Integer(
        data_key="graceSeconds", validate=validate.Range(0, 30 * 24 * 3600),
        metadata={"description": "How long the old secret signs too (default "
                  "`WEBHOOK_SECRET_GRACE_SECONDS`)"},
    )  # fmt: skip


class RedeliverySchema(Schema):
    redelivered = fields.Integer(metadata={"description": "Dead letters sent back"})


class DeliveryQuery(Schema):
    state = Text(validate=validate.OneOf([s.value for s in DeliveryState]))
    limit = fields.Integer(validate=validate.Range(1, 1000), load_default=100)
    before = fields.Integer(
        validate=validate.Range(1, 2**53),
        metadata={"description": "Only events older than this id (the next page)"},
    )  # fmt: skip


class DeliverySchema(Schema):
    event_id = fields.Integer(data_key="eventId")
    event_type = Text(data_key="eventType")
    aggregate_id = Text(data_key="aggregateId")
    state = Text(metadata={"description": "retrying, delivered, dead (given up: redeliverable) "
                           "or redeliver (sent back by an admin)"})  # fmt: skip
    attempts = fields.Integer()
    first_attempt_at = fields.AwareDateTime(data_key="firstAttemptAt")
    last_attempt_at = fields.AwareDateTime(data_key="lastAttemptAt", allow_none=True)
    next_attempt_at = fields.AwareDateTime(data_key="nextAttemptAt", allow_none=True)
    give_up_at = fields.AwareDateTime(data_key="giveUpAt")
    last_status = fields.Integer(data_key="lastStatus", allow_none=True)
    last_error = Text(data_key="lastError", allow_none=True)
    delivered_at = fields.AwareDateTime(data_key="deliveredAt", allow_none=True)


class DeliveryPageSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema))
