"""Changed input values of one resource: leaf paths, JSON documents inside strings, secrets masked."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pulumi.runtime.rpc import _special_sig_key

from infra.offline.forcenew import top

#: Input paths whose values are never shown (besides values the program marked secret).
_SECRET_NAME = re.compile(
    r"(?i)pass(word|wd|phrase)|token|secret(?!s?(id|arn|name)\b)|credential|private.?key|stringdata"
)
_MASK = "(secret)"
_SECRET_SIG = _special_sig_key


def _secret(path: str, resource_type: str) -> bool:
    return bool(_SECRET_NAME.search(path)) or (resource_type == "kubernetes:core/v1:Secret" and top(path) == "data")


def _wrapped(raw: Any, path: str) -> bool:
    """True when the program marked the value at ``path`` (or a block above it) secret."""
    node = raw
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(node, Mapping) and _SECRET_SIG in node:
            return True
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping):
            node = node.get(part)
        else:
            return False
    return isinstance(node, Mapping) and _SECRET_SIG in node


def _masked(value: Any, path: str, resource_type: str) -> Any:
    """``value`` with secrets (named like one) replaced by ``(secret)``."""
    if value is None:
        return None
    if _secret(path, resource_type):
        return _MASK
    if isinstance(value, Mapping):
        return {k: _masked(v, f"{path}.{k}", resource_type) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, path, resource_type) for v in value]
    return value


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _leaves(old: Any, new: Any, path: str, out: dict[str, list[Any]]) -> None:
    """Changed leaf paths under ``path`` (JSON documents in strings are compared inside)."""
    old, new = _parsed(old), _parsed(new)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                _leaves(old.get(key), new.get(key), f"{path}.{key}", out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                _leaves(a, b, f"{path}[{index}]", out)
    else:
        out[path] = [old, new]


def _changed_values(kind: str, old: Mapping[str, Any], new: Mapping[str, Any], keys: list[str], raw: tuple):
    """Changed leaf path -> [old, new]; ``raw`` (the unnormalised inputs) tells what the program marked secret."""
    leaves: dict[str, list[Any]] = {}
    for key in keys:
        _leaves(old.get(key), new.get(key), key, leaves)
    return {
        path: [None if a is None else _MASK, None if b is None else _MASK]
        if _wrapped(raw[0], path) or _wrapped(raw[1], path)
        else [_masked(a, path, kind), _masked(b, path, kind)]
        for path, (a, b) in leaves.items()
    }
