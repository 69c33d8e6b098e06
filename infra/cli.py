"""Offline tools: ``python -m infra.cli COMMAND``.

Every command runs the real stack program under the SDK's mocks (see :mod:`infra.offline.harness`), so
what it shows is what ``pulumi up`` would register, without a cloud account or the Pulumi CLI.

Exit status: 0 done (diff: safe; validate: every mandatory check passes); 1 unsafe (the diff or
the move refuses to replace or delete data, or the two stacks run different database engines, a
migration; promote/demote: also the real plan, or a precondition; validate: a mandatory check
fails); 2 invalid input (stack config or stack file; one line naming the key; validate: also the
usage file); 3 the Pulumi CLI is missing or not logged in (promote/demote), or Graphviz's ``dot``
is missing (diagram); 4 the two stacks are different environments or the move goes the wrong way;
5 internal error (a bug: traceback printed); 6 a move stopped part way (promote/demote: the
message says where the environment lives and what to run next).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import pulumi
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from infra.config import load_config
from infra.offline.cost import CostDelta
from infra.offline.diff import (
    PromotionDiff,
    check_same_engine,
    check_same_environment,
    diff_plans,
    render_table,
    to_json,
)
from infra.offline.harness import ROOT, PlanResult, run_stack, stack_config
from infra.offline.inventory import Group, group_by_component, type_counts

EXIT_UNSAFE = 1
EXIT_CONFIG_ERROR = 2
EXIT_NO_CLI = 3
EXIT_REFUSED = 4
EXIT_CRASH = 5
EXIT_MOVE_FAILED = 6


def _render_group(tree: Tree, group: Group) -> None:
    region = f" [dim]{','.join(sorted(group.regions))}[/dim]" if group.regions else ""
    counts = ", ".join(f"{n} {t}" for t, n in sorted(group.counts.items()))
    label = f"[bold]{group.name}[/bold] [cyan]{group.type}[/cyan]{region} — {group.total} resources"
    branch = tree.add(label + (f"\n[dim]{counts}[/dim]" if counts else ""))
    for highlight in group.highlights:
        branch.add(f"[green]{escape(highlight)}[/green]")
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


def _write_manifests(plan: PlanResult, directory: Path, console: Console) -> None:
    """Every Kubernetes object of the plan as YAML under ``directory/<cluster>/``, and per cluster
    the Helm releases (rendered only in the cluster, so listed rather than written)."""
    from infra.offline.manifests import custom_resource_kinds, objects_by_cluster, releases_by_cluster, write_manifests

    releases = releases_by_cluster(plan)
    for cluster, objects in objects_by_cluster(plan).items():
        paths = write_manifests(objects, directory / cluster)
        console.print(f"{len(paths)} manifests for {cluster} in {directory / cluster}", highlight=False)
        kinds = custom_resource_kinds(objects)
        if kinds:
            console.print(f"  custom resources (no public schema, checked by our own rules): {', '.join(kinds)}")
        for release in releases.get(cluster, []):
            console.print(
                f"  helm release {release['namespace']}/{release['name']}: {release['chart']} "
                f"{release['version']} from {release['repo']}",
                highlight=False,
            )


def _cmd_plan(args: argparse.Namespace, console: Console) -> int:
    plan = run_stack(args.stack, args.project_dir)
    if args.manifests:
        _write_manifests(plan, Path(args.manifests), Console(stderr=True) if args.json else console)
    if args.json:
        sys.stdout.write(json.dumps(plan_json(plan), indent=2, sort_keys=True, default=str) + "\n")
    else:
        print_plan(plan, console)
    return 0


def print_capacity(report, console: Console) -> None:
    """The capacity table: target, required, capacity, verdict, limiting factor, formula."""
    from rich.table import Table

    from infra.offline.capacity_report import format_amount

    table = Table(title=f"capacity of stack {report.stack} (phase {report.phase}) against SPEC §3", show_lines=True)
    for column in ("target", "required", "capacity", "", "limited by", "how"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        verdict = "[green]PASS[/green]" if check.passed else "[red]FAIL[/red]"
        table.add_row(
            escape(check.target),
            format_amount(check.required, check.unit, ceiling=True),
            format_amount(check.capacity, check.unit),
            verdict,
            escape(check.limit),
            escape(check.formula),
        )
    console.print(table)
    failed = [c.target for c in report.checks if not c.passed]
    summary = f"[red]{len(failed)} of {len(report.checks)} targets FAIL[/red]: {escape(', '.join(failed))}"
    console.print(summary if failed else f"[green]all {len(report.checks)} targets PASS[/green]")
    console.print("[dim]assumptions: platform:capacity (infra/config/capacity.py CapacityConfig); exit 0 either way, "
                  "validate gates[/dim]")  # fmt: skip


def _cmd_capacity(args: argparse.Namespace, console: Console) -> int:
    from infra.offline.capacity_report import build_report

    config = load_config(stack_config(args.stack, args.project_dir))
    report = build_report(run_stack(args.stack, args.project_dir), config)
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n")
    else:
        print_capacity(report, console)
    return 0


def _diagram_file(value: str) -> Path:
    """``-o`` of ``diagram``: a .png or .svg path (argparse reports anything else as a usage error)."""
    from infra.offline.diagram_render import FORMATS

    path = Path(value)
    if path.suffix.lstrip(".").lower() not in FORMATS:
        raise argparse.ArgumentTypeError(f"{value}: the diagram is written as .png or .svg")
    return path


def _cmd_diagram(args: argparse.Namespace, console: Console) -> int:
    from infra.offline.diagram import build_diagram_model
    from infra.offline.diagram_render import DotMissingError, render, require_dot

    try:
        require_dot()  # before the slow plan: a missing tool is one line at once
    except DotMissingError as error:
        _error(error)
        return EXIT_NO_CLI
    model = build_diagram_model(run_stack(args.stack, args.project_dir))
    render(model, args.output)
    console.print(f"{args.output}: {model.title}; {len(model.nodes)} nodes, {len(model.edges)} flows", highlight=False)
    return 0


class RefusedError(pulumi.RunError):
    """A promotion the offline checks refuse (different environments, wrong direction)."""


class MigrationError(pulumi.RunError):
    """A move between stacks that would need a data migration (another database engine): unsafe."""


def check_engines(source: str, target: str, root: Path = ROOT) -> None:
    """Raise MigrationError when the two stacks run different database engines (before any plan)."""
    refusal = check_same_engine(stack_config(source, root), stack_config(target, root))
    if refusal:
        raise MigrationError(refusal)


def offline_diff(source: str, target: str, direction: str, root: Path = ROOT) -> PromotionDiff:
    """Diff of the two stack programs after the environment and direction checks.

    ``direction`` is ``promote`` (the target's phase must be higher) or ``demote`` (lower).
    """
    return diff_plans(*offline_plans(source, target, direction, root))


def offline_plans(source: str, target: str, direction: str, root: Path = ROOT) -> tuple[PlanResult, PlanResult]:
    """The plans of the two stacks, after the environment and direction checks of :func:`offline_diff`."""
    old_flat, new_flat = stack_config(source, root), stack_config(target, root)
    refusal = check_same_environment(old_flat, new_flat)
    if refusal:
        raise RefusedError(refusal)
    check_engines(source, target, root)
    old_phase, new_phase = load_config(old_flat).phase, load_config(new_flat).phase
    if direction == "promote" and new_phase <= old_phase or direction == "demote" and new_phase >= old_phase:
        raise RefusedError(
            f"{direction} goes {'up' if direction == 'promote' else 'down'} in phase: "
            f"{source} is phase {old_phase}, {target} is phase {new_phase}"
        )
    return run_stack(source, root, old_flat), run_stack(target, root, new_flat)


def _print_diff(diff: PromotionDiff, console: Console, show_same: bool) -> None:
    from infra.offline.diff_view import WIDTH, verdict

    width = min(console.width, WIDTH)
    console.print(render_table(diff, show_same=show_same), width=width)
    for refusal in diff.unsafe:
        console.print(
            f"[red]refused[/red] {escape(refusal.change.action)} {escape(refusal.change.urn)}\n"
            f"  why: {escape(refusal.reason)}\n  way out: {escape(refusal.remedy)}",
            highlight=False,
            width=width,
        )
    style = "green" if diff.is_safe else "red"
    console.print(f"[{style}]{escape(verdict(diff))}[/{style}]", highlight=False, width=width)


def cost_change(before: PlanResult, after: PlanResult, root: Path) -> CostDelta | str:
    """The monthly cost delta between two plans, each priced with its stack's usage file; the
    reason as text when either cannot be priced (a diff is about safety: a missing price or usage
    file must not hide its verdict)."""
    from infra.offline.cost import cost_delta, stack_cost
    from infra.offline.pricing import PriceError
    from infra.offline.usage import UsageError

    try:
        return cost_delta(stack_cost(before.stack, before, root), stack_cost(after.stack, after, root))
    except (PriceError, UsageError) as error:
        return str(error)


def _cmd_diff(args: argparse.Namespace, console: Console) -> int:
    from infra.offline.diff_view import WIDTH, render_cost_delta

    direction = "demote" if args.demote else "promote"
    before, after = offline_plans(args.source, args.target, direction, args.project_dir)
    diff = diff_plans(before, after)
    delta = cost_change(before, after, Path(args.project_dir))
    if args.json:
        cost = {"error": delta} if isinstance(delta, str) else delta.to_json()
        sys.stdout.write(json.dumps({**to_json(diff), "cost": cost}, indent=2, sort_keys=True) + "\n")
    else:
        _print_diff(diff, console, args.all)
        console.print(render_cost_delta(delta), width=min(console.width, WIDTH), highlight=False)
    return 0 if diff.is_safe else EXIT_UNSAFE


def _cmd_cost(args: argparse.Namespace, console: Console) -> int:
    from infra.offline.cost import render, stack_cost
    from infra.offline.cost import to_json as cost_json

    plan = run_stack(args.stack, args.project_dir)
    report = stack_cost(args.stack, plan, Path(args.project_dir), Path(args.usage) if args.usage else None)
    if args.json:
        sys.stdout.write(json.dumps(cost_json(report), indent=2, sort_keys=True) + "\n")
    else:
        render(report, console)
    return 0


def _cmd_validate(args: argparse.Namespace, console: Console) -> int:
    from infra.offline.capacity_report import build_report
    from infra.offline.cost import stack_cost
    from infra.offline.pricing import PriceError
    from infra.offline.usage import UsageError
    from infra.offline.validate import exit_status, render, to_json, validate

    flat = stack_config(args.stack, args.project_dir)
    config = load_config(flat)  # a ConfigError is the failed check: one line, exit 2 (main)
    plan = run_stack(args.stack, args.project_dir, flat)
    try:
        cost = stack_cost(args.stack, plan, Path(args.project_dir), Path(args.usage) if args.usage else None)
    except (UsageError, PriceError) as error:  # the cost section fails with the reason; the rest still shows
        cost = error
    sections = validate(plan, config, build_report(plan, config), cost)
    if args.json:
        sys.stdout.write(json.dumps(to_json(args.stack, config.phase, sections), indent=2, sort_keys=True) + "\n")
    else:
        render(args.stack, sections, console)
    return exit_status(sections)


def _print_demote_diff(diff: PromotionDiff, console: Console) -> None:
    """The offline diff of a demotion: its deletes are judged later against the real state."""
    counts = ", ".join(f"{n} {a}" for a, n in diff.counts().items() if n)
    console.print(f"offline diff: {counts}", highlight=False)
    for change in diff.changes:
        if change.action in ("delete", "replace"):
            console.print(f"  {change.action} {escape(change.urn)}", highlight=False)
    for refusal in (r for r in diff.unsafe if r.change.action != "delete"):
        console.print(f"[red]refused[/red] {escape(refusal.reason)}\n  way out: {escape(refusal.remedy)}")


def _cmd_move(args: argparse.Namespace, console: Console) -> int:
    from infra.promotion.move import MoveRequest, PlanRefusedError, PromotionError, PromotionRefusedError, promote
    from infra.promotion.pulumi_cli import NotLoggedInError, PulumiCli, PulumiCliError

    # Offline and cheap: another engine is refused as unsafe whether or not the CLI is here. A
    # missing stack file is reported by the offline diff, after the CLI checks.
    with contextlib.suppress(FileNotFoundError):
        check_engines(args.source, args.target, args.project_dir)
    if shutil.which("pulumi") is None:
        _error(
            f"the Pulumi CLI is not on PATH; promote/demote move real state and need it (and credentials). "
            f"`python -m infra.cli diff {args.source} {args.target}` shows the move offline."
        )
        return EXIT_NO_CLI
    log = lambda message: console.print(escape(str(message)), highlight=False)  # noqa: E731
    pulumi_cli = PulumiCli(args.project_dir, on_output=log)
    try:  # before the slow offline diff: a CLI with no backend session is one line, not a traceback
        pulumi_cli.whoami()
    except PulumiCliError as error:
        _error(NotLoggedInError(error.args_, error.returncode, error.stderr))
        return EXIT_NO_CLI
    diff = offline_diff(args.source, args.target, args.command, args.project_dir)
    if args.command == "promote":
        _print_diff(diff, console, False)
        if not diff.is_safe:
            return EXIT_UNSAFE
    else:
        _print_demote_diff(diff, console)
        if any(r.change.action != "delete" for r in diff.unsafe):
            return EXIT_UNSAFE
    request = MoveRequest(
        args.command,
        args.source,
        args.target,
        diff,
        args.yes,
        Path(args.backup_dir) if args.backup_dir else Path(args.project_dir) / "backups",
        tuple(getattr(args, "confirm_delete", None) or ()),
        getattr(args, "delete_derivable", False),
    )
    try:
        result = promote(pulumi_cli, request, log)
    except NotLoggedInError as error:
        _error(error)
        return EXIT_NO_CLI
    except (PromotionRefusedError, PlanRefusedError) as error:
        _error(error)
        return EXIT_UNSAFE
    except PromotionError as error:
        _error(error)
        return EXIT_MOVE_FAILED
    done = "updated" if result.applied else "dry run, nothing changed"
    console.print(f"{args.command} {result.source} -> {result.target}: {done}; the environment lives in "
                  f"{result.lives_in}", highlight=False)  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m infra.cli``."""
    parser = argparse.ArgumentParser(
        prog="python -m infra.cli",
        description=__doc__.splitlines()[0],
        epilog="exit status: 0 done/safe, 1 unsafe or a validate check fails, 2 invalid config, stack or usage "
        "file, 3 no Pulumi CLI (or no dot), 4 different environments or wrong direction, 5 internal error, "
        "6 move stopped part way",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=ROOT,
        help="directory with Pulumi.yaml and the stack configs (default: this checkout)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="what a stack deploys, offline")
    plan.add_argument("stack", help="stack name, e.g. phase2 (reads Pulumi.<stack>.yaml)")
    plan.add_argument("--json", action="store_true", help="every resource with inputs and options, as JSON")
    plan.add_argument("--manifests", metavar="DIR", help="also write every Kubernetes object as YAML into DIR")
    plan.set_defaults(handler=_cmd_plan)

    capacity = commands.add_parser("capacity", help="what a stack can carry against its phase's targets, offline")
    capacity.add_argument("stack", help="stack name, e.g. phase2 (reads Pulumi.<stack>.yaml)")
    capacity.add_argument("--json", action="store_true", help="every check as JSON")
    capacity.set_defaults(handler=_cmd_capacity)

    diff = commands.add_parser("diff", help="what promoting SOURCE's environment to TARGET would do, offline")
    diff.add_argument("source", help="stack the environment lives in, e.g. phase1")
    diff.add_argument("target", help="stack to move it to, e.g. phase2")
    diff.add_argument("--json", action="store_true", help="machine-readable diff")
    diff.add_argument("--all", action="store_true", help="list unchanged resources too")
    diff.add_argument("--demote", action="store_true", help="check a move down in phase instead")
    diff.set_defaults(handler=_cmd_diff)

    cost = commands.add_parser("cost", help="monthly estimate from the dated price table and the usage file")
    cost.add_argument("stack", help="stack name, e.g. phase2")
    cost.add_argument("--json", action="store_true", help="every priced resource, per component and region, as JSON")
    cost.add_argument("--usage", metavar="FILE", help="usage file (default: PROJECT_DIR/usage/<stack>.yaml)")
    cost.set_defaults(handler=_cmd_cost)
    diagram = commands.add_parser("diagram", help="architecture picture of a stack, from its resource graph")
    diagram.add_argument("stack", help="stack name, e.g. phase4")
    diagram.add_argument(
        "-o",
        "--output",
        required=True,
        type=_diagram_file,
        metavar="FILE",
        help="where to write it: FILE.png or FILE.svg",
    )
    diagram.set_defaults(handler=_cmd_diagram)

    validate = commands.add_parser(
        "validate", help="config, policy pack, capacity and cost against the phase's targets, offline"
    )
    validate.add_argument("stack", help="stack name, e.g. phase2 (reads Pulumi.<stack>.yaml)")
    validate.add_argument("--json", action="store_true", help="every section and check as JSON")
    validate.add_argument("--usage", metavar="FILE", help="usage file (default: PROJECT_DIR/usage/<stack>.yaml)")
    validate.set_defaults(handler=_cmd_validate)

    for command, text in (("promote", "move the environment up a phase"), ("demote", "move it back down")):
        move = commands.add_parser(command, help=f"{text} (real state; needs the Pulumi CLI and credentials)")
        move.add_argument("source", help="stack the environment lives in now")
        move.add_argument("target", help="stack to move it to")
        move.add_argument(
            "--yes", action="store_true", help="update: `pulumi up` of the saved plan (default: dry run, moved back)"
        )
        move.add_argument("--backup-dir", help="where both stacks' exports and the marker go (PROJECT_DIR/backups)")
        if command == "demote":
            move.add_argument(
                "--confirm-delete", action="append", metavar="URN",
                help="allow deleting this derivable protected/stateful resource (replica...); repeat per URN",
            )  # fmt: skip
            move.add_argument(
                "--delete-derivable", action="store_true",
                help="allow deleting the unprotected resources that hold no data (alarms, workers, NATs...)",
            )  # fmt: skip
        move.set_defaults(handler=_cmd_move)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    # Piped output (CI logs, files) gets a fixed wide layout instead of 80 truncated columns.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    try:
        return args.handler(args, console)
    except RefusedError as error:
        _error(error)
        return EXIT_REFUSED
    except MigrationError as error:
        _error(error)
        return EXIT_UNSAFE
    except (pulumi.RunError, FileNotFoundError) as error:
        # Config errors (and any other RunError) are user errors: one line, no traceback.
        _error(error)
        return EXIT_CONFIG_ERROR
    except Exception:
        traceback.print_exc()
        return EXIT_CRASH


def _error(error: BaseException) -> None:
    """One line on stderr; the text is escaped, so ``[...]`` in it is printed, not taken as markup."""
    Console(stderr=True).print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)


if __name__ == "__main__":
    sys.exit(main())
