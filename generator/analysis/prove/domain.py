"""The requests a property ranges over, and how IAM combines the halves.

A model package group's domain: every request by a role of any account on
the group (``model-package-group/G``) or any of its versions
(``model-package/G/...``), any action, any context. The group policy
governs exactly these requests (generator.analysis.policyset.PolicyIndex
routes them to it), so each group is one small, independent problem.

Accounts: the config's, every account id a policy names that the config
does not list (in the organization or not: either), plus two stand-ins for
every other account: one inside the organization (its principals carry
``aws:PrincipalOrgID`` = the organization), one outside (the key absent or
another organization). A stand-in's id appears in no policy, so it behaves
as every account no policy names does. Every listed account is taken to be a
member of ``organization_id`` (the config says so; AWS Organizations is not
read).

:func:`combine` is the decision of evaluate.decide and PolicySet.decide,
from the IAM User Guide's policy evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html;
cross-account: "Cross-account policy evaluation logic",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):
an explicit Deny in either half wins; across accounts the identity half AND
the resource half must allow; in the resource's own account either allows,
except that a resource policy naming only the account (not the role)
delegates to the account's IAM. A role whose identity policy is not
rendered is assumed to allow everything (the registry side alone decides,
as IAM Access Analyzer judges external access); the registry account's own
roles are judged by what is rendered alone, as ``explain`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from generator.analysis.prove import encoding
from generator.analysis.prove.encoding import FIXED_KEYS, ORG_KEY


@dataclass(frozen=True)
class Domain:
    partition: str
    region: str
    registry_id: str
    group: str
    accounts: tuple[str, ...]  # the config's account ids
    in_org: str  # stand-in: an unlisted account of the organization
    outside: str  # stand-in: an account outside the organization
    organization_id: str | None
    mentioned: tuple[str, ...] = ()  # account ids the policies name that the config does not list: in or out

    @property
    def group_arn(self) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.registry_id}:model-package-group/{self.group}"

    @property
    def package_prefix(self) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.registry_id}:model-package/{self.group}/"

    def may_match(self, pattern: str) -> bool:
        """Can the Resource pattern match a resource of the domain? Exact for
        literals; for a glob, true unless its literal head rules both forms out."""
        from generator.analysis.evaluate import glob_match

        import re

        if "${" in pattern:
            # A policy variable stands for some string: as "*", it decides
            # whether the pattern can reach the domain at all; if it can, the
            # encoding refuses it (Unsupported), never drops it silently.
            return self.may_match(re.sub(r"\$\{[^}]*\}", "*", pattern))
        cut = min([i for i in (pattern.find("*"), pattern.find("?")) if i >= 0], default=-1)
        if cut < 0:
            return pattern == self.group_arn or pattern.startswith(self.package_prefix)
        head = pattern[:cut]
        return glob_match(pattern, self.group_arn) or head.startswith(self.package_prefix) \
            or self.package_prefix.startswith(head)


def stand_ins(texts: list[str], accounts: set[str]) -> tuple[str, str]:
    """Two 12-digit ids that no text mentions and no listed account has."""
    found = []
    candidate = 100000000000
    while len(found) < 2:
        text = str(candidate)
        if text not in accounts and not any(text in t for t in texts):
            found.append(text)
        candidate += 1
    return found[0], found[1]


def request(domain: Domain, keys: dict[str, int], action: str | None = None, others: tuple[str, ...] = ()) -> encoding.Request:
    """A symbolic request of the domain; ``keys``: encoding.collect_keys of
    everything asked. ``action``: one action (the formulas are then built for
    it alone), or None: any action except ``others`` (case-insensitively)."""
    account = z3.String("account")
    name = z3.String("role_name")
    principal = z3.Concat(z3.StringVal(f"arn:{domain.partition}:iam::"), account, z3.StringVal(":role/"), name)
    symbolic = action is None
    if symbolic:
        action = z3.String("action")
    resource = z3.String("resource")
    suffix = z3.String("version")
    req = encoding.Request(account, name, principal, action, resource)
    every = domain.accounts + (domain.in_org, domain.outside) + domain.mentioned
    req.constraints += [
        z3.Or([account == z3.StringVal(a) for a in every]),
        z3.InRe(name, encoding.ROLE_NAME),
        z3.Length(name) <= 64 + 512,  # IAM: a name of up to 64 characters, a path of up to 512
        z3.Or(resource == z3.StringVal(domain.group_arn),
              resource == z3.Concat(z3.StringVal(domain.package_prefix), suffix)),
    ]
    if symbolic:
        req.constraints.append(z3.Length(action) <= 128)
        req.constraints += [z3.Not(z3.InRe(action, encoding._literal(a, True))) for a in others]
    for key, many in sorted(keys.items()):
        count = z3.Int(f"n[{key}]")
        values = [z3.String(f"v[{key}][{i}]") for i in range(many)]
        req.keys[key] = encoding.Key(key, count, values)
        req.constraints += [count >= 0, count <= many]
    req.keys["aws:principalarn"] = encoding.Key("aws:principalarn", z3.IntVal(1), [principal], fixed=True)
    req.keys["aws:principalaccount"] = encoding.Key("aws:principalaccount", z3.IntVal(1), [account], fixed=True)
    org = req.keys.get(ORG_KEY)
    if org is not None and domain.organization_id:
        member = z3.Or([account == z3.StringVal(a) for a in domain.accounts + (domain.in_org,)])
        is_org = z3.And(org.count == 1, org.values[0] == z3.StringVal(domain.organization_id))
        outside = z3.Or([account == z3.StringVal(a) for a in (domain.outside,)])
        not_org = z3.Or(org.count == 0, z3.And(org.count == 1, z3.Not(org.values[0] == z3.StringVal(domain.organization_id))))
        # An account a policy names that the config does not list may be in the organization or not.
        req.constraints.append(z3.If(member, is_org, z3.If(outside, not_org, z3.Or(org.count <= 1))))
    assert set(FIXED_KEYS) <= set(req.keys)
    return req


@dataclass
class Halves:
    """Both halves of a decision for one request (formulas)."""

    known: object  # the principal has a (rendered or intended) identity policy
    id_allow: object
    id_deny: object
    res_allow: object
    res_deny: object
    res_names: object  # the resource policy names the role itself (same-account delegation)


def combine(request: encoding.Request, domain: Domain, h: Halves):
    """Allowed, as IAM decides it (module docstring)."""
    cross = z3.Not(request.account == z3.StringVal(domain.registry_id))
    identity = z3.Or(z3.Not(h.known), h.id_allow)
    return z3.And(
        z3.Not(z3.Or(h.id_deny, h.res_deny)),
        z3.If(cross, z3.And(identity, h.res_allow), z3.Or(h.id_allow, z3.And(h.res_allow, h.res_names))),
    )
