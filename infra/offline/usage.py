"""Usage files: the monthly volumes ``cost`` cannot read from the program (GB, requests, LCUs...).

In the spirit of Infracost's usage file (https://www.infracost.io/docs/features/usage_based_resources/):

```yaml
defaults:                 # per resource type, for every resource of that type
  aws:ec2/natGateway:NatGateway:
    monthly_gb: 150       # why: derived from the phase's SPEC §3 targets
resources:                # per logical resource name; shell-style patterns (fnmatch) allowed
  "*-cluster-insights-application":
    monthly_ingestion_gb: 20
```

A resource's usage is its type's defaults, overridden by every matching ``resources`` entry in file
order. Every value is a non-negative number. A type or a key no pricer uses, or a pattern that
matches no resource of the plan, is an error (a typo would otherwise price as if it were absent);
a key a priced resource needs and the file lacks is an error naming the key, the resource and the
file.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml


class UsageError(pulumi.RunError):
    """A usage file that is malformed, or lacks a key a priced resource needs (names both)."""


@dataclass(frozen=True)
class UsageFile:
    """A parsed usage file: type defaults and per-resource (pattern) entries, in file order."""

    path: Path
    defaults: Mapping[str, Mapping[str, float]]
    resources: tuple[tuple[str, Mapping[str, float]], ...]

    def for_resource(self, name: str, type_token: str) -> dict[str, float]:
        """The usage values of the resource ``name`` of type ``type_token``."""
        values = dict(self.defaults.get(type_token, {}))
        for pattern, entry in self.resources:
            if fnmatch.fnmatchcase(name, pattern):
                values.update(entry)
        return values

    def check(self, resources: Iterable[tuple[str, str]], keys_of: Mapping[str, frozenset[str]]) -> None:
        """Refuse types, patterns and keys that nothing in the plan uses.

        ``resources`` are the plan's (name, type) pairs; ``keys_of`` maps each priced type to the
        usage keys its pricer reads.
        """
        for type_token, entry in self.defaults.items():
            if type_token not in keys_of:
                raise UsageError(f"{self.path.name}: defaults.{type_token}: not a resource type cost prices from usage")
            unused = set(entry) - keys_of[type_token]
            if unused:
                raise UsageError(
                    f"{self.path.name}: defaults.{type_token}: {', '.join(sorted(unused))} not used by this type "
                    f"(it reads: {', '.join(sorted(keys_of[type_token])) or 'nothing'})"
                )
        pairs = list(resources)
        for pattern, entry in self.resources:
            matched = [t for n, t in pairs if fnmatch.fnmatchcase(n, pattern)]
            if not matched:
                raise UsageError(f"{self.path.name}: resources.{pattern}: matches no resource of the plan")
            readable = set().union(*(keys_of.get(t, frozenset()) for t in matched))
            unused = set(entry) - readable
            if unused:
                raise UsageError(
                    f"{self.path.name}: resources.{pattern}: {', '.join(sorted(unused))} not used by the "
                    f"resources it matches ({', '.join(sorted(set(matched)))})"
                )


@dataclass
class Usage:
    """The usage of one resource, recording which keys the pricer read."""

    values: Mapping[str, float]
    resource: str
    type: str
    file: Path
    read: set[str] = field(default_factory=set)

    def __getitem__(self, key: str) -> float:
        if key not in self.values:
            raise UsageError(
                f"usage key {key!r} missing for {self.resource} ({self.type}) in {self.file.name}: add it under "
                f"defaults.{self.type} or resources.{self.resource}"
            )
        self.read.add(key)
        return self.values[key]


def _values(raw: Any, where: str) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where}: must be a mapping of key: number")
    out = {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise UsageError(f"{where}.{key}: must be a non-negative number, got {value!r}")
        out[str(key)] = float(value)
    return out


def parse_usage(document: Any, path: Path) -> UsageFile:
    """Validate a loaded usage document; UsageError naming the first bad key."""
    name = path.name
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise UsageError(f"{name}: must be a mapping with 'defaults' and 'resources'")
    unknown = set(document) - {"defaults", "resources"}
    if unknown:
        raise UsageError(f"{name}: unknown top-level keys {', '.join(sorted(map(str, unknown)))}")
    defaults_raw, resources_raw = document.get("defaults") or {}, document.get("resources") or {}
    if not isinstance(defaults_raw, Mapping) or not isinstance(resources_raw, Mapping):
        raise UsageError(f"{name}: 'defaults' and 'resources' must be mappings")
    defaults = {str(t): _values(v, f"{name}: defaults.{t}") for t, v in defaults_raw.items()}
    resources = tuple((str(p), _values(v, f"{name}: resources.{p}")) for p, v in resources_raw.items())
    return UsageFile(path, defaults, resources)


def load_usage(path: Path) -> UsageFile:
    """Read and validate the usage file at ``path`` (UsageError when absent or malformed)."""
    if not path.is_file():
        raise UsageError(f"no usage file {path}")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else path.name
        raise UsageError(f"{where}: not valid YAML: {getattr(error, 'problem', None) or error}") from None
    return parse_usage(document, path)


def usage_path(stack: str, root: Path) -> Path:
    """Where ``cost`` looks for a stack's usage: ``usage/<stack>.yaml`` next to the stack files."""
    return root / "usage" / f"{stack}.yaml"
