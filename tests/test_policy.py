"""The CrossGuard pack, driven the way the policy engine drives it, over real and broken resources."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from infra.offline.harness import RecordedResource
from infra.offline.policy_check import STACK_POLICIES, plan_violations, resource_violations, stack_violations
from policy.pack import build_policies
from policy.stack_rules import BUCKET_ENCRYPTION, FLOW_LOG, LOG_GROUP, VPC, StackResource, flow_log_violations
from tests.conftest import plan_of


def _evaluate(resource: RecordedResource, props: dict | None = None, protect: bool | None = None) -> list[str]:
    """Run every resource policy on one resource; return 'policy: message' for each violation."""
    return [str(v) for v in resource_violations(resource, props, protect)]


def _first(stack: str, type_token: str, predicate=lambda r: True) -> RecordedResource:
    """The matching resource with the lowest URN: registration order under mocks is not fixed."""
    return min((r for r in plan_of(stack).of_type(type_token) if predicate(r)), key=lambda r: r.urn)


def test_the_pack_passes_every_resource_of_phase_4():
    assert [v for r in plan_of("phase4").resources for v in _evaluate(r)] == []


def _primary(r):
    return not r.inputs.get("replicateSourceDb")


@pytest.mark.parametrize(
    ("type_token", "predicate", "edit", "policy"),
    [
        ("aws:rds/instance:Instance", _primary, {"storageEncrypted": False}, "rds-secure"),
        ("aws:rds/instance:Instance", _primary, {"publiclyAccessible": True}, "rds-secure"),
        ("aws:rds/instance:Instance", _primary, {"multiAz": False}, "rds-secure"),
        ("aws:rds/instance:Instance", _primary, {"skipFinalSnapshot": True}, "rds-secure"),
        ("aws:rds/proxy:Proxy", None, {"requireTls": False}, "rds-proxy-tls"),
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            None,
            {"transitEncryptionEnabled": False},
            "elasticache-secure",
        ),
        ("aws:elasticache/replicationGroup:ReplicationGroup", None, {"authToken": None}, "elasticache-secure"),
        (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            None,
            {"restrictPublicBuckets": False},
            "s3-no-public-access",
        ),
        ("aws:sqs/queue:Queue", None, {"kmsMasterKeyId": None, "sqsManagedSseEnabled": None}, "sqs-encrypted"),
        ("aws:sns/topic:Topic", None, {"kmsMasterKeyId": None}, "sns-encrypted"),
        ("aws:cloudwatch/logGroup:LogGroup", None, {"retentionInDays": 30}, "logs-encrypted-retained"),
        ("aws:cloudwatch/logGroup:LogGroup", None, {"deletionProtectionEnabled": False}, "logs-encrypted-retained"),
        ("aws:kms/key:Key", None, {"enableKeyRotation": False}, "kms-rotation"),
        ("aws:secretsmanager/secret:Secret", None, {"kmsKeyId": None}, "secrets-cmk"),
        (
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            None,
            {"cidrIpv4": "0.0.0.0/0"},
            "no-world-ingress",
        ),
        ("aws:ec2/subnet:Subnet", None, {"mapPublicIpOnLaunch": True}, "no-public-ip-subnets"),
        ("aws:ec2/flowLog:FlowLog", None, {"trafficType": "REJECT"}, "flow-logs-all-traffic"),
        ("aws:sqs/queue:Queue", None, {"name": "acme-prod-phase2-jobs"}, "stable-physical-names"),
    ],
)
def test_each_rule_catches_its_violation(type_token, predicate, edit, policy):
    resource = _first("phase2", type_token, predicate or (lambda r: True))
    # The rule tells the broken copy from the real resource: it does not flag everything it sees.
    assert not any(v.startswith(f"{policy}: ") for v in _evaluate(resource)), policy
    props = copy.deepcopy(resource.inputs)
    props.update(edit)
    assert any(v.startswith(f"{policy}: ") for v in _evaluate(resource, props)), policy


@pytest.mark.parametrize(
    "edit",
    [
        {"encryptAtRest": {"enabled": True}},
        {"nodeToNodeEncryption": {"enabled": False}},
        {"domainEndpointOptions": {"enforceHttps": False, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"}},
        {"domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-0-2019-07"}},
        {"vpcOptions": None},
        {"advancedSecurityOptions": {"enabled": False}},
        {"logPublishingOptions": []},
    ],
)
def test_the_opensearch_rule_catches_each_violation(edit):
    domain = _first("phase3", "aws:opensearch/domain:Domain")
    assert _evaluate(domain) == []
    props = copy.deepcopy(domain.inputs)
    props.update(edit)
    assert any(v.startswith("opensearch-secure: ") for v in _evaluate(domain, props))


def _cdn_violations(phase: str, edit) -> list[str]:
    resource = _first(phase, "aws:cloudfront/distribution:Distribution")
    assert _evaluate(resource) == []
    props = copy.deepcopy(resource.inputs)
    edit(props)
    return [v for v in _evaluate(resource, props) if v.startswith("cloudfront-https-tls12: ")]


def test_https_is_required_on_the_cdn():
    def edit(props):
        props["defaultCacheBehavior"]["viewerProtocolPolicy"] = "allow-all"

    assert any("HTTPS" in v for v in _cdn_violations("phase2", edit))


@pytest.mark.parametrize(
    "certificate",
    [{"cloudfrontDefaultCertificate": True}, {"acmCertificateArn": "arn:x", "minimumProtocolVersion": "TLSv1.2_2019"}],
)
def test_the_cdn_needs_our_certificate_with_tls_1_2_or_newer(certificate):
    assert any("TLS 1.2+" in v for v in _cdn_violations("phase2", lambda p: p.update(viewerCertificate=certificate)))


def test_legacy_acl_logging_on_the_cdn_is_refused():
    legacy = {"loggingConfig": {"bucket": "acme-prod-logs-use1.s3.amazonaws.com", "prefix": "cloudfront/"}}
    assert any("legacy standard logging" in v for v in _cdn_violations("phase2", lambda p: p.update(legacy)))


def test_a_behaviour_on_an_origin_group_allows_only_failover_methods():
    def edit(props):
        props["defaultCacheBehavior"]["allowedMethods"] = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]

    assert any("origin group" in v for v in _cdn_violations("phase4", edit))
    assert _cdn_violations("phase3", edit) == []  # no origin group before phase 4


@pytest.mark.parametrize(
    "edit",
    [
        lambda rule: rule["sourceSelectionCriteria"].pop("sseKmsEncryptedObjects"),
        lambda rule: rule["destination"].pop("encryptionConfiguration"),
        lambda rule: rule["destination"].pop("metrics"),
    ],
    ids=["kms-objects-skipped", "replica-unencrypted", "rtc-without-metrics"],
)
def test_replication_must_carry_kms_objects_encrypted(edit):
    replication = _first(
        "phase4",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        lambda r: any("replicationTime" in rule["destination"] for rule in r.inputs["rules"]),
    )
    assert _evaluate(replication) == []
    props = copy.deepcopy(replication.inputs)
    edit(next(rule for rule in props["rules"] if "replicationTime" in rule["destination"]))
    assert any(v.startswith("s3-replication-encrypted: ") for v in _evaluate(replication, props))


def test_unprotected_stateful_resources_are_refused():
    bucket = _first("phase1", "aws:s3/bucket:Bucket")
    assert bucket.protect and _evaluate(bucket) == []
    assert _evaluate(bucket, protect=False) == [
        f"stateful-protected: {bucket.urn}: stateful resource must be protected (protect=True)"
    ]


def _evaluate_stack(resources: list[RecordedResource]) -> list[str]:
    """Run every stack policy the way the engine does; 'policy: message' for each violation."""
    return [str(v) for v in stack_violations(resources)]


def test_the_stack_policies_pass_every_phase(phase_plan):
    assert [p.name for p in STACK_POLICIES] == [
        "eventbridge-can-publish-to-sns",
        "sns-can-deliver-to-sqs",
        "vpc-flow-logs-encrypted",
        "rds-replica-topology",
        "rds-replica-max-connections",
        "dns-latency-records-health-checked",
        "cloudfront-logging-v2",
        "cloudfront-origin-group-readable",
    ]
    assert phase_plan.of_type("aws:cloudwatch/eventTarget:EventTarget") != []
    assert _evaluate_stack(phase_plan.resources) == []


def test_the_stack_policy_catches_a_key_that_locks_eventbridge_out():
    plan = plan_of("phase1")
    resources = []
    for r in plan.resources:
        if r.type == "aws:kms/key:Key":
            document = json.loads(r.inputs["policy"])
            kept = [s for s in document["Statement"] if s.get("Principal") != {"Service": "events.amazonaws.com"}]
            r = dataclasses.replace(r, inputs={**r.inputs, "policy": json.dumps({**document, "Statement": kept})})
        resources.append(r)
    found = _evaluate_stack(resources)
    assert found and all(v.startswith("eventbridge-can-publish-to-sns: ") for v in found)
    assert any("does not let events.amazonaws.com encrypt messages" in v for v in found)


def test_every_vpc_of_every_phase_is_flow_logged_into_a_kms_encrypted_bucket():
    for stack in ("phase1", "phase3", "phase4"):
        plan = plan_of(stack)
        assert plan.of_type(VPC) and _evaluate_stack(plan.resources) == []


def test_a_vpc_without_its_flow_log_is_refused():
    resources = plan_of("phase3").resources
    dropped = min((r for r in resources if r.type == FLOW_LOG), key=lambda r: r.urn)
    (vpc_urn,) = [u for u in dropped.dependencies if f"${VPC}::" in u]
    found = _evaluate_stack([r for r in resources if r.urn != dropped.urn])
    assert found == [f"vpc-flow-logs-encrypted: {vpc_urn}: VPC has no flow log capturing ALL traffic (FSBP EC2.6)"]


def test_a_flow_log_bucket_without_sse_kms_is_refused():
    resources = copy.deepcopy(plan_of("phase1").resources)
    (flow_log,) = [r for r in resources if r.type == FLOW_LOG]
    encryption = next(
        r for r in resources if r.type == BUCKET_ENCRYPTION and set(r.dependencies) & set(flow_log.dependencies)
    )
    encryption.inputs["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    (message,) = _evaluate_stack(resources)
    assert message.startswith(
        f"vpc-flow-logs-encrypted: {flow_log.urn}: flow log destination must be KMS-encrypted: bucket "
    )


def test_a_cloudwatch_destination_must_be_a_kms_encrypted_log_group():
    vpc = StackResource(VPC, "urn:vpc", {}, ())
    group = StackResource(LOG_GROUP, "urn:group", {"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"}, ())
    flow_log = {"trafficType": "ALL", "logDestinationType": "cloud-watch-logs"}
    logged = StackResource(FLOW_LOG, "urn:flow", flow_log, ("urn:vpc", "urn:group"))
    assert flow_log_violations([vpc, group, logged]) == []
    plain = StackResource(LOG_GROUP, "urn:group", {}, ())
    assert flow_log_violations([vpc, plain, logged]) == [
        ("urn:flow", "flow log destination must be KMS-encrypted: log group urn:group is not KMS-encrypted")
    ]
    rejected_only = StackResource(FLOW_LOG, "urn:flow", {**flow_log, "trafficType": "REJECT"}, ("urn:vpc", "urn:group"))
    assert [urn for urn, _ in flow_log_violations([vpc, group, rejected_only])] == ["urn:vpc"]


def test_an_unprotected_log_group_is_refused():
    group = _first("phase2", "aws:cloudwatch/logGroup:LogGroup")
    assert _evaluate(group) == []
    (message,) = _evaluate(group, protect=False)
    assert message.endswith("must be protected (protect=True) and deletion-protected")


def test_the_stack_policy_catches_a_health_check_without_its_alarm():
    plan = plan_of("phase1")
    kept = [r for r in plan.resources if r.name != "edge-dns-health-alarm-use1"]
    found = _evaluate_stack(kept)
    assert len(found) == 1 and found[0].startswith("dns-latency-records-health-checked: ")
    assert "health check without a HealthCheckStatus alarm" in found[0]


def test_the_pack_loads_as_the_policy_runtime_loads_it():
    """The runtime runs ``policy/__main__.py`` as a script: sibling modules imported flat, without
    the project on the path (no ``infra`` or ``components``)."""
    import subprocess
    import sys
    from pathlib import Path

    policy_dir = Path(__file__).resolve().parent.parent / "policy"
    code = "import sys; sys.path.insert(0, '.'); import pack; print(len(pack.build_policies()))"
    result = subprocess.run([sys.executable, "-c", code], cwd=policy_dir, capture_output=True, text=True, env={})
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(build_policies())


def test_the_whole_pack_over_a_plan_reports_each_violation_once():
    plan = plan_of("phase1")
    assert plan_violations(plan) == []
    bucket = _first("phase1", "aws:s3/bucket:Bucket")
    unprotected = dataclasses.replace(bucket, protect=False)
    edited = dataclasses.replace(plan, resources=[unprotected if r is bucket else r for r in plan.resources])
    assert [v.policy for v in plan_violations(edited)] == ["stateful-protected"]
