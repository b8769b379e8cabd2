"""The JSON Schema of accounts.yaml: fresh, valid draft-07, accepts the
example, rejects the field-level bad-input fixtures of test_config_errors.

Rules that relate parts of the file (a party names a declared account of
the right kind, one registry, unique ids, ...) cannot be written in JSON
Schema: those fixtures are listed in CROSS_REFERENCE and must pass the
schema, so the day the schema learns one of them this test says so.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from generator import schema
from generator.cli import main

from .conftest import EXAMPLE, ROOT
from .test_config_errors import CASES

COMMITTED = ROOT / "schema" / "accounts.schema.json"
VALIDATOR = jsonschema.Draft7Validator(schema.schema())

# Fixtures whose error is about the YAML text itself, before any schema applies.
NOT_A_DOCUMENT = {"malformed yaml", "duplicate key"}
# Fixtures only `render` can reject: they relate one part of the file to another.
CROSS_REFERENCE = {
    "duplicate account id", "undeclared developer", "prod as developer", "developer as consumer",
    "undeclared registry", "two registries", "party without roles", "stage on non-workload",
    "roles on registry", "partition mismatch", "key arn other account", "group with nobody", "same sid prefix",
    "access point prefix without access points",
}
FIELD_LEVEL = [c for c in CASES if c[0] not in NOT_A_DOCUMENT | CROSS_REFERENCE]


def test_committed_schema_is_fresh():
    assert COMMITTED.read_text() == schema.text(), "schema/accounts.schema.json is stale: run `make render`"


def test_schema_is_a_valid_draft_07_schema():
    jsonschema.Draft7Validator.check_schema(schema.schema())
    assert schema.schema()["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$defs" not in COMMITTED.read_text()  # draft-07 spells it definitions


def test_schema_is_deterministic():
    assert schema.text() == schema.text()


def test_example_starts_with_the_editor_schema_line_and_validates():
    first = EXAMPLE.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    assert (EXAMPLE.parent / first.split("=", 1)[1]).resolve() == COMMITTED.resolve()
    errors = list(VALIDATOR.iter_errors(yaml.safe_load(EXAMPLE.read_text())))
    assert errors == []


def test_every_fixture_is_classified():
    names = {c[0] for c in CASES}
    assert NOT_A_DOCUMENT | CROSS_REFERENCE <= names
    assert len(FIELD_LEVEL) >= 15


@pytest.mark.parametrize("text", [c[1] for c in FIELD_LEVEL], ids=[c[0] for c in FIELD_LEVEL])
def test_schema_rejects_field_level_bad_input(text):
    assert list(VALIDATOR.iter_errors(yaml.safe_load(text))), "the schema accepted it"


CROSS = [c for c in CASES if c[0] in CROSS_REFERENCE]


@pytest.mark.parametrize("text", [c[1] for c in CROSS], ids=[c[0] for c in CROSS])
def test_cross_reference_rules_are_beyond_json_schema(text):
    assert list(VALIDATOR.iter_errors(yaml.safe_load(text))) == []


@pytest.mark.parametrize(
    "old,new",
    [
        ('roles: [ModelApproverRole]', 'roles: [ModelApproverRole, ModelApproverRole]'),  # uniqueItems
        ("acme-ml-model-artifacts", "acme..artifacts"),
        ("acme-ml-model-artifacts", "192.168.1.10"),
        ("  kms_key_alias: alias/ml-model-artifacts\n",
         "  kms_key_alias: alias/ml-model-artifacts\n  kms_key_arn: arn:aws:kms:us-east-1:111111111111:key/nope\n"),
        ('roles: [ModelApproverRole]', 'roles: ["team/**"]'),
    ],
)
def test_schema_publishes_the_validator_only_rules(old, new):
    text = EXAMPLE.read_text()
    assert old in text
    assert list(VALIDATOR.iter_errors(yaml.safe_load(text.replace(old, new, 1))))


def test_schema_cli_prints_and_writes(tmp_path, capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == schema.schema()
    out = tmp_path / "s.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert out.read_text() == schema.text()
    assert main(["schema", "--out", str(out)]) == 0
    assert "unchanged" in capsys.readouterr().out.splitlines()[-1]
