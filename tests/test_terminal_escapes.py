"""status and promote escape control characters from AWS and from users in
everything they print (issue 30): a developer can put ESC sequences (or a
line break that forges a row) in a StageDescription, and a server's error
text is not ours either."""

from __future__ import annotations

from .test_workflow import REGISTRY, REGION, aws, promote, register, run, server  # noqa: F401  (fixtures)

HOSTILE = "\x1b]0;pwned\x07\x1b[31mred\x1b[0m\nregistry forged\rback\x9b2J"


def _clean(text: str) -> None:
    for char in ("\x1b", "\x07", "\r", "\x9b"):
        assert char not in text, repr(text)
    assert not any(line.startswith("registry forged") for line in text.splitlines()), text


def test_status_table_escapes_a_hostile_stage_description(aws, capsys):
    register(aws, lifecycle={"Stage": "Development", "StageStatus": "PendingApproval", "StageDescription": HOSTILE})
    code, out, err = run(aws, capsys, "status", "--history")
    assert code == 0, err
    _clean(out + err)
    assert "\\x1b]0;pwned" in out  # shown, escaped, not dropped


def test_status_md_to_stdout_escapes_too(aws, capsys):
    register(aws, lifecycle={"Stage": "Development", "StageStatus": "PendingApproval", "StageDescription": HOSTILE})
    code, out, err = run(aws, capsys, "status", "--format", "md")
    assert code == 0, err
    _clean(out + err)


def test_status_escapes_a_hostile_error_of_one_group(aws, capsys):
    register(aws)
    aws.api.inject("error", "ListModelPackages", code="ValidationException", message=HOSTILE)
    code, out, err = run(aws, capsys, "status")
    assert code == 1
    _clean(out + err)
    assert "registry forged" in err


def test_promote_escapes_a_hostile_server_error(aws, capsys):
    register(aws, lifecycle={"Stage": "Development", "StageStatus": "PendingApproval"})
    aws.api.inject("error", "UpdateModelPackage", code="ValidationException", message=HOSTILE)
    code, out, err = promote(aws, capsys, 1, "Development")
    assert code == 1
    _clean(out + err)
    assert err.count("\n") == 1, err


def test_promote_read_back_table_escapes_the_description(aws, capsys):
    register(aws, lifecycle={"Stage": "Development", "StageStatus": "PendingApproval", "StageDescription": HOSTILE})
    code, out, err = promote(aws, capsys, 1, "Development", note="looks \x1b[1mfine")
    assert code == 0, err
    _clean(out + err)
