"""`mrpolicy sandbox`: a local AWS serving a user's organization, tried as a user would.

The organization is tests/fixtures/sandbox.yaml, not the example: another
region, other account ids, groups, stages and apply role. It is rendered
afresh, the sandbox is started as a child process (the real CLI), and once
it prints its ready line, `status`, `promote` and `apply --check/--dry-run`
run as child processes against it, pointed there only by the environment
lines it printed (AWS_ENDPOINT_URL, its credentials, the region): no
--endpoint-url. Then Ctrl-C (SIGINT to its PID) must end it with exit 0 and
no traceback. Bad input first: one line, exit 2 (exit 1 when moto is
missing or the port is taken), nothing started, nothing written.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import boto3
import pytest

from generator.apply.sandbox import READY
from generator.cli import main
from generator.cli.sandbox import EXTRA

from .conftest import EXAMPLE_OUT, ROOT, popen_with_ctrl_c

FIXTURE = ROOT / "tests" / "fixtures" / "sandbox.yaml"
REGISTRY = "210987654321"
REGION = "eu-west-1"
GROUPS = ["demand-forecast", "fraud-scoring", "search-ranking"]
STAGES = ["Shadow", "Canary", "Live"]
STARTUP_SECONDS = 180  # moto's import and the seed, on a loaded two-core machine


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sandbox-render") / "accounts"
    assert main(["render", "--config", str(FIXTURE), "--out", str(out)]) == 0
    return out


def _no_aws(tmp: Path) -> dict[str, str]:
    """The environment without any AWS setting of the machine running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp / "no-aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-aws-credentials"),
               AWS_EC2_METADATA_DISABLED="true")
    return env


class Sandbox:
    """The sandbox child process, its output and the environment it told us to export."""

    def __init__(self, argv: list[str], tmp: Path):
        self.proc = popen_with_ctrl_c(argv, cwd=ROOT, env=_no_aws(tmp), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.env = _no_aws(tmp)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(READY):
                self.ready.set()
        self.ready.set()  # ended: whoever waits sees it did not get ready

    def wait_ready(self) -> None:
        assert self.ready.wait(STARTUP_SECONDS), f"no ready line after {STARTUP_SECONDS} s: {self.lines}"
        assert self.proc.poll() is None, f"exited {self.proc.returncode}: {self.lines} {self.proc.stderr.read()}"
        for line in self.lines:
            line = line.strip()
            if line.startswith("export "):
                name, value = line.removeprefix("export ").split("=", 1)
                self.env[name] = value

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "generator", *args, "--config", str(FIXTURE)], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=300)

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        """Signal it by its PID; its exit code, the rest of its output and its stderr."""
        os.kill(self.proc.pid, sig)
        code = self.proc.wait(timeout=60)
        self._reader.join(timeout=10)
        return code, "\n".join(self.lines), self.proc.stderr.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def sandbox(rendered, tmp_path_factory):
    box = Sandbox([sys.executable, "-m", "generator", "sandbox", "--config", str(FIXTURE), "--policies",
                   str(rendered)], tmp_path_factory.mktemp("sandbox-env"))
    try:
        box.wait_ready()
        yield box
    finally:
        box.kill()  # stopped by the last test; killed here only if a test failed before


def _status(box: Sandbox) -> dict:
    proc = box.run("status", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _version(status: dict, group: str, number: int) -> dict:
    [found] = [v for g in status["groups"] if g["name"] == group for v in g["versions"] if v["version"] == number]
    return found


# --- bad input and a missing moto: one line, nothing started, nothing written ---------

def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_without_moto_it_names_the_install_command(monkeypatch, capsys, rendered, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "moto", None)  # as if not installed: `import moto` raises ImportError
    code = main(["sandbox", "--config", str(FIXTURE), "--policies", str(rendered)])
    line = _one_line(capsys)
    assert code == 1
    assert f"pip install '.[{EXTRA}]'" in line and "moto" in line, line
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(r.startswith("moto[server]==") for r in extras[EXTRA])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("flags,named", [
    (["--port", "70000"], "--port: 70000 is not a TCP port"),
    (["--port", "-1"], "--port: -1 is not a TCP port"),
    (["--versions", "21"], "--versions: 21 is not between 0 and 20"),
    (["--versions", "-2"], "--versions: -2"),
])
def test_bad_flags_are_one_line_exit_2(flags, named, capsys, rendered, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["sandbox", "--config", str(FIXTURE), "--policies", str(rendered), *flags])
    assert code == 2
    assert named in _one_line(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("flags,named", [
    (["--port", "http"], "argument --port: 'http' is not a number"),
    (["--versions", "two"], "argument --versions: 'two' is not a number"),
])
def test_unparsable_flags_are_one_line_exit_2(flags, named, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sandbox", "--config", str(FIXTURE), *flags])
    assert exited.value.code == 2
    line = _one_line(capsys)
    assert named in line and "sandbox" in line, line


def test_a_render_of_another_organization_is_refused(capsys, tmp_path, monkeypatch):
    """The example's render with this organization's config: its group policies are another registry's."""
    monkeypatch.chdir(tmp_path)
    code = main(["sandbox", "--config", str(FIXTURE), "--policies", str(EXAMPLE_OUT)])
    line = _one_line(capsys)
    assert code == 2
    assert line.startswith("error: --policies: ") and "account 111111111111" in line and REGISTRY in line, line
    assert "render" in line  # says what to run


def test_a_render_missing_a_group_is_refused(capsys, rendered, tmp_path):
    stale = tmp_path / "accounts"
    shutil.copytree(rendered, stale)
    manifest = json.loads((stale / "manifest.json").read_text())
    manifest["policies"] = [p for p in manifest["policies"] if p.get("model_group") != "search-ranking"]
    (stale / "manifest.json").write_text(json.dumps(manifest))
    code = main(["sandbox", "--config", str(FIXTURE), "--policies", str(stale)])
    assert code == 2
    assert "no group policy for model group 'search-ranking'" in _one_line(capsys)


def test_no_render_at_all_is_refused(capsys, tmp_path):
    code = main(["sandbox", "--config", str(FIXTURE), "--policies", str(tmp_path / "nowhere")])
    assert code == 2
    line = _one_line(capsys)
    assert "--policies" in line and "not found" in line, line


def test_a_taken_port_is_one_line_exit_1(capsys, rendered):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["sandbox", "--config", str(FIXTURE), "--policies", str(rendered), "--port", str(port)])
    assert code == 1
    assert f"--port: cannot listen on 127.0.0.1:{port}" in _one_line(capsys)


# --- the sandbox, tried as a user would ----------------------------------------------

def test_it_prints_where_it_listens_and_what_to_export(sandbox):
    env = sandbox.env
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert any(line.strip() == "unset AWS_PROFILE AWS_SESSION_TOKEN" for line in sandbox.lines)
    # The printed credentials are the registry account's.
    identity = boto3.client("sts", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"]).get_caller_identity()
    assert identity["Account"] == REGISTRY


def test_status_shows_this_organizations_groups_and_versions_in_the_first_stage(sandbox):
    status = _status(sandbox)
    assert status["registry"] == {"account": REGISTRY, "region": REGION}
    assert status["stages"] == STAGES
    assert [g["name"] for g in status["groups"]] == GROUPS
    for group in status["groups"]:
        assert group["error"] is None
        assert [v["version"] for v in group["versions"]] == [1, 2]
        for version in group["versions"]:
            assert version["arn"] == f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/{group['name']}/{version['version']}"
            assert (version["stage"], version["stage_status"]) == ("Shadow", "PendingApproval")
            assert version["model_approval_status"] == "PendingManualApproval"


def test_the_group_policies_in_the_sandbox_are_the_render(sandbox, rendered):
    env = sandbox.env
    sagemaker = boto3.client("sagemaker", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                             aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                             aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    for group in GROUPS:
        live = sagemaker.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"]
        path = rendered / "ml-registry" / "policies" / f"model-package-group-{group}.json"
        assert json.loads(live) == json.loads(path.read_text())
    described = sagemaker.describe_model_package_group(ModelPackageGroupName="fraud-scoring")
    assert described["ModelPackageGroupDescription"] == "Card fraud scoring"


def test_apply_check_and_dry_run_find_every_group_in_sync(sandbox, tmp_path):
    check = sandbox.run("apply", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"account {REGISTRY} ({REGION})" in check.stdout
    for group in GROUPS:
        assert f"{group}: in sync" in check.stdout
    dry = sandbox.run("apply", "--dry-run", "--backup-dir", str(tmp_path / "backups"))
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "result: 3 unchanged" in dry.stdout
    assert not (tmp_path / "backups").exists()


def test_promote_refuses_out_of_order_and_approves_in_order(sandbox):
    skip = sandbox.run("promote", "--group", "fraud-scoring", "--version", "1", "--to", "Canary", "--approve",
                       "--note", "skip Shadow")
    assert skip.returncode == 1
    assert "refused (order)" in skip.stdout + skip.stderr
    assert _version(_status(sandbox), "fraud-scoring", 1)["stage_status"] == "PendingApproval"

    shadow = sandbox.run("promote", "--group", "fraud-scoring", "--version", "1", "--to", "Shadow", "--approve",
                         "--note", "shadow week clean")
    assert shadow.returncode == 0, shadow.stdout + shadow.stderr
    canary = sandbox.run("promote", "--group", "fraud-scoring", "--version", "1", "--to", "Canary", "--approve",
                         "--note", "canary at 5 percent")
    assert canary.returncode == 0, canary.stdout + canary.stderr

    status = _status(sandbox)
    v1 = _version(status, "fraud-scoring", 1)
    assert (v1["stage"], v1["stage_status"]) == ("Canary", "Approved")
    # The config's apply role (apply.role_name: RegistryOperator) decided, in the registry account.
    who = f"arn:aws:sts::{REGISTRY}:assumed-role/RegistryOperator/"
    assert v1["stage_description"].startswith(f"Approved by {who}") and v1["stage_description"].endswith(
        ": canary at 5 percent")
    untouched = _version(status, "fraud-scoring", 2)
    assert (untouched["stage"], untouched["stage_status"]) == ("Shadow", "PendingApproval")

    latest = sandbox.run("status", "--latest-approved", "Shadow", "--group", "fraud-scoring")
    assert latest.returncode == 0 and latest.stdout.strip() == v1["arn"]
    none = sandbox.run("status", "--latest-approved", "Live", "--group", "fraud-scoring")
    assert none.returncode == 1


def test_its_status_page_fits_1024_px_in_a_real_browser(sandbox, tmp_path):
    from .test_html_layout import fits, measure

    out = tmp_path / "status.html"
    proc = sandbox.run("status", "--format", "html", "--out", str(out), "--history")
    assert proc.returncode == 0, proc.stderr
    result = measure(out)
    fits(result)


def test_ctrl_c_stops_it_cleanly(sandbox):
    """Last: SIGINT to its PID, as Ctrl-C in its terminal would send."""
    code, out, err = sandbox.stop(signal.SIGINT)
    assert code == 0, err
    assert out.endswith("sandbox stopped")
    assert err == ""
    with pytest.raises(OSError):  # nothing listens there any more
        socket.create_connection(("127.0.0.1", int(sandbox.env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1])), timeout=2)


def test_sigterm_stops_it_cleanly_on_the_port_asked_for(rendered, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Sandbox([sys.executable, "-m", "generator", "sandbox", "--config", str(FIXTURE), "--policies",
                   str(rendered), "--port", str(port), "--versions", "0"], tmp_path)
    try:
        box.wait_ready()
        assert box.env["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        assert "0 version(s)" in box.lines[0]
        code, out, err = box.stop(signal.SIGTERM)
        assert (code, err) == (0, "")
        assert out.endswith("sandbox stopped")
    finally:
        box.kill()
