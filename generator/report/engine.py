"""The access matrix at organization scale: the same answers, computed once per shape.

Evaluating every row against every group with every request is rows x
groups x requests decisions (500 accounts x 10,000 groups: tens of millions).
Two facts make it linear:

1. **Only rows a group's registry policies name can get anything in that
   group.** Every group request needs the registry half (cross-account, or a
   registry role that has no identity policy here): a SageMaker request the
   group policy, a request through an access point that access point's
   policy, a direct S3 request a bucket-policy Allow that is not conditioned
   on ``s3:DataAccessPoint*`` (those keys exist only on requests through an
   access point). So per group, the candidates are the rows an Allow
   statement of those policies names (Principal, plus its aws:PrincipalArn /
   aws:PrincipalAccount conditions), and the rows accounts.yaml expects there;
   every other row is granted nothing, without evaluating it.

2. **Groups are rendered from the same templates.** A request's decision
   depends on the request and on the statements that can apply to it: the
   caller's identity statements whose resources can name the group, and the
   registry statements whose principal part names the caller. With the
   group's name (and its access point's) replaced by a placeholder, those are
   the same text for most (row, group) pairs; the decision is computed once
   per distinct text (by :meth:`PolicySet.decide`, on the first real request
   of that shape) and reused. The shapes, the rule that keeps a placeholder
   faithful and the memo live in generator/analysis/shapes.py; a group whose
   statements break the rule is evaluated request by request (the slow
   path, same answers).

Who a statement names is generator/analysis/principals.py's answer, the one
lint takes too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.arns import Arns
from generator.config import Config
from generator.config.stages import stage_names
from generator.analysis.evaluate import (Request, compiled_statements, identity_allows, lowered_context,
                                         resources_merged, with_defaults)
from generator.analysis.policyset import PolicySet, access_point_condition, account_of
from generator.analysis.principals import Named, account_field, named, principal_condition
from generator.analysis.shapes import Canon, Shape, ShapeMemo, Unsafe
from generator.report.capabilities import Capability, Probe, copy_accounts, of_scope, requests
from generator.report.principals import NONE, Principal, UNKNOWN


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@dataclass
class _Row:
    index: int
    principal: Principal
    account: str
    identity: list[str]  # manifest paths of the rendered identity policies


class Engine:
    """Granted capabilities per (row, column), from the rendered policies."""

    def __init__(self, config: Config, policies: PolicySet, rows: list[Principal]):
        self.config = config
        self.policies = policies
        self.arns = Arns.of(config)
        self.org = config.organization_id
        self.stages = tuple(stage_names(config))
        self.rows = [
            _Row(i, p, p.account_id,
                 [e["path"] for e in policies.identity_entries(p.arn)] if p.identity not in (UNKNOWN, NONE) else [])
            for i, p in enumerate(rows)
        ]
        self.by_account: dict[str, list[_Row]] = {}
        for row in self.rows:
            self.by_account.setdefault(row.account, []).append(row)
        self.group_of_point = {self.arns.access_point_name(g): g for g in config.model_groups}
        self.shapes = ShapeMemo()
        self.memo = self.shapes.decisions  # decisions by the shapes of a request and of what applies to it
        self._shape = self.shapes.number
        self._principal_cache: dict[str, dict[int, int]] = {}
        self._identity_index: dict[str, list] = {}
        bucket = policies.docs[policies.bucket["path"]]
        self.bucket_statements = [s for s in _as_list(bucket.get("Statement")) if isinstance(s, dict)]
        # Rows a bucket-policy Allow names for requests on the bucket itself.
        self.direct_bucket_rows: set[int] = set()
        for stmt in self.bucket_statements:
            if stmt.get("Effect") == "Allow" and not access_point_condition(stmt):
                self.direct_bucket_rows |= set(self._matching_rows(stmt))
        self.names = frozenset(config.model_groups) | frozenset(self.group_of_point)
        self.prefix = (self.arns.access_point_prefix or "") if self.arns.s3_layout == "access_points" else ""
        self.raw = Canon(None, None, self.prefix)
        self.bucket_slot = [(Shape(s, True, self.names, self.raw), self._matching_rows(s)) for s in self.bucket_statements]
        key = policies.docs[policies.key["path"]]
        self.key_slot = [(Shape(s, True, self.names, self.raw), self._matching_rows(s))
                         for s in _as_list(key.get("Statement")) if isinstance(s, dict)]
        self._slot_words = {name: frozenset().union(*(shape.words for shape, _ in slot))
                            for name, slot in (("bucket", self.bucket_slot), ("key", self.key_slot))}
        self._shared_cache: dict[str, dict[int, int]] = {"bucket": {}, "key": {}}
        self._identity_fixed: dict[int, tuple] = {}
        self.stats = {"decisions": 0, "reused": 0, "slow_groups": 0}
        self._deploy_ways: dict[tuple[str, str, str], list] = {}
        self._own: dict[tuple[int, str], tuple] = {}

    # --- who a statement names -------------------------------------------
    def _matching_rows(self, stmt: dict) -> dict[int, int]:
        """Rows the statement's principal part names: row index -> 2 when it
        names the role ARN itself, 1 when an account or "*" does (the same
        principal part, say every governance account, is resolved once)."""
        key = repr((stmt.get("Principal"), stmt.get("NotPrincipal"), principal_condition(stmt),
                    "NotPrincipal" in stmt))
        found = self._principal_cache.get(key)
        if found is None:
            found = self._principal_cache[key] = self._resolve_principal(named(stmt))
        return found

    def _resolve_principal(self, part: Named) -> dict[int, int]:
        """The rows of what a principal part names (NotPrincipal: every row),
        those that meet its condition."""
        if part.not_principal:
            return {row.index: 1 for row in self.rows}
        found: dict[int, int] = {}
        # "*" (not pinned to literal accounts): every row; an account, its
        # root or a "*" pinned to it: the account's rows.
        for row in self.rows if part.any_account else [
                row for account in sorted(part.accounts) for row in self.by_account.get(account, ())]:
            found[row.index] = 1
        for arn in sorted(part.arns):
            for row in self.by_account.get(account_field(arn), ()):
                if row.principal.arn == arn:
                    found[row.index] = 2
        if part.condition and found:
            found = {index: kind for index, kind in found.items() if part.admits(self.rows[index].principal.arn)}
        return found

    # --- shapes -------------------------------------------------------------
    def _identity_statements(self, path: str) -> list:
        """Per statement of an identity policy: (statement, group-specific
        resources by group, resources that may name any group, the Shape of
        the statement reduced to those common resources)."""
        index = self._identity_index.get(path)
        if index is None:
            index = []
            for stmt in _as_list(self.policies.docs[path].get("Statement")):
                if not isinstance(stmt, dict):
                    continue
                by_group: dict[str, list[str]] = {}
                common: list[str] = []
                key = "Resource" if "Resource" in stmt else "NotResource"
                if key == "NotResource":
                    common = None  # the whole statement applies to every group
                else:
                    for resource in _as_list(stmt.get("Resource")):
                        if self._foreign(str(resource)):
                            continue  # can never match a request on the registry's resources
                        group = self._group_of(str(resource))
                        if group is None:
                            common.append(str(resource))
                        elif group:
                            by_group.setdefault(group, []).append(str(resource))
                whole = Shape(stmt, False, frozenset(), self.raw) if common is None else (
                    Shape({**stmt, "Resource": common}, False, frozenset(), self.raw) if common else None)
                index.append((stmt, by_group, common, whole))
            self._identity_index[path] = index
        return index

    def _foreign(self, resource: str) -> bool:
        """An ARN whose account field is another literal account: the deploy
        role's own SageMaker resources, roles it passes or assumes, other
        accounts' event buses. Every request the engine shapes is on a
        registry resource (the deploy capability, in the caller's own
        account, is evaluated request by request), so such a resource never
        matches one."""
        parts = resource.split(":", 5)
        return len(parts) == 6 and parts[0] == "arn" and len(parts[4]) == 12 and parts[4].isdigit() \
            and parts[4] != self.arns.registry_id

    def _group_of(self, resource: str) -> str | None:
        """The one group a literal resource can name ("" for none of this
        config's groups), or None when it may name any group."""
        if any(c in resource for c in "*?$"):
            head = re.split(r"[*?$]", resource, 1)[0]
        else:
            head = resource + "\x01"
        arns = self.arns
        for prefix, terminator in (
            (f"{arns.bucket_arn}/", "/"),
            (f"arn:{arns.partition}:sagemaker:{arns.region}:{arns.registry_id}:model-package-group/", "\x01"),
            (f"arn:{arns.partition}:sagemaker:{arns.region}:{arns.registry_id}:model-package/", "/"),
        ):
            if head.startswith(prefix):
                rest = head[len(prefix):]
                name, sep, _ = rest.partition(terminator)
                if not sep or not name:
                    return None
                return name if name in self.config.model_groups else ""
        prefix = f"arn:{arns.partition}:s3:{arns.region}:{arns.registry_id}:accesspoint/"
        if head.startswith(prefix):
            name = re.split(r"[/\x01]", head[len(prefix):], 1)
            if len(name) < 2:
                return None
            return self.group_of_point.get(name[0], "")
        return None

    def _identity_shape(self, row: _Row, group: str, canon: Canon) -> int:
        """The row's identity statements that can apply in this group, as a
        shape; computed once per row when nothing in them names the group."""
        fixed = self._identity_fixed.get(row.index)
        if fixed is None:
            groups, words = set(), set()
            for path in row.identity:
                for _, by_group, common, whole in self._identity_statements(path):
                    groups |= set(by_group)
                    if whole is not None:
                        words |= whole.words
            fixed = self._identity_fixed[row.index] = (groups, words, {})
        groups, words, cached = fixed
        independent = group not in groups and words.isdisjoint(canon.names)
        if independent and "shape" in cached:
            return cached["shape"]
        parts = []
        for path in row.identity:
            statements = []
            for stmt, by_group, common, whole in self._identity_statements(path):
                mine = by_group.get(group) if common is not None else None
                if mine:
                    statements.append(canon.statement({**stmt, "Resource": mine + common}, False))
                elif whole is not None:
                    statements.append(whole.canonical(canon))
            parts.append(tuple(statements))
        shape = self._shape(tuple(parts))
        if independent:
            cached["shape"] = shape
        return shape

    def _shared_shape(self, name: str, row: _Row, canon: Canon, texts: dict[int, str]) -> int:
        """The row's shape in the bucket or key policy (shared by every group);
        computed once per row when the policy does not name the group."""
        statements = self.bucket_slot if name == "bucket" else self.key_slot
        words = self._slot_words[name]
        independent = words.isdisjoint(canon.names)
        cache = self._shared_cache[name]
        if independent and row.index in cache:
            return cache[row.index]
        parts = []
        for i, (shape, matched) in enumerate(statements):
            kind = matched.get(row.index)
            if kind:
                if i not in texts:
                    texts[i] = shape.canonical(canon)
                parts.append((kind, texts[i]))
        found = self._shape(tuple(parts))
        if independent:
            cache[row.index] = found
        return found

    # --- evaluation -----------------------------------------------------------
    def decide(self, row: _Row, probe: Probe) -> bool:
        self.stats["decisions"] += 1
        policies = self.policies
        resource = probe.resource
        if row.identity and resource != "*" and policies.resource_account(resource) == account_of(row.principal.arn) \
                and policies.resource_entry(resource) is None and not policies.access_point_of(resource):
            # In the role's own account, on a resource no rendered resource
            # policy governs (the deploy capability's SageMaker resources):
            # PolicySet.decide comes down to the role's identity policies, an
            # Allow and no Deny. Asked directly, without a Decision, of the
            # statements of all its identity policies that may apply to the
            # action (gathered once per row and action, those differing only
            # in Resource joined: a deploy role's parts repeat each statement).
            statements = self._own_statements(row, probe.action)
            if not statements:
                return False  # nothing names the action: an implicit deny
            context = policies.request_context(row.principal.arn, resource, dict(probe.context), self.org)
            request = with_defaults(Request(row.principal.arn, probe.action, resource, context))
            return identity_allows(statements, request, lowered_context(request.context))
        return policies.decide(row.principal.arn, probe.action, resource, dict(probe.context), org=self.org).allowed

    def _own_statements(self, row: _Row, action: str) -> list:
        """The compiled statements of every identity policy of the row that
        may apply to ``action``, those that differ only in Resource joined
        (evaluate.resources_merged)."""
        key = (row.index, action)
        found = self._own.get(key)
        if found is None:
            found = self._own[key] = resources_merged(
                compiled for path in row.identity for compiled in compiled_statements(self.policies.reduced(path, action)))
        return found

    def group(self, group: str, expected_rows: set[int]) -> dict[tuple[int, str], bool]:
        """{(row index, capability): granted} for the group's candidates; any
        row left out is granted nothing in this group."""
        policies = self.policies
        capabilities = [c for c in of_scope("group") if c.name != "deploy"]
        copied = copy_accounts(self.config, group)
        ways = {c.name: requests(self.arns, c, group, "", self.stages, copied) for c in capabilities}
        group_entry = policies.groups.get(self.arns.group_arn(group))
        point_entry = policies.access_points.get(self.arns.access_point_arn(group)) if policies.access_points else None
        canon = Canon(group, self.arns.access_point_name(group) if point_entry else None, self.prefix)
        result, candidates, deciders = self._column(group, capabilities, ways,
                                                    {"group": group_entry, "point": point_entry},
                                                    canon, set(expected_rows) | self.direct_bucket_rows)
        deploy = next((c for c in of_scope("group") if c.name == "deploy"), None)
        self._deploy_ways = {}  # per group: kept for this column's rows only
        if deploy is not None:
            for index in sorted(candidates):
                result[(index, deploy.name)] = self._deploys(self.rows[index], deploy, group, deciders.get(index))
        return result

    def repository(self, name: str, expected_rows: set[int]) -> dict[tuple[int, str], bool]:
        """{(row index, capability): granted} in an ECR repository's column,
        for its candidates (rows its policy names, rows accounts.yaml
        expects there); any other row is granted nothing."""
        capabilities = list(of_scope("repository"))
        ways = {c.name: requests(self.arns, c, name) for c in capabilities}
        entry = self.policies.repositories.get(self.arns.repository_arn(name))
        return self._column(name, capabilities, ways, {"repo": entry}, Canon(name, None, self.prefix),
                            set(expected_rows))[0]

    def _deploys(self, row: _Row, capability: Capability, group: str, decider=None) -> bool:
        """The deploy capability: its SageMaker requests are in the caller's
        own account, decided by its identity policies alone, so it is
        evaluated request by request, and only for a row whose identity
        policies can allow sagemaker:CreateModel at all (a rendered policy
        with no Allow statement for it is an implicit deny)."""
        first = next(s for s in capability.ways[0] if s.resource == "model")
        if row.identity and not any(isinstance(compiled.stmt, dict) and compiled.stmt.get("Effect") == "Allow"
                                    for compiled in self._own_statements(row, first.action)):
            return False
        if not row.identity and row.account == self.arns.registry_id:
            return False  # a registry-account role with no identity policy: nothing in its own account
        key = (capability.name, group, row.account)
        ways = self._deploy_ways.get(key)
        if ways is None:  # the same requests for every row of one account
            ways = self._deploy_ways[key] = requests(self.arns, capability, group, row.account, self.stages)
        # The registry request (DescribeModelPackage) through the row's shape
        # memo when the column computed one (the same decision for every group
        # of that shape); the own-account ones request by request, for this row.
        # Each lifecycle variant repeats the own-account requests: each is decided once.
        seen: dict[Probe, bool] = {}

        def allowed(probe: Probe) -> bool:
            if probe not in seen:
                seen[probe] = self.decide(row, probe) if decider is None else decider(probe, row)
            return seen[probe]

        return any(all(allowed(p) for p in way) for way in ways)

    def _column(self, target: str, capabilities, ways, entries: dict, canon: Canon,
                candidates: set[int]) -> tuple[dict[tuple[int, str], bool], set[int], dict]:
        """Granted capabilities of the candidates in one column whose
        registry policies are ``entries`` (slot name -> manifest entry),
        computed once per shape; the candidates (the given rows and every
        row an Allow statement of those policies names); and per candidate a
        function deciding one of its requests through the same memo."""
        policies = self.policies
        # Per slot of this column (group policy, access point policy, repository
        # policy): the statements, and for each row the statements that name it.
        # A statement of these is in this column only: its text for the memo is
        # computed once, when a candidate it names asks (no Shape to reuse).
        slots: dict[str, list[dict]] = {}
        named: dict[str, dict[int, list[tuple[int, int]]]] = {}
        for name, entry in entries.items():
            shapes, by_row = [], {}
            if entry is not None:
                for stmt in _as_list(policies.docs[entry["path"]].get("Statement")):
                    if not isinstance(stmt, dict):
                        continue
                    matched = self._matching_rows(stmt)
                    for index, kind in matched.items():
                        by_row.setdefault(index, []).append((len(shapes), kind))
                    if stmt.get("Effect") == "Allow":
                        candidates.update(matched)
                    shapes.append(stmt)
            slots[name], named[name] = shapes, by_row
        result: dict[tuple[int, str], bool] = {}
        deciders: dict = {}
        if not candidates:
            return result, candidates, deciders
        try:
            probe_shapes = {}
            used: set[str] = set()
            for capability in capabilities:
                for way in ways[capability.name]:
                    for probe in way:
                        if probe not in probe_shapes:
                            probe_shapes[probe] = (
                                probe.action, canon.text(probe.resource, False),
                                tuple((k, canon.text(str(v), False)) for k, v in probe.context),
                                self._slots_of(probe.resource),
                            )
                            used.update(probe_shapes[probe][3])
            texts: dict[str, dict[int, str]] = {name: {} for name in (*entries, "bucket", "key")}
            by_signature: dict[tuple, dict[str, bool]] = {}
            for index in sorted(candidates):
                row = self.rows[index]
                identity = self._identity_shape(row, target, canon) if row.identity else row.principal.identity
                shapes = {}
                for name in entries:
                    parts = []
                    for i, kind in named[name].get(index, ()):
                        if i not in texts[name]:
                            texts[name][i] = canon.statement(slots[name][i], True)
                        parts.append((kind, texts[name][i]))
                    shapes[name] = self._shape(tuple(parts))
                for name in ("bucket", "key"):
                    if name in used:
                        shapes[name] = self._shared_shape(name, row, canon, texts[name])
                same = row.account == self.arns.registry_id
                signature = (identity, same, *(shapes[n] for n in sorted(shapes)))
                found = by_signature.get(signature)
                if found is None:
                    found = by_signature[signature] = self._capabilities(
                        row, capabilities, ways, probe_shapes, identity, same, shapes)
                else:
                    self.stats["reused"] += 1
                granted, deciders[index] = found
                for name, value in granted.items():
                    result[(index, name)] = value
        except Unsafe:
            self.stats["slow_groups"] += 1
            result, deciders = {}, {}
            for index in sorted(candidates):
                row = self.rows[index]
                for capability in capabilities:
                    result[(index, capability.name)] = any(
                        all(self.decide(row, p) for p in way) for way in ways[capability.name])
        return result, candidates, deciders

    def _capabilities(self, row, capabilities, ways, probe_shapes, identity, same, shapes):
        """({capability: granted}, a function deciding one request of this
        row's shape): rows of the same signature share both. A request the
        column did not shape (the deploy capability's own-account ones) is
        decided for the row that asks, never cached."""
        cache: dict[Probe, bool] = {}
        slot_shapes: dict[tuple, tuple] = {}  # the slots a request uses -> their shapes for this row

        def allowed(probe: Probe, asking: _Row | None = None) -> bool:
            found = cache.get(probe)
            if found is None:
                if probe not in probe_shapes:
                    return self.decide(asking or row, probe)
                action, resource, context, used = probe_shapes[probe]
                of_slots = slot_shapes.get(used)
                if of_slots is None:
                    of_slots = slot_shapes[used] = tuple(shapes[s] for s in used)
                key = (action, resource, context, identity, same, of_slots)
                found = self.memo.get(key)
                if found is None:
                    found = self.memo[key] = self.decide(row, probe)
                cache[probe] = found
            return found

        # Granted when every request of some way is allowed, asked in order
        # (as any(all(...)) would, without its generators).
        granted = {}
        for capability in capabilities:
            result = False
            for way in ways[capability.name]:
                for probe in way:
                    if not allowed(probe):
                        break
                else:
                    result = True
                    break
            granted[capability.name] = result
        return granted, allowed

    def _slots_of(self, resource: str) -> tuple[str, ...]:
        if ":ecr:" in resource:
            return ("repo",)
        point = self.policies.access_point_of(resource)
        if point:
            return ("point", "bucket")
        if resource.startswith(self.arns.bucket_arn):
            return ("bucket",)
        if ":kms:" in resource:
            return ("key",)
        return ("group",)

    def key(self) -> dict[tuple[int, str], bool]:
        """{(row index, capability): granted} in the artifact key column, every row."""
        out = {}
        for capability in of_scope("key"):
            ways = requests(self.arns, capability, None)
            for row in self.rows:
                out[(row.index, capability.name)] = any(all(self.decide(row, p) for p in way) for way in ways)
        return out


__all__ = ["Engine", "Capability"]
