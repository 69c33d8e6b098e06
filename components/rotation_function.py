"""The AWS-provided Secrets Manager rotation function for RDS for PostgreSQL, deployed in our VPC.

AWS constraints this component relies on:

- The function is AWS's single-user PostgreSQL rotation template from the Serverless Application
  Repository (``SecretsManagerRDSPostgreSQLRotationSingleUser``, published by account
  297356227824 in us-east-1 and deployable from every commercial region). Its CloudFormation
  template creates an IAM role, so the stack needs ``CAPABILITY_IAM`` and
  ``CAPABILITY_RESOURCE_POLICY`` (Lambda permission for Secrets Manager). Parameters used:
  ``endpoint`` (the regional Secrets Manager URL), ``functionName``, ``vpcSubnetIds``,
  ``vpcSecurityGroupIds`` and ``kmsKeyArn`` (the key of the rotated secrets, so the function may
  decrypt and encrypt them).
  https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_available-rotation-templates.html
  https://docs.aws.amazon.com/serverlessrepo/latest/devguide/serverlessrepo-consuming-applications.html
- The function signs in to the database *instance* (the secret's ``host``) with the current
  password and runs ``ALTER USER ... WITH PASSWORD``, so it must reach the instance on 5432 (the
  instance's security group admits this function's group), and it calls Secrets Manager over HTTPS
  (through the NAT gateways: the VPC has no interface endpoint).
  https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-network-rds.html
- A Lambda function name has at most 64 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, https_egress, merge_tags

ROTATION_APPLICATION = (
    "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser"
)
#: The template's IAM role and the Lambda permission that lets Secrets Manager invoke the function.
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY")
PORT = 5432
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


def rotation_parameters(
    region: str, function_name: str, subnet_ids: list[str], security_group_id: str, kms_key_arn: str
) -> dict[str, str]:
    """The template parameters: endpoint, function name, VPC placement and the secrets' key."""
    return {
        "endpoint": f"https://secretsmanager.{region}.amazonaws.com",
        "functionName": function_name,
        "vpcSubnetIds": ",".join(subnet_ids),
        "vpcSecurityGroupIds": security_group_id,
        "kmsKeyArn": kms_key_arn,
    }


@dataclass
class PostgresRotationFunctionArgs:
    """Inputs of :class:`PostgresRotationFunction`.

    Attributes:
        function_name: Physical name of the function, its CloudFormation stack and security group;
            at most 64 characters.
        region: Region of the provider (the Secrets Manager endpoint the function calls).
        vpc_id: VPC of the database.
        subnet_ids: Private subnets (with a route to a NAT gateway) the function runs in.
        db_security_group_id: The instance's security group; gets an ingress rule from the function.
        kms_key_arn: Key encrypting the secrets the function rotates.
        semantic_version: Template version. Default: None, the newest at creation (the stack keeps it
            until this is set; pin it once chosen so a rebuild deploys the same code).
        tags: Extra tags. Default: none.
    """

    function_name: str
    region: str
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    db_security_group_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    semantic_version: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _FUNCTION_NAME.match(self.function_name):
            raise ValueError(f"function_name {self.function_name!r} must be 1-64 letters, digits, '-' or '_'")


class PostgresRotationFunction(pulumi.ComponentResource):
    """The rotation Lambda (through the Serverless Application Repository) and its network access."""

    def __init__(self, name: str, args: PostgresRotationFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:database:PostgresRotationFunction", name, None, opts)
        label = args.function_name
        # No inline rules: the provider then removes AWS's default allow-all egress.
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=label,
            description="Secrets Manager rotation function: PostgreSQL and HTTPS out",
            vpc_id=args.vpc_id,
            tags=merge_tags(label, args.tags),
            opts=child_opts(self),
        )
        port = {"ip_protocol": "tcp", "from_port": PORT, "to_port": PORT}
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-db",
            security_group_id=group.id,
            referenced_security_group_id=args.db_security_group_id,
            description="Rotation function to the PostgreSQL instance",
            tags=merge_tags(f"{label}-to-db", args.tags),
            opts=child_opts(self),
            **port,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-db-from-function",
            security_group_id=args.db_security_group_id,
            referenced_security_group_id=group.id,
            description="PostgreSQL from the Secrets Manager rotation function",
            tags=merge_tags(f"{label}-db-from-function", args.tags),
            opts=child_opts(self),
            **port,
        )
        # Secrets Manager's regional endpoint is public; the VPC reaches it through NAT.
        https_egress(
            f"{name}-to-https",
            group.id,
            f"{label}-to-https",
            "Rotation function to Secrets Manager over HTTPS",
            args.tags,
            self,
        )
        parameters = pulumi.Output.all(args.subnet_ids, group.id, args.kms_key_arn).apply(
            lambda v: rotation_parameters(args.region, args.function_name, list(v[0]), v[1], v[2])
        )
        stack = aws.serverlessrepository.CloudFormationStack(
            f"{name}-stack",
            name=label,
            application_id=ROTATION_APPLICATION,
            semantic_version=args.semantic_version,
            capabilities=list(CAPABILITIES),
            parameters=parameters,
            tags=merge_tags(label, args.tags),
            opts=child_opts(self),
        )
        self.function_arn: pulumi.Output[str] = stack.outputs.apply(lambda outputs: outputs["RotationLambdaARN"])
        self.security_group_id = group.id
        self.register_outputs({"function_arn": self.function_arn, "security_group_id": self.security_group_id})
