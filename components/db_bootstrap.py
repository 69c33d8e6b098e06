"""The database's application roles and grants, created by an idempotent Kubernetes Job in the cluster.

The database is reachable only from inside the VPC (through the RDS Proxy), so the bootstrap runs
where the apps run. An init container signs an IAM token for the master user with the Job's Pod
Identity role; psql then connects through the proxy (which signs in with the master secret) and
applies :func:`bootstrap_sql`. Every statement is safe to repeat, so a changed script simply
runs again as a new Job.

Roles and why:
- ``app`` (``DB_USER``): the applications' login through the proxy. Owns the application schema
  (DML and migrations there, nothing else: no CREATEROLE, no rds_superuser, no public schema).
  Its password is generated and rotated by Secrets Manager; only the proxy reads it. The Job sets
  it once, as a SCRAM verifier, when it creates the role (later runs never touch it, which would
  undo rotations), so neither the password nor a plain ``PASSWORD '...'`` reaches the server log.
- ``app_reader`` (``DB_READER_USER``): SELECT on the schema, signs in to the replicas with IAM
  (``rds_iam``: RDS then refuses password sign-in for it). Replicas are read only anyway; a
  separate role keeps the apps' IAM rights on replicas to reading.

AWS and PostgreSQL constraints relied on:
- IAM database authentication: the token is signed locally for ``host:port/user`` and valid for
  15 minutes; the role needs ``rds-db:connect`` on ``dbuser:prx-<id>/<user>`` for a proxy
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connecting.html#rds-proxy-connecting-iam).
- ``GRANT rds_iam`` switches a role to IAM-only sign-in
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.DBAccounts.html).
- The proxy's certificate is issued by ACM under Amazon's public roots, so ``sslmode=verify-full``
  with the system trust store (``sslrootcert=system``, libpq 16+) verifies it.
- PostgreSQL stores a ``SCRAM-SHA-256$...`` string given to ``PASSWORD`` as the verifier.
- The master user (rds_superuser, CREATEROLE) can create roles but not act as their owner unless it
  is a member, hence ``GRANT app TO CURRENT_USER`` before the schema and default privileges.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.base import child_opts
from components.cluster_addons import pod_identity_association, pod_identity_role
from components.network_policies import egress_rules
from components.workload import restricted_container_context, restricted_pod_context

NAMESPACE = "db-bootstrap"
SERVICE_ACCOUNT = "db-bootstrap"
UID = 10001
_SCRIPT = "bootstrap.sql"


def bootstrap_sql() -> str:
    """The idempotent script; psql variables: dbname, schema, app_user, app_verifier, reader_user."""
    return "\n".join(
        [
            "\\set ON_ERROR_STOP on",
            "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_user', :'app_verifier')",
            "  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \\gexec",
            "SELECT format('CREATE ROLE %I LOGIN', :'reader_user')",
            "  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader_user') \\gexec",
            'GRANT rds_iam TO :"reader_user";',
            'GRANT :"app_user" TO CURRENT_USER;',
            'REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;',
            'GRANT CONNECT ON DATABASE :"dbname" TO :"app_user", :"reader_user";',
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
            'CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"app_user";',
            'GRANT USAGE ON SCHEMA :"schema" TO :"reader_user";',
            'GRANT SELECT ON ALL TABLES IN SCHEMA :"schema" TO :"reader_user";',
            'ALTER DEFAULT PRIVILEGES FOR ROLE :"app_user" IN SCHEMA :"schema"'
            ' GRANT SELECT ON TABLES TO :"reader_user";',
            'ALTER ROLE :"app_user" SET search_path = :"schema";',
            'ALTER ROLE :"reader_user" SET search_path = :"schema";',
            "",
        ]
    )


def bootstrap_policy(region: str, account_id: str, proxy_id: str, master_username: str) -> str:
    """The Job's only permission: an IAM sign-in as the master user through this one proxy."""
    statement = {
        "Sid": "MasterLoginThroughProxy",
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": f"arn:aws:rds-db:{region}:{account_id}:dbuser:{proxy_id}/{master_username}",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class DbBootstrapArgs:
    """Inputs of :class:`DbBootstrap`.

    Attributes:
        cluster_name: EKS cluster the Job runs in (Pod Identity, role name prefix).
        k8s_provider: Kubernetes provider of that cluster.
        region: Region of the proxy (the IAM token is signed for it).
        account_id: Account of the proxy.
        proxy_endpoint: RDS Proxy endpoint (writer).
        proxy_id: The proxy's resource id (``prx-...``, the last part of its ARN).
        vpc_cidr: CIDR the proxy lives in; the Job may reach it on 5432 only.
        app_password_verifier: SCRAM verifier of the app login's initial password (a secret).
        psql_image: Image with psql 16+ (libpq ``sslrootcert=system``), pinned.
        aws_cli_image: Image with the AWS CLI v2 (Pod Identity credentials), pinned.
        database_name: Default: ``"app"``.
        master_username: Default: ``"app_admin"``.
        app_username: Default: ``"app"``.
        reader_username: Default: ``"app_reader"``.
        schema: The application schema, owned by ``app_username``. Default: ``"app"``.
        depends_on: Cluster add-ons and the database to wait for. Default: none.
        tags: Extra AWS tags (IAM role). Default: none.
    """

    cluster_name: str
    k8s_provider: k8s.Provider
    region: str
    account_id: pulumi.Input[str]
    proxy_endpoint: pulumi.Input[str]
    proxy_id: pulumi.Input[str]
    vpc_cidr: str
    app_password_verifier: pulumi.Input[str]
    psql_image: str
    aws_cli_image: str
    database_name: str = "app"
    master_username: str = "app_admin"
    app_username: str = "app"
    reader_username: str = "app_reader"
    schema: str = "app"
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        users = {self.master_username, self.app_username, self.reader_username}
        if len(users) != 3:
            raise ValueError("master_username, app_username and reader_username must be three different roles")


class DbBootstrap(pulumi.ComponentResource):
    """Namespace, Pod Identity, NetworkPolicies and the Job that creates the application roles."""

    def __init__(self, name: str, args: DbBootstrapArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:k8s:DbBootstrap", name, None, opts)
        self._name, self._args = name, args
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": NAMESPACE,
                "labels": {f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "audit", "warn")},
            },
            opts=self._k8s(depends_on=args.depends_on),
        )
        self._ns = namespace.metadata.name
        role_name = f"{args.cluster_name}-{NAMESPACE}"
        service_account = (args.cluster_name, NAMESPACE, SERVICE_ACCOUNT)
        policy = pulumi.Output.all(args.account_id, args.proxy_id).apply(
            lambda v: bootstrap_policy(args.region, v[0], v[1], args.master_username)
        )
        role = pod_identity_role(self, f"{name}-role", role_name, service_account, args.tags, inline_policy=policy)
        identity = pod_identity_association(
            self, f"{name}-identity", role, role_name, service_account, args.tags, depends_on=args.depends_on
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={"name": SERVICE_ACCOUNT, "namespace": self._ns},
            opts=self._k8s(depends_on=[identity]),
        )
        verifier = k8s.core.v1.Secret(
            f"{name}-verifier",
            metadata={"name": "app-password-verifier", "namespace": self._ns},
            type="Opaque",
            string_data={"verifier": args.app_password_verifier},
            opts=self._k8s(),
        )
        script = k8s.core.v1.ConfigMap(
            f"{name}-script",
            metadata={"name": "bootstrap-sql", "namespace": self._ns},
            data={_SCRIPT: bootstrap_sql()},
            opts=self._k8s(),
        )
        self._create_network_policies()
        job = self._create_job(account, verifier, script)
        self.job_name = job.metadata.name
        self.role_arn = role.arn
        self.ready = [job]
        self.register_outputs({"job_name": self.job_name, "role_arn": self.role_arn})

    def _k8s(self, **kwargs) -> pulumi.ResourceOptions:
        return child_opts(self, provider=self._args.k8s_provider, **kwargs)

    def _create_network_policies(self) -> None:
        """Default deny; out only to DNS, the Pod Identity agent and the proxy's VPC on 5432."""
        args = self._args
        # DNS and the Pod Identity agent, the proxy's VPC on 5432 only; no HTTPS (the token is
        # signed locally with the agent's credentials).
        egress = egress_rules([], https_anywhere=False)
        egress.append({"to": [{"ip_block": {"cidr": args.vpc_cidr}}], "ports": [{"protocol": "TCP", "port": 5432}]})
        for suffix, spec in (
            ("deny-all", {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]}),
            ("allow-egress", {"pod_selector": {}, "policy_types": ["Egress"], "egress": egress}),
        ):
            k8s.networking.v1.NetworkPolicy(
                f"{self._name}-{suffix}",
                metadata={"name": f"db-bootstrap-{suffix}", "namespace": self._ns},
                spec=spec,
                opts=self._k8s(),
            )

    def _create_job(self, account, verifier, script) -> k8s.batch.v1.Job:
        args = self._args
        hardened = restricted_container_context(UID)
        resources = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
        token = (
            'aws rds generate-db-auth-token --hostname "$PGHOST" --port 5432 '
            f"--username {args.master_username} --region {args.region} --output text > /run/token/password"
        )
        psql = (
            'PGPASSWORD="$(cat /run/token/password)" exec psql -X'
            f" -v dbname={args.database_name} -v schema={args.schema}"
            f" -v app_user={args.app_username} -v reader_user={args.reader_username}"
            ' -v app_verifier="$APP_VERIFIER"'
            f" -f /etc/bootstrap/{_SCRIPT}"
        )
        env = [
            {"name": "PGHOST", "value": args.proxy_endpoint},
            {"name": "PGPORT", "value": "5432"},
            {"name": "PGDATABASE", "value": args.database_name},
            {"name": "PGUSER", "value": args.master_username},
            {"name": "PGSSLMODE", "value": "verify-full"},
            {"name": "PGSSLROOTCERT", "value": "system"},
            {"name": "HOME", "value": "/tmp"},
        ]
        checksum = hashlib.sha256(bootstrap_sql().encode()).hexdigest()
        pod_spec = {
            "service_account_name": account.metadata.name,
            # Pod Identity exchanges the projected token for AWS credentials; no RBAC is bound to it.
            "automount_service_account_token": True,
            "enable_service_links": False,
            "restart_policy": "Never",
            "security_context": restricted_pod_context(UID),
            "init_containers": [
                {
                    "name": "token",
                    "image": args.aws_cli_image,
                    "command": ["sh", "-ec", token],
                    "env": env,
                    "resources": resources,
                    "security_context": hardened,
                    "volume_mounts": [
                        {"name": "token", "mount_path": "/run/token"},
                        {"name": "tmp", "mount_path": "/tmp"},
                    ],
                }
            ],
            "containers": [
                {
                    "name": "psql",
                    "image": args.psql_image,
                    "command": ["sh", "-ec", psql],
                    "env": [
                        *env,
                        {
                            "name": "APP_VERIFIER",
                            "value_from": {"secret_key_ref": {"name": verifier.metadata.name, "key": "verifier"}},
                        },
                    ],
                    "resources": resources,
                    "security_context": hardened,
                    "volume_mounts": [
                        {"name": "token", "mount_path": "/run/token", "read_only": True},
                        {"name": "script", "mount_path": "/etc/bootstrap", "read_only": True},
                        {"name": "tmp", "mount_path": "/tmp"},
                    ],
                }
            ],
            "volumes": [
                {"name": "token", "empty_dir": {"medium": "Memory", "size_limit": "1Mi"}},
                {"name": "tmp", "empty_dir": {"size_limit": "64Mi"}},
                {"name": "script", "config_map": {"name": script.metadata.name}},
            ],
        }
        return k8s.batch.v1.Job(
            f"{self._name}-job",
            # Named after the script, so a changed script runs as a new Job (Job templates are
            # immutable) and an unchanged one is never re-created.
            metadata={"name": f"db-bootstrap-{checksum[:10]}", "namespace": self._ns},
            spec={
                # Retries cover a proxy still registering its target on a first deploy.
                "backoff_limit": 6,
                "active_deadline_seconds": 900,
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": "db-bootstrap"}}, "spec": pod_spec},
            },
            opts=self._k8s(),
        )
