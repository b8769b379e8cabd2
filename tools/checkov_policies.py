"""Write a scratch Terraform directory that carries every rendered policy inline.

checkov does not evaluate ``file()``: in the real roots it sees the policy
arguments as unknown, so its IAM, KMS and S3 policy-content checks
(CKV_AWS_62/63/286-290/355, CKV2_AWS_40, CKV_AWS_33, CKV_AWS_70, ...)
pass without reading a statement. This writes, for checkov only, one
resource per manifest entry with the rendered JSON inline (a heredoc), so
those checks read the real documents. The directory is scratch output,
never committed and never applied: the roots keep reading the JSON with
``file()``.

Usage: python -m tools.checkov_policies RENDERED_DIR SCRATCH_DIR
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# Manifest kind -> (resource type, extra arguments that the resource needs
# to be a complete, checkable resource).
RESOURCES = {
    "s3_bucket_policy": ("aws_s3_bucket_policy", "policy", {"bucket": "target_bucket"}),
    "kms_key_policy": ("aws_kms_key", "policy", {"enable_key_rotation": True}),
    "iam_role_policy": ("aws_iam_policy", "policy", {}),
    "iam_role_trust_policy": ("aws_iam_role", "assume_role_policy", {"name": "target_role"}),
    "model_package_group_policy": ("aws_sagemaker_model_package_group_policy", "resource_policy",
                                   {"model_package_group_name": "target_group"}),
    "s3_access_point_policy": ("aws_s3control_access_point_policy", "policy", {"access_point_arn": "target_arn"}),
    "ecr_repository_policy": ("aws_ecr_repository_policy", "policy", {"repository": "target_repository"}),
    "service_control_policy": ("aws_organizations_policy", "content",
                               {"name": "target_name", "type": "SERVICE_CONTROL_POLICY"}),
    "resource_control_policy": ("aws_organizations_policy", "content",
                                {"name": "target_name", "type": "RESOURCE_CONTROL_POLICY"}),
    "event_bus_policy": ("aws_cloudwatch_event_bus_policy", "policy", {"event_bus_name": "target_bus"}),
}
# Rendered files that are not policies: nothing for checkov to read.
SKIP_KINDS = ("event_rule",)


# CKV_AWS_61 fails every trust policy that names an account root, whatever
# its conditions; the same skip, with its reason, is on the module's role.
SKIP_ACCOUNT_TRUST = ('CKV_AWS_61:The deploy role trusts the deployment accounts narrowed by aws:PrincipalArn to their listed roles and by aws:PrincipalOrgID; naming the roles as principals instead would fail for a role that does not exist yet and cannot express IAM Identity Center role names (lint rule deploy-role-trust checks who can assume it).')


def _label(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", path)


def _value(value: object) -> str:
    return json.dumps(value)


def resources(out: Path) -> str:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    blocks = []
    for entry in manifest["policies"]:
        kind = entry["kind"]
        if kind in SKIP_KINDS:
            continue
        rtype, attribute, extra = RESOURCES[kind]
        document = json.dumps(json.loads((out / entry["path"]).read_text(encoding="utf-8")), indent=2)
        # Heredocs interpolate: keep IAM policy variables such as
        # ${aws:PrincipalAccount} literal.
        document = document.replace("${", "$${").replace("%{", "%%{")
        lines = [f'# {entry["path"]}', f'resource "{rtype}" "{_label(entry["path"])}" {{']
        if kind == "iam_role_trust_policy" and entry.get("trust") == "deploy-role":
            lines.append(f"  #checkov:skip={SKIP_ACCOUNT_TRUST}")
        for key, value in extra.items():
            if value == "target_bucket":
                value = entry["target"].split(":::", 1)[1]
            elif value == "target_group":
                value = entry["model_group"]
            elif value == "target_bus":
                value = entry["target"].rsplit("/", 1)[1]
            elif value in ("target_arn", "target_name"):
                value = entry["target"]
            elif value == "target_repository":
                value = entry["repository"]
            lines.append(f"  {key} = {_value(value)}")
        lines += [f"  {attribute} = <<-JSON", document, "  JSON", "}", ""]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tools.checkov_policies RENDERED_DIR SCRATCH_DIR", file=sys.stderr)
        return 2
    out, scratch = Path(argv[0]), Path(argv[1])
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "policies.tf").write_text(resources(out), encoding="utf-8")
    print(f"checkov-policies: wrote {scratch / 'policies.tf'} from {out / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
