"""Every command the docs show runs as written (issue 31).

Each line in a fenced code block of README.md or docs/*.md that starts with
``mrpolicy`` or ``python -m generator`` (after an optional ``$ `` prompt,
``\\`` continuations joined, ``&&`` chains split, a trailing ``# comment``
dropped) must parse with the real command-line parser: the subcommand and
every flag exist, values are accepted. Usage synopses (``[--dry-run |
--check]``) are checked flag by flag. The read-only analysis commands
(lint, report to stdout, explain, prove) also run, offline, on the example fixture
(never the user's accounts.yaml): they must exit 0 or 1 (explain: denied),
never 2 (bad input) and never with a traceback. ``sandbox``, which serves
until interrupted, runs as a child process on the example fixture until its
ready line, then gets Ctrl-C (SIGINT) and must exit 0 without a word on
stderr.
"""

from __future__ import annotations

import re
import shlex
import signal
import sys
from pathlib import Path

import pytest

from generator.cli import build_parser, main

from .conftest import EXAMPLE, EXAMPLE_OUT, ROOT

PROGRAM = re.compile(r"^(?:mrpolicy|(?:\S*/)?python3? -m generator)(?=\s|$)")
SYNOPSIS = re.compile(r"(?:^|\s)[\[(]|\|")


def documented_commands() -> list[tuple[str, str]]:
    """(where, command without the program) for every documented command."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        lines = path.read_text(encoding="utf-8").splitlines()
        fenced, i = False, 0
        while i < len(lines):
            line = lines[i].strip()
            if line.startswith("```"):
                fenced = not fenced
            elif fenced:
                line = re.sub(r"^\$ ", "", line)
                start = i
                while line.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    line = line[:-1] + " " + lines[i].strip()
                for part in line.split("&&"):
                    part = re.sub(r"\s+#.*$", "", part.strip())
                    match = PROGRAM.match(part)
                    if match:
                        found.append((f"{path.relative_to(ROOT)}:{start + 1}", part[match.end():].strip()))
            i += 1
    return found


COMMANDS = documented_commands()


def test_the_docs_show_commands_at_all():
    # the scan itself can fail: it must find the README's quickstart and the apply synopsis
    where = {w.split(":")[0] for w, _ in COMMANDS}
    assert {"README.md", "docs/apply.md", "docs/report.md", "docs/workflow.md"} <= where
    assert len(COMMANDS) >= 30


def _subparsers():
    parser = build_parser()
    [action] = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return parser, action.choices


@pytest.mark.parametrize("where,command", COMMANDS, ids=[w for w, _ in COMMANDS])
def test_documented_command_parses(where, command):
    parser, subcommands = _subparsers()
    tokens = [t for t in shlex.split(command) if t != "..."]
    assert tokens and tokens[0] in subcommands, f"{where}: no subcommand {tokens[:1]} in: {command}"
    if SYNOPSIS.search(command):
        known = {flag for action in subcommands[tokens[0]]._actions for flag in action.option_strings}
        flags = {f for f in re.findall(r"--[a-z][a-z-]*", command)}
        assert flags <= known, f"{where}: {sorted(flags - known)} not flags of {tokens[0]}: {command}"
        return
    try:
        parser.parse_args(tokens)
    except SystemExit as exc:
        pytest.fail(f"{where}: does not parse (exit {exc.code}): {command}")


def _runnable(command: str) -> list[str] | None:
    """The command as it runs on the example fixture, or None when it is not a read-only analysis."""
    tokens = [t for t in shlex.split(command) if t != "..."]
    if SYNOPSIS.search(command) or tokens[0] not in ("lint", "report", "explain", "prove"):
        return None
    if tokens[0] == "report" and "-" not in tokens[tokens.index("--out") + 1:][:1] if "--out" in tokens else False:
        return None  # writes a directory: not read-only
    if any(not (ROOT / tokens[i + 1]).exists() for i, t in enumerate(tokens[:-1]) if t == "--policies"):
        return None  # reads a render made earlier in its own block: see the README test below
    if "--config" not in tokens:
        tokens += ["--config", str(EXAMPLE)]
    if "--policies" not in tokens:
        tokens += ["--policies", str(EXAMPLE_OUT)]
    return tokens if all(Path(t).exists() for t in tokens if t.startswith("/tmp/")) else None


RUNNABLE = [(w, c) for w, c in COMMANDS if _runnable(c)]


def test_some_documented_commands_run():
    assert len(RUNNABLE) >= 5, RUNNABLE


@pytest.mark.parametrize("where,command", RUNNABLE, ids=[w for w, _ in RUNNABLE])
def test_documented_analysis_command_runs_on_the_fixture(where, command, capsys):
    code = main(_runnable(command))
    captured = capsys.readouterr()
    assert code in (0, 1), f"{where}: exit {code}: {captured.err.strip()}"
    assert "Traceback" not in captured.err
    assert captured.out.strip(), f"{where}: printed nothing"


def test_the_readme_install_block_runs_as_written(tmp_path, monkeypatch, capsys):
    """The README's `mrpolicy` block, line by line, in an empty directory:
    init writes accounts.yaml, then render, modules, lint, report all exit 0
    and leave what the README says they leave."""
    block = [(w, c) for w, c in COMMANDS if w.startswith("README.md:")]
    assert [c.split()[0] for _, c in block] == ["init", "render", "modules", "lint", "report"], block
    monkeypatch.chdir(tmp_path)
    for where, command in block:
        code = main(shlex.split(command))
        captured = capsys.readouterr()
        assert code == 0, f"{where}: exit {code}: {captured.err.strip()}"
    assert (tmp_path / "infra" / "accounts" / "manifest.json").is_file()
    assert (tmp_path / "infra" / "modules").is_dir()
    assert (tmp_path / "infra" / "report" / "access-matrix.md").is_file()


# --- commands that run until interrupted ------------------------------------------

def _until_interrupted(command: str) -> list[str] | None:
    """A documented `sandbox` command as it runs here: on the example fixture
    (its --config and --policies replaced), on a free port (a documented
    --port may be taken on this machine)."""
    tokens = [t for t in shlex.split(command) if t != "..."]
    if SYNOPSIS.search(command) or tokens[0] != "sandbox":
        return None
    fixture = {"--config": str(EXAMPLE), "--policies": str(EXAMPLE_OUT), "--port": "0"}
    out, i = [], 0
    while i < len(tokens):
        if tokens[i] in fixture:
            i += 2
            continue
        out.append(tokens[i])
        i += 1
    return out + [item for pair in fixture.items() for item in pair]


UNTIL_INTERRUPTED = [(w, c) for w, c in COMMANDS if _until_interrupted(c)]


def test_the_docs_show_the_sandbox():
    assert any(w.startswith("docs/sandbox.md") for w, _ in UNTIL_INTERRUPTED), UNTIL_INTERRUPTED


@pytest.mark.parametrize("where,command", UNTIL_INTERRUPTED, ids=[w for w, _ in UNTIL_INTERRUPTED])
def test_documented_sandbox_command_serves_until_ctrl_c(where, command, tmp_path):
    from .test_sandbox import Sandbox

    box = Sandbox([sys.executable, "-m", "generator", *_until_interrupted(command)], tmp_path)
    try:
        box.wait_ready()
        code, out, err = box.stop(signal.SIGINT)
        assert code == 0, f"{where}: exit {code}: {err.strip()}"
        assert err == "" and out.endswith("sandbox stopped"), f"{where}: {err or out}"
    finally:
        box.kill()
