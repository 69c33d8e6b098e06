"""Our own database credentials: generated passwords in KMS-encrypted secrets, rotated by Secrets Manager.

Why not RDS-managed master passwords: RDS does not support them for an instance that is the
source of a read replica, nor for Blue/Green deployments, cross-region replicas or Aurora global
databases ("Password management with Amazon RDS and AWS Secrets Manager", Limitations:
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations).

AWS constraints this component relies on:

- The rotation function expects ``SecretString`` as JSON with ``engine`` (``postgres``), ``host``
  (the instance address), ``username``, ``password``, and optionally ``dbname`` and ``port``
  (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_available-rotation-templates.html).
  It rotates with the *single-user* strategy: existing sessions keep working, new sign-ins use
  the new password as soon as the secret's AWSCURRENT label moves. RDS Proxy re-reads a secret
  when a sign-in to the database fails, so pooled connections survive a rotation
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-secrets-arns.html).
- RDS for PostgreSQL master passwords are 8-128 printable ASCII characters other than ``/``,
  ``'``, ``"``, ``@`` and space; the rotation function also avoids ``:`` and ``\\``, so the
  generated ones use neither.
- Role passwords live in the PostgreSQL catalog, which streams to every replica: a rotation on
  the primary reaches the replicas with the WAL.
- After a rotation the stored version no longer matches what Pulumi first wrote; the versions
  therefore ignore later changes to ``secret_string`` (re-applying it would roll the password back
  in the secret but not in the database).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.base import child_opts, merge_tags, stateful_opts

#: Characters RDS forbids in a master password (``/ ' " @`` and space) or the rotation function
#: avoids (``: \\``) are left out.
PASSWORD_SPECIALS = "!#$%^&*()-_=+[]{}<>?~.,;"
PASSWORD_LENGTH = 40
#: PostgreSQL's default SCRAM-SHA-256 iteration count (``scram_iterations``).
SCRAM_ITERATIONS = 4096


def secret_document(host: str, port: int, username: str, password: str, dbname: str, identifier: str) -> str:
    """The ``SecretString`` RDS Proxy and the rotation function read: one database user's login."""
    return json.dumps(
        {
            "engine": "postgres",
            "host": host,
            "port": port,
            "username": username,
            "password": password,
            "dbname": dbname,
            "dbInstanceIdentifier": identifier,
        }
    )


def scram_verifier(password: str, salt_b64: str, iterations: int = SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802 / RFC 7677).

    ``CREATE ROLE ... PASSWORD 'SCRAM-SHA-256$...'`` stores a verifier as given, so the bootstrap
    never sends (nor makes the server log) the password itself.
    """
    salt = base64.b64decode(salt_b64)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    encode = base64.b64encode
    return f"SCRAM-SHA-256${iterations}:{salt_b64}${encode(stored_key).decode()}:{encode(server_key).decode()}"


def generated_password(name: str, parent: pulumi.Resource) -> random.RandomPassword:
    """A 40-character password RDS and the rotation function both accept."""
    return random.RandomPassword(
        name,
        length=PASSWORD_LENGTH,
        special=True,
        override_special=PASSWORD_SPECIALS,
        min_lower=1,
        min_upper=1,
        min_numeric=1,
        min_special=1,
        opts=child_opts(parent),
    )


@dataclass
class PostgresCredentialsArgs:
    """Inputs of :class:`PostgresCredentials`.

    Attributes:
        identifier: The DB instance identifier; secrets are named ``{identifier}/{username}``.
        host: Address of the instance (not the proxy: the rotation function signs in directly).
        kms_key_arn: Customer-managed key of the secrets (the rotation function's template gets it too).
        rotation_lambda_arn: ARN of the rotation function (:class:`PostgresRotationFunction`).
        logins: Username -> generated password of each login to keep (the master user first).
        database_name: Database the logins sign in to. Default: ``"app"``.
        port: Default: 5432.
        rotation_days: Days between rotations, 1-365. Default: 30.
        tags: Extra tags. Default: none.
    """

    identifier: str
    host: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    rotation_lambda_arn: pulumi.Input[str]
    logins: dict[str, pulumi.Input[str]]
    database_name: str = "app"
    port: int = 5432
    rotation_days: int = 30
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.logins:
            raise ValueError("logins must name at least one database user")
        if not 1 <= self.rotation_days <= 365:
            raise ValueError(f"rotation_days {self.rotation_days} must be 1..365")


class PostgresCredentials(pulumi.ComponentResource):
    """One Secrets Manager secret per database login, each rotated on a schedule."""

    secret_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: PostgresCredentialsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:database:PostgresCredentials", name, None, opts)
        self.secret_arns = {}
        for username, password in args.logins.items():
            label = f"{args.identifier}/{username}"
            secret = aws.secretsmanager.Secret(
                f"{name}-{username}",
                name=label,
                description=f"PostgreSQL login {username} of {args.identifier} (rotated by Secrets Manager)",
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=30,
                tags=merge_tags(label, args.tags),
                opts=stateful_opts(self),
            )
            document = pulumi.Output.all(args.host, password).apply(
                lambda v, user=username: secret_document(
                    v[0], args.port, user, v[1], args.database_name, args.identifier
                )
            )
            version = aws.secretsmanager.SecretVersion(
                f"{name}-{username}-initial",
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(document),
                # Rotation replaces the value; writing the first one again would undo it in the secret only.
                opts=child_opts(self, ignore_changes=["secretString"]),
            )
            aws.secretsmanager.SecretRotation(
                f"{name}-{username}-rotation",
                secret_id=secret.id,
                rotation_lambda_arn=args.rotation_lambda_arn,
                rotation_rules={"automatically_after_days": args.rotation_days},
                # The first rotation waits for the schedule: the application login only exists once
                # the in-cluster bootstrap has run, and a fresh password needs no immediate change.
                rotate_immediately=False,
                opts=child_opts(self, depends_on=[version]),
            )
            self.secret_arns[username] = secret.arn
        self.register_outputs({"secret_arns": self.secret_arns})
