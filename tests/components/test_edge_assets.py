"""The edge additions of Assets and friends: signed uploads, API edge caching, regional replicas
behind an origin group, standard logging v2, ECR image replication and the CDN's anonymous-IP rules."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from components.asset_replication import ReplicationTarget, replication_role_policy, replication_rules
from components.assets import (
    FAILOVER_STATUS_CODES,
    AssetReplica,
    Assets,
    AssetsArgs,
    api_cache_key,
    signing_key_name,
    signing_key_problem,
)
from components.cdn_logs import CdnAccessLogs, CdnAccessLogsArgs
from components.ecr_replication import EcrReplication, EcrReplicationArgs, ecr_repository, regional_image
from components.edge_waf import (
    ANONYMOUS_IP_GROUP,
    PRICED_CAPACITY_WCU,
    web_acl_capacity,
    web_acl_rules,
)
from infra.offline.harness import MOCK_ACCOUNT_ID
from tests.readable import run_program

KEYS = Path(__file__).parent.parent / "fixtures" / "keys"
RSA = (KEYS / "rsa2048.pub").read_text()
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/assets"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("rsa2048.pub", None),
        ("p256.pub", None),
        ("rsa1024.pub", "RSA key of 1024 bits"),
        ("p384.pub", "another curve"),
        ("rsa2048-pkcs1.pub", "BEGIN PUBLIC KEY"),
    ],
)
def test_signing_keys_cloudfront_accepts(key, problem):
    found = signing_key_problem((KEYS / key).read_text())
    assert found is None if problem is None else problem in found


def test_a_mangled_pem_is_refused():
    assert "not a valid DER" in signing_key_problem(RSA.replace("MIIB", "MIIA", 1))
    with pytest.raises(ValueError, match="signing_public_key_pem"):
        AssetsArgs("b", "l", KEY_ARN, signing_public_key_pem="hello")
    with pytest.raises(ValueError, match="minimum_protocol_version"):
        AssetsArgs("b", "l", KEY_ARN, minimum_protocol_version="TLSv1.2_2019")


def test_the_public_key_name_follows_the_key_so_rotation_creates_first():
    other = (KEYS / "p256.pub").read_text()
    assert signing_key_name("acme.assets", RSA) != signing_key_name("acme.assets", other)
    assert signing_key_name("acme.assets", RSA) == signing_key_name("acme.assets", RSA.replace("\n", "\r\n"))
    assert "." not in signing_key_name("acme.assets", RSA) and len(signing_key_name("a" * 63, RSA)) <= 128


def _program(**overrides):
    def program():
        primary = aws.Provider("use1", region="us-east-1")
        replicas = [
            AssetReplica(
                region,
                f"acme-assets-{code}",
                f"acme-logs-{code}",
                f"arn:aws:kms:{region}:1:key/{code}",
                aws.Provider(code, region=region),
            )
            for region, code in overrides.pop("replica_regions", [])
        ]
        assets = Assets(
            "assets",
            AssetsArgs(
                bucket_name="acme-assets-use1",
                log_bucket_name="acme-logs-use1",
                kms_key_arn=KEY_ARN,
                region="us-east-1",
                aliases=["cdn.acme.example"],
                acm_certificate_arn="arn:aws:acm:us-east-1:1:certificate/c",
                replicas=replicas,
                **overrides,
            ),
            opts=pulumi.ResourceOptions(provider=primary),
        )
        pulumi.export("public_key_id", assets.public_key_id)

    return program


@pytest.fixture(scope="module")
def full():
    return run_program(
        _program(
            signing_public_key_pem=RSA,
            api_origin_domain="api.acme.example",
            replica_regions=[("us-west-2", "usw2"), ("eu-west-1", "euw1")],
        )
    )


def test_private_uploads_need_a_signed_url_from_our_key_group(full):
    (cdn,) = full.of_type(DISTRIBUTION)
    uploads = next(b for b in cdn.inputs["orderedCacheBehaviors"] if b["pathPattern"] == "/uploads/*")
    (key,) = full.of_type("aws:cloudfront/publicKey:PublicKey")
    (group,) = full.of_type("aws:cloudfront/keyGroup:KeyGroup")
    assert uploads["trustedKeyGroups"] == [f"{group.name}-id"] and group.inputs["items"] == [f"{key.name}-id"]
    assert key.inputs["encodedKey"] == RSA.strip() + "\n"
    assert full.outputs["public_key_id"] == f"{key.name}-id"
    assert uploads["viewerProtocolPolicy"] == "redirect-to-https" and uploads["targetOriginId"] == "assets"


def test_public_api_gets_are_cached_with_a_deliberate_key_from_an_https_origin(full):
    (cdn,) = full.of_type(DISTRIBUTION)
    api = next(b for b in cdn.inputs["orderedCacheBehaviors"] if b["pathPattern"] == "/api/public/*")
    assert api["viewerProtocolPolicy"] == "https-only" and api["cachedMethods"] == ["GET", "HEAD"]
    origin = next(o for o in cdn.inputs["origins"] if o["originId"] == api["targetOriginId"])
    assert origin["domainName"] == "api.acme.example"
    assert origin["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    assert origin["customOriginConfig"]["originSslProtocols"] == ["TLSv1.2"]
    (policy,) = full.of_type("aws:cloudfront/cachePolicy:CachePolicy")
    key = policy.inputs["parametersInCacheKeyAndForwardedToOrigin"]
    assert key["cookiesConfig"] == {"cookieBehavior": "none"}
    assert key["headersConfig"]["headers"]["items"] == ["Origin"]
    assert key["queryStringsConfig"] == {"queryStringBehavior": "all"}
    assert (policy.inputs["defaultTtl"], policy.inputs["maxTtl"]) == (0, 300)
    (forwarded,) = full.of_type("aws:cloudfront/originRequestPolicy:OriginRequestPolicy")
    assert forwarded.inputs["cookiesConfig"] == {"cookieBehavior": "none"}
    assert forwarded.inputs["headersConfig"]["headers"]["items"] == ["CloudFront-Viewer-Address"]
    assert api_cache_key(60)["max_ttl"] == 60


def test_replicas_back_the_primary_in_an_origin_group_with_oac_on_both(full):
    (cdn,) = full.of_type(DISTRIBUTION)
    (group,) = cdn.inputs["originGroups"]
    assert [m["originId"] for m in group["members"]] == ["assets-s3", "assets-s3-usw2"]
    assert group["failoverCriteria"]["statusCodes"] == list(FAILOVER_STATUS_CODES)
    s3 = [o for o in cdn.inputs["origins"] if o["originId"].startswith("assets-s3")]
    assert {o["domainName"] for o in s3} == {
        "assets-bucket.s3.us-east-1.amazonaws.com",
        "assets-usw2-bucket.s3.us-west-2.amazonaws.com",
    }
    assert all(o["originAccessControlId"] == "assets-oac-id" for o in s3)
    assert cdn.inputs["defaultCacheBehavior"]["targetOriginId"] == "assets"
    policies = {p.name: json.loads(p.inputs["policy"]) for p in full.of_type("aws:s3/bucketPolicy:BucketPolicy")}
    readers = {n for n, p in policies.items() if any(s["Sid"] == "AllowCloudFrontRead" for s in p["Statement"])}
    # The origin group's members, not the third region's bucket.
    assert readers == {"assets-bucket-policy", "assets-usw2-bucket-policy"}


def test_every_bucket_is_protected_versioned_and_replicates_to_every_other(full):
    buckets = full.of_type("aws:s3/bucket:Bucket")
    assert len(buckets) == 6 and all(b.protect for b in buckets)
    regions = {b.inputs["bucket"]: b.region for b in buckets}
    assert regions["acme-assets-euw1"] == "eu-west-1" and regions["acme-logs-usw2"] == "us-west-2"
    configs = {c.name: c for c in full.of_type(REPLICATION)}
    assert set(configs) == {"assets-replication", "assets-usw2-replication", "assets-euw1-replication"}
    for config in configs.values():
        assert len(config.inputs["rules"]) == 2
        versionings = [
            r.urn
            for r in full.of_type("aws:s3/bucketVersioning:BucketVersioning")
            if r.inputs["bucket"].endswith("-bucket-id")
        ]
        assert set(versionings) <= set(config.dependencies)
    from_eu = {r["destination"]["bucket"]: r["destination"] for r in configs["assets-euw1-replication"].inputs["rules"]}
    # RTC only into the CDN's origins (primary and failover), none into the third region.
    assert {b for b, d in from_eu.items() if "replicationTime" in d} == {
        f"arn:aws:s3:us-east-1:{MOCK_ACCOUNT_ID}:assets-bucket",
        f"arn:aws:s3:us-west-2:{MOCK_ACCOUNT_ID}:assets-usw2-bucket",
    }
    from_us = configs["assets-replication"].inputs["rules"]
    to_eu = next(r for r in from_us if r["destination"]["bucket"].endswith("assets-euw1-bucket"))
    assert "replicationTime" not in to_eu["destination"]
    assert to_eu["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": "arn:aws:kms:eu-west-1:1:key/euw1"}
    assert to_eu["sourceSelectionCriteria"]["sseKmsEncryptedObjects"] == {"status": "Enabled"}


def test_the_replication_role_has_the_documented_permissions_only(full):
    (role,) = [r for r in full.of_type("aws:iam/role:Role") if r.name == "assets-usw2-replication-role"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:us-west-2:{MOCK_ACCOUNT_ID}:assets-usw2-bucket"}
    }
    assert role.inputs["name"] == "acme-assets-usw2-replication"


def test_replication_documents_without_mocks():
    targets = [ReplicationTarget("eu-west-1", "arn:aws:s3:::eu", "arn:aws:kms:eu-west-1:1:key/e", rtc=True)]
    policy = json.loads(
        replication_role_policy("us-east-1", "arn:aws:s3:::us", "arn:aws:kms:us-east-1:1:key/u", targets)
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["DecryptSource"]["Condition"]["StringEquals"] == {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    assert by_sid["DecryptSource"]["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [
        "arn:aws:s3:::us",
        "arn:aws:s3:::us/*",
    ]
    assert by_sid["EncryptReplicas0"]["Resource"] == "arn:aws:kms:eu-west-1:1:key/e"
    assert by_sid["DestinationObjects"]["Action"] == ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    (rule,) = replication_rules(targets)
    assert rule["destination"]["metrics"] == {"status": "Enabled", "event_threshold": {"minutes": 15}}
    assert rule["delete_marker_replication"] == {"status": "Enabled"}


def test_without_replicas_or_features_the_distribution_stays_single_origin():
    result = run_program(_program())
    (cdn,) = result.of_type(DISTRIBUTION)
    assert "originGroups" not in cdn.inputs and "orderedCacheBehaviors" not in cdn.inputs
    assert cdn.inputs["viewerCertificate"]["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert result.of_type(REPLICATION) == [] and result.outputs["public_key_id"] is None


def test_replica_arguments_are_checked():
    replica = AssetReplica("us-east-1", "b2", "l2", KEY_ARN, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be distinct"):
        AssetsArgs("b", "l", KEY_ARN, region="us-east-1", replicas=[replica])
    with pytest.raises(ValueError, match="need region"):
        AssetsArgs("b", "l", KEY_ARN, replicas=[replica])
    with pytest.raises(ValueError, match="failover_region"):
        AssetsArgs("b", "l", KEY_ARN, region="eu-west-1", replicas=[replica], failover_region="us-west-2")


def test_access_logs_v2_deliver_the_distribution_to_an_encrypted_protected_group():
    def program():
        CdnAccessLogs(
            "logs",
            CdnAccessLogsArgs(
                name="acme-edge", distribution_arn="arn:aws:cloudfront::1:distribution/D", kms_key_arn=KEY_ARN
            ),
            opts=pulumi.ResourceOptions(provider=aws.Provider("use1", region="us-east-1")),
        )

    result = run_program(program)
    (group,) = result.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert group.protect and group.inputs["kmsKeyId"] == KEY_ARN and group.inputs["deletionProtectionEnabled"]
    (source,) = result.of_type("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert source.inputs["logType"] == "ACCESS_LOGS" and source.region == "us-east-1"
    assert source.inputs["resourceArn"] == "arn:aws:cloudfront::1:distribution/D"
    (destination,) = result.of_type("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    assert destination.inputs["deliveryDestinationConfiguration"]["destinationResourceArn"].endswith(":logs-group")
    (delivery,) = result.of_type("aws:cloudwatch/logDelivery:LogDelivery")
    assert delivery.inputs["deliverySourceName"] == "acme-edge-cdn-logs"
    with pytest.raises(ValueError, match="60"):
        CdnAccessLogsArgs(name="x" * 60, distribution_arn="d", kms_key_arn="k")


@pytest.mark.parametrize(
    ("image", "region", "expected"),
    [
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api:1.0.0",
            "eu-west-1",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/api:1.0.0",
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api@sha256:" + "a" * 64,
            "us-west-2",
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/acme/api@sha256:" + "a" * 64,
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api:1.0.0",
            "us-east-1",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api:1.0.0",
        ),
        (
            "123456789012.dkr.ecr.eu-central-1.amazonaws.com/acme/api:1.0.0",
            "eu-west-1",
            "123456789012.dkr.ecr.eu-central-1.amazonaws.com/acme/api:1.0.0",
        ),
        ("ghcr.io/acme/api:1.0.0", "eu-west-1", "ghcr.io/acme/api:1.0.0"),
    ],
)
def test_images_of_the_primary_registry_run_from_the_cells_region(image, region, expected):
    assert regional_image(image, "us-east-1", region) == expected


def test_ecr_replication_filters_the_apps_repositories():
    assert ecr_repository("123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api:1.0.0", "us-east-1") == "acme/api"
    assert ecr_repository("ghcr.io/acme/api:1.0.0", "us-east-1") is None

    def program():
        EcrReplication(
            "images",
            EcrReplicationArgs(
                account_id="123456789012",
                destination_regions=["us-west-2", "eu-west-1"],
                repositories=["acme/api", "acme/api"],
            ),
            opts=pulumi.ResourceOptions(provider=aws.Provider("use1", region="us-east-1")),
        )

    (config,) = run_program(program).of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    (rule,) = config.inputs["replicationConfiguration"]["rules"]
    assert [d["region"] for d in rule["destinations"]] == ["eu-west-1", "us-west-2"]
    assert rule["repositoryFilters"] == [{"filter": "acme/api", "filterType": "PREFIX_MATCH"}]
    with pytest.raises(ValueError):
        EcrReplicationArgs(account_id="1", destination_regions=[], repositories=["a"])


def test_the_cdn_acl_counts_anonymous_ips_within_the_priced_capacity():
    rules = web_acl_rules("edge", 2000, anonymous_ip=True)
    anonymous = next(r for r in rules if r["name"] == ANONYMOUS_IP_GROUP)
    assert anonymous["priority"] == 1  # right after IP reputation
    overrides = anonymous["statement"]["managed_rule_group_statement"]["rule_action_overrides"]
    assert {o["name"]: o["action_to_use"] for o in overrides} == {
        "AnonymousIPList": {"count": {}},
        "HostingProviderIPList": {"count": {}},
    }
    assert web_acl_capacity(rules) == 1177 <= PRICED_CAPACITY_WCU
    assert ANONYMOUS_IP_GROUP not in json.dumps(web_acl_rules("api", 2000, max_body_bytes=1024))
