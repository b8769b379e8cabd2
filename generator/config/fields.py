"""Field rules shared by the config sections: free text, AWS tags, digits.

Every pattern here is applied with ``re.fullmatch`` (``re.match`` with
``$`` accepts a trailing newline: ``"Role\\n"`` would pass and render an ARN
with a newline in it) and spells digits ``[0-9]`` (``\\d`` matches every
Unicode digit, ``"٢٢٢٢٢٢٢٢٢٢٢٢"`` included, in Python and in pydantic's
regex engine alike).
"""

from __future__ import annotations

import unicodedata

# AWS tag rules, as the SageMaker API states them for model package groups:
# key 1-128 and value 0-256 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@], at
# most 50 tags per resource, and the aws: prefix (any case) reserved for AWS.
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackageGroup.html (Tags: 0-50 items)
# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html (aws: prefix reserved)
MAX_TAGS = 50
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _tag_text_ok(text: str) -> bool:
    return all(c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in text)


def aws_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags per resource (AWS limit), found {len(tags)}")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or not _tag_text_ok(key):
            raise ValueError(f"tag key {quote(key)} must be 1-128 letters, digits, spaces or _.:/=+-@")
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key {quote(key)}: the aws: prefix is reserved for AWS")
        if len(value) > 256 or not _tag_text_ok(value):
            raise ValueError(f"tag {quote(key)} value must be at most 256 letters, digits, spaces or _.:/=+-@")
    return tags


def free_text(value: str) -> str:
    """Descriptions: printable text only. SageMaker's description pattern is
    [\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]* (no control or format characters,
    API_CreateModelPackageGroup.html), and a \\b or \\f in a rendered .tf
    string is not valid HCL."""
    for char in value:
        if unicodedata.category(char)[0] == "C":
            raise ValueError(f"control character U+{ord(char):04X} is not allowed (printable text only)")
    return value


def quote(text: str) -> str:
    """``'text'`` with control characters escaped, safe inside a one-line message."""
    return "'" + escape(text) + "'"


def escape(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
