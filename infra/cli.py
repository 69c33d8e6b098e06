"""Offline tools: ``python -m infra.cli COMMAND``.

Every command runs the real stack program under the SDK's mocks (see :mod:`infra.harness`), so
what it shows is what ``pulumi up`` would register, without a cloud account or the Pulumi CLI.
A bad stack config prints its one-line error and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import pulumi
from rich.console import Console
from rich.tree import Tree

from infra.harness import PlanResult, run_stack
from infra.inventory import Group, group_by_component, type_counts

EXIT_CONFIG_ERROR = 2


def _render_group(tree: Tree, group: Group) -> None:
    region = f" [dim]{','.join(sorted(group.regions))}[/dim]" if group.regions else ""
    counts = ", ".join(f"{n} {t}" for t, n in sorted(group.counts.items()))
    label = f"[bold]{group.name}[/bold] [cyan]{group.type}[/cyan]{region} — {group.total} resources"
    branch = tree.add(label + (f"\n[dim]{counts}[/dim]" if counts else ""))
    for highlight in group.highlights:
        branch.add(f"[green]{highlight}[/green]")
    for child in group.children:
        _render_group(branch, child)


def print_plan(plan: PlanResult, console: Console) -> None:
    """Human inventory: component tree with counts and sizing, then totals per resource type."""
    tree = Tree(f"[bold]stack {plan.stack}[/bold]")
    for group in group_by_component(plan):
        _render_group(tree, group)
    console.print(tree)
    totals = type_counts(plan)
    console.print(
        f"\n[bold]{sum(totals.values())} cloud resources[/bold] in {len(totals)} types, "
        f"{sum(1 for r in plan.resources if r.is_component)} components"
    )
    for type_token, count in sorted(totals.items()):
        console.print(f"  {count:4d}  {type_token}")


def plan_json(plan: PlanResult) -> dict:
    """Machine view: every resource with type, name, URN, parent, inputs and options."""
    return {
        "stack": plan.stack,
        "resources": [r.to_json() for r in plan.resources],
        "outputs": plan.outputs,
    }


def _cmd_plan(args: argparse.Namespace, console: Console) -> int:
    plan = run_stack(args.stack)
    if args.json:
        sys.stdout.write(json.dumps(plan_json(plan), indent=2, sort_keys=True, default=str) + "\n")
    else:
        print_plan(plan, console)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m infra.cli``."""
    parser = argparse.ArgumentParser(prog="python -m infra.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="what a stack deploys, offline")
    plan.add_argument("stack", help="stack name, e.g. phase2 (reads Pulumi.<stack>.yaml)")
    plan.add_argument("--json", action="store_true", help="every resource with inputs and options, as JSON")
    plan.set_defaults(handler=_cmd_plan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    console = Console()
    try:
        return args.handler(args, console)
    except pulumi.RunError as error:
        # Config errors (and any other RunError) are user errors: one line, no traceback.
        Console(stderr=True).print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        return EXIT_CONFIG_ERROR
    except FileNotFoundError as error:
        Console(stderr=True).print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        return EXIT_CONFIG_ERROR


if __name__ == "__main__":
    sys.exit(main())
