"""apply under hostile input (issue 12): --restore refuses a group outside
the config and a backup that fails lint, before any AWS call; an
interrupted create says exactly what happened and the next run finishes it;
bad --endpoint-url and --role-name are one line, exit 2."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from .test_apply import (  # noqa: F401  (fixtures)
    sent,
    REGION,
    REGISTRY,
    _spawn,
    apply,
    aws,
    rendered,
    server,
    stored,
    writes,
)
from .hostile import assert_one_line


def backup_file(tmp_path, group: str, policy: str | None):
    path = tmp_path / f"backup-{group}.json"
    path.write_text(json.dumps({
        "format": "model-package-group-policy-backup/1", "taken_at": "20250101T000000Z", "reason": "apply",
        "account_id": REGISTRY, "region": REGION, "model_package_group": group,
        "model_package_group_arn": f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package-group/{group}",
        "group_existed": True, "previous_policy": policy,
    }))
    return path


def broad(change) -> str:
    doc = json.loads(rendered()["credit-risk"])
    change(doc["Statement"][0])
    return json.dumps(doc)


def test_restore_refuses_a_group_not_in_the_config(aws, capsys, tmp_path):
    saved = backup_file(tmp_path, "someone-elses-group", rendered()["credit-risk"])
    code, _, err = apply(aws, capsys, "--restore", str(saved))
    assert code == 2
    assert_one_line(err, "'someone-elses-group', which is not in")
    assert aws.api.calls == []


@pytest.mark.parametrize("change,rule", [
    (lambda s: (s.__setitem__("Principal", "*"), s.pop("Condition", None)), "wildcard-principal"),
    (lambda s: s.__setitem__("Action", "sagemaker:*"), "wildcard-action"),
])
def test_restore_refuses_a_backup_that_fails_lint(aws, capsys, tmp_path, change, rule):
    saved = backup_file(tmp_path, "credit-risk", broad(change))
    code, _, err = apply(aws, capsys, "--restore", str(saved))
    assert code == 2
    assert_one_line(err, "refusing to put")
    assert aws.api.calls == []


def test_restore_refuses_a_policy_with_duplicate_keys(aws, capsys, tmp_path):
    # issue 30: two "Statement" keys; the second wins in Python, AWS's reading may differ
    text = rendered()["credit-risk"]
    assert text.startswith("{")
    saved = backup_file(tmp_path, "credit-risk", '{"Statement": [], ' + text[1:])
    code, _, err = apply(aws, capsys, "--restore", str(saved))
    assert code == 2
    assert_one_line(err, "duplicate key 'Statement'")
    assert aws.api.calls == []


def test_restore_refuses_a_backup_file_with_duplicate_keys(aws, capsys, tmp_path):
    saved = backup_file(tmp_path, "credit-risk", rendered()["credit-risk"])
    text = saved.read_text()
    saved.write_text('{"model_package_group": "someone-elses-group", ' + text[1:])
    code, _, err = apply(aws, capsys, "--restore", str(saved))
    assert code == 2
    assert_one_line(err, f"{saved}: duplicate key 'model_package_group'")
    assert aws.api.calls == []


def test_restore_of_a_lint_clean_backup_still_works(aws, capsys, tmp_path):
    assert apply(aws, capsys, backups=tmp_path / "b")[0] == 0
    doc = json.loads(rendered()["credit-risk"])
    doc["Statement"] = doc["Statement"][1:]  # an older, narrower policy
    saved = backup_file(tmp_path, "credit-risk", json.dumps(doc))
    code, out, err = apply(aws, capsys, "--restore", str(saved), backups=tmp_path / "b")
    assert code == 0, err
    assert stored(aws, "credit-risk") == json.dumps(doc)


def test_interrupted_create_says_what_happened_and_the_next_run_finishes_it(aws, capsys, tmp_path):
    slow = aws.api.inject("delay", "PutModelPackageGroupPolicy", group="churn-predictor", seconds=3)
    proc = _spawn(aws, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slow.started.wait(30)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "either the old or the new one" not in out
    assert "stopped after creating the group, during its policy put" in out
    assert "the next apply run finishes it" in out
    deadline = time.monotonic() + 10
    while len(writes(aws)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    code, out, err = apply(aws, capsys, backups=tmp_path / "b2")
    assert code == 0, err
    assert stored(aws, "churn-predictor") == sent(rendered()["churn-predictor"])
    assert stored(aws, "credit-risk") == sent(rendered()["credit-risk"])


@pytest.mark.parametrize("args,fragment", [
    (["--endpoint-url", "http://[::1"], "--endpoint-url"),
    (["--endpoint-url", "ftp://example.com"], "--endpoint-url"),
    (["--endpoint-url", "http://localhost:99999"], "--endpoint-url"),
    (["--role-name", "Admin\n"], "--role-name"),
    (["--role-name", "Admin\nerror: forged"], "--role-name"),
])
def test_bad_flags_one_line_exit_2(tmp_path, capsys, args, fragment):
    from generator.cli import main

    from .conftest import EXAMPLE

    code = main(["apply", "--config", str(EXAMPLE), "--dry-run", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert_one_line(err, fragment)


# --- the emergency rollback to a hand-written policy (issue 31) ---------------------

def _legacy_policy() -> str:
    """What the registry held before apply: the rendered policy plus a hand-written broad grant."""
    return broad(lambda s: s.__setitem__("Action", "sagemaker:*"))


def test_restore_unlinted_is_refused_without_a_backup_to_restore(tmp_path, capsys):
    from generator.cli import main

    from .conftest import EXAMPLE

    code = main(["apply", "--config", str(EXAMPLE), "--dry-run", "--restore-unlinted"])
    assert code == 2
    assert_one_line(capsys.readouterr().err, "--restore-unlinted only applies to --restore")


def test_restore_unlinted_puts_back_the_hand_written_policy_and_records_what_it_overrode(aws, capsys, tmp_path):
    legacy = _legacy_policy()
    saved = backup_file(tmp_path, "credit-risk", legacy)
    assert apply(aws, capsys, backups=tmp_path / "b")[0] == 0
    # without the flag: refused, nothing sent (the default stays safe)
    code, _, err = apply(aws, capsys, "--restore", str(saved), backups=tmp_path / "b")
    assert code == 2 and "--restore-unlinted" in err
    assert stored(aws, "credit-risk") == sent(rendered()["credit-risk"])
    # with it: put back byte for byte, the override on stderr and in the backup it wrote first
    code, out, err = apply(aws, capsys, "--restore", str(saved), "--restore-unlinted", backups=tmp_path / "b")
    assert code == 0, err
    assert stored(aws, "credit-risk") == legacy
    assert "warning: --restore-unlinted: putting" in err and "wildcard-action" in err
    newest = max((tmp_path / "b").glob("*-credit-risk*.json"), key=lambda p: p.stat().st_mtime_ns)
    record = json.loads(newest.read_text())
    assert record["reason"] == "restore --restore-unlinted"
    assert record["restored_from"] == str(saved)
    assert "wildcard-action" in [f["rule"] for f in record["overridden_lint"]]
    assert record["previous_policy"] == sent(rendered()["credit-risk"])


def test_restore_unlinted_dry_run_sends_nothing(aws, capsys, tmp_path):
    saved = backup_file(tmp_path, "credit-risk", _legacy_policy())
    assert apply(aws, capsys, backups=tmp_path / "b")[0] == 0
    before = len(writes(aws))
    code, out, err = apply(aws, capsys, "--restore", str(saved), "--restore-unlinted", "--dry-run",
                           backups=tmp_path / "b")
    assert code == 0, err
    assert "would restore  credit-risk" in out
    assert len(writes(aws)) == before


def test_restore_unlinted_never_sends_what_sagemaker_would_reject(aws, capsys, tmp_path):
    saved = backup_file(tmp_path, "credit-risk", "{not json")
    code, _, err = apply(aws, capsys, "--restore", str(saved), "--restore-unlinted")
    assert code == 2
    assert_one_line(err, "refusing to put")
    assert aws.api.calls == []
