"""Run apply: one group at a time, each change backed up, faults contained.

For each group: describe it (create it when missing, with the config's
description and tags), read its policy, compare semantically with the
rendered one (:mod:`generator.apply.plan`) and put the rendered text only
when they differ. A failing group is reported in one line and the others go
on; the summary lists which groups are done, unchanged, failed or skipped.

Ctrl-C while a group is being read stops at once (no write was in flight);
between groups it stops before the next one. During a group's change
(backup, create, put) it is deferred until that change has finished; a
second Ctrl-C stops at once, and the group is then old or new, never half,
because each change is one all-or-nothing SageMaker call. Either way the
summary says what happened and the exit code is 130.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from generator import strictjson
from generator.apply import backup, plan
from generator.apply.aws import Access, AwsError, Registry
from generator.apply.interrupts import Interrupts as _Interrupts
from generator.config import Config, load_config
from generator.config.apply import check_role_arn
from generator.errors import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
MODES = ("apply", "dry-run", "check")
_ROLE_NAME = re.compile(r"^(?:[A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}$")

# Outcomes that make --check fail, and failures (any mode).
PENDING = {"would create", "would update", "would restore", "missing", "drift"}
FAILED = {"failed"}


class BadInput(Exception):
    """Bad command-line input: printed as one line, exit 2."""


@dataclass(frozen=True)
class Options:
    config: Path
    mode: str = "apply"
    groups: tuple[str, ...] = ()
    endpoint_url: str | None = None
    role_arn: str | None = None
    role_name: str | None = None
    assume_role: bool | None = None  # False: --no-assume-role; None: as the config says
    backup_dir: Path = Path("apply-backups")
    restore: Path | None = None
    restore_unlinted: bool = False  # --restore-unlinted: lint findings of the backup warn instead of refusing
    max_attempts: int = 6
    retry_mode: str = "standard"


@dataclass
class Outcome:
    group: str
    status: str
    detail: str = ""
    changes: list[str] = field(default_factory=list)  # + / - / ~ Sid lines
    diff: str = ""


@dataclass
class Report:
    mode: str
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False

    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if any(o.status in FAILED for o in self.outcomes):
            return EXIT_FAILED
        if self.mode == "check" and any(o.status in PENDING for o in self.outcomes):
            return EXIT_FAILED
        return EXIT_OK


def role_to_assume(config: Config, options: Options) -> str | None:
    """The role ARN to assume, or None to use the credentials as they are."""
    if options.assume_role is False:
        return None
    if options.role_arn:
        try:
            check_role_arn(config, options.role_arn, "--role-arn")
        except ConfigError as exc:
            raise BadInput(f"--role-arn: {exc.message}") from None
        return options.role_arn
    if options.role_name:
        if not _ROLE_NAME.fullmatch(options.role_name):
            raise BadInput(f"--role-name: '{options.role_name}' is not an IAM role name (optionally path/name)")
        return f"arn:{config.partition}:iam::{config.registry_account.id}:role/{options.role_name}"
    settings = config.apply
    if not settings.assumes:
        return None  # the ambient credentials (checked to be the registry account's)
    if settings.role_arn:
        return settings.role_arn
    return f"arn:{config.partition}:iam::{config.registry_account.id}:role/{settings.role_name}"


def _check_options(config: Config, options: Options) -> None:
    if options.mode not in MODES:
        raise BadInput(f"mode must be one of {', '.join(MODES)}")
    if options.max_attempts < 1:
        raise BadInput("--max-attempts must be at least 1")
    if options.endpoint_url is not None:
        _check_endpoint(options.endpoint_url)
    if options.restore is not None and options.groups:
        raise BadInput("--restore names its group in the backup file; drop --group")
    if config.terraform.group_policies == "terraform" and options.mode == "apply":
        # Exactly one writer per group policy: read-only modes stay allowed
        # so CI can still detect drift.
        raise BadInput(
            "terraform.group_policies is terraform: Terraform writes the group policies, so apply would be a "
            "second writer; use --check or --dry-run, or set terraform.group_policies: apply"
        )
    unknown = [g for g in options.groups if g not in config.model_groups]
    if unknown:
        known = ", ".join(sorted(config.model_groups))
        raise BadInput(f"--group: '{unknown[0]}' is not a model group in {options.config} (known: {known})")


def _check_endpoint(url: str) -> None:
    """--endpoint-url: an http(s) URL with a host, nothing botocore would choke on later."""
    from urllib.parse import urlsplit

    shown = json.dumps(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise BadInput(f"--endpoint-url: {shown} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not url.isprintable() or " " in url:
        raise BadInput(f"--endpoint-url: {shown} must be an http:// or https:// URL with a host")


def _lint_before_any_put(config: Config, options: Options) -> tuple[dict, ...]:
    """Every policy apply may send passes lint first, a restored backup
    included: apply never puts Principal "*", sagemaker:* or a policy for a
    group outside the config, whatever file it is handed.

    The one exception is asked for by name: ``--restore --restore-unlinted``
    puts a backup back although it fails lint (the emergency rollback to a
    hand-written policy that was live before apply replaced it). Only
    policy-scope findings are overridden, never the structure rule (a text
    SageMaker would reject); they are returned, printed as warnings and
    recorded in the backup written before the change."""
    from generator.lint.runner import STRUCTURE, lint_document

    if options.restore is not None:
        try:
            saved = backup.read(options.restore)
        except backup.BadBackup as exc:
            raise BadInput(f"--restore: {exc}") from None
        if saved.group not in config.model_groups:
            raise BadInput(f"--restore: {options.restore} is a backup of model group '{saved.group}', which is not in "
                           f"{options.config}; apply never touches groups outside it")
        if saved.previous_policy is None:
            return ()
        texts = [(saved.group, saved.group_arn, str(options.restore), saved.previous_policy)]
    else:
        if options.mode != "apply":
            return ()
        texts = [(t.name, t.arn, t.path, t.text) for t in plan.targets(config, options.groups)]
    for _group, arn, path, text in texts:
        try:
            strictjson.loads(text)
        except strictjson.DuplicateKey as exc:
            raise BadInput(f"refusing to put {path}: the policy has a {exc}; nothing was sent") from None
        except ValueError:
            pass  # not JSON at all: lint's invalid-structure says so below
        # Size is checked per group when it is sent (plan.check_sendable): an
        # oversized group fails alone, the others still apply.
        findings = [f for f in lint_document(config, plan.KIND.name, path, arn, config.registry_account.id, text)
                    if f.rule_id != "size-limit"]
        overridable = options.restore_unlinted and not any(f.rule_id == STRUCTURE for f in findings)
        if findings and not overridable:
            first = findings[0]
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            hint = ("; to roll back to it anyway, add --restore-unlinted"
                    if options.restore is not None and first.rule_id != STRUCTURE and not options.restore_unlinted
                    else "")
            raise BadInput(f"refusing to put {path}: lint {first.rule_id}: {first.message}{more}; "
                           f"nothing was sent{hint}")
        if findings:
            return tuple({"rule": f.rule_id, "message": f.message} for f in findings)
    return ()


class Runner:
    def __init__(self, config: Config, options: Options, out: TextIO, err: TextIO,
                 overridden_lint: tuple[dict, ...] = ()):
        self.config = config
        self.overridden_lint = overridden_lint
        self.options = options
        self.out = out
        self.err = err
        self.started = backup.timestamp(datetime.now(timezone.utc))
        self.registry = None
        self._step: str | None = None  # within a change: "creating", "created" (before the put)

    # --- entry -----------------------------------------------------------------
    def run(self) -> int:
        access = Access(
            partition=self.config.partition,
            region=self.config.region,
            registry_id=self.config.registry_account.id,
            endpoint_url=self.options.endpoint_url,
            role_arn=role_to_assume(self.config, self.options),
            max_attempts=self.options.max_attempts,
            retry_mode=self.options.retry_mode,
        )
        restore = backup.read(self.options.restore) if self.options.restore else None
        if restore is not None:
            self._check_backup(restore)
            work = [restore.group]
        else:
            work = plan.targets(self.config, self.options.groups)
        report = Report(self.options.mode)
        try:
            self.registry = Registry(access)
        except AwsError as exc:
            print(f"error: {exc}", file=self.err)
            return EXIT_FAILED
        except KeyboardInterrupt:
            print("interrupted before any change", file=self.err)
            return EXIT_INTERRUPTED
        self._say(
            f"{self.options.mode}{' --restore' if restore else ''}: {len(work)} model package group(s) in account "
            f"{access.registry_id} ({access.region}) as {self.registry.caller_arn}"
        )
        with _Interrupts(self.err) as interrupts:
            for index, item in enumerate(work, start=1):
                name = item if isinstance(item, str) else item.name
                if interrupts.requested:
                    report.interrupted = True
                    report.outcomes.append(Outcome(name, "skipped", "interrupted before it started"))
                    continue
                self._progress(index, len(work), name)
                try:
                    with interrupts.reading(name):
                        if restore is not None:
                            outcome = self._restore_one(restore, interrupts)
                        else:
                            outcome = self._apply_one(item, interrupts)
                except KeyboardInterrupt:
                    if interrupts.stopped_during_change and self._step == "creating":
                        detail = ("stopped while creating the group: it may now exist without a policy "
                                  "(no cross-account access); the next apply run finishes it")
                    elif interrupts.stopped_during_change and self._step == "created":
                        detail = ("stopped after creating the group, during its policy put: the group exists with "
                                  "no policy (no cross-account access) or with the new one; the next apply run "
                                  "finishes it")
                    elif interrupts.stopped_during_change:
                        detail = "stopped during its change: the policy is either the old or the new one; run --check"
                    else:
                        detail = "interrupted before any change to it"
                    outcome = Outcome(name, "skipped", detail)
                    interrupts.requested = True  # the rest are skipped
                report.outcomes.append(outcome)
                self._print_outcome(outcome)
                if interrupts.requested:
                    report.interrupted = True
        self._summary(report, access)
        return report.exit_code()

    # --- one group -------------------------------------------------------------
    def _apply_one(self, target: plan.Target, interrupts: _Interrupts) -> Outcome:
        try:
            plan.check_sendable(target.text)
        except plan.PolicyRefused as exc:
            return Outcome(target.name, "failed", f"refusing to send {target.path}: {exc}")
        try:
            exists = self.registry.describe_group(target.name) is not None
            current = self.registry.get_policy(target.name) if exists else None
        except AwsError as exc:
            return Outcome(target.name, "failed", str(exc))
        if exists and plan.same(current, target.text):
            return Outcome(target.name, "unchanged" if self.options.mode != "check" else "in sync")
        mode = self.options.mode
        if mode == "apply":
            outcome = Outcome(target.name, "updated" if exists else "created")
        elif mode == "dry-run":
            outcome = Outcome(target.name, "would update" if exists else "would create")
        else:
            outcome = Outcome(target.name, "drift" if exists else "missing")
        if not exists:
            tags = ", ".join(f"{k}={v}" for k, v in target.tags) or "none"
            outcome.detail = f"new group: description {json.dumps(target.description)}, tags {tags}"
        self._report_change(outcome, current, target.text, target.arn, target.path, exists)
        if mode != "apply":
            return outcome
        with interrupts.change(target.name):
            try:
                saved = self._backup(target.name, target.arn, current, exists, "apply")
            except OSError as exc:
                return Outcome(target.name, "failed", f"cannot write the backup, so nothing was changed: {exc}")
            created = False
            try:
                if not exists:
                    self._step = "creating"
                    self.registry.create_group(target.name, target.description, target.tags)
                    created = True
                    self._step = "created"
                self.registry.put_policy(target.name, plan.wire(target.text))
                self._step = None
            except AwsError as exc:
                state = (
                    "the group was created without a policy (no cross-account access) until a re-run puts it"
                    if created else f"backup of the previous state: {saved}"
                )
                return Outcome(target.name, "failed", f"{exc} ({state})")
        outcome.detail = f"{outcome.detail}; backup {saved}" if outcome.detail else f"backup {saved}"
        return outcome

    def _restore_one(self, saved: backup.Backup, interrupts: _Interrupts) -> Outcome:
        name = saved.group
        wanted = saved.previous_policy
        if wanted is not None:
            try:
                plan.check_sendable(wanted, as_is=True)
            except plan.PolicyRefused as exc:
                return Outcome(name, "failed", f"refusing to restore {self.options.restore}: {exc}")
        try:
            if self.registry.describe_group(name) is None:
                return Outcome(name, "failed",
                               "the group does not exist; --restore only sets the policy of an existing group")
            current = self.registry.get_policy(name)
        except AwsError as exc:
            return Outcome(name, "failed", str(exc))
        if plan.same(current, wanted):
            return Outcome(name, "unchanged" if self.options.mode != "check" else "in sync")
        status = {"apply": "restored", "dry-run": "would restore", "check": "drift"}[self.options.mode]
        outcome = Outcome(name, status)
        self._report_change(outcome, current, wanted, saved.group_arn, str(self.options.restore), True)
        if self.options.mode != "apply":
            return outcome
        with interrupts.change(name):
            try:
                path = self._backup(name, saved.group_arn, current, True, "restore", audit=True)
            except OSError as exc:
                return Outcome(name, "failed", f"cannot write the backup, so nothing was changed: {exc}")
            try:
                if wanted is None:
                    self.registry.delete_policy(name)
                else:
                    self.registry.put_policy(name, wanted)
            except AwsError as exc:
                return Outcome(name, "failed", f"{exc} (backup of the previous state: {path})")
        what = "deleted the policy (the backup had none)" if wanted is None else "put the backed-up policy"
        outcome.detail = f"{what}; backup {path}"
        return outcome

    def _check_backup(self, saved: backup.Backup) -> None:
        registry_id = self.config.registry_account.id
        if saved.account_id != registry_id or saved.region != self.config.region:
            raise BadInput(
                f"--restore: {self.options.restore} is a backup from account {saved.account_id} ({saved.region}); "
                f"{self.options.config} has registry account {registry_id} ({self.config.region})"
            )

    def _backup(self, group: str, arn: str, current: str | None, existed: bool, reason: str,
                audit: bool = False) -> Path:
        restored_from, overridden = None, ()
        if audit and self.options.restore is not None:
            restored_from = str(self.options.restore)
            if self.options.restore_unlinted:
                reason, overridden = "restore --restore-unlinted", self.overridden_lint
        return backup.write(
            self.options.backup_dir,
            backup.Backup(
                account_id=self.config.registry_account.id,
                region=self.config.region,
                group=group,
                group_arn=arn,
                previous_policy=current,
                group_existed=existed,
                taken_at=self.started,
                reason=reason,
                restored_from=restored_from,
                overridden_lint=overridden,
            ),
        )

    # --- output ----------------------------------------------------------------
    def _print_outcome(self, outcome: Outcome) -> None:
        if outcome.status in FAILED:
            print(f"error: {outcome.group}: {outcome.detail}", file=self.err, flush=True)
            return
        counts = ""
        if outcome.changes:
            signs = [line[0] for line in outcome.changes]
            counts = f" [{signs.count('+')} added, {signs.count('-')} removed, {signs.count('~')} changed statements]"
        self._say(f"{outcome.group}: {outcome.status}{counts}{f' ({outcome.detail})' if outcome.detail else ''}")
        for line in outcome.changes:
            self._say(f"    {line}")
        if outcome.diff:
            self._say(outcome.diff)

    def _say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def _progress(self, index: int, total: int, name: str) -> None:
        # Progress is for people watching a terminal; logs and CI stay quiet.
        if self.err.isatty():
            print(f"[{index}/{total}] {name}", file=self.err, flush=True)

    def _report_change(self, outcome: Outcome, current: str | None, wanted: str | None, arn: str,
                       source: str, exists: bool) -> None:
        """What changes for one group: statements by Sid, then (dry-run, check) the diff."""
        outcome.changes = plan.statement_changes(current, wanted)
        if self.options.mode == "apply" or current is None:
            # A new policy is shown whole in its rendered file; no need to print it.
            return
        if not exists:
            label = f"{arn} (group does not exist yet)"
        else:
            label = f"{arn} ({'no policy' if current is None else 'in AWS'})"
        wanted_label = source if wanted is not None else f"{source} (no policy: delete it)"
        outcome.diff = plan.diff(current, wanted, label, wanted_label)

    def _summary(self, report: Report, access) -> None:
        self._say(f"summary ({report.mode}, account {access.registry_id}, {access.region}):")
        width = max((len(o.status) for o in report.outcomes), default=0)
        for outcome in report.outcomes:
            self._say(f"  {outcome.status.ljust(width)}  {outcome.group}")
        counts: dict[str, int] = {}
        for outcome in report.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        total = ", ".join(f"{n} {status}" for status, n in counts.items()) or "no groups"
        tail = "; interrupted (exit 130)" if report.interrupted else ""
        self._say(f"result: {total}{tail}")


def run(options: Options, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Apply (or dry-run, check, restore) and return the exit code.

    Raises ConfigError for a bad config and BadInput for bad options; the CLI
    prints either as one line and exits 2.
    """
    config = load_config(options.config)
    _check_options(config, options)
    overridden = _lint_before_any_put(config, options)
    err = err or sys.stderr
    for finding in overridden:
        print(f"warning: --restore-unlinted: putting {options.restore} although lint {finding['rule']}: "
              f"{finding['message']}", file=err)
    try:
        return Runner(config, options, out or sys.stdout, err, overridden).run()
    except backup.BadBackup as exc:
        raise BadInput(f"--restore: {exc}") from None
    except KeyboardInterrupt:  # before the first group: nothing was changed
        print("interrupted before any change", file=err)
        return EXIT_INTERRUPTED
