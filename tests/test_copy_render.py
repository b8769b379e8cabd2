"""Promote by copy: the rendered function zip, the Terraform that deploys it, and the render's checks.

The zip is byte-identical across renders (sorted entries, fixed timestamp
and mode, stored), and what it holds runs on its own: the handler imports
with nothing of the generator but the registry_function subpackage.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

from generator import copyflow
from generator.config import load_config
from generator.render import render

from .conftest import FIXTURES

CONFIG = FIXTURES / "copy" / "accounts.yaml"
ZIP = f"shared-services/{copyflow.FUNCTION_DIR}/{copyflow.ZIP_NAME}"
SETTINGS = f"shared-services/{copyflow.FUNCTION_DIR}/{copyflow.SETTINGS_NAME}"


def test_the_function_zip_is_byte_identical_across_renders_and_fixed(tmp_path):
    first, second = render(load_config(CONFIG))[ZIP], render(load_config(CONFIG))[ZIP]
    assert first == second and isinstance(first, bytes)
    archive = zipfile.ZipFile(io.BytesIO(first))
    names = [i.filename for i in archive.infolist()]
    assert names == sorted(names)
    assert names[0] == "generator/__init__.py" and archive.read(names[0]) == b""
    assert all(n == "generator/__init__.py" or n.startswith("generator/registry_function/") for n in names)
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        assert info.compress_type == zipfile.ZIP_STORED


def test_the_cli_writes_the_zip_and_a_second_render_changes_nothing(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "generator", "render", "--config", str(CONFIG), "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    data = (out / ZIP).read_bytes()
    assert (out / ZIP).stat().st_mode & 0o777 == (out / SETTINGS).stat().st_mode & 0o777
    again = subprocess.run(cmd, check=True, capture_output=True, text=True)
    assert (out / ZIP).read_bytes() == data
    manifest = json.loads((out / "manifest.json").read_text())
    assert ZIP in manifest["files"] and SETTINGS in manifest["files"]
    assert "error" not in again.stderr.lower()


def test_the_zipped_handler_runs_without_the_generator(tmp_path):
    zipfile.ZipFile(io.BytesIO(render(load_config(CONFIG))[ZIP])).extractall(tmp_path)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import generator.registry_function.handler as h; "
            "import generator; assert generator.__file__.startswith(sys.argv[1]), generator.__file__; "
            "assert not hasattr(generator, '__version__'); print(sorted(h.HANDLERS))")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SageMaker Model Package State Change" in result.stdout


def test_the_function_imports_only_the_standard_library_and_boto3():
    import ast

    from generator import registry_function

    package = __import__("pathlib").Path(registry_function.__file__).parent
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "generator"}
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            for name in names:
                assert name.split(".")[0] in allowed, f"{source.name} imports {name}"
                if name.startswith("generator"):
                    assert name.startswith("generator.registry_function"), f"{source.name} imports {name}"


def test_the_settings_name_exactly_the_copy_groups_and_their_accounts():
    settings = json.loads(render(load_config(CONFIG))[SETTINGS])
    assert settings["groups"] == {"credit-risk": {"accounts": ["222222222222"], "repositories": ["credit-risk-serving"]}}
    assert settings["first_stage"] == "Test" and settings["bucket"] == "acme-ml-model-artifacts"


def test_the_registry_root_deploys_the_rendered_zip_and_policies():
    files = render(load_config(CONFIG))
    main = files["shared-services/main.tf"]
    for path in (f"{copyflow.FUNCTION_DIR}/{copyflow.ZIP_NAME}", f"{copyflow.FUNCTION_DIR}/{copyflow.SETTINGS_NAME}",
                 "policies/event-bus-policy-model-registry-copy.json", "policies/iam-role-model-registry-function.json",
                 "policies/iam-role-model-registry-function-trust.json", "policies/event-rule-model-registry-copy.json",
                 "policies/sqs-queue-policy-model-registry-function-dlq.json",
                 "policies/lambda-function-policy-model-registry-function.json"):
        assert path in main and f"shared-services/{path}" in files
    dev = files["data-science/main.tf"]
    for path in ("policies/local-model-package-group-credit-risk.json", "policies/event-rule-model-registry-copy-1.json",
                 "policies/iam-role-model-registry-copy-forwarder.json",
                 "policies/iam-role-model-registry-copy-forwarder-trust.json"):
        assert path in dev and f"data-science/{path}" in files
    assert "copy_source" not in files["research/main.tf"]


def test_render_check_names_a_stale_zip_without_a_traceback(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "generator", "render", "--config", str(CONFIG), "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    with open(out / ZIP, "ab") as handle:
        handle.write(b"tampered")
    proc = subprocess.run(cmd + ["--check"], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"binary file {ZIP} differs" in proc.stdout + proc.stderr


def _explain(principal: str, *context: str) -> subprocess.CompletedProcess:
    out = FIXTURES / "copy" / "terraform" / "accounts"
    released = "arn:aws:s3:::acme-ml-model-artifacts/released/credit-risk/222222222222-7/model.tar.gz"
    argv = [sys.executable, "-m", "generator", "explain", "--config", str(CONFIG), "--policies", str(out),
            "--principal", principal, "--action", "s3:PutObject", "--resource", released]
    for pair in context:
        argv += ["--context", pair]
    return subprocess.run(argv, capture_output=True, text=True)


def test_explain_answers_who_can_overwrite_version_7s_artifacts():
    """Nobody overwrites them: a developer is refused outright, the function
    without If-None-Match; the function may only create (S3 then answers
    412 for an object that exists)."""
    developer = _explain("arn:aws:iam::222222222222:role/SageMakerExecutionRole", "s3:if-none-match=*")
    assert developer.returncode == 1 and "ReleasedOnlyRegistryFunctionWrites" in developer.stdout
    function = f"arn:aws:iam::111111111111:role/{copyflow.ROLE_NAME}"
    overwrite = _explain(function, "s3:ObjectCreationOperation=PutObject")
    assert overwrite.returncode == 1 and "ReleasedWritesNeedIfNoneMatch" in overwrite.stdout
    with_if_match = _explain(function, "s3:if-none-match=*", 's3:if-match="etag"')
    assert with_if_match.returncode == 1 and "ReleasedNeverOverwrittenWithIfMatch" in with_if_match.stdout
    create = _explain(function, "s3:if-none-match=*", "s3:ObjectCreationOperation=PutObject")
    assert create.returncode == 0 and create.stdout.startswith("ALLOW"), create.stdout + create.stderr


def test_rules_are_counted_per_bus_they_are_on():
    from generator import quotas
    from generator.render import build_policies

    config = load_config(CONFIG)
    [rules] = [q for q in quotas.QUOTAS if q.key == "rules_per_event_bus"]
    counted = dict((item, count) for count, item in rules.count(config, build_policies(config)))
    assert counted["data-science default event bus"] == 1  # the forwarding rule
    assert counted[f"shared-services {copyflow.BUS_NAME} event bus"] == 1  # the receiving rule
    assert f"shared-services default event bus" in counted  # the approval-event rules, as before
