"""Load the manifest and its policies, run every rule, collect findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.config import Config
from generator.progress import loading
from generator.lint import rules as _rules  # noqa: F401  (registers the rules)
from generator.lint.model import KINDS, DATA_KINDS, RULES, Finding, LintContext, PolicyFile
from generator.analysis.policyfile import MANIFEST

if TYPE_CHECKING:
    from generator.forked import Claims

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


def load_policies(out: Path, keep_texts: bool = True, entries: list[dict] | None = None) -> list[PolicyFile]:
    """The manifest's policies (``entries``: the manifest as read already),
    read with the shared reader (generator.analysis.policyfile): the same path rule
    and refusals as report and explain. A missing file is a finding (the
    manifest rule); anything unreadable is LintInputError. Without
    ``keep_texts`` a text is read again when asked for (_Reread)."""
    from generator.analysis.policyfile import PolicyInputError, Tree, read_manifest

    if entries is None:
        try:
            entries = read_manifest(out)
        except PolicyInputError as exc:
            raise LintInputError(str(exc)) from None
    with Tree(out) as tree:
        return _loaded(out, entries, tree, keep_texts)


def _loaded(out: Path, entries: list[dict], tree, keep_texts: bool) -> list[PolicyFile]:
    from generator.analysis.policyfile import DuplicateKeyError, PolicyInputError, parse_json

    policies = []
    strings: dict[str, str] = {}  # one object per distinct string across every document (memory)
    for entry in entries:
        relative = entry["path"]
        document = None
        try:
            text = tree.read(relative)
        except PolicyInputError as exc:
            if not getattr(exc, "missing", False):
                raise LintInputError(str(exc)) from None
            text = None
        if text is not None:
            try:
                document = parse_json(text, out / relative, strings)
            except PolicyInputError as exc:
                if "nested too deeply" in str(exc) or isinstance(exc, DuplicateKeyError):
                    raise LintInputError(str(exc)) from None
                document = None  # invalid JSON: the invalid-structure rule reports it
        if keep_texts:
            policy = PolicyFile(relative, _display(out, relative), entry["kind"], entry["account_id"],
                                entry["target"], entry, text, document)
        else:
            policy = _Reread(relative, _display(out, relative), entry["kind"], entry["account_id"],
                             entry["target"], entry, text, document, root=out)
        policies.append(policy)
    return policies


@dataclass
class _Reread(PolicyFile):
    """A policy whose text is read from disk again when asked for, not kept
    compressed: in two-process mode the rules that read texts (size limits)
    run in the second process, and here only a who-can-do-what finding's
    line number asks. Not compressing every text took this process's load
    from 1.4-1.7 s to 1.3-1.5 s at 1,000 groups."""

    root: Path | None = None

    def __post_init__(self, source: str | None) -> None:
        self._present = source is not None

    @property
    def text(self) -> str | None:
        from generator.analysis.policyfile import PolicyInputError, read_text

        if not self._present:
            return None
        try:
            return read_text(self.root, self.path)
        except PolicyInputError:
            return None  # gone since: as if missing


# Above this many policies, and with more than one CPU, the per-policy rules
# run in a second process (see lint()); below it a fork costs more than it saves.
PARALLEL_FROM = 1500


def _policy_hits(ctx: LintContext, policy: PolicyFile, add) -> None:
    """The structure rule, then (on a well-formed document) every other per-policy rule."""
    policy.well_formed = add(STRUCTURE, policy, policy.path, RULES[STRUCTURE].check(policy, ctx)) == 0
    if not policy.well_formed:
        return
    for rule in RULES.values():
        if rule.scope == "policy" and rule.id != STRUCTURE:
            add(rule.id, policy, policy.path, rule.check(policy, ctx))


def _finding(out: Path, rule_id: str, target: PolicyFile | None, path: str, hit) -> Finding:
    rule = RULES[rule_id]
    where = target.display if target else _display(out, hit.path or path)
    line = target.line_of(hit.sid) if target else 1
    return Finding(where, rule.id, rule.severity, hit.message, line)


class _Streamed(PolicyFile):
    """A policy checked and dropped at once: its text kept as it is, not compressed."""

    def __post_init__(self, source: str | None) -> None:
        self._plain = source

    @property
    def text(self) -> str | None:
        return self._plain


def _checked(entries: list[dict]) -> list[int]:
    """Positions in the manifest of the documents the per-policy rules check."""
    return [i for i, e in enumerate(entries) if e["kind"] in KINDS and e["kind"] not in DATA_KINDS]


def _streamed_policy_findings(config: Config, out: Path, entries: list[dict], claims: Claims) -> list[Finding]:
    """In the second process: the policies it claims (from the front), each
    read, checked by the per-policy rules and dropped, one at a time (the
    per-policy rules look at one document and the config only), so this
    process holds one document at a time."""
    import gc

    gc.disable()  # a process of its own: every document it reads is freed by reference counting
    from generator.analysis.policyfile import Tree

    ctx = LintContext(config, [], out)
    findings: list[Finding] = []
    checked = _checked(entries)
    with Tree(out) as tree:
        while (taken := claims.front()) is not None:
            _stream_one(ctx, out, tree, entries[checked[taken]], findings)
    return findings


def _stream_one(ctx: LintContext, out: Path, tree, entry: dict, findings: list[Finding]) -> None:
    """One policy of the second process (one of _checked's): read, checked by
    the per-policy rules, dropped."""
    from generator.analysis.policyfile import PolicyInputError, parse_json

    relative = entry["path"]
    try:
        text = tree.read(relative)
    except PolicyInputError:
        text = None  # missing: the structure rule says so; anything else the loading process reports
    document = None
    if text is not None:
        try:
            document = parse_json(text, out / relative)
        except PolicyInputError:
            document = None
    policy = _Streamed(relative, _display(out, relative), entry["kind"], entry["account_id"],
                       entry["target"], entry, text, document)

    def add(rule_id: str, target: PolicyFile, path: str, hits) -> int:
        count = 0
        for hit in hits:
            findings.append(_finding(out, rule_id, target, path, hit))
            count += 1
        return count

    _policy_hits(ctx, policy, add)


def _parallel(policies: int) -> bool:
    from generator import forked

    return policies >= PARALLEL_FROM and forked.available()


def lint(config: Config, out: Path, parallel: bool | None = None) -> Report:
    """Every rule on the render in ``out``. ``parallel`` (default: for a
    large render on a machine with two or more CPUs) runs the per-policy
    rules in a forked second process that streams the files, while this
    one loads them all for the who-can-do-what rules and then takes the
    per-policy checks the second has not reached (forked.Claims): the same
    findings, and the second process holds one document at a time
    (tests/test_lint_parallel.py compares both ways)."""
    out = Path(out)
    from generator.analysis.policyfile import PolicyInputError, read_manifest

    try:
        entries = read_manifest(out)
    except PolicyInputError as exc:
        raise LintInputError(str(exc)) from None
    if parallel is None:
        parallel = _parallel(len(entries))
    streamed = claims = None
    if parallel:
        import gc

        from generator.forked import Claims, Forked

        gc.collect()
        gc.freeze()  # the config and the modules: never garbage, shared with the second process
        claims = Claims(len(_checked(entries)))
        streamed = Forked(_streamed_policy_findings, config, out, entries, claims)
    try:
        return _lint(config, out, entries, streamed, claims)
    finally:
        if streamed is not None:
            streamed.cancel()  # a refused input is refused now, not after the second process's share


def _lint(config: Config, out: Path, entries: list[dict], streamed, claims: Claims | None) -> Report:
    with loading():
        ctx = LintContext(config, load_policies(out, keep_texts=streamed is None, entries=entries), out)
    findings: list[Finding] = []

    def add(rule_id: str, policy: PolicyFile | None, path: str, hits) -> int:
        count = 0
        for hit in hits:
            target = ctx.policy(hit.path) if hit.path else policy
            findings.append(_finding(out, rule_id, target, path, hit))
            count += 1
        return count

    from generator.progress import bar

    for policy in bar(ctx.policies, "lint: policies", total=len(ctx.policies), unit="policy"):
        if policy.kind not in KINDS or policy.kind in DATA_KINDS:
            continue  # the manifest rule reports unknown kinds; set rules check data files
        if streamed is None:
            _policy_hits(ctx, policy, add)
        else:
            # The set rules below need to know which documents are well
            # formed; the second process reports the structure findings.
            policy.well_formed = next(iter(RULES[STRUCTURE].check(policy, ctx)), None) is None
    set_rules = [rule for rule in RULES.values() if rule.scope == "set"]
    for rule in bar(set_rules, "lint: who-can-do-what rules", total=len(set_rules), unit="rule"):
        add(rule.id, None, MANIFEST, rule.check(ctx))
    if streamed is not None:
        from generator.forked import Died

        checked = _checked(entries)
        while (taken := claims.back()) is not None:
            _policy_hits(ctx, ctx.policies[checked[taken]], add)
        try:
            findings += streamed.result()
        except Died:
            # The second process died (killed, out of memory): its share is checked here instead.
            for taken in claims.left_to_the_second():
                _policy_hits(ctx, ctx.policies[checked[taken]], add)
    unique = sorted(set(findings), key=lambda f: (f.path, f.line, f.rule_id, f.message))
    return Report(unique, len(ctx.policies))


def lint_document(config: Config, kind: str, path: str, target: str, account_id: str, text: str) -> list[Finding]:
    """Error findings of one policy document that is not (yet) on disk: the
    structure rule, then every policy-scope rule. The apply helper runs it on
    every policy before any put, a restored backup included."""
    from generator.analysis.policyfile import PolicyInputError, parse_json

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
