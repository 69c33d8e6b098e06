"""Run a Pulumi program offline under the SDK's mocks and record every resource registration.

This is the one harness behind the tests and the offline tools (``plan``, ``diff``, ...). It uses
the SDK's own ``pulumi.runtime.set_mocks``: the program is the real one, only the engine side is
simulated. A recording monitor keeps the full ``RegisterResourceRequest`` of each resource, so
options the mocks API does not surface (``protect``, ``parent``, aliases, ...) can be asserted.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks, rpc
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.offline.forcenew import identity

PROJECT = "platform"
ROOT = Path(__file__).resolve().parents[2]
MOCK_ACCOUNT_ID = "123456789012"

# Outputs the AWS provider computes that our programs read; the mocks synthesise them so that
# every downstream input is concrete in the plan instead of an unknown. Each gets the logical name
# ``n``, the region ``r`` and the replacement identity ``d`` (see ``_Mocks.new_resource``): what a
# replacement changes (endpoints, key ids, ...) is derived from ``d``, so it changes with it.
_COMPUTED_OUTPUTS: dict[str, Callable[[str, str, str], dict[str, Any]]] = {
    "aws:rds/instance:Instance": lambda n, r, d: {
        "address": f"{n}.{d}.{r}.rds.amazonaws.com",
        "endpoint": f"{n}.{d}.{r}.rds.amazonaws.com:5432",
        "masterUserSecrets": [{"secretArn": f"arn:aws:secretsmanager:{r}:{MOCK_ACCOUNT_ID}:secret:rds!{n}-{d}"}],
        "resourceId": f"db-{_digest(n + d)}",
    },
    "aws:rds/proxy:Proxy": lambda n, r, d: {"endpoint": f"{n}.proxy-{d}.{r}.rds.amazonaws.com"},
    "aws:rds/proxyEndpoint:ProxyEndpoint": lambda n, r, d: {
        "endpoint": f"{n}.endpoint.proxy-{d}.{r}.rds.amazonaws.com"
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": lambda n, r, d: {
        "configurationEndpointAddress": f"clustercfg.{n}.{d}.{r}.cache.amazonaws.com",
        "primaryEndpointAddress": f"master.{n}.{d}.{r}.cache.amazonaws.com",
        "readerEndpointAddress": f"replica.{n}.{d}.{r}.cache.amazonaws.com",
    },
    "aws:s3/bucket:Bucket": lambda n, r, d: {"bucketRegionalDomainName": f"{n}-{d}.s3.{r}.amazonaws.com"},
    "aws:s3/bucketV2:BucketV2": lambda n, r, d: {"bucketRegionalDomainName": f"{n}-{d}.s3.{r}.amazonaws.com"},
    "aws:cloudfront/distribution:Distribution": lambda n, r, d: {
        "domainName": f"d{_digest(n + d)}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",
    },
    "aws:sqs/queue:Queue": lambda n, r, d: {"url": f"https://sqs.{r}.amazonaws.com/{MOCK_ACCOUNT_ID}/{n}-{d}"},
    "aws:route53/zone:Zone": lambda n, r, d: {
        "zoneId": f"Z{_digest(n + d).upper()}",
        "nameServers": [f"ns-{i}.awsdns-{i:02d}.org" for i in range(1, 5)],
    },
    "aws:kms/key:Key": lambda n, r, d: {"keyId": _uuid(n + d)},
    "aws:ec2/vpc:Vpc": lambda n, r, d: {"defaultSecurityGroupId": f"sg-{_digest(n + d)}"},
    "random:index/randomPassword:RandomPassword": lambda n, r, d: {"result": f"mock-{_digest(n + d)}"},
    "aws:ec2/eip:Eip": lambda n, r, d: {"allocationId": f"eipalloc-{_digest(n + d)}"},
    "aws:eks/cluster:Cluster": lambda n, r, d: {
        "endpoint": f"https://{_digest(n + d).upper()}.gr7.{r}.eks.amazonaws.com",
        "certificateAuthority": {"data": "bW9jay1jbHVzdGVyLWNh"},
        "vpcConfig": {"clusterSecurityGroupId": f"sg-{_digest(n + d)}"},
    },
    "random:index/randomBytes:RandomBytes": lambda n, r, d: {
        "base64": base64.b64encode(hashlib.sha256((n + d).encode()).digest()[:16]).decode()
    },
    # A VPC domain's endpoint (the provider reads it from DescribeDomain's Endpoints["vpc"]).
    "aws:opensearch/domain:Domain": lambda n, r, d: {
        "arn": f"arn:aws:es:{r}:{MOCK_ACCOUNT_ID}:domain/{n}-{d}",
        "endpoint": f"vpc-{n}-{d}.{r}.es.amazonaws.com",
    },
    # The one output AWS's rotation template declares.
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": lambda n, r, d: {
        "outputs": {"RotationLambdaARN": f"arn:aws:lambda:{r}:{MOCK_ACCOUNT_ID}:function:{n}-{d}"}
    },
}
#: Atlas's AWS principal in the mocks' CloudProviderAccessSetup (a mock value: the real one is
#: per Atlas deployment and read from ``aws_configs[0].atlas_aws_account_arn``).
MOCK_ATLAS_AWS_ACCOUNT_ARN = "arn:aws:iam::536727724300:root"
_ATLAS = "mongodbatlas:index/"
#: Inputs that live on a launch template itself, not on its versions (changing them makes no version).
_TEMPLATE_ONLY = frozenset({"tags", "tagsAll", "updateDefaultVersion", "defaultVersion", "region"})


def provider_identity(provider_ref: str) -> str:
    """The replacement identity of the provider behind ``provider_ref`` (``urn::id``), "" for none.

    The mocks name every resource ``<logical name>-<identity>``, so it is the ID's last segment.
    Two provider references with the same identity configure the same target: moving a resource
    between them (a renamed provider) replaces nothing, as the engine's DiffConfig check decides.
    """
    return provider_ref.rsplit("::", 1)[-1].rsplit("-", 1)[-1] if provider_ref else ""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def _template_version(inputs: Mapping[str, Any]) -> int:
    """A launch template's ``latestVersion``: every in-place change is a new version, so the mock
    numbers versions by their content (only a change of number is meaningful, not its value)."""
    content = {k: v for k, v in inputs.items() if k not in _TEMPLATE_ONLY}
    return 1 + int(_digest(json.dumps(content, sort_keys=True, default=str)), 16) % 9973


def _uuid(value: str) -> str:
    h = hashlib.sha256(value.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@dataclass(frozen=True)
class RecordedResource:
    """One resource as the engine would have received it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    provider: str
    inputs: dict[str, Any]
    protect: bool
    delete_before_replace: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    replace_on_changes: list[str]
    aliases: list[str]
    dependencies: list[str]
    region: str = ""
    #: The ID the mocks gave it: ``<name>-<replacement identity>`` (see ``_Mocks.new_resource``).
    id: str = ""
    #: Input name -> URNs of the resources whose outputs flowed into it (what links a replica to its
    #: source even when the source's ARN is still unknown, as in a real preview).
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_component(self) -> bool:
        """True for ComponentResources (and the stack), which the engine does not create in AWS."""
        return not self.custom

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe view, the shape ``plan --json`` prints."""
        return asdict(self)


@dataclass
class PlanResult:
    """Everything a program registered, in registration order, plus its stack outputs."""

    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[RecordedResource]:
        """Resources whose type token equals ``type_token``."""
        return [r for r in self.resources if r.type == type_token]

    def by_urn(self) -> dict[str, RecordedResource]:
        """Index of resources by URN."""
        return {r.urn: r for r in self.resources}

    def children_of(self, urn: str) -> list[RecordedResource]:
        """Direct children of the resource with ``urn``."""
        return [r for r in self.resources if r.parent == urn]

    def named(self, name: str) -> RecordedResource:
        """The single resource with logical name ``name``; KeyError when absent or ambiguous."""
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r}")
        return found[0]


class _Mocks(pulumi.runtime.Mocks):
    """Engine stand-in: ids and computed outputs for resources, answers for the invokes we use."""

    def __init__(self) -> None:
        self.provider_regions: dict[str, str] = {}
        #: Atlas private endpoint services by private link ID: (project ID, Atlas region).
        self.atlas_links: dict[str, tuple[str, str]] = {}
        #: Connected VPC endpoints per Atlas project: (VPC endpoint ID, Atlas region), in order.
        self.atlas_endpoints: dict[str, list[tuple[str, str]]] = {}

    def region_of(self, provider_ref: str) -> str:
        """Region of the explicit provider ``provider_ref`` (``urn::id``); empty for the default."""
        return self.provider_regions.get(provider_ref.rsplit("::", 1)[-1], "")

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        # IDs, ARNs and computed identifiers are derived from the logical name plus the replacement
        # identity: the ForceNew inputs (infra/offline/forcenew.py), the region and the provider's own
        # identity. A replaced resource thus gets new ones, and its dependents' inputs change with
        # them, as a real preview's unknowns do; an in-place change keeps them.
        if args.typ.startswith("pulumi:providers:"):
            digest = identity(args.typ, args.inputs)
            resource_id = f"{args.name}-{digest}"
            if args.typ == "pulumi:providers:aws":
                self.provider_regions[resource_id] = args.inputs.get("region", "")
            return resource_id, dict(args.inputs)
        region = self.region_of(args.provider or "") or "us-east-1"
        digest = identity(args.typ, args.inputs, region, provider_identity(args.provider or ""))
        resource_id = f"{args.name}-{digest}"
        service = args.typ.split(":")[1].split("/")[0]
        state = {
            "arn": f"arn:aws:{service}:{region}:{MOCK_ACCOUNT_ID}:{resource_id}",
            **args.inputs,
        }
        for key, prefix in args.inputs.items():
            # ``xNamePrefix`` inputs: the provider appends a 26-character unique suffix to make ``xName``.
            if key.endswith("NamePrefix") and isinstance(prefix, str) and key[: -len("Prefix")] not in state:
                state[key[: -len("Prefix")]] = prefix + _digest(args.name + key).ljust(26, "0")
        extra = _COMPUTED_OUTPUTS.get(args.typ)
        if extra:
            state.update(extra(args.name, region, digest))
        if args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state["latestVersion"] = _template_version(args.inputs)
        if args.typ.startswith(_ATLAS):
            state.update(self._atlas(args.typ, args.name, digest, args.inputs))
        return resource_id, state

    def _atlas(self, typ: str, name: str, digest: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Computed outputs of the Atlas resources our programs read.

        Atlas IDs are 24 hex digits. The mocks remember each private endpoint service and each
        connected VPC endpoint, so a cluster registered after them (it depends on the endpoint
        services, as the provider's examples require) lists one private-endpoint connection string
        per VPC endpoint of its project, each naming that ``endpointId``, as Atlas does.
        """
        atlas_id = _digest(name + digest) + _digest(digest + name)[:12]
        kind = typ.removeprefix(_ATLAS).split(":")[0]
        if kind == "privateLinkEndpoint":
            self.atlas_links[atlas_id] = (str(inputs.get("projectId")), str(inputs.get("region")))
            aws_region = str(inputs.get("region", "")).lower().replace("_", "-")
            return {
                "privateLinkId": atlas_id,
                "endpointServiceName": f"com.amazonaws.vpce.{aws_region}.vpce-svc-{atlas_id[:17]}",
                "regionName": inputs.get("region"),
                "status": "WAITING_FOR_USER",
            }
        if kind == "privateLinkEndpointService":
            project, region = self.atlas_links.get(str(inputs.get("privateLinkId")), ("", ""))
            self.atlas_endpoints.setdefault(project, []).append((str(inputs.get("endpointServiceId")), region))
            return {"awsConnectionStatus": "AVAILABLE", "interfaceEndpointId": inputs.get("endpointServiceId")}
        if kind == "cloudProviderAccessSetup":
            return {
                "roleId": atlas_id,
                "awsConfigs": [
                    {
                        "atlasAwsAccountArn": MOCK_ATLAS_AWS_ACCOUNT_ARN,
                        "atlasAssumedRoleExternalId": _uuid(name + digest),
                    }
                ],
            }
        if kind == "advancedCluster":
            return self._atlas_cluster(name, digest, atlas_id, inputs)
        if kind == "alertConfiguration":
            return {"alertConfigurationId": atlas_id}
        if kind == "project":
            return {"clusterCount": 0}
        return {}

    def _atlas_cluster(self, name: str, digest: str, atlas_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        host = f"{inputs.get('name', name)}".lower()
        process = "MONGOS" if inputs.get("clusterType") == "SHARDED" else "MONGOD"
        # By region, not by registration order (which varies between runs), so plans are reproducible.
        endpoints = sorted(self.atlas_endpoints.get(str(inputs.get("projectId")), []), key=lambda e: (e[1], e[0]))
        return {
            "clusterId": atlas_id,
            "stateName": "IDLE",
            "mongoDbVersion": f"{inputs.get('mongoDbMajorVersion', '8.0')}.0",
            "connectionStrings": {
                "standardSrv": f"mongodb+srv://{host}.{digest}.mongodb.net",
                "privateEndpoints": [
                    {
                        "srvConnectionString": f"mongodb+srv://{host}-pl-{index}.{digest}.mongodb.net",
                        "connectionString": f"mongodb://pl-{index}-{region.lower()}.{digest}.mongodb.net:1024",
                        "type": process,
                        "endpoints": [{"endpointId": endpoint, "providerName": "AWS", "region": region}],
                    }
                    for index, (endpoint, region) in enumerate(endpoints)
                ],
            },
        }

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": MOCK_ACCOUNT_ID,
                "arn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:root",
                "userId": MOCK_ACCOUNT_ID,
                "id": MOCK_ACCOUNT_ID,
            }
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if args.token == "aws:lb/getLoadBalancer:getLoadBalancer":
            return self._load_balancer(args)
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return self._availability_zones(args)
        if args.token == "aws:route53/getZone:getZone":
            return self._zone(args)
        raise NotImplementedError(f"offline harness has no answer for invoke {args.token}")

    #: The mock account's zone name -> zone ID mapping. AWS shuffles it per account, so on
    #: purpose ``<region>a`` is not ``az1`` here: code that equates names and IDs fails the tests.
    #: Regions not listed get a rotation derived from the region name.
    _ZONE_IDS: dict[str, tuple[str, ...]] = {
        "us-east-1": ("use1-az4", "use1-az6", "use1-az1", "use1-az2", "use1-az3", "use1-az5"),
        "us-west-2": ("usw2-az2", "usw2-az1", "usw2-az3", "usw2-az4"),
        "eu-west-1": ("euw1-az3", "euw1-az1", "euw1-az2"),
    }

    def _availability_zones(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        """``aws.get_availability_zones`` in the provider's region: names and zone IDs, aligned.

        Honours the ``excludeNames`` / ``excludeZoneIds`` inputs and ``zone-name`` / ``zone-id``
        filters; Local and Wavelength Zones are not modelled.
        """
        inputs = args.args
        region = inputs.get("region") or self.region_of(args.provider or "") or "us-east-1"
        ids = self._ZONE_IDS.get(region)
        if ids is None:
            from components.network import zone_id_prefix

            prefix = zone_id_prefix(region)
            shift = int(_digest(region), 16) % 3
            ids = tuple(f"{prefix}-az{(i + shift) % 3 + 1}" for i in range(3))
        zones = [(f"{region}{chr(ord('a') + i)}", zone_id) for i, zone_id in enumerate(ids)]
        excluded_names, excluded_ids = set(inputs.get("excludeNames") or ()), set(inputs.get("excludeZoneIds") or ())
        zones = [(n, z) for n, z in zones if n not in excluded_names and z not in excluded_ids]
        for flt in inputs.get("filters") or ():
            values = set(flt.get("values") or ())
            if flt.get("name") == "zone-name":
                zones = [(n, z) for n, z in zones if n in values]
            elif flt.get("name") == "zone-id":
                zones = [(n, z) for n, z in zones if z in values]
        return {
            "id": region,
            "region": region,
            "names": [n for n, _ in zones],
            "zoneIds": [z for _, z in zones],
            "groupNames": [region] * len(zones),
        }

    #: The mock account's Route 53 hosted zones: id -> (name, private).
    HOSTED_ZONES: dict[str, tuple[str, bool]] = {
        "Z0123456ACMEEXAMPLE": ("acme.example", False),
        "Z0123456ACMEINTERNAL": ("acme.example", True),
    }
    #: Canonical hosted zone of ALBs per region (Elastic Load Balancing endpoints and quotas,
    #: https://docs.aws.amazon.com/general/latest/gr/elb.html); others get a derived one.
    _ALB_ZONE_IDS: dict[str, str] = {
        "us-east-1": "Z35SXDOTRQ7X7K",
        "us-west-2": "Z1H1FL5HABSF5",
        "eu-west-1": "Z32O12XQLNTSW2",
    }

    def _zone(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        """``aws.route53.get_zone`` by ``zoneId``: one of :data:`HOSTED_ZONES`, or AWS's 'no zone' error."""
        zone_id = args.args.get("zoneId") or ""
        if zone_id not in self.HOSTED_ZONES:
            raise Exception(f"reading Route 53 Hosted Zone ({zone_id}): NoSuchHostedZone: No hosted zone found")
        name, private = self.HOSTED_ZONES[zone_id]
        return {
            "id": zone_id,
            "zoneId": zone_id,
            "name": name,
            "privateZone": private,
            "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
            "nameServers": [] if private else [f"ns-{i}.awsdns-0{i}.net" for i in range(1, 5)],
            "resourceRecordSetCount": 2,
            "tags": {},
        }

    def _load_balancer(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        """An ALB as the Load Balancer Controller names one: ``k8s-<namespace>-<ingress>-<hash>``."""
        region = self.region_of(args.provider or "") or "us-east-1"
        tags = dict(args.args.get("tags") or {})
        stack = tags.get("ingress.k8s.aws/stack", "default/ingress")
        key = json.dumps(tags, sort_keys=True) + region
        name = args.args.get("name") or f"k8s-{stack.replace('/', '-')}-{_digest(key)[:10]}"[:32]
        suffix = f"app/{name}/{(_digest(name + key) + _digest(key + name))[:16]}"
        arn = f"arn:aws:elasticloadbalancing:{region}:{MOCK_ACCOUNT_ID}:loadbalancer/{suffix}"
        return {
            "arn": arn,
            "arnSuffix": suffix,
            "name": name,
            "dnsName": f"{name}-{_digest(key)[:10]}.{region}.elb.amazonaws.com",
            "zoneId": self._ALB_ZONE_IDS.get(region, f"Z{_digest(region).upper()[:13]}"),
            "loadBalancerType": "application",
            "internal": False,
            "tags": tags,
            "id": arn,
        }


class _RecordingMonitor(mocks.MockMonitor):
    """MockMonitor that keeps the full registration request of every resource."""

    def __init__(self, engine_mocks: _Mocks) -> None:
        super().__init__(engine_mocks)
        self.engine_mocks = engine_mocks
        self.records: list[RecordedResource] = []

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        inputs = _sync_await(_deserialize(request.object))
        self.records.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                provider=request.provider,
                inputs=inputs,
                protect=bool(request.protect),
                delete_before_replace=request.deleteBeforeReplace,
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=list(request.ignoreChanges),
                replace_on_changes=list(request.replaceOnChanges),
                aliases=[a.urn or a.spec.name for a in request.aliases] + list(request.aliasURNs),
                dependencies=list(request.dependencies),
                id=response.id,
                region=self.engine_mocks.region_of(request.provider) if request.provider else inputs.get("region", ""),
                property_dependencies={
                    key: list(deps.urns) for key, deps in request.propertyDependencies.items() if deps.urns
                },
            )
        )
        return response


async def _deserialize(struct) -> dict[str, Any]:
    return _plain(rpc.deserialize_properties(struct))


def _plain(value: Any) -> Any:
    """Strip SDK wrappers so inputs compare and serialise as plain JSON data."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def run_program(
    program: Callable[[], None],
    *,
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    project: str = PROJECT,
) -> PlanResult:
    """Run ``program`` as stack ``stack`` of ``project`` under mocks and return what it registered.

    Each run happens in a fresh ``contextvars`` context, so runs do not leak the root stack
    resource, settings or config into each other. Exceptions raised by the program propagate.
    """
    return contextvars.Context().run(_run, program, stack, dict(config or {}), project)


def _run(program: Callable[[], None], stack: str, config: dict[str, str], project: str):
    engine_mocks = _Mocks()
    monitor = _RecordingMonitor(engine_mocks)
    pulumi.runtime.set_all_config(config)
    mocks.set_mocks(engine_mocks, project=project, stack=stack, preview=False, monitor=monitor)
    # The SDK tracks Outputs in one process-wide set and leaves the failed ones of a failed run in
    # it; a real program has the process to itself, but here the next run would re-raise them.
    _forget_outputs()
    try:
        _sync_await(run_pulumi_func(program))
    finally:
        _forget_outputs()
    root = pulumi.runtime.settings.get_root_resource()
    outputs = _sync_await(_resolve(getattr(root, "outputs", None) or {}))
    return PlanResult(stack=stack, resources=monitor.records, outputs=outputs)


def _forget_outputs() -> None:
    with SETTINGS.lock:
        SETTINGS.outputs.clear()


async def _resolve(values: Mapping[str, Any]) -> dict[str, Any]:
    resolved = {}
    for key, value in values.items():
        resolved[key] = _plain(await pulumi.Output.from_input(value).future())
    return resolved


class StackFileError(pulumi.RunError):
    """A stack file that is not the YAML mapping Pulumi reads (names the file, line and column)."""


def stack_config(stack: str, root: Path = ROOT) -> dict[str, str]:
    """Read ``Pulumi.<stack>.yaml`` into the flat string map the engine hands a program.

    The engine passes structured values (objects, lists) as JSON strings and scalars as text;
    doing the same here means the offline run parses config exactly as a real run does.
    """
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack config {path.name} in {root}")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else path.name
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise StackFileError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise StackFileError(f"{path.name}: must be a mapping with a 'config' mapping of key: value")
    flat: dict[str, str] = {}
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, (dict, list)):
            flat[key] = json.dumps(value)
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        else:
            flat[key] = str(value)
    return flat


def run_stack(stack: str, root: Path = ROOT, config: Mapping[str, str] | None = None) -> PlanResult:
    """Run the real stack program (``infra/__main__.py``'s entry point) for ``stack`` offline.

    ``config`` replaces the values read from ``Pulumi.<stack>.yaml`` when given (tests use this to
    feed edited configs through the same path).
    """
    from infra.program import main

    return run_program(main, stack=stack, config=stack_config(stack, root) if config is None else config)
