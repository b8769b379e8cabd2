"""What apply would change: the wanted policies, semantic comparison, diffs.

Pure: no AWS calls, no files. The wanted policy of a group is the rendered
document of the normal pipeline (:func:`generator.render.build_policies`):
the document of the file ``make render`` writes, sent minified (:func:`wire`),
as Terraform's provider sends it too, so the size render checked is the
size of the string sent, and both writers put the same string.

Comparison is semantic. Both policies are parsed and normalised the way IAM
reads them, and a put happens only when the normal forms differ:

* the order of statements does not matter (they are sorted by Sid, then by
  content), nor the order of keys;
* in Action, NotAction, Resource, NotResource, each Principal /
  NotPrincipal value and each condition value list, order and duplicates do
  not matter, and a single string equals a one-element list;
* condition values true/1 equal "true"/"1" (IAM compares them as strings).

Everything else is compared as written (case, Version, Sid values,
``"Principal": "*"`` versus ``{"AWS": "*"}``): when in doubt a policy counts
as different, because a needless put costs one call and a backup, while a
false "same" would hide drift.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from generator import kinds, strictjson
from generator.config import Config
from generator.render import build_policies

# The kind `mrpolicy apply` puts (the model package group policies).
KIND = kinds.one(applied_by_helper=True)
LIMIT = KIND.limit
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPAL_KEYS = ("Principal", "NotPrincipal")
_STATEMENT_ORDER = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                    "NotResource", "Condition")


class PolicyRefused(Exception):
    """A policy apply will not send (does not parse, or too large)."""


@dataclass(frozen=True)
class Target:
    """One model package group as the config wants it."""

    name: str
    arn: str
    path: str  # the rendered file, relative to terraform/accounts/
    text: str  # the rendered file's text; what is sent is wire(text)
    description: str
    tags: tuple[tuple[str, str], ...]


def targets(config: Config, only: tuple[str, ...] = ()) -> list[Target]:
    """The groups to apply, in name order; ``only`` limits them (names checked by the caller)."""
    wanted = []
    for policy in build_policies(config):
        if policy.kind != KIND.name:
            continue
        name = policy.extra["model_group"]
        if only and name not in only:
            continue
        group = config.model_groups[name]
        wanted.append(Target(name, policy.target, policy.path, policy.text, group.description,
                             tuple(sorted(group.tags.items()))))
    return sorted(wanted, key=lambda t: t.name)


def wire(text: str) -> str:
    """The string put for a policy text: its document minified. SageMaker
    counts the characters of the string it receives, whitespace included
    (botocore checks only the minimum length); Terraform's provider sends the
    same document minified (the kind's module, KIND below, cites its source)."""
    return json.dumps(parse(text), separators=(",", ":"), ensure_ascii=False)


def check_sendable(text: str, as_is: bool = False) -> None:
    """Raise PolicyRefused unless ``text`` is a JSON policy whose string
    sent fits the limit: :func:`wire` of it, or, ``as_is``, the text itself
    (``--restore`` puts a backup back byte for byte: the exact string AWS
    held before)."""
    size = len(wire(text)) if not as_is else (parse(text), len(text))[1]
    if size > LIMIT.size:
        raise PolicyRefused(
            f"policy is {size:,} {LIMIT.unit}, over the {LIMIT.name} limit of {LIMIT.size:,}; "
            "split the group's grants or shorten its role lists"
        )


def parse(text: str) -> dict:
    try:
        doc = strictjson.loads(text)
    except strictjson.DuplicateKey as exc:
        raise PolicyRefused(f"policy has a {exc}") from None
    except ValueError as exc:
        raise PolicyRefused(f"policy is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise PolicyRefused("policy is not a JSON object with a Statement")
    return doc


def same(current: str | None, wanted: str | None) -> bool:
    """True when both are absent, or both parse to the same normal form."""
    if current is None or wanted is None:
        return current is wanted
    try:
        return normalise(json.loads(current)) == normalise(json.loads(wanted))
    except ValueError:
        return False


def normalise(doc: object) -> object:
    if not isinstance(doc, dict):
        return doc
    out = dict(doc)
    statements = out.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list):
        normal = [_statement(s) for s in statements]
        # dedupe identical statements (IAM unions them) and sort by Sid, then content
        unique = {json.dumps(s, sort_keys=True): s for s in normal}
        out["Statement"] = [unique[k] for k in sorted(unique, key=lambda k: (_sid(unique[k]), k))]
    return _ordered(out, ("Version", "Id", "Statement"))


def _sid(statement: object) -> str:
    return str(statement.get("Sid", "")) if isinstance(statement, dict) else ""


def _statement(statement: object) -> object:
    if not isinstance(statement, dict):
        return statement
    out = dict(statement)
    for key in _LIST_KEYS:
        if key in out:
            out[key] = _values(out[key])
    for key in _PRINCIPAL_KEYS:
        principal = out.get(key)
        if isinstance(principal, dict):
            out[key] = {kind: _values(value) for kind, value in sorted(principal.items())}
    condition = out.get("Condition")
    if isinstance(condition, dict):
        out["Condition"] = {
            op: ({k: _values(v) for k, v in sorted(block.items())} if isinstance(block, dict) else block)
            for op, block in sorted(condition.items())
        }
    return _ordered(out, _STATEMENT_ORDER)


def _values(value: object) -> object:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, (str, bool, int, float)) for v in items):
        return value  # not a policy value list: compare as written
    return sorted({_scalar(v) for v in items})


def _scalar(value: str | bool | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ordered(mapping: dict, order: tuple[str, ...]) -> dict:
    known = [k for k in order if k in mapping]
    return {k: mapping[k] for k in known + sorted(k for k in mapping if k not in order)}


def statement_changes(current: str | None, wanted: str | None) -> list[str]:
    """One line per statement added (+), removed (-) or changed (~), by Sid."""
    before, after = _by_sid(current), _by_sid(wanted)
    lines = []
    for sid in sorted(set(before) | set(after)):
        if sid not in before:
            lines.append(f"+ {sid} ({_gist(after[sid])})")
        elif sid not in after:
            lines.append(f"- {sid} ({_gist(before[sid])})")
        elif before[sid] != after[sid]:
            lines.append(f"~ {sid} ({_gist(after[sid])})")
    return lines


def _by_sid(text: str | None) -> dict[str, object]:
    if text is None:
        return {}
    try:
        doc = normalise(json.loads(text))
    except ValueError:
        return {"(unparsable policy)": text}
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    keyed: dict[str, object] = {}
    for index, statement in enumerate(statements if isinstance(statements, list) else []):
        sid = _sid(statement) or f"(statement without Sid #{index + 1})"
        while sid in keyed:  # duplicate Sids: keep both, visibly
            sid += "'"
        keyed[sid] = statement
    return keyed


def _gist(statement: object) -> str:
    if not isinstance(statement, dict):
        return "not a statement object"
    actions = statement.get("Action", statement.get("NotAction", []))
    actions = actions if isinstance(actions, list) else [actions]
    not_action = "NOT " if "NotAction" in statement and "Action" not in statement else ""
    return f"{statement.get('Effect', '?')} {not_action}{', '.join(map(str, actions))}"


def canonical_text(text: str | None) -> list[str]:
    """Lines of the normal form (what the diff shows); [] for no policy."""
    if text is None:
        return []
    try:
        doc = normalise(json.loads(text))
    except ValueError:
        return text.splitlines()  # show an unparsable policy as it is
    return json.dumps(doc, indent=2, ensure_ascii=False).splitlines()


def diff(current: str | None, wanted: str | None, current_label: str, wanted_label: str) -> str:
    """A unified diff of the normal forms: only semantic changes show."""
    lines = difflib.unified_diff(
        canonical_text(current), canonical_text(wanted),
        fromfile=current_label,
        tofile=wanted_label,
        lineterm="", n=3,
    )
    return "\n".join(lines)
