"""Every pattern in generator/ is a full match (issue 30).

``re.match(r"^x$", "x\\n")`` succeeds: ``$`` also matches before a trailing
newline, so ``deploy_role.name: "ModelDeployRole\\n"`` once reached every ARN.
Python patterns are applied with ``fullmatch`` (or ``search`` for an infix
without ``$``); pydantic ``pattern=`` strings are anchored ``^...$`` and rely
on pydantic 2's Rust regex engine, where ``$`` is the end of the text only
(pinned below, so a change of engine fails here first).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, StringConstraints, ValidationError

ROOT = Path(__file__).resolve().parent.parent / "generator"


def _ends_with_dollar(text: str) -> bool:
    # an unescaped $ at the end: r"x$" but not r"x\$"
    stripped = text.rstrip(")")
    return stripped.endswith("$") and not stripped.endswith("\\$")


def _constant(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # rf"...{x}...$": the literal tail decides
        tail = node.values[-1] if node.values else None
        return tail.value if isinstance(tail, ast.Constant) and isinstance(tail.value, str) else None
    return None


def _findings(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    compiled: dict[str, str] = {}  # NAME = re.compile("...")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "compile" and node.value.args):
            text = _constant(node.value.args[0])
            if text is not None:
                compiled[node.targets[0].id] = text
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        where = f"{name}:{node.lineno}"
        if isinstance(func, ast.Attribute) and func.attr == "match":
            found.append(f"{where}: .match() (use fullmatch)")
        if isinstance(func, ast.Attribute) and func.attr == "search":
            pattern = _constant(node.args[0]) if isinstance(func.value, ast.Name) and func.value.id == "re" and node.args \
                else compiled.get(func.value.id) if isinstance(func.value, ast.Name) else None
            if pattern is not None and _ends_with_dollar(pattern):
                found.append(f"{where}: search() with a $ anchor")
        for keyword in node.keywords:
            if keyword.arg == "pattern":
                text = _constant(keyword.value)
                if text is not None and not (text.startswith("^") and _ends_with_dollar(text)):
                    found.append(f"{where}: pydantic pattern= must be anchored ^...$ (pydantic searches)")
    return found


def test_the_scan_finds_what_it_looks_for():
    # negative cases first: each hole is found
    assert _findings('import re\nre.match(r"^a$", x)\n', "m")
    assert _findings('import re\nR = re.compile(r"^a$")\nR.match(x)\n', "m")
    assert _findings('import re\nR = re.compile(r"^a$")\nR.search(x)\n', "m")
    assert _findings('import re\nre.search(r"a$", x)\n', "m")
    assert _findings('StringConstraints(pattern=r"[a-z]+")\n', "m")
    assert _findings('StringConstraints(pattern=r"^[a-z]+")\n', "m")
    # and what is fine passes
    assert not _findings('import re\nR = re.compile(r"^a$")\nR.fullmatch(x)\nre.search(r"a\\$", x)\n', "m")
    assert not _findings('StringConstraints(pattern=r"^[a-z]+$")\n', "m")


def test_no_partial_match_left_in_the_generator():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        found += _findings(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT.parent)))
    assert not found, "\n".join(found)


class _Anchored(BaseModel):
    value: Annotated[str, StringConstraints(pattern=r"^[a-z]+$")]


@pytest.mark.parametrize("value", ["abc\n", "abc\r\n", "\nabc", "abc\nabc"])
def test_pydantic_dollar_is_the_end_of_the_text(value):
    with pytest.raises(ValidationError):
        _Anchored(value=value)


def test_pydantic_anchored_pattern_accepts_the_plain_value():
    assert _Anchored(value="abc").value == "abc"
