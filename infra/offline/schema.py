"""Offline schema check of resource inputs against the installed provider SDKs' input types.

The mocks accept any nested key, so a misspelled block key (``singleHeder`` in a WAF rule, a wrong
key in a launch template block) would only fail at a real ``pulumi up``. This module validates the
engine wire form of a resource's inputs (``RecordedResource.inputs``) against what the SDK itself
uses to build that wire form:

* the resource class comes from the SDK's own type-token registry (the table each generated SDK
  hands to ``pulumi.runtime.register_resource_module`` for rehydrating resources);
* its top-level properties come from the ``args`` class of its ``__init__`` overload
  (``WebAclArgs``, ``BucketVersioningInitArgs``, ...), the class whose ``@pulumi.getter(name=...)``
  metadata the SDK uses to translate snake_case parameters into wire names;
* nested blocks come from each getter's return annotation (``pulumi.Input[Sequence[pulumi.Input[
  'WebAclRuleArgs']]]``), evaluated in the SDK module like the SDK does, and checked recursively.

Only keys and structure (object / list / map / scalar) are checked, not scalar values. Annotations
that cannot be evaluated, and ``Any``, are accepted and reported as opaque rather than guessed.
"""

from __future__ import annotations

import collections.abc
import difflib
import functools
import importlib
import inspect
import sys
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi import _types as pulumi_types
from pulumi.runtime import rpc

#: Packages whose nested blocks are checked. Kubernetes objects are schema-validated against the
#: Kubernetes OpenAPI by kubernetes-validate (tests/test_manifests.py), so only their top-level
#: Pulumi arguments are checked here.
DEEP_PACKAGES = frozenset({"aws", "random"})

#: Packages whose resource tokens are open-ended: a Kubernetes CustomResource may carry any
#: ``group/version:Kind`` token, which no SDK class describes.
OPEN_TOKEN_PACKAGES = frozenset({"kubernetes"})

_SKIPPED_INIT_PARAMS = frozenset({"__self__", "resource_name", "opts", "__props__"})

# ``pulumi.Input[T]`` carries the forward reference ``'Output[T]'``; the SDK evaluates it with these
# locals (``pulumi._types._raw_return_hints``). ``T`` is bound to NoneType there, so the ``Output``
# member of an evaluated ``Input[X]`` says nothing; ``X`` itself is the union's first member.
# Passing locals that are not the globals also matters for correctness: typing caches generic
# aliases, so ``Input['ParameterGroupParameterArgs']`` in pulumi_aws.rds and pulumi_aws.elasticache
# share one ForwardRef, and a ForwardRef evaluated with ``localns is globalns`` returns the value
# cached by whichever module evaluated it first.
_ANNOTATION_LOCALS = {"Output": pulumi.Output, "T": type(None)}


@dataclass(frozen=True)
class Shape:
    """What one input property accepts, as far as its SDK annotation says.

    Attributes:
        args: ``@pulumi.input_type`` classes an object value must match (usually one).
        items: Shape of the elements when the property is a sequence; None otherwise.
        values: Shape of the values when the property is a string-keyed mapping (tags, labels):
            any key is accepted. None otherwise.
        scalar: True when a scalar (string, number, bool, enum) is accepted.
        opaque: True for ``Any`` or an annotation that could not be evaluated: anything accepted.
    """

    args: tuple[type, ...] = ()
    items: Shape | None = None
    values: Shape | None = None
    scalar: bool = False
    opaque: bool = False

    def describe(self) -> str:
        """Human wording of the accepted forms, for problem messages."""
        forms = [f"an object ({', '.join(a.__name__ for a in self.args)})"] if self.args else []
        forms += ["a list"] * (self.items is not None) + ["a map"] * (self.values is not None)
        forms += ["a scalar"] * self.scalar
        return " or ".join(forms) or "nothing"


@dataclass(frozen=True)
class ArgsSchema:
    """The wire-level schema of one ``@pulumi.input_type`` class.

    Attributes:
        cls: The input type class.
        properties: Wire (camelCase) property name -> accepted shape.
        unresolved: Wire names whose annotation could not be evaluated (accepted as opaque).
    """

    cls: type
    properties: Mapping[str, Shape]
    unresolved: frozenset[str]


@dataclass
class InputReport:
    """Outcome of checking one resource's inputs.

    Attributes:
        type_token: The resource type checked.
        args_class: Top-level input type of the resource; None when no SDK class describes it.
        problems: Human-readable problems, empty when the inputs match the schema.
        checked: Number of keys validated against a schema.
        opaque: Paths of structured values no schema describes (``Any``, unevaluable annotations,
            open-ended tokens); accepted unchecked.
        schemas: Every input type class consulted, for coverage assertions.
    """

    type_token: str
    args_class: type | None
    problems: list[str] = field(default_factory=list)
    checked: int = 0
    opaque: list[str] = field(default_factory=list)
    schemas: set[type] = field(default_factory=set)


@functools.cache
def resource_class(type_token: str) -> type | None:
    """The SDK resource class for ``type_token``, or None when no installed SDK registers it.

    ``pulumi:providers:<pkg>`` maps to the package's ``Provider``; every other token is looked up
    in the registry the SDK fills on import (``pulumi_aws`` -> ``aws:wafv2/webAcl:WebAcl`` ->
    ``pulumi_aws.wafv2.WebAcl``).
    """
    package, module, _ = _split_token(type_token)
    sdk = _sdk_of(type_token)
    if not _import_sdk(sdk):
        return None
    if package == "pulumi":
        registered = rpc.get_resource_package(sdk, "")
        info = getattr(registered, "pkg_info", None)
        if info is None or info.get("token") != type_token:
            return None
        return getattr(importlib.import_module(info["fqn"]), info["class"])
    registered = rpc.get_resource_module(package, module, "")
    info = getattr(registered, "mod_info", None)
    class_name = (info or {}).get("classes", {}).get(type_token)
    if class_name is None:
        return None
    return getattr(importlib.import_module(info["fqn"]), class_name)


@functools.cache
def resource_args_class(type_token: str) -> type | None:
    """The input type the SDK builds ``type_token``'s wire inputs from, e.g. ``WebAclArgs``.

    Taken from the ``args`` parameter of the resource's ``__init__`` overload: the same class
    ``_internal_init`` instantiates as ``__props__`` and the engine call translates names with.
    """
    cls = resource_class(type_token)
    if cls is None:
        return None
    for overload in typing.get_overloads(cls.__init__):
        parameter = inspect.signature(overload).parameters.get("args")
        if parameter is not None:
            candidate = pulumi_types.unwrap_optional_type(parameter.annotation)
            if isinstance(candidate, type) and pulumi_types.is_input_type(candidate):
                return candidate
    return None


def init_parameters(type_token: str) -> frozenset[str]:
    """Snake_case input parameters of the resource's ``_internal_init`` (without name/opts)."""
    cls = resource_class(type_token)
    if cls is None:
        return frozenset()
    return frozenset(inspect.signature(cls._internal_init).parameters) - _SKIPPED_INIT_PARAMS


@functools.cache
def args_schema(cls: type) -> ArgsSchema:
    """Wire names and accepted shapes of the input type ``cls``, from its property getters."""
    namespace = vars(sys.modules[cls.__module__])
    properties: dict[str, Shape] = {}
    unresolved: set[str] = set()
    for python_name, wire_name in pulumi_types.input_type_py_to_pulumi_names(cls).items():
        getter = inspect.getattr_static(cls, python_name).fget
        try:
            hint = typing.get_type_hints(getter, globalns=namespace, localns=_ANNOTATION_LOCALS)["return"]
        except (NameError, KeyError, TypeError, AttributeError, SyntaxError):
            unresolved.add(wire_name)
            properties[wire_name] = Shape(opaque=True)
            continue
        properties[wire_name] = shape_of(hint)
    return ArgsSchema(cls=cls, properties=properties, unresolved=frozenset(unresolved))


def shape_of(hint: Any) -> Shape:
    """Interpret an evaluated annotation: ``pulumi.Input``/``Output``/``Optional`` wrappers are
    seen through, unions merged, ``Sequence``/``Mapping`` recursed into."""
    if hint is Any or isinstance(hint, typing.TypeVar):
        return Shape(opaque=True)
    if isinstance(hint, type) and pulumi_types.is_input_type(hint):
        return Shape(args=(hint,))
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _merge(shape_of(a) for a in arguments if a is not type(None))
    if origin in (pulumi.Output, collections.abc.Awaitable):
        return Shape() if arguments[0] is type(None) else shape_of(arguments[0])
    if origin is typing.Literal:
        return Shape(scalar=True)
    if origin in (collections.abc.Sequence, list, tuple):
        return Shape(items=shape_of(arguments[0]) if arguments else Shape(opaque=True))
    if origin in (collections.abc.Mapping, dict):
        return Shape(values=shape_of(arguments[1]) if len(arguments) == 2 else Shape(opaque=True))
    if isinstance(hint, type) and not issubclass(hint, (Mapping, list, tuple)):
        return Shape(scalar=True)
    return Shape(opaque=True)


def _merge(shapes: Iterable[Shape]) -> Shape:
    args: list[type] = []
    items: list[Shape] = []
    values: list[Shape] = []
    scalar = opaque = False
    for shape in shapes:
        args += [a for a in shape.args if a not in args]
        items += [shape.items] if shape.items is not None else []
        values += [shape.values] if shape.values is not None else []
        scalar, opaque = scalar or shape.scalar, opaque or shape.opaque
    return Shape(
        args=tuple(args),
        items=_merge(items) if items else None,
        values=_merge(values) if values else None,
        scalar=scalar,
        opaque=opaque,
    )


def check_inputs(type_token: str, inputs: Mapping[str, Any]) -> InputReport:
    """Validate every key of ``inputs`` (engine wire form) against the SDK schema of ``type_token``.

    Nested blocks are checked for :data:`DEEP_PACKAGES`; other packages get a top-level check.
    """
    sdk = _sdk_of(type_token)
    args = resource_args_class(type_token)
    report = InputReport(type_token=type_token, args_class=args)
    if args is None:
        if sdk in OPEN_TOKEN_PACKAGES or not _import_sdk(sdk):
            report.opaque.append("")
        else:
            report.problems.append(f"{type_token}: no resource class for this type in the installed SDK")
        return report
    _check_object(inputs, (args,), "", report, deep=sdk in DEEP_PACKAGES)
    return report


def input_problems(type_token: str, inputs: Mapping[str, Any]) -> list[str]:
    """Problems of ``inputs`` against the SDK schema of ``type_token``; empty when they match.

    Messages read ``"<token> <path>: unknown key '<key>' (allowed: ...)"``.
    """
    return check_inputs(type_token, inputs).problems


def _check_object(
    value: Mapping[str, Any], classes: tuple[type, ...], path: str, report: InputReport, deep: bool
) -> None:
    schemas = [args_schema(cls) for cls in classes]
    report.schemas.update(classes)
    allowed = {name: schema.properties[name] for schema in reversed(schemas) for name in schema.properties}
    for key, item in value.items():
        report.checked += 1
        if key not in allowed:
            report.problems.append(_unknown_key(report.type_token, path, key, allowed))
        elif deep:
            _check_value(item, allowed[key], f"{path}.{key}" if path else key, report)


def _check_value(value: Any, shape: Shape, path: str, report: InputReport) -> None:
    value = _unwrap_secret(value)
    if isinstance(value, Mapping):
        if rpc._special_sig_key in value:
            return  # an asset, archive or resource reference: a scalar on the wire
        if shape.args:
            _check_object(value, shape.args, path, report, deep=True)
        elif shape.values is not None:
            for key, item in value.items():
                _check_value(item, shape.values, f"{path}.{key}", report)
        elif shape.opaque:
            report.opaque.append(path)
        else:
            report.problems.append(f"{report.type_token} {path}: got an object, expected {shape.describe()}")
    elif isinstance(value, list):
        if shape.items is not None:
            for index, item in enumerate(value):
                _check_value(item, shape.items, f"{path}[{index}]", report)
        elif shape.opaque:
            report.opaque.append(path)
        else:
            report.problems.append(f"{report.type_token} {path}: got a list, expected {shape.describe()}")
    # Scalars are accepted anywhere: providers JSON-encode nested blocks into strings, and scalar
    # value types are the provider's (and the type checker's) business, not this key check's.


def _unknown_key(type_token: str, path: str, key: str, allowed: Mapping[str, Shape]) -> str:
    where = f"{type_token} {path}" if path else type_token
    close = difflib.get_close_matches(key, list(allowed), n=1)
    guess = f", did you mean {close[0]!r}?" if close else ""
    return f"{where}: unknown key {key!r}{guess} (allowed: {', '.join(sorted(allowed))})"


def _unwrap_secret(value: Any) -> Any:
    while isinstance(value, Mapping) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        value = value.get("value")
    return value


def _split_token(type_token: str) -> tuple[str, str, str]:
    package, _, rest = type_token.partition(":")
    module, _, name = rest.rpartition(":")
    return package, module, name


def _sdk_of(type_token: str) -> str:
    """The package whose SDK defines ``type_token``: ``aws`` for both ``aws:...`` and
    ``pulumi:providers:aws``."""
    package, module, name = _split_token(type_token)
    return name if (package, module) == ("pulumi", "providers") else package


@functools.cache
def _import_sdk(package: str) -> bool:
    """Import ``pulumi_<package>`` so it registers its tokens; False when it is not installed."""
    if not package.replace("-", "_").isidentifier():
        return False
    try:
        importlib.import_module(f"pulumi_{package.replace('-', '_')}")
    except ImportError:
        return False
    return True
