"""The only module that talks to AWS: credentials, role assumption, SageMaker.

Credentials come from the standard boto3 chain (environment, shared files,
SSO, instance or container role). The helper then assumes the role in the
registry account that ``apply.role_name`` or ``apply.role_arn`` names (no
default: without one, the credentials as they are), refreshing the
assumed credentials before they expire, and refuses to go on unless STS
GetCallerIdentity says the credentials are in the registry account. That
check also guards ``--no-assume-role``: the helper never creates groups in
an account the config does not name as the registry.

Retries are botocore's: ``standard`` mode by default (``adaptive`` on
request), which retries throttling, transient 5xx and connection errors
with exponential backoff and jitter.
"""

from __future__ import annotations

import re
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
    ProfileNotFound,
    ReadTimeoutError,
)

SESSION_NAME = "model-registry-policy-apply"
_MISSING_GROUP = ("Cannot find Model Package Group", "does not exist")
_NO_POLICY = "Cannot find resource policy"


class AwsError(Exception):
    """A failed AWS call, as one actionable line (no group name: the caller adds it).

    ``code`` is AWS's error code when there was one (callers tell AccessDenied
    apart from the rest).
    """

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Access:
    partition: str
    region: str
    registry_id: str
    endpoint_url: str | None
    role_arn: str | None  # None: use the credentials as they are
    max_attempts: int
    retry_mode: str
    profile: str | None = None  # a named profile of the AWS config files; None: the standard chain
    session_name: str = SESSION_NAME
    pool: int = 10  # HTTP connections per client: at least the number of threads sharing it


def _boto_config(access: Access) -> BotoConfig:
    return BotoConfig(
        retries={"mode": access.retry_mode, "total_max_attempts": access.max_attempts},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=max(access.pool, 10),
        user_agent_extra="model-registry-policy-apply",
    )


def _where(access: Access) -> str:
    return access.endpoint_url or f"the {access.region} endpoint"


class Connection:
    """Checked credentials: a boto3 session (the assumed role's, refreshing, when
    ``access.role_arn`` is set) and who STS GetCallerIdentity says we are.

    Shared by apply (:class:`Registry`) and the workflow commands
    (:class:`Lifecycle`): one place for profiles, role assumption, retries and
    the one-line credential errors.
    """

    def __init__(self, access: Access):
        self.access = access
        self.config = _boto_config(access)
        try:
            base = boto3.Session(region_name=access.region, profile_name=access.profile)
        except ProfileNotFound:
            raise AwsError(f"the AWS profile '{access.profile}' is not in the AWS config files") from None
        try:
            self.session = self._assume(base) if access.role_arn else base
            sts = self.session.client("sts", endpoint_url=access.endpoint_url, config=self.config)
            identity = sts.get_caller_identity()
        except NoCredentialsError:
            raise AwsError(
                "no AWS credentials found in the standard chain (AWS_PROFILE / environment / ~/.aws / SSO / "
                "instance role); log in first, e.g. `aws sso login --profile NAME` and AWS_PROFILE=NAME"
            ) from None
        except ClientError as exc:
            raise AwsError(self._sts_message(exc), _error(exc)[0]) from None
        except BotoCoreError as exc:
            raise AwsError(
                f"cannot reach STS at {_where(access)}: {exc}; check the network or --endpoint-url"
            ) from None
        self.caller_arn: str = identity["Arn"]
        self.account: str = identity["Account"]

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.access.endpoint_url, config=self.config)

    def _assume(self, base: boto3.Session) -> boto3.Session:
        sts = base.client("sts", endpoint_url=self.access.endpoint_url, config=self.config)
        role_arn = self.access.role_arn

        def fetch() -> dict:
            creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=self.access.session_name)["Credentials"]
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

class Registry:
    """SageMaker in the registry account, reached with checked credentials.

    Apply changes group policies, so it refuses credentials outside the
    registry account (``--no-assume-role`` included).
    """

    def __init__(self, access: Access):
        self.access = access
        connection = Connection(access)
        self.caller_arn = connection.caller_arn
        if connection.account != access.registry_id:
            hint = (
                "name a role in it to assume (apply.role_name in accounts.yaml, or --role-name/--role-arn), "
                "or use credentials of the registry account"
                if not access.role_arn
                else "check the role ARN"
            )
            raise AwsError(
                f"the credentials are for account {connection.account} ({self.caller_arn}), but the registry "
                f"account is {access.registry_id}; refusing to change anything: {hint}"
            )
        self.sagemaker = connection.client("sagemaker")

    # --- SageMaker, one call each; failures become AwsError ------------------
    def describe_group(self, name: str) -> dict | None:
        """The group, or None when it does not exist."""
        try:
            return self.sagemaker.describe_model_package_group(ModelPackageGroupName=name)
        except ClientError as exc:
            if _is_missing_group(exc):
                return None
            raise AwsError(self._message(exc, "DescribeModelPackageGroup"), _error(exc)[0]) from None
        except BotoCoreError as exc:
            raise AwsError(self._network(exc, "DescribeModelPackageGroup")) from None

    def get_policy(self, name: str) -> str | None:
        """The group's policy text, or None when it has none."""
        try:
            return self.sagemaker.get_model_package_group_policy(ModelPackageGroupName=name)["ResourcePolicy"]
        except ClientError as exc:
            if _error(exc)[0] == "ValidationException" and _NO_POLICY in _error(exc)[1]:
                return None
            raise AwsError(self._message(exc, "GetModelPackageGroupPolicy"), _error(exc)[0]) from None
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
            raise AwsError(self._message(exc, operation), _error(exc)[0]) from None
        except BotoCoreError as exc:
            raise AwsError(self._network(exc, operation, write=True)) from None

    # --- one-line messages -----------------------------------------------------
    def _message(self, exc: ClientError, operation: str) -> str:
        code, message = _error(exc)
        if code in _DENIED:
            return (
                f"access denied on {operation} for {self.caller_arn}; allow sagemaker:{operation} on this group "
                "to that role in the registry account (see docs/apply.md, 'Permissions')"
            )
        if _is_missing_group(exc) or code == "ResourceNotFound":
            return f"{operation}: the group does not exist (deleted while apply ran?); re-run apply to create it"
        if code == "ConflictException":
            return f"{operation}: another change to this group is in progress ({message}); re-run apply"
        return _client_message(exc, operation)

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
_DENIED = ("AccessDenied", "AccessDeniedException")
_THROTTLED = ("ThrottlingException", "Throttling", "TooManyRequestsException")


class Lifecycle:
    """SageMaker calls of the workflow commands (``status``, ``promote``).

    Groups and versions are addressed by ARN in the registry account, so the
    same calls work from inside it and, through the group policy, from a
    governance or deployment account. Reads are safe to run from many threads
    (boto3 clients are thread-safe; the session is not and is used only here).
    Throttling, 5xx and dropped connections are retried by botocore with
    exponential backoff and jitter (``standard`` retry mode,
    ``access.max_attempts`` attempts); what still fails becomes one AwsError line.
    """

    def __init__(self, access: Access):
        self.access = access
        connection = Connection(access)
        self.caller_arn = connection.caller_arn
        self.caller_account = connection.account
        self.sagemaker = connection.client("sagemaker")

    # --- reads ---------------------------------------------------------------
    def group_names(self) -> list[str]:
        """Every model package group in the caller's account (paginated)."""
        names: list[str] = []
        for page in self._pages("ListModelPackageGroups", {}, "ModelPackageGroupSummaryList"):
            names.extend(item["ModelPackageGroupName"] for item in page)
        return names

    def versions(self, group_arn: str) -> list[dict]:
        """The group's version summaries, oldest first (paginated, 100 a page)."""
        summaries: list[dict] = []
        params = {"ModelPackageGroupName": group_arn, "ModelPackageType": "Versioned",
                  "SortBy": "CreationTime", "SortOrder": "Ascending"}
        for page in self._pages("ListModelPackages", params, "ModelPackageSummaryList"):
            summaries.extend(page)
        return summaries

    def describe(self, package_arn: str) -> dict | None:
        """DescribeModelPackage, or None when the version does not exist."""
        try:
            return self.sagemaker.describe_model_package(ModelPackageName=package_arn)
        except ClientError as exc:
            code, message = _error(exc)
            if code in ("ValidationException", "ResourceNotFound") and (
                "not found" in message or "does not exist" in message
            ):
                return None
            raise AwsError(self._message(exc, "DescribeModelPackage"), code) from None
        except BotoCoreError as exc:
            raise AwsError(self._network(exc, "DescribeModelPackage")) from None

    def history(self, package_arn: str) -> list[dict]:
        """The version's ModelLifeCycle actions (ListActions, then DescribeAction each), oldest first.

        SageMaker keeps an audit trail of stage changes as lineage actions of
        type ``ModelLifeCycle`` whose source is the model package ("Invoke
        ModelLifeCycle using the AWS CLI examples",
        https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-staging-construct-cli.html).
        """
        params = {"SourceUri": package_arn, "ActionType": "ModelLifeCycle",
                  "SortBy": "CreationTime", "SortOrder": "Ascending"}
        actions: list[dict] = []
        for page in self._pages("ListActions", params, "ActionSummaries"):
            for summary in page:
                actions.append(self._call("DescribeAction", {"ActionName": summary["ActionArn"]}))
        return actions

    # --- the one write ---------------------------------------------------------
    def set_lifecycle(self, package_arn: str, stage: str, status: str, description: str,
                      approval: str | None = None) -> None:
        """UpdateModelPackage with ModelLifeCycle and, when given, the
        ModelApprovalStatus the decision implies: one all-or-nothing call
        (both are optional members of the same request: SageMaker API
        Reference, UpdateModelPackage,
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html)."""
        params = {
            "ModelPackageArn": package_arn,
            "ModelLifeCycle": {"Stage": stage, "StageStatus": status, "StageDescription": description},
        }
        if approval is not None:
            params["ModelApprovalStatus"] = approval
        self._call("UpdateModelPackage", params, write=True)

    # --- plumbing --------------------------------------------------------------
    def _pages(self, operation: str, params: dict, key: str):
        token = None
        while True:
            request = dict(params, MaxResults=100)
            if token:
                request["NextToken"] = token
            answer = self._call(operation, request)
            yield answer.get(key, [])
            token = answer.get("NextToken")
            if not token:
                return

    def _call(self, operation: str, params: dict, write: bool = False) -> dict:
        method = getattr(self.sagemaker, _snake(operation))
        try:
            return method(**params)
        except ClientError as exc:
            raise AwsError(self._message(exc, operation), _error(exc)[0]) from None
        except BotoCoreError as exc:
            raise AwsError(self._network(exc, operation, write)) from None

    def _message(self, exc: ClientError, operation: str) -> str:
        code, message = _error(exc)
        if code in _DENIED:
            return f"access denied on {operation} for {self.caller_arn}: {message or code}"
        return _client_message(exc, operation)

    def _network(self, exc: BotoCoreError, operation: str, write: bool = False) -> str:
        if not isinstance(exc, _NETWORK):
            return f"{operation} failed in the AWS client: {exc}"
        tail = (
            "; the call may or may not have taken effect (it is all-or-nothing): run status to see"
            if write
            else "; nothing was changed: re-run when the endpoint is reachable"
        )
        return (
            f"network error on {operation} at {_where(self.access)} after {self.access.max_attempts} attempts: "
            f"{exc}{tail}"
        )


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


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


def _client_message(exc: ClientError, operation: str) -> str:
    """The one-line message of a SageMaker error that apply and the workflow
    commands word the same way (throttling, validation, expired credentials)."""
    code, message = _error(exc)
    attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    if code in _THROTTLED:
        return f"{operation} still throttled after {attempts + 1} attempts; re-run later or raise --max-attempts"
    if code == "ValidationException":
        return f"SageMaker rejected {operation}: {message}"
    if code in ("ExpiredToken", "ExpiredTokenException"):
        return f"{operation}: the credentials expired; refresh them and re-run"
    return f"{operation} failed ({code}: {message})"


def _error(exc: ClientError) -> tuple[str, str]:
    error = exc.response.get("Error", {})
    return str(error.get("Code", "")), str(error.get("Message", ""))


def _is_missing_group(exc: ClientError) -> bool:
    code, message = _error(exc)
    return code == "ValidationException" and any(s in message for s in _MISSING_GROUP)
