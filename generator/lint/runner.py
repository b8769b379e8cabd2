"""Load the manifest and its policies, run every rule, collect findings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from generator.config import Config
from generator.lint import rules as _rules  # noqa: F401  (registers the rules)
from generator.lint.model import KINDS, RULES, Finding, LintContext, PolicyFile
from generator.render import MANIFEST

STRUCTURE = "invalid-structure"


class LintInputError(Exception):
    """The output directory cannot be linted at all (exit 2)."""


@dataclass
class Report:
    findings: list[Finding]
    policies: int

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def _display(out: Path, relative: str) -> str:
    return (out / relative).as_posix()


def load_policies(out: Path) -> list[PolicyFile]:
    manifest_path = out / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LintInputError(f"{manifest_path}: not found (run `make render` first)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LintInputError(f"{manifest_path}: cannot read: {exc}") from None
    entries = manifest.get("policies") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("path"), str) for e in entries):
        raise LintInputError(f"{manifest_path}: expected {{\"policies\": [{{\"path\": ..., \"kind\": ...}}]}}")
    policies = []
    for entry in entries:
        relative = entry["path"]
        if Path(relative).is_absolute() or ".." in Path(relative).parts:
            raise LintInputError(f"{manifest_path}: path {relative!r} leaves the output directory")
        try:
            text = (out / relative).read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError):
            text = None
        document = None
        if text is not None:
            try:
                document = json.loads(text)
            except json.JSONDecodeError:
                document = None
        policies.append(
            PolicyFile(relative, _display(out, relative), str(entry.get("kind")), str(entry.get("account_id", "")),
                       str(entry.get("target", "")), entry, text, document)
        )
    return policies


def lint(config: Config, out: Path) -> Report:
    out = Path(out)
    ctx = LintContext(config, load_policies(out), out)
    findings: list[Finding] = []

    def add(rule_id: str, policy: PolicyFile | None, path: str, hits) -> int:
        rule = RULES[rule_id]
        count = 0
        for hit in hits:
            target = ctx.policy(hit.path) if hit.path else policy
            where = target.display if target else _display(out, hit.path or path)
            line = target.line_of(hit.sid) if target else 1
            findings.append(Finding(where, rule.id, rule.severity, hit.message, line))
            count += 1
        return count

    from generator.progress import bar

    for policy in bar(ctx.policies, "lint: policies", total=len(ctx.policies), unit="policy"):
        if policy.kind not in KINDS:
            continue  # the manifest rule reports it
        policy.well_formed = add(STRUCTURE, policy, policy.path, RULES[STRUCTURE].check(policy, ctx)) == 0
        if not policy.well_formed:
            continue
        for rule in RULES.values():
            if rule.scope == "policy" and rule.id != STRUCTURE:
                add(rule.id, policy, policy.path, rule.check(policy, ctx))
    set_rules = [rule for rule in RULES.values() if rule.scope == "set"]
    for rule in bar(set_rules, "lint: who-can-do-what rules", total=len(set_rules), unit="rule"):
        add(rule.id, None, MANIFEST, rule.check(ctx))
    unique = sorted(set(findings), key=lambda f: (f.path, f.line, f.rule_id, f.message))
    return Report(unique, len(ctx.policies))
