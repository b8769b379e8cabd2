"""Role entries of accounts.yaml -> the aws:PrincipalArn patterns that name them.

A leaf module (imports nothing from the generator): the config checks and
the policy builders both use it.

Two facts decide the patterns (see docs/grants.md, "Roles, wildcards and IAM
Identity Center"):

- IAM Identity Center creates a permission set's role as
  ``role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_<Set>_<suffix>`` when
  Identity Center is in us-east-1 and
  ``role/aws-reserved/sso.amazonaws.com/<region>/AWSReservedSSO_<Set>_<suffix>``
  in every other Region ("Referencing permission sets in resource
  policies, Amazon EKS, and AWS KMS",
  https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html).
  The roles under ``aws-reserved/`` are created and changed by AWS only
  (Identity Center's service-linked role creates roles under
  ``role/aws-reserved/sso.amazonaws.com/*``, AWSSSOServiceRolePolicy, and
  IAM refuses to modify them: "this role is only modifiable by AWS",
  https://repost.aws/knowledge-center/identity-center-aws-reserved-sso).
- In ``ArnLike`` (and ``StringLike``) ``*`` matches any characters,
  ``/`` included: ``role/Team*`` also matches ``role/TeamX/Impostor``, a role
  with a path that anyone allowed ``iam:CreateRole`` in that account can
  create. So every wildcard outside ``aws-reserved/`` is rendered with an
  ``ArnNotLike`` exclusion of the paths its ``*`` could span, and a ``*`` in
  a path segment (which cannot be fenced that way) is refused.
"""

from __future__ import annotations

import re

SSO_PATH = "aws-reserved/sso.amazonaws.com"
SSO_NAME_PREFIX = "AWSReservedSSO_"
AWS_RESERVED = "aws-reserved/"
_SSO_REGIONAL_PATH = re.compile(r"^aws-reserved/sso\.amazonaws\.com/[a-z]{2}(-gov)?-[a-z]+-\d{1,2}$")


def is_sso(entry: str) -> bool:
    return entry.rpartition("/")[2].startswith(SSO_NAME_PREFIX)


def problem(entry: str) -> str | None:
    """Why a role entry cannot be rendered safely, or None."""
    path, _, name = entry.rpartition("/")
    if name.startswith(SSO_NAME_PREFIX):
        if path in ("", SSO_PATH) or _SSO_REGIONAL_PATH.fullmatch(path):
            return None
        return (
            f"IAM Identity Center roles ({SSO_NAME_PREFIX}...) exist only under {SSO_PATH}/ (or "
            f"{SSO_PATH}/<region>/); write the name alone, e.g. {name}, and both forms are granted"
        )
    if "*" in path and not entry.startswith(AWS_RESERVED):
        return (
            "a * in the role path matches any deeper path too (in ArnLike * also matches /), which anyone "
            "allowed iam:CreateRole in the account can create; put * only in the role name"
        )
    return None


def patterns(entry: str) -> tuple[str, ...]:
    """What follows ``role/`` in each aws:PrincipalArn pattern of the entry.

    An Identity Center role written without its path, or with the
    us-east-1 path, gets both real forms (us-east-1 and regional)."""
    path, _, name = entry.rpartition("/")
    if name.startswith(SSO_NAME_PREFIX) and path in ("", SSO_PATH):
        return (f"{SSO_PATH}/{name}", f"{SSO_PATH}/*/{name}")
    return (entry,)


def canonical(entry: str) -> str:
    """The entry's role path and name as one role ARN would carry it (the
    us-east-1 form for an Identity Center role)."""
    return patterns(entry)[0]


def target(entry: str) -> str:
    """One glob matching every role the entry names (the manifest target)."""
    path, _, name = entry.rpartition("/")
    if name.startswith(SSO_NAME_PREFIX) and path in ("", SSO_PATH):
        return f"{SSO_PATH}/*{name}"
    return entry


def exclusion(entry: str) -> str | None:
    """The ``ArnNotLike`` pattern (after ``role/``) that takes away what the
    entry's ``*`` would match across a ``/``, or None when nothing needs it.

    A ``*`` only in the name: ``Team*`` -> ``Team*/*``. A role the entry means
    has no ``/`` after its path, so the exclusion never removes one; every
    ARN where a ``*`` spans a ``/`` has a ``/`` after the first ``*``, so the
    exclusion removes all of them. Patterns under ``aws-reserved/`` need none:
    only AWS creates roles there."""
    if "*" not in entry or entry.startswith(AWS_RESERVED) or patterns(entry)[0].startswith(AWS_RESERVED):
        return None
    return entry[: entry.index("*")] + "*/*"


def spans_slash(role_part: str) -> bool:
    """Whether a pattern (after ``role/``) has a ``*`` that can match ``/``
    into paths a customer can create."""
    return "*" in role_part and not role_part.startswith(AWS_RESERVED)


def excluded_by(pattern: str, entry: str) -> bool:
    """Whether the exclusion ``pattern`` (after ``role/``) would also take
    away a role the entry names (its canonical form, ``*`` read literally)."""
    regex = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, canonical(entry), re.DOTALL) is not None
