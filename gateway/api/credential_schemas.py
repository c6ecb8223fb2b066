"""Schemas of /admin/credentials: descriptions of credentials, never their values."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.api.text import Text


class CredentialSchema(Schema):
    name = Text(metadata={"example": "inventory"})
    kind = Text(metadata={"example": "azure-secret"})
    state = Text(metadata={"example": "current"})
    fingerprint = Text(metadata={"example": "sha256:4f1c0d2a9b7e3c55"})
    created_at = fields.AwareDateTime(data_key="createdAt", allow_none=True)
    expires_at = fields.AwareDateTime(data_key="expiresAt", allow_none=True)
    client_id = Text(data_key="clientId", allow_none=True)
    version = fields.Integer(allow_none=True)


class ProcessSchema(Schema):
    process_id = Text(data_key="processId")
    versions = fields.Dict(keys=Text(), values=fields.Integer())
    key_ids = fields.List(Text(), data_key="masterKeys")
    seen_at = fields.AwareDateTime(data_key="seenAt")


class CredentialListSchema(Schema):
    credentials = fields.List(fields.Nested(CredentialSchema))
    processes = fields.List(
        fields.Nested(ProcessSchema),
        metadata={"description": "Gateway processes seen recently, with what they use"},
    )


class RotationSchema(Schema):
    """For an upstream: ``secret`` or ``certificate``; for a legacy client: ``password`` (or
    nothing, and one is generated); for ``master-key``: nothing."""

    secret = Text(validate=validate.Length(1, 1024), load_only=True)
    certificate = Text(
        validate=validate.Length(1, 65536),
        load_only=True,
        metadata={"description": "PEM: the RSA private key (unencrypted) and its certificate"},
    )
    client_id = Text(data_key="clientId", validate=validate.Length(1, 200))
    expires_at = fields.AwareDateTime(
        data_key="expiresAt", metadata={"description": "When the new client secret expires"}
    )
    password = Text(validate=validate.Length(12, 256), load_only=True)
    grace_seconds = fields.Integer(
        data_key="graceSeconds",
        validate=validate.Range(0, 90 * 24 * 3600),
        metadata={"description": "How long the old legacy password keeps working"},
    )

    @validates_schema
    def one_value(self, data: dict[str, Any], **_: Any) -> None:
        given = [key for key in ("secret", "certificate", "password") if data.get(key)]
        if len(given) > 1:
            raise ValidationError("give one of secret, certificate or password", given[0])


class RotationAnswerSchema(Schema):
    credential = fields.Nested(CredentialSchema)
    password = fields.Method(
        "_password",
        allow_none=True,
        metadata={"description": "A generated legacy password: shown this once, kept nowhere"},
    )
    detail = Text()

    def _password(self, result: Any) -> str | None:
        return result.password.reveal() if result.password else None
