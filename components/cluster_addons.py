"""In-cluster software of :class:`components.cluster.EksCluster`: managed add-ons, Helm controllers, IAM.

Split out of ``cluster.py`` to keep each file readable; it holds no component of its own. The
helpers create children of the cluster component (``parent``), so they inherit its AWS provider.
Every controller gets its own EKS Pod Identity role whose trust policy names the one cluster,
namespace and service account allowed to use it.

AWS and Kubernetes/chart constraints this module relies on:

- EKS Pod Identity: trust ``pods.eks.amazonaws.com`` with ``sts:AssumeRole`` and ``sts:TagSession``;
  conditions on the session tags (``aws:RequestTag/eks-cluster-name``, ``kubernetes-namespace``,
  ``kubernetes-service-account``) restrict who may use the role. Credentials are injected at pod
  start, so an association created after the pods only applies once they restart; the SDK in the
  pod must support container credentials (e.g. Go v2 release-2023-11-14).
  https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
  https://docs.aws.amazon.com/eks/latest/userguide/pod-id-minimum-sdk.html
- Managed add-ons: without ``addon_version`` EKS installs the default version for the cluster's
  Kubernetes version and does not upgrade it with the control plane; ``OVERWRITE`` lets EKS replace
  fields changed outside the add-on. ``aws-ebs-csi-driver`` (SA ``ebs-csi-controller-sa``) and
  ``amazon-cloudwatch-observability`` (SA ``cloudwatch-agent``) accept Pod Identity associations.
  https://docs.aws.amazon.com/eks/latest/userguide/updating-an-add-on.html
  https://docs.aws.amazon.com/eks/latest/userguide/add-ons-iam.html
- Container Insights writes ``/aws/containerinsights/<cluster>/{application,dataplane,host,
  performance}``; pre-created groups keep our retention and key (the key must grant CloudWatch Logs).
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-setup-logs-FluentBit.html
- Managed policies: ``service-role/AmazonEBSCSIDriverPolicy`` and ``CloudWatchAgentServerPolicy``.
  https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEBSCSIDriverPolicy.html
- Cluster Autoscaler must run the control plane's minor version; its IAM policy is upstream's
  (describe calls on ``*``; ``SetDesiredCapacity``/``TerminateInstanceInAutoScalingGroup`` limited by
  tag). EKS managed node groups tag their ASGs ``k8s.io/cluster-autoscaler/enabled`` and
  ``k8s.io/cluster-autoscaler/<cluster>``, which auto-discovery and the tag conditions use.
  https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md
  https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html
- AWS Load Balancer Controller chart 1.14.0 is v2.14.0; the IAM policy follows its
  ``docs/install/iam_policy.json``. With Pod Identity and IMDS unreachable from pods, ``region`` and
  ``vpcId`` must be passed; ``enableServiceMutatorWebhook`` defaults to true.
  https://github.com/aws/eks-charts/blob/master/stable/aws-load-balancer-controller/values.yaml
  https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/installation/
- Helm: ``atomic`` rolls a failed install/upgrade back and ``cleanup_on_fail`` deletes resources it
  created; a fixed release name makes a rename a delete-and-reinstall.
  https://helm.sh/docs/helm/helm_upgrade/
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.base import child_opts, merge_tags, stateful_opts

if TYPE_CHECKING:
    from components.cluster import EksClusterArgs

#: Chart pins. Cluster Autoscaler chart 9.59.0 ships CA 1.35.0 (its appVersion); the image tag is
#: still set from the cluster version (``autoscaler_image_tag``) because CA must run the control
#: plane's minor version, so a cluster kept on another minor does not get 1.35's autoscaler.
#:
#: Constraints the controller values rely on (read at the pinned versions):
#:
#: - CA chart 9.59.0 ``values.yaml``: ``resources: {}`` and ``extraArgs`` defaulting to
#:   ``logtostderr``, ``stderrthreshold: info`` and ``v: 4``; each ``extraArgs`` key is rendered
#:   as ``--key=value`` and Helm merges our map over the defaults
#:   (https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-chart-9.59.0/cluster-autoscaler/charts/cluster-autoscaler/values.yaml).
#: - CA FAQ "How can I increase the information that the CA is logging?": ``--v=0`` or ``--v=1``
#:   suffice to monitor it, higher levels log much more and slow CA on large clusters
#:   (https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/FAQ.md).
#: - CA's AWS example manifest requests 100m CPU / 600Mi and limits memory to 600Mi
#:   (cluster-autoscaler/cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml).
#: - Load Balancer Controller chart 1.14.0 ``values.yaml``: ``resources: {}``, ``replicaCount: 2``;
#:   its scaling guide gives the install bundle's requests 100m / 200Mi and limits 200m / 500Mi
#:   (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/scaling/).
#: - No CPU limits on either: a throttled controller lags; memory limits stop a leak from taking
#:   the node's memory.
CLUSTER_AUTOSCALER_CHART = ("cluster-autoscaler", "https://kubernetes.github.io/autoscaler", "9.59.0")
#: Chart 1.14.0 is controller v2.14.0, which upstream supports on Kubernetes 1.22 and later.
LOAD_BALANCER_CONTROLLER_CHART = ("aws-load-balancer-controller", "https://aws.github.io/eks-charts", "1.14.0")
CLUSTER_AUTOSCALER_SA = "cluster-autoscaler"
LOAD_BALANCER_CONTROLLER_SA = "aws-load-balancer-controller"
_MANAGED_POLICY = "arn:aws:iam::aws:policy/"
#: Log groups the CloudWatch Observability add-on writes on our AL2023 nodes, with what writes
#: each. Checked in the add-on's chart (aws-observability/helm-charts,
#: charts/amazon-cloudwatch-observability/values.yaml, ``containerLogs.fluentBit.config.extraFiles``):
#: ``dataplane`` reads the systemd journal (``/var/log/journal``: kubelet, containerd) plus the
#: aws-node and kube-proxy container logs, and ``host`` reads the journal too (kernel, syslog
#: priorities 0-6, authpriv) since "[FluentBit] Use systemd plugins for retrieving host logs"
#: (#247, 2025-10-15, first in chart release 4.6.0); before it, ``host`` tailed ``/var/log/dmesg``,
#: ``/var/log/messages`` and ``/var/log/secure``, which AL2023 does not write (no rsyslog; its
#: default logging is the journal: https://docs.aws.amazon.com/linux/al2023/ug/journald.html).
#: Add-on versions for Kubernetes 1.35 postdate that change, so all four groups receive logs; a
#: cluster still on an older add-on has an empty ``host`` group until ``aws eks update-addon``.
CONTAINER_INSIGHTS_LOG_WRITERS = {
    "application": "Fluent Bit: /var/log/containers/*.log",
    "dataplane": "Fluent Bit: systemd journal (kubelet, containerd) + aws-node, kube-proxy container logs",
    "host": "Fluent Bit: systemd journal (kernel, syslog, authpriv)",
    "performance": "CloudWatch agent: Container Insights metrics as embedded-metric-format logs",
}
CONTAINER_INSIGHTS_LOG_GROUPS = tuple(CONTAINER_INSIGHTS_LOG_WRITERS)


def pod_identity_trust_policy(cluster_name: str, namespace: str, service_account: str) -> str:
    """Trust policy letting EKS Pod Identity assume a role for one service account of one cluster.

    Pod Identity tags the STS session with the cluster, namespace and service account, so matching
    those tags stops any other association in the account from borrowing the role.
    """
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {
            "StringEquals": {
                "aws:RequestTag/eks-cluster-name": cluster_name,
                "aws:RequestTag/kubernetes-namespace": namespace,
                "aws:RequestTag/kubernetes-service-account": service_account,
            }
        },
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


#: Newest Cluster Autoscaler patch of each Kubernetes minor, from the ``cluster-autoscaler-1.N.P``
#: release tags of https://github.com/kubernetes/autoscaler/tags (checked 2026-08-22: 1.33.6,
#: 1.34.5, 1.35.2 and 1.36.1 all tagged 2026-07-22). Add a minor here when EKS offers it.
AUTOSCALER_PATCHES = {"1.33": "1.33.6", "1.34": "1.34.5", "1.35": "1.35.2", "1.36": "1.36.1"}
#: Requests and limits of the two Helm-installed controllers (see the constraints above).
AUTOSCALER_RESOURCES = {"requests": {"cpu": "100m", "memory": "600Mi"}, "limits": {"memory": "600Mi"}}
LOAD_BALANCER_CONTROLLER_RESOURCES = {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "500Mi"}}
#: CA log verbosity: the FAQ's "sufficient to monitor its activity" level (the chart defaults to 4).
AUTOSCALER_VERBOSITY = 1


def autoscaler_image_tag(kubernetes_version: str) -> str:
    """Cluster Autoscaler image tag for a ``major.minor`` control plane: that minor's newest patch.

    CA is released per Kubernetes minor and only supports that minor; patches are its bug fixes.
    ValueError for a minor :data:`AUTOSCALER_PATCHES` does not list yet.
    """
    if kubernetes_version not in AUTOSCALER_PATCHES:
        raise ValueError(
            f"no Cluster Autoscaler release recorded for Kubernetes {kubernetes_version}: add its newest "
            f"cluster-autoscaler-{kubernetes_version}.N tag to AUTOSCALER_PATCHES (known: {sorted(AUTOSCALER_PATCHES)})"
        )
    return f"v{AUTOSCALER_PATCHES[kubernetes_version]}"


def cluster_autoscaler_policy(cluster_name: str, region: str, account_id: str) -> dict:
    """Least-privilege Cluster Autoscaler policy (upstream AWS cloud-provider documentation).

    Describe calls have no resource-level permissions, so they stay on ``*``; the two mutating
    calls only work on Auto Scaling groups tagged as owned by this cluster, which EKS managed node
    groups tag automatically.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                "Resource": "*",
            },
            {
                "Sid": "DescribeOwnNodegroups",
                "Effect": "Allow",
                "Action": "eks:DescribeNodegroup",
                "Resource": f"arn:aws:eks:{region}:{account_id}:nodegroup/{cluster_name}/*/*",
            },
            {
                "Sid": "ScaleOwnGroups",
                "Effect": "Allow",
                "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                "Resource": f"arn:aws:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/*",
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
                        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                    }
                },
            },
        ],
    }


def load_balancer_controller_policy(region: str, account_id: str) -> dict:
    """The AWS Load Balancer Controller's documented IAM policy (v2.14 ``iam_policy.json``).

    Faithful to upstream, including its ``elbv2.k8s.aws/cluster`` tag conditions (the controller
    may only modify or delete what it created and tagged), but with ARNs narrowed from ``*:*`` to
    this region and account. The remaining ``*`` resources are upstream's: the controller creates
    load balancers, target groups and security groups whose ARNs do not exist yet.
    """
    elb, ec2 = f"arn:aws:elasticloadbalancing:{region}:{account_id}", f"arn:aws:ec2:{region}:{account_id}"
    created_here = {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}
    owned = {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    retag_owned = {
        "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "true", "aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}
    }
    balancers = [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*"]
    lb_modify = [
        "ModifyLoadBalancerAttributes", "SetIpAddressType", "SetSecurityGroups", "SetSubnets",
        "DeleteLoadBalancer", "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup",
        "ModifyListenerAttributes", "ModifyCapacityReservation", "ModifyIpPools",
    ]  # fmt: skip
    describe = [
        "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
        "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools",
        "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
        "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
        "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
        "elasticloadbalancing:DescribeCapacityReservation",
    ]  # fmt: skip
    integrations = [
        "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
        "iam:ListServerCertificates", "iam:GetServerCertificate", "waf-regional:GetWebACL",
        "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
        "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
        "shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection",
        "shield:DeleteProtection",
    ]  # fmt: skip

    def allow(actions, resource, condition=None) -> dict:
        statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
        return {**statement, "Condition": condition} if condition else statement

    return {
        "Version": "2012-10-17",
        "Statement": [
            allow(
                "iam:CreateServiceLinkedRole",
                "*",
                {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
            ),
            allow(describe, "*"),
            allow(integrations, "*"),
            allow(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], "*"),
            allow("ec2:CreateSecurityGroup", "*"),
            allow(
                "ec2:CreateTags",
                f"{ec2}:security-group/*",
                {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **created_here},
            ),
            allow(["ec2:CreateTags", "ec2:DeleteTags"], f"{ec2}:security-group/*", retag_owned),
            allow(
                ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
                "*",
                owned,
            ),
            allow(
                ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
                "*",
                created_here,
            ),
            allow(
                [
                    "elasticloadbalancing:CreateListener",
                    "elasticloadbalancing:DeleteListener",
                    "elasticloadbalancing:CreateRule",
                    "elasticloadbalancing:DeleteRule",
                ],
                "*",
            ),
            allow(["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], balancers, retag_owned),
            allow(
                ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
                [
                    f"{elb}:listener/net/*/*/*",
                    f"{elb}:listener/app/*/*/*",
                    f"{elb}:listener-rule/net/*/*/*",
                    f"{elb}:listener-rule/app/*/*/*",
                ],
            ),
            allow([f"elasticloadbalancing:{a}" for a in lb_modify], "*", owned),
            allow(
                ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                f"{elb}:targetgroup/*/*",
            ),
            allow(
                "elasticloadbalancing:AddTags",
                balancers,
                {
                    "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                    **created_here,
                },
            ),
            allow(
                [
                    "elasticloadbalancing:SetWebAcl",
                    "elasticloadbalancing:ModifyListener",
                    "elasticloadbalancing:AddListenerCertificates",
                    "elasticloadbalancing:RemoveListenerCertificates",
                    "elasticloadbalancing:ModifyRule",
                    "elasticloadbalancing:SetRulePriorities",
                ],
                "*",
            ),
        ],
    }


def pod_identity_role(
    parent: pulumi.Resource,
    logical: str,
    physical: str,
    service_account: tuple[str, str, str],
    tags: dict[str, str],
    managed_policies: Sequence[str] = (),
    inline_policy: pulumi.Input[str] | None = None,
) -> aws.iam.Role:
    """An IAM role for one ``(cluster, namespace, service account)``, with its permissions.

    ``managed_policies`` are AWS-managed policy names; ``inline_policy`` a JSON document.
    """
    role = aws.iam.Role(
        logical,
        name=physical,
        assume_role_policy=pod_identity_trust_policy(*service_account),
        tags=merge_tags(physical, tags),
        opts=child_opts(parent),
    )
    for policy in managed_policies:
        aws.iam.RolePolicyAttachment(
            f"{logical}-{policy.rsplit('/', 1)[-1].lower()}",
            role=role.name,
            policy_arn=_MANAGED_POLICY + policy,
            opts=child_opts(parent),
        )
    if inline_policy is not None:
        aws.iam.RolePolicy(f"{logical}-policy", role=role.id, policy=inline_policy, opts=child_opts(parent))
    return role


def pod_identity_association(
    parent: pulumi.Resource,
    logical: str,
    role: aws.iam.Role,
    physical: str,
    service_account: tuple[pulumi.Input[str], str, str],
    tags: dict[str, str],
    depends_on: Sequence[pulumi.Resource] = (),
) -> aws.eks.PodIdentityAssociation:
    """Bind ``role`` (whose name is ``physical``) to a ``(cluster, namespace, service account)``.

    Pods only receive the role's credentials if the association exists when they start, so the
    callers make the pods' Helm release or ServiceAccount depend on the returned resource. When the
    cluster name is plain text, ``depends_on`` is what orders the association after the cluster.
    """
    cluster_name, namespace, account = service_account
    return aws.eks.PodIdentityAssociation(
        logical,
        cluster_name=cluster_name,
        namespace=namespace,
        service_account=account,
        role_arn=role.arn,
        tags=merge_tags(physical, tags),
        opts=child_opts(parent, depends_on=list(depends_on)),
    )


def managed_addon(
    parent: pulumi.Resource,
    logical: str,
    cluster_name: pulumi.Input[str],
    addon: str,
    args: EksClusterArgs,
    depends_on: Sequence[pulumi.Resource] = (),
    **extra,
) -> aws.eks.Addon:
    """An EKS managed add-on that owns its configuration.

    ``addon_version`` is left unset on purpose: EKS then installs the default version for the
    cluster's Kubernetes version, whereas a pin here would go stale, or even be incompatible, as
    soon as ``kubernetes_version`` changes. Moving an add-on to a newer version after a
    control-plane upgrade is a deliberate ``aws eks update-addon`` step. OVERWRITE makes EKS'
    configuration win over drift made with kubectl.
    """
    return aws.eks.Addon(
        logical,
        cluster_name=cluster_name,
        addon_name=addon,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        tags=merge_tags(f"{args.cluster_name}-{addon}", args.tags),
        opts=child_opts(parent, depends_on=list(depends_on)),
        **extra,
    )


def helm_controller(
    parent: pulumi.Resource,
    logical: str,
    chart: tuple[str, str, str],
    values: dict,
    provider: k8s.Provider,
    depends_on: Sequence[pulumi.Resource],
) -> k8s.helm.v3.Release:
    """A pinned chart installed into kube-system with a fixed release name (no random suffix)."""
    name, repo, version = chart
    return k8s.helm.v3.Release(
        logical,
        name=name,
        chart=name,
        version=version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repo),
        namespace="kube-system",
        values=values,
        # A failed install rolls back rather than leaving a half-upgraded controller.
        atomic=True,
        cleanup_on_fail=True,
        opts=child_opts(parent, provider=provider, depends_on=list(depends_on)),
    )


def create_late_addons(
    parent: pulumi.Resource,
    name: str,
    args: EksClusterArgs,
    cluster_name: pulumi.Input[str],
    node_groups: Sequence[pulumi.Resource],
) -> list[aws.eks.Addon]:
    """Add-ons whose pods need nodes; EBS CSI and CloudWatch get their own Pod Identity roles."""
    ebs_role = pod_identity_role(
        parent,
        f"{name}-ebs-csi-role",
        f"{args.cluster_name}-ebs-csi",
        (args.cluster_name, "kube-system", "ebs-csi-controller-sa"),
        args.tags,
        managed_policies=["service-role/AmazonEBSCSIDriverPolicy"],
    )
    cloudwatch_role = pod_identity_role(
        parent,
        f"{name}-cloudwatch-role",
        f"{args.cluster_name}-cloudwatch-agent",
        (args.cluster_name, "amazon-cloudwatch", "cloudwatch-agent"),
        args.tags,
        managed_policies=["CloudWatchAgentServerPolicy"],
    )
    # Pre-created like the control-plane group, so the agent finds encrypted, retained groups
    # instead of creating never-expiring unencrypted ones.
    insight_logs = [
        aws.cloudwatch.LogGroup(
            f"{name}-insights-{kind}",
            name=f"/aws/containerinsights/{args.cluster_name}/{kind}",
            kms_key_id=args.kms_key_arn,
            retention_in_days=args.log_retention_days,
            deletion_protection_enabled=True,
            tags=merge_tags(f"{args.cluster_name}-insights-{kind}", args.tags),
            opts=stateful_opts(parent),
        )
        for kind in CONTAINER_INSIGHTS_LOG_GROUPS
    ]
    return [
        managed_addon(parent, f"{name}-coredns", cluster_name, "coredns", args, node_groups),
        managed_addon(parent, f"{name}-metrics-server", cluster_name, "metrics-server", args, node_groups),
        managed_addon(
            parent,
            f"{name}-ebs-csi",
            cluster_name,
            "aws-ebs-csi-driver",
            args,
            node_groups,
            pod_identity_associations=[{"role_arn": ebs_role.arn, "service_account": "ebs-csi-controller-sa"}],
        ),
        managed_addon(
            parent,
            f"{name}-cloudwatch",
            cluster_name,
            "amazon-cloudwatch-observability",
            args,
            [*node_groups, *insight_logs],
            pod_identity_associations=[{"role_arn": cloudwatch_role.arn, "service_account": "cloudwatch-agent"}],
        ),
    ]


def _controller_specs(args: EksClusterArgs) -> list[tuple[str, str, tuple[str, str, str], dict]]:
    """(role suffix, service account, chart, values) of each Helm-installed controller."""
    autoscaler = {
        "fullnameOverride": "cluster-autoscaler",
        "cloudProvider": "aws",
        "autoDiscovery": {"clusterName": args.cluster_name},
        "awsRegion": args.region,
        "image": {"tag": autoscaler_image_tag(args.kubernetes_version)},
        "rbac": {"serviceAccount": {"create": True, "name": CLUSTER_AUTOSCALER_SA}},
        "extraArgs": {
            "balance-similar-node-groups": True,
            "skip-nodes-with-system-pods": False,
            "expander": "least-waste",
            "v": AUTOSCALER_VERBOSITY,
        },
        "resources": AUTOSCALER_RESOURCES,
    }
    load_balancer = {
        "clusterName": args.cluster_name,
        "region": args.region,
        "vpcId": args.vpc_id,
        "serviceAccount": {"create": True, "name": LOAD_BALANCER_CONTROLLER_SA},
        # Apps are exposed through ALB Ingresses only; without this webhook, creating a Service
        # does not fail while the controller is briefly unavailable.
        "enableServiceMutatorWebhook": False,
        "resources": LOAD_BALANCER_CONTROLLER_RESOURCES,
    }
    return [
        ("cluster-autoscaler", CLUSTER_AUTOSCALER_SA, CLUSTER_AUTOSCALER_CHART, autoscaler),
        ("aws-lb-controller", LOAD_BALANCER_CONTROLLER_SA, LOAD_BALANCER_CONTROLLER_CHART, load_balancer),
    ]


def create_controllers(
    parent: pulumi.Resource,
    name: str,
    args: EksClusterArgs,
    cluster_name: pulumi.Input[str],
    provider: k8s.Provider,
    after: Sequence[pulumi.Resource],
) -> list[k8s.helm.v3.Release]:
    """Cluster Autoscaler and AWS Load Balancer Controller, each with its Pod Identity role."""
    account = pulumi.Output.from_input(args.account_id)
    policies = {
        "cluster-autoscaler": account.apply(
            lambda a: json.dumps(cluster_autoscaler_policy(args.cluster_name, args.region, a))
        ),
        "aws-lb-controller": account.apply(lambda a: json.dumps(load_balancer_controller_policy(args.region, a))),
    }
    releases = []
    for role, service_account, chart, values in _controller_specs(args):
        iam_role = pod_identity_role(
            parent,
            f"{name}-{role}-role",
            f"{args.cluster_name}-{role}",
            (args.cluster_name, "kube-system", service_account),
            args.tags,
            inline_policy=policies[role],
        )
        association = pod_identity_association(
            parent,
            f"{name}-{role}-identity",
            iam_role,
            f"{args.cluster_name}-{role}",
            (cluster_name, "kube-system", service_account),
            args.tags,
        )
        # Pods only get credentials if the association exists when they start.
        releases.append(helm_controller(parent, f"{name}-{role}", chart, values, provider, [*after, association]))
    return releases
