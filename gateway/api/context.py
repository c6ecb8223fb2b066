"""The adapters create_app chose, for views to use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from gateway.wiring import Adapters


def adapters() -> Adapters:
    found: Adapters = current_app.extensions["gateway.adapters"]
    return found
