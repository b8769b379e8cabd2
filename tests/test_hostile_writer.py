"""The writer under hostile output directories (issue 12): it owns exactly
what the previous render wrote, never follows a link inside the output,
creates temporary files exclusively, writes the manifest last, takes a lock,
and turns every OS error into one line."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import render, writer
from generator.cli import main
from generator.config import config_from_text

from .hostile import BASE, ROOT, assert_one_line, edit, tree


@pytest.fixture(scope="module")
def files():
    return render.render(config_from_text(BASE))


@pytest.fixture()
def config(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text(BASE)
    return path


def do_render(config: Path, out: Path, capsys) -> tuple[int, str]:
    code = main(["render", "--config", str(config), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.err


# --- ownership -------------------------------------------------------------

def test_refuses_a_non_empty_directory_without_our_manifest(tmp_path, config, capsys):
    out = tmp_path / "mytf"
    (out / "network").mkdir(parents=True)
    (out / "network" / "main.tf").write_text("# the user's network root\n")
    (out / "shared-services" / "policies").mkdir(parents=True)
    (out / "shared-services" / "policies" / "handwritten.json").write_text("{}")
    before = tree(out)
    code, err = do_render(config, out, capsys)
    assert code == 2
    assert_one_line(err, "is not empty and has no manifest.json of a previous render")
    assert tree(out) == before


def test_user_files_that_look_generated_are_never_removed(tmp_path, config, capsys, files):
    """A file at a generated-looking path the previous render did not write stays."""
    out = tmp_path / "out"
    assert do_render(config, out, capsys)[0] == 0
    (out / "network").mkdir()
    (out / "network" / "main.tf").write_text("# mine\n")
    (out / "shared-services" / "policies" / "handwritten.json").write_text("{}")
    (out / "test" / "backend.tf.bak").write_text("x")
    code, _ = do_render(config, out, capsys)
    assert code == 0
    assert (out / "network" / "main.tf").read_text() == "# mine\n"
    assert (out / "shared-services" / "policies" / "handwritten.json").read_text() == "{}"
    result = writer.write(out, {k: v for k, v in files.items() if "churn" not in k or k == "manifest.json"})
    assert result.removed == ["shared-services/policies/model-package-group-churn-predictor.json"]
    assert (out / "network" / "main.tf").exists()


def test_manifest_records_every_file_it_owns(files):
    manifest = json.loads(files["manifest.json"])
    assert sorted(manifest["files"]) == sorted(set(files) - {"manifest.json"})


def test_a_manifest_of_the_previous_format_still_owns_its_render(tmp_path, files):
    """terraform/accounts/ was committed before manifests listed their files."""
    out = tmp_path / "out"
    writer.write(out, files)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["files"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    fewer = render.render(config_from_text(edit("consumers: [test]", "consumers: []").replace(
        '  test:            {id: "444444444444", kind: workload, stage: test, roles: [SageMakerExecutionRole]}\n',
        '  test:            {id: "444444444444", kind: workload, stage: test, roles: [SageMakerExecutionRole]}\n')))
    result = writer.write(out, fewer)
    assert "manifest.json" in result.written
    assert json.loads((out / "manifest.json").read_text())["files"]


@pytest.mark.parametrize("where", ["root", "config", "file"])
def test_refuses_dangerous_out(tmp_path, config, capsys, where):
    out = {"root": Path("/"), "config": config, "file": tmp_path / "a-file"}[where]
    if where == "file":
        out.write_text("data")
    before = out.read_bytes() if out.is_file() else None
    code, err = do_render(config, out, capsys)
    assert code == 2
    assert_one_line(err, "--out")
    if before is not None:
        assert out.read_bytes() == before


def test_manifest_with_paths_outside_out_is_refused(tmp_path, config, capsys, files):
    out = tmp_path / "out"
    writer.write(out, files)
    secret = tmp_path / "secret.json"
    secret.write_text("keep")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"].append("../secret.json")
    (out / "manifest.json").write_text(json.dumps(manifest))
    code, err = do_render(config, out, capsys)
    assert code == 2
    assert_one_line(err, "../secret.json")
    assert secret.read_text() == "keep"


# --- links -----------------------------------------------------------------

def test_never_writes_through_a_symlinked_account_directory(tmp_path, config, capsys, files):
    out = tmp_path / "out"
    writer.write(out, files)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    import shutil

    shutil.rmtree(out / "prod")
    (out / "prod").symlink_to(outside, target_is_directory=True)
    code, err = do_render(config, out, capsys)
    assert code == 2
    assert_one_line(err, "symbolic link")
    assert list(outside.iterdir()) == []


def test_never_overwrites_through_a_planted_temporary_name(tmp_path, config, capsys, files):
    out = tmp_path / "out"
    writer.write(out, files)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    policies = out / "shared-services" / "policies"
    # Every name the old writer could pick, and a few of the new pattern.
    for pid in range(os.getpid() - 5, os.getpid() + 50):
        (policies / f".s3-bucket-policy.json.{pid}.tmp").symlink_to(victim)
    (out / "shared-services" / "policies" / "s3-bucket-policy.json").write_text("{}")  # forces a rewrite
    code, err = do_render(config, out, capsys)
    assert code == 0, err
    assert victim.read_text() == "precious"
    assert json.loads((policies / "s3-bucket-policy.json").read_text())["Statement"]


def test_a_symlinked_policy_file_is_refused_not_followed(tmp_path, config, capsys, files):
    out = tmp_path / "out"
    writer.write(out, files)
    victim = tmp_path / "victim.json"
    victim.write_text("precious")
    target = out / "shared-services" / "policies" / "kms-key-policy.json"
    target.unlink()
    target.symlink_to(victim)
    code, err = do_render(config, out, capsys)
    assert code == 2
    assert_one_line(err, "symbolic link")
    assert victim.read_text() == "precious"


# --- crashes, concurrency, OS errors ----------------------------------------

def test_stale_temporary_files_are_cleaned_by_the_next_render(tmp_path, config, capsys, files):
    out = tmp_path / "out"
    writer.write(out, files)
    policies = out / "shared-services" / "policies"
    (policies / ".kms-key-policy.json.mrpolicy-0123456789ab.tmp").write_text("half")
    # issue 30: only the temporary names this writer creates (".<a file it writes>.mrpolicy-<12 hex>.tmp")
    (policies / ".kms-key-policy.json.12345.tmp").write_text("the user's")
    (policies / ".x.12345.tmp").write_text("the user's")
    (policies / ".notes.txt.mrpolicy-0123456789ab.tmp").write_text("the user's")
    (policies / ".my-own.tmp").write_text("mine")
    assert do_render(config, out, capsys)[0] == 0
    names = sorted(p.name for p in policies.iterdir() if p.name.startswith("."))
    assert names == [".kms-key-policy.json.12345.tmp", ".my-own.tmp", ".notes.txt.mrpolicy-0123456789ab.tmp",
                     ".x.12345.tmp"]


@pytest.mark.parametrize("planted", ["prod/terraform.tfstate", "prod/.terraform/terraform.tfstate", "notes.txt",
                                     "prod/policies/sub/x.json", "prod/main.tf.bak"])
@pytest.mark.parametrize("how", ["manifest", "journal"])
def test_a_planted_path_the_render_never_writes_is_never_deleted(tmp_path, config, capsys, files, planted, how):
    """issue 30: a manifest or journal listing prod/terraform.tfstate got it deleted."""
    out = tmp_path / "out"
    writer.write(out, files)
    victim = out / planted
    victim.parent.mkdir(parents=True, exist_ok=True)
    victim.write_text("precious state")
    if how == "manifest":
        manifest = json.loads((out / "manifest.json").read_text())
        manifest["files"].append(planted)
        (out / "manifest.json").write_text(json.dumps(manifest))
    else:
        (out / writer.JOURNAL).write_text(json.dumps({"files": [planted]}))
    code, err = do_render(config, out, capsys)
    assert code == 0, err
    assert victim.read_text() == "precious state"
    assert planted not in json.loads((out / "manifest.json").read_text())["files"]


def test_manifest_is_written_after_every_file_it_lists(tmp_path, files, monkeypatch):
    """A crash at any point leaves a manifest whose files are all in place and of one render."""
    out = tmp_path / "out"
    writer.write(out, files)
    smaller = render.render(config_from_text(BASE + "  fraud:\n    developers: [data-science]\n    consumers: [prod]\n"))
    order: list[str] = []
    real = writer._put

    def spy(root_fd, relative, data):
        order.append(relative)
        return real(root_fd, relative, data)

    monkeypatch.setattr(writer, "_put", spy)
    writer.write(out, smaller)
    assert order and order[-1] == "manifest.json"


def test_interrupted_render_is_finished_by_the_next_one(tmp_path, files, monkeypatch):
    out = tmp_path / "out"
    writer.write(out, files)
    before = tree(out)
    grown = render.render(config_from_text(BASE + "  fraud:\n    developers: [data-science]\n    consumers: [prod]\n"))
    calls = {"n": 0}
    real = writer._put

    def crash(root_fd, relative, data):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # stands in for SIGKILL at this point
        return real(root_fd, relative, data)

    monkeypatch.setattr(writer, "_put", crash)
    with pytest.raises(KeyboardInterrupt):
        writer.write(out, grown)
    monkeypatch.setattr(writer, "_put", real)
    assert (out / "manifest.json").read_bytes() == before["manifest.json"], "old manifest until the end"
    manifest = json.loads((out / "manifest.json").read_text())
    assert all((out / p).is_file() for p in manifest["files"])
    # The next render of the *old* config removes what the crashed one added.
    result = writer.write(out, files)
    assert tree(out) == before, result
    assert not any(".tmp" in name or "journal" in name for name in tree(out))


def test_killed_render_in_a_real_process_leaves_a_consistent_tree(tmp_path):
    """SIGKILL at a random point of a larger render: the manifest on disk
    lists only files that exist, and the next render converges."""
    text = edit("  kms_key_alias: alias/ml-model-artifacts\n",
                "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n  access_point_prefix: mr\n") + "".join(f"  g{i}:\n    developers: [data-science]\n    consumers: [test]\n" for i in range(300))
    config = tmp_path / "big.yaml"
    config.write_text(text)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "generator", "render", "--config", str(config), "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not (out / "shared-services" / "policies").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if (out / "manifest.json").exists():
        manifest = json.loads((out / "manifest.json").read_text())
        assert all((out / p).is_file() for p in manifest["files"])
    done = subprocess.run([sys.executable, "-m", "generator", "render", "--config", str(config), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or "journal" in p.name]
    assert set(json.loads((out / "manifest.json").read_text())["files"]) | {"manifest.json"} == {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")}


def test_concurrent_render_fails_with_one_line_while_locked(tmp_path, config, capsys, monkeypatch, files):
    out = tmp_path / "out"
    writer.write(out, files)
    monkeypatch.setattr(writer, "LOCK_WAIT_SECONDS", 0.2)
    with open(out / writer.LOCK, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        before = tree(out)
        code, err = do_render(config, out, capsys)
    assert code == 1
    assert_one_line(err, "another render is writing")
    assert tree(out) == before


def test_concurrent_render_waits_for_the_lock(tmp_path, config, capsys, files):
    out = tmp_path / "out"
    writer.write(out, files)
    held = open(out / writer.LOCK, "a")
    fcntl.flock(held, fcntl.LOCK_EX)
    import threading

    threading.Timer(0.3, held.close).start()
    code, err = do_render(config, out, capsys)
    assert code == 0, err


def test_read_only_directory_is_one_line_exit_1_and_the_old_render_stays(tmp_path, capsys, files):
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    out = tmp_path / "out"
    writer.write(out, files)
    before = tree(out)
    config = tmp_path / "c.yaml"
    config.write_text(edit("consumers: [test]", "consumers: [prod]"))
    for directory in [out, *[p for p in out.rglob("*") if p.is_dir()]]:
        directory.chmod(0o555)
    try:
        code, err = do_render(config, out, capsys)
    finally:
        for directory in [out, *[p for p in out.rglob("*") if p.is_dir()]]:
            directory.chmod(0o755)
    assert code == 1
    assert_one_line(err, "cannot write")
    assert tree(out) == before


def test_os_error_midway_is_one_line_exit_1_and_manifest_consistent(tmp_path, capsys, files, monkeypatch):
    out = tmp_path / "out"
    writer.write(out, files)
    before_manifest = (out / "manifest.json").read_bytes()
    config = tmp_path / "c.yaml"
    config.write_text(edit("consumers: [test]", "consumers: [prod]"))
    calls = {"n": 0}
    real = writer._put

    def disk_full(root_fd, relative, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device", relative)
        return real(root_fd, relative, data)

    monkeypatch.setattr(writer, "_put", disk_full)
    code, err = do_render(config, out, capsys)
    assert code == 1
    assert_one_line(err, "No space left on device")
    assert (out / "manifest.json").read_bytes() == before_manifest
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_report_and_schema_refuse_a_file_as_out(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    code = main(["schema", "--out", str(target / "schema.json")])
    assert code == 2
    assert_one_line(capsys.readouterr().err)
    assert target.read_text() == "x"


# --- names too long for the file system (issue 30) -------------------------

LONG_ECR = "a" * 240  # AWS allows 256; its file name would be 260 bytes


def _example_with(old: str, new: str) -> str:
    from .conftest import EXAMPLE

    text = EXAMPLE.read_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("old,new,key", [
    ("credit-risk-serving:", f"{LONG_ECR}:", f"ecr_repositories.{LONG_ECR}"),
    ("credit-risk-serving:", f"{'ml/' * 70}serving:", f"ecr_repositories.{'ml/' * 70}serving"),
])
def test_a_name_too_long_for_a_file_is_bad_input_and_nothing_is_written(tmp_path, capsys, old, new, key):
    config = tmp_path / "accounts.yaml"
    config.write_text(_example_with(old, new))
    out = tmp_path / "out"
    code, err = do_render(config, out, capsys)
    assert code == 2, err
    assert_one_line(err, key)
    assert "255" in err
    assert not out.exists(), "nothing written"


def test_the_longest_ecr_name_that_fits_renders(tmp_path, capsys):
    """The limit is exact: the longest name whose file and temporary name fit 255 bytes renders."""
    from generator.config.ecr import MAX_NAME
    from generator.kinds.ecr_repository_policy import repository_file
    from generator.names import NAME_MAX, TEMP_EXTRA

    longest = "a" * MAX_NAME
    assert len(repository_file(longest)) + TEMP_EXTRA == NAME_MAX
    for name, code in ((longest, 0), (longest + "a", 2)):
        config = tmp_path / "accounts.yaml"
        config.write_text(_example_with("credit-risk-serving:", f"{name}:"))
        assert do_render(config, tmp_path / f"out{code}", capsys)[0] == code


def test_an_out_too_deep_for_path_max_is_one_line_exit_2_nothing_written(tmp_path, capsys, config):
    """PATH_MAX counts the whole path: a deep --out is refused before anything is written."""
    out = tmp_path
    while len(os.fsencode(out)) < 4000:  # Linux PATH_MAX: 4096; the files inside would exceed it
        out = out / ("d" * min(200, 4000 - len(os.fsencode(out))))
    code, err = do_render(config, out, capsys)
    assert code == 2, err
    assert_one_line(err, "PATH_MAX")


def test_a_journal_listing_an_impossible_name_does_not_wedge_the_directory(tmp_path, capsys, config, files):
    """What an earlier version left behind: a journal naming a file the file
    system cannot hold. No such file can exist; the next render finishes."""
    out = tmp_path / "out"
    writer.write(out, files)
    impossible = f"shared-services/policies/ecr-repository-{LONG_ECR}.json"
    (out / ".mrpolicy-journal.json").write_text(json.dumps({"files": sorted(files) + [impossible]}))
    code, err = do_render(config, out, capsys)
    assert code == 0, err
    assert not (out / ".mrpolicy-journal.json").exists()


def test_a_journal_that_cannot_be_replayed_names_the_command_that_clears_it(tmp_path, capsys, config, files,
                                                                            monkeypatch):
    """Any other OS error while finishing an interrupted render (EIO, EACCES
    on a directory the journal names): one line naming the command that
    clears the journal, not a directory wedged with no way out."""
    import errno

    out = tmp_path / "out"
    writer.write(out, files)
    journal = out / ".mrpolicy-journal.json"
    stray = "stray/policies/x.json"
    journal.write_text(json.dumps({"files": sorted(files) + [stray]}))
    real = writer._remove

    def failing(root_fd, relative):
        if relative == stray:
            raise OSError(errno.EIO, "Input/output error", relative)
        return real(root_fd, relative)

    monkeypatch.setattr(writer, "_remove", failing)
    code, err = do_render(config, out, capsys)
    assert code == 1, err
    assert_one_line(err, f"`rm {journal}` clears its journal")
    monkeypatch.setattr(writer, "_remove", real)
    journal.unlink()  # the command it names
    assert do_render(config, out, capsys)[0] == 0


def test_the_render_refuses_any_policy_file_name_over_name_max_naming_its_key(example_config):
    """The render's own net, whatever kind a too-long name comes from: one
    ConfigError naming the key, before the writer starts."""
    from generator.errors import ConfigError
    from generator.kinds.ecr_repository_policy import KIND

    name = "x" * 230
    policy = KIND.policy("shared-services", "111111111111", "arn", f"shared-services/policies/{name}.json",
                         {"Version": "2012-10-17", "Statement": []}, {"repository": name})
    with pytest.raises(ConfigError) as raised:
        render.check_file_names(example_config, [policy])
    assert raised.value.key == f"ecr_repositories.{name}" and "255" in raised.value.message
    fits = KIND.policy("shared-services", "111111111111", "arn", f"shared-services/policies/{'x' * 223}.json",
                       {"Version": "2012-10-17", "Statement": []}, {"repository": name})
    render.check_file_names(example_config, [fits])  # 228 + 27 = 255: fits
