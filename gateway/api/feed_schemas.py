"""Schemas of the feeds: the event feed, the audit trail and the outbox (one definition each,
for the REST answers and for whatever else publishes the same events)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.api.bounded import MAX_CURSOR
from gateway.api.text import Text


class EventQuery(Schema):
    after = fields.Integer(validate=validate.Range(0, MAX_CURSOR), load_default=0)
    limit = fields.Integer(validate=validate.Range(1, 1000), load_default=100)


class EventSchema(Schema):
    id = fields.Integer(metadata={"description": "The cursor: pass it as ?after= to go on"})
    type = Text()
    at = fields.AwareDateTime()
    aggregate_id = Text(data_key="aggregateId")
    owner_id = Text(data_key="ownerId", allow_none=True)
    correlation_id = Text(data_key="correlationId", allow_none=True)
    payload = fields.Dict()
    origin = Text(
        validate=validate.OneOf(["gateway", "erp"]),
        metadata={
            "description": "gateway: a change made through the gateway; erp: one made inside "
            "the ERP, found by the change detector (docs/decisions/161-erp-change-detection.md)"
        },
    )


class EventPageSchema(Schema):
    events = fields.List(fields.Nested(EventSchema))
    next_cursor = fields.Integer(data_key="nextCursor")


class AuditQuery(Schema):
    target_id = Text(data_key="targetId")
    after = fields.Integer(validate=validate.Range(0, MAX_CURSOR), load_default=0)
    limit = fields.Integer(validate=validate.Range(1, 1000), load_default=100)


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor = Text()
    action = Text()
    target_type = Text(data_key="targetType")
    target_id = Text(data_key="targetId")
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    correlation_id = Text(data_key="correlationId", allow_none=True)
    owner_id = Text(data_key="ownerId", allow_none=True)


class AuditPageSchema(Schema):
    entries = fields.List(fields.Nested(AuditEntrySchema))


class OutboxQuery(Schema):
    state = Text(
        validate=validate.OneOf(["pending", "done", "conflict"]),
        metadata={
            "description": "conflict: a compensation that could not run without "
            "overselling (final; see docs/decisions/090-compensations-never-override.md)"
        },
    )
    limit = fields.Integer(validate=validate.Range(1, 1000), load_default=100)


class OutboxEntrySchema(Schema):
    id = fields.Integer()
    kind = Text()
    payload = fields.Dict()
    state = Text()
    attempts = fields.Integer()
    created_at = fields.AwareDateTime(data_key="createdAt")
    next_attempt_at = fields.AwareDateTime(data_key="nextAttemptAt")
    last_error = Text(data_key="lastError", allow_none=True)
    correlation_id = Text(data_key="correlationId", allow_none=True)
    plan_id = Text(data_key="planId", allow_none=True)
    owner_id = Text(data_key="ownerId", allow_none=True)


class OutboxPageSchema(Schema):
    entries = fields.List(fields.Nested(OutboxEntrySchema))
    pending = fields.Integer()
