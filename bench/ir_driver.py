"""``python -m bench.ir_driver MEASURE WARMUP COUNT``: one workload, run under callgrind.

The gateway runs in this process behind Flask's test client (no inbound socket); its upstream
is the sandbox in another process, answering canned answers in the loop (set after warm-up). The
measured loop sits between two ``os.getppid()`` calls: callgrind, started with
``--dump-before=getppid``, writes the loop's instructions as a part of their own, so start-up,
imports and warm-up fall outside the count. The job is the JSON file ``BENCH_IR_JOB`` names.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

Work = Callable[[int], None]


def main(argv: list[str]) -> int:
    measure, warmup, count = argv[0], int(argv[1]), int(argv[2])
    job = json.loads(Path(os.environ["BENCH_IR_JOB"]).read_text(encoding="utf-8"))
    work = WORKLOADS[measure](job)
    for number in range(warmup):
        work(10**9 + number)
    _install_canned(job.get("canned", {}))
    os.getppid()  # callgrind dumps here: what came before is not counted
    for number in range(count):
        work(number)
    os.getppid()  # and here: the part between is the loop
    return 0


def _install_canned(canned: dict[str, dict[str, Any]]) -> None:
    """The sandbox's canned answers for the loop: the warm-up ran against its real service,
    so a cheaper warm-up request (``warmup_path``) gets a cheaper answer."""
    import requests

    for upstream in canned.values():
        answers = {"canned_answers": upstream["answers"]}
        requests.put(upstream["url"] + "/faults", json=answers, timeout=60).raise_for_status()


def _gateway(job: dict[str, Any]) -> Any:
    from gateway.app import create_app

    return create_app(job["settings"]).test_client()


def _checked(answer: Any, status: int) -> None:
    if answer.status_code != status:
        raise RuntimeError(f"{answer.status_code} {answer.get_data(as_text=True)[:500]}")


def _gateway_get(job: dict[str, Any]) -> Work:
    """GET the job's path; warm-up calls (numbered from 10**9) GET ``warmup_path`` if given, a
    cheaper request through the same code."""
    client, headers = _gateway(job), {"Authorization": f"Bearer {job['token']}"}
    warmup = job.get("warmup_path", job["path"])

    def get(number: int) -> None:
        _checked(client.get(warmup if number >= 10**9 else job["path"], headers=headers), 200)

    return get


def _gateway_create(job: dict[str, Any]) -> Work:
    client = _gateway(job)

    def create(number: int) -> None:
        key = f"{job['keys']}-{number}"
        headers = {"Authorization": f"Bearer {job['token']}", "Idempotency-Key": key}
        _checked(client.post(job["path"], json=job["body"], headers=headers), 201)

    return create


def _zeep(job: dict[str, Any]) -> Work:
    import requests
    import zeep

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {job['token']}"
    client = zeep.Client(job["wsdl"], transport=zeep.Transport(session=session))
    operation = getattr(client.create_service(job["binding"], job["endpoint"]), job["operation"])
    return lambda number: operation(**job["arguments"])


def _empty_flask(job: dict[str, Any]) -> Work:
    from flask import Flask

    app = Flask("bench.empty")
    app.get("/")(lambda: {"ok": True})
    client = app.test_client()
    return lambda number: _checked(client.get("/"), 200)


def _lxml(job: dict[str, Any]) -> Work:
    """SOAP answers parsed into one dict per record; with ``json``, those and the JSON answers
    read and the rows written as JSON too."""
    bodies = [body.encode() for body in job["bodies"]]

    def parse(number: int) -> None:
        rows = [
            {field.tag.rpartition("}")[2]: field.text for field in record}
            for body in bodies
            for record in etree.fromstring(body).iter(*job["records"])
        ]
        if "json" in job:
            loaded = [json.loads(text) for text in job["json"]]
            json.dumps({"rows": rows, "loaded": loaded})

    return parse


WORKLOADS: dict[str, Callable[[dict[str, Any]], Work]] = {
    "get": _gateway_get,
    "create": _gateway_create,
    "zeep": _zeep,
    "flask": _empty_flask,
    "lxml": _lxml,
}

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
