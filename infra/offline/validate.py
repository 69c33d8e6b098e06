"""``validate STACK``: one stack against its phase, in four sections, from one offline plan.

1. **config**: the stack config model and its cross-field rules (:func:`infra.config.load_config`).
   A config it refuses never reaches the other sections: the command prints that one line and
   exits 2, like every other command.
2. **policy**: the CrossGuard pack over the mocked graph, every resource and stack policy the way
   the policy engine runs them (:func:`infra.offline.policy_check.plan_violations`). The pack is
   MANDATORY (``policy/__main__.py``), so each violation is a failure.
3. **capacity**: each SPEC §3 target the phase must carry (:func:`infra.offline.capacity_report.build_report`).
4. **cost**: the monthly total (:func:`infra.offline.cost.stack_cost`) at or under the aim, the
   lower end of the phase's budget (:data:`infra.rules.PHASE_BUDGET`); the ceiling (every node
   group at its maximum size) against the upper end is information only.

Exit status (:func:`exit_status`): 0 every mandatory check passes; 1 any fails (a policy violation, a
capacity FAIL, a total above the aim); 2 the cost could not be computed (a missing or malformed usage
file, a size or type without a price: what ``cost`` refuses with exit 2), after the whole report,
whose cost section gives the one-line reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infra.config import StackConfig
from infra.offline.capacity_report import CapacityReport, format_amount
from infra.offline.cost import CostReport, money
from infra.offline.harness import PlanResult
from infra.offline.policy_check import POLICIES, STACK_POLICIES, Violation, plan_violations
from infra.offline.pricing import PriceError
from infra.offline.usage import UsageError
from infra.rules import PHASE_BUDGET

EXIT_FAILED = 1
EXIT_INVALID_INPUT = 2


@dataclass(frozen=True)
class Item:
    """One line of a section: what was checked, on what, the outcome and why.

    ``passed`` is None for information that gates nothing (the cost ceiling).
    """

    name: str
    detail: str
    passed: bool | None
    subject: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "detail": self.detail, "passed": self.passed}


@dataclass(frozen=True)
class Section:
    """One of the four sections; ``invalid_input`` when it could not be judged (exit 2)."""

    title: str
    summary: str
    items: tuple[Item, ...]
    invalid_input: bool = False

    @property
    def passed(self) -> bool:
        return not self.invalid_input and all(item.passed is not False for item in self.items)

    @property
    def failures(self) -> int:
        return sum(1 for item in self.items if item.passed is False)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": self.summary,
            "passed": self.passed,
            "invalid_input": self.invalid_input,
            "items": [item.to_json() for item in self.items],
        }


def config_section(config: StackConfig) -> Section:
    """The config passed the model and every cross-field rule (a refusal never gets this far)."""
    regions = ", ".join(f"{r.region} ({r.role})" for r in config.regions)
    detail = f"phase {config.phase}, database engine {config.database.engine}, regions {regions}"
    return Section("config", "model and cross-field rules pass", (Item("platform: config", detail, True),))


def _split(violation: Violation) -> tuple[str, str]:
    """(URN, message) of a violation; every rule of the pack starts its message with ``<urn>: ``."""
    if violation.message.startswith("urn:"):
        urn, _, message = violation.message.partition(": ")
        return urn, message
    return "", violation.message


def policy_section(violations: Sequence[Violation], resources: int) -> Section:
    """Each violation of the (MANDATORY) pack over ``resources`` custom resources is a failure."""
    checked = f"{len(POLICIES)} resource and {len(STACK_POLICIES)} stack policies over {resources} resources"
    items = tuple(Item(v.policy, message, False, urn) for v in violations for urn, message in [_split(v)])
    if not items:
        return Section("policy", f"{checked}: no violation", (Item("platform-policy pack", "no violation", True),))
    return Section("policy", f"{checked}: {len(items)} violations", items)


def capacity_section(report: CapacityReport) -> Section:
    """Each SPEC §3 target of the phase: what it requires against what the plan carries."""
    items = tuple(
        Item(
            check.target,
            f"required {format_amount(check.required, check.unit, ceiling=True)}, carries "
            f"{format_amount(check.capacity, check.unit)}; limited by {check.limit}",
            check.passed,
        )
        for check in report.checks
    )
    failed = sum(1 for item in items if not item.passed)
    summary = f"{failed} of {len(items)} targets FAIL" if failed else f"all {len(items)} targets PASS"
    return Section("capacity", f"phase {report.phase} targets (SPEC §3): {summary}", items)


def cost_section(cost: CostReport | UsageError | PriceError, phase: int, approved: int | None = None) -> Section:
    """The monthly total against the budget (mandatory) and the ceiling against the upper end.

    The budget is ``approved`` (``platform:budget.monthlyUsd``) when the stack declares one, else
    the phase's aim (the lower end of SPEC §3's range). An approved budget above the aim does not
    hide it: the estimate against the aim is listed as information.

    ``cost`` is the priced plan, or why it could not be priced (a usage file that is missing or
    malformed, a size without a price: never taken as free), which fails the section as invalid input.
    """
    aim, upper = PHASE_BUDGET[phase]
    limit = aim if approved is None else approved
    source = f"the aim {money(aim)}" if approved is None else f"the approved budget {money(approved)}"
    budget = f"phase {phase} budget {money(aim)}–{money(upper)}/month, aim {money(aim)}"
    if approved is not None:
        budget += f", approved {money(approved)} (platform:budget.monthlyUsd)"
    if not isinstance(cost, CostReport):
        item = Item("monthly total", str(cost), False)
        return Section("cost", f"{budget}: not priced", (item,), invalid_input=True)
    total, ceiling = cost.total, cost.ceiling
    items = [Item("monthly total", f"{money(total)}: {_against(total, limit)} {source}", round(total, 2) <= limit)]
    if approved is not None:
        items.append(Item("against the phase's aim", f"{money(total)}: {_against(total, aim)} the aim {money(aim)}"
                          " (information: the gap and its trade-offs are in the README)", None))  # fmt: skip
    items.append(
        Item(
            "ceiling (every node group at max)",
            f"{money(ceiling)} against the upper end {money(upper)} (information)",
            None,
        )
    )
    return Section("cost", f"{budget}: {money(total)}/month", tuple(items))


def _against(total: float, limit: float) -> str:
    """``at or under`` or ``$N over`` (cents when under a dollar over)."""
    if round(total, 2) <= limit:
        return "at or under"
    over = total - limit
    return f"{money(over) if over >= 1 else f'${over:.2f}'} over"


def validate(
    plan: PlanResult, config: StackConfig, capacity: CapacityReport, cost: CostReport | UsageError | PriceError
) -> list[Section]:
    """The four sections of one stack, from its (already validated) config and its one plan."""
    resources = sum(1 for r in plan.resources if r.custom)
    return [
        config_section(config),
        policy_section(plan_violations(plan), resources),
        capacity_section(capacity),
        cost_section(cost, config.phase, config.budget.monthly_usd),
    ]


def exit_status(sections: Sequence[Section]) -> int:
    """0 all mandatory checks pass, 2 a section could not be judged (invalid input), else 1."""
    if any(s.invalid_input for s in sections):
        return EXIT_INVALID_INPUT
    return 0 if all(s.passed for s in sections) else EXIT_FAILED


def to_json(stack: str, phase: int, sections: Sequence[Section]) -> dict[str, Any]:
    """The machine view: every section and item, the overall verdict and the exit status."""
    status = exit_status(sections)
    return {
        "stack": stack,
        "phase": phase,
        "passed": status == 0,
        "exit_status": status,
        "sections": [s.to_json() for s in sections],
    }


def verdict(stack: str, sections: Sequence[Section]) -> str:
    """The last line: what passed, or which sections failed and how often."""
    if all(s.passed for s in sections):
        return f"validate {stack}: every mandatory check passes"
    failed = ", ".join(
        f"{s.title} ({'not judged: invalid input' if s.invalid_input else s.failures})"
        for s in sections
        if not s.passed
    )
    return f"validate {stack}: FAILED in {failed}"


def render(stack: str, sections: Sequence[Section], console: Any) -> None:
    """The human report: one table per section (the ``capacity`` command's PASS/FAIL styles), then the verdict."""
    from rich.markup import escape
    from rich.table import Table

    marks = {True: "[green]PASS[/green]", False: "[red]FAIL[/red]", None: "[dim]info[/dim]"}
    for number, section in enumerate(sections, 1):
        style = "green" if section.passed else "red"
        console.print(f"\n[bold]{number}. {section.title}[/bold]: [{style}]{escape(section.summary)}[/{style}]")
        # The resource column only where an item names one (policy violations).
        subjects = any(item.subject for item in section.items)
        table = Table(show_lines=True)
        for column in ("check", "resource", "", "detail") if subjects else ("check", "", "detail"):
            table.add_column(column, overflow="fold")
        for item in section.items:
            cells = (escape(item.name), escape(item.subject)) if subjects else (escape(item.name),)
            table.add_row(*cells, marks[item.passed], escape(item.detail))
        console.print(table)
    style = "green" if all(s.passed for s in sections) else "red"
    console.print(f"[bold {style}]{escape(verdict(stack, sections))}[/bold {style}]", highlight=False)
