"""The saved-plan gate and the demote policy, on plan/preview documents of the CLI's real shapes."""

from __future__ import annotations

from infra.offline.diff import Change, PromotionDiff
from infra.offline.forcenew import STATEFUL_TYPES
from infra.promotion.plan_gate import gate, planned_changes
from infra.promotion.rollback import classify, demote_deletes
from policy.rules import STATEFUL_TYPES as POLICY_STATEFUL

P2 = "urn:pulumi:phase2::platform::"
DB = P2 + "platform:data:Postgres$aws:rds/instance:Instance::db-primary"
NODES = P2 + "platform:compute:Cluster$aws:eks/nodeGroup:NodeGroup::use1-cluster-nodes"
ALARM = P2 + "aws:cloudwatch/metricAlarm:MetricAlarm::cpu"
DEFAULT = P2 + "pulumi:providers:aws::default_7_51_1"


def _plan(steps: dict[str, list[str]], goals: dict[str, dict] | None = None) -> dict:
    """An ``apitype.DeploymentPlanV1`` (what ``--save-plan`` writes)."""
    goals = goals or {}
    return {
        "manifest": {"time": "2026-08-21T10:15:09Z", "magic": "", "version": "v3.259.0"},
        "resourcePlans": {urn: {"goal": goals.get(urn), "steps": ops, "state": {}} for urn, ops in steps.items()},
    }


def _state(*resources: dict) -> dict:
    return {"version": 3, "deployment": {"manifest": {}, "resources": list(resources)}}


def _diff(*changes: tuple[str, str]) -> PromotionDiff:
    return PromotionDiff(
        [Change(u, u.split("::")[-2].rsplit("$", 1)[-1], u.rsplit("::", 1)[-1], a) for u, a in changes], []
    )


def test_the_stateful_list_covers_the_policy_packs():
    assert POLICY_STATEFUL <= STATEFUL_TYPES


def test_an_unpredicted_replacement_of_a_stateful_resource_is_refused_with_its_reasons():
    plan = _plan({DB: ["create-replacement", "replace", "delete-replaced"]},
                 {DB: {"type": "aws:rds/instance:Instance", "custom": True, "protect": True}})  # fmt: skip
    digest = {"steps": [{"op": "replace", "urn": DB, "replaceReasons": ["engine"]}]}
    result = gate(planned_changes(plan, digest, None), _diff((DB, "update")))
    assert result.refusals == [f"stateful and protected {DB} would be replaced (engine)"]


def test_a_predicted_stateless_replacement_passes_an_unpredicted_one_does_not():
    changes = planned_changes(_plan({NODES: ["create-replacement", "replace", "delete-replaced"]}), None, None)
    assert gate(changes, _diff((NODES, "replace"))).ok
    assert gate(changes, _diff((NODES, "update"))).refusals == [
        f"{NODES} would be replaced; the offline diff predicted update"
    ]


def test_deletes_take_type_and_protect_from_the_state_they_were_previewed_against():
    state = _state({"urn": DB, "type": "aws:rds/instance:Instance", "custom": True, "protect": True})
    [change] = planned_changes(_plan({DB: ["delete"]}), None, state)
    assert (change.type, change.protect, change.action) == ("aws:rds/instance:Instance", True, "delete")
    assert not gate([change], _diff((DB, "delete"))).ok


def test_unpredicted_updates_are_reported_not_refused_and_unknown_operations_are_refused():
    result = gate(planned_changes(_plan({ALARM: ["update"], NODES: ["teleport"]}), None, None), _diff())
    assert result.warnings == [f"update {ALARM} (offline diff: not listed)"]
    assert result.refusals == [f"{NODES}: operation teleport is unknown to this tool"]


def test_providers_and_the_root_stack_are_not_gated():
    plan = _plan({DEFAULT: ["delete"], P2 + "pulumi:pulumi:Stack::platform-phase2": ["same"]})
    assert gate(planned_changes(plan, None, None), _diff()).ok


def test_demote_deletes_pass_only_when_confirmed():
    changes = planned_changes(_plan({ALARM: ["delete"]}), None, None)
    key = changes[0].key
    assert gate(changes, _diff((ALARM, "delete")), confirmed_deletes=frozenset({key})).ok
    assert not gate(changes, _diff((ALARM, "delete")), confirmed_deletes=frozenset()).ok


# --- what a demote may delete ----------------------------------------------------------------------


def test_replicas_and_member_nodes_are_derivable_primaries_buckets_queues_are_not():
    def verdict(type_, **inputs):
        return classify({"urn": P2 + f"{type_}::x", "type": type_, "inputs": inputs, "protect": True})

    assert verdict("aws:rds/instance:Instance", replicateSourceDb="acme-prod-db").derivable
    assert not verdict("aws:rds/instance:Instance").derivable
    assert verdict("aws:elasticache/cluster:Cluster", replicationGroupId="acme-prod-cache").derivable
    assert verdict("aws:rds/clusterInstance:ClusterInstance").derivable
    for type_ in ("aws:s3/bucket:Bucket", "aws:sqs/queue:Queue", "aws:kms/key:Key", "aws:eks/cluster:Cluster"):
        assert not verdict(type_).derivable, type_
    alarm = classify({"urn": ALARM, "type": "aws:cloudwatch/metricAlarm:MetricAlarm"})
    assert (alarm.derivable, alarm.guarded) == (True, False)


def test_confirmations_must_name_guarded_deletes_and_nothing_else():
    replica = P2 + "aws:rds/instance:Instance::db-replica-0"
    state = _state(
        {"urn": replica, "type": "aws:rds/instance:Instance", "inputs": {"replicateSourceDb": "db"}, "protect": True},
        {"urn": ALARM, "type": "aws:cloudwatch/metricAlarm:MetricAlarm"},
    )
    diff = _diff((replica, "delete"), (ALARM, "delete"))
    lower_urn = replica.replace("phase2", "phase1")
    plan = demote_deletes(diff, state, confirm=[lower_urn], delete_derivable=True)  # either stack's URN names it
    assert plan.problems == [] and [d.urn for d in plan.to_unprotect] == [replica]
    assert demote_deletes(diff, state, delete_derivable=True).problems == [
        f"{replica} (a copy of its source (replicateSourceDb is set)) would be deleted; "
        f"confirm with --confirm-delete '{replica}'"
    ]
    typo = demote_deletes(diff, state, confirm=[replica, P2 + "aws:rds/instance:Instance::db-primary"],
                          delete_derivable=True)  # fmt: skip
    assert typo.problems == ["--confirm-delete platform::aws:rds/instance:Instance::db-primary: the demote deletes "
                             "no such resource"]  # fmt: skip
