"""The Kubernetes objects of an offline plan: as manifests, as YAML files, schema-validated and checked.

``plan --manifests DIR`` writes what the program would apply, so reviewers and tools (kubeconform,
conftest, ...) see plain YAML. Built-in kinds are validated against the Kubernetes OpenAPI schemas
(``kubernetes-validate``, strict: unknown fields are errors); custom resources (KEDA's
``ScaledObject``) have no schema there and are checked by our own rules instead. Helm releases
stay opaque (the chart renders in the cluster), so they are listed, not expanded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml
from kubernetes_validate.utils import VersionNotSupportedError
from pulumi.runtime import rpc

from components.workload import validate_image
from infra.offline.harness import PlanResult

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
#: What a secret value becomes in a manifest: files on disk must not carry credentials.
REDACTED = "<redacted>"
CLUSTER_SCOPED_DIR = "_cluster"
MIN_REPLICAS = 2
MIN_UID = 10000


def api_version_and_kind(type_token: str) -> tuple[str, str]:
    """``kubernetes:apps/v1:Deployment`` -> ``("apps/v1", "Deployment")``; the core group has no prefix."""
    package, group_version, kind = type_token.split(":")
    group, _, version = group_version.rpartition("/")
    if package != "kubernetes" or not group or not version:
        raise ValueError(f"{type_token!r} is not a Kubernetes resource type token")
    return (version if group == "core" else f"{group}/{version}"), kind


def _manifest_value(value: Any, secret: bool = False) -> Any:
    """Plain YAML data: secrets redacted, whole-number floats (the wire has only doubles) as ints,
    and map keys sorted (the recorded order is the wire's, which need not be stable)."""
    if isinstance(value, Mapping):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _manifest_value(value.get("value"), secret=True)
        return {k: _manifest_value(value[k], secret) for k in sorted(value)}
    if isinstance(value, list):
        return [_manifest_value(v, secret) for v in value]
    if secret and value is not None:
        return REDACTED
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def kubernetes_objects(plan: PlanResult) -> list[dict]:
    """Every Kubernetes object the plan would create, as a manifest, ordered by namespace, kind, name.

    Providers, Helm releases and component resources are skipped. Keys starting with ``__`` are
    Pulumi's own and dropped. Keys come as kubectl writes them: apiVersion, kind, metadata, then
    sorted. A missing ``metadata.name`` raises: Pulumi would auto-name the object with a random
    suffix, which our components never rely on.
    """
    objects = []
    for resource in plan.resources:
        if not resource.custom or not resource.type.startswith("kubernetes:") or resource.type == HELM_RELEASE:
            continue
        api_version, kind = api_version_and_kind(resource.type)
        body = {
            key: _manifest_value(resource.inputs[key])
            for key in sorted(resource.inputs)
            if not key.startswith("__") and key not in ("apiVersion", "kind", "metadata")
        }
        metadata = _manifest_value(resource.inputs.get("metadata") or {})
        if not metadata.get("name"):
            raise ValueError(f"{resource.type} {resource.name!r} has no metadata.name; Pulumi would auto-name it")
        objects.append({"apiVersion": api_version, "kind": kind, "metadata": metadata, **body})
    return sorted(objects, key=lambda o: (_namespace(o), o["kind"], o["metadata"]["name"]))


def _by_cluster(plan: PlanResult, helm: bool) -> dict[str, PlanResult]:
    """The plan's Kubernetes resources (Helm releases or the rest) split per Kubernetes provider.

    A provider reference is "<provider URN>::<id>"; the URN's last segment is the provider's
    logical name, one per EKS cluster (phase 4 has three clusters with the same namespaces).
    """
    groups: dict[str, list] = {}
    for resource in plan.resources:
        if resource.custom and resource.type.startswith("kubernetes:") and (resource.type == HELM_RELEASE) == helm:
            groups.setdefault(resource.provider.split("::")[3], []).append(resource)
    return {name: PlanResult(plan.stack, resources) for name, resources in sorted(groups.items())}


def objects_by_cluster(plan: PlanResult) -> dict[str, list[dict]]:
    """:func:`kubernetes_objects` per cluster, keyed by the logical name of its Kubernetes provider."""
    return {name: kubernetes_objects(part) for name, part in _by_cluster(plan, helm=False).items()}


def releases_by_cluster(plan: PlanResult) -> dict[str, list[dict]]:
    """:func:`helm_releases` per cluster, keyed like :func:`objects_by_cluster`."""
    return {name: helm_releases(part) for name, part in _by_cluster(plan, helm=True).items()}


def _namespace(obj: dict) -> str:
    return obj["metadata"].get("namespace") or ""


def _label(obj: dict) -> str:
    where = f"{_namespace(obj)}/" if _namespace(obj) else ""
    return f"{obj['kind']} {where}{obj['metadata']['name']}"


def write_manifests(objects: list[dict], directory: Path) -> list[Path]:
    """Write one YAML file per object as ``<namespace or _cluster>/<kind>-<name>.yaml``; sorted paths.

    Two objects mapping to the same file (same kind and name in a namespace) raise ValueError.
    """
    paths: dict[Path, dict] = {}
    for obj in objects:
        path = (
            directory
            / (_namespace(obj) or CLUSTER_SCOPED_DIR)
            / f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
        )
        if path in paths:
            raise ValueError(f"{_label(obj)} and another object both map to {path}")
        paths[path] = obj
    for path in sorted(paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(paths[path], sort_keys=False, default_flow_style=False))
    return sorted(paths)


def helm_releases(plan: PlanResult) -> list[dict]:
    """The plan's Helm releases (name, chart, version, repo, namespace), ordered by namespace and name."""
    releases = [
        {
            "name": r.inputs.get("name") or r.name,
            "chart": r.inputs.get("chart", ""),
            "version": r.inputs.get("version", ""),
            "repo": (r.inputs.get("repositoryOpts") or {}).get("repo", ""),
            "namespace": r.inputs.get("namespace") or "default",
        }
        for r in plan.of_type(HELM_RELEASE)
    ]
    return sorted(releases, key=lambda r: (r["namespace"], r["name"]))


def _is_built_in(api_version: str) -> bool:
    """Core and ``*.k8s.io`` groups (and dotless ones like ``apps``) are Kubernetes' own; the rest are CRDs."""
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


_SCALED_OBJECT_FIELDS = {
    "scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod", "idleReplicaCount",
    "minReplicaCount", "maxReplicaCount", "fallback", "advanced", "triggers",
}  # fmt: skip


def _scaled_object_problems(obj: dict) -> list[str]:
    """Structural rules for ``keda.sh/v1alpha1`` ScaledObjects (what KEDA's CRD schema would reject)."""
    spec = obj.get("spec") or {}
    problems = [f"unknown spec field {key!r}" for key in sorted(set(spec) - _SCALED_OBJECT_FIELDS)]
    if not isinstance((spec.get("scaleTargetRef") or {}).get("name"), str):
        problems.append("spec.scaleTargetRef.name is required")
    triggers = spec.get("triggers")
    if not isinstance(triggers, list) or not triggers:
        problems.append("spec.triggers must list at least one trigger")
    for index, trigger in enumerate(triggers or []):
        metadata = trigger.get("metadata")
        if not trigger.get("type") or not isinstance(metadata, Mapping):
            problems.append(f"spec.triggers[{index}] needs a type and a metadata map")
        elif not all(isinstance(v, str) for v in metadata.values()):
            problems.append(f"spec.triggers[{index}].metadata values must be strings")
    low, high = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
    if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high):
        problems.append(f"need integers 0 <= minReplicaCount ({low}) <= maxReplicaCount ({high})")
    return problems


#: Pod identity providers KEDA 2.20 accepts (https://keda.sh/docs/2.20/concepts/authentication/).
_KEDA_POD_IDENTITY_PROVIDERS = {"none", "azure-workload", "gcp", "aws", "aws-eks"}


def _trigger_authentication_problems(obj: dict) -> list[str]:
    """Structural rules for ``keda.sh/v1alpha1`` TriggerAuthentications (the parts we use)."""
    spec = obj.get("spec") or {}
    problems = []
    identity = spec.get("podIdentity")
    if identity is not None:
        provider = identity.get("provider")
        if provider not in _KEDA_POD_IDENTITY_PROVIDERS:
            allowed = sorted(_KEDA_POD_IDENTITY_PROVIDERS)
            problems.append(f"spec.podIdentity.provider {provider!r} is not one of {allowed}")
        if identity.get("roleArn") and identity.get("identityOwner"):
            problems.append("spec.podIdentity.roleArn and identityOwner are mutually exclusive")
    if not spec:
        problems.append("spec is empty: nothing to authenticate with")
    return problems


#: Our own rules for the custom resources we create, by (apiVersion, kind).
CUSTOM_RESOURCE_RULES: dict[tuple[str, str], Callable[[dict], list[str]]] = {
    ("keda.sh/v1alpha1", "ScaledObject"): _scaled_object_problems,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): _trigger_authentication_problems,
}


def custom_resource_kinds(objects: list[dict]) -> list[str]:
    """``apiVersion kind`` of each custom resource kind present: skipped by the schema validation,
    checked by :data:`CUSTOM_RESOURCE_RULES` instead."""
    return sorted({f"{o['apiVersion']} {o['kind']}" for o in objects if not _is_built_in(o["apiVersion"])})


def validate_manifests(objects: list[dict], kubernetes_version: str) -> list[str]:
    """Problems of ``objects`` for Kubernetes ``kubernetes_version`` (``"1.33"``); empty when all is valid.

    Built-in kinds go through ``kubernetes_validate.validate(..., strict=True)``; a built-in kind
    without a schema (an API removed in that version) is a problem. Custom resources are checked
    by :data:`CUSTOM_RESOURCE_RULES`; one without rules is a problem, so none slips through unchecked.
    """
    problems = []
    for obj in objects:
        label = _label(obj)
        if not _is_built_in(obj["apiVersion"]):
            rules = CUSTOM_RESOURCE_RULES.get((obj["apiVersion"], obj["kind"]))
            if rules is None:
                problems.append(f"{label}: {obj['apiVersion']} has no schema and no rules of ours")
            else:
                problems += [f"{label}: {problem}" for problem in rules(obj)]
            continue
        try:
            kubernetes_validate.validate(obj, kubernetes_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path) or "(root)"
            problems.append(f"{label}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{label}: {error.message}")
        except VersionNotSupportedError as error:
            raise ValueError(f"kubernetes-validate has no schemas for Kubernetes {error.version}") from error
    return problems


def _selects(selector: Mapping, labels: Mapping[str, str]) -> bool:
    """Whether a label selector matches ``labels`` (an empty selector matches every pod)."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not matched:
            return False
    return True


def _targets(scaler: dict, deployment: dict) -> bool:
    ref = (scaler.get("spec") or {}).get("scaleTargetRef") or {}
    return (
        _namespace(scaler) == _namespace(deployment)
        and ref.get("name") == deployment["metadata"]["name"]
        and ref.get("kind", "Deployment") == "Deployment"
    )


def _scaling_problems(deployment: dict, objects: list[dict]) -> list[str]:
    """Exactly one autoscaler (an autoscaling/v2 HPA or a KEDA ScaledObject with a CPU trigger), min >= 2."""
    scalers = [
        o for o in objects if o["kind"] in ("HorizontalPodAutoscaler", "ScaledObject") and _targets(o, deployment)
    ]
    if not scalers:
        return ["no HorizontalPodAutoscaler or ScaledObject scales it"]
    if len(scalers) > 1:
        return [f"{len(scalers)} autoscalers target it ({', '.join(map(_label, scalers))}); they would fight"]
    (scaler,) = scalers
    spec = scaler["spec"]
    if scaler["kind"] == "HorizontalPodAutoscaler":
        problems = [] if scaler["apiVersion"] == "autoscaling/v2" else [f"{_label(scaler)} is not autoscaling/v2"]
        if spec.get("minReplicas", 1) < MIN_REPLICAS:
            problems.append(f"{_label(scaler)} minReplicas {spec.get('minReplicas', 1)} < {MIN_REPLICAS}")
        return problems
    problems = []
    if spec.get("minReplicaCount", 0) < MIN_REPLICAS:
        problems.append(f"{_label(scaler)} minReplicaCount {spec.get('minReplicaCount', 0)} < {MIN_REPLICAS}")
    if not any(t.get("type") == "cpu" for t in spec.get("triggers") or []):
        problems.append(f"{_label(scaler)} has no cpu trigger: CPU must stay a scaling floor")
    return problems


def _security_problems(container: dict, pod_context: Mapping) -> list[str]:
    """The restricted Pod Security Standard plus our fixed high UID and read-only root filesystem."""
    context = container.get("securityContext") or {}
    # Pod-level settings apply unless the container overrides them.
    effective = {k: pod_context[k] for k in ("runAsNonRoot", "runAsUser", "seccompProfile") if k in pod_context}
    effective.update(context)
    problems = []
    if context.get("privileged"):
        problems.append("is privileged")
    if effective.get("runAsNonRoot") is not True:
        problems.append("does not set runAsNonRoot: true")
    if not isinstance(effective.get("runAsUser"), int) or effective["runAsUser"] < MIN_UID:
        problems.append(f"runAsUser {effective.get('runAsUser')} is not a fixed UID >= {MIN_UID}")
    if context.get("readOnlyRootFilesystem") is not True:
        problems.append("root filesystem is writable")
    if context.get("allowPrivilegeEscalation") is not False:
        problems.append("does not set allowPrivilegeEscalation: false")
    if "ALL" not in ((context.get("capabilities") or {}).get("drop") or []):
        problems.append("does not drop ALL capabilities")
    if (effective.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append("has no RuntimeDefault seccomp profile")
    return problems


def _container_problems(container: dict, pod_context: Mapping, init: bool) -> list[str]:
    """Requests, a memory limit, probes (not for init containers), security context and a pinned image."""
    resources = container.get("resources") or {}
    problems = [f"no {r} request" for r in ("cpu", "memory") if r not in (resources.get("requests") or {})]
    if "memory" not in (resources.get("limits") or {}):
        problems.append("no memory limit")
    if not init:
        probes = [container.get(p) or {} for p in ("livenessProbe", "readinessProbe", "startupProbe")]
        http = bool(container.get("ports")) or any("httpGet" in p for p in probes)
        required = ("livenessProbe", "readinessProbe", "startupProbe") if http else ("livenessProbe", "readinessProbe")
        problems += [f"no {probe}" for probe in required if not container.get(probe)]
    problems += _security_problems(container, pod_context)
    try:
        validate_image(container.get("image") or "")
    except ValueError as error:
        problems.append(str(error))
    return [f"container {container.get('name')!r} {problem}" for problem in problems]


def check_workload_objects(objects: list[dict]) -> list[str]:
    """Our rules for every Deployment; empty when all hold.

    Each Deployment needs exactly one autoscaler with a minimum of at least 2, a PodDisruptionBudget
    selecting its pods, and containers with requests, a memory limit, liveness and readiness
    probes (and a startup probe when they serve HTTP), a restricted security context with a UID of
    at least 10000 and a read-only root filesystem, and a pinned image.
    """
    problems = []
    for deployment in (o for o in objects if o["apiVersion"] == "apps/v1" and o["kind"] == "Deployment"):
        found = _scaling_problems(deployment, objects)
        template = deployment["spec"]["template"]
        pod_labels = (template.get("metadata") or {}).get("labels") or {}
        if not any(
            o["kind"] == "PodDisruptionBudget"
            and _namespace(o) == _namespace(deployment)
            and _selects(o["spec"].get("selector") or {}, pod_labels)
            for o in objects
        ):
            found.append("no PodDisruptionBudget selects its pods")
        pod = template["spec"]
        context = pod.get("securityContext") or {}
        for container in pod.get("containers") or []:
            found += _container_problems(container, context, init=False)
        for container in pod.get("initContainers") or []:
            found += _container_problems(container, context, init=True)
        problems += [f"{_label(deployment)}: {problem}" for problem in found]
    return problems
