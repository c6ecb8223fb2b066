"""One small in-memory fake per port, for unit tests of services and views.

``store`` holds the unit of work and its parts; ``erp`` composes the two upstream fakes
around WO-1 on BREAD-WHITE; ``from_fixtures`` loads them from the sandbox's fixture format.

``FakeInventory`` and ``FakeWorkOrders`` keep the sandbox's rules; the contract tests in
tests/contract/ run the same assertions against them and against the real adapters.
"""

from tests.fakes.auth import FakeTokens, FakeTokenValidator
from tests.fakes.gate import WriteGate
from tests.fakes.inventory import FakeInventory
from tests.fakes.work_orders import FakeWorkOrders

__all__ = ["FakeInventory", "FakeTokenValidator", "FakeTokens", "FakeWorkOrders", "WriteGate"]
