"""The registry of policy kinds (generator/kinds/): each kind declares its own
facts, and nothing else in the code base names it.

The measure of issue 28: for each kind, the source files outside tests/ and
docs/ that name it (as a whole word: a string, an identifier, a comment).
The goal, held here, is one: the kind's own module.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from generator import kinds, limits
from generator.render import build_policies

from .conftest import ROOT

SOURCE = re.compile(r"(\.py|\.j2|\.tf|\.sh|\.toml|\.cfg|Makefile)$")
NOT_SOURCE = ("tests/", "docs/", "terraform/accounts/", "schema/")


def _source_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    return sorted(p for p in listed if SOURCE.search(p) and not p.startswith(NOT_SOURCE) and (ROOT / p).is_file())


def files_naming(name: str, files: list[str]) -> list[str]:
    word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
    return [p for p in files if word.search((ROOT / p).read_text(encoding="utf-8", errors="replace"))]


def test_each_kind_is_named_only_in_its_own_module():
    files = _source_files()
    assert "generator/render.py" in files and "templates/registry.main.tf.j2" in files  # the scan sees the code
    found = {kind.name: files_naming(kind.name, files) for kind in kinds.ALL}
    wrong = {name: where for name, where in found.items() if where != [f"generator/kinds/{name}.py"]}
    assert not wrong, "kinds named outside their own module: " + "; ".join(
        f"{name}: {', '.join(where)}" for name, where in sorted(wrong.items()))


def test_the_measure_sees_a_name_written_elsewhere():
    files = _source_files()
    assert files_naming("s3_bucket_policy", ["generator/kinds/s3_bucket_policy.py"]) == [
        "generator/kinds/s3_bucket_policy.py"]
    # a word inside a longer identifier is not the kind's name
    assert "templates/registry.main.tf.j2" not in files_naming("kms_key_policy", files)


def test_every_kind_declares_its_facts():
    assert len(kinds.ALL) == len(set(kinds.NAMES)) >= 11
    for kind in kinds.ALL:
        assert kind.role in kinds.ROLES, kind.name
        assert kind.limit.size > 0 and kind.limit.unit in ("bytes", "characters"), kind.name
        assert kind.limit.source.startswith("https://docs.aws.amazon.com/"), kind.name
        assert (kind.render is None) != (kind.render_item is None), kind.name  # renders one way
        assert (kind.items is None) == (kind.render_item is None), kind.name
        if kind.role == kinds.RESOURCE or kind.role == kinds.TRUST:
            assert kind.governs, f"{kind.name}: a resource policy says which requests it decides"
        else:
            assert not kind.governs, kind.name
        assert kind.is_policy == (kind.terraform is not None), kind.name


def test_each_resource_type_is_governed_by_one_kind():
    governed = [t for kind in kinds.ALL for t in kind.governs]
    assert len(governed) == len(set(governed))
    for resource_type in governed:
        assert resource_type in kinds.governing(resource_type).governs


def test_lookups_by_role_and_property():
    assert kinds.one(role=kinds.IDENTITY).name == "iam_role_policy"
    assert kinds.one(applied_by_helper=True).name == "model_package_group_policy"
    assert kinds.governing("object").name == "s3_bucket_policy"
    assert kinds.get("no_such_kind") is None
    with pytest.raises(LookupError):
        kinds.one(role=kinds.RESOURCE)  # several


def test_limits_table_is_the_kinds_own_and_writes_through(monkeypatch):
    kind = kinds.get("ecr_repository_policy")
    assert limits.LIMITS["ecr_repository_policy"] is kind.limit
    monkeypatch.setitem(limits.LIMITS, "ecr_repository_policy", kinds.Limit(50, "characters", True, "x"))
    assert kind.limit.size == 50
    assert limits.check("ecr_repository_policy", "x" * 51) == (51, kind.limit)


def test_minified_kinds_measure_what_is_sent():
    rule = kinds.get("event_rule")
    document = {"EventPattern": {"source": ["aws.sagemaker"]}, "Targets": [{"Id": "x" * 5000}]}
    assert rule.measure(json.dumps(document, indent=2)) == len('{"source":["aws.sagemaker"]}')
    role = kinds.get("iam_role_policy")
    assert role.measure(json.dumps({"a": "b"}, indent=8)) == len('{"a":"b"}')
    bucket = kinds.get("s3_bucket_policy")
    assert bucket.measure('{"a": "é"}') == len('{"a": "é"}'.encode())  # bytes, as written


def test_every_rendered_kind_is_registered(example_config):
    rendered = {p.kind for p in build_policies(example_config)}
    assert rendered <= set(kinds.NAMES)
    assert {"s3_bucket_policy", "kms_key_policy", "model_package_group_policy", "iam_role_policy"} <= rendered
