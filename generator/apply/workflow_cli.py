"""The ``status`` and ``promote`` subcommands (docs/workflow.md); registered by
generator/cli/status.py and generator/cli/promote.py.

Importing this module does not load boto3: the AWS-facing parts are imported
when a subcommand runs. Credentials work as for apply: the standard chain or
``--profile``, then by default the role accounts.yaml's ``apply:`` section
names in the registry account (``--role-arn``/``--role-name`` to choose another,
``--no-assume-role`` to use the credentials as they are, e.g. an approver's
own role in a governance account).

Exit codes: 0 done, 1 refused / not found / an AWS call failed, 2 bad input
(one line, nothing called), 130 interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from pathlib import Path
from typing import TextIO

from generator.errors import one_line

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
_GROUP = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# RoleSessionName: [\w+=,.@-]{2,64} (STS API Reference, AssumeRole).
_SESSION = re.compile(r"^[\w+=,.@-]{2,64}$")

STATUS_DESCRIPTION = (
    "Every version of every model package group in the live registry: approval status, ModelLifeCycle stage, "
    "stage status and description, who created and last modified it and when, and (--history) the stage "
    "history. --latest-approved STAGE prints the ARN of the newest version a stage may use. Exit 0 ok, 1 a "
    "group could not be read or no version is approved, 2 bad input, 130 interrupted. See docs/workflow.md."
)
PROMOTE_DESCRIPTION = (
    "Approve or reject one version for one stage (UpdateModelPackage with ModelLifeCycle), after checking "
    "against accounts.yaml's stages that the step is in order. Exit 0 done, 1 refused or failed (nothing "
    "changed), 2 bad input, 130 interrupted. See docs/workflow.md."
)


class BadInput(Exception):
    """One line, exit 2, nothing called."""


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    def error(message: str):
        print(f"error: {parser.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)

    parser.error = error  # type: ignore[method-assign]


def _access_arguments(parser: argparse.ArgumentParser, session_default: str) -> None:
    parser.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    parser.add_argument("--endpoint-url", metavar="URL", help="AWS endpoint for STS and SageMaker (local testing)")
    parser.add_argument("--profile", metavar="NAME", help="AWS profile to start from (default: the standard chain)")
    parser.add_argument("--role-arn", metavar="ARN", help="role in the registry account to assume")
    parser.add_argument("--role-name", metavar="NAME", help="name of the role in the registry account to assume")
    parser.add_argument("--no-assume-role", action="store_true",
                        help="use the credentials as they are (e.g. an approver's own role)")
    parser.add_argument("--session-name", default=session_default, metavar="NAME",
                        help=f"session name when assuming a role (default: {session_default})")
    parser.add_argument("--max-attempts", type=int, default=6, metavar="N",
                        help="attempts per AWS call, retries included (default: 6)")
    parser.add_argument("--retry-mode", choices=("standard", "adaptive"), default="standard",
                        help="botocore retry mode (default: standard)")


def add_status_arguments(parser: argparse.ArgumentParser) -> None:
    _one_line_errors(parser)
    _access_arguments(parser, "model-registry-status")
    from generator.apply.status_format import FORMATS

    parser.add_argument("--group", action="append", metavar="NAME",
                        help="only this group (repeatable; default: every group in the registry)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument("--history", action="store_true",
                        help="also read each version's stage history (ModelLifeCycle actions; more calls)")
    parser.add_argument("--workers", type=int, default=8, metavar="N",
                        help="groups read at the same time (default: 8)")
    parser.add_argument("--latest-approved", metavar="STAGE",
                        help="print only the ARN of the newest version STAGE may use (needs one --group)")


def _user() -> str:
    try:
        name = re.sub(r"[^\w+=,.@-]", "-", getpass.getuser())
    except Exception:  # no user name in this environment
        name = "unknown"
    return f"promote-{name}"[:64]


def add_promote_arguments(parser: argparse.ArgumentParser) -> None:
    _one_line_errors(parser)
    _access_arguments(parser, _user())
    parser.add_argument("--group", required=True, metavar="NAME", help="model package group")
    parser.add_argument("--version", required=True, type=int, metavar="N", help="version number in the group")
    parser.add_argument("--to", required=True, metavar="STAGE", help="the stage to decide (one of accounts.yaml's stages)")
    decision = parser.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_true", help="set the stage's status to Approved")
    decision.add_argument("--reject", action="store_true", help="set the stage's status to Rejected")
    parser.add_argument("--note", required=True, metavar="TEXT",
                        help="why: recorded in StageDescription with your identity")


# --- shared --------------------------------------------------------------------------
def _access(config, args, pool: int = 10):
    from generator.apply.aws import Access
    from generator.apply.run import BadInput as ApplyBadInput, Options, role_to_assume

    chosen = [flag for flag, value in (("--role-arn", args.role_arn), ("--role-name", args.role_name),
                                       ("--no-assume-role", args.no_assume_role)) if value]
    if len(chosen) > 1:
        raise BadInput(f"{' and '.join(chosen)} exclude each other")
    if args.max_attempts < 1:
        raise BadInput("--max-attempts must be at least 1")
    if not _SESSION.fullmatch(args.session_name):
        raise BadInput(f"--session-name: '{args.session_name}' is not a role session name ([\\w+=,.@-]{{2,64}})")
    options = Options(config=args.config, role_arn=args.role_arn, role_name=args.role_name,
                      assume_role=False if args.no_assume_role else None)
    try:
        role = role_to_assume(config, options)
    except ApplyBadInput as exc:
        raise BadInput(str(exc)) from None
    return Access(partition=config.partition, region=config.region, registry_id=config.registry_account.id,
                  endpoint_url=args.endpoint_url, role_arn=role, max_attempts=args.max_attempts,
                  retry_mode=args.retry_mode, profile=args.profile, session_name=args.session_name, pool=pool)


def _stage(config, value: str, flag: str, source: Path) -> str:
    from generator.config.stages import canonical_stage, stage_names

    if not config.stages:
        raise BadInput(f"{flag}: {source} has no stages: section, so there is no stage order")
    stage = canonical_stage(config, value)
    if stage is None:
        raise BadInput(f"{flag}: '{value}' is not one of the stages ({', '.join(stage_names(config))})")
    return stage


def _connect(access, err: TextIO):
    from generator.apply.aws import AwsError, Lifecycle

    try:
        return Lifecycle(access)
    except AwsError as exc:
        print(f"error: {one_line(str(exc))}", file=err)
        return None


# --- status --------------------------------------------------------------------------
def status_main(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from generator.config import load_config

    from generator.terminal import SafeStream

    out, err = SafeStream(out or sys.stdout), SafeStream(err or sys.stderr)
    config = load_config(args.config)
    try:
        if not 1 <= args.workers <= 64:
            raise BadInput("--workers must be between 1 and 64")
        for name in args.group or ():
            if not _GROUP.fullmatch(name):
                raise BadInput(f"--group: '{name}' is not a model package group name")
        stage = None
        if args.latest_approved is not None:
            stage = _stage(config, args.latest_approved, "--latest-approved", args.config)
            if len(args.group or ()) != 1:
                raise BadInput("--latest-approved needs exactly one --group")
            if args.format != "table" or args.out or args.history:
                raise BadInput("--latest-approved prints one ARN: drop --format, --out and --history")
        if args.out:
            from generator.apply.status_format import is_ours
            from generator.writer import BadOutput, check_file_out

            try:
                check_file_out(args.out, "status", is_ours, config=args.config)
            except BadOutput as exc:
                raise BadInput(str(exc)) from None
        access = _access(config, args, pool=args.workers)
    except BadInput as exc:
        print(f"error: {exc}", file=err)
        return EXIT_BAD_INPUT
    try:
        registry = _connect(access, err)
        if registry is None:
            return EXIT_FAILED
        if stage is not None:
            return _latest(config, registry, args.group[0], stage, out, err)
        return _status(config, registry, args, out, err)
    except KeyboardInterrupt:
        print("interrupted: status only reads, nothing was changed or written", file=err)
        return EXIT_INTERRUPTED


def _status(config, registry, args, out: TextIO, err: TextIO) -> int:
    from generator.apply.aws import AwsError
    from generator.apply.status import build, write_atomically
    from generator.apply.status_format import render
    from generator.config.stages import stage_names

    registry_id = config.registry_account.id
    names = list(dict.fromkeys(args.group or ()))
    if not names:
        if registry.caller_account == registry_id:
            try:
                names = sorted(registry.group_names())
            except AwsError as exc:
                print(f"error: cannot list the groups: {one_line(str(exc))}", file=err)
                return EXIT_FAILED
        else:  # ListModelPackageGroups lists only the caller's own account
            names = sorted(config.model_groups)
    status = build(registry, config.partition, config.region, registry_id, stage_names(config), names,
                   args.history, args.workers, err)
    text = render(status, args.format)
    if args.out:
        try:
            write_atomically(args.out, text)
        except OSError as exc:
            print(f"error: cannot write {args.out}: {exc.strerror}", file=err)
            return EXIT_FAILED
        versions = sum(len(g.versions) for g in status.groups)
        print(f"wrote {args.out}: {len(status.groups)} group(s), {versions} version(s)", file=out)
    else:
        out.write(text)
    failed = [g for g in status.groups if g.error]
    for group in failed:
        print(f"error: {group.name}: {one_line(group.error)}", file=err)
    return EXIT_FAILED if failed else EXIT_OK


def _latest(config, registry, group: str, stage: str, out: TextIO, err: TextIO) -> int:
    from generator.apply.aws import AwsError
    from generator.apply.status import group_arn
    from generator.apply.workflow import latest_approved, state_from

    arn = group_arn(config.partition, config.region, config.registry_account.id, group)
    try:
        states = [state_from(group, s) for s in registry.versions(arn)]
    except AwsError as exc:
        print(f"error: {group}: {one_line(str(exc))}", file=err)
        return EXIT_FAILED
    best = latest_approved(config, states, stage)
    if best is None:
        print(f"error: no version of {group} is approved for {stage} ({len(states)} version(s) in the group)",
              file=err)
        return EXIT_FAILED
    print(best.arn, file=out)
    return EXIT_OK


# --- promote -------------------------------------------------------------------------
def promote_main(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from generator.config import load_config

    from generator.terminal import SafeStream

    out, err = SafeStream(out or sys.stdout), SafeStream(err or sys.stderr)
    config = load_config(args.config)
    try:
        stage = _stage(config, args.to, "--to", args.config)
        if args.group not in config.model_groups:
            known = ", ".join(sorted(config.model_groups))
            raise BadInput(f"--group: '{args.group}' is not a model group in {args.config} (known: {known})")
        if args.version < 1:
            raise BadInput("--version must be 1 or more")
        if not args.note.strip():
            raise BadInput("--note: say why (it is recorded with your identity)")
        if "\n" in args.note or "\r" in args.note:
            raise BadInput("--note: one line please (StageDescription allows no line breaks)")
        access = _access(config, args)
    except BadInput as exc:
        print(f"error: {exc}", file=err)
        return EXIT_BAD_INPUT
    from generator.apply.interrupts import Interrupts

    decision = "Approved" if args.approve else "Rejected"
    try:
        with Interrupts(err) as interrupts:
            with interrupts.reading(args.group):
                registry = _connect(access, err)
                if registry is None:
                    return EXIT_FAILED
                code = _promote(config, registry, args, stage, decision, interrupts, out, err)
            if interrupts.requested:
                print("interrupted after the change was made (it is complete: one SageMaker call)", file=err)
                return EXIT_INTERRUPTED
            return code
    except KeyboardInterrupt:
        print("interrupted: nothing was changed", file=err)
        return EXIT_INTERRUPTED


def _promote(config, registry, args, stage: str, decision: str, interrupts, out: TextIO, err: TextIO) -> int:
    from generator.apply.aws import AwsError
    from generator.apply.status_format import GroupStatus, Status, table
    from generator.apply.workflow import (DESCRIPTION_MAX, approval_status, check_step, description, name_gate,
                                          state_from)
    from generator.config.stages import stage_names

    arn = (f"arn:{config.partition}:sagemaker:{config.region}:{config.registry_account.id}:model-package/"
           f"{args.group}/{args.version}")
    text = description(decision, registry.caller_arn, args.note)
    if len(text) > DESCRIPTION_MAX:
        room = DESCRIPTION_MAX - (len(text) - len(args.note))
        print(f"error: --note: at most {room} characters here (StageDescription holds {DESCRIPTION_MAX} with "
              f"your identity); it has {len(args.note)}", file=err)
        return EXIT_BAD_INPUT

    def read():
        described = registry.describe(arn)
        return None if described is None else state_from(args.group, described)

    try:
        state = read()
    except AwsError as exc:
        print(f"error: {args.group} version {args.version}: {one_line(str(exc))}", file=err)
        return EXIT_FAILED
    if state is None:
        print(f"error: {args.group} has no version {args.version} in account {config.registry_account.id} "
              f"({config.region}); nothing was changed", file=err)
        return EXIT_FAILED
    refusal = check_step(config, state, stage)
    if refusal is not None:
        print(f"refused ({refusal.gate}): {refusal.reason}; nothing was changed", file=err)
        return EXIT_FAILED
    approval = approval_status(config, stage, decision)
    if state.stage == stage and state.stage_status == decision and state.approval == approval:
        print(f"{args.group} version {args.version} is already {stage} {decision}; nothing was changed", file=out)
        return EXIT_OK
    # Lost updates (issue 30): UpdateModelPackage has no condition on the
    # version's current state, so two promotes can both write and the last
    # one wins. The version's stage history (ModelLifeCycle actions) is read
    # before and after the write: one change more is ours; any other change
    # was made by someone else while this promote ran, and is reported. The
    # history is best effort (a role without sagemaker:ListActions still
    # promotes; the read-back below still compares).
    seen = _history(registry, arn)
    # (only when the history carries the stage: AWS does not document the action's properties)
    if seen and seen[-1].stage and not _is(seen[-1], state.stage, state.stage_status, state.stage_description):
        print(f"error: {args.group} version {args.version} changed since it was read (now {_said(seen[-1])}); "
              "nothing was changed: run promote again to decide on its current state", file=err)
        return EXIT_FAILED
    try:
        with interrupts.change(args.group):
            registry.set_lifecycle(arn, stage, decision, text, approval)
    except AwsError as exc:
        if exc.code in ("AccessDenied", "AccessDeniedException"):
            try:
                now = read() or state
            except AwsError:
                now = state
            print(f"error: {one_line(name_gate(config, now, stage, registry.caller_arn, str(exc)))}; nothing was changed",
                  file=err)
        else:
            print(f"error: {args.group} version {args.version}: {one_line(str(exc))}", file=err)
        return EXIT_FAILED
    previous = f"{state.stage or 'no stage'} ({state.stage_status or '-'})" if state.stage else "no stage"
    print(f"{args.group} version {args.version}: {previous} -> {stage} ({decision}) by {registry.caller_arn}",
          file=out)
    try:
        after = read()
    except AwsError as exc:
        print(f"warning: the change was made, but reading it back failed: {one_line(str(exc))}", file=err)
        return EXIT_OK
    if after is not None:
        shown = Status(config.registry_account.id, config.region, [GroupStatus(args.group, "", [after])],
                       stage_names(config), False)
        out.write(table(shown))
    if after is not None and not _is(after, stage, decision, text, state=True):
        print(f"error: {args.group} version {args.version} was changed by someone else after this promote's write: "
              f"it is now {after.stage} {after.stage_status} (by {after.modified_by or '?'}); your {decision} "
              "did not take effect", file=err)
        return EXIT_FAILED
    if seen is not None:
        now = _history(registry, arn)
        new_changes = now[len(seen):] if now is not None else []
        if len(new_changes) > 1:
            others = [c for c in new_changes if not _is(c, stage, decision, text)] or new_changes
            said = "; ".join(f"{_said(c)} by {c.by or '?'} at {c.at}" for c in others)
            print(f"error: {args.group} version {args.version} was also changed by someone else while this promote "
                  f"ran ({said}); the registry now holds {stage} {decision}, which may have replaced their "
                  "decision: check with `status --history`", file=err)
            return EXIT_FAILED
    return EXIT_OK


def _history(registry, arn: str):
    """The version's stage changes, oldest first; None when they cannot be read."""
    from generator.apply.aws import AwsError
    from generator.apply.workflow import change_from

    try:
        return [change_from(a) for a in registry.history(arn)]
    except AwsError:
        return None


def _is(item, stage, status, description, state: bool = False) -> bool:
    if state:
        return (item.stage, item.stage_status, item.stage_description) == (stage, status, description)
    return (item.stage, item.status, item.description) == (stage or "", status or "", description or "")


def _said(item) -> str:
    return f"{item.stage or '?'} {getattr(item, 'status', None) or getattr(item, 'stage_status', None) or '?'}"
