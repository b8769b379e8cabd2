"""The rendered policies of one group's domain, as formulas.

Read from the one policy index (generator.analysis.policyset.PolicySet):
the identity policies the manifest attaches to a role (an entry's target
is a glob over role ARNs, as ``PolicyIndex.identity_entries`` matches it)
and the group policy that governs the domain (``PolicyIndex.groups``).
"""

from __future__ import annotations

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
    """([(identity entry, document)], (group entry, document) or None) of the domain."""
    identities = [(entry, policies.docs[entry["path"]]) for entry in policies.roles]
    entry = policies.groups.get(domain.group_arn)
    return identities, ((entry, policies.docs[entry["path"]]) if entry else None)


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
    for entry, doc in identities:
        applies = encoding.glob(req.principal, entry["target"])
        if entry.get("scope") == "registry-wide":
            wide.append(applies)
        known.append(applies)
        half = encoding.policy(req, doc, False, entry["path"], domain.may_match)
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
