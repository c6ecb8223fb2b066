"""Schemathesis against /openapi.json, in process, on every operation: no 5xx, and every
answer conforms to the document (bounded examples, so `make test` stays fast)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.domain.roles import ADMIN, MANAGER, STAFF

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""Not "positive data acceptance": schema-valid data may still break a rule of SPEC §6 (an
unknown reservation type, an expiry in the past), which answers 400 with its own code."""

FUZZ = settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_every_operation_answers_without_5xx_and_as_documented(
    gateway_app: Flask, mint: Callable[..., str]
) -> None:
    # A plant of its own: whatever ids the fuzzer guesses, it cannot change the demo data
    # other tests read (another owner's reservation is not found for it).
    token = mint(roles=(STAFF, MANAGER, ADMIN), owners=("PLANT-FUZZ",), subject="fuzzer")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/openapi.json", gateway_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10  # every REST operation of the gateway is in the document

    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def answers_as_documented(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CONFORMANCE)

        answers_as_documented()
