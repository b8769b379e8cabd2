"""Names derived from config names: statement ids, policy file names,
managed policy names. Imports nothing from the generator, so both the
config checks and the renderers can use it."""

import re

POLICY_NAME_PREFIX = "ModelRegistry-"


def camel(name: str) -> str:
    """credit-risk -> CreditRisk (statement ids allow only [A-Za-z0-9])."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-") if part)


def role_slug(role: str) -> str:
    """File-name form of a role entry: path '/' -> '.', '*' -> 'STAR'."""
    return re.sub(r"[^A-Za-z0-9_.+=,@-]", "_", role.replace("/", ".").replace("*", "STAR"))


def policy_name(entry: str) -> str:
    """Name of the customer managed policy of a role entry."""
    return POLICY_NAME_PREFIX + role_slug(entry)
