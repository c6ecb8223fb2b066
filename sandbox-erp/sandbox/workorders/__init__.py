"""The sandbox's work-order operations REST service (SQLite-backed)."""

from __future__ import annotations

from sandbox.workorders.app import create_workorders_app
from sandbox.workorders.store import NotFound, WorkOrderStore

__all__ = ["NotFound", "WorkOrderStore", "create_workorders_app"]
