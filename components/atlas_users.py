"""Atlas database users authenticated by AWS IAM roles (the apps' EKS Pod Identity roles):
no passwords anywhere, one least-privilege role on one database, scoped to one cluster.

Atlas constraints this component relies on:

- ``aws_iam_type = "ROLE"``: the username is the IAM role ARN and ``auth_database_name`` must be
  ``$external``; clients authenticate with ``authMechanism=MONGODB-AWS`` using the credentials of
  the role they run as (Pod Identity supplies them). A password conflicts with ``aws_iam_type``.
  ``project_id`` and ``username`` force a new user; roles and scopes update in place.
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/database_user
  https://www.mongodb.com/docs/atlas/security/aws-iam-authentication/
- Roles apply to every cluster of the project unless ``scopes`` names clusters (type
  ``CLUSTER``); each user is scoped to the one cluster. ``read`` / ``readWrite`` on the app's
  database are built-in roles that cover its collections (not ``system.*``).
  https://www.mongodb.com/docs/atlas/mongodb-users-roles-and-privileges/
- Database names: not ``admin``, ``local``, ``config`` or ``$external`` (reserved), at most 63
  characters, none of ``/\\. "$*<>:|?``.
  https://www.mongodb.com/docs/manual/reference/limits/#naming-restrictions
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_mongodbatlas as atlas

from components.base import child_opts

AUTH_DATABASE = "$external"
RESERVED_DATABASES = frozenset({"admin", "local", "config", AUTH_DATABASE})
_DATABASE = re.compile(r'^[^/\\. "$*<>:|?]{1,63}$')
_SUFFIX = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


def database_role(read_only: bool) -> str:
    """The built-in role of an app user: ``read`` for analytics readers, else ``readWrite``."""
    return "read" if read_only else "readWrite"


def check_database_name(name: str) -> str:
    """``name`` if MongoDB accepts it as an application database, else ValueError."""
    if name in RESERVED_DATABASES or not _DATABASE.match(name):
        raise ValueError(f'database_name {name!r}: 1-63 characters without /\\. "$*<>:|?, not a reserved database')
    return name


@dataclass(frozen=True)
class AtlasUserSpec:
    """One app's database user.

    Attributes:
        name: Logical suffix of the resource, e.g. ``api`` (lowercase, digits, '-'). Required.
        role_arn: The app's Pod Identity IAM role ARN; it is the username (ForceNew). Required.
        read_only: ``read`` (analytics) instead of ``readWrite``. Default: False.
    """

    name: str
    role_arn: pulumi.Input[str]
    read_only: bool = False


@dataclass
class AtlasDatabaseUsersArgs:
    """Inputs of :class:`AtlasDatabaseUsers`.

    Attributes:
        project_id: Atlas project (ForceNew). Required.
        cluster_name: The only cluster the users may reach. Required.
        database_name: The app database every user's role is on (see :func:`check_database_name`). Required.
        users: One spec per app; names unique. Required.
    """

    project_id: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    database_name: str
    users: list[AtlasUserSpec]

    def __post_init__(self) -> None:
        check_database_name(self.database_name)
        names = [u.name for u in self.users]
        if len(set(names)) != len(names):
            raise ValueError(f"user names must be unique: {names}")
        for name in names:
            if not _SUFFIX.match(name):
                raise ValueError(f"user name {name!r}: lowercase letters, digits, '-', at most 31 characters")


class AtlasDatabaseUsers(pulumi.ComponentResource):
    """IAM-role (MONGODB-AWS) users on ``$external``, least privilege, one cluster."""

    users: dict[str, atlas.DatabaseUser]

    def __init__(self, name: str, args: AtlasDatabaseUsersArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:data:AtlasDatabaseUsers", name, None, opts)
        self.users = {
            spec.name: atlas.DatabaseUser(
                f"{name}-{spec.name}",
                project_id=args.project_id,
                username=spec.role_arn,
                auth_database_name=AUTH_DATABASE,
                aws_iam_type="ROLE",
                roles=[{"role_name": database_role(spec.read_only), "database_name": args.database_name}],
                scopes=[{"name": args.cluster_name, "type": "CLUSTER"}],
                description=f"{spec.name}: {database_role(spec.read_only)} on {args.database_name}",
                opts=child_opts(self),
            )
            for spec in args.users
        }
        self.usernames = {key: user.username for key, user in self.users.items()}
        self.register_outputs({"usernames": self.usernames})
