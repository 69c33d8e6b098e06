"""EKS cluster: private control plane, Graviton managed node groups, add-ons and Cluster Autoscaler.

Node autoscaling decision: EKS managed node groups on Graviton, one per AZ, plus Cluster
Autoscaler (Helm, with its own EKS Pod Identity role) running with
``--balance-similar-node-groups`` so the per-AZ groups grow evenly. Alternatives rejected:
EKS Auto Mode adds a per-instance management fee (about 12% on top of EC2), and Karpenter adds an
interruption queue, CRDs and a controller that lives on the nodes it manages. Managed node groups
are the simplest thing that meets the phase targets (api 2..200 pods), and one group per AZ is
what lets the autoscaler see and balance zones (a multi-AZ group hides which zone it grows).

Access is API-only (EKS access entries, no aws-auth ConfigMap): only ``admin_role_arns`` get in.
The identity running ``pulumi up`` must be one of them, and must reach the endpoint: with
``public_access_cidrs`` empty the API is private, so deploy from inside the VPC (VPN, CI runner).
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import cluster_addons as addons
from components.base import LOG_RETENTION_DAYS, child_opts, merge_tags, stateful_opts

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
AMI_TYPE = "AL2023_ARM_64_STANDARD"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
#: Zone IDs EKS refuses cluster (control-plane) subnets in, per the EKS User Guide's "Subnet
#: requirements for clusters" (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#cluster-subnets,
#: read 2026-08 in awsdocs/amazon-eks-user-guide latest/ug/networking/network-reqs.adoc). IDs, not
#: names: ``us-east-1a`` is a different physical zone in each account.
EKS_UNSUPPORTED_ZONE_IDS = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})
#: ``major.minor`` as EKS takes it; a patch or a ``v`` would also end up in the Cluster Autoscaler image tag.
_KUBERNETES_VERSION = re.compile(r"1\.[0-9]{2}")

#: Graviton types we size for: vCPUs, memory GiB, VPC CNI max pods (ENIs x (IPs per ENI - 1) + 2).
_GRAVITON: dict[str, tuple[int, int, int]] = {
    "m7g.medium": (1, 4, 8), "m7g.large": (2, 8, 29), "m7g.xlarge": (4, 16, 58),
    "m7g.2xlarge": (8, 32, 58), "m7g.4xlarge": (16, 64, 234),
    "c7g.large": (2, 4, 29), "c7g.xlarge": (4, 8, 58), "c7g.2xlarge": (8, 16, 58), "c7g.4xlarge": (16, 32, 234),
    "r7g.large": (2, 16, 29), "r7g.xlarge": (4, 32, 58), "r7g.2xlarge": (8, 64, 58),
    "r7g.4xlarge": (16, 128, 234),
}  # fmt: skip
#: Requests of the DaemonSets this component puts on every node (aws-node, kube-proxy, Pod Identity
#: agent, EBS CSI node, CloudWatch agent + Fluent Bit), rounded up.
DAEMONSET_REQUESTS = (450, 600)


class Capacity(NamedTuple):
    """Schedulable CPU (millicores) and memory (MiB) for application pods."""

    cpu_millicores: int
    memory_mib: int


def node_capacity(instance_type: str, nodes: int) -> Capacity:
    """Approximate allocatable capacity left for application pods on ``nodes`` nodes.

    Follows the EKS AL2023 kubelet defaults: kube-reserved CPU is 6% of the first core, 1% of the
    second, 0.5% of cores 3-4 and 0.25% of the rest; kube-reserved memory is 255 MiB + 11 MiB per
    max pod; the hard eviction threshold keeps 100 MiB free. The per-node DaemonSet requests are
    also taken off. The kernel keeps a few percent more, so treat the result as an upper bound.
    """
    if instance_type not in _GRAVITON:
        raise ValueError(f"unknown instance type {instance_type!r}; known: {sorted(_GRAVITON)}")
    if nodes < 0:
        raise ValueError(f"nodes {nodes} must be >= 0")
    vcpus, memory_gib, max_pods = _GRAVITON[instance_type]
    cores = [60, 10, 5, 5] + [2.5] * max(0, vcpus - 4)
    cpu = vcpus * 1000 - math.ceil(sum(cores[:vcpus])) - DAEMONSET_REQUESTS[0]
    memory = memory_gib * 1024 - (255 + 11 * max_pods) - 100 - DAEMONSET_REQUESTS[1]
    return Capacity(max(cpu, 0) * nodes, max(memory, 0) * nodes)


def fits(requests_cpu_m: int, requests_mem_mib: int, replicas: int, capacity: Capacity) -> bool:
    """Whether ``replicas`` pods with these requests fit in ``capacity`` (e.g. an HPA maximum)."""
    cpu, memory = capacity
    return requests_cpu_m * replicas <= cpu and requests_mem_mib * replicas <= memory


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict:
    """A kubeconfig that authenticates with ``aws eks get-token`` (no long-lived credentials)."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["--region", region, "eks", "get-token", "--cluster-name", cluster_name, "--output", "json"],
            "interactiveMode": "Never",
        }
    }
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
        "users": [{"name": cluster_name, "user": user}],
    }


def _trust(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class EksClusterArgs:
    """Inputs of :class:`EksCluster`.

    Attributes:
        cluster_name: Physical cluster name (``acme-prod-use1``), also the prefix of its IAM roles,
            node groups and log group. At most 40 characters (IAM role names cap at 64).
        vpc_id: VPC of the cluster (the load balancer controller needs it).
        private_subnet_ids: Private subnet per AZ, aligned with ``availability_zones``; nodes and
            control-plane ENIs live there.
        availability_zones: AZ names (may be outputs, e.g. resolved from zone IDs by
            :class:`components.network.Network`), aligned with ``private_subnet_ids``; one node
            group per AZ, named ``<cluster_name>-<az name>-``. Names, because that is what
            existing node groups are named after and the name is immutable.
        availability_zone_ids: The same zones' IDs where known up front; none may be one EKS
            refuses (:data:`EKS_UNSUPPORTED_ZONE_IDS`). Default: none (not checked here).
        kms_key_arn: Customer-managed key for Kubernetes secrets envelope encryption and the log
            groups. Its policy must let ``logs.<region>.amazonaws.com`` use it. Node root volumes do
            not use it (see ``_create_node_groups``).
        account_id: AWS account id (IAM ARNs in policies).
        region: Region of the provider passed in ``opts``.
        kubernetes_version: Control-plane version, ``"1.NN"``; Cluster Autoscaler runs the same
            minor. Keep it in EKS standard support: with upgrade policy STANDARD, EKS upgrades a
            cluster that leaves it, and the next ``pulumi up`` would then try to downgrade.
            Default: ``"1.35"``.
        public_access_cidrs: CIDRs allowed on the public endpoint. Default: none, i.e. the public
            endpoint is off. ``0.0.0.0/0`` is refused.
        admin_role_arns: IAM roles given cluster-admin through access entries; must include the
            role running ``pulumi up``. Default: none, which is refused.
        node_instance_type: Graviton instance type of every node (a key of ``_GRAVITON``). One
            type, set in the launch template: changing it then makes a new template version that
            each node group rolls out in place, a third of its nodes at a time, honouring
            PodDisruptionBudgets (a node group's own ``instanceTypes`` list is immutable, so
            changing it replaces every group at once). Cluster Autoscaler also sizes a group from
            one instance type, and on-demand capacity gains nothing from mixing types.
            Default: ``"m7g.large"``.
        node_min_per_az: Minimum nodes per AZ. Default: 1.
        node_max_per_az: Maximum nodes per AZ. Default: 3.
        node_disk_gb: Root volume size (gp3). Default: 50.
        log_retention_days: Retention of control-plane and Container Insights logs. Default: 365.
        tags: Extra tags. Default: none.
    """

    cluster_name: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: list[pulumi.Input[str]]
    availability_zones: list[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    region: str
    kubernetes_version: str = "1.35"
    availability_zone_ids: list[str] = field(default_factory=list)
    public_access_cidrs: list[str] = field(default_factory=list)
    admin_role_arns: list[str] = field(default_factory=list)
    node_instance_type: str = "m7g.large"
    node_min_per_az: int = 1
    node_max_per_az: int = 3
    node_disk_gb: int = 50
    log_retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)


def _validate(args: EksClusterArgs) -> None:
    """Reject bad args before anything is registered."""
    if not args.cluster_name or len(args.cluster_name) > 40 or not args.cluster_name[0].isalpha():
        raise ValueError(f"cluster_name {args.cluster_name!r} must start with a letter and have 1-40 chars")
    if not args.availability_zones or len(args.availability_zones) != len(args.private_subnet_ids):
        raise ValueError("private_subnet_ids must hold exactly one subnet per availability zone")
    refused = sorted(set(args.availability_zone_ids) & EKS_UNSUPPORTED_ZONE_IDS)
    if refused:
        raise ValueError(f"availability_zone_ids {refused} are zone IDs EKS refuses cluster subnets in")
    for cidr in args.public_access_cidrs:
        if ipaddress.ip_network(cidr).prefixlen == 0:
            raise ValueError(f"public_access_cidrs must not contain {cidr}: the API would be open to all")
    if not _KUBERNETES_VERSION.fullmatch(args.kubernetes_version):
        raise ValueError(f"kubernetes_version {args.kubernetes_version!r} must be major.minor, e.g. '1.35'")
    addons.autoscaler_image_tag(args.kubernetes_version)
    if args.node_instance_type not in _GRAVITON:
        raise ValueError(
            f"node_instance_type {args.node_instance_type!r} must be a Graviton type of {sorted(_GRAVITON)}"
        )
    if not 0 <= args.node_min_per_az <= args.node_max_per_az or args.node_max_per_az < 1:
        raise ValueError(f"need 0 <= node_min_per_az ({args.node_min_per_az}) <= node_max_per_az >= 1")
    if not args.admin_role_arns:
        # Helm releases (and workloads) go through the Kubernetes API with the deployer's identity.
        raise ValueError("admin_role_arns must include the role that runs pulumi up")
    if args.log_retention_days not in LOG_RETENTION_DAYS:
        raise ValueError(f"log_retention_days {args.log_retention_days} is not a CloudWatch retention value")


class EksCluster(pulumi.ComponentResource):
    """A private, encrypted, fully-logged EKS cluster with autoscaled Graviton nodes.

    ``platform_ready`` lists what workloads should depend on: the load balancer controller (its
    admission webhook rejects Ingresses until it runs) and metrics-server (HPAs read it).
    """

    cluster: aws.eks.Cluster
    k8s_provider: k8s.Provider

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        _validate(args)
        super().__init__("platform:compute:EksCluster", name, None, opts)
        self._name, self._args = name, args
        cluster_role, node_role, attachments = self._create_roles()
        self.cluster = self._create_control_plane(cluster_role, attachments["cluster"])
        early = [
            addons.managed_addon(
                self,
                f"{name}-vpc-cni",
                self.cluster.name,
                "vpc-cni",
                args,
                # The VPC CNI only enforces NetworkPolicies (Workload relies on them) when asked to.
                configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            ),
            addons.managed_addon(self, f"{name}-kube-proxy", self.cluster.name, "kube-proxy", args),
            addons.managed_addon(self, f"{name}-pod-identity", self.cluster.name, "eks-pod-identity-agent", args),
        ]
        node_groups = self._create_node_groups(node_role, [*early, *attachments["node"]])
        late = addons.create_late_addons(self, name, args, self.cluster.name, node_groups)
        admins = self._create_admin_access()
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data).apply(
                lambda v: json.dumps(kubeconfig(v[0], v[1], v[2], args.region))
            )
        )
        # Kubernetes calls only work once the deploying role's access entry is associated.
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig, opts=child_opts(self, depends_on=admins)
        )
        releases = addons.create_controllers(
            self, name, args, self.cluster.name, self.k8s_provider, [*node_groups, *late]
        )

        self.cluster_name = self.cluster.name
        self.cluster_arn = self.cluster.arn
        self.endpoint = self.cluster.endpoint
        self.certificate_authority = self.cluster.certificate_authority.data
        self.security_group_id = self.cluster.vpc_config.cluster_security_group_id
        self.node_role_arn = node_role.arn
        self.node_group_names = [g.node_group_name for g in node_groups]
        self.platform_ready: list[pulumi.Resource] = [*releases, *late]
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "endpoint": self.endpoint,
                "certificate_authority": self.certificate_authority,
                "security_group_id": self.security_group_id,
                "node_role_arn": self.node_role_arn,
                "node_group_names": self.node_group_names,
                "kubeconfig": self.kubeconfig,
                "k8s_provider": self.k8s_provider,
                "platform_ready": self.platform_ready,
            }
        )

    def _create_roles(self) -> tuple[aws.iam.Role, aws.iam.Role, dict[str, list[pulumi.Resource]]]:
        """Cluster role (with use of the secrets key) and node role, plus each one's policies."""
        name, args = self._name, self._args
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            name=f"{args.cluster_name}-cluster",
            assume_role_policy=_trust("eks.amazonaws.com"),
            tags=merge_tags(f"{args.cluster_name}-cluster", args.tags),
            opts=child_opts(self),
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=cluster_role.name,
            policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            opts=child_opts(self),
        )
        key_use = pulumi.Output.from_input(args.kms_key_arn).apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                            "Resource": arn,
                        }
                    ],
                }
            )
        )
        key_policy = aws.iam.RolePolicy(
            f"{name}-cluster-kms", role=cluster_role.id, policy=key_use, opts=child_opts(self)
        )
        node_role = aws.iam.Role(
            f"{name}-node-role",
            name=f"{args.cluster_name}-node",
            assume_role_policy=_trust("ec2.amazonaws.com"),
            tags=merge_tags(f"{args.cluster_name}-node", args.tags),
            opts=child_opts(self),
        )
        # The CNI policy sits on the node role, not on a Pod Identity role: aws-node has to hand
        # out pod IPs before any pod (Pod Identity agent clients included) can run, so credentials
        # that depend on a running agent would be a bootstrap cycle, and IRSA would need an OIDC
        # provider for this one add-on. Application pods cannot borrow the role: their
        # NetworkPolicies (components/workload.py) allow no egress to IMDS.
        policies = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"]
        attachments: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy.lower()}",
                role=node_role.name,
                policy_arn=f"arn:aws:iam::aws:policy/{policy}",
                opts=child_opts(self),
            )
            for policy in policies
        ]
        return cluster_role, node_role, {"cluster": [cluster_policy, key_policy], "node": attachments}

    def _create_control_plane(self, role: aws.iam.Role, policies: list[pulumi.Resource]) -> aws.eks.Cluster:
        """Log group first (so EKS cannot create an unencrypted one), then the protected cluster.

        The cluster also waits for its role's policies: EKS checks them (and the key) at creation.
        """
        name, args = self._name, self._args
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            kms_key_id=args.kms_key_arn,
            retention_in_days=args.log_retention_days,
            deletion_protection_enabled=True,
            tags=merge_tags(f"{args.cluster_name}-control-plane", args.tags),
            opts=stateful_opts(self),
        )
        public = bool(args.public_access_cidrs)
        return aws.eks.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config={
                "subnet_ids": args.private_subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": public,
                **({"public_access_cidrs": args.public_access_cidrs} if public else {}),
            },
            encryption_config={"provider": {"key_arn": args.kms_key_arn}, "resources": ["secrets"]},
            enabled_cluster_log_types=list(LOG_TYPES),
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
            # vpc-cni, kube-proxy and CoreDNS come as managed add-ons below instead.
            bootstrap_self_managed_addons=False,
            # STANDARD avoids the extended-support surcharge, but EKS then upgrades a cluster whose
            # version leaves standard support: kubernetes_version must move on before that date.
            upgrade_policy={"support_type": "STANDARD"},
            zonal_shift_config={"enabled": True},
            deletion_protection=True,
            tags=merge_tags(args.cluster_name, args.tags),
            opts=stateful_opts(self, depends_on=[log_group, *policies]),
        )

    def _create_node_groups(self, role: aws.iam.Role, after: list[pulumi.Resource]) -> list[aws.eks.NodeGroup]:
        """A hardened launch template and one managed node group per AZ."""
        name, args = self._name, self._args
        template = aws.ec2.LaunchTemplate(
            f"{name}-nodes-lt",
            name=f"{args.cluster_name}-nodes",
            update_default_version=True,
            # Here rather than on the node groups, so a type change is a rolling update (see Args).
            instance_type=args.node_instance_type,
            # IMDSv2 only. Hop limit 2 (checkov CKV_AWS_341 wants 1) because the CloudWatch agent
            # and Fluent Bit of the Container Insights add-on read instance metadata from pods, and
            # AWS documents 2 for containerised agents. Application pods still cannot reach IMDS:
            # their NetworkPolicies allow egress only to DNS, the Pod Identity agent
            # (169.254.170.23:80), the VPC CIDR and TCP 443, never 169.254.169.254:80. Only the
            # platform's own pods (add-ons, controllers), which run without NetworkPolicies, can.
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 2,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    # Encrypted with the account's default EBS key (AWS-managed aws/ebs unless the
                    # account sets another), deliberately not the cell's customer-managed key: EC2
                    # Auto Scaling launches the nodes, so that key's policy would have to name
                    # AWSServiceRoleForAutoScaling, and KMS refuses a policy naming a role that does
                    # not exist yet (a fresh account gets it with its first Auto Scaling group).
                    # Root volumes are ephemeral and hold no application data: images, logs on their
                    # way to CloudWatch, emptyDir scratch, all gone when the node is replaced.
                    "ebs": {
                        "volume_size": args.node_disk_gb,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                }
            ],
            # No network_interfaces block: with one, EKS stops attaching the cluster security group.
            # Nodes get no public IP because the private subnets never map one.
            tag_specifications=[
                {"resource_type": kind, "tags": merge_tags(f"{args.cluster_name}-node", args.tags)}
                for kind in ("instance", "volume")
            ],
            tags=merge_tags(f"{args.cluster_name}-nodes", args.tags),
            opts=child_opts(self),
        )
        groups = []
        for index, (az, subnet) in enumerate(zip(args.availability_zones, args.private_subnet_ids, strict=True)):
            physical = pulumi.Output.concat(args.cluster_name, "-", az)
            groups.append(
                aws.eks.NodeGroup(
                    f"{name}-nodes-{index}",
                    cluster_name=self.cluster.name,
                    # A prefix, not a name: the few immutable settings left (subnet, AMI type, role)
                    # replace the group, and a fresh name lets Pulumi create the new one first.
                    node_group_name_prefix=pulumi.Output.concat(physical, "-"),
                    node_role_arn=role.arn,
                    subnet_ids=[subnet],
                    ami_type=AMI_TYPE,
                    capacity_type="ON_DEMAND",
                    # No instance_types: the launch template sets the type, and EKS refuses both.
                    launch_template={"id": template.id, "version": template.latest_version.apply(str)},
                    scaling_config={
                        "min_size": args.node_min_per_az,
                        "max_size": args.node_max_per_az,
                        "desired_size": max(args.node_min_per_az, 1),
                    },
                    update_config={"max_unavailable_percentage": 33},
                    labels={"pool": "general"},
                    tags=merge_tags(
                        physical,
                        args.tags,
                        {
                            "k8s.io/cluster-autoscaler/enabled": "true",
                            f"k8s.io/cluster-autoscaler/{args.cluster_name}": "owned",
                        },
                    ),
                    # Cluster Autoscaler owns the desired size; re-applying ours would undo scaling.
                    # Hence raising node_min_per_az above a group's current desired size fails (EKS
                    # refuses min > desired): first raise it by hand, e.g. `aws eks
                    # update-nodegroup-config --cluster-name C --nodegroup-name G --scaling-config
                    # desiredSize=N`, then run `pulumi up`.
                    opts=child_opts(self, depends_on=after, ignore_changes=["scalingConfig.desiredSize"]),
                )
            )
        return groups

    def _create_admin_access(self) -> list[pulumi.Resource]:
        """An access entry with cluster-wide AmazonEKSClusterAdminPolicy per admin role."""
        name, args = self._name, self._args
        associations: list[pulumi.Resource] = []
        for index, principal in enumerate(args.admin_role_arns):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{index}",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                type="STANDARD",
                tags=merge_tags(f"{args.cluster_name}-admin-{index}", args.tags),
                opts=child_opts(self),
            )
            associations.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-admin-{index}-policy",
                    cluster_name=self.cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=ADMIN_POLICY,
                    access_scope={"type": "cluster"},
                    opts=child_opts(self),
                )
            )
        return associations
