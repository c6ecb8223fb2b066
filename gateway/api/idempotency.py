"""``Idempotency-Key`` on mutating REST calls (SPEC §8): claims the key and replays answers.

The unit of work is committed in one place for every REST request (``commit_unit_of_work``,
an after-request hook): a view that writes audit entries or events cannot lose them by
forgetting a decorator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

import simplejson
from flask import Response, after_this_request, g, request

from gateway.api.auth import current_principal
from gateway.api.context import adapters, store, unit_of_work
from gateway.domain.errors import IdempotencyInProgress, IdempotencyKeyReused, RequestInvalid
from gateway.domain.write_plan import PlanState, WritePlan
from gateway.services.plan_recovery import recover_one
from gateway.services.plan_runner import PlanPorts
from gateway.services.references import upstream_reference
from gateway.store.idempotency import Outcome

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("Content-Type", "Location")


FinalAnswer = Callable[[WritePlan], Any]
"""What a view answers for a write plan that another process finished."""


def idempotent(view: F | None = None, *, final_answer: FinalAnswer | None = None) -> Any:
    """Replays the first answer to a repeated key; commits the unit of work after the view.

    Only successful answers are stored: after an error the key is free again, and the
    upstream references derived from it keep a retried write from landing twice. A key whose
    request made a write plan and then stopped answering (its process died) is answered from
    the plan: 409 ``idempotency.in_progress`` while it runs or its compensations wait, then the
    plan's final answer (``final_answer``) — never a new diff against half-written state.
    """
    if view is None:
        return lambda wrapped: idempotent(wrapped, final_answer=final_answer)

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        key = _key()
        caller = current_principal().subject
        if key is not None:
            claim = store().idempotency.claim(caller, key, _request_hash())
            if claim.outcome is Outcome.REPLAY:
                return _replay(claim.status_code or 200, claim.body or "", claim.headers or {})
            if claim.outcome is Outcome.IN_PROGRESS:
                raise IdempotencyInProgress("The first request with this key is still running")
            if claim.outcome is Outcome.KEY_REUSED:
                raise IdempotencyKeyReused("This key was used with another request body")
            unit_of_work().request_key = (caller, key)
            if claim.plan_id is not None:
                plan = _ended_plan(claim.plan_id, caller, key)
                if plan.state is PlanState.DONE and final_answer is not None:
                    after_this_request(lambda response: _finish(response, caller, key))
                    return final_answer(plan)
        after_this_request(lambda response: _finish(response, caller, key))
        return view(*args, **kwargs)

    return guarded


def _ended_plan(plan_id: str, caller: str, key: str) -> WritePlan:
    """The key's plan at its end: recovered here if its process died; 409 while it runs."""
    plans = store().plans
    plan = plans.get(plan_id)
    if plan is not None and plan.state is PlanState.RUNNING:
        wired = adapters()
        ports = PlanPorts(wired.inventory, wired.work_orders, plans)
        plan = recover_one(plan_id, plans, ports, store().unit_of_work, datetime.now(UTC))
    if plan is None or plan.state in (PlanState.RUNNING, PlanState.UNDOING):
        store().idempotency.unlock(caller, key)
        raise IdempotencyInProgress("The first request with this key is still being finished")
    return plan


def request_reference(prefix: str = "GW") -> str:
    """The upstream idempotency reference (legacy REFNO ≤ 40) for this request.

    Derived from caller and key, so a retry with the same key sends the same reference.
    """
    return upstream_reference(prefix, current_principal().subject, _key())


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise RequestInvalid({HEADER: ["must be 1 to 200 printable characters"]})
    return key


def _request_hash() -> str:
    body = request.get_data()
    try:
        canonical = simplejson.dumps(simplejson.loads(body, use_decimal=True), sort_keys=True)
    except (ValueError, RecursionError):  # not JSON, or too deep to canonicalise: hash as is
        canonical = body.decode("latin-1")
    query = "&".join(sorted(f"{k}={v}" for k, v in request.args.items(multi=True)))
    text = f"{request.method} {request.path}?{query}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _finish(response: Response, caller: str, key: str | None) -> Response:
    """Store a successful answer with the request's writes; free the key after an error."""
    if key is None:
        return response
    uow = unit_of_work()
    if 200 <= response.status_code < 300:
        headers = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
        body = response.get_data(as_text=True)
        uow.also_in_transaction(
            store().idempotency.completion(caller, key, response.status_code, body, headers)
        )
    elif any(plan.state is PlanState.UNDOING for plan in uow.ended_plans):
        # Its compensations wait in the outbox: a retry now would diff against half-undone
        # state, so the key stays taken (409) until they have run.
        uow.also_in_transaction(store().idempotency.unlocking(caller, key))
    else:
        # Freed in the commit itself (one transaction, not two): never before the failed
        # request's plan end and audit entries are written, and not at all if they are not.
        uow.also_in_transaction(store().idempotency.releasing(caller, key))
    return response


def commit_unit_of_work(response: Response) -> Response:
    """The one commit point of a REST request: audit, events, outbox and the stored answer in
    one transaction (an after-request hook, so it runs after ``_finish``)."""
    uow = g.pop("uow", None)
    if uow is not None:
        uow.commit()
    return response


def _replay(status: int, body: str, headers: dict[str, str]) -> Response:
    response = Response(body, status=status, headers=headers)
    response.headers["Idempotent-Replayed"] = "true"
    return response
