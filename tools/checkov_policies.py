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

from generator import kinds

# Each kind declares the Terraform resource that sets it (generator/kinds/:
# ``terraform``: type, the argument taking the document, and the arguments a
# checkable resource needs) and any checkov check it is known to fail and why
# (``checkov_skip``); kinds with no resource (an event rule's data) are skipped.


def _label(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", path)


def _value(value: object) -> str:
    return json.dumps(value)


def resources(out: Path) -> str:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    blocks = []
    for entry in manifest["policies"]:
        kind = kinds.get(entry["kind"])
        if kind is None or kind.terraform is None:
            continue
        rtype, attribute, extra = kind.terraform.type, kind.terraform.argument, kind.terraform.extra
        document = json.dumps(json.loads((out / entry["path"]).read_text(encoding="utf-8")), indent=2)
        # Heredocs interpolate: keep IAM policy variables such as
        # ${aws:PrincipalAccount} literal.
        document = document.replace("${", "$${").replace("%{", "%%{")
        lines = [f'# {entry["path"]}', f'resource "{rtype}" "{_label(entry["path"])}" {{']
        skip = kind.checkov_skip(entry) if kind.checkov_skip is not None else None
        if skip:
            lines.append(f"  #checkov:skip={skip}")
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
