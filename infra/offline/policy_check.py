"""The policy pack over an offline plan, driven the way the policy engine drives it.

Every resource policy sees each custom resource with its inputs and options; every stack policy
sees the whole graph with dependencies, property dependencies and each resource's provider region.
``validate`` reports these violations; the tests use the same functions on edited resources.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from infra.offline.harness import PlanResult, RecordedResource
from policy.pack import build_policies

POLICIES = [p for p in build_policies() if isinstance(p, ResourceValidationPolicy)]
STACK_POLICIES = [p for p in build_policies() if isinstance(p, StackValidationPolicy)]


@dataclass(frozen=True)
class Violation:
    """One policy violation: the policy's name and its message (which starts with the URN)."""

    policy: str
    message: str

    def __str__(self) -> str:
        return f"{self.policy}: {self.message}"


def resource_options(resource: RecordedResource, protect: bool | None = None) -> PolicyResourceOptions:
    """The options the engine shows a policy (``protect`` overridable to test the protect rules)."""
    return PolicyResourceOptions(
        protect=resource.protect if protect is None else protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )


def resource_violations(
    resource: RecordedResource, props: dict | None = None, protect: bool | None = None
) -> list[Violation]:
    """Every resource policy on one resource (``props`` replaces its inputs when given)."""
    args = ResourceValidationArgs(
        resource.type,
        resource.inputs if props is None else props,
        resource.urn,
        resource.name,
        resource_options(resource, protect),
        None,
    )
    found: list[Violation] = []
    for policy in POLICIES:
        policy.validate(args, lambda message, urn=None, name=policy.name: found.append(Violation(name, message)))
    return found


def stack_violations(resources: list[RecordedResource]) -> list[Violation]:
    """Every stack policy over ``resources`` (registration order: dependencies come first)."""
    policy_resources: dict[str, PolicyResource] = {}
    for r in resources:
        dependencies = [policy_resources[u] for u in r.dependencies if u in policy_resources]
        property_dependencies = {
            key: [policy_resources[u] for u in urns if u in policy_resources]
            for key, urns in r.property_dependencies.items()
        }
        provider = PolicyProviderResource("pulumi:providers:aws", {"region": r.region}, "", "") if r.region else None
        policy_resources[r.urn] = PolicyResource(
            r.type, r.inputs, r.urn, r.name, resource_options(r), provider, None, dependencies, property_dependencies
        )
    args = StackValidationArgs(list(policy_resources.values()))
    found: list[Violation] = []
    for policy in STACK_POLICIES:
        policy.validate(args, lambda message, urn=None, name=policy.name: found.append(Violation(name, message)))
    return found


def plan_violations(plan: PlanResult) -> list[Violation]:
    """The whole pack over a plan: resource policies on every resource, then the stack policies."""
    return [v for r in plan.resources for v in resource_violations(r)] + stack_violations(plan.resources)
