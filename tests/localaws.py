"""A local AWS for the apply tests and ``make apply-demo``: moto's server,
plus the three SageMaker calls moto lacks, plus fault injection.

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
READ_OPERATIONS = frozenset({"DescribeModelPackageGroup", "GetModelPackageGroupPolicy", "ListModelPackageGroups",
                             "ListTags", "GetCallerIdentity"})
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

    # --- helpers for tests -------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.faults.clear()
            self.policies.clear()

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
        if service == "sagemaker" and operation in POLICY_OPERATIONS:
            result = self._policy_call(operation, params, account, region, recording_start_response)
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
        for name, member in shape.members.items():
            value = params.get(name)
            if not isinstance(value, str):
                continue
            meta = member.metadata
            if "max" in meta and len(value) > meta["max"]:
                return (f"1 validation error detected: Value at '{name[0].lower() + name[1:]}' failed to satisfy "
                        f"constraint: Member must have length less than or equal to {meta['max']}")
            if "pattern" in meta and not _matches(meta["pattern"], value):
                return (f"1 validation error detected: Value '{value}' at '{name[0].lower() + name[1:]}' failed to "
                        f"satisfy constraint: Member must satisfy regular expression pattern: {meta['pattern']}")
        return None

    def policy(self, account: str, region: str, group: str) -> str | None:
        """The stored policy text of a group (for assertions)."""
        with self.lock:
            stored = self.policies.get((account, region, group))
        return stored[1] if stored else None


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


class _QuietHandler(MotoRequestHandler):
    def log_request(self, *args, **kwargs):  # no access log on stderr
        pass


class LocalAws:
    """moto's server with :class:`PolicyCalls` in front, on 127.0.0.1:random.

    Same set-up as moto's ``ThreadedMotoServer`` (its dispatcher app and
    request handler), with the middleware wrapped around the app.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.api = PolicyCalls(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(host, port, self.api, threaded=True, request_handler=_QuietHandler)
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
