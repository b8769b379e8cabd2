"""The rendered policies of one config, queried the way AWS would evaluate them.

``PolicySet.decide(role_arn, action, resource, context)`` finds the identity
policies attached to the role (from the manifest; wildcard role entries
match by pattern) and the registry resource policy that governs
``resource``, then evaluates both halves with :mod:`generator.analysis.evaluate`.
Tests, the governance report and ``explain`` share this one resolver.

A principal outside the rendered set (a role in another account whose
identity policy this tool does not render: an unlisted role, an account
not in accounts.yaml) has an unknown identity policy. As IAM Access
Analyzer does for external access, it is assumed to allow everything, so
the registry's resource policies alone decide (IAM User Guide, "IAM Access
Analyzer findings", https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html:
a finding for each resource-based policy that grants access to a principal
outside the zone of trust, judged from the resource policy). Roles of the registry account itself are governed by its own
IAM, which is not rendered either: they are evaluated with no identity
policy, i.e. what the resource policies alone grant them.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

from generator import events, kinds
from generator.analysis.evaluate import Decision, Match, Policy, Request, compile_statement, decide, glob_match, matching_statements, statement_applies, with_defaults


UNKNOWN_IDENTITY_SOURCE = "(not rendered: unknown, assumed to allow)"
UNKNOWN_IDENTITY_SID = "UnknownIdentityPolicy"
UNKNOWN_IDENTITY = Policy({"Statement": [{"Sid": UNKNOWN_IDENTITY_SID, "Effect": "Allow", "Action": "*", "Resource": "*"}]})


def account_of(role_arn: str) -> str:
    return role_arn.split(":")[4]


def access_point_condition(stmt: dict) -> bool:
    """A positive condition on s3:DataAccessPoint* keys: such a statement never
    applies to a request made on the bucket directly (S3 sets the keys only on
    requests through an access point)."""
    condition = stmt.get("Condition")
    for operator, keys in (condition.items() if isinstance(condition, dict) else ()):
        base = operator.split(":")[-1]
        if operator.startswith("ForAllValues") or base.endswith("IfExists") or base == "Null" or "Not" in base:
            continue
        if isinstance(keys, dict) and any(k.lower().startswith("s3:dataaccesspoint") for k in keys):
            return True
    return False


class ActionIndex:
    """A policy's statements by action, built once per policy: only the
    statements whose Action can match a request are evaluated for it (the
    others cannot apply to it, so the decision is the same)."""

    def __init__(self, document):
        statements = document.get("Statement") if isinstance(document, dict) else None
        statements = statements if isinstance(statements, list) else [statements] if statements else []
        self.exact: dict[str, list[int]] = {}
        self.patterns: list[tuple[str, int]] = []
        self.always: list[int] = []  # no Action (NotAction, malformed): the evaluator decides
        self.statements = statements
        for i, stmt in enumerate(statements):
            actions = stmt.get("Action") if isinstance(stmt, dict) else None
            if actions is None:
                self.always.append(i)
                continue
            for action in actions if isinstance(actions, list) else [actions]:
                action = str(action)
                if "*" in action or "?" in action:
                    self.patterns.append((action, i))
                else:
                    self.exact.setdefault(action.lower(), []).append(i)
        self._cache: dict[str, dict] = {}
        self._compiled: dict[int, object] = {}
        self._allow_cache: dict[str, dict | None] = {}
        self._allows = frozenset(i for i, s in enumerate(statements) if isinstance(s, dict) and s.get("Effect") == "Allow")

    def _compiled_at(self, index: int):
        """Statement ``index`` parsed once for every reduced policy that holds it."""
        found = self._compiled.get(index)
        if found is None:
            found = self._compiled[index] = compile_statement(self.statements[index])
        return found

    def reduced(self, action: str) -> dict:
        """The policy with only the statements that may apply to ``action``."""
        found = self._cache.get(action)
        if found is None:
            ordered = self._indexes((action,))
            found = self._cache[action] = Policy({"Statement": [self.statements[i] for i in ordered]},
                                                 parse=lambda: [self._compiled_at(i) for i in ordered])
        return found

    def _indexes(self, actions) -> list[int]:
        """Positions, in document order, of the statements that may apply to one of ``actions``."""
        indexes = set(self.always)
        for action in actions:
            indexes.update(self.exact.get(action.lower(), ()))
        indexes |= {i for pattern, i in self.patterns if i not in indexes
                    and any(glob_match(pattern, action, case_sensitive=False) for action in actions)}
        return sorted(indexes)

    def statements_for(self, actions) -> list:
        """The statements that may apply to one of ``actions`` (those of
        every :meth:`reduced` of them), in document order, without building
        a reduced policy per action."""
        return [self.statements[i] for i in self._indexes(actions)]

    def for_action(self, action: str) -> dict | None:
        """:meth:`reduced`, or None when no Allow statement can apply."""
        found = self._allow_cache.get(action, 0)
        if found == 0:
            allows = self._allows
            if not any(i in allows for i in self.exact.get(action.lower(), ())) and allows.isdisjoint(self.always) \
                    and not any(i in allows and glob_match(p, action, case_sensitive=False) for p, i in self.patterns):
                self._allow_cache[action] = None  # no Allow statement names the action: nothing to reduce
                return None
            reduced = self.reduced(action)
            found = self._allow_cache[action] = reduced if any(
                isinstance(s, dict) and s.get("Effect") == "Allow" for s in reduced["Statement"]) else None
        return found


# Per-group kinds: each is read for its own column of the matrix, so a large
# organization's (tens of thousands) are parsed again when asked for instead
# of all being kept in memory (generator.analysis.policyfile checked them all first).
ON_DEMAND_KINDS = kinds.names(lambda kind: kind.many)
_TRUST_KINDS = kinds.names(lambda kind: kind.role == kinds.TRUST)
ON_DEMAND_KEPT = 512  # the most recently used on-demand documents kept parsed


def _kept(kind: str) -> bool:
    return kind not in ON_DEMAND_KINDS


class _Docs(Mapping):
    """Parsed documents: most kept, the per-group kinds (ON_DEMAND_KINDS)
    kept as their checked text, compressed, and parsed again when asked for
    (the last few hundred kept parsed)."""

    def __init__(self, read: dict):
        from collections import OrderedDict

        self.kept = {p: d for p, d in read.items() if not isinstance(d, bytes)}
        self.compressed = {p: d for p, d in read.items() if isinstance(d, bytes)}
        self.on_demand = frozenset(self.compressed)
        self.recent: OrderedDict = OrderedDict()

    def __getitem__(self, path: str):
        found = self.kept.get(path)
        if found is not None:
            return found
        found = self.recent.get(path)
        if found is None:
            found = self.recent[path] = json.loads(zlib.decompress(self.compressed[path]))
            if len(self.recent) > ON_DEMAND_KEPT:
                self.recent.popitem(last=False)
        else:
            self.recent.move_to_end(path)
        return found

    def __iter__(self):
        yield from self.kept
        yield from self.compressed

    def __len__(self) -> int:
        return len(self.kept) + len(self.compressed)


class _Files(Mapping):
    """The rendered files of a directory, read when asked for (not kept);
    the manifest is the checked entries the reader returned."""

    def __init__(self, out: Path, entries: list[dict]):
        self.out, self.entries = out, entries
        self.paths = {"manifest.json": None, **dict.fromkeys(e["path"] for e in entries)}

    def __getitem__(self, path: str) -> str:
        if path not in self.paths:
            raise KeyError(path)
        if path == "manifest.json":
            return json.dumps({"policies": self.entries})
        from generator.analysis.policyfile import read_text

        return read_text(self.out, path)

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


class PolicyIndex:
    """Which manifest entry governs a request: resolution only, no documents.

    Built from manifest entries (dicts with kind, target, path, account_id);
    the lint prober uses it on its own parsed files.
    """

    def __init__(self, entries: list[dict]):
        by_kind: dict[str, list[dict]] = {}
        for entry in entries:
            by_kind.setdefault(entry["kind"], []).append(entry)
        def governing(resource_type: str) -> list[dict]:
            return by_kind.get(kinds.governing(resource_type).name, [])

        self.bucket = governing("bucket")[0]
        self.key = governing("key")[0]
        self.groups = {e["target"]: e for e in governing("model-package-group")}
        # registration: copy: development accounts' local groups (docs/copy.md).
        self.local_groups = {e["target"]: e for e in governing("local-model-package-group")}
        self.access_points = {e["target"]: e for e in governing("accesspoint")}
        self.repositories = {e["target"]: e for e in governing("repository")}
        # A receiving account's bus policy: the resource half of the rule
        # role's events:PutEvents (docs/events.md).
        self.buses = {e["target"]: e for e in governing("event-bus")}
        self.roles = by_kind.get(kinds.one(role=kinds.IDENTITY).name, [])
        # Role trust policies (deploy_role): the resource policy of sts:AssumeRole on the role.
        self.trusts = {e["target"]: e for e in governing("role")}
        self.registry_id = self.bucket["account_id"]
        self.bucket_arn = self.bucket["target"]
        self.partition = self.key["target"].split(":")[1]
        self.region = self.key["target"].split(":")[3]
        self.alias = self.key["target"].split(":", 5)[5]

    def identity_entries(self, role_arn: str) -> list[dict]:
        """The identity policies the manifest attaches to the role (wildcard
        entries match by pattern), indexed by account once."""
        index = self.__dict__.get("_roles_by_account")
        if index is None:
            index = {}
            for e in self.roles:
                parts = e["target"].split(":")
                account = parts[4] if len(parts) > 4 and not any(c in parts[4] for c in "*?") else "*"
                index.setdefault(account, []).append(e)
            self.__dict__["_roles_by_account"] = index
        account = role_arn.split(":")[4] if role_arn.count(":") >= 4 else ""
        candidates = index.get(account, []) + index.get("*", [])
        if index.get("*") and index.get(account):
            order = {id(e): i for i, e in enumerate(self.roles)}
            candidates.sort(key=lambda e: order[id(e)])
        return [e for e in candidates if glob_match(e["target"], role_arn)]

    def identity_unknown(self, role_arn: str) -> bool:
        """A role in another account whose identity policy is not rendered."""
        return account_of(role_arn) != self.registry_id and not self.identity_entries(role_arn)

    def resource_account(self, resource: str) -> str:
        """The account that owns ``resource``: the ARN's account field (a
        workload account's role or SageMaker model), else the registry
        (S3 ARNs carry no account)."""
        parts = resource.split(":")
        return parts[4] if len(parts) > 5 and parts[4] else self.registry_id

    def access_point_of(self, resource: str) -> tuple[str, str] | None:
        """(access point ARN, underlying bucket ARN) for a request made
        through one of the registry's access points, else None."""
        marker = f":s3:{self.region}:{self.registry_id}:accesspoint/"
        if marker not in resource:
            return None
        head, _, rest = resource.partition(marker)
        name, _, tail = rest.partition("/")
        key = tail[len("object/"):] if tail.startswith("object/") else None
        underlying = self.bucket_arn if key is None else f"{self.bucket_arn}/{key}"
        return f"{head}{marker}{name}", underlying

    def resource_entry(self, resource: str) -> dict | None:
        """The manifest entry of the policy that governs ``resource``: a
        registry resource policy, or a role's trust policy."""
        if ":iam::" in resource:
            return self.trusts.get(resource)
        point = self.access_point_of(resource)
        if point:
            return self.access_points.get(point[0])
        if resource == self.bucket_arn or resource.startswith(self.bucket_arn + "/"):
            return self.bucket
        if f":kms:{self.region}:{self.registry_id}:" in resource:
            return self.key
        if f":ecr:{self.region}:{self.registry_id}:repository/" in resource:
            return self.repositories.get(resource)
        if ":events:" in resource and ":event-bus/" in resource:
            return self.buses.get(resource)
        local = re.fullmatch(rf"(arn:[^:]+:sagemaker:{re.escape(self.region)}:([0-9]{{12}}):)"
                             r"model-package(?:-group)?/([^/]+)(?:/.*)?", resource)
        if local and local[2] != self.registry_id:
            return self.local_groups.get(f"{local[1]}model-package-group/{local[3]}")
        sagemaker = f":sagemaker:{self.region}:{self.registry_id}:"
        if sagemaker in resource:
            prefix, _, rest = resource.partition(sagemaker)
            for kind in ("model-package-group/", "model-package/"):
                if rest.startswith(kind):
                    group = rest[len(kind):].split("/")[0]
                    return self.groups.get(f"{prefix}{sagemaker}model-package-group/{group}")
        return None


def _assumes_a_role(action: str, resource: str) -> bool:
    return action.lower() == "sts:assumerole" and ":iam::" in resource and ":role/" in resource


class PolicySet(PolicyIndex):
    def __init__(self, files: Mapping[str, str], docs: dict[str, dict] | None = None):
        self.files = files
        self.manifest: list[dict] = json.loads(files["manifest.json"])["policies"]
        self.docs: Mapping[str, dict] = docs if docs is not None else {
            e["path"]: json.loads(files[e["path"]]) for e in self.manifest}
        self._indexes: dict[str, ActionIndex] = {}
        self._recent_indexes: OrderedDict[str, ActionIndex] = OrderedDict()
        super().__init__(self.manifest)

    @classmethod
    def from_dir(cls, out: Path, visitor=None, parallel: bool | None = None) -> "PolicySet":
        """Read a rendered directory with the shared reader (generator.analysis.policyfile):
        one path rule, and a malformed file is a PolicyInputError, never a
        traceback. Every policy is parsed once; the texts are read again
        only if asked for. ``visitor`` sees each document as it is read (the
        report notes who the policies name); ``parallel``: see read_policies."""
        return cls.begin(out, visitor, parallel).finish()

    @classmethod
    def begin(cls, out: Path, visitor=None, parallel: bool | None = None, share: float = 0.5) -> "BegunPolicySet":
        """:meth:`from_dir` begun (a second process, when the render is large,
        already reading its ``share``, see policyfile.Reading); ``.finish()``
        is the PolicySet, ``.cancel()`` stops the second process when the
        caller fails first."""
        from generator.analysis.evaluate import evaluates
        from generator.analysis.policyfile import Reading

        return BegunPolicySet(cls, Path(out), Reading(Path(out), evaluates, keep=_kept, visitor=visitor,
                                                      parallel=parallel, share=share))

    def reduced(self, path: str, action: str) -> dict:
        """The policy at ``path`` with only the statements that may apply to ``action``."""
        index = self._indexes.get(path)
        if index is None:
            if path in getattr(self.docs, "on_demand", ()):
                # An on-demand document's index is kept like the document: the
                # most recent few hundred.
                index = self._recent_indexes.get(path)
                if index is None:
                    index = self._recent_indexes[path] = ActionIndex(self.docs[path])
                    if len(self._recent_indexes) > ON_DEMAND_KEPT:
                        self._recent_indexes.popitem(last=False)
                return index.reduced(action)
            index = self._indexes[path] = ActionIndex(self.docs[path])
        return index.reduced(action)

    def identity_policies(self, role_arn: str) -> list[dict]:
        return [self.docs[e["path"]] for e in self.identity_entries(role_arn)]

    def resource_policy(self, resource: str) -> dict | None:
        entry = self.resource_entry(resource)
        return self.governing_document(entry) if entry else None

    def governing_document(self, entry: dict, action: str | None = None, *, whole: bool = True) -> dict:
        """A policy as evaluated for requests on its target (only the
        statements that may apply to ``action`` unless ``whole``). A trust
        policy has no Resource element: it applies to its role, so the
        evaluator is given the role as each statement's Resource."""
        doc = self.docs[entry["path"]] if whole or action is None else self.reduced(entry["path"], action)
        if entry["kind"] not in _TRUST_KINDS:
            return doc
        return {**doc, "Statement": [{**stmt, "Resource": entry["target"]} for stmt in doc.get("Statement", [])]}

    def normal_context(self, role_arn: str, resource: str, org: str | None) -> dict:
        """A TLS request from inside the organization, with the keys AWS sets."""
        context: dict = {"aws:SecureTransport": "true", "aws:PrincipalArn": role_arn}
        if org:
            context["aws:PrincipalOrgID"] = org
        if resource.startswith(self.bucket_arn) or self.access_point_of(resource):
            context["aws:ResourceAccount"] = self.registry_id
        if ":kms:" in resource:
            context["kms:ResourceAliases"] = [self.alias]
        if resource in self.buses:
            # A receiver's bus is sent the registry's model package events by
            # a rendered rule (docs/events.md): the normal request is one of
            # those, forwarded by a rule of the registry account.
            context["events:source"] = [events.SOURCE]
            context["events:detail-type"] = [events.DETAIL_TYPE]
            rule = self._a_rule()
            if rule:
                context["aws:SourceArn"] = rule
        return context

    def _a_rule(self) -> str | None:
        """A rendered rule of the registry's default bus (the first by ARN), if any."""
        prefix = f"arn:{self.partition}:events:{self.region}:{self.registry_id}:rule/"
        rules = sorted(e["target"] for e in self.manifest if str(e.get("target", "")).startswith(prefix))
        return rules[0] if rules else None

    def request_context(self, role_arn: str, resource: str, context: dict | None, org: str | None) -> dict:
        """The normal context with ``context`` laid over it (None removes a key)."""
        full = self.normal_context(role_arn, resource, org)
        full.update(context or {})
        return {k: v for k, v in full.items() if v is not None}

    def decide(
        self,
        role_arn: str,
        action: str,
        resource: str,
        context: dict | None = None,
        *,
        identity: list[dict] | None = None,
        identity_sources: list[str] | None = None,
        org: str | None = None,
    ) -> Decision:
        """Evaluate one request; ``context`` overrides the normal context
        (a value of None removes a key); ``identity`` replaces the role's
        identity policies (to test a copied or missing policy) and
        ``identity_sources`` names them. ``Decision.matches`` names the file
        of every statement that applied. Without ``identity``, a role
        outside the rendered set has an unknown identity policy (see the
        module docstring) and ``Decision.identity_unknown`` is set."""
        full = self.request_context(role_arn, resource, context, org)
        unknown = False
        if identity is None:
            entries = self.identity_entries(role_arn)
            policies = [self.reduced(e["path"], action) for e in entries]
            names = [e["path"] for e in entries]
            if not entries and account_of(role_arn) != self.registry_id:
                unknown, policies, names = True, [UNKNOWN_IDENTITY], [UNKNOWN_IDENTITY_SOURCE]
        else:
            policies = identity
            names = identity_sources or [f"supplied identity policy {i + 1}" for i in range(len(identity))]
        entry = self.resource_entry(resource)
        if entry and entry["kind"] in _TRUST_KINDS and action.lower() != "sts:assumerole":
            entry = None  # a trust policy governs assuming the role only (iam:PassRole is the caller's IAM)
        resource_policy = None
        if entry:
            # Same account: the evaluator looks at every statement's Principal
            # (does one name the role itself?), so the whole policy is kept.
            same = account_of(role_arn) == self.resource_account(resource)
            resource_policy = self.governing_document(entry, action, whole=same)
        request = Request(role_arn, action, resource, full)
        point = self.access_point_of(resource)
        # Actions without resource-level permissions (Resource "*", such as
        # ecr:GetAuthorizationToken) are decided in the caller's own account.
        owner = request.principal_account if resource == "*" else self.resource_account(resource)
        decision = decide(
            request, policies, resource_policy, owner,
            labels=("identity", "access-point" if point else "resource"),
            sources=(names, entry["path"] if entry else None),
        )
        # sts:AssumeRole always needs the role's trust policy to allow the
        # caller, in the role's own account too: role trust policies (and KMS
        # key policies) are the exceptions to "either policy may allow"
        # (IAM User Guide, policy evaluation logic;
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_compare-resource-policies.html).
        if decision.allowed and _assumes_a_role(action, resource):
            if entry is None:
                # Every role has a trust policy; one this tool does not render
                # is not shown to trust anyone (never assumed to allow).
                decision.allowed = False
                decision.reason = ("the role's trust policy is not rendered, and sts:AssumeRole needs it to allow "
                                   "this principal (even in the same account): nothing rendered shows that it does")
            elif not decision.resource_allows:
                decision.allowed = False
                decision.reason = "the role's trust policy does not allow this principal (needed even in the same account)"
        if point:
            self._through_access_point(decision, request, *point)
        decision.identity_unknown = unknown
        if unknown and decision.allowed:
            decision.reason += " (the role's own identity policy is not rendered: the registry side alone decides)"
        return decision

    def _through_access_point(self, decision: Decision, request: Request, point_arn: str, underlying: str) -> None:
        """A request through an access point must be allowed by the caller's
        identity policy and the access point policy, and also by the bucket
        policy for the underlying bucket or object (which sees the
        s3:DataAccessPoint* keys); a Deny in any of them wins."""
        context = dict(request.context)
        context.update({"s3:DataAccessPointAccount": self.registry_id, "s3:DataAccessPointArn": point_arn})
        bucket_request = with_defaults(Request(request.principal_arn, request.action, underlying, context))
        bucket = self.reduced(self.bucket["path"], request.action)
        decision.consulted.append(("resource", self.bucket["path"]))
        for stmt in bucket.get("Statement", []):
            if statement_applies(stmt, bucket_request, True):
                decision.matches.append(Match("resource", self.bucket["path"], str(stmt.get("Sid", "?")), stmt.get("Effect", "")))
        allows, denies = matching_statements(bucket_request, bucket, True, "bucket")
        decision.denies += denies
        if denies:
            decision.allowed, decision.reason = False, "explicit deny: " + ", ".join(decision.denies)
        elif decision.allowed and not allows:
            decision.allowed, decision.reason = False, "the bucket policy does not allow it through the access point"
        elif decision.allowed:
            decision.resource_allows += allows
            decision.reason += ", " + ", ".join(allows)


class BegunPolicySet:
    """A PolicySet being read (PolicySet.begin)."""

    def __init__(self, cls, out: Path, reading):
        self._cls, self._out, self._reading = cls, out, reading

    def finish(self) -> "PolicySet":
        entries, docs = self._reading.finish()
        return self._cls(_Files(self._out, entries), _Docs(docs))

    def cancel(self) -> None:
        self._reading.cancel()
