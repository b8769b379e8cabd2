"""The rendered policies of one group's domain, as formulas.

Read from the one policy index (generator.analysis.policyset.PolicySet):
the identity policies the manifest attaches to a role (an entry's target
is a glob over role ARNs, as ``PolicyIndex.identity_entries`` matches it)
and the group policy that governs the domain (``PolicyIndex.groups``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import z3

from generator.analysis.prove import encoding
from generator.analysis.prove.domain import Domain, Halves


@dataclass
class Rendered:
    halves: Halves
    statements: list = field(default_factory=list)  # (path, sid, effect, formula) for blame
    identity_paths: list = field(default_factory=list)  # (path, target glob formula)
    registry_wide: object = None  # the principal has an identity policy in the registry-wide form


def documents(policies, domain: Domain) -> tuple[list[tuple[dict, dict]], tuple[dict, dict] | None]:
    """([(identity entry, document)], (group entry, document) or None) of
    the domain. An identity document keeps only the statements whose
    Resource (or NotResource) can reach the domain, each with only those
    patterns (``Domain.may_match``): the same decisions on the domain, in a
    size that does not grow with the organization's other groups."""
    index = _index(policies)
    identities = []
    for i, entry in enumerate(policies.roles):
        statements = {id(stmt): stmt for stmt in index[i].get(domain.group, []) + index[i].get(None, [])}
        identities.append((entry, {"Statement": [_narrowed(stmt, domain) for stmt in statements.values()]}))
    entry = policies.groups.get(domain.group_arn)
    return identities, ((entry, policies.docs[entry["path"]]) if entry else None)


# The group a model package (group) ARN names; whatever follows the group's
# name after a "/" (a version, a wildcard) is the rest (a full match).
_GROUP_OF = re.compile(r"arn:[^:]*:sagemaker:[^:]*:[0-9]{12}:model-package(?:-group)?/([A-Za-z0-9-]+)(?:/.*)?", re.DOTALL)


def _index(policies) -> list[dict]:
    """Per identity entry: {group name: statements naming only resources of
    that group; None: statements that may reach any group (wildcards,
    NotResource)}, built once per policy set. A statement none of whose
    Resource patterns can reach a model package group (S3, KMS, ECR, the
    caller's own SageMaker resources) is in neither."""
    found = policies.__dict__.get("_prove_index")
    if found is not None:
        return found
    arns = (f"arn:{policies.partition}:sagemaker:{policies.region}:{policies.registry_id}:model-package/",
            f"arn:{policies.partition}:sagemaker:{policies.region}:{policies.registry_id}:model-package-group/")
    out = []
    for entry in policies.roles:
        doc = policies.docs[entry["path"]]
        by_group: dict = {}
        for stmt in encoding._as_list(doc.get("Statement") if isinstance(doc, dict) else None):
            if not isinstance(stmt, dict) or "NotResource" in stmt or "Resource" not in stmt:
                by_group.setdefault(None, []).append(stmt)
                continue
            groups = set()
            for r in encoding._as_list(stmt["Resource"]):
                if not isinstance(r, str):
                    groups.add(None)
                    continue
                match = _GROUP_OF.fullmatch(r) if "*" not in r.split("/", 1)[0] and "?" not in r.split("/", 1)[0] else None
                if match:
                    groups.add(match.group(1))
                elif _may_reach(r, arns):
                    groups.add(None)
            for group in groups:
                by_group.setdefault(group, []).append(stmt)
        out.append(by_group)
    policies.__dict__["_prove_index"] = out
    return out


def _may_reach(pattern: str, prefixes: tuple[str, ...]) -> bool:
    """Can the pattern match an ARN starting with one of ``prefixes``? (Its
    literal head, up to the first wildcard or policy variable, decides.)"""
    cut = min([i for i in (pattern.find("*"), pattern.find("?"), pattern.find("${")) if i >= 0], default=len(pattern))
    head = pattern[:cut]
    return any(head.startswith(p) or p.startswith(head) for p in prefixes)


def _narrowed(stmt, domain: Domain):
    if not isinstance(stmt, dict) or "Resource" not in stmt or not isinstance(stmt["Resource"], (list, str)):
        return stmt
    kept = [r for r in encoding._as_list(stmt["Resource"]) if not isinstance(r, str) or domain.may_match(r)]
    return {**stmt, "Resource": kept}


def condition_entries(policies, domain: Domain) -> list:
    identities, group = documents(policies, domain)
    out = []
    for _entry, doc in identities + ([group] if group else []):
        out += encoding.statement_keys(doc)
    return out


def encode(policies, domain: Domain, req: encoding.Request) -> Rendered:
    identities, group = documents(policies, domain)
    out = Rendered(None)
    known, allows, denies, wide = [], [], [], []
    targets = policies.__dict__.setdefault("_prove_targets", {})
    for entry, doc in identities:
        # The principal is the same expression in every Case: its match with
        # a target is built once.
        applies = targets.get(entry["target"])
        if applies is None:
            applies = targets[entry["target"]] = encoding.glob(req.principal, entry["target"])
        if entry.get("scope") == "registry-wide":
            wide.append(applies)
        known.append(applies)
        if not doc["Statement"]:
            continue
        half = encoding.policy(req, doc, False, entry["path"], domain.may_match)
        if z3.is_false(half.allow) and z3.is_false(half.deny):
            continue
        allows.append(z3.And(applies, half.allow))
        denies.append(z3.And(applies, half.deny))
        out.statements += [(entry["path"], sid, effect, z3.And(applies, f)) for _, sid, effect, f in half.statements]
        out.identity_paths.append((entry["path"], applies))
    if group:
        entry, doc = group
        half = encoding.policy(req, doc, True, entry["path"], domain.may_match)
        res_allow, res_deny = half.allow, half.deny
        statements = doc.get("Statement") if isinstance(doc, dict) else []
        names = z3.Or([encoding.names_principal(req, s) for s in encoding._as_list(statements) if isinstance(s, dict)]
                      or [z3.BoolVal(False)])
        out.statements += [(entry["path"], sid, effect, f) for _, sid, effect, f in half.statements]
    else:
        res_allow = res_deny = names = z3.BoolVal(False)
    out.registry_wide = z3.Or(wide) if wide else z3.BoolVal(False)
    out.halves = Halves(
        known=z3.Or(known) if known else z3.BoolVal(False),
        id_allow=z3.Or(allows) if allows else z3.BoolVal(False),
        id_deny=z3.Or(denies) if denies else z3.BoolVal(False),
        res_allow=res_allow, res_deny=res_deny, res_names=names,
    )
    return out
