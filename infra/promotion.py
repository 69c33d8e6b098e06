"""Move one environment's Pulumi state from one phase stack to another (SPEC §4 decision 6).

check -> back up source -> rewrite URNs -> import into target -> verify -> empty source -> preview ->
update when confirmed. A failed step undoes the earlier ones (two stacks never stay managing the
same resources) and the error says where things stand.

Secrets stay encrypted. ``LocalWorkspace.export_stack`` always adds ``--show-secrets``, so export
runs plain ``pulumi stack export``: values stay ciphertext of the source's secrets provider, whose
configuration travels in ``deployment.secrets_providers``, so the backup is safe on disk and
re-importable as is. ``pulumi stack import`` decrypts with that provider (the operator has it, as
they operate the source: passphrase, KMS key or Pulumi Cloud org) and the target's next ``up``
re-encrypts with the target's own. The import's temporary file (ciphertext only) is always removed.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pulumi import automation as auto

from infra.diff import PromotionDiff, parse_urn
from infra.harness import PROJECT, ROOT

STACK_TYPE = "pulumi:pulumi:Stack"
_URN_FIELDS = ("urn", "parent", "deletedWith", "viewOf")
_URN_LIST_FIELDS = ("dependencies", "aliases", "replaceWith")


def rename_urn(urn: str, project: str, src: str, dst: str) -> str:
    """``urn`` moved from stack ``src`` to ``dst`` (the root stack resource is renamed too); others unchanged."""
    stack, urn_project, type_, name = parse_urn(urn)
    if stack != src or urn_project != project:
        return urn
    if type_ == STACK_TYPE and name == f"{project}-{src}":
        name = f"{project}-{dst}"
    return f"urn:pulumi:{dst}::{project}::{type_}::{name}"


def _rewrite_resource(resource: dict[str, Any], rename: Callable[[str], str]) -> None:
    for key in _URN_FIELDS:
        if resource.get(key):
            resource[key] = rename(resource[key])
    for key in _URN_LIST_FIELDS:
        if resource.get(key):
            resource[key] = [rename(urn) for urn in resource[key]]
    if deps := resource.get("propertyDependencies"):
        resource["propertyDependencies"] = {k: [rename(u) for u in v] for k, v in deps.items()}
    if resource.get("provider"):  # "<provider URN>::<provider ID>"; IDs never contain "::"
        urn, _, provider_id = resource["provider"].rpartition("::")
        resource["provider"] = f"{rename(urn)}::{provider_id}"


def rewrite_deployment(deployment: Mapping[str, Any], project: str, src_stack: str, dst_stack: str) -> dict:
    """A copy of a v3 checkpoint export with every URN of ``src_stack`` moved to ``dst_stack``.

    Covers urn, parent, provider (keeping its ``::id``), dependencies, propertyDependencies,
    aliases, deletedWith, replaceWith and viewOf of resources and pending operations, and the
    root stack resource's name. Inputs and outputs are data: never touched. ValueError when a
    resource is of another stack or project (the CLI would refuse to import it).
    """
    result = copy.deepcopy(dict(deployment))
    body = result.get("deployment") or {}
    rename = functools.partial(rename_urn, project=project, src=src_stack, dst=dst_stack)
    states = list(body.get("resources") or []) + [op["resource"] for op in body.get("pending_operations") or []]
    foreign = [s["urn"] for s in states if parse_urn(s["urn"])[:2] != (src_stack, project)]
    if foreign:
        raise ValueError(f"{len(foreign)} resources are not of stack {project}/{src_stack}, e.g. {foreign[0]}")
    for state in states:
        _rewrite_resource(state, rename)
    return result


def resource_urns(deployment: Mapping[str, Any]) -> list[str]:
    """URNs of every resource in a checkpoint export, in order."""
    return [r["urn"] for r in (deployment.get("deployment") or {}).get("resources") or []]


def empty_deployment(deployment: Mapping[str, Any]) -> dict:
    """A copy of ``deployment`` managing nothing; manifest and secrets providers are kept."""
    result = copy.deepcopy(dict(deployment))
    body = result.setdefault("deployment", {})
    body["resources"] = []
    body.pop("pending_operations", None)
    return result


def check_preconditions(
    src_export: Mapping[str, Any], dst_export: Mapping[str, Any] | None, diff: PromotionDiff
) -> list[str]:
    """Every reason not to move (empty when the move may go ahead)."""
    problems = []
    for side, export in (("source", src_export), ("target", dst_export)):
        if export is not None and export.get("version") != 3:
            problems.append(f"{side} checkpoint has version {export.get('version')!r}; only version 3 is supported")
        pending = ((export or {}).get("deployment") or {}).get("pending_operations") or []
        if pending:
            ops = ", ".join(f"{op.get('type')} {op['resource']['urn']}" for op in pending)
            problems.append(
                f"{side} stack has pending operations ({ops}): an interrupted update may have left untracked "
                "resources, and an import would drop them silently. Resolve them first (pulumi refresh)"
            )
    if not [u for u in resource_urns(src_export) if parse_urn(u)[2] != STACK_TYPE]:
        problems.append("source stack manages no resources: nothing to move (is the environment in another phase?)")
    if dst_export is not None:
        managed = [u for u in resource_urns(dst_export) if parse_urn(u)[2] != STACK_TYPE]
        if managed:
            problems.append(f"target stack is not empty ({len(managed)} resources, e.g. {managed[0]})")
    problems += [f"unsafe change: {r.reason}. Way out: {r.remedy}" for r in diff.unsafe]
    return problems


class StateBackend(Protocol):
    """The state operations a move needs; :class:`AutomationBackend` is the real one."""

    def stack_exists(self, stack: str) -> bool:
        """True when ``stack`` exists in the current backend."""

    def export(self, stack: str) -> dict[str, Any]:
        """The v3 checkpoint export ``{"version": 3, "deployment": {...}}`` of ``stack``."""

    def import_(self, stack: str, deployment: Mapping[str, Any]) -> None:
        """Replace ``stack``'s state with ``deployment``."""

    def create(self, stack: str) -> None:
        """Create the empty stack ``stack``."""

    def preview(self, stack: str) -> str:
        """Run ``pulumi preview`` on ``stack``, showing its output as it runs; returns it."""

    def up(self, stack: str) -> str:
        """Run ``pulumi up`` on ``stack``, showing its output as it runs; returns it."""


class AutomationBackend:
    """:class:`StateBackend` over the Pulumi CLI through ``pulumi.automation`` (project dir workspace)."""

    def __init__(self, work_dir: Path = ROOT, *, workspace: auto.LocalWorkspace | None = None, on_output=print):
        self.workspace = workspace or auto.LocalWorkspace(work_dir=str(work_dir))
        self.on_output = on_output

    def _cli(self, *args: str) -> str:
        ws = self.workspace
        env = {**({"PULUMI_HOME": ws.pulumi_home} if ws.pulumi_home else {}), **ws.env_vars}
        return ws.pulumi_command.run(list(args), ws.work_dir, env).stdout

    def stack_exists(self, stack: str) -> bool:
        """True when ``stack`` is among the project's stacks (names may be org-qualified)."""
        return any(s.name.rsplit("/", 1)[-1] == stack for s in self.workspace.list_stacks())

    def export(self, stack: str) -> dict[str, Any]:
        """Export with secrets left encrypted (see the module docstring)."""
        return json.loads(self._cli("stack", "export", "--stack", stack))

    def import_(self, stack: str, deployment: Mapping[str, Any]) -> None:
        """``pulumi stack import`` from a private temporary file, removed afterwards in any case."""
        fd, path = tempfile.mkstemp(prefix=f"{stack}-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as file:
                json.dump(deployment, file)
            self._cli("stack", "import", "--file", path, "--stack", stack)
        finally:
            os.remove(path)

    def create(self, stack: str) -> None:
        """``pulumi stack init``."""
        self.workspace.create_stack(stack)

    def preview(self, stack: str) -> str:
        """``pulumi preview --diff``, streamed to ``on_output``."""
        return auto.Stack.select(stack, self.workspace).preview(diff=True, on_output=self.on_output).stdout

    def up(self, stack: str) -> str:
        """``pulumi up --diff``, streamed to ``on_output``."""
        return auto.Stack.select(stack, self.workspace).up(diff=True, on_output=self.on_output).stdout


class PromotionError(RuntimeError):
    """The move stopped part way; the message says which state each stack is in."""


class PromotionRefusedError(PromotionError):
    """The move did not start: ``problems`` lists why. Nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("promotion refused:\n- " + "\n- ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PromotionResult:
    """Outcome of a completed move."""

    source: str
    target: str
    backup: Path
    moved: int
    preview: str
    applied: bool
    up_output: str | None = None


def _write_backup(backup_dir: Path, project: str, stack: str, export: Mapping[str, Any]) -> Path:
    backup_dir.mkdir(parents=True, exist_ok=True)
    path = backup_dir / f"{project}-{stack}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.json"
    # Ciphertext only, but resource outputs are still nobody else's business: owner-only, never overwritten.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        json.dump(export, file, indent=2)
    return path


def _restore(backend: StateBackend, stack: str, deployment: Mapping[str, Any], log: Callable[[str], None]) -> bool:
    try:
        backend.import_(stack, deployment)
        return True
    except Exception as exc:  # reported to the operator, who must act on it
        log(f"could not restore {stack}: {exc}")
        return False


def promote(
    backend: StateBackend,
    src: str,
    dst: str,
    *,
    diff: PromotionDiff,
    yes: bool,
    backup_dir: Path,
    log: Callable[[str], None],
    project: str = PROJECT,
) -> PromotionResult:
    """Move the environment's state from stack ``src`` to ``dst``, preview, and update when ``yes``.

    ``diff`` is :func:`infra.diff.diff_plans` of the two programs; an unsafe diff refuses the move.
    Without ``yes`` the state is moved and previewed but nothing in the cloud changes. ``log``
    receives progress lines. Raises :class:`PromotionRefusedError` before any write and
    :class:`PromotionError` after rolling back what it could.
    """
    if src == dst or not backend.stack_exists(src):
        raise PromotionRefusedError([f"source stack {src} does not exist or is the target"])
    src_export = backend.export(src)
    dst_exists = backend.stack_exists(dst)
    dst_export = backend.export(dst) if dst_exists else None
    problems = check_preconditions(src_export, dst_export, diff)
    try:
        moved = rewrite_deployment(src_export, project, src, dst)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise PromotionRefusedError(problems)
    backup = _write_backup(backup_dir, project, src, src_export)
    log(f"backed up {src} to {backup}")
    previous = dst_export if dst_export is not None else empty_deployment(moved)
    if not dst_exists:
        backend.create(dst)
    try:
        backend.import_(dst, moved)
        imported = resource_urns(backend.export(dst))
        if sorted(imported) != sorted(resource_urns(moved)):
            raise PromotionError(f"{dst} holds {len(imported)} resources after import, not {len(resource_urns(moved))}")
    except Exception as exc:
        kept = "" if _restore(backend, dst, previous, log) else f"; clear {dst} (resources: []) before anything else"
        raise PromotionError(f"import into {dst} failed ({exc}); {src} still manages everything{kept}") from exc
    log(f"imported {len(imported)} resources into {dst}")

    try:
        backend.import_(src, empty_deployment(src_export))
    except Exception as exc:
        if _restore(backend, dst, previous, log):
            raise PromotionError(f"could not empty {src} ({exc}); {dst} restored, {src} still manages all") from exc
        raise PromotionError(
            f"could not empty {src} ({exc}) nor restore {dst}: BOTH stacks manage the environment. Update neither; "
            f"import an empty deployment (resources: []) into {dst}, then compare {src} with the backup {backup}"
        ) from exc
    log(f"emptied {src}; the environment now lives in {dst}")
    preview = backend.preview(dst)
    up_output = backend.up(dst) if yes else None
    if not yes:
        log(f"previewed {dst}; nothing changed in the cloud: run `pulumi up --stack {dst}` or re-run with --yes")
    return PromotionResult(src, dst, backup, len(imported), preview, yes, up_output)


def demote(backend: StateBackend, lower: str, upper: str, **options: Any) -> PromotionResult:
    """Move the environment back from stack ``upper`` to ``lower``; ``options`` are :func:`promote`'s.

    ``options["diff"]`` must be the diff of the ``upper`` program to the ``lower`` one.
    """
    return promote(backend, upper, lower, **options)
