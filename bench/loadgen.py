"""``python -m bench.loadgen``: a keep-alive load generator in its own process.

Reads one job (JSON) on stdin, writes ``{"seconds": …, "latencies": […]}`` on stdout. Kinds:
``http`` sends the job's requests (cycled) over one kept-alive ``http.client`` connection per
thread; ``zeep`` makes the job's calls with a plain zeep client; ``lxml`` parses SOAP answers
into dicts. Every ``{i}`` in a path, header or body becomes the request's number (unique keys).
Nothing here imports the gateway: it is what the gateway is compared with.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

Call = Callable[[int], None]


def main() -> int:
    job = json.load(sys.stdin)
    make = {"http": _http_calls, "zeep": _zeep_calls, "lxml": _lxml_calls}[job["kind"]]
    threads = job.get("concurrency", 1)
    calls = [make(job) for _ in range(threads)]  # one client (connection) per thread
    _spread(job.get("warmup", 0), calls, offset=10**9)
    seconds, latencies = _spread(job["count"], calls)
    json.dump({"seconds": seconds, "latencies": latencies}, sys.stdout)
    return 0


def _spread(count: int, calls: list[Call], offset: int = 0) -> tuple[float, list[float]]:
    """``count`` calls shared by one thread per client; total seconds and each call's."""
    numbers = iter(range(offset, offset + count))
    lock = threading.Lock()
    latencies: list[float] = []

    def worker(call: Call) -> None:
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            start = time.perf_counter()
            call(number)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)

    start = time.perf_counter()
    with ThreadPoolExecutor(len(calls)) as pool:
        for future in [pool.submit(worker, call) for call in calls]:
            future.result()
    return time.perf_counter() - start, latencies


def _http_calls(job: dict[str, Any]) -> Call:
    """Each call sends the job's requests in order, on this thread's kept-alive connections;
    a ``{"parallel": [...]}`` entry sends its requests side by side, one connection each."""
    connections: dict[tuple[str, int], http.client.HTTPConnection] = {}
    pool = ThreadPoolExecutor(4)

    def connection(request: dict[str, Any], slot: int) -> http.client.HTTPConnection:
        base = request.get("url", job.get("url", ""))
        key = (base, slot)
        if key not in connections:
            target = urlsplit(base)
            connections[key] = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        return connections[key]

    def call(number: int) -> None:
        for request in job["requests"]:
            group = request.get("parallel")
            if group is None:
                _send(connection(request, 0), request, str(number))
                continue
            sent = [pool.submit(_send, connection(r, n), r, str(number))
                    for n, r in enumerate(group)]  # fmt: skip
            for future in sent:
                future.result()

    return call


def _send(connection: http.client.HTTPConnection, request: dict[str, Any], number: str) -> None:
    body = request.get("body")
    data = None if body is None else body.replace("{i}", number).encode()
    headers = {k: v.replace("{i}", number) for k, v in request.get("headers", {}).items()}
    connection.request(request["method"], request["path"].replace("{i}", number), data, headers)
    answer = connection.getresponse()
    content = answer.read()
    if answer.status != request.get("status", 200):
        raise RuntimeError(f"{request['method']} {request['path']}: {answer.status} {content!r}")


def _zeep_calls(job: dict[str, Any]) -> Call:
    """A plain zeep client with a held token on a kept-alive session."""
    import requests
    import zeep

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {job['token']}"
    client = zeep.Client(job["wsdl"], transport=zeep.Transport(session=session))
    service = client.create_service(job["binding"], job["endpoint"])
    calls = [(getattr(service, c["operation"]), c["arguments"]) for c in job["calls"]]

    def call(number: int) -> None:
        for operation, arguments in calls:
            operation(**_numbered(arguments, str(number)))

    return call


def _numbered(value: Any, number: str) -> Any:
    if isinstance(value, str):
        return value.replace("{i}", number)
    if isinstance(value, dict):
        return {k: _numbered(v, number) for k, v in value.items()}
    return value


def _lxml_calls(job: dict[str, Any]) -> Call:
    """Each call parses every answer and reads each record's fields into a dict."""
    bodies = [body.encode() for body in job["bodies"]]
    record = job["record"]

    def call(number: int) -> None:
        rows = [
            {field.tag.rpartition("}")[2]: field.text for field in element}
            for body in bodies
            for element in etree.fromstring(body).iter(record)
        ]
        if job.get("json"):
            json.dumps(rows)

    return call


if __name__ == "__main__":
    raise SystemExit(main())
