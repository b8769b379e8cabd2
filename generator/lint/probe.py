"""Who can do what, asked of the rendered files with generator/analysis/evaluate.py.

Each half of a cross-account grant is judged alone: the registry's
resource policy as if the caller's identity policy allowed everything, and
the caller's identity policy as if the resource policy allowed everything.
A promise such as "consumers never write artifacts" holds only if BOTH
halves refuse: the caller's account administers its own IAM, and the
registry's policies must not rely on it (nor the other way round).
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass


from generator.access import party_members
from generator.arns import Arns
from generator.analysis.evaluate import (Policy, Request, allowing_positions, compile_statement, lowered_context,
                                         with_defaults)
from generator.analysis.evaluate import _deny_first
from generator.analysis.shapes import Canon, ShapeMemo, Unsafe, group_allows_placeholders, meaning_words, raw_text, whole_text
from generator.analysis.shapes import _RUN as _WORD
from generator import kinds
from generator.lint.model import IDENTITY_POLICY_KINDS, TRUST_POLICY_KINDS, LintContext, PolicyFile
from generator.analysis.policyset import ActionIndex, PolicyIndex, access_point_condition
from generator.analysis.principals import PRINCIPAL_KEYS, named_accounts, principal_condition

ALLOW_ALL_IDENTITY = Policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
ALLOW_ALL_RESOURCE = Policy({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
STATUSES = (None, "PendingManualApproval", "Approved", "Rejected")


# The resource policies PolicyIndex resolves a request to: the registry's,
# and the roles' trust policies (an event bus policy decides no registry request).
INDEXED_KINDS = kinds.names(lambda kind: kind.registry_side or kind.role == kinds.TRUST)


def _delegates(policy: PolicyFile) -> bool:
    """A bucket policy that may hand its decisions to the account's access points."""
    return policy.facts is not None and policy.facts.delegates


@dataclass(frozen=True)
class Grantor:
    path: str
    sid: str


def governing(policy: PolicyFile) -> dict:
    """A resource policy as evaluated on its target: a role trust policy has
    no Resource element, it applies to its role (see PolicySet.governing_document)."""
    if policy.kind not in TRUST_POLICY_KINDS:
        return policy.document
    return {**policy.document,
            "Statement": [{**s, "Resource": policy.target} for s in policy.statements()]}


def _named_accounts(reduced: dict, direct_bucket: bool = False) -> frozenset[str] | None:
    """Accounts the Allow statements of a (reduced) resource policy can name,
    or None when any account may match (generator/analysis/principals.py,
    the report's answer too). A role of another account cannot be allowed
    by it: no need to evaluate. ``direct_bucket``: the bucket policy governs
    only requests on the bucket itself here (a request through an access
    point is governed by that access point's policy), so an Allow
    conditioned on s3:DataAccessPoint* never applies."""
    return named_accounts(reduced["Statement"], access_point_condition if direct_bucket else None)


def action_index(policy: PolicyFile) -> ActionIndex:
    """The policy's statements by action, built once per policy file."""
    index = policy.__dict__.get("_action_index")
    if index is None:
        index = policy.__dict__["_action_index"] = ActionIndex(governing(policy))
    return index


class Prober:
    def __init__(self, ctx: LintContext):
        self.ctx = ctx
        self.arns = Arns.of(ctx.config)
        self.resource_policies = list(
            ctx.well_formed(*INDEXED_KINDS)
        )
        self.identity_policies = list(ctx.well_formed(*IDENTITY_POLICY_KINDS))
        self._named_cache: dict[int, frozenset[str] | None] = {}  # keyed by id() of cached reduced policies
        # Identity policies by the account of their target (role ARN or pattern).
        self._identity_by_account: dict[str, list[PolicyFile]] = {}
        self._identity_any_account: list[PolicyFile] = []
        for policy in self.identity_policies:
            parts = policy.target.split(":")
            account = parts[4] if len(parts) > 4 else "*"
            if any(c in account for c in "*?[") or not account:
                self._identity_any_account.append(policy)
            else:
                self._identity_by_account.setdefault(account, []).append(policy)
        entries = [p.entry for p in self.resource_policies]
        present = {e["kind"] for e in entries}
        # Without a bucket and a key policy (a broken render) nothing is resolved;
        # the manifest and structure rules report what is missing.
        needed = {kinds.governing("bucket").name, kinds.governing("key").name}
        self.index = PolicyIndex(entries) if needed <= present else None

    # --- who --------------------------------------------------------------
    def roles(self, group: str, party: str) -> list[str]:
        """Role ARNs of a party; a * in a role entry becomes a sample name."""
        members = party_members(self.ctx.config, self.arns, self.ctx.config.party_accounts(group, party))
        return [arn.replace("*", "probe").replace("?", "x") for arn in members.role_arns]

    # --- what -------------------------------------------------------------
    def context(self, group: str, status: str | None) -> dict:
        """A request that passes every guard a legitimate caller passes."""
        cache = self.__dict__.setdefault("_context_cache", {})
        if (group, status) not in cache:
            cache[(group, status)] = self._context(group, status)
        return cache[(group, status)]

    def _context(self, group: str, status: str | None) -> dict:
        context = {
            "aws:SecureTransport": "true",
            "aws:ResourceAccount": self.arns.registry_id,
            "s3:prefix": self.arns.group_prefix(group),
            "s3:x-amz-server-side-encryption": "aws:kms",
            "kms:ViaService": self.arns.via_service("s3"),
            "kms:ResourceAliases": [self.arns.alias],
        }
        if self.ctx.config.organization_id:
            context["aws:PrincipalOrgID"] = self.ctx.config.organization_id
        if status:
            context["sagemaker:ModelApprovalStatus"] = status
        return context

    def _resource_policy(self, resource: str) -> PolicyFile | None:
        """The registry policy governing ``resource``, resolved the way the
        tests, the report and explain resolve it (generator/analysis/policyset.py)."""
        if self.index is None:
            return None
        cache = self.__dict__.setdefault("_resource_cache", {})
        if resource not in cache:
            entry = self.index.resource_entry(resource)
            cache[resource] = self.ctx.policy(entry["path"]) if entry else None
        return cache[resource]

    def _identity_of(self, role_arn: str) -> list[PolicyFile]:
        """The identity policies attached to the role (by target pattern), once per role."""
        cache = self.__dict__.setdefault("_identity_cache", {})
        found = cache.get(role_arn)
        if found is None:
            account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
            candidates = self._identity_by_account.get(account, []) + self._identity_any_account
            if self._identity_any_account:
                candidates = sorted(candidates, key=self.identity_policies.index)
            found = cache[role_arn] = [p for p in candidates if fnmatch.fnmatchcase(role_arn, p.target)]
        return found

    def candidates(self, roles: list[str], resource: str, actions: list[str]) -> list[str]:
        """The roles (in the given order) that :meth:`grantors` could find a
        statement for, for one of ``actions`` on ``resource``: those an Allow
        of the resource policy can name, and those whose identity policies
        have an Allow for one of the actions. For every other role grantors
        is empty, so a rule asking many roles about many resources asks only
        these."""
        named: set[str] | frozenset[str] | None = frozenset()
        policy = self._resource_policy(resource)
        if policy is not None:
            named = self._named_for(policy, tuple(actions))
        cache = self.__dict__.setdefault("_identity_may_allow", {}).setdefault(tuple(actions), {})
        out = []
        for role in roles:
            if named is None or role.split(":")[4] in named:
                out.append(role)
                continue
            found = cache.get(role)
            if found is None:
                found = cache[role] = any(action_index(p).for_action(a) is not None
                                          for p in self._identity_of(role) for a in actions)
            if found:
                out.append(role)
        return out

    def _named_for(self, policy: PolicyFile, actions: tuple[str, ...]) -> frozenset[str] | None:
        """The accounts an Allow of ``policy`` for one of ``actions`` can name
        (None: any account), once per (policy, actions): every group's
        objects share the bucket policy, and each party of a group asks the
        same policy about the same actions."""
        cache = self.__dict__.setdefault("_named_for_cache", {})
        key = (policy.path, actions)
        if key in cache:
            return cache[key]
        # The union over the actions of what each reduced policy names is
        # what the statements of all of them name together: _named_accounts
        # is a union over Allow statements (None if any names every account).
        if not actions:
            cache[key] = frozenset()
            return cache[key]
        statements = action_index(policy).statements_for(actions)
        cache[key] = result = _named_accounts({"Statement": statements}, _delegates(policy))
        return result

    def grantors(self, role_arn: str, action: str, resource: str, context: dict,
                 group: str | None = None) -> list[Grantor]:
        """Statements that let the role do it, in either half judged alone.

        ``group``: the model group the request is about. Given, each half's
        answer is kept by the shapes of its statements and of the request
        (generator/analysis/shapes.py: the group's names replaced by
        placeholders), so groups whose policies differ only in their names
        (same parties, same template) are evaluated once: the group policy
        of every group with the same developers asks each developer role's
        probes once, not once per group. A statement the placeholder cannot
        stand in for is evaluated request by request (same answers;
        tests/test_lint_probe_memo.py compares the two on broken policies).

        Raises ValueError when a policy uses a condition operator the
        evaluator does not model.
        """
        found: list[Grantor] = []
        halves: list[tuple[PolicyFile, dict, str]] = []
        policy = self._resource_policy(resource)
        if policy is not None:
            reduced = action_index(policy).for_action(action)
            if reduced is not None:
                named = self._named_cache.get(id(reduced), False)
                if named is False:
                    named = self._named_cache[id(reduced)] = _named_accounts(
                        reduced, _delegates(policy))
                if named is None or role_arn.split(":")[4] in named:
                    halves.append((policy, reduced, "resource"))
        for policy in self._identity_of(role_arn):
            reduced = action_index(policy).for_action(action)
            if reduced is not None:
                halves.append((policy, reduced, "identity"))
        if not halves:
            return found
        # Each half is judged with the other half allowing everything
        # (ALLOW_ALL_IDENTITY, ALLOW_ALL_RESOURCE: no Deny, every principal,
        # action and resource). Then, by evaluate.decide's logic in the same
        # account and across accounts alike, the request is allowed exactly
        # when no Deny of the judged policy applies, and the statements that
        # let the role do it are that policy's applying Allows. Asked here
        # directly, once per request (tests/test_lint_probe.py compares it
        # with decide).
        asked: list = []  # [request, lowered context], made once, when first needed

        def request_of() -> list:
            if not asked:
                request = with_defaults(Request(role_arn, action, resource, dict(context)))
                asked.extend((request, lowered_context(request.context)))
            return asked

        memo = numbers = None
        if group is not None:
            memo = self._memo_of(group)
            if memo is not None:
                numbers = memo.request_numbers(action, resource, context)
        for policy, judged, half in halves:
            # A half's Allows, or none when one of its Denies applies (asked first).
            key = None
            resource_half = half == "resource"
            if numbers is not None and _deny_first(judged) is not None:
                # Keyed without the principals: the statements' shapes with
                # their principal parts cut out, one bit per statement (does
                # its principal part admit this role?) and the request without
                # the role, so groups whose statements differ only in who
                # they name share answers (:meth:`_GroupMemo.admitted`).
                shapes = memo.statement_shapes(judged, principals=False)
                if shapes is not None:
                    bits = memo.admitted(judged, role_arn, numbers[2], resource_half, request_of)
                    key = (resource_half, shapes, bits, numbers[0])
            elif numbers is not None:
                shapes = memo.statement_shapes(judged)
                if shapes is not None:
                    key = (resource_half, shapes, memo.with_role(numbers[1], role_arn))  # three small ints
            if key is not None:
                positions = memo.decisions.get(key)
                if positions is not None:
                    found.extend(Grantor(policy.path, _sid(judged, i)) for i in positions)
                    continue
            request, lowered = request_of()
            positions = allowing_positions(request, judged, resource_half, lowered)
            if key is not None:
                memo.decisions[key] = positions
            found.extend(Grantor(policy.path, _sid(judged, i)) for i in positions)
        return found

    def _memo_of(self, group: str) -> "_GroupMemo | None":
        """The memo by shapes, shared by every Prober of this lint run (the
        rules ask the same groups one after the other), set to ``group``;
        None when the group's names cannot be replaced by placeholders."""
        shared = self.ctx.__dict__.get("_probe_memo")
        if shared is None:
            shared = self.ctx.__dict__["_probe_memo"] = _Memo(self.arns)
        return shared.at(group)


class _Memo:
    """Decisions keyed by the shapes of a half's statements and of the
    request (generator/analysis/shapes.py whole_text), for one lint run."""

    def __init__(self, arns: Arns):
        self.arns = arns
        access_points = arns.s3_layout == "access_points"
        self.prefix = (arns.access_point_prefix or "") if access_points else ""
        self.access_points = access_points
        self.shapes = ShapeMemo()
        self.decisions = self.shapes.decisions
        # The number of a reduced policy's statements' texts, by (id() of the
        # reduced policy, which action_index keeps alive, and the group): the
        # rules ask the same groups one after the other.
        self.policy_shapes: dict[tuple[int, str, bool], int | None] = {}
        # A statement's principal part (Principal and its aws:PrincipalArn /
        # aws:PrincipalAccount conditions): its number, by the BLAKE2b digest
        # of its text (tens of thousands of groups' parties, not kept as text).
        self.principal_parts: dict[bytes, int] = {}
        # Whether each principal part of a reduced policy admits a request's
        # principal: by (number of the parts, role ARN, the request's own
        # principal keys, resource half).
        self.admits: dict[tuple, tuple[bool, ...]] = {}
        self.group: str | None = None
        self.current: _GroupMemo | None = None

    def at(self, group: str) -> "_GroupMemo | None":
        if group != self.group:
            point = self.arns.access_point_name(group) if self.access_points else None
            canon = Canon(group, point, self.prefix)
            self.group = group
            self.current = _GroupMemo(self, canon, group) if group_allows_placeholders(canon) else None
        return self.current


class _GroupMemo:
    """One group's placeholders and its canonical texts (kept while the rule
    asks about this group)."""

    def __init__(self, memo: _Memo, canon: Canon, group: str):
        self.memo, self.canon, self.decisions = memo, canon, memo.decisions
        self.texts: dict[str, str] = {}
        # By id() of a statement (held while this group is asked): its meaning_words and raw_text
        # (with principals false: of the statement without its principal part).
        self.meaning: dict[tuple[int, bool], tuple[dict, frozenset[str], str | None]] = {}
        # By id() of a reduced policy (held while this group is asked): the
        # number of its statements' principal parts, and their numbers in order.
        self.parts: dict[int, tuple[dict, int, tuple[int, ...]]] = {}
        # A principal part as a statement that applies to every action and
        # resource, compiled, by its number (asked while this group is).
        self.compiled: dict[int, object] = {}
        self.group = group
        self.words: dict[str, bool] = {}
        self.items: dict[tuple, tuple | None] = {}  # a context item (key, value) as it goes in a request key

    def _text(self, value: str) -> str:
        found = self.texts.get(value)
        if found is None:
            found = self.texts[value] = self.canon.replace(value)
        return found

    def _plain(self, word: str) -> bool:
        """An action or context key none of whose words is one of the names, in any case."""
        found = self.words.get(word)
        if found is None:
            found = self.words[word] = self.canon.lower_names.isdisjoint(w.lower() for w in _WORD.findall(word))
        return found

    def request_numbers(self, action: str, resource: str, context: dict) -> tuple | None:
        """(number, shape, principal items) of the request without its
        principal: the request with the group's names replaced as in the
        statements' texts, its context in its own order (lowered_context
        keeps the first of two spellings of a key), numbered so a decision's
        key is a few small ints whatever the request's size; the shape
        itself, for :meth:`with_role`; and the context's own entries on
        aws:PrincipalArn / aws:PrincipalAccount, which :meth:`admitted` asks
        with the role. None when an action or a key names the group
        (compared without regard to case)."""
        if not self._plain(action):
            return None
        items = []
        own = ()
        cache = self.items
        for item in context.items():
            value = item[1]
            hashable = item if isinstance(value, str) else (item[0], tuple(value)) if isinstance(value, list) else None
            found = cache.get(hashable, False) if hashable is not None else None
            if found is False:
                found = cache[hashable] = self._item(*item)
            if found is None:
                return None
            items.append(found)
            principal = _IS_PRINCIPAL_KEY.get(item[0])
            if principal is None:
                principal = _IS_PRINCIPAL_KEY[item[0]] = str(item[0]).lower() in PRINCIPAL_KEYS
            if principal:
                own += ((item[0], repr(value)),)
        shape = (action, self._text(resource), tuple(items))
        return self.memo.shapes.number((None, *shape)), shape, own

    def with_role(self, shape: tuple, role_arn: str) -> int:
        """The number of a request's shape (:meth:`request_numbers`) with its principal."""
        return self.memo.shapes.number((self._text(role_arn), *shape))

    def _item(self, name: str, value) -> tuple | None:
        if not self._plain(name):
            return None
        if isinstance(value, str):
            return (name, self._text(value))
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return (name, type(value).__name__, tuple(self._text(v) for v in value))
        return None

    def statement_shapes(self, judged: dict, principals: bool = True) -> int | None:
        """The number of the reduced policy's statements' texts, in order;
        None when one of them cannot be put in that form (Unsafe). Each text
        is numbered by its BLAKE2b digest (128 bits), not kept: tens of
        thousands of group policies' statements would otherwise stay in
        memory as text. Without ``principals``, the texts of the statements
        without their principal parts (:func:`_without_principal`): who a
        statement admits is then :meth:`admitted`'s bit, asked exactly."""
        policy_shapes = self.memo.policy_shapes
        slot = (id(judged), self.group, principals)
        found = policy_shapes.get(slot, False)
        if found is not False:
            return found
        meaning = self.meaning
        numbers = []
        statements = judged.get("Statement")
        try:
            for stmt in statements if isinstance(statements, list) else [statements]:
                if not isinstance(stmt, dict) or (not principals and "NotPrincipal" in stmt):
                    raise Unsafe("statement")
                held = meaning.get((id(stmt), principals))
                if held is None or held[0] is not stmt:
                    cut = stmt if principals else _without_principal(stmt)
                    held = meaning[(id(stmt), principals)] = (stmt, meaning_words(cut), raw_text(cut))
                text = whole_text(held[2], self.canon, held[1])
                numbers.append(self.memo.shapes.number(hashlib.blake2b(text.encode(), digest_size=16).digest()))
            found = self.memo.shapes.number(tuple(numbers))
        except Unsafe:
            found = None
        policy_shapes[slot] = found
        return found

    def admitted(self, judged: dict, role_arn: str, own: tuple, resource_policy: bool, request_of) -> tuple[bool, ...]:
        """For each statement of the reduced policy, in order: whether its
        principal part admits the request's principal (``role_arn``, and
        ``own``: the request's own entries on the principal keys, if any),
        evaluated as the statement itself is (the same compiled evaluation,
        on a statement of that principal part that applies to every action
        and resource; ``request_of()``: [request, lowered context]). Only
        for policies whose statements all compile and whose conditions are
        all modeled (evaluate._deny_first), so nothing raises and a statement
        applies exactly when its principal part admits the caller and the
        rest of it applies: the conditions are a conjunction. Kept by the
        principal parts' numbers, the role and ``own``: every group naming
        the same parties asks once."""
        memo = self.memo
        held = self.parts.get(id(judged))
        if held is None or held[0] is not judged:
            statements = judged.get("Statement")
            numbers = []
            for stmt in statements if isinstance(statements, list) else [statements]:
                text = repr((stmt.get("Principal"), stmt.get("NotPrincipal"), "NotPrincipal" in stmt,
                             principal_condition(stmt)))
                digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
                number = memo.principal_parts.get(digest)
                if number is None:
                    number = memo.principal_parts[digest] = len(memo.principal_parts)
                numbers.append(number)
            held = self.parts[id(judged)] = (judged, memo.shapes.number(("principals", *numbers)), tuple(numbers))
        key = (held[1], role_arn, own, resource_policy)
        bits = memo.admits.get(key)
        if bits is None:
            request, lowered = request_of()
            statements = judged.get("Statement")
            found = []
            for number, stmt in zip(held[2], statements if isinstance(statements, list) else [statements]):
                compiled = self.compiled.get(number)
                if compiled is None:
                    compiled = self.compiled[number] = compile_statement(_principal_part(stmt))
                found.append(compiled.applies(request, lowered, resource_policy))
            bits = memo.admits[key] = tuple(found)
        return bits


_IS_PRINCIPAL_KEY: dict[str, bool] = {}  # a context key -> whether it is aws:PrincipalArn / aws:PrincipalAccount


def _principal_part(stmt: dict) -> dict:
    """The statement's principal part as a statement of its own that applies
    to every action and resource: its Principal (and NotPrincipal) and the
    entries of its Condition on aws:PrincipalArn / aws:PrincipalAccount."""
    part: dict = {"Effect": "Allow"}
    for name in ("Principal", "NotPrincipal"):
        if name in stmt:
            part[name] = stmt[name]
    part["Action"] = "*"
    part["Resource"] = "*"
    condition = principal_condition(stmt)
    if condition:
        part["Condition"] = condition
    return part


def _without_principal(stmt: dict) -> dict:
    """The statement without its principal part (:func:`_principal_part`):
    the rest of what decides whether it applies."""
    out = {k: v for k, v in stmt.items() if k not in ("Principal", "NotPrincipal")}
    condition = stmt.get("Condition")
    if isinstance(condition, dict):
        kept = {}
        for operator, keys in condition.items():
            if isinstance(keys, dict):
                rest = {k: v for k, v in keys.items() if str(k).lower() not in PRINCIPAL_KEYS}
                if rest:
                    kept[operator] = rest
            else:
                kept[operator] = keys
        if kept:
            out["Condition"] = kept
        else:
            out.pop("Condition")
    return out


def _sid(judged: dict, position: int) -> str:
    """The Sid of statement ``position`` as evaluate labels it (``?`` without one)."""
    statements = judged.get("Statement")
    stmt = (statements if isinstance(statements, list) else [statements])[position]
    return f"{stmt.get('Sid', '?')}"
