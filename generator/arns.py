"""ARNs of everything the policies name, built in one place.

Formats follow the Service Authorization Reference (see ../shared/DESIGN.md):
model-package-group/${Name}, model-package/${GroupName}/${Version},
key/${KeyId}, alias/${Alias}; S3 ARNs carry no region or account.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from generator import roles
from generator.config import Config

ANY = "*"  # the group name that stands for every group (coarse identity policies)


@dataclass(frozen=True)
class Arns:
    partition: str
    region: str
    registry_id: str
    bucket: str
    alias: str
    key_arn: str | None
    s3_layout: str = "bucket_policy"
    access_point_prefix: str | None = None

    @classmethod
    def of(cls, config: Config) -> "Arns":
        return cls(
            partition=config.partition,
            region=config.region,
            registry_id=config.registry_account.id,
            bucket=config.registry.artifact_bucket,
            alias=config.registry.kms_key_alias,
            key_arn=config.registry.kms_key_arn,
            s3_layout=config.registry.s3_layout,
            access_point_prefix=config.registry.access_point_prefix,
        )

    # S3 -----------------------------------------------------------------
    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}"

    @property
    def bucket_objects(self) -> str:
        return f"{self.bucket_arn}/*"

    def group_prefix(self, group: str) -> str:
        """Key prefix of a group's artifacts: s3://<bucket>/<group>/."""
        return f"{group}/"

    def group_objects(self, group: str) -> str:
        return f"{self.bucket_arn}/{self.group_prefix(group)}*"

    # registration: copy (docs/copy.md) ------------------------------------
    # A development account writes incoming/<its account id>/<group>/ only;
    # the registry function copies approved versions to released/<group>/.
    INCOMING = "incoming/"
    RELEASED = "released/"

    def incoming_prefix(self, group: str, account_id: str = "${aws:PrincipalAccount}") -> str:
        """incoming/<account>/<group>/; by default the policy variable of the
        caller's account, so one statement lets each development account
        write its own prefix and no other
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html)."""
        return f"{self.INCOMING}{account_id}/{group}/"

    def released_prefix(self, group: str) -> str:
        return f"{self.RELEASED}{group}/"

    def incoming_objects(self, group: str, account_id: str = "${aws:PrincipalAccount}") -> str:
        return f"{self.bucket_arn}/{self.incoming_prefix(group, account_id)}*"

    def released_objects(self, group: str) -> str:
        return f"{self.bucket_arn}/{self.released_prefix(group)}*"

    @property
    def all_released_objects(self) -> str:
        return f"{self.bucket_arn}/{self.RELEASED}*"

    # Access points (s3_layout: access_points) -----------------------------
    def access_point_name(self, group: str) -> str:
        """A group's access point: 3-50 lowercase letters, digits, '-'.

        ``registry.access_point_prefix`` + the group name, used as is when
        the result is lowercase and at most 50 characters; any other is
        shortened and made unique with a hash of the group name.
        """
        if group == ANY:
            return ANY
        prefix = self.access_point_prefix or ""
        name = prefix + group
        if len(name) <= 50 and name == name.lower() and len(name) >= 3:
            return name
        digest = hashlib.sha256(group.encode()).hexdigest()[:8]
        stem = re.sub(r"-+$", "", name.lower()[:41])
        return f"{stem}-{digest}"

    @property
    def access_points_base(self) -> str:
        """The ARN of the registry's access points, up to the name."""
        return f"arn:{self.partition}:s3:{self.region}:{self.registry_id}:accesspoint/"

    def access_point_arn(self, group: str) -> str:
        return self.access_points_base + self.access_point_name(group)

    # What a grant on a group's artifacts names, in either layout ---------
    def artifact_objects(self, group: str) -> str:
        """Objects under the group's prefix (through its access point)."""
        if self.s3_layout == "access_points":
            return f"{self.access_point_arn(group)}/object/{self.group_prefix(group)}*"
        return self.group_objects(group)

    def artifact_listing(self, group: str) -> str:
        """What ListBucket names: the bucket or the group's access point."""
        if self.s3_layout == "access_points":
            return self.access_point_arn(group)
        return self.bucket_arn

    # KMS ----------------------------------------------------------------
    @property
    def alias_arn(self) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.registry_id}:{self.alias}"

    @property
    def any_registry_key(self) -> str:
        """Every key in the registry account; narrowed by kms:ResourceAliases."""
        return f"arn:{self.partition}:kms:{self.region}:{self.registry_id}:key/*"

    def via_service(self, service: str) -> str:
        # kms:ViaService names the service endpoint that called KMS on the
        # principal's behalf, e.g. s3.us-east-1.amazonaws.com.
        return f"{service}.{self.region}.amazonaws.com"

    # SageMaker ----------------------------------------------------------
    def group_arn(self, group: str) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.registry_id}:model-package-group/{group}"

    def local_group_arn(self, account_id: str, group: str) -> str:
        """A copy-mode group's local group in a development account."""
        return f"arn:{self.partition}:sagemaker:{self.region}:{account_id}:model-package-group/{group}"

    def local_package_arns(self, account_id: str, group: str) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{account_id}:model-package/{group}/*"

    def package_arns(self, group: str) -> str:
        """Every version in a group (ListModelPackages takes this type too)."""
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.registry_id}:model-package/{group}/*"

    # ECR ----------------------------------------------------------------
    def repository_arn(self, name: str) -> str:
        """arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName};
        ``*`` (ANY) stands for every repository of the registry account."""
        return f"arn:{self.partition}:ecr:{self.region}:{self.registry_id}:repository/{name}"

    # IAM ----------------------------------------------------------------
    def account_root(self, account_id: str) -> str:
        return f"arn:{self.partition}:iam::{account_id}:root"

    def role_arn(self, account_id: str, role: str) -> str:
        """Role ARN; a role entry may carry a path (path/Name) and *. An
        Identity Center role written without its path gets it (the
        us-east-1 form; generator/roles.py)."""
        return f"arn:{self.partition}:iam::{account_id}:role/{roles.canonical(role)}"

    def role_target(self, account_id: str, role: str) -> str:
        """One ARN glob matching every role the entry names (manifest target)."""
        return f"arn:{self.partition}:iam::{account_id}:role/{roles.target(role)}"
