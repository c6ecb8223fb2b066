"""Fixtures the integration tests share (the session's sandbox and app are tests/conftest.py's)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask


@pytest.fixture
def inventory(gateway_app: Flask) -> Any:
    """The gateway's own inventory adapter: set-up and checks against the real sandbox."""
    return gateway_app.extensions["gateway"].adapters.inventory
