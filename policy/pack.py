"""The CrossGuard policies built from ``rules.py`` (kept apart from ``__main__`` so tests can call them)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

try:  # imported as ``policy.pack`` by the tests, as a sibling module by the policy runtime
    from .rules import RULES, Rule, physical_name_violation
except ImportError:
    from rules import RULES, Rule, physical_name_violation


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


def build_policies() -> list[ResourceValidationPolicy]:
    """One resource policy per rule, plus the stack-name check on physical names."""
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
    return policies
