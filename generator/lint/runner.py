"""Load the manifest and its policies, run every rule, collect findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.config import Config
from generator.progress import loading
from generator.lint import rules as _rules  # noqa: F401  (registers the rules)
from generator.lint.model import KINDS, DATA_KINDS, RULES, Finding, LintContext, PolicyFile
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
    """The manifest's policies, read with the shared reader (generator.policyfile):
    the same path rule and refusals as report and explain. A missing file is
    a finding (the manifest rule); anything unreadable is LintInputError."""
    from generator.policyfile import PolicyInputError, parse_json, read_manifest, read_text

    try:
        entries = read_manifest(out)
    except PolicyInputError as exc:
        raise LintInputError(str(exc)) from None
    policies = []
    strings: dict[str, str] = {}  # one object per distinct string across every document (memory)
    for entry in entries:
        relative = entry["path"]
        document = None
        try:
            text = read_text(out, relative)
        except PolicyInputError as exc:
            if not str(exc).endswith("not found (run `make render` first)"):
                raise LintInputError(str(exc)) from None
            text = None
        if text is not None:
            try:
                document = parse_json(text, out / relative, strings)
            except PolicyInputError as exc:
                if "nested too deeply" in str(exc):
                    raise LintInputError(str(exc)) from None
                document = None  # invalid JSON: the invalid-structure rule reports it
        policies.append(
            PolicyFile(relative, _display(out, relative), entry["kind"], entry["account_id"],
                       entry["target"], entry, text, document)
        )
    return policies


def lint(config: Config, out: Path) -> Report:
    out = Path(out)
    with loading():
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
        if policy.kind not in KINDS or policy.kind in DATA_KINDS:
            continue  # the manifest rule reports unknown kinds; set rules check data files
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


def lint_document(config: Config, kind: str, path: str, target: str, account_id: str, text: str) -> list[Finding]:
    """Error findings of one policy document that is not (yet) on disk: the
    structure rule, then every policy-scope rule. The apply helper runs it on
    every policy before any put, a restored backup included."""
    from generator.policyfile import PolicyInputError, parse_json

    try:
        document = parse_json(text, path)
    except PolicyInputError:
        document = None
    policy = PolicyFile(path, path, kind, account_id, target, {"path": path, "kind": kind, "target": target,
                                                                "account_id": account_id}, text, document)
    ctx = LintContext(config, [policy], Path("."))
    findings: list[Finding] = []
    for rule_id in [STRUCTURE] + [r for r in RULES if r != STRUCTURE and RULES[r].scope == "policy"]:
        rule = RULES[rule_id]
        for hit in rule.check(policy, ctx):
            if rule.severity == "error":
                findings.append(Finding(path, rule.id, rule.severity, hit.message, policy.line_of(hit.sid)))
        if rule_id == STRUCTURE:
            if findings:
                return findings
            policy.well_formed = True
    return findings
