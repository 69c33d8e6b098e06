"""EksCluster on its own: private encrypted control plane, hardened per-AZ Graviton nodes, add-on
ordering, least-privilege controller roles, and the Kubernetes provider every k8s object uses."""

import json

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime import rpc

from components.cluster import (
    _GRAVITON,
    AMI_TYPE,
    LOG_TYPES,
    EksCluster,
    EksClusterArgs,
    fits,
    kubeconfig,
    node_capacity,
)
from components.cluster_addons import (
    CLUSTER_AUTOSCALER_CHART,
    cluster_autoscaler_policy,
    load_balancer_controller_policy,
    pod_identity_trust_policy,
)
from tests.readable import run_program

AZS = ["us-west-2a", "us-west-2b", "us-west-2c"]
KEY = "arn:aws:kms:us-west-2:111122223333:key/eks"
ADMIN = "arn:aws:iam::111122223333:role/platform-admin"
COMPONENT = "platform:compute:EksCluster"
OUTPUTS = (
    "cluster_name",
    "cluster_arn",
    "endpoint",
    "certificate_authority",
    "security_group_id",
    "node_role_arn",
    "node_group_names",
    "kubeconfig",
)


def _args(**overrides) -> EksClusterArgs:
    values = {
        "cluster_name": "acme-prod-usw2",
        "vpc_id": "vpc-123",
        "private_subnet_ids": ["subnet-a", "subnet-b", "subnet-c"],
        "availability_zones": AZS,
        "kms_key_arn": KEY,
        "account_id": "111122223333",
        "region": "us-west-2",
        "admin_role_arns": [ADMIN],
        "tags": {"Team": "platform"},
        **overrides,
    }
    return EksClusterArgs(**values)


def _program(**overrides):
    def program():
        provider = aws.Provider("usw2", region="us-west-2")
        cluster = EksCluster("eks", _args(**overrides), opts=pulumi.ResourceOptions(provider=provider))
        pulumi.export("cluster", {key: getattr(cluster, key) for key in OUTPUTS})
        pulumi.export("platform_ready", [r.urn for r in cluster.platform_ready])

    return program


@pytest.fixture(scope="module")
def plan():
    return run_program(_program())


def _addon(plan, addon_name):
    (addon,) = [a for a in plan.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == addon_name]
    return addon


def test_control_plane_is_private_encrypted_fully_logged_and_protected(plan):
    (cluster,) = plan.of_type("aws:eks/cluster:Cluster")
    vpc = cluster.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert vpc["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert cluster.inputs["encryptionConfig"] == {"provider": {"keyArn": KEY}, "resources": ["secrets"]}
    assert sorted(cluster.inputs["enabledClusterLogTypes"]) == sorted(LOG_TYPES) and len(LOG_TYPES) == 5
    assert cluster.inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    assert cluster.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert cluster.inputs["version"] == "1.35"
    assert cluster.inputs["bootstrapSelfManagedAddons"] is False
    assert cluster.inputs["deletionProtection"] is True
    assert cluster.protect is True
    assert cluster.region == "us-west-2"
    assert cluster.inputs["tags"] == {"ManagedBy": "pulumi", "Team": "platform", "Name": "acme-prod-usw2"}


def test_control_plane_log_group_exists_first_encrypted_and_retained(plan):
    log_group = plan.named("eks-control-plane-logs")
    assert log_group.inputs["name"] == "/aws/eks/acme-prod-usw2/cluster"
    assert log_group.inputs["kmsKeyId"] == KEY
    assert log_group.inputs["retentionInDays"] == 365
    assert log_group.protect is True
    cluster = plan.named("eks-cluster")
    assert log_group.urn in cluster.dependencies
    assert {plan.named("eks-cluster-policy").urn, plan.named("eks-cluster-kms").urn} <= set(cluster.dependencies)
    key_use = json.loads(plan.named("eks-cluster-kms").inputs["policy"])["Statement"][0]
    assert key_use["Resource"] == KEY and "kms:*" not in key_use["Action"]


def test_container_insights_log_groups_are_encrypted_and_precede_the_addon(plan):
    groups = [r for r in plan.of_type("aws:cloudwatch/logGroup:LogGroup") if "containerinsights" in r.inputs["name"]]
    assert len(groups) == 4
    assert all(g.inputs["kmsKeyId"] == KEY and g.inputs["retentionInDays"] == 365 and g.protect for g in groups)
    assert {g.urn for g in groups} <= set(_addon(plan, "amazon-cloudwatch-observability").dependencies)


def test_every_pre_created_insights_group_has_a_writer_on_the_nodes_ami(plan):
    # Issue 8 item 7 asked whether dataplane/host stay empty on AL2023: with the add-on's journal
    # inputs (helm-charts #247) they do not, so all four stay; a group without a writer would be
    # retained, encrypted evidence of nothing.
    from components.cluster import AMI_TYPE
    from components.cluster_addons import CONTAINER_INSIGHTS_LOG_WRITERS

    assert AMI_TYPE.startswith("AL2023_")
    assert {g.inputs["amiType"] for g in plan.of_type("aws:eks/nodeGroup:NodeGroup")} == {AMI_TYPE}
    names = {
        r.inputs["name"]
        for r in plan.of_type("aws:cloudwatch/logGroup:LogGroup")
        if "containerinsights" in r.inputs["name"]
    }
    assert names == {f"/aws/containerinsights/acme-prod-usw2/{kind}" for kind in CONTAINER_INSIGHTS_LOG_WRITERS}
    assert (
        "journal" in CONTAINER_INSIGHTS_LOG_WRITERS["host"] and "journal" in CONTAINER_INSIGHTS_LOG_WRITERS["dataplane"]
    )


def test_public_endpoint_only_for_listed_cidrs():
    plan = run_program(_program(public_access_cidrs=["203.0.113.0/24"]))
    vpc = plan.named("eks-cluster").inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"public_access_cidrs": ["0.0.0.0/0"]}, "open to all"),
        ({"private_subnet_ids": ["subnet-a"]}, "one subnet per availability zone"),
        ({"node_instance_type": "m5.large"}, "Graviton"),
        ({"node_instance_type": "m7g"}, "Graviton"),
        ({"kubernetes_version": "1.35.0"}, "major.minor"),
        ({"kubernetes_version": "v1.35"}, "major.minor"),
        ({"kubernetes_version": "1.3"}, "major.minor"),
        ({"node_min_per_az": 4}, "node_min_per_az"),
        ({"log_retention_days": 42}, "retention"),
        ({"cluster_name": "x" * 41}, "1-40"),
        ({"admin_role_arns": []}, "pulumi up"),
        ({"availability_zone_ids": ["usw1-az1", "usw1-az2", "usw1-az3"]}, "EKS refuses"),
    ],
)
def test_invalid_args_are_refused_before_anything_is_registered(overrides, message):
    with pytest.raises(ValueError, match=message):
        EksCluster("eks", _args(**overrides))


def test_launch_template_sets_the_type_requires_imdsv2_and_encrypts_the_root_volume(plan):
    (template,) = plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["instanceType"] == "m7g.large"
    # Two hops so the Container Insights agents in pods can read instance metadata; tokens still required.
    assert template.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 2,
        "instanceMetadataTags": "disabled",
    }
    (device,) = template.inputs["blockDeviceMappings"]
    # Encrypted with the AWS-managed EBS key: no customer key, so no Auto Scaling role in its policy.
    assert device["ebs"] == {
        "volumeSize": 50,
        "volumeType": "gp3",
        "encrypted": "true",
        "deleteOnTermination": "true",
    }
    assert "networkInterfaces" not in template.inputs


def test_an_instance_type_change_touches_only_the_launch_template(plan):
    bigger = run_program(_program(node_instance_type="c7g.2xlarge"))
    (template,) = bigger.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["instanceType"] == "c7g.2xlarge"
    # The template is updated in place (same id, a new version); the node groups only move to the
    # new version, which EKS rolls out in place instead of replacing them.
    (old_template,) = plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.id == old_template.id
    before = {g.name: g.inputs for g in plan.of_type("aws:eks/nodeGroup:NodeGroup")}
    after = {g.name: g.inputs for g in bigger.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert len(after) == 3
    for name, inputs in after.items():
        assert inputs["launchTemplate"]["id"] == before[name]["launchTemplate"]["id"]
        assert inputs["launchTemplate"]["version"] != before[name]["launchTemplate"]["version"]
        assert {k: v for k, v in inputs.items() if k != "launchTemplate"} == {
            k: v for k, v in before[name].items() if k != "launchTemplate"
        }


def test_one_graviton_node_group_per_az_with_autoscaler_owned_desired_size(plan):
    groups = sorted(plan.of_type("aws:eks/nodeGroup:NodeGroup"), key=lambda g: g.name)
    assert sorted(g.name for g in groups) == ["eks-nodes-0", "eks-nodes-1", "eks-nodes-2"]
    assert [g.inputs["subnetIds"] for g in groups] == [["subnet-a"], ["subnet-b"], ["subnet-c"]]
    assert [g.inputs["nodeGroupNamePrefix"] for g in groups] == [f"acme-prod-usw2-{az}-" for az in AZS]
    assert all("nodeGroupName" not in g.inputs for g in groups)
    for group in groups:
        assert group.inputs["amiType"] == AMI_TYPE == "AL2023_ARM_64_STANDARD"
        assert "instanceTypes" not in group.inputs
        assert group.inputs["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 1}
        assert group.inputs["updateConfig"] == {"maxUnavailablePercentage": 33}
        # The template's latest version (the mocks number versions by content).
        assert group.inputs["launchTemplate"]["id"] == "eks-nodes-lt-id"
        assert group.inputs["launchTemplate"]["version"].isdigit()
        assert group.ignore_changes == ["scalingConfig.desiredSize"]
        assert group.inputs["tags"]["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert group.inputs["tags"]["k8s.io/cluster-autoscaler/acme-prod-usw2"] == "owned"
    exported = plan.outputs["cluster"]["node_group_names"]
    assert [name[: -len("0" * 26)] for name in exported] == [f"acme-prod-usw2-{az}-" for az in AZS]


def test_node_role_has_exactly_the_node_policies(plan):
    attached = {
        r.inputs["policyArn"].rsplit("/", 1)[-1]
        for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.inputs["role"] == "acme-prod-usw2-node"
    }
    assert attached == {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"}
    trust = json.loads(plan.named("eks-node-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_networking_addons_come_before_nodes_and_the_rest_after(plan):
    groups = plan.of_type("aws:eks/nodeGroup:NodeGroup")
    assert len(groups) == len(AZS)
    for early in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        urn = _addon(plan, early).urn
        assert all(urn in g.dependencies for g in groups), early
    for late in ("coredns", "metrics-server", "aws-ebs-csi-driver", "amazon-cloudwatch-observability"):
        assert {g.urn for g in groups} <= set(_addon(plan, late).dependencies), late
    for addon in plan.of_type("aws:eks/addon:Addon"):
        assert addon.inputs["resolveConflictsOnCreate"] == addon.inputs["resolveConflictsOnUpdate"] == "OVERWRITE"
        assert "addonVersion" not in addon.inputs
        assert addon.inputs["tags"]["Name"] == f"acme-prod-usw2-{addon.inputs['addonName']}"
    vpc_cni = json.loads(_addon(plan, "vpc-cni").inputs["configurationValues"])
    assert vpc_cni == {"enableNetworkPolicy": "true"}


def test_storage_and_observability_addons_get_their_own_pod_identity_roles(plan):
    expectations = {
        "aws-ebs-csi-driver": ("eks-ebs-csi-role", "kube-system", "ebs-csi-controller-sa"),
        "amazon-cloudwatch-observability": ("eks-cloudwatch-role", "amazon-cloudwatch", "cloudwatch-agent"),
    }
    for addon_name, (role_name, namespace, service_account) in expectations.items():
        (association,) = _addon(plan, addon_name).inputs["podIdentityAssociations"]
        role = plan.named(role_name)
        assert association == {
            "roleArn": f"arn:aws:iam:us-west-2:123456789012:{role_name}",
            "serviceAccount": service_account,
        }
        condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
        assert condition["aws:RequestTag/kubernetes-namespace"] == namespace
        assert condition["aws:RequestTag/kubernetes-service-account"] == service_account


def test_admins_get_cluster_scoped_admin_access_entries(plan):
    (entry,) = plan.of_type("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["principalArn"] == ADMIN and entry.inputs["type"] == "STANDARD"
    (association,) = plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association.inputs["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert association.inputs["accessScope"] == {"type": "cluster"}


def test_every_kubernetes_resource_uses_the_clusters_provider(plan):
    (provider,) = plan.of_type("pulumi:providers:kubernetes")
    k8s_resources = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert len(k8s_resources) == 2
    assert all(r.provider.startswith(provider.urn + "::") for r in k8s_resources)
    admin_policy = plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")[0]
    assert admin_policy.urn in provider.dependencies
    # The kubeconfig is passed as a secret: the recorded input is the SDK's secret envelope.
    envelope = provider.inputs["kubeconfig"]
    assert envelope[rpc._special_sig_key] == rpc._special_secret_sig
    config = json.loads(envelope["value"])
    assert config["users"][0]["user"]["exec"]["args"][2:5] == ["eks", "get-token", "--cluster-name"]


def test_controllers_are_pinned_charts_started_after_their_pod_identity(plan):
    autoscaler = plan.named("eks-cluster-autoscaler")
    assert autoscaler.inputs["chart"] == "cluster-autoscaler"
    assert autoscaler.inputs["version"] == CLUSTER_AUTOSCALER_CHART[2] == "9.59.0"
    assert autoscaler.inputs["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    assert autoscaler.inputs["namespace"] == "kube-system"
    values = autoscaler.inputs["values"]
    assert values["autoDiscovery"] == {"clusterName": "acme-prod-usw2"}
    assert values["awsRegion"] == "us-west-2"
    # The newest 1.35 patch (kubernetes/autoscaler tag cluster-autoscaler-1.35.2, 2026-07-22).
    assert values["image"] == {"tag": "v1.35.2"}
    assert values["rbac"]["serviceAccount"]["name"] == "cluster-autoscaler"
    assert values["extraArgs"] == {
        "balance-similar-node-groups": True,
        "skip-nodes-with-system-pods": False,
        "expander": "least-waste",
        # The chart's default is 4; the CA FAQ: 0 or 1 is enough to monitor it.
        "v": 1,
    }
    assert values["resources"] == {"requests": {"cpu": "100m", "memory": "600Mi"}, "limits": {"memory": "600Mi"}}
    assert plan.named("eks-cluster-autoscaler-identity").urn in autoscaler.dependencies
    lbc = plan.named("eks-aws-lb-controller")
    assert (lbc.inputs["chart"], lbc.inputs["version"]) == ("aws-load-balancer-controller", "1.14.0")
    assert lbc.inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    assert lbc.inputs["values"]["clusterName"] == "acme-prod-usw2"
    assert lbc.inputs["values"]["vpcId"] == "vpc-123"
    assert lbc.inputs["values"]["serviceAccount"]["name"] == "aws-load-balancer-controller"
    assert lbc.inputs["values"]["resources"] == {
        "requests": {"cpu": "100m", "memory": "200Mi"},
        "limits": {"memory": "500Mi"},
    }
    assert plan.named("eks-aws-lb-controller-identity").urn in lbc.dependencies
    assert {g.urn for g in plan.of_type("aws:eks/nodeGroup:NodeGroup")} <= set(lbc.dependencies)


def test_autoscaler_runs_the_control_planes_minor_version():
    plan = run_program(_program(kubernetes_version="1.34"))
    assert plan.named("eks-cluster").inputs["version"] == "1.34"
    assert plan.named("eks-cluster-autoscaler").inputs["values"]["image"] == {"tag": "v1.34.5"}


def test_a_minor_without_a_recorded_autoscaler_release_is_refused():
    with pytest.raises(ValueError, match="no Cluster Autoscaler release recorded for Kubernetes 1.39"):
        run_program(_program(kubernetes_version="1.39"))


def test_autoscaler_role_can_only_scale_this_clusters_groups(plan):
    policy = json.loads(plan.named("eks-cluster-autoscaler-role-policy").inputs["policy"])
    assert policy == cluster_autoscaler_policy("acme-prod-usw2", "us-west-2", "111122223333")
    scale = next(s for s in policy["Statement"] if "autoscaling:SetDesiredCapacity" in s["Action"])
    assert scale["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/acme-prod-usw2": "owned",
        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
    }
    assert set(scale["Action"]) == {
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    }
    describe = next(s for s in policy["Statement"] if s["Sid"] == "DescribeOwnNodegroups")
    assert describe["Resource"] == "arn:aws:eks:us-west-2:111122223333:nodegroup/acme-prod-usw2/*/*"
    trust = json.loads(plan.named("eks-cluster-autoscaler-role").inputs["assumeRolePolicy"])
    assert trust == json.loads(pod_identity_trust_policy("acme-prod-usw2", "kube-system", "cluster-autoscaler"))


def test_load_balancer_controller_policy_mutates_only_what_it_tagged():
    policy = load_balancer_controller_policy("us-west-2", "111122223333")
    statements = policy["Statement"]
    tag_keys = json.dumps(statements)
    assert "elbv2.k8s.aws/cluster" in tag_keys and ":*:*:" not in tag_keys
    destructive = {"ec2:DeleteSecurityGroup", "elasticloadbalancing:DeleteLoadBalancer"}
    deleting = 0
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions)
        if destructive & set(actions):
            deleting += 1
            assert statement["Condition"] == {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    assert deleting == 2  # one statement per destructive action, each checked above
    create = next(s for s in statements if "elasticloadbalancing:CreateLoadBalancer" in s["Action"])
    assert create["Condition"] == {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}
    # Upstream v2.14 iam_policy.json's last statement, verbatim: the controller reorders rules with
    # SetRulePriorities when an Ingress's rule order changes.
    assert statements[-1] == {
        "Effect": "Allow",
        "Action": [
            "elasticloadbalancing:SetWebAcl",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddListenerCertificates",
            "elasticloadbalancing:RemoveListenerCertificates",
            "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:SetRulePriorities",
        ],
        "Resource": "*",
    }


def test_outputs_are_concrete(plan):
    out = plan.outputs["cluster"]
    assert out["cluster_name"] == "acme-prod-usw2"
    assert out["endpoint"].startswith("https://")
    assert out["security_group_id"].startswith("sg-")
    assert json.loads(out["kubeconfig"])["clusters"][0]["cluster"]["server"] == out["endpoint"]
    (component,) = plan.of_type(COMPONENT)
    assert all(r.parent == component.urn for r in plan.resources if r.name.startswith("eks-"))


def test_kubeconfig_uses_short_lived_exec_tokens():
    config = kubeconfig("c1", "https://x.eks.amazonaws.com", "Q0E=", "eu-west-1")
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"] == [
        "--region", "eu-west-1", "eks", "get-token", "--cluster-name", "c1", "--output", "json",
    ]  # fmt: skip
    assert config["clusters"][0]["cluster"] == {
        "server": "https://x.eks.amazonaws.com",
        "certificate-authority-data": "Q0E=",
    }
    assert config["current-context"] == "c1"


def test_node_capacity_follows_the_eks_reservation_formula():
    # m7g.large: 2000m - (60 + 10) kube-reserved - 450 DaemonSets; 8192 MiB - (255 + 11 * 29) - 100 - 600.
    assert node_capacity("m7g.large", 1) == (1480, 6918)
    assert node_capacity("m7g.large", 3) == (3 * 1480, 3 * 6918)
    with pytest.raises(ValueError, match="unknown instance type"):
        node_capacity("t3.large", 1)


def test_phase_targets_fit_their_node_maxima():
    # Phase 1: api 2-4 pods of 250m/512Mi on 3 AZs x 3 m7g.large at most.
    assert fits(250, 512, 4, node_capacity("m7g.large", 9))
    # Phase 4: 200 api pods per region need bigger nodes than the default maximum.
    assert not fits(250, 512, 200, node_capacity("m7g.large", 9))
    assert fits(250, 512, 200, node_capacity("m7g.2xlarge", 9))


@given(st.sampled_from(sorted(_GRAVITON)), st.integers(min_value=1, max_value=200))
def test_capacity_is_positive_linear_and_below_the_hardware(instance_type, nodes):
    cpu, memory = node_capacity(instance_type, nodes)
    one_cpu, one_memory = node_capacity(instance_type, 1)
    vcpus, memory_gib, _ = _GRAVITON[instance_type]
    assert (cpu, memory) == (one_cpu * nodes, one_memory * nodes)
    assert 0 < one_cpu < vcpus * 1000 and 0 < one_memory < memory_gib * 1024


@given(
    st.integers(min_value=1, max_value=4000),
    st.integers(min_value=1, max_value=16384),
    st.integers(min_value=1, max_value=500),
    st.sampled_from(sorted(_GRAVITON)),
    st.integers(min_value=1, max_value=50),
)
def test_fits_is_monotone_in_replicas_and_nodes(cpu, memory, replicas, instance_type, nodes):
    capacity = node_capacity(instance_type, nodes)
    if fits(cpu, memory, replicas, capacity):
        assert fits(cpu, memory, replicas - 1, capacity)
        assert fits(cpu, memory, replicas, node_capacity(instance_type, nodes + 1))
    else:
        # The other half of the examples: what does not fit never fits with more pods or fewer nodes.
        assert not fits(cpu, memory, replicas + 1, capacity)
        assert not fits(cpu, memory, replicas, node_capacity(instance_type, max(nodes - 1, 1)))


def test_platform_ready_names_what_workloads_must_wait_for(plan):
    ready = set(plan.outputs["platform_ready"])
    assert plan.named("eks-aws-lb-controller").urn in ready
    assert plan.named("eks-metrics-server").urn in ready
    assert plan.named("eks-coredns").urn in ready
