"""Reading rendered policies back: one reader for lint, report and explain.

Everything under ``--policies`` is input like a config file: the manifest
may be hand-edited, a policy may be truncated, not UTF-8, nested 100,000
deep, a directory or a link to a file elsewhere. Every such case becomes a
:class:`PolicyInputError` (one line, exit 2) here, the same way for every
command, instead of a traceback somewhere in an analysis.

The grammar of a policy document (:func:`document_problems`) is the one the
lint rule ``invalid-structure`` reports; report and explain refuse a
document with problems, since they cannot evaluate it faithfully.
"""

from __future__ import annotations

import json
import os
import re
import stat
import zlib
from functools import lru_cache
from pathlib import Path

from generator import hints, kinds, strictjson
from generator.paths import UnsafePath, check_relative

MANIFEST = "manifest.json"
MAX_FILE_BYTES = 16 * 1024 * 1024  # far above any AWS policy size limit; bounds memory


class PolicyInputError(ValueError):
    """A manifest or policy file that cannot be read: one line, exit 2.
    ``missing``: the file is not there (lint reports a missing policy as a
    finding instead)."""

    def __init__(self, message: str, missing: bool = False):
        super().__init__(message)
        self.missing = missing

    def __reduce__(self):  # keeps ``missing`` across the forked workers' pickling
        return (type(self), (str(self), self.missing))


class DuplicateKeyError(PolicyInputError):
    """A JSON object that gives a key twice (generator/strictjson.py): refused
    by every reader, lint included, never read as one of its values."""


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --- files -------------------------------------------------------------------

# Directories a Tree keeps open (least recently used closed first): reads
# come in manifest order, one account's directory after another.
_OPEN_DIRECTORIES = 16
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class Tree:
    """A directory of rendered files, read with the one path rule: a path
    relative to ``out`` and inside it, and no component below ``out`` a
    link. Each path is walked from ``out`` one component at a time, every
    directory opened relative to the one above it without following a link
    (openat with O_NOFOLLOW) and held open: a link swapped in after the walk
    is never followed, and a directory walked once is not walked again
    (reading 3,649 files took 0.55 s by full-path lstat checks, 0.05-0.16 s
    this way). A file is checked with lstat relative to its directory
    before it is opened, so a FIFO or a device is refused, never opened.
    Use as a context manager; :func:`read_text` reads one file alone."""

    def __init__(self, out: Path):
        from collections import OrderedDict

        self.out = Path(out)
        self._root: int | None = None
        self._dirs: OrderedDict[tuple[str, ...], int] = OrderedDict()

    def __enter__(self) -> "Tree":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()
        if self._root is not None:
            os.close(self._root)
            self._root = None

    def _where(self, parts) -> Path:
        return self.out.joinpath(*parts)

    def _refuse(self, parts, parent: int, error: OSError, directory: bool) -> PolicyInputError:
        """The one line for a component that could not be opened."""
        current = self._where(parts)
        if isinstance(error, FileNotFoundError):
            return PolicyInputError(f"{current}: not found (run {hints.run('render')} first)", missing=True)
        try:
            info = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except OSError:
            info = None
        if info is not None and stat.S_ISLNK(info.st_mode):
            return PolicyInputError(f"{current}: is a symbolic link; rendered files are read only inside "
                                    f"{self.out}, never through links")
        if directory and info is not None and not stat.S_ISDIR(info.st_mode):
            return PolicyInputError(f"{current}: not a directory")
        return PolicyInputError(f"{current}: cannot read: {error.strerror}")

    def _directory(self, parts: tuple[str, ...]) -> int:
        """An open descriptor of ``out/parts``, walked without following links."""
        if not parts:
            if self._root is None:
                try:
                    self._root = os.open(self.out, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
                except FileNotFoundError:
                    raise PolicyInputError(f"{self.out}: not found (run {hints.run('render')} first)", missing=True) from None
                except OSError as exc:
                    raise PolicyInputError(f"{self.out}: cannot read: {exc.strerror}") from None
            return self._root
        found = self._dirs.get(parts)
        if found is not None:
            self._dirs.move_to_end(parts)
            return found
        parent = self._directory(parts[:-1])
        try:
            fd = os.open(parts[-1], _DIRECTORY_FLAGS, dir_fd=parent)
        except OSError as exc:
            raise self._refuse(parts, parent, exc, True) from None
        self._dirs[parts] = fd
        if len(self._dirs) > _OPEN_DIRECTORIES:
            os.close(self._dirs.popitem(last=False)[1])  # never ``parent``: it was used just now
        return fd

    def read(self, relative: str, what: str = "manifest path") -> str:
        """The UTF-8 text of ``out/relative`` (PolicyInputError otherwise)."""
        try:
            check_relative(relative, what)
        except UnsafePath as exc:
            raise PolicyInputError(f"{self.out / MANIFEST}: {exc}") from None
        parts = tuple(relative.split("/"))
        parent = self._directory(parts[:-1])
        name = parts[-1]
        try:
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except OSError as exc:
            raise self._refuse(parts, parent, exc, False) from None
        if stat.S_ISLNK(info.st_mode):
            raise self._refuse(parts, parent, OSError(), False)
        if not stat.S_ISREG(info.st_mode):
            raise PolicyInputError(f"{self._where(parts)}: not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise PolicyInputError(f"{self._where(parts)}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=parent)
        except OSError as exc:
            raise self._refuse(parts, parent, exc, False) from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the lstat
                raise PolicyInputError(f"{self._where(parts)}: not a regular file")
            chunks, size = [], 0
            while size <= MAX_FILE_BYTES:  # to the end, as it is now, never more than the limit
                chunk = os.read(fd, MAX_FILE_BYTES + 1 - size if size else info.st_size + 1)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            raw = b"".join(chunks)
        except OSError as exc:
            raise PolicyInputError(f"{self._where(parts)}: cannot read: {exc.strerror}") from None
        finally:
            os.close(fd)
        if len(raw) > MAX_FILE_BYTES:  # grown since the lstat
            raise PolicyInputError(f"{self._where(parts)}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyInputError(f"{self._where(parts)}: not UTF-8 text") from None


def read_text(out: Path, relative: str, what: str = "manifest path") -> str:
    """The UTF-8 text of ``out/relative``: the one path rule (relative, inside
    ``out``, no links) and the one way to fail (PolicyInputError). Reading
    many files, use one :class:`Tree`."""
    with Tree(out) as tree:
        return tree.read(relative, what)


def parse_json(text: str, where: Path | str, strings: dict | None = None):
    """The parsed JSON, or PolicyInputError. ``strings``: a dict shared across
    documents that makes equal keys and string values one object (thousands
    of policies repeat the same actions, keys and ARNs)."""
    try:
        if strings is not None:
            return json.loads(text, object_pairs_hook=lambda pairs: _interned(pairs, strings))
        return strictjson.loads(text)
    except RecursionError:
        raise PolicyInputError(f"{where}: JSON nested too deeply") from None
    except strictjson.DuplicateKey as exc:
        raise DuplicateKeyError(f"{where}: {exc}") from None
    except ValueError as exc:
        raise PolicyInputError(f"{where}: not valid JSON ({str(exc).splitlines()[0]})") from None


def _interned(pairs, strings: dict) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise strictjson.DuplicateKey(key)
        if isinstance(value, str):
            value = strings.setdefault(value, value)
        elif isinstance(value, list):
            value = [strings.setdefault(v, v) if isinstance(v, str) else v for v in value]
        out[strings.setdefault(key, key)] = value
    return out


_ENTRY_STRINGS = ("path", "kind", "target", "account", "account_id")
_ENTRY_OPTIONAL = ("model_group", "role", "scope", "access_point")


def read_manifest(out: Path) -> list[dict]:
    """The manifest's policy entries, each checked: strings where strings
    belong and a path that stays inside ``out``."""
    out = Path(out)
    where = out / MANIFEST
    if not out.exists():
        raise PolicyInputError(f"{where}: not found (run {hints.run('render')} first)", missing=True)
    if not out.is_dir():
        raise PolicyInputError(f"{out}: not a directory of rendered policies")
    text = read_text(out, MANIFEST)
    manifest = parse_json(text, where)
    entries = manifest.get("policies") if isinstance(manifest, dict) else None
    if not isinstance(entries, list):
        raise PolicyInputError(f"{where}: expected {{\"policies\": [{{\"path\": ..., \"kind\": ...}}, ...]}}")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise PolicyInputError(f"{where}: policies[{index}] must be an object")
        for key in _ENTRY_STRINGS:
            if not isinstance(entry.get(key), str):
                raise PolicyInputError(f"{where}: policies[{index}].{key} must be a string")
        for key in _ENTRY_OPTIONAL:
            if key in entry and not isinstance(entry[key], str):
                raise PolicyInputError(f"{where}: policies[{index}].{key} must be a string")
        try:
            check_relative(entry["path"], "manifest path")
        except UnsafePath as exc:
            raise PolicyInputError(f"{where}: {exc}") from None
    return entries


# --- the grammar of a policy document -----------------------------------------

STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
BASE_OPERATORS = {
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
    "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals",
    "ArnNotLike",
}
ACTION_RE = re.compile(r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$")
SID_RE = re.compile(r"^[A-Za-z0-9]*$")
PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}


def operator_base(operator: str) -> tuple[str, str] | None:
    """(set operator, base operator without IfExists), or None if unknown."""
    set_op, _, base = operator.rpartition(":")
    if set_op not in ("", "ForAnyValue", "ForAllValues"):
        return None
    if base == "Null":
        return (set_op, base) if not set_op else None
    if base.endswith("IfExists"):
        base = base[: -len("IfExists")]
    return (set_op, base) if base in BASE_OPERATORS else None


@lru_cache(maxsize=4096)
def operator_known(operator: str) -> bool:
    return operator_base(operator) is not None


@lru_cache(maxsize=4096)
def _action_well_formed(action: str) -> bool:
    """ACTION_RE, asked once per distinct action (thousands of statements repeat a few hundred)."""
    return ACTION_RE.fullmatch(action) is not None


def _strings(value) -> bool:
    values = _as_list(value)
    return bool(values) and all(isinstance(v, str) and v for v in values)


def statement_problems(stmt, resource_policy: bool, resourceless: str = "") -> list[str]:
    if not isinstance(stmt, dict):
        return ["a statement must be a JSON object"]
    problems = [f"unknown element {key}" for key in sorted(set(stmt) - STATEMENT_KEYS)]
    if stmt.get("Effect") not in ("Allow", "Deny"):
        problems.append(f"Effect must be Allow or Deny, not {stmt.get('Effect')!r}")
    if "Sid" in stmt and not (isinstance(stmt["Sid"], str) and SID_RE.fullmatch(stmt["Sid"])):
        problems.append("Sid may hold only letters and digits")
    for one, other in (("Action", "NotAction"), ("Resource", "NotResource")):
        present = [k for k in (one, other) if k in stmt]
        if one == "Resource" and resourceless:
            if present:
                problems.append(f"{present[0]} is not allowed: {resourceless}")
            continue
        if len(present) != 1:
            problems.append(f"needs exactly one of {one} or {other}")
        elif not _strings(stmt[present[0]]):
            problems.append(f"{present[0]} must be a non-empty string or list of strings")
    for key in ("Action", "NotAction"):
        for action in _as_list(stmt.get(key)) if _strings(stmt.get(key, "x")) else []:
            if not _action_well_formed(action):
                problems.append(f"{key} {action!r} is not service:Action")
    principals = [k for k in ("Principal", "NotPrincipal") if k in stmt]
    if resource_policy and len(principals) != 1:
        problems.append("a resource policy statement needs exactly one of Principal or NotPrincipal")
    if not resource_policy and principals:
        problems.append(f"an identity policy statement may not have {principals[0]}")
    for key in principals:
        value = stmt[key]
        if value != "*" and not (
            isinstance(value, dict) and value and set(value) <= PRINCIPAL_TYPES
            and all(_strings(v) for v in value.values())
        ):
            problems.append(f'{key} must be "*" or a map of AWS/Service/Federated/CanonicalUser to strings')
    condition = stmt.get("Condition", {})
    if not isinstance(condition, dict):
        problems.append("Condition must be a JSON object")
        condition = {}
    for operator, block in condition.items():
        if not operator_known(operator):
            problems.append(f"unknown condition operator {operator}")
        if not isinstance(block, dict) or not block:
            problems.append(f"Condition {operator} must map condition keys to values")
            continue
        for key, values in block.items():
            if not all(isinstance(v, (str, bool, int)) for v in _as_list(values)) or not _as_list(values):
                problems.append(f"Condition {operator} {key} must be a value or a list of values")
    return problems


def grammar_of(kind_name: str) -> tuple[bool, str]:
    """(statements need a Principal, why they may have no Resource or "") for a
    manifest kind (generator/kinds/); an unknown kind is read as a resource policy."""
    kind = kinds.get(kind_name)
    return (True, "") if kind is None else (kind.has_principal, kind.implied_resource)


def document_problems(doc, resource_policy: bool, resourceless: str = "") -> list[str]:
    """Every grammar problem of a policy document, as short phrases."""
    if not isinstance(doc, dict):
        return ["a policy must be a JSON object"]
    problems = [f"unknown top-level element {key}" for key in sorted(set(doc) - {"Version", "Id", "Statement"})]
    if doc.get("Version") != "2012-10-17":
        problems.append(f'Version must be "2012-10-17", not {doc.get("Version")!r}')
    statements = _as_list(doc.get("Statement"))
    if not statements:
        problems.append("Statement is missing or empty")
    for index, stmt in enumerate(statements):
        sid = stmt.get("Sid") if isinstance(stmt, dict) else None
        label = f"statement {sid}" if isinstance(sid, str) and sid else f"statement #{index + 1}"
        problems.extend(f"{label}: {problem}" for problem in statement_problems(stmt, resource_policy, resourceless))
    return problems


# Rendered files that are not policy documents (an EventBridge rule's pattern
# and targets): read with the same path rule, checked as JSON objects only.
DATA_KINDS = kinds.names(lambda kind: not kind.is_policy)


# From this many documents that ``keep`` refuses (the per-group kinds, kept
# compressed), with two CPUs and fork, the later part of them is read and
# checked in a forked process while this one reads the rest, and then takes
# from the back of that part what the second process has not reached: only
# compressed texts (and what the visitor noted) come back.
PARALLEL_READ_FROM = 1500


def _read_one(out: Path, tree: Tree, entry: dict, evaluable, keep, visitor) -> object:
    """One checked document: parsed, or (``keep`` refuses its kind) its text compressed."""
    relative = entry["path"]
    text = tree.read(relative)
    doc = parse_json(text, out / relative)
    kind = entry["kind"]
    if kind in DATA_KINDS:
        problems = [] if isinstance(doc, dict) else ["must be a JSON object"]
    else:
        problems = document_problems(doc, *grammar_of(kind))
    if not problems and kind not in DATA_KINDS:
        problems = [f"condition operator {op} is not evaluated by report/explain"
                    for stmt in _as_list(doc.get("Statement"))
                    for op in (stmt.get("Condition") or {}) if not evaluable(op)]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PolicyInputError(f"{out / relative}: {problems[0]}{more}; run {hints.run('lint')} for every problem")
    if visitor is not None:
        visitor.visit(entry, doc)
    # A document not kept is kept as its checked text, compressed: parsed
    # again when asked for, never read from disk a second time.
    return doc if keep(kind) else zlib.compress(text.encode(), 1)


def _read_share(out: Path, share: list[tuple[int, dict]], evaluable, keep, visitor) -> tuple:
    """Read documents in order until one is refused: ({path: document},
    (position, exception) of the refused one or None, the visitor)."""
    files: dict[str, object] = {}
    with Tree(out) as tree:
        for position, entry in share:
            try:
                files[entry["path"]] = _read_one(out, tree, entry, evaluable, keep, visitor)
            except Exception as exc:  # noqa: BLE001 - raised by the caller, in manifest order
                return files, (position, exc), visitor
    return files, None, visitor


def _read_claimed(out: Path, share: list[tuple[int, dict]], evaluable, keep, visitor, claims, refused) -> tuple:
    """In the second process: the documents of ``share`` it claims from the
    front (forked.Claims), in order, until the two processes meet or one is
    refused; its index in ``share`` is noted in ``refused`` (so the first
    process stops taking later ones from the back). As _read_share."""
    files: dict[str, object] = {}
    with Tree(out) as tree:
        while (taken := claims.front()) is not None:
            position, entry = share[taken]
            try:
                files[entry["path"]] = _read_one(out, tree, entry, evaluable, keep, visitor)
            except Exception as exc:  # noqa: BLE001 - raised by the caller, in manifest order
                refused[0] = taken
                return files, (position, exc), visitor
    return files, None, visitor


def _read_from_the_back(out: Path, share: list[tuple[int, dict]], evaluable, keep, visitor, claims, refused,
                        files: dict) -> tuple | None:
    """In the first process, its own part read: the documents of ``share``
    the second process has not reached, taken from the back (forked.Claims)
    into ``files``; (position, exception) of the first refused one in
    manifest order, or None. It goes on past a refused one (the earlier ones
    it takes next may be refused too), and stops at one after a document the
    second process refused (never the first)."""
    problem = None
    with Tree(out) as tree:
        while (taken := claims.back()) is not None and taken < refused[0]:
            position, entry = share[taken]
            try:
                files[entry["path"]] = _read_one(out, tree, entry, evaluable, keep, visitor)
            except Exception as exc:  # noqa: BLE001 - raised by the caller, in manifest order
                problem = (position, exc)  # taken from the back: each one refused is earlier
    return problem


def read_policies(out: Path, evaluable, keep=lambda kind: True, visitor=None,
                  parallel: bool | None = None) -> tuple[list[dict], dict[str, object]]:
    """(manifest entries, {path: parsed document, or for the kinds ``keep``
    refuses its zlib-compressed text}) for report and explain: every file
    read with the one path rule, every document well-formed and made only of
    what ``evaluable(operator)`` says the evaluator decides faithfully; a
    refused file is the first in manifest order, whichever process read it.
    ``visitor.visit(entry, document)`` sees each checked document, once per
    path in one process (in manifest order); with two, each process's copy
    sees what that process read, and a document both read where they met
    is seen by both; ``visitor.merge(other)`` takes in what the second
    process's copy saw. ``parallel``: see
    PARALLEL_READ_FROM (tests/test_report_scale.py compares both ways)."""
    return Reading(out, evaluable, keep, visitor, parallel).finish()


class Reading:
    """:func:`read_policies` begun: the second process (when there is one)
    reads its share from the start, and :meth:`finish` reads the rest here,
    then takes the second process's share from its end until the two meet
    (forked.Claims), so neither waits for the other.
    The report begins reading before it loads accounts.yaml, so the second
    process reads while this one loads the config. A problem with the
    manifest is raised by :meth:`finish`, not here (the config's problems
    are reported first); :meth:`cancel` stops a second process whose share
    is no longer wanted."""

    def __init__(self, out: Path, evaluable, keep=lambda kind: True, visitor=None, parallel: bool | None = None,
                 share: float = 0.5):
        """``share``: the part of the refused kinds the second process reads
        (the later ones); more than half when this process has other work
        to do meanwhile."""
        self.out, self.evaluable, self.keep, self.visitor = Path(out), evaluable, keep, visitor
        self.pending = None
        try:
            self.entries = read_manifest(self.out)
        except Exception as exc:  # noqa: BLE001 - raised by finish(), after the config's problems
            self.error: Exception | None = exc
            return
        self.error = None
        unique: list[tuple[int, dict]] = []
        seen: set[str] = set()
        for entry in self.entries:
            if entry["path"] not in seen:
                seen.add(entry["path"])
                unique.append((len(unique), entry))
        refused = [i for i, e in unique if not keep(e["kind"])]
        from generator import forked

        if parallel is None:
            parallel = len(refused) >= PARALLEL_READ_FROM and forked.available()
        # The second process takes the later ``share`` of the refused kinds,
        # from position ``cut`` on: a problem this process finds before it is
        # the first in manifest order at once.
        first = min(max(int(len(refused) * (1 - share)), 1), len(refused) - 1) if len(refused) > 1 else 0
        self.cut = cut = refused[first] if parallel and len(refused) > 1 else len(unique)
        self.unique = unique
        self.theirs = [(i, e) for i, e in unique if i >= cut and not keep(e["kind"])]
        self.mine = [(i, e) for i, e in unique if i < cut or keep(e["kind"])]
        if self.theirs:
            # Its share is the second process's to begin with; this one takes
            # from the back what it has not reached once its own part is read.
            import multiprocessing

            self.claims = forked.Claims(len(self.theirs))
            self.refused = multiprocessing.get_context("fork").RawArray("q", [len(self.theirs)])
            self.pending = forked.Forked(_read_claimed, self.out, self.theirs, evaluable, keep, visitor,
                                         self.claims, self.refused)

    def finish(self) -> tuple[list[dict], dict[str, object]]:
        if self.error is not None:
            raise self.error
        from generator import forked

        out, evaluable, keep, visitor, pending = self.out, self.evaluable, self.keep, self.visitor, self.pending
        try:
            files, problem, _ = _read_share(out, self.mine, evaluable, keep, visitor)
            if problem is not None and problem[0] < self.cut:
                raise problem[1]
            if pending is not None:
                stolen = None
                if problem is None:
                    stolen = _read_from_the_back(out, self.theirs, evaluable, keep, visitor, self.claims,
                                                 self.refused, files)
                try:
                    other, other_problem, seen_there = pending.result()
                except forked.Died:  # the second process died: what this one did not take is read here
                    left = self.theirs[:self.claims.left_to_the_second().stop]
                    other, other_problem, _ = _read_share(out, left, evaluable, keep, visitor)
                    seen_there = None
                problems = [p for p in (problem, stolen, other_problem) if p is not None]
                if problems:
                    raise min(problems, key=lambda p: p[0])[1]
                if visitor is not None and seen_there is not None:
                    visitor.merge(seen_there)
                files.update(other)
            elif problem is not None:
                raise problem[1]
        finally:
            self.cancel()
        return self.entries, {e["path"]: files[e["path"]] for _, e in self.unique}

    def cancel(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
