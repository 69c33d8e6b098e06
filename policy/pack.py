"""The CrossGuard policies built from ``rules.py`` (kept apart from ``__main__`` so tests can call them)."""

from __future__ import annotations

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

try:  # imported as ``policy.pack`` by the tests, as a sibling module by the policy runtime
    from .rules import RULES, Rule, physical_name_violation
    from .stack_rules import STACK_RULES, StackResource
except ImportError:
    from rules import RULES, Rule, physical_name_violation
    from stack_rules import STACK_RULES, StackResource


def _validator(rule: Rule):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.types:
            return
        message = rule.check(args.props, bool(args.opts.protect))
        if message:
            report_violation(f"{args.urn}: {message}")

    return validate


def _physical_names(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type.startswith(("pulumi:", "kubernetes:")):
        return
    message = physical_name_violation(args.urn, args.props)
    if message:
        report_violation(f"{args.urn}: {message}")


def stack_resources(args: StackValidationArgs) -> list[StackResource]:
    """The engine's view of the stack as the cross-resource rules take it."""
    return [
        StackResource(
            r.resource_type,
            r.urn,
            r.props,
            tuple(d.urn for d in r.dependencies),
            {key: tuple(d.urn for d in deps) for key, deps in (r.property_dependencies or {}).items()},
            _region(r),
        )
        for r in args.resources
    ]


def _region(resource) -> str:
    """The region of a resource's explicit provider (every regional resource of ours has one)."""
    provider = getattr(resource, "provider", None)
    props = getattr(provider, "props", None) or {}
    region = props.get("region") if "region" in props else None
    return region if isinstance(region, str) else ""


def _stack_validator(rule):
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for urn, message in rule(stack_resources(args)):
            report_violation(f"{urn}: {message}", urn)

    return validate


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """One resource policy per rule, the stack-name check on physical names, and one stack policy
    per cross-resource rule."""
    policies = [
        ResourceValidationPolicy(name=rule.name, description=rule.description, validate=_validator(rule))
        for rule in RULES
    ]
    policies.append(
        ResourceValidationPolicy(
            name="stable-physical-names",
            description="Physical names never contain the stack name, so promotion updates in place.",
            validate=_physical_names,
        )
    )
    policies += [
        StackValidationPolicy(name=name, description=description, validate=_stack_validator(rule))
        for name, description, rule in STACK_RULES
    ]
    return policies
