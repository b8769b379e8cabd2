"""Every config error at once: one line each with file:line:key, exit 2,
nothing written; "did you mean" for unknown keys, values and names."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generator.cli import main
from generator.config import config_from_text
from generator.config.model import check_references
from generator.errors import ConfigError, ConfigErrors, ErrorCollector

from .conftest import EXAMPLE, ROOT

GOOD = EXAMPLE.read_text()


def edit(*pairs: tuple[str, str]) -> str:
    text = GOOD
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


THREE_MISTAKES = edit(
    ("kms_key_alias:", "kms_key_alais:"),                     # a misspelled required key (line 12)
    ('id: "444444444444"', 'id: "44444444444"'),              # an 11-digit id (line 18)
    ("consumers: [test, prod]", "consumers: [test, prd]"),    # an undeclared name (line 26)
)


def lines_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as error:
        config_from_text(text)
    return [e.format("accounts.yaml") for e in getattr(error.value, "errors", [error.value])]


def test_three_mistakes_are_three_lines_with_file_line_key_and_nothing_is_written(tmp_path, capsys):
    config = tmp_path / "accounts.yaml"
    config.write_text(THREE_MISTAKES)
    out = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"error: {config}:12: registry.kms_key_alais: unknown key; did you mean 'kms_key_alias'? "
        "('kms_key_alias' is required and missing)",
        f"error: {config}:18: accounts.test.id: must be exactly 12 digits",
        f"error: {config}:26: model_groups.credit-risk.consumers[1]: 'prd' is not declared under accounts; "
        "did you mean 'prod'?",
    ]
    assert not out.exists()


def test_a_bad_required_value_does_not_hold_back_the_reference_errors():
    # issue 30: a bad bucket name (a required key) stopped the reference checks: two rounds
    lines = lines_of(edit(
        ("artifact_bucket: acme-ml-model-artifacts", "artifact_bucket: Bad_Bucket"),
        ('id: "444444444444"', 'id: "44444444444"'),
        ("consumers: [test, prod]", "consumers: [test, prd]"),
    ))
    assert [line.split(": ", 2)[1] for line in lines] == [
        "registry.artifact_bucket", "accounts.test.id", "model_groups.credit-risk.consumers[1]"], lines
    assert "'prd' is not declared under accounts" in lines[2]


@pytest.mark.parametrize("old,new,key", [
    ("kms_key_alias: alias/ml-model-artifacts", "kms_key_alias: ml-model-artifacts", "registry.kms_key_alias"),
    ("region: us-east-1", "region: Mars", "region"),
])
def test_other_bad_required_values_report_references_too(old, new, key):
    if key == "region":  # the stand-in region follows the partition: no echo from the partition check
        lines = lines_of(edit(("partition: aws\nregion: us-east-1", "partition: aws-cn\nregion: Mars")))
        assert [line.split(": ", 2)[1] for line in lines] == [key], lines
    lines = lines_of(edit((old, new), ("consumers: [test, prod]", "consumers: [test, prd]")))
    assert [line.split(": ", 2)[1] for line in lines] == [key, "model_groups.credit-risk.consumers[1]"], lines


def test_real_process_prints_every_error_and_no_traceback(tmp_path):
    config = tmp_path / "accounts.yaml"
    config.write_text(THREE_MISTAKES)
    proc = subprocess.run([sys.executable, "-m", "generator", "lint", "--config", str(config), "--policies",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith(f"error: {config}:") for line in lines), proc.stderr


def test_misspelled_key_is_named_as_the_stray_key_not_only_as_the_missing_one():
    lines = lines_of(edit(("region: us-east-1", "regoin: us-east-1")))
    assert lines == ["accounts.yaml:6: regoin: unknown key; did you mean 'region'? ('region' is required and missing)"]


def test_unknown_optional_key_gets_did_you_mean_or_the_allowed_keys():
    lines = lines_of(edit(("    description: Customer churn predictor", "    descripton: Customer churn predictor"),
                          ("    consumers: [test]\n", "    consumers: [test]\n    owner: ml-team\n")))
    assert lines == [
        "accounts.yaml:28: model_groups.churn-predictor.descripton: unknown key; did you mean 'description'?",
        "accounts.yaml:31: model_groups.churn-predictor.owner: unknown key "
        "(allowed here: approvers, consumers, deployers, description, developers, registration, tags)",
    ]


def test_undeclared_names_and_bad_values_get_did_you_mean():
    lines = lines_of(edit(("kind: governance", "kind: governence"),
                          ("developers: [data-science]", "developers: [data-sciense]"),
                          ("account: shared-services", "account: shared-service")))
    assert "accounts.yaml:20: accounts.governance.kind: 'governence' is not one of registry, development, " \
           "deployment, workload, governance; did you mean 'governance'?" in lines
    # registry.account is checked first and alone: every other rule reads the registry account
    assert lines[0] == "accounts.yaml:10: registry.account: 'shared-service' is not declared under accounts; " \
                       "did you mean 'shared-services'?"
    assert len(lines) == 2
    fixed = lines_of(edit(("developers: [data-science]", "developers: [data-sciense]")))
    assert fixed == ["accounts.yaml:25: model_groups.credit-risk.developers[0]: 'data-sciense' is not declared "
                     "under accounts; did you mean 'data-science'?"]


def test_an_account_dropped_for_a_bad_field_is_not_reported_again_where_it_is_used():
    # 'test' has a bad id: its uses in model groups are not also "not declared".
    lines = lines_of(edit(('id: "444444444444"', 'id: 444444444444')))
    assert len(lines) == 1 and lines[0].startswith("accounts.yaml:18: accounts.test.id: must be a quoted string")


def test_collector_keeps_errors_of_checks_that_raise_and_skips_their_consequences():
    errors = ErrorCollector()

    def first():
        raise ConfigError("a.b", "one")

    def crashes_because_of_first():
        raise KeyError("b")

    def second():
        raise ConfigErrors([ConfigError("c", "two"), ConfigError("d", "three")])

    errors.run(first)
    errors.run(crashes_because_of_first)
    errors.run(second)
    with pytest.raises(ConfigErrors) as raised:
        errors.raise_if_any()
    assert [e.key for e in raised.value.errors] == ["a.b", "c", "d"]
    assert raised.value.key == "a.b"  # `except ConfigError` callers see the first error
    assert raised.value.format("f.yaml") == "f.yaml: a.b: one\nerror: f.yaml: c: two\nerror: f.yaml: d: three"


def test_a_bug_in_a_check_is_not_swallowed_when_nothing_was_reported():
    errors = ErrorCollector()
    with pytest.raises(KeyError):
        errors.run(lambda: {}["x"])


def test_cross_reference_errors_are_all_reported(monkeypatch):
    text = edit(("consumers: [test, prod]", "consumers: [test, prod, nope]"),
                ("    consumers: [test]\n", "    consumers: [test, data-science]\n"))
    lines = lines_of(text)
    assert len(lines) == 2
    assert "'nope' is not declared under accounts" in lines[0]
    assert "'data-science' is a development account; consumers must be workload accounts" in lines[1]
    assert check_references  # the entry point section modules hook into
