"""CloudFront access logs through standard logging v2 (CloudWatch vended logs) into a
KMS-encrypted, protected log group — no S3 ACLs, unlike legacy standard logging.

AWS constraints relied on:

- Standard logging v2 is configured with the CloudWatch Logs delivery API, not on the
  distribution: a delivery source (``log_type = ACCESS_LOGS``, ``resource_arn`` = the distribution),
  a delivery destination (here a log group) and a delivery pairing them. For CloudFront the
  delivery source must be created in us-east-1 (pass a us-east-1 provider); a distribution has
  at most one delivery source. Names are 1-60 characters.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDeliverySource.html
- Delivery to CloudWatch Logs: the deployer needs ``logs:PutDeliverySource``,
  ``logs:PutDeliveryDestination``, ``logs:CreateDelivery`` (and the matching Get/Delete) plus
  ``logs:PutResourcePolicy``/``logs:DescribeResourcePolicies``/``logs:DescribeLogGroups``: AWS
  adds the log group resource policy for ``delivery.logs.amazonaws.com`` itself when creating the
  delivery (so it is not managed here). CloudWatch Logs allows 10 resource policies per Region.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-CloudWatchLogs.html
- A KMS-encrypted log group needs the key policy to let ``logs.<region>.amazonaws.com`` use the
  key with the ``aws:logs:arn`` encryption context (``components.kms.logs_grant``).
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
- Updates (terraform-provider-aws ``internal/service/logs/delivery*.go``): the source's ``name``,
  ``log_type`` and ``resource_arn``, the destination's ``name`` and ``output_format``, and the
  delivery's source name and destination ARN all force replacement; record fields update in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags, stateful_opts

#: The only log type CloudFront delivers through a delivery source.
CLOUDFRONT_LOG_TYPE = "ACCESS_LOGS"
#: Delivery source/destination names are at most this long.
MAX_DELIVERY_NAME = 60


@dataclass
class CdnAccessLogsArgs:
    """Inputs of :class:`CdnAccessLogs`.

    Attributes:
        name: Base of the delivery names (at most 51 characters) and of the log group
            ``/aws/cloudfront/{name}``.
        distribution_arn: The distribution whose access logs are delivered.
        kms_key_arn: Key of the log group; must grant CloudWatch Logs of us-east-1 (``logs_grant``).
        log_retention_days: Retention of the log group. Default: 365.
        tags: Extra tags. Default: none.
    """

    name: str
    distribution_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(f"{self.name}-cdn-logs") > MAX_DELIVERY_NAME:
            raise ValueError(f"name {self.name!r}: delivery names are at most {MAX_DELIVERY_NAME} characters")


class CdnAccessLogs(pulumi.ComponentResource):
    """Log group + delivery source, destination and delivery for one distribution (us-east-1)."""

    def __init__(self, name: str, args: CdnAccessLogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:cdn:AccessLogs", name, None, opts)
        group_name = f"/aws/cloudfront/{args.name}"
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-group",
            name=group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            deletion_protection_enabled=True,
            tags=merge_tags(group_name, args.tags),
            opts=stateful_opts(self),
        )
        delivery_name = f"{args.name}-cdn-logs"
        self.source = aws.cloudwatch.LogDeliverySource(
            f"{name}-source",
            name=delivery_name,
            log_type=CLOUDFRONT_LOG_TYPE,
            resource_arn=args.distribution_arn,
            tags=merge_tags(delivery_name, args.tags),
            opts=child_opts(self),
        )
        self.destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-destination",
            name=delivery_name,
            delivery_destination_configuration={"destination_resource_arn": self.log_group.arn},
            tags=merge_tags(delivery_name, args.tags),
            opts=child_opts(self),
        )
        self.delivery = aws.cloudwatch.LogDelivery(
            f"{name}-delivery",
            delivery_source_name=self.source.name,
            delivery_destination_arn=self.destination.arn,
            tags=merge_tags(delivery_name, args.tags),
            opts=child_opts(self),
        )
        self.log_group_name = self.log_group.name
        self.register_outputs({"log_group_name": self.log_group_name, "delivery_id": self.delivery.id})
