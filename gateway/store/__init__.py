"""The gateway's own database: idempotency records, audit entries, events and the outbox."""
