"""The only module that talks to AWS: credentials, role assumption, SageMaker.

Credentials come from the standard boto3 chain (environment, shared files,
SSO, instance or container role). By default the helper then assumes a role
in the registry account (``apply.role_name``, default
OrganizationAccountAccessRole, or ``apply.role_arn``), refreshing the
assumed credentials before they expire, and refuses to go on unless STS
GetCallerIdentity says the credentials are in the registry account. That
check also guards ``--no-assume-role``: the helper never creates groups in
an account the config does not name as the registry.

Retries are botocore's: ``standard`` mode by default (``adaptive`` on
request), which retries throttling, transient 5xx and connection errors
with exponential backoff and jitter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import boto3
import botocore.session
from botocore.config import Config as BotoConfig
from botocore.credentials import CredentialProvider, RefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

SESSION_NAME = "model-registry-policy-apply"
_MISSING_GROUP = ("Cannot find Model Package Group", "does not exist")
_NO_POLICY = "Cannot find resource policy"


class AwsError(Exception):
    """A failed AWS call, as one actionable line (no group name: the caller adds it)."""


@dataclass(frozen=True)
class Access:
    partition: str
    region: str
    registry_id: str
    endpoint_url: str | None
    role_arn: str | None  # None: use the credentials as they are
    max_attempts: int
    retry_mode: str


def _boto_config(access: Access) -> BotoConfig:
    return BotoConfig(
        retries={"mode": access.retry_mode, "total_max_attempts": access.max_attempts},
        connect_timeout=10,
        read_timeout=60,
        user_agent_extra="model-registry-policy-apply",
    )


def _where(access: Access) -> str:
    return access.endpoint_url or f"the {access.region} endpoint"


class Registry:
    """SageMaker in the registry account, reached with checked credentials."""

    def __init__(self, access: Access):
        self.access = access
        config = _boto_config(access)
        base = boto3.Session(region_name=access.region)
        try:
            if access.role_arn:
                session = self._assume(base, config)
            else:
                session = base
            sts = session.client("sts", endpoint_url=access.endpoint_url, config=config)
            identity = sts.get_caller_identity()
        except NoCredentialsError:
            raise AwsError(
                "no AWS credentials found in the standard chain (AWS_PROFILE / environment / ~/.aws / SSO / "
                "instance role); log in first, e.g. `aws sso login --profile NAME` and AWS_PROFILE=NAME"
            ) from None
        except ClientError as exc:
            raise AwsError(self._sts_message(exc)) from None
        except BotoCoreError as exc:
            raise AwsError(
                f"cannot reach STS at {_where(access)}: {exc}; check the network or --endpoint-url"
            ) from None
        self.caller_arn = identity["Arn"]
        if identity["Account"] != access.registry_id:
            hint = (
                "pass --role-name/--role-arn (or drop --no-assume-role) to assume a role in it"
                if not access.role_arn
                else "check the role ARN"
            )
            raise AwsError(
                f"the credentials are for account {identity['Account']} ({self.caller_arn}), but the registry "
                f"account is {access.registry_id}; refusing to change anything: {hint}"
            )
        self.sagemaker = session.client("sagemaker", endpoint_url=access.endpoint_url, config=config)

    def _assume(self, base: boto3.Session, config: BotoConfig) -> boto3.Session:
        sts = base.client("sts", endpoint_url=self.access.endpoint_url, config=config)
        role_arn = self.access.role_arn

        def fetch() -> dict:
            creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
            expiry = creds["Expiration"]
            if isinstance(expiry, datetime):
                expiry = expiry.astimezone(timezone.utc).isoformat()
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": expiry,
            }

        # Refreshable: a long run (many groups, slow retries) outlives the
        # default one-hour session without failing half-way. The first fetch
        # happens now, so a denied AssumeRole fails before anything else.
        provider = _AssumedRole(fetch(), fetch)
        core = botocore.session.Session()
        core.get_component("credential_provider").insert_before("env", provider)
        return boto3.Session(botocore_session=core, region_name=self.access.region)

    def _sts_message(self, exc: ClientError) -> str:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in ("AccessDenied", "AccessDeniedException") and self.access.role_arn:
            return (
                f"cannot assume {self.access.role_arn}: {message or code}; the role's trust policy must allow your "
                "principal to call sts:AssumeRole (or pass --role-name/--role-arn, or --no-assume-role inside the "
                "registry account)"
            )
        if code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch"):
            return f"the AWS credentials were rejected ({code}: {message}); refresh them and re-run"
        return f"STS call failed ({code}: {message})"

    # --- SageMaker, one call each; failures become AwsError ------------------
    def describe_group(self, name: str) -> dict | None:
        """The group, or None when it does not exist."""
        try:
            return self.sagemaker.describe_model_package_group(ModelPackageGroupName=name)
        except ClientError as exc:
            if _is_missing_group(exc):
                return None
            raise AwsError(self._message(exc, "DescribeModelPackageGroup")) from None
        except BotoCoreError as exc:
            raise AwsError(self._network(exc, "DescribeModelPackageGroup")) from None

    def get_policy(self, name: str) -> str | None:
        """The group's policy text, or None when it has none."""
        try:
            return self.sagemaker.get_model_package_group_policy(ModelPackageGroupName=name)["ResourcePolicy"]
        except ClientError as exc:
            if _error(exc)[0] == "ValidationException" and _NO_POLICY in _error(exc)[1]:
                return None
            raise AwsError(self._message(exc, "GetModelPackageGroupPolicy")) from None
        except BotoCoreError as exc:
            raise AwsError(self._network(exc, "GetModelPackageGroupPolicy")) from None

    def create_group(self, name: str, description: str, tags: tuple[tuple[str, str], ...]) -> None:
        params: dict = {"ModelPackageGroupName": name}
        if description:
            params["ModelPackageGroupDescription"] = description
        if tags:
            params["Tags"] = [{"Key": k, "Value": v} for k, v in tags]
        self._write("CreateModelPackageGroup", self.sagemaker.create_model_package_group, params)

    def put_policy(self, name: str, text: str) -> None:
        self._write("PutModelPackageGroupPolicy", self.sagemaker.put_model_package_group_policy,
                    {"ModelPackageGroupName": name, "ResourcePolicy": text})

    def delete_policy(self, name: str) -> None:
        self._write("DeleteModelPackageGroupPolicy", self.sagemaker.delete_model_package_group_policy,
                    {"ModelPackageGroupName": name})

    def _write(self, operation: str, call, params: dict) -> None:
        try:
            call(**params)
        except ClientError as exc:
            raise AwsError(self._message(exc, operation)) from None
        except BotoCoreError as exc:
            raise AwsError(self._network(exc, operation, write=True)) from None

    # --- one-line messages -----------------------------------------------------
    def _message(self, exc: ClientError, operation: str) -> str:
        code, message = _error(exc)
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        if code in ("AccessDenied", "AccessDeniedException"):
            return (
                f"access denied on {operation} for {self.caller_arn}; allow sagemaker:{operation} on this group "
                "to that role in the registry account (see docs/apply.md, 'Permissions')"
            )
        if _is_missing_group(exc) or code == "ResourceNotFound":
            return f"{operation}: the group does not exist (deleted while apply ran?); re-run apply to create it"
        if code in ("ThrottlingException", "Throttling", "TooManyRequestsException"):
            return (
                f"{operation} still throttled after {attempts + 1} attempts; re-run later or raise --max-attempts"
            )
        if code == "ConflictException":
            return f"{operation}: another change to this group is in progress ({message}); re-run apply"
        if code == "ValidationException":
            return f"SageMaker rejected {operation}: {message}"
        if code in ("ExpiredToken", "ExpiredTokenException"):
            return f"{operation}: the credentials expired; refresh them and re-run"
        return f"{operation} failed ({code}: {message})"

    def _network(self, exc: BotoCoreError, operation: str, write: bool = False) -> str:
        if not isinstance(exc, _NETWORK):
            return f"{operation} failed in the AWS client: {exc}"
        tail = (
            "; the call may or may not have taken effect (each call is all-or-nothing): re-run apply --check"
            if write
            else "; nothing was changed: re-run when the endpoint is reachable"
        )
        return (
            f"network error on {operation} at {_where(self.access)} after {self.access.max_attempts} attempts: "
            f"{exc}{tail}"
        )


_NETWORK = (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, ConnectTimeoutError)


class _AssumedRole(CredentialProvider):
    """Credential provider holding the assumed role's refreshable credentials."""

    METHOD = "apply-assume-role"
    CANONICAL_NAME = "apply-assume-role"

    def __init__(self, first: dict, refresh):
        super().__init__()
        self._first = first
        self._refresh = refresh

    def load(self) -> RefreshableCredentials:
        return RefreshableCredentials.create_from_metadata(self._first, self._refresh, self.METHOD)


def _error(exc: ClientError) -> tuple[str, str]:
    error = exc.response.get("Error", {})
    return str(error.get("Code", "")), str(error.get("Message", ""))


def _is_missing_group(exc: ClientError) -> bool:
    code, message = _error(exc)
    return code == "ValidationException" and any(s in message for s in _MISSING_GROUP)
