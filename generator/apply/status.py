"""``status``: read every version of every group from the live registry.

Per group: ListModelPackages (paginated, 100 a page), then DescribeModelPackage
per version (the summary lacks who created and last modified it), then with
``--history`` the version's ModelLifeCycle actions. Groups are read by a
bounded pool of threads (``--workers``), at most ``2 × workers`` groups in
flight, so memory does not grow with the registry beyond the result itself.
Throttling is retried by botocore with backoff (generator/apply/aws.py). A
group that fails is reported in its row and makes the exit code 1; the others
are still read. Ctrl-C stops at once: status only reads, and writes --out only
after everything was read.
"""

from __future__ import annotations

import os
import sys
import tempfile
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, TextIO

from generator.apply.aws import AwsError, Lifecycle
from generator.apply.status_format import GroupStatus, Status
from generator.apply.workflow import Change, VersionState, change_from, state_from


def group_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:sagemaker:{region}:{account}:model-package-group/{name}"


def read_group(registry: Lifecycle, name: str, arn: str, history: bool) -> GroupStatus:
    status = GroupStatus(name=name, arn=arn)
    try:
        for summary in registry.versions(arn):
            described = registry.describe(summary["ModelPackageArn"])
            if described is None:  # deleted between the list and the describe
                continue
            changes: tuple[Change, ...] | None = None
            if history:
                changes = tuple(change_from(a) for a in registry.history(described["ModelPackageArn"]))
            status.versions.append(state_from(name, described, changes))
    except AwsError as exc:
        status.error = str(exc)
        status.versions = []
    return status


def read_all(registry: Lifecycle, groups: list[tuple[str, str]], history: bool, workers: int,
             progress: Callable[[], None] | None = None) -> list[GroupStatus]:
    """Read groups with a bounded pool; results in the order of ``groups``."""
    results: dict[int, GroupStatus] = {}
    pending = iter(enumerate(groups))
    in_flight: dict = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="status")
    try:
        while True:
            while len(in_flight) < 2 * workers:
                item = next(pending, None)
                if item is None:
                    break
                index, (name, arn) = item
                in_flight[pool.submit(read_group, registry, name, arn, history)] = index
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                results[in_flight.pop(future)] = future.result()
                if progress:
                    progress()
    except BaseException:
        # Ctrl-C: drop what has not started; running reads end with their call.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [results[i] for i in range(len(groups))]


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step: readers see the old file or the new one, never half."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def progress_bar(total: int, err: TextIO):
    """A tqdm bar on a terminal; nothing in logs and CI."""
    if not err.isatty() or total < 2:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="group", file=err, leave=False)


def build(registry: Lifecycle, partition: str, region: str, registry_id: str, stages: list[str],
          names: list[str], history: bool, workers: int, err: TextIO | None = None) -> Status:
    groups = [(n, group_arn(partition, region, registry_id, n)) for n in names]
    bar = progress_bar(len(groups), err or sys.stderr)
    try:
        read = read_all(registry, groups, history, workers, (lambda: bar.update(1)) if bar else None)
    finally:
        if bar is not None:
            bar.close()
    return Status(account=registry_id, region=region, groups=read, stages=stages, history=history)


def versions_of(status: Status) -> list[VersionState]:
    return [v for g in status.groups for v in g.versions]
