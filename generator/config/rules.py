"""Field rules shared by the config sections (model.py, terraform.py).

A leaf module: it imports nothing from the generator, so every section can
use it without importing another section.
"""

from __future__ import annotations

import ipaddress
import re

BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def bucket_name(value: str) -> str:
    """An S3 general purpose bucket name (pydantic AfterValidator)."""
    if (
        not BUCKET_RE.fullmatch(value)
        or ".." in value
        or value.startswith("xn--")
        or value.endswith("-s3alias")
    ):
        raise ValueError("must be a valid S3 bucket name (3-63 lowercase letters, digits, '.', '-')")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return value
    raise ValueError("an S3 bucket name may not look like an IP address")
