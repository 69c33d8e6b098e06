"""Component plans with readable mock identities, for tests that check wiring.

The harness's mocks name every resource ``<name>-<identity>`` (the identity digests the inputs that
force replacement, see ``infra/offline/harness.py``), and derive ARNs, endpoints and key ids from it. A
component test asks "does X use Y's ID?", not "what is Y's identity", so :func:`run_program` here
maps each mock identity of the plan back to a fixed, readable form: the ID ``<name>-id``, ARNs and
URLs ending in ``<name>``, endpoints with ``abc123``. The mapping is one to one per resource, so an
input holding Y's ID still reads as Y's ID and nothing else. The identity itself is exercised by
the diff tests (``tests/test_cascade.py``).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from infra.offline import harness
from infra.offline.harness import PlanResult, _digest, _uuid


def _replacements(plan: PlanResult) -> dict[str, str]:
    table: dict[str, str] = {}
    for resource in plan.resources:
        name, _, digest = resource.id.rpartition("-")
        if not name or resource.is_component:
            continue
        table[resource.id] = f"{name}-id"
        table[f".{digest}."] = ".abc123."
        table[f"proxy-{digest}."] = "proxy-abc123."
        new, old = _digest(name + digest), _digest(name)
        table[new], table[new.upper()] = old, old.upper()
        table[_uuid(name + digest)] = _uuid(name)
        new_b64 = base64.b64encode(hashlib.sha256((name + digest).encode()).digest()[:16]).decode()
        table[new_b64] = base64.b64encode(hashlib.sha256(name.encode()).digest()[:16]).decode()
    return table


def _ref(provider_ref: str, ids: Mapping[str, str]) -> str:
    urn, _, rid = provider_ref.rpartition("::")
    return f"{urn}::{ids.get(rid, rid)}" if urn else provider_ref


def readable(plan: PlanResult) -> PlanResult:
    """``plan`` with every mock identity replaced by its readable form (see the module docstring)."""
    table = _replacements(plan)
    ids = {rid: label for rid, label in table.items() if label.endswith("-id")}
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))) if table else None

    def text(value: str) -> str:
        if value in ids:
            return ids[value]
        if pattern is None:
            return value
        # Inside a longer string (an ARN, a URL, a hostname) the name alone is the old form.
        return pattern.sub(lambda m: table[m.group(0)].removesuffix("-id"), value)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, Mapping):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    resources = [
        dataclasses.replace(r, inputs=walk(r.inputs), id=ids.get(r.id, r.id), provider=_ref(r.provider, ids))
        for r in plan.resources
    ]
    return PlanResult(stack=plan.stack, resources=resources, outputs=walk(plan.outputs))


def run_program(program: Callable[[], None], **kwargs: Any) -> PlanResult:
    """:func:`infra.offline.harness.run_program`, with readable mock identities."""
    return readable(harness.run_program(program, **kwargs))
