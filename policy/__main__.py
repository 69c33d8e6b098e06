"""CrossGuard policy pack: ``pulumi preview --policy-pack policy``.

The rules themselves live in ``rules.py`` as plain functions, so the offline tests run the very
same checks over every phase's plan.
"""

import sys
from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

# The pack runs as a script from its own directory; make the sibling module importable either way.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rules import RULES, physical_name_violation  # noqa: E402


def _validator(rule):
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


PolicyPack(
    name="platform-policy",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name=rule.name, description=rule.description, validate=_validator(rule))
        for rule in RULES
    ]
    + [
        ResourceValidationPolicy(
            name="stable-physical-names",
            description="Physical names never contain the stack name, so promotion updates in place.",
            validate=_physical_names,
        )
    ],
)
