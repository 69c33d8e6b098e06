"""MongoDB Atlas project with customer key management: our KMS key, reached through an IAM role
that Atlas assumes (Atlas "unified AWS access"), and optionally regionalized private endpoints.

Atlas constraints this component relies on (mongodb/terraform-provider-mongodbatlas, bridged by
pulumi-mongodbatlas 4.18.0; the Atlas pages linked):

- Project: ``org_id`` is the only input that replaces it (``RequiresReplace``); the name updates
  in place. Atlas refuses to delete a project that still has clusters; it is protected anyway.
  ``with_default_alerts_settings`` keeps Atlas's default alerts (host down, backup failures...),
  which :class:`components.atlas_alerts.AtlasAlerts` does not duplicate.
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/project
- Unified AWS access is two steps: ``CloudProviderAccessSetup`` (provider ``AWS``) returns
  Atlas's AWS principal (``aws_configs[0].atlas_aws_account_arn``) and an external ID
  (``atlas_assumed_role_external_id``); our role trusts that principal for ``sts:AssumeRole`` only
  with that ``sts:ExternalId``; ``CloudProviderAccessAuthorization`` then hands Atlas the role ARN.
  IAM is eventually consistent: an authorization right after the role's creation can fail once and
  succeed on the next ``up``.
  https://www.mongodb.com/docs/atlas/security/set-up-unified-aws-access/
- Encryption at rest with AWS KMS: the role needs ``kms:Encrypt``, ``kms:Decrypt`` and
  ``kms:DescribeKey`` on the key (the provider's ``encryption_at_rest/aws`` example and Atlas's
  "Manage Customer Keys with AWS KMS"). Our key policy (``components/kms.py``) has the default
  ``AccountAdministers`` statement, so an IAM policy of the account grants this; no key policy
  statement or grant is needed. ``aws_kms_config`` takes the key ID (``customer_master_key_id``),
  the key's region in Atlas form (``US_EAST_1``) and the authorized ``role_id``. Once a project
  uses role-based access it cannot go back to access keys. Clusters turn it on with
  ``encryption_at_rest_provider = "AWS"`` (M10+), so this resource is created first.
  https://www.mongodb.com/docs/atlas/security-aws-kms/
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/encryption_at_rest
- Regionalized private endpoints (``PrivateEndpointRegionalMode``): needed to connect to a
  multi-region sharded cluster through private endpoints in several regions (each region gets its
  own connection string). Enabling it changes the connection strings of *existing* multi-region
  sharded clusters, so it is turned on before the cluster becomes multi-region (best from the
  first phase), never in the same step.
  https://www.mongodb.com/docs/atlas/security-private-endpoint/#-optional--regionalized-private-endpoints-for-multi-region-sharded-clusters
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/private_endpoint_regional_mode
- IAM role names: at most 64 characters.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas

from components.atlas_topology import atlas_region
from components.base import child_opts, merge_tags, stateful_opts

KMS_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt")
_ORG_ID = re.compile(r"^[0-9a-f]{24}$")
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]+$")
_OUTPUTS = ("project_id", "access_role_arn", "role_id")


def kms_key_id(key_arn: str) -> str:
    """The key ID (what Atlas's ``customer_master_key_id`` takes) of a KMS key ARN."""
    if not _KEY_ARN.match(key_arn):
        raise ValueError(f"not a KMS key ARN: {key_arn!r}")
    return key_arn.rsplit("/", 1)[1]


def trust_policy(atlas_principal_arn: str, external_id: str) -> str:
    """Role trust: only Atlas's AWS principal, and only with this project's external ID."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": atlas_principal_arn},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
                }
            ],
        }
    )


def kms_policy(key_arn: str, account_id: str) -> str:
    """What Atlas needs on our key for encryption at rest, and nothing else.

    The key must be in the role's account: only there does the key policy's ``AccountAdministers``
    statement let this IAM policy grant use of it (another account's key needs its key policy).
    """
    if kms_key_id(key_arn) and key_arn.split(":")[4] != account_id:
        raise ValueError(f"KMS key {key_arn} is not in account {account_id}: its key policy would have to grant")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(KMS_ACTIONS), "Resource": key_arn}],
        }
    )


@dataclass
class AtlasProjectArgs:
    """Inputs of :class:`AtlasProject`.

    Attributes:
        org_id: Atlas organisation ID, 24 hex digits (ForceNew). Required.
        project_name: Physical project name (from ``platform:name``, never the stack name); also
            names the IAM role ``<project_name>-atlas-kms`` (at most 64 characters). Required.
        account_id: Our AWS account, the role's; the key must be in it (see :func:`kms_policy`). Required.
        kms_key_arn: Our KMS key in ``kms_region`` for Atlas customer key management. Required.
        kms_region: AWS region of that key, e.g. ``us-east-1``. Required.
        regionalized_private_endpoints: Regionalized private endpoint mode; needed before a
            sharded cluster spans several regions behind private endpoints. Default: False.
        tags: Extra AWS and Atlas tags. Default: none.
    """

    org_id: str
    project_name: str
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    kms_region: str
    regionalized_private_endpoints: bool = False
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _ORG_ID.match(self.org_id):
            raise ValueError(f"org_id {self.org_id!r}: 24 hexadecimal digits")
        if not self.project_name or len(self.role_name) > 64:
            raise ValueError(f"project_name {self.project_name!r}: non-empty, role name at most 64 characters")
        atlas_region(self.kms_region)

    @property
    def role_name(self) -> str:
        """Physical name of the IAM role Atlas assumes."""
        return f"{self.project_name}-atlas-kms"


class AtlasProject(pulumi.ComponentResource):
    """An Atlas project whose clusters can be encrypted with our KMS key."""

    project: atlas.Project
    access_setup: atlas.CloudProviderAccessSetup
    role: aws.iam.Role
    authorization: atlas.CloudProviderAccessAuthorization
    encryption_at_rest: atlas.EncryptionAtRest
    regional_mode: atlas.PrivateEndpointRegionalMode | None

    def __init__(self, name: str, args: AtlasProjectArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:data:AtlasProject", name, None, opts)
        self.project = atlas.Project(
            f"{name}-project",
            org_id=args.org_id,
            name=args.project_name,
            with_default_alerts_settings=True,
            # Atlas's AI helpers would send sample documents out of the project.
            is_data_explorer_gen_ai_sample_document_passing_enabled=False,
            is_performance_advisor_enabled=True,
            is_realtime_performance_panel_enabled=True,
            is_schema_advisor_enabled=True,
            tags=args.tags or None,
            opts=stateful_opts(self),
        )
        project_id = self.project.id
        self.access_setup = atlas.CloudProviderAccessSetup(
            f"{name}-aws-access", project_id=project_id, provider_name="AWS", opts=child_opts(self)
        )
        aws_config = self.access_setup.aws_configs[0]
        self.role = aws.iam.Role(
            f"{name}-kms-role",
            name=args.role_name,
            description=f"Atlas project {args.project_name}: encryption at rest with our KMS key",
            assume_role_policy=pulumi.Output.all(
                aws_config.atlas_aws_account_arn, aws_config.atlas_assumed_role_external_id
            ).apply(lambda v: trust_policy(v[0], v[1])),
            max_session_duration=3600,
            tags=merge_tags(args.role_name, args.tags),
            opts=child_opts(self),
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-kms-policy",
            name="atlas-kms",
            role=self.role.id,
            policy=pulumi.Output.all(args.kms_key_arn, args.account_id).apply(lambda v: kms_policy(v[0], v[1])),
            opts=child_opts(self),
        )
        self.authorization = atlas.CloudProviderAccessAuthorization(
            f"{name}-aws-authorization",
            project_id=project_id,
            role_id=self.access_setup.role_id,
            aws={"iam_assumed_role_arn": self.role.arn},
            # Atlas checks at once that it can use the key through the role.
            opts=child_opts(self, depends_on=[role_policy]),
        )
        self.encryption_at_rest = atlas.EncryptionAtRest(
            f"{name}-encryption",
            project_id=project_id,
            aws_kms_config={
                "enabled": True,
                "customer_master_key_id": pulumi.Output.from_input(args.kms_key_arn).apply(kms_key_id),
                "region": atlas_region(args.kms_region),
                "role_id": self.authorization.role_id,
            },
            enabled_for_search_nodes=True,
            # Clusters encrypted with the key cannot be read without this configuration.
            opts=stateful_opts(self),
        )
        self.regional_mode = (
            atlas.PrivateEndpointRegionalMode(
                f"{name}-regional-endpoints", project_id=project_id, enabled=True, opts=child_opts(self)
            )
            if args.regionalized_private_endpoints
            else None
        )
        self.project_id = project_id
        self.access_role_arn = self.role.arn
        self.role_id = self.authorization.role_id
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})
