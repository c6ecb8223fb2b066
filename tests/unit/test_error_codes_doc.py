"""docs/error-codes.md and the problem handler agree on every code and its status."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.domain import errors
from gateway.domain.errors import STATUS_BY_CODE

DOC = Path(__file__).parents[2] / "docs" / "error-codes.md"


def documented_codes() -> dict[str, int]:
    rows = re.findall(r"^\| (\d{3}) \| `([a-z_.]+)` \|", DOC.read_text(), flags=re.M)
    return {code: int(status) for status, code in rows}


def test_every_code_is_documented_with_its_status() -> None:
    assert documented_codes() == STATUS_BY_CODE


def test_every_domain_error_has_a_documented_code() -> None:
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.GatewayError)
    }
    assert codes <= set(documented_codes())
