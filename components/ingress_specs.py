"""The ALB in front of a workload: its spec, the Load Balancer Controller annotations, and how pods
drain behind it (pure functions).

Constraints this module relies on:

- ALB pod readiness gates are injected only into pods of namespaces labelled
  ``elbv2.k8s.aws/pod-readiness-gate-inject: enabled`` and only for target type ``ip``
  (controller v2.14). Deregistration delay is the target group attribute
  ``deregistration_delay.timeout_seconds`` (0-3600 s, default 300).
  https://kubernetes-sigs.github.io/aws-load-balancer-controller/v2.14/deploy/pod_readiness_gate/,
  https://kubernetes-sigs.github.io/aws-load-balancer-controller/v2.14/guide/ingress/annotations/#target-group-attributes,
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay
- The ``sleep`` lifecycle action (no shell needed in the image) is stable since Kubernetes 1.34.
  https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#hook-handler-implementations,
  https://www.kubernetes.dev/resources/keps/3960/
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pulumi

from components.base import merge_tags

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
DEREGISTRATION_DELAY = "deregistration_delay.timeout_seconds"
#: Namespace label that makes the AWS Load Balancer Controller inject target-health readiness gates.
READINESS_GATE_LABEL = {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}


def drain_timings(deregistration_delay_seconds: int, drain_seconds: int) -> tuple[int, int]:
    """(preStop sleep, terminationGracePeriodSeconds) of a pod behind an ALB.

    The sleep outlasts the deregistration delay by 5 s, so the ALB has stopped sending (and
    finished draining) before the app gets SIGTERM; the grace period covers the sleep, the app's
    own drain and 5 s to spare before SIGKILL.
    """
    if not (0 <= deregistration_delay_seconds <= 3600) or drain_seconds < 1:
        raise ValueError("deregistration delay must be 0..3600 s and drain_seconds >= 1")
    sleep = deregistration_delay_seconds + 5
    return sleep, sleep + drain_seconds + 5


@dataclass(frozen=True)
class IngressSpec:
    """An internet-facing (or internal) ALB in front of the workload's Service.

    Attributes:
        host: Host name routed to the app.
        certificate_arn: ACM certificate of the HTTPS listener.
        web_acl_arn: WAFv2 web ACL to associate. Default: none (phases 1-2 have no WAF).
        scheme: ``internet-facing`` or ``internal``. Default: ``internet-facing``.
        health_path: Target group health check path. Default: the workload's ``health_path``.
        alb_log_bucket: S3 bucket for ALB access logs. Default: none (access logs off).
        deregistration_delay_seconds: Target group deregistration delay (in-flight requests get
            this long after a target leaves). Default: 30 (AWS's 300 would slow every rollout).
        health_any_host: Also route the exact health path for any ``Host``, so a Route 53 health
            check of the ALB's own DNS name (which it sends as ``Host``) reaches the app instead of
            the controller's default 404. Default: False.
    """

    host: str
    certificate_arn: pulumi.Input[str]
    web_acl_arn: pulumi.Input[str] | None = None
    scheme: Literal["internet-facing", "internal"] = "internet-facing"
    health_path: str | None = None
    alb_log_bucket: str | None = None
    deregistration_delay_seconds: int = 30
    health_any_host: bool = False


def alb_annotations(
    spec: IngressSpec, namespace: str, app: str, health_path: str | None, tags: dict[str, str]
) -> dict[str, pulumi.Input[str]]:
    """Load Balancer Controller annotations: target type ip, TLS 1.2+/1.3, HTTP->HTTPS, WAF, drain."""
    attributes = ["routing.http.drop_invalid_header_fields.enabled=true"]
    if spec.alb_log_bucket:
        attributes += [
            "access_logs.s3.enabled=true",
            f"access_logs.s3.bucket={spec.alb_log_bucket}",
            f"access_logs.s3.prefix={namespace}/{app}",
        ]
    prefix = "alb.ingress.kubernetes.io"
    annotations: dict[str, pulumi.Input[str]] = {
        f"{prefix}/scheme": spec.scheme,
        f"{prefix}/target-type": "ip",
        f"{prefix}/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
        f"{prefix}/ssl-redirect": "443",
        f"{prefix}/certificate-arn": spec.certificate_arn,
        f"{prefix}/ssl-policy": TLS_POLICY,
        f"{prefix}/healthcheck-path": spec.health_path or health_path,
        f"{prefix}/load-balancer-attributes": ",".join(attributes),
        # Matched by the pods' preStop sleep (see drain_timings).
        f"{prefix}/target-group-attributes": f"{DEREGISTRATION_DELAY}={spec.deregistration_delay_seconds}",
        f"{prefix}/tags": ",".join(f"{k}={v}" for k, v in merge_tags(app, tags).items()),
    }
    if spec.web_acl_arn is not None:
        annotations[f"{prefix}/wafv2-acl-arn"] = spec.web_acl_arn
    return annotations
