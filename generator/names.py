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


# The longest file name (bytes, one path component) the file systems a render
# is written to hold: 255 on ext4, XFS, btrfs, APFS and NTFS (POSIX NAME_MAX
# there). render refuses a config whose names would exceed it, naming the key;
# the writer also asks the actual file system (pathconf) before writing.
NAME_MAX = 255
# The writer's temporary name beside a file NAME is ".NAME.mrpolicy-<12 hex>.tmp":
# 27 bytes more than NAME, and it must fit NAME_MAX too.
TEMP_EXTRA = len(".") + len(".mrpolicy-") + 12 + len(".tmp")


def temp_name(name: str, token: str) -> str:
    """The writer's temporary name for ``name`` (``token``: 12 hex digits)."""
    return f".{name}.mrpolicy-{token}.tmp"
