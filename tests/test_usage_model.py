"""The usage files and ``capacity`` share one traffic model: each phase's request-driven volumes come
from the per-user rate of the stack's ``platform:capacity`` assumptions, so the two cannot drift
apart (they did: the usage files once assumed one request per 10 s per user, capacity 1/6 per s)."""

from __future__ import annotations

import pytest

from infra.config import load_config
from infra.offline.capacity import rps_for_users
from infra.offline.harness import ROOT, stack_config
from infra.offline.pricing import load_table
from infra.offline.usage import load_usage, usage_path
from infra.rules import PHASE_CONCURRENT_USERS
from tests.conftest import PHASES, plan_of

#: The usage files' daily curve: the month's average request rate is 30% of the peak.
AVERAGE_SHARE = 0.3
#: The usage files' SQS calls per job: send, receive, delete (unbatched).
CALLS_PER_JOB = 3
SECONDS_PER_MONTH = load_table().hours_per_month * 3600


def _expected_requests(stack: str) -> tuple[float, float]:
    """(API requests a month, queue jobs per request) by the capacity model of ``stack``'s config."""
    config = load_config(stack_config(stack))
    assumptions = config.capacity
    peak = rps_for_users(
        PHASE_CONCURRENT_USERS[config.phase], assumptions.think_time_seconds, assumptions.requests_per_action
    )
    return peak * AVERAGE_SHARE * SECONDS_PER_MONTH, assumptions.jobs_per_request


def _usage_of(stack: str, type_token: str, keep) -> list[float]:
    usage = load_usage(usage_path(stack, ROOT))
    return [
        usage.for_resource(r.name, r.type)
        for r in plan_of(stack).resources
        if r.custom and r.type == type_token and keep(r)
    ]


@pytest.mark.parametrize("stack", PHASES)
def test_api_requests_follow_the_capacity_per_user_rate(stack):
    expected, _ = _expected_requests(stack)
    # The regional web ACLs sit in front of the API's load balancers, one per serving region: together
    # they see every API request (phase 4 splits them over its three regions).
    acls = _usage_of(stack, "aws:wafv2/webAcl:WebAcl", lambda r: r.inputs.get("scope") == "REGIONAL")
    assert acls, f"{stack}: no API web ACL in the plan"
    assert sum(u["monthly_requests"] for u in acls) == pytest.approx(expected, rel=0.02)


@pytest.mark.parametrize("stack", PHASES)
def test_worker_queue_carries_the_capacity_job_rate(stack):
    expected, jobs_per_request = _expected_requests(stack)
    queue = load_config(stack_config(stack)).apps.worker.queue
    queues = _usage_of(stack, "aws:sqs/queue:Queue", lambda r: r.name.endswith(f"-queues-{queue}"))
    assert queues, f"{stack}: no {queue} queue in the plan"
    total = sum(u["monthly_requests"] for u in queues)
    assert total == pytest.approx(expected * jobs_per_request * CALLS_PER_JOB, rel=0.02)
