"""Backups of a group's policy, written before every change, read by --restore.

One file per change: ``<dir>/<UTC time>-<account id>-<region>-<group>.json``
with the exact previous policy text (or null when the group had none, so a
restore deletes the policy). The time is the run's start, so all backups of
one run sort together; a second backup of the same group within the same
second gets ``-2``, ``-3``... Files are created exclusively (never
overwritten) and flushed to disk before the change is sent.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from generator import strictjson

FORMAT = "model-package-group-policy-backup/1"


class BadBackup(Exception):
    """A --restore file that is not a backup this helper wrote."""


@dataclass(frozen=True)
class Backup:
    account_id: str
    region: str
    group: str
    group_arn: str
    previous_policy: str | None  # None: the group had no policy
    group_existed: bool
    taken_at: str
    reason: str
    # An audit record of a --restore-unlinted change: the backup it restored
    # and the lint findings it overrode ({"rule", "message"}); empty otherwise.
    restored_from: str | None = None
    overridden_lint: tuple[dict, ...] = ()

    def to_json(self) -> str:
        audit = {}
        if self.restored_from is not None:
            audit["restored_from"] = self.restored_from
        if self.overridden_lint:
            audit["overridden_lint"] = list(self.overridden_lint)
        return json.dumps(
            {
                "format": FORMAT,
                "taken_at": self.taken_at,
                "reason": self.reason,
                "account_id": self.account_id,
                "region": self.region,
                "model_package_group": self.group,
                "model_package_group_arn": self.group_arn,
                "group_existed": self.group_existed,
                "previous_policy": self.previous_policy,
                **audit,
            },
            indent=2,
            ensure_ascii=False,
        ) + "\n"


def timestamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def write(directory: Path, backup: Backup) -> Path:
    """Create the backup file (never overwriting one) and fsync it."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{backup.taken_at}-{backup.account_id}-{backup.region}-{backup.group}"
    data = backup.to_json().encode("utf-8")
    for attempt in range(1, 1000):
        path = directory / (f"{stem}.json" if attempt == 1 else f"{stem}-{attempt}.json")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return path
    raise OSError(f"too many backups named {stem}*.json in {directory}")


def read(path: Path) -> Backup:
    try:
        raw = strictjson.loads(Path(path).read_text(encoding="utf-8"))
    except strictjson.DuplicateKey as exc:
        raise BadBackup(f"{path}: {exc}") from None
    except FileNotFoundError:
        raise BadBackup(f"backup file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadBackup(f"cannot read backup file {path}: {exc}") from None
    except ValueError:
        raise BadBackup(f"{path} is not JSON; pass a file that apply wrote into its backup directory") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BadBackup(f"{path} is not a model package group policy backup (format {FORMAT})")
    try:
        backup = Backup(
            account_id=_str(raw, "account_id"),
            region=_str(raw, "region"),
            group=_str(raw, "model_package_group"),
            group_arn=_str(raw, "model_package_group_arn"),
            previous_policy=raw["previous_policy"],
            group_existed=bool(raw.get("group_existed", True)),
            taken_at=_str(raw, "taken_at"),
            reason=str(raw.get("reason", "")),
        )
    except KeyError as exc:
        raise BadBackup(f"{path}: missing key {exc.args[0]}") from None
    if backup.previous_policy is not None and not isinstance(backup.previous_policy, str):
        raise BadBackup(f"{path}: previous_policy must be the policy text or null")
    return backup


def _str(raw: dict, key: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value:
        raise BadBackup(f"backup key {key} must be a non-empty string")
    return value
