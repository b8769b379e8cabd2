"""generator.lint.iam_data loads iam-policy-validator's global condition
keys without importing the whole package (its __init__ loads its CLI,
boto3, httpx and rich). The answers must be the package's own, and the
package must import normally afterwards: both checked in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

KEYS = ["aws:SourceIp", "aws:sourceip", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:SecureTransport",
        "aws:RequestTag/team", "aws:ResourceTag/x", "aws:TagKeys", "aws:CalledVia", "aws:ViaAWSService",
        "aws:NoSuchKey", "s3:prefix", "kms:ViaService", "sagemaker:ModelApprovalStatus", "aws:principaltag/Team",
        "aws:SourceVpce", "aws:username", "aws:EpochTime", "aws:MultiFactorAuthAge", ""]

SCRIPT = """
import json, sys
from generator.lint import iam_data
keys = json.loads(sys.argv[1])
ours = [iam_data.is_global_key(k) for k in keys]
private = "iam_validator" not in sys.modules
from iam_validator.core.config.aws_global_conditions import get_global_conditions
theirs = [get_global_conditions().is_valid_global_key(k) for k in keys]
print(json.dumps({"ours": ours, "theirs": theirs, "private": private,
                  "lent": "iam_validator.core.constants" in sys.modules}))
"""


def test_global_keys_are_the_packages_own_without_importing_it():
    result = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(KEYS)], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    answer = json.loads(result.stdout)
    assert answer["private"], "iam_validator was imported by is_global_key"
    assert answer["ours"] == answer["theirs"]
    assert True in answer["ours"] and False in answer["ours"]
    assert answer["lent"]  # the real package import afterwards registered its own constants module
