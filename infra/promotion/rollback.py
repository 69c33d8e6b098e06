"""Which deletes a demotion may make: derivable resources only, each confirmed by the operator.

A demote (phase N+1 -> N) deletes what phase N+1 added. Deleting is allowed when what goes is
*derivable* — rebuilt from data that lives elsewhere, or holding none: read replicas (a copy of
their primary), ElastiCache member nodes and global-datastore secondaries (copies of their
primary group), Aurora instances (the data is in the cluster volume), and every resource that
holds no data (alarms, dashboards, workers, NATs, security groups, roles, node groups...). It is
refused when the resource holds data that exists nowhere else: a primary database or cluster, a
cache's primary group, buckets, queues (messages may be waiting: AWS cannot be asked offline,
and an empty queue today can be full during the move), KMS keys (everything encrypted under
them), secrets, EKS clusters, search domains, streams. The way out for those is to keep the
resource outside Pulumi (``pulumi state delete --force URN`` on the upper stack, before the
demote: the object stays in AWS) or to migrate its data first.

Classification reads the real state (``pulumi stack export``): whether an RDS instance is a
replica is in its inputs, not its type. Confirmation has two tiers: plain derivable deletes are
confirmed together by ``--delete-derivable``; protected or stateful ones (replicas, their log
groups) must each be named with ``--confirm-delete URN``, and only those are unprotected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.offline.diff import PromotionDiff, stackless_urn
from infra.offline.forcenew import is_stateful
from infra.promotion.plan_gate import PROVIDER_PREFIX, state_by_key

#: Stateful types whose instance is derivable when the named input is set (a copy of a source).
_COPY_OF = {
    "aws:rds/instance:Instance": ("replicateSourceDb",),
    "aws:elasticache/cluster:Cluster": ("replicationGroupId",),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("globalReplicationGroupId",),
}
#: Stateful types that never hold the data themselves.
_ALWAYS_DERIVABLE = frozenset({"aws:rds/clusterInstance:ClusterInstance"})


@dataclass(frozen=True)
class DeleteVerdict:
    """One resource a demote would delete."""

    urn: str
    type: str
    derivable: bool
    guarded: bool  # stateful or protected: must be named, and is unprotected before `up`
    protect: bool
    why: str

    @property
    def key(self) -> str:
        """Stackless URN."""
        return stackless_urn(self.urn)


def classify(resource: Mapping[str, Any]) -> DeleteVerdict:
    """Whether deleting ``resource`` (a state entry of ``pulumi stack export``) loses data."""
    type_, inputs = resource["type"], resource.get("inputs") or {}
    protect, stateful = bool(resource.get("protect")), is_stateful(type_)
    if type_ in _ALWAYS_DERIVABLE:
        why = "an Aurora instance: the data stays in the cluster volume"
    elif type_ in _COPY_OF and any(inputs.get(k) for k in _COPY_OF[type_]):
        why = f"a copy of its source ({', '.join(k for k in _COPY_OF[type_] if inputs.get(k))} is set)"
    elif stateful:
        return DeleteVerdict(resource["urn"], type_, False, True, protect, "holds data that exists nowhere else")
    elif type_ == "aws:cloudwatch/logGroup:LogGroup":
        why = "logs only; they are lost unless kept outside Pulumi first (pulumi state delete --force)"
    else:
        why = "holds no data"
    return DeleteVerdict(resource["urn"], type_, True, stateful or protect, protect, why)


@dataclass
class DemotePlan:
    """The deletes of a demotion, split into refused, confirmed and still unconfirmed."""

    deletes: list[DeleteVerdict]
    confirmed: frozenset[str]  # stackless URNs
    problems: list[str]

    @property
    def to_unprotect(self) -> list[DeleteVerdict]:
        """Confirmed deletes that are protected in state: ``pulumi state unprotect`` these, nothing else."""
        return [d for d in self.deletes if d.key in self.confirmed and d.protect]


def demote_deletes(
    diff: PromotionDiff,
    state: Mapping[str, Any],
    *,
    confirm: Iterable[str] = (),
    delete_derivable: bool = False,
) -> DemotePlan:
    """Classify every delete of ``diff`` against the upper stack's real ``state``.

    ``confirm`` are URNs (of either stack) named with ``--confirm-delete``. Problems: data
    resources, unconfirmed deletes (with the flags that would confirm them), and confirmations
    that name nothing the demote deletes (a typo must not pass silently).
    """
    known = state_by_key(state)
    named = {stackless_urn(u) for u in confirm}
    deletes: list[DeleteVerdict] = []
    problems: list[str] = []
    for change in diff.changes:
        if change.action != "delete" or change.type.startswith(PROVIDER_PREFIX):
            continue
        resource = known.get(stackless_urn(change.urn))
        if resource is None:  # the program declared it, the real stack does not have it: nothing to delete
            continue
        deletes.append(classify(resource))
    confirmed = set()
    unnamed = []
    for verdict in deletes:
        if not verdict.derivable:
            problems.append(
                f"refusing to delete {verdict.type} {verdict.urn}: it {verdict.why}. Keep it outside Pulumi "
                f"(`pulumi state delete --force '{verdict.urn}'` on the upper stack, the object stays in AWS) "
                "or migrate its data, then demote"
            )
        elif verdict.key in named or (delete_derivable and not verdict.guarded):
            confirmed.add(verdict.key)
        elif verdict.guarded:
            unnamed.append(verdict)
    plain = [d for d in deletes if d.derivable and not d.guarded and d.key not in confirmed]
    if plain:
        problems.append(
            f"{len(plain)} derivable resources would be deleted (e.g. {plain[0].urn}); confirm with --delete-derivable"
        )
    for verdict in unnamed:
        problems.append(
            f"{verdict.urn} ({verdict.why}) would be deleted; confirm with --confirm-delete '{verdict.urn}'"
        )
    stray = sorted(named - {d.key for d in deletes})
    problems += [f"--confirm-delete {key}: the demote deletes no such resource" for key in stray]
    return DemotePlan(deletes, frozenset(confirmed), problems)
