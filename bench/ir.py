"""``python -m bench --ir``: the gateway's instructions (Ir) per request, next to its floors.

Each workload runs once under ``valgrind --tool=callgrind`` in ``bench/ir_driver.py`` (core 1),
the sandbox in its own process (core 0) answering canned answers, so only the driver's own
instructions count: a machine-independent measure (repeatable within about 1 %), unlike times.
``--scale`` multiplies every workload's request count (the defaults keep each under ~2 min).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fixtures import (
    LISTED_RESERVATIONS,
    LISTING_OWNER,
    PLANT,
    WAREHOUSE,
    sku,
    spare_sku,
    work_order_id,
    write_fixtures,
)
from bench.processes import GATEWAY_CORE, ROOT, gateway_config, pinned, sandbox_process
from bench.rows import Row
from bench.upstream import BINDING, RSV, WSDL, Upstream, numbered_reservation

PAGE = 500
WO_SIZE = 500


@dataclass
class Workload:
    """One driver run: what it does, how often, and the sandbox's canned answers meanwhile."""

    kind: str
    count: int
    job: dict[str, Any]
    warmup: int = 3
    inventory: dict[str, str] = field(default_factory=dict)
    workorders: dict[str, str] = field(default_factory=dict)


def measure_ir(rows: str | None, scale: float) -> list[Row]:
    """The four Ir rows (or those named: stock, create, listing, workorder)."""
    chosen = (rows or "stock,create,listing,workorder").split(",")
    with tempfile.TemporaryDirectory(prefix="bench-ir-") as directory:
        state = Path(directory)
        with sandbox_process(state, write_fixtures(state)) as sandbox:
            up = Upstream(sandbox)
            runner = _Runner(up, gateway_config(sandbox, state), state, scale)
            return [ROWS[name](runner) for name in chosen]


class _Runner:
    def __init__(self, up: Upstream, settings: dict[str, Any], state: Path, scale: float) -> None:
        self.up, self.settings, self.state, self.scale = up, settings, state, scale

    def token(self, owners: tuple[str, ...] = (PLANT,)) -> str:
        return self.up.sandbox.token(owners=owners)

    def gateway(self, **job: Any) -> dict[str, Any]:
        return {"settings": self.settings, "keys": uuid.uuid4().hex[:8], **job}

    def zeep(self, operation: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return {"wsdl": str(WSDL), "binding": BINDING, "operation": operation,
                "arguments": arguments, "token": self.up.inventory_token,
                "endpoint": self.up.sandbox.describe["inventoryUrl"]}  # fmt: skip

    def per_request(self, workload: Workload) -> float:
        """Instructions per request of the workload's measured loop."""
        self.up.can({}, {})  # the warm-up meets the real services; the driver then sets these
        describe = self.up.sandbox.describe
        workload.job["canned"] = {
            "inventory": {"url": describe["inventoryAdminUrl"], "answers": workload.inventory},
            "workorders": {"url": describe["workOrdersAdminUrl"], "answers": workload.workorders},
        }
        count = max(1, round(workload.count * self.scale))
        out = self.state / f"cg-{uuid.uuid4().hex[:8]}"
        command = ["valgrind", "--tool=callgrind", "--dump-before=getppid",
                   f"--callgrind-out-file={out}.%p", sys.executable, "-m", "bench.ir_driver",
                   workload.kind, str(workload.warmup), str(count)]  # fmt: skip
        job = out.with_suffix(".json")  # a file: canned answers outgrow an environment variable
        job.write_text(json.dumps(workload.job), encoding="utf-8")
        env = {**os.environ, "BENCH_IR_JOB": str(job)}
        done = subprocess.run(
            pinned(GATEWAY_CORE, command), env=env, cwd=ROOT, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"{workload.kind} under callgrind failed:\n{done.stderr[-3000:]}")
        parts = sorted(self.state.glob(f"{out.name}.*.2"))
        if len(parts) != 1 or list(self.state.glob(f"{out.name}.*.3")):
            raise RuntimeError("expected exactly one measured part: is getppid called elsewhere?")
        return _summary(parts[0]) / count


def _summary(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no summary in {path}")


def _mega(ir: float) -> str:
    return f"{ir / 1e6:,.2f} M" if ir < 1e9 else f"{ir / 1e9:,.2f} G"


def _balance_answer(r: _Runner, item: str) -> str:
    return r.up.soap_answer(r.up.envelope("GetBalance", ITEMNO=item.ljust(18), WHSE=WAREHOUSE))


def stock(r: _Runner) -> Row:
    item = sku(1)
    canned = {"GetBalance": _balance_answer(r, item)}
    path = f"/api/inventory/items/{item}/stock?warehouseId={WAREHOUSE}"
    gateway = r.per_request(Workload("get", 20, r.gateway(path=path, token=r.token()),
                                     inventory=canned))  # fmt: skip
    arguments = {"ITEMNO": item.ljust(18), "WHSE": WAREHOUSE}
    zeep = r.per_request(Workload("zeep", 20, r.zeep("GetBalance", arguments), inventory=canned))
    flask = r.per_request(Workload("flask", 200, {}))
    return _row("Stock lookup (GetBalance)", gateway, 4e6,
                f"zeep GetBalance {_mega(zeep)}; empty Flask app {_mega(flask)}",
                {"zeepIr": zeep, "emptyFlaskIr": flask})  # fmt: skip


def create(r: _Runner) -> Row:
    item = spare_sku(2)
    request = {"REFNO": f"IR-{uuid.uuid4().hex[:8]}", "ITEMNO": item.ljust(18),
               "WHSE": WAREHOUSE, "LOC": "", "LOTNO": "", "QTY": "1.000", "UOM": "",
               "RSVTYP": "S", "SRCTYP": "SO", "SRCID": "SO-BENCH", "PRIO": 50, "OWNER": PLANT,
               "EXPDTM": "", "CRTUSR": "bench", "OVRIDE": "N"}  # fmt: skip
    reserved = numbered_reservation(r.up.soap_answer(r.up.envelope("Reserve", RSVREQ=request)))
    canned = {"GetBalance": _balance_answer(r, item), "Reserve": reserved}
    body = {"itemSkuId": item, "warehouseId": WAREHOUSE, "quantity": 1, "type": "SALES",
            "source": {"type": "sales_order", "id": "SO-BENCH"}}  # fmt: skip
    job = r.gateway(path="/api/inventory/reservations", body=body, token=r.token())
    gateway = r.per_request(Workload("create", 20, job, inventory=canned))
    zeep = r.per_request(Workload("zeep", 20, r.zeep("Reserve", {"RSVREQ": request}),
                                  inventory=canned))  # fmt: skip
    return _row(
        "Reservation create", gateway, 8e6, f"zeep Reserve {_mega(zeep)}", {"zeepReserveIr": zeep}
    )


def listing(r: _Runner) -> Row:
    page = r.up.envelope("SearchReservations", CRITERIA={"OWNERS": {"OWNER": [LISTING_OWNER]}},
                         PAGE={"SKIP": 0, "MAXROWS": PAGE})  # fmt: skip
    answer = r.up.soap_answer(page)
    pages = LISTED_RESERVATIONS // PAGE
    path = f"/api/inventory/reservations?offset=0&limit={PAGE}"
    warmup = f"/api/inventory/reservations?offset=0&limit={PAGE // 50}"  # the same code, cheaper
    job = r.gateway(path=path, warmup_path=warmup, token=r.token((LISTING_OWNER,)))
    canned = {"SearchReservations": answer}
    gateway = pages * r.per_request(Workload("get", 1, job, warmup=2, inventory=canned))
    lxml_job = {"bodies": [answer], "records": [RSV]}
    floor = pages * r.per_request(Workload("lxml", 4, lxml_job, warmup=1))
    return _row(f"Listing {LISTED_RESERVATIONS:,} reservations ({pages} pages of {PAGE})",
                gateway, 2.5 * floor, f"lxml parse + dicts {_mega(floor)}",
                {"lxmlIr": floor, "ratio": round(gateway / floor, 2)},
                target=f"≤ 2.5× lxml = {_mega(2.5 * floor)}", per="listing")  # fmt: skip


def workorder(r: _Runner) -> Row:
    order = work_order_id(WO_SIZE)
    by_sources = r.up.soap_answer(r.up.envelope("ListReservationsBySources",
                                                SRCIDS={"SRCID": [order]}))  # fmt: skip
    items = [sku(n).ljust(18) for n in range(1, WO_SIZE + 1)]
    balances = r.up.soap_answer(r.up.envelope("GetBalances", ITEMNOS={"ITEMNO": items}))
    work_order = r.up.work_order_answer(order)
    inventory = {"ListReservationsBySources": by_sources, "GetBalances": balances}
    workorders = {"get_work_order": work_order}
    warmup = f"/api/work-orders/{work_order_id(1)}/reservations"  # the same code, cheaper
    job = r.gateway(path=warmup.replace(work_order_id(1), order), warmup_path=warmup,
                    token=r.token())  # fmt: skip
    gateway = r.per_request(Workload("get", 1, job, warmup=1, inventory=inventory,
                                     workorders=workorders))  # fmt: skip
    records = [RSV, RSV.replace("RSV", "ITEMBAL")]
    floor_job = {"bodies": [by_sources, balances], "records": records, "json": [work_order]}
    floor = r.per_request(Workload("lxml", 4, floor_job, warmup=1))
    return _row(f"WO reservations, N = {WO_SIZE}", gateway, 350e6,
                f"lxml parse + JSON {_mega(floor)}", {"lxmlJsonIr": floor})  # fmt: skip


def _row(measure: str, ir: float, limit: float, floors: str, numbers: dict[str, Any],
         target: str | None = None, per: str = "request") -> Row:  # fmt: skip
    return Row(
        measure=f"{measure}: Ir per {per}",
        result=f"gateway {_mega(ir)} (floor: {floors})",
        target=target or f"≤ {_mega(limit)}",
        met=ir <= limit,
        numbers={"gatewayIr": round(ir), **{k: round(v, 2) for k, v in numbers.items()}},
    )


ROWS = {"stock": stock, "create": create, "listing": listing, "workorder": workorder}
