"""A local AWS: moto's server, plus the SageMaker calls moto lacks, plus
fault injection. ``mrpolicy sandbox`` serves a user's organization with it
(generator/apply/sandbox.py); the tests, ``make apply-demo`` and ``make
workflow-demo`` run the real CLI against it.

moto is not a run-time dependency: it comes with the ``[sandbox]`` extra
(and the ``[test]`` one). Import this module only where moto is wanted;
``generator/cli/sandbox.py`` checks that it is installed first.

moto (``moto[server]``) serves SageMaker model package groups, STS and the
rest over real HTTP, but it does not implement PutModelPackageGroupPolicy,
GetModelPackageGroupPolicy or DeleteModelPackageGroupPolicy (its server
answers 500 and botocore retries). :class:`PolicyCalls` is a WSGI middleware
in front of moto's own server application that fills exactly that gap:

* It answers the three policy calls from an in-memory store, per account,
  region and group. A group is "there" only if moto's SageMaker backend
  holds it, so a policy call on a missing group fails the way SageMaker
  does. Error codes and messages are the ones the real service returns
  (``ValidationException`` "Cannot find Model Package Group: ARN" and
  "Cannot find resource policy for: ARN", the strings the Terraform AWS
  provider and the CloudFormation resource provider match on).
* It validates every request to those calls against botocore's SageMaker
  service model (required members, types, and the ``min``/``max``/``pattern``
  constraints that botocore's client-side validator skips but the service
  enforces, such as the 20,480-character ResourcePolicy), and checks that
  ResourcePolicy is JSON, as the service does.
* It records every call (service, operation, account, region, group), so
  tests count writes at the server rather than inside our code.
* It injects faults on any SageMaker operation: ThrottlingException N times,
  AccessDeniedException for one group, any other error answer, a dropped
  TCP connection, a slow response; and AccessDenied on STS calls.
* ModelLifeCycle, which moto ignores (the workflow commands, docs/workflow.md):
  CreateModelPackage and UpdateModelPackage store ``ModelLifeCycle {Stage,
  StageStatus, StageDescription}`` (validated against the service model's
  patterns and lengths) on moto's package and record the caller as
  ``LastModifiedBy``/``CreatedBy`` ``IamIdentity``; DescribeModelPackage and
  ListModelPackages return them. An UpdateModelPackage that carries only a
  ModelLifeCycle is answered here, because moto's update would clear the
  approval status and description it was not given (SageMaker keeps them);
  other updates go to moto and get back what it cleared. Each lifecycle
  change is kept as a lineage action of type ``ModelLifeCycle`` whose source
  is the package, answered by ListActions and DescribeAction; AWS documents
  that these actions exist but not their properties, so the stand-in's
  properties (Stage, StageStatus, StageDescription) are our assumption.
  ListModelPackages for one group is answered from a per-group index of
  moto's packages (moto scans every package on each call, which makes a
  100,000-version registry unusable).

* Promote by copy (docs/copy.md), two things moto lacks. CreateModelPackage
  with a ClientToken is idempotent: a second call with the same token gets
  the first call's answer. S3 object writes and deletes are checked against
  the bucket policy's Deny statements, with their conditions
  (aws:PrincipalArn, s3:if-none-match, s3:if-match,
  s3:ObjectCreationOperation), by the project's evaluator; moto's own,
  condition-blind check is turned off. Allows are not enforced (moto allows
  every call); conditional writes themselves (If-None-Match answering 412)
  are moto's.

Everything else passes through to moto untouched.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import botocore.session
from botocore.validate import ParamValidator
from moto.iam.models import get_account_id_from
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sagemaker.models import sagemaker_backends
from werkzeug.serving import make_server

POLICY_OPERATIONS = ("PutModelPackageGroupPolicy", "GetModelPackageGroupPolicy", "DeleteModelPackageGroupPolicy")
LIFECYCLE_OPERATIONS = ("CreateModelPackage", "UpdateModelPackage", "DescribeModelPackage", "ListModelPackages",
                        "ListActions", "DescribeAction", "DeleteModelPackage")
READ_OPERATIONS = frozenset({"DescribeModelPackageGroup", "GetModelPackageGroupPolicy", "ListModelPackageGroups",
                             "ListTags", "GetCallerIdentity", "DescribeModelPackage", "ListModelPackages",
                             "ListActions", "DescribeAction"})
_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/")
_JSON = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    account: str
    region: str
    group: str | None
    status: int


@dataclass
class Fault:
    """One injected fault; ``times=None`` means every matching call."""

    kind: str  # throttle | deny | error | drop | delay
    operation: str = "*"
    group: str | None = None
    times: int | None = None
    seconds: float = 0.0
    code: str = ""  # kind "error": the error code and message to answer
    message: str = ""
    service: str = "sagemaker"
    started: threading.Event = field(default_factory=threading.Event)
    hits: int = 0

    def matches(self, service: str, operation: str, group: str | None) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return self.service == service and self.operation in ("*", operation) and self.group in (None, group)


class PolicyCalls:
    """WSGI middleware: the three policy calls, request records, faults."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.policies: dict[tuple[str, str, str], tuple[object, str]] = {}
        self.model = botocore.session.get_session().get_service_model("sagemaker")
        self.actions: dict[tuple[str, str], list[dict]] = {}  # (account, region) -> ModelLifeCycle actions
        self._index: dict[tuple[str, str], tuple[int, dict[str, list]]] = {}
        self._tokens: dict[tuple[str, str, str], list] = {}  # CreateModelPackage ClientToken -> [lock, answer]

    # --- helpers for tests -------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.faults.clear()
            self.policies.clear()
            self.actions.clear()
            self._index.clear()
            self._tokens.clear()

    def inject(self, kind: str, operation: str = "*", group: str | None = None, times: int | None = None,
               seconds: float = 0.0, code: str = "", message: str = "", service: str = "sagemaker") -> Fault:
        fault = Fault(kind, operation, group, times, seconds, code, message, service)
        with self.lock:
            self.faults.append(fault)
        return fault

    def operations(self, service: str = "sagemaker") -> Counter:
        with self.lock:
            return Counter(c.operation for c in self.calls if c.service == service)

    def writes(self) -> list[Call]:
        """SageMaker calls that are not reads (whatever they answered)."""
        with self.lock:
            return [c for c in self.calls if c.service == "sagemaker" and c.operation not in READ_OPERATIONS]

    # --- WSGI ----------------------------------------------------------------
    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not match:  # moto's own API (/moto-api/reset) and unsigned calls
            return self.app(environ, start_response)
        access_key, region, service = match.groups()
        account = get_account_id_from(access_key)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        params: dict = {}
        if target:
            operation = target.rsplit(".", 1)[-1]
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
        else:
            form = parse_qs(body.decode("utf-8", "replace"))
            operation = form.get("Action", ["?"])[0]
        group = params.get("ModelPackageGroupName") if isinstance(params, dict) else None
        if isinstance(group, str) and group.startswith("arn:"):  # a group named by its ARN
            group = group.rsplit("/", 1)[-1]

        status_box: list[int] = []

        def recording_start_response(status, headers, exc_info=None):
            status_box.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        def record():
            with self.lock:
                self.calls.append(Call(service, operation, account, region, group, status_box[0] if status_box else 0))

        fault = self._fault(service, operation, group)
        if fault is not None:
            result = self._apply_fault(fault, environ, recording_start_response, account, region, operation, group)
            if result is not None:
                record()
                return result
        denied = self._s3_denied(environ, access_key, account, region) if service == "s3" else None
        if denied is not None:
            start_response("403 Forbidden", [("Content-Type", "application/xml")])
            record_status = 403
            status_box.append(record_status)
            record()
            return [(f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>"
                     f"explicit deny in the bucket policy ({denied})</Message></Error>").encode()]
        if service == "sagemaker" and operation in POLICY_OPERATIONS:
            result = self._policy_call(operation, params, account, region, recording_start_response)
        elif service == "sagemaker" and operation in LIFECYCLE_OPERATIONS:
            result = self._lifecycle_call(operation, params, environ, access_key, account, region,
                                          recording_start_response)
        else:
            result = list(self.app(environ, recording_start_response))
        record()
        return result

    def _fault(self, service: str, operation: str, group: str | None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(service, operation, group):
                    fault.hits += 1
                    return fault
        return None

    def _apply_fault(self, fault, environ, start_response, account, region, operation, group):
        fault.started.set()
        if fault.kind == "delay":
            time.sleep(fault.seconds)
            return None  # then answer normally
        if fault.kind == "throttle":
            return _error(start_response, "ThrottlingException", "Rate exceeded")
        if fault.kind == "deny" and fault.service == "sts":
            return _sts_error(start_response, "AccessDenied",
                              f"User: arn:aws:iam::{account}:user/test is not authorized to perform: sts:{operation}")
        if fault.kind == "deny":
            arn = _group_arn(account, region, group or "*")
            return _error(
                start_response, "AccessDeniedException",
                f"User: arn:aws:sts::{account}:assumed-role/apply/session is not authorized to perform: "
                f"sagemaker:{operation} on resource: {arn} because no identity-based policy allows the "
                f"sagemaker:{operation} action",
            )
        if fault.kind == "error":
            message = fault.message.replace("{arn}", _group_arn(account, region, group or ""))
            return _error(start_response, fault.code, message)
        if fault.kind == "drop":
            # A real network fault: close the TCP connection without an answer.
            # Writing the (empty) response then fails with a connection error,
            # which werkzeug treats as a dropped client.
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            start_response("500 Dropped", [("Content-Length", "0")])
            return [b""]
        raise ValueError(f"unknown fault kind {fault.kind}")

    # --- the three calls moto lacks -----------------------------------------
    def _policy_call(self, operation, params, account, region, start_response):
        problem = self._validate(operation, params)
        if problem:
            return _error(start_response, "ValidationException", problem)
        name = params["ModelPackageGroupName"]
        arn = _group_arn(account, region, name)
        group = sagemaker_backends[account][region].model_package_groups.get(name)
        if group is None:
            return _error(start_response, "ValidationException", f"Cannot find Model Package Group: {arn}")
        key = (account, region, name)
        with self.lock:
            stored = self.policies.get(key)
            if stored is not None and stored[0] is not group:  # the group was deleted and re-created
                del self.policies[key]
                stored = None
            if operation == "PutModelPackageGroupPolicy":
                try:
                    json.loads(params["ResourcePolicy"])
                except ValueError:
                    return _error(start_response, "ValidationException", "Invalid resource policy: not valid JSON")
                self.policies[key] = (group, params["ResourcePolicy"])
                return _ok(start_response, {"ModelPackageGroupArn": arn})
            if stored is None:
                return _error(start_response, "ValidationException", f"Cannot find resource policy for: {arn}")
            if operation == "GetModelPackageGroupPolicy":
                return _ok(start_response, {"ResourcePolicy": stored[1]})
            del self.policies[key]
            return _ok(start_response, {})

    def _validate(self, operation: str, params: dict) -> str | None:
        shape = self.model.operation_model(operation).input_shape
        report = ParamValidator().validate(params, shape)
        if report.has_errors():
            return report.generate_report()
        return _constraints(shape, params, "")

    # --- ModelLifeCycle (moto ignores it) -------------------------------------------
    def _lifecycle_call(self, operation, params, environ, access_key, account, region, start_response):
        backend = sagemaker_backends[account][region]
        if operation in ("CreateModelPackage", "UpdateModelPackage"):
            problem = self._validate(operation, params)
            if problem:
                return _error(start_response, "ValidationException", problem)
        if operation == "ListModelPackages" and params.get("ModelPackageGroupName") and not any(
                params.get(k) for k in ("NameContains", "CreationTimeAfter", "CreationTimeBefore")):
            return self._list_packages(backend, account, region, params, start_response)
        if operation == "ListActions":
            return self._list_actions(account, region, params, start_response)
        if operation == "DescribeAction":
            return self._describe_action(account, region, params, start_response)
        if operation == "DescribeModelPackage":
            package = _package(backend, params.get("ModelPackageName", ""))
            if package is not None:  # answered here: moto's dispatch costs more than the call itself
                return _ok(start_response, _described(package))
        token = params.get("ClientToken") if operation == "CreateModelPackage" else None
        if isinstance(token, str) and token:
            return self._idempotent_create(token, params, environ, access_key, account, region, start_response)
        caller = _caller_arn(access_key, account, region)
        if operation == "UpdateModelPackage":
            package = _package(backend, params.get("ModelPackageArn", ""))
            if package is not None and set(params) <= {"ModelPackageArn", "ModelLifeCycle", "ClientToken"}:
                self._set_lifecycle(package, params.get("ModelLifeCycle"), caller, account, region)
                package.last_modified_time = _now()
                package.last_modified_by = _iam(caller)
                return _ok(start_response, {"ModelPackageArn": package.arn})
            kept = _kept_fields(package, params)
            status, headers, body = self._pass(environ)
            if package is not None and status.startswith("200"):
                for name, value in kept.items():
                    setattr(package, name, value)
                package.last_modified_by = _iam(caller)
                self._set_lifecycle(package, params.get("ModelLifeCycle"), caller, account, region)
            start_response(status, headers)
            return [body]
        status, headers, body = self._pass(environ)
        if not status.startswith("200"):
            start_response(status, headers)
            return [body]
        answer = json.loads(body or b"{}")
        if operation == "CreateModelPackage":
            package = _package(backend, answer.get("ModelPackageArn", ""))
            if package is not None:
                package.created_by = _iam(caller)
                self._set_lifecycle(package, params.get("ModelLifeCycle"), caller, account, region)
            with self.lock:
                self._index.pop((account, region), None)
        elif operation == "DeleteModelPackage":
            with self.lock:
                self._index.pop((account, region), None)
        elif operation == "DescribeModelPackage":
            package = _package(backend, answer.get("ModelPackageArn", ""))
            life = getattr(package, "model_life_cycle", None)
            if life:
                answer["ModelLifeCycle"] = life
            if package is not None and package.last_modified_by is None:
                answer.pop("LastModifiedBy", None)
        elif operation == "ListModelPackages":
            for item in answer.get("ModelPackageSummaryList", []):
                life = getattr(_package(backend, item.get("ModelPackageArn", "")), "model_life_cycle", None)
                if life:
                    item["ModelLifeCycle"] = life
        return _ok(start_response, answer)

    def _idempotent_create(self, token, params, environ, access_key, account, region, start_response):
        """CreateModelPackage with a ClientToken, which moto ignores: "A unique
        token that guarantees that the call to this API is idempotent"
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html).
        A second call with the same token, concurrent or later, gets the
        first call's answer and creates nothing (the calls are serialized per
        token). AWS does not document how long a token is remembered or
        what a reuse with other parameters answers; this stand-in remembers
        it for the server's life and answers the first result either way."""
        key = (account, region, token)
        with self.lock:
            gate = self._tokens.setdefault(key, [threading.Lock(), None])
        with gate[0]:
            if gate[1] is not None:
                return _ok(start_response, gate[1])
            box: list = []

            def capture(status, headers, exc_info=None):
                box.append((status, headers))
                return start_response(status, headers, exc_info)

            params = {k: v for k, v in params.items() if k != "ClientToken"}
            body = json.dumps(params).encode()
            environ = dict(environ, CONTENT_LENGTH=str(len(body)))
            environ["wsgi.input"] = io.BytesIO(body)
            result = self._lifecycle_call("CreateModelPackage", params, environ, access_key, account, region, capture)
            chunks = list(result)
            if box and box[0][0].startswith("200"):
                gate[1] = json.loads(b"".join(chunks) or b"{}")
            return chunks

    def _s3_denied(self, environ, access_key, account, region) -> str | None:
        """The Deny statements of the bucket's policy, for object writes and
        deletes: moto stores a bucket policy but never evaluates it. Only
        Denies are enforced here (moto allows every call, so Allows are
        moot), with the project's evaluator and the request context S3
        gives these keys: aws:PrincipalArn, s3:if-none-match, s3:if-match,
        s3:ObjectCreationOperation (the API name of the object write,
        S3 user guide, "Enforce conditional writes on Amazon S3 buckets")."""
        method = environ.get("REQUEST_METHOD", "")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        path = environ.get("PATH_INFO", "")
        bucket, _, key = path.lstrip("/").partition("/")  # path-style: the server is 127.0.0.1
        if not bucket or not key:
            return None
        if method == "PUT" and "partNumber" in query:
            action, operation = "s3:PutObject", ("UploadPartCopy" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "UploadPart")
        elif method == "PUT" and not any(q in query for q in ("tagging", "acl", "retention", "legal-hold")):
            action, operation = "s3:PutObject", ("CopyObject" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "PutObject")
        elif method == "POST" and "uploads" in query:
            action, operation = "s3:PutObject", "CreateMultipartUpload"
        elif method == "POST" and "uploadId" in query:
            action, operation = "s3:PutObject", "CompleteMultipartUpload"
        elif method == "DELETE" and "uploadId" not in query:
            action, operation = ("s3:DeleteObjectVersion" if "versionId" in query else "s3:DeleteObject"), None
        else:
            return None
        from moto.s3.models import s3_backends

        from generator.analysis.evaluate import Request, statement_applies

        owner = s3_backends.bucket_accounts.get(bucket)
        found = s3_backends[owner[1]][owner[0]].buckets.get(bucket) if owner else None
        policy = getattr(found, "policy", None)
        if not policy:
            return None
        document = json.loads(policy)
        caller = _caller_arn(access_key, account, region)
        principal = _principal_arn(caller)
        context = {"aws:PrincipalArn": principal, "aws:PrincipalAccount": account,
                   "aws:SecureTransport": "true"}
        if operation:
            context["s3:ObjectCreationOperation"] = operation
        for header, name in (("HTTP_IF_NONE_MATCH", "s3:if-none-match"), ("HTTP_IF_MATCH", "s3:if-match")):
            if environ.get(header):
                context[name] = environ[header]
        request = Request(principal, action, f"arn:aws:s3:::{bucket}/{key}", context)
        for stmt in document.get("Statement", []):
            if stmt.get("Effect") == "Deny" and statement_applies(stmt, request, True):
                return stmt.get("Sid", "")
        return None

    def _pass(self, environ) -> tuple[str, list, bytes]:
        box: list = []

        def capture(status, headers, exc_info=None):
            box.append((status, headers))

        body = b"".join(self.app(environ, capture))
        status, headers = box[0]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        return status, headers, body

    def _set_lifecycle(self, package, life, caller, account, region) -> None:
        if not life:
            return
        life = {k: life[k] for k in ("Stage", "StageStatus", "StageDescription") if k in life}
        package.model_life_cycle = life
        now = _now()
        name = f"model-life-cycle-{uuid.uuid4().hex[:24]}"
        action = {
            "ActionName": name,
            "ActionArn": f"arn:aws:sagemaker:{region}:{account}:action/{name}",
            "Source": {"SourceUri": package.arn, "SourceType": "ModelPackage"},
            "ActionType": "ModelLifeCycle",
            "Status": "Completed",
            "Properties": dict(life),
            "CreationTime": now.timestamp(),
            "LastModifiedTime": now.timestamp(),
            "CreatedBy": _iam(caller),
            "LastModifiedBy": _iam(caller),
        }
        with self.lock:
            self.actions.setdefault((account, region), []).append(action)

    def _packages_by_group(self, backend, account, region) -> dict[str, list]:
        with self.lock:
            cached = self._index.get((account, region))
            if cached is not None and cached[0] == len(backend.model_packages):
                return cached[1]
            index: dict[str, list] = {}
            for package in list(backend.model_packages.values()):
                if package.model_package_group_name and package.model_package_version is not None:
                    index.setdefault(package.model_package_group_name, []).append(package)
            for packages in index.values():
                packages.sort(key=lambda p: (p.creation_time, p.model_package_version))
            self._index[(account, region)] = (len(backend.model_packages), index)
            return index

    def _list_packages(self, backend, account, region, params, start_response):
        problem = self._validate("ListModelPackages", params)
        if problem:
            return _error(start_response, "ValidationException", problem)
        name = params["ModelPackageGroupName"].rsplit("/", 1)[-1]
        packages = list(self._packages_by_group(backend, account, region).get(name, []))
        if params.get("ModelApprovalStatus"):
            packages = [p for p in packages if p.model_approval_status == params["ModelApprovalStatus"]]
        if params.get("SortBy") == "Name":
            packages.sort(key=lambda p: p.arn)
        if params.get("SortOrder") == "Descending":
            packages.reverse()
        page, token = _page(packages, params)
        summaries = []
        for p in page:
            item = {"ModelPackageGroupName": p.model_package_group_name, "ModelPackageVersion": p.model_package_version,
                    "ModelPackageArn": p.arn, "CreationTime": p.creation_time.timestamp(),
                    "ModelPackageStatus": p.model_package_status}
            if p.model_package_description:
                item["ModelPackageDescription"] = p.model_package_description
            if p.model_approval_status:
                item["ModelApprovalStatus"] = p.model_approval_status
            if getattr(p, "model_life_cycle", None):
                item["ModelLifeCycle"] = p.model_life_cycle
            summaries.append(item)
        answer = {"ModelPackageSummaryList": summaries}
        if token:
            answer["NextToken"] = token
        return _ok(start_response, answer)

    def _list_actions(self, account, region, params, start_response):
        problem = self._validate("ListActions", params)
        if problem:
            return _error(start_response, "ValidationException", problem)
        with self.lock:
            actions = list(self.actions.get((account, region), []))
        if params.get("SourceUri"):
            actions = [a for a in actions if a["Source"]["SourceUri"] == params["SourceUri"]]
        if params.get("ActionType"):
            actions = [a for a in actions if a["ActionType"] == params["ActionType"]]
        if params.get("SortOrder") == "Descending":
            actions.reverse()
        page, token = _page(actions, params)
        keys = ("ActionArn", "ActionName", "Source", "ActionType", "Status", "CreationTime", "LastModifiedTime")
        answer = {"ActionSummaries": [{k: a[k] for k in keys} for a in page]}
        if token:
            answer["NextToken"] = token
        return _ok(start_response, answer)

    def _describe_action(self, account, region, params, start_response):
        wanted = params.get("ActionName", "")
        with self.lock:
            found = next((a for a in self.actions.get((account, region), [])
                          if wanted in (a["ActionName"], a["ActionArn"])), None)
        if found is None:
            return _error(start_response, "ResourceNotFound", f"Action {wanted} does not exist.")
        return _ok(start_response, found)

    def policy(self, account: str, region: str, group: str) -> str | None:
        """The stored policy text of a group (for assertions)."""
        with self.lock:
            stored = self.policies.get((account, region, group))
        return stored[1] if stored else None


def _constraints(shape, value, path: str) -> str | None:
    """The min/max/pattern constraints botocore's client skips, through nested structures."""
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                problem = _constraints(member, value[name], f"{path}.{name[0].lower() + name[1:]}".lstrip("."))
                if problem:
                    return problem
        return None
    if not isinstance(value, str):
        return None
    meta = shape.metadata
    if "max" in meta and len(value) > meta["max"]:
        return (f"1 validation error detected: Value at '{path}' failed to satisfy "
                f"constraint: Member must have length less than or equal to {meta['max']}")
    if "pattern" in meta and not _matches(meta["pattern"], value):
        return (f"1 validation error detected: Value '{value}' at '{path}' failed to "
                f"satisfy constraint: Member must satisfy regular expression pattern: {meta['pattern']}")
    return None


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def _caller_arn(access_key: str, account: str, region: str) -> str:
    """Who moto's STS says the access key is (an assumed role's ARN, or moto's default user)."""
    from moto.sts.models import sts_backends

    return sts_backends[account]["global"].get_caller_identity(access_key, region)[1]


def _principal_arn(caller: str) -> str:
    """aws:PrincipalArn of a caller: an assumed role's session ARN names its role."""
    match = re.fullmatch(r"arn:([^:]+):sts::([0-9]{12}):assumed-role/([^/]+)/.*", caller)
    return f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}" if match else caller


def _iam(arn: str) -> dict:
    """A UserContext as SageMaker records it for an IAM caller."""
    return {"IamIdentity": {"Arn": arn, "PrincipalId": "AROA" + uuid.uuid5(uuid.NAMESPACE_URL, arn).hex[:17].upper()}}


def _described(package) -> dict:
    """DescribeModelPackage's answer for a package moto holds, with the lifecycle moto ignores."""
    answer = {}
    for key, value in package.gen_response_object().items():
        answer[key] = value.timestamp() if hasattr(value, "timestamp") else value
    if getattr(package, "model_life_cycle", None):
        answer["ModelLifeCycle"] = package.model_life_cycle
    return answer


def _package(backend, arn: str):
    key = backend.model_package_name_mapping.get(arn, arn)
    return backend.model_packages.get(key)


# Fields moto's UpdateModelPackage overwrites with None when the request leaves them out.
_UPDATE_FIELDS = {"ModelApprovalStatus": "model_approval_status", "ApprovalDescription": "approval_description",
                  "CustomerMetadataProperties": "customer_metadata_properties"}


def _kept_fields(package, params) -> dict:
    if package is None:
        return {}
    return {attr: getattr(package, attr) for key, attr in _UPDATE_FIELDS.items() if key not in params}


def _page(items: list, params: dict) -> tuple[list, str | None]:
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or 100)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value, re.DOTALL) is not None
    except re.error:  # e.g. \p{L} (Java regex): Python's re cannot check it; let it pass
        return True


def _group_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:model-package-group/{name}"


def _ok(start_response, payload: dict):
    data = json.dumps(payload).encode()
    start_response("200 OK", [("Content-Type", _JSON), ("Content-Length", str(len(data))),
                              ("x-amzn-RequestId", str(uuid.uuid4()))])
    return [data]


def _error(start_response, code: str, message: str):
    data = json.dumps({"__type": code, "message": message}).encode()
    start_response("400 Bad Request", [("Content-Type", _JSON), ("Content-Length", str(len(data))),
                                       ("x-amzn-RequestId", str(uuid.uuid4()))])
    return [data]


def _sts_error(start_response, code: str, message: str):
    """STS speaks the query protocol: errors are XML."""
    data = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
        "</ErrorResponse>"
    ).encode()
    start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
    return [data]


def _bucket_policies_by_middleware() -> None:
    """moto evaluates a bucket policy's Deny statements on object requests
    without their conditions (a Deny conditioned on an encryption header
    denies every upload); :meth:`PolicyCalls._s3_denied` evaluates them with
    their conditions instead, so moto's own check is turned off in this
    process (moto's FakeBucket.get_permission answers "neither")."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    FakeBucket.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL


class _QuietHandler(MotoRequestHandler):
    def log_request(self, *args, **kwargs):  # no access log on stderr
        pass


class LocalAws:
    """moto's server with :class:`PolicyCalls` in front, on 127.0.0.1:random.

    Same set-up as moto's ``ThreadedMotoServer`` (its dispatcher app and
    request handler), with the middleware wrapped around the app.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        _bucket_policies_by_middleware()
        self.api = PolicyCalls(DomainDispatcherApplication(create_backend_app))
        # Bound here, not by werkzeug: on a taken port werkzeug prints and
        # calls sys.exit(1); this raises OSError, for the caller to word.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(128)
            self._server = make_server(host, port, self.api, threaded=True, request_handler=_QuietHandler,
                                       fd=listener.fileno())  # werkzeug keeps a duplicate of it
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LocalAws":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def reset(self) -> None:
        """Forget every resource (moto's reset API) and every policy, call and fault."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")).read()
        self.api.reset()

    def __enter__(self) -> "LocalAws":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
