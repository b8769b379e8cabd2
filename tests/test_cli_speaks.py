"""The installed command speaks for itself (issue 31): a closed pipe ends the
command quietly, as `git log | head` does, and the messages that tell what to
run next name `mrpolicy` commands outside the project's checkout (where no
Makefile of this project is) and `make` targets inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .conftest import EXAMPLE, EXAMPLE_OUT, ROOT

FIXTURE = ["--config", str(EXAMPLE), "--policies", str(EXAMPLE_OUT)]
PIPED = [
    ["explain", *FIXTURE, "--principal", "prod/SageMakerExecutionRole", "--can", "read", "--group", "credit-risk"],
    ["report", *FIXTURE, "--out", "-"],
    ["lint", *FIXTURE],
    ["--help"],
]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.parametrize("argv", PIPED, ids=[a[0] for a in PIPED])
def test_a_closed_pipe_ends_the_command_quietly(argv, tmp_path):
    """stdout is a real pipe whose reader has gone (what `| head` leaves once
    it has its lines): no traceback, nothing on stderr about the pipe, the
    exit code a shell shows for SIGPIPE (141), like git's."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "generator", *argv], stdout=write_end, stderr=subprocess.PIPE,
                              cwd=tmp_path, env=_env(), text=True, timeout=300)
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr and "Exception ignored" not in proc.stderr, \
        proc.stderr
    assert proc.returncode == (0 if argv == ["--help"] else 141), proc.stderr  # argparse drops help quietly


def test_head_takes_its_lines_and_the_command_is_quiet(tmp_path):
    script = (f"{sys.executable} -m generator report --config {EXAMPLE} --policies {EXAMPLE_OUT} --out - | head -2; "
              f"{sys.executable} -m generator explain --config {EXAMPLE} --policies {EXAMPLE_OUT} "
              "--principal prod/SageMakerExecutionRole --can read --group credit-risk | head -1")
    proc = subprocess.run(["sh", "-c", script], capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=300)
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 3 and proc.stdout.splitlines()[2].startswith("YES")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def _run(argv, cwd):
    return subprocess.run([sys.executable, "-m", "generator", *argv], capture_output=True, text=True, cwd=cwd,
                          env=_env(), timeout=300)


def _stale_render(tmp_path):
    out = tmp_path / "out"
    shutil.copytree(EXAMPLE_OUT, out)
    [policy] = list(out.glob("*/policies/model-package-group-credit-risk.json"))
    policy.write_text(policy.read_text().replace("credit-risk/*", "credit-risk/x*", 1))
    return out


# (argv, the message fragment) for every "run this next" a user meets
def _cases(tmp_path):
    stale = _stale_render(tmp_path)
    return [
        (["lint", "--config", str(EXAMPLE), "--policies", str(tmp_path / "missing")], "first"),
        (["report", "--config", str(EXAMPLE), "--policies", str(tmp_path / "missing"), "--out", "-"], "first"),
        (["render", "--check", "--config", str(EXAMPLE), "--out", str(stale)], "would change"),
        (["explain", "--config", str(EXAMPLE), "--policies", str(stale), "--principal", "prod/SageMakerExecutionRole",
          "--can", "read", "--group", "credit-risk"], "stale"),
    ]


def test_outside_the_checkout_messages_name_mrpolicy_commands(tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    for argv, fragment in _cases(tmp_path):
        proc = _run(argv, work)
        said = proc.stdout + proc.stderr
        assert fragment in said, (argv, said)
        assert "make " not in said.replace("make a version", ""), (argv, said)
        assert "`mrpolicy render" in said, (argv, said)


def test_in_the_checkout_messages_name_make_targets(tmp_path):
    work = tmp_path / "checkout"
    work.mkdir()
    shutil.copy(ROOT / "Makefile", work / "Makefile")
    for argv, fragment in _cases(tmp_path):
        proc = _run(argv, work)
        said = proc.stdout + proc.stderr
        assert fragment in said and "`make render`" in said, (argv, said)


def test_someone_elses_makefile_is_not_this_project(tmp_path):
    work = tmp_path / "other"
    work.mkdir()
    (work / "Makefile").write_text("render:\n\techo hi\n")
    proc = _run(["lint", "--config", str(EXAMPLE), "--policies", str(tmp_path / "missing")], work)
    assert "`mrpolicy render" in proc.stderr and "make render" not in proc.stderr
