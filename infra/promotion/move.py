"""Move one environment between phase stacks with Pulumi's own tools (SPEC §4 decisions 6 and 8).

Sequence (each step recorded in the marker, :mod:`infra.promotion.move_state`):

1. ``pulumi whoami``; an earlier run's marker is resolved by re-reading both stacks;
2. export both stacks; preconditions (target holds at most the root stack resource and providers,
   no pending operations anywhere, offline diff safe — for a demote: every delete derivable and
   confirmed, :mod:`infra.promotion.rollback`); refusals write nothing;
3. back up both exports; create the target if needed;
4. remove stray providers from the target; re-export the source and refuse if its checksum
   differs from the export the checks ran on; ``pulumi state move`` of every resource; re-read
   both stacks and verify; remove the providers state move copied and left in the source (a
   later move back would otherwise meet them: "provider already exists in destination stack");
5. ``pulumi preview --save-plan`` on the target, judged by :func:`infra.promotion.plan_gate.gate`; refused
   (or failed): the state is moved back the same way;
6. without ``yes``: a dry run — the state is moved back, the environment stays where it was, and
   the operator re-runs with ``--yes``, which previews and gates afresh, so ``up`` only ever runs
   a plan approved in the same run; with ``yes``: ``pulumi state unprotect`` of exactly the
   confirmed protected deletes, then ``pulumi up --plan``.

Any failure or interruption (SIGINT/SIGTERM, :class:`infra.promotion.pulumi_cli.Interrupted`) re-reads both
stacks and says where the environment lives and what to run next; never assumed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from infra.offline.diff import PromotionDiff, stackless_urn
from infra.offline.harness import PROJECT
from infra.promotion.move_state import Marker, checksum, locate, managed, providers, resources, write_backup
from infra.promotion.plan_gate import GateResult, gate, planned_changes
from infra.promotion.pulumi_cli import GUARD, Interrupted, NotLoggedInError
from infra.promotion.rollback import DemotePlan, demote_deletes


class StateBackend(Protocol):
    """The Pulumi CLI operations a move needs; :class:`infra.promotion.pulumi_cli.PulumiCli` is the real one."""

    def whoami(self) -> str: ...
    def stack_exists(self, stack: str) -> bool: ...
    def create(self, stack: str) -> None: ...
    def export(self, stack: str) -> dict[str, Any]: ...
    def state_move(self, source: str, dest: str, urns: list[str]) -> str: ...
    def state_delete(self, stack: str, urn: str) -> None: ...
    def state_unprotect(self, stack: str, urn: str) -> None: ...
    def preview(self, stack: str, plan_file: Path) -> tuple[dict[str, Any], dict[str, Any]]: ...
    def up(self, stack: str, plan_file: Path) -> str: ...


class PromotionError(RuntimeError):
    """The move stopped; the message says where the environment lives and what to run next."""


class SettledError(PromotionError):
    """The run stopped with the state re-read and verified: the message already says where it is."""


class PlanRefusedError(SettledError):
    """The real plan was refused and the state moved back: unsafe, like an unsafe offline diff."""


class PromotionRefusedError(PromotionError):
    """The move did not start (nothing was written); ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("move refused:\n- " + "\n- ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class MoveRequest:
    """One promote or demote, as the operator asked for it."""

    operation: str  # "promote" or "demote"
    source: str
    target: str
    diff: PromotionDiff
    yes: bool
    backup_dir: Path
    confirm_delete: tuple[str, ...] = ()
    delete_derivable: bool = False
    project: str = PROJECT


@dataclass
class PromotionResult:
    """Outcome of a completed run (dry run or update)."""

    source: str
    target: str
    lives_in: str
    moved: int
    gate: GateResult
    applied: bool
    backups: list[Path] = field(default_factory=list)
    up_output: str | None = None


def check_preconditions(
    operation: str, src_export: Mapping[str, Any], dst_export: Mapping[str, Any] | None, diff: PromotionDiff
) -> list[str]:
    """Reasons not to move, from both stacks' real state and the offline diff (demote deletes aside)."""
    problems = []
    for side, export in (("source", src_export), ("target", dst_export)):
        if export is not None and export.get("version") != 3:
            problems.append(f"{side} export has version {export.get('version')!r}; only version 3 is supported")
        pending = ((export or {}).get("deployment") or {}).get("pending_operations") or []
        if pending:
            ops = ", ".join(f"{op.get('type')} {op['resource']['urn']}" for op in pending)
            problems.append(
                f"{side} stack has pending operations ({ops}): an interrupted update may have left resources "
                "Pulumi does not track. Resolve them first (pulumi refresh --stack <stack>, then pulumi stack export)"
            )
    if not managed(src_export):
        problems.append("source stack manages no resources: nothing to move (is the environment in another phase?)")
    if managed(dst_export):
        held = managed(dst_export)
        problems.append(f"target stack is not empty ({len(held)} resources, e.g. {held[0]})")
    refusals = diff.unsafe if operation == "promote" else [r for r in diff.unsafe if r.change.action != "delete"]
    return problems + [f"unsafe change: {r.reason}. Way out: {r.remedy}" for r in refusals]


class _Move:
    """One run of the sequence; ``frm``/``to`` of the state move in flight are kept for reports."""

    def __init__(self, backend: StateBackend, request: MoveRequest, log: Callable[[str], None]) -> None:
        self.b, self.r, self.log = backend, request, log
        self.marker = Marker(request.backup_dir)
        self.backups: dict[str, Path] = {}  # checksum -> file, so an identical export is kept once
        self.last_backup: dict[str, Path] = {}  # stack -> its newest backup
        self.in_flight: tuple[str, str] | None = None
        self.demote: DemotePlan | None = None
        self.unprotected: list[str] = []
        self.moved = 0

    # --- helpers -------------------------------------------------------------------------------

    def _command(self, yes: bool | None = None) -> str:
        r = self.r
        flags = "".join(f" --confirm-delete '{u}'" for u in r.confirm_delete)
        flags += " --delete-derivable" * r.delete_derivable + " --yes" * (r.yes if yes is None else yes)
        return f"python -m infra.cli {r.operation} {r.source} {r.target}{flags}"

    def _step(self, step: str) -> None:
        self.marker.update(step)

    def _backup(self, stack: str, export: Mapping[str, Any]) -> None:
        digest = checksum(export)
        if digest not in self.backups:
            self.backups[digest] = write_backup(self.r.backup_dir, self.r.project, stack, export)
            self.marker.update(backup=self.backups[digest])
            self.log(f"backed up {stack} to {self.backups[digest]}")
        self.last_backup[stack] = self.backups[digest]

    def _drop_providers(self, stack: str, export: Mapping[str, Any]) -> None:
        for urn in providers(export):
            try:
                self.b.state_delete(stack, urn)
            except Exception as exc:  # harmless leftover; the next move into this stack retries
                self.log(f"warning: could not remove provider {urn} from {stack} ({exc})")

    # --- the sequence --------------------------------------------------------------------------

    def run(self) -> PromotionResult:
        with GUARD:
            try:
                self.log(f"Pulumi CLI logged in as {self.b.whoami()}")
                resumed = self._resolve_marker()
                dst_export = self._resume() if resumed else self._start()
                return self._preview_and_update(dst_export)
            except (PromotionRefusedError, SettledError, NotLoggedInError):
                raise
            except (Exception, Interrupted, KeyboardInterrupt) as exc:
                raise self._failure(exc) from exc

    def _start(self) -> dict[str, Any]:
        r, b = self.r, self.b
        if r.source == r.target or not b.stack_exists(r.source):
            raise PromotionRefusedError([f"source stack {r.source} does not exist or is the target"])
        src_export = b.export(r.source)
        dst_exists = b.stack_exists(r.target)
        dst_export = b.export(r.target) if dst_exists else None
        problems = check_preconditions(r.operation, src_export, dst_export, r.diff)
        problems += self._check_demote(src_export)
        if problems:
            raise PromotionRefusedError(problems)
        self.marker.start(r.operation, r.source, r.target)
        self._backup(r.source, src_export)
        if not dst_exists:
            self._step(f"create {r.target}")
            b.create(r.target)
        return self._move(r.source, r.target, src_export)

    def _check_demote(self, upper: Mapping[str, Any]) -> list[str]:
        if self.r.operation != "demote":
            return []
        self.demote = demote_deletes(
            self.r.diff, upper, confirm=self.r.confirm_delete, delete_derivable=self.r.delete_derivable
        )
        return self.demote.problems

    def _move(self, frm: str, to: str, expected: Mapping[str, Any]) -> dict[str, Any]:
        """State move of everything ``frm`` manages into ``to``; returns ``to``'s export afterwards."""
        b = self.b
        self.in_flight = (frm, to)
        self._step(f"check {frm} and {to}")
        to_export = b.export(to)
        self._backup(to, to_export)
        if managed(to_export):
            raise PromotionError(f"{to} holds resources ({managed(to_export)[0]}, ...); nothing was moved")
        self._drop_providers(to, to_export)
        now = b.export(frm)
        if checksum(now) != checksum(expected):
            raise PromotionError(f"{frm} changed since it was exported and checked (someone ran an update?)")
        self._backup(frm, now)
        urns = managed(now)
        self._step(f"state move {frm} -> {to}")
        b.state_move(frm, to, urns)
        self._step(f"verify {frm} -> {to}")
        after_frm, after_to = b.export(frm), b.export(to)
        ids = {stackless_urn(r["urn"]): r.get("id") for r in resources(after_to)}
        lost = [u for u in urns if stackless_urn(u) not in ids]
        moved_ids = {stackless_urn(x["urn"]): x.get("id") for x in resources(now) if x["urn"] in urns}
        wrong = [key for key, id_ in moved_ids.items() if key in ids and ids[key] != id_]
        if lost or wrong or managed(after_frm):
            raise PromotionError(
                f"pulumi state move {frm} -> {to} did not move everything "
                f"({len(lost)} missing, {len(wrong)} with another ID, {len(managed(after_frm))} left in {frm})"
            )
        self.in_flight = None
        self.moved = len(urns)
        self.log(f"moved {len(urns)} resources {frm} -> {to}")
        self._step(f"clean {frm}")
        self._drop_providers(frm, after_frm)
        self._step(f"moved to {to}")
        return after_to

    def _move_back(self, dst_export: Mapping[str, Any], reason: str | None) -> None:
        r = self.r
        self._move(r.target, r.source, dst_export)
        self.marker.clear()
        if reason:
            refused = reason.startswith("refused")
            fix = (
                f"make the program match the offline diff (python -m infra.cli diff {r.source} {r.target})"
                if refused
                else "fix the cause above"
            )
            raise (PlanRefusedError if refused else SettledError)(
                f"{reason}. The state was moved back: the environment lives in {r.source}, and nothing changed "
                f"in the cloud. Next: {fix}, then re-run `{self._command()}`"
            )

    def _preview_and_update(self, dst_export: dict[str, Any]) -> PromotionResult:
        r, b = self.r, self.b
        with tempfile.TemporaryDirectory(prefix="promotion-plan-") as private:
            plan_file = Path(private) / "plan.json"
            self._step(f"preview {r.target}")
            try:
                digest, plan = b.preview(r.target, plan_file)
            except Exception as exc:
                self._move_back(dst_export, f"the real preview of {r.target} failed ({exc})")
            confirmed = None if self.demote is None else self.demote.confirmed
            verdict = gate(planned_changes(plan, digest, dst_export), r.diff, confirmed_deletes=confirmed)
            self.log("real plan: " + ", ".join(f"{n} {a}" for a, n in sorted(verdict.counts().items())))
            for warning in verdict.warnings:
                self.log(f"  not predicted offline (allowed): {warning}")
            if not verdict.ok:
                self._move_back(dst_export, "refused by the real plan:\n- " + "\n- ".join(verdict.refusals))
            backups = list(self.backups.values())
            result = PromotionResult(r.source, r.target, r.source, self.moved, verdict, False, backups)
            if not r.yes:
                self._step("dry run: moving back")
                self._move_back(dst_export, None)
                self.log(f"dry run: the real plan passed the gate; the state is back in {r.source}, nothing changed "
                         f"in the cloud. To update, run `{self._command(yes=True)}`")  # fmt: skip
                return result
            planned = {c.key for c in verdict.changes if c.action == "delete"}
            by_key = {stackless_urn(x["urn"]): x["urn"] for x in resources(dst_export)}
            for item in self.demote.to_unprotect if self.demote else []:
                if item.key in planned:
                    self._step(f"unprotect {by_key[item.key]}")
                    b.state_unprotect(r.target, by_key[item.key])
                    self.unprotected.append(by_key[item.key])
                    self.marker.update(unprotected=by_key[item.key])
            self._step(f"up {r.target}")
            result.up_output = b.up(r.target, plan_file)
        self.marker.clear()
        result.applied, result.lives_in = True, r.target
        return result

    # --- an earlier run; failures --------------------------------------------------------------

    def _read(self, stack: str) -> tuple[dict[str, Any] | None, str | None]:
        try:
            return (self.b.export(stack) if self.b.stack_exists(stack) else None), None
        except (Exception, Interrupted, KeyboardInterrupt) as exc:
            return None, f"could not re-read {stack} ({exc})"

    def _resolve_marker(self) -> bool:
        """Settle an earlier interrupted run; True when it left this very move's state in the target."""
        old = self.marker.read()
        if not old:
            return False
        frm, to = old["from"], old["to"]
        self.log(f"found {self.marker.path}: {old['what']} {frm} -> {to} (started {old['started']}) stopped at "
                 f"'{old['step']}'; re-reading both stacks")  # fmt: skip
        (a, error_a), (b, error_b) = self._read(frm), self._read(to)
        if error_a or error_b:
            raise SettledError(f"{error_a or error_b}; the marker stays. Re-run `{self._command()}` once it reads")
        where = locate(frm, a, to, b)
        if where in ("both", "neither"):
            backups = ", ".join(old["backups"])
            raise SettledError(
                f"{where.upper()} of {frm} and {to} hold the environment's resources after the interrupted "
                f"{old['what']}. Update neither; restore the stack that should be empty (or the one that lost "
                f"them) with `pulumi stack import --stack <stack> --file <backup>` from: {backups}. "
                f"Then delete {self.marker.path} and re-run `{self._command()}`"
            )
        self._drop_providers(to if where == frm else frm, b if where == frm else a)
        for urn in old.get("unprotected") or []:
            self.log(f"note: the earlier run unprotected {urn} in {where} (it was to be deleted)")
        self.marker.clear()
        self.log(f"the environment lives in {where}")
        return (frm, to, where) == (self.r.source, self.r.target, self.r.target)

    def _resume(self) -> dict[str, Any]:
        r = self.r
        dst_export = self.b.export(r.target)
        problems = check_preconditions(r.operation, dst_export, None, r.diff) + self._check_demote(dst_export)
        if problems:
            raise PromotionRefusedError([f"the environment lives in {r.target} (an earlier run moved it)", *problems])
        self.marker.start(r.operation, r.source, r.target)
        self._backup(r.target, dst_export)
        self._step(f"moved to {r.target}")
        self.moved = len(managed(dst_export))
        self.log(f"continuing the earlier {r.operation} from {r.target}")
        return dst_export

    def _failure(self, exc: BaseException) -> PromotionError:
        r, step = self.r, self.marker.data.get("step", "start")
        what = f"interrupted ({exc})" if isinstance(exc, Interrupted | KeyboardInterrupt) else str(exc)
        (a, error_a), (b, error_b) = self._read(r.source), self._read(r.target)
        head = f"{r.operation} {r.source} -> {r.target} stopped at '{step}': {what}."
        if error_a or error_b:
            return PromotionError(f"{head} {error_a or error_b}: where the environment lives is unknown. Check "
                                  f"both with `pulumi stack export`; the marker {self.marker.path} stays and "
                                  f"re-running `{self._command()}` re-reads both stacks")  # fmt: skip
        where = locate(r.source, a, r.target, b)
        interrupted = isinstance(exc, Interrupted | KeyboardInterrupt)
        if where == r.source and not self.marker.data:
            return PromotionError(f"{head} The environment lives in {r.source}; nothing was written. "
                                  f"Next: re-run `{self._command()}`")  # fmt: skip
        if where == r.source and not self.unprotected and not interrupted:
            self.marker.clear()
            return PromotionError(f"{head} The environment lives in {r.source}; nothing changed in the cloud. "
                                  f"Next: fix the cause and re-run `{self._command()}`")  # fmt: skip
        if where == r.source:
            nxt = f"re-run `{self._command()}` (it finds the marker {self.marker.path} and starts afresh)"
        elif where == r.target:
            protect = "".join(
                f"; re-protect: `pulumi state protect --stack {r.target} '{u}'`" for u in self.unprotected
            )
            if step.startswith(("up", "unprotect")):
                up = f"pulumi up --stack {r.target}"
                nxt = f"fix the cause, then re-run `{self._command(yes=True)}` (or `{up}`){protect}"
            else:
                back = "demote" if r.operation == "promote" else "promote"
                nxt = (f"re-run `{self._command()}` to continue from {r.target}, or move it back with "
                       f"`python -m infra.cli {back} {r.target} {r.source}`")  # fmt: skip
        else:
            frm, to = self.in_flight or (r.source, r.target)
            restore, stack = (to, to) if where == "both" else (frm, frm)
            nxt = (f"update neither; `pulumi stack import --stack {stack} --file {self.last_backup.get(restore)}` "
                   f"restores {stack} to its state before the move, then re-run `{self._command()}`")  # fmt: skip
        lives = f"BOTH {r.source} and {r.target} hold" if where == "both" else "NEITHER stack holds"
        lives = f"The environment lives in {where}" if where in (r.source, r.target) else f"{lives} the resources"
        return PromotionError(f"{head} {lives} (re-read). Next: {nxt}")


def promote(backend: StateBackend, request: MoveRequest, log: Callable[[str], None] = print) -> PromotionResult:
    """Run ``request`` (promote or demote): see the module docstring for the sequence and guarantees."""
    return _Move(backend, request, log).run()
