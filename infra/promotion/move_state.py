"""What a move keeps on disk: stack backups and the "move in progress" marker; where the environment is.

Backups are ``pulumi stack export`` output (secrets stay ciphertext), mode 0600, created with
``O_EXCL`` so nothing is ever overwritten. The marker is one JSON file in the backup directory,
written atomically (temporary file + rename) at every step: what runs (promote/demote), from,
to, when it started, the step reached, the backups, and the resources it unprotected. It
exists exactly while a move may have left the state anywhere but where it started.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.promotion.plan_gate import PROVIDER_PREFIX, STACK_TYPE, urn_type

MARKER_NAME = "move-in-progress.json"


def resources(export: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Resource states of a ``pulumi stack export``."""
    return list(((export or {}).get("deployment") or {}).get("resources") or [])


def is_bookkeeping(resource: Mapping[str, Any]) -> bool:
    """The root stack resource and providers: state entries with no cloud object of their own."""
    type_ = resource.get("type") or urn_type(resource["urn"])
    return type_ == STACK_TYPE or type_.startswith(PROVIDER_PREFIX)


def managed(export: Mapping[str, Any] | None) -> list[str]:
    """URNs of the resources a stack manages (bookkeeping entries left out)."""
    return [r["urn"] for r in resources(export) if not is_bookkeeping(r)]


def providers(export: Mapping[str, Any] | None) -> list[str]:
    """URNs of the provider entries in a stack."""
    return [r["urn"] for r in resources(export) if r["type"].startswith(PROVIDER_PREFIX)]


def checksum(export: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an export: equal exactly when nothing in the state changed."""
    return hashlib.sha256(json.dumps(export, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def locate(source: str, src_export: Mapping | None, target: str, dst_export: Mapping | None) -> str:
    """Which stack holds the environment: a stack name, ``"both"`` or ``"neither"``."""
    here = [stack for stack, export in ((source, src_export), (target, dst_export)) if managed(export)]
    return here[0] if len(here) == 1 else "both" if here else "neither"


def write_backup(backup_dir: Path, project: str, stack: str, export: Mapping[str, Any]) -> Path:
    """``export`` as a new owner-only file; never overwrites one."""
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = backup_dir / f"{project}-{stack}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.json"
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        json.dump(export, file, indent=2)
    return path


class Marker:
    """The durable "move in progress" record in ``backup_dir``."""

    def __init__(self, backup_dir: Path) -> None:
        self.path = Path(backup_dir) / MARKER_NAME
        self.data: dict[str, Any] = {}

    def read(self) -> dict[str, Any] | None:
        """The marker left by an earlier run, or None."""
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return None

    def start(self, what: str, source: str, target: str) -> None:
        """Record a new move (its backups and steps follow through :meth:`update`)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.data = {"what": what, "from": source, "to": target, "started": now, "pid": os.getpid(),
                     "step": "started", "backups": [], "unprotected": []}  # fmt: skip
        self._write()

    def update(self, step: str | None = None, *, backup: Path | None = None, unprotected: str | None = None) -> None:
        """Record progress: the step reached, a new backup, a resource unprotected."""
        if step:
            self.data["step"] = step
        if backup:
            self.data["backups"].append(str(backup))
        if unprotected:
            self.data["unprotected"].append(unprotected)
        self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
            json.dump(self.data, file, indent=2)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)

    def clear(self) -> None:
        """The move is over and the environment is in exactly one stack."""
        self.path.unlink(missing_ok=True)
        self.data = {}
