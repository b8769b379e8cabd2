"""The only stage that touches the output directory.

A render's output directory may also hold the user's own files (notes,
``.terraform/``, state, a hand-written root). The writer therefore owns
exactly what the previous render wrote, as its manifest lists it
(``manifest.json`` ``files``), and nothing else:

* ``--out`` must be a directory that is empty or holds a manifest of ours;
  ``/``, the config file itself and a regular file are refused (exit 2).
* No link inside the output is ever followed: every directory is opened
  relative to its parent with ``O_NOFOLLOW``, a symbolic link where the
  render puts a file or directory is refused, and temporary files are
  created with ``O_CREAT | O_EXCL`` under a random name in the target
  directory, then renamed over the target.
* All-or-nothing for readers: every file is put in place first, the manifest
  last; files the new render no longer produces are removed only after the
  new manifest is in place. A journal written before the first change lists
  everything the render may touch, so a render killed at any point is
  finished (its strays removed) by the next one; stale temporary files are
  removed too. Only paths of the shapes a render writes (:data:`OWNED`) are
  ever owned, whatever a manifest or journal lists, and only the temporary
  names the writer itself creates are swept.
* A lock file (``.mrpolicy.lock``, ``flock``) serialises renders into one
  directory: a second render waits up to :data:`LOCK_WAIT_SECONDS`, then
  fails with one line.
* An OS error is one line (exit 1); the previous render stays consistent.
  A name the output's file system cannot hold (NAME_MAX, PATH_MAX, the
  temporary name included) is refused before anything is written (exit 2);
  a journal entry the file system cannot hold is absent, and an OS error
  while finishing an interrupted render names the command that clears the
  journal.

Each file is rewritten only when its content changed, so git and Terraform
see no churn. ``report`` and ``schema`` write fixed file names with the same
link-safe, exclusive-temporary primitives (no manifest, no removal beyond
their own names). A command that writes one file (``schema --out``,
``status --out``, ``lint --output``) first calls :func:`check_file_out`:
it refuses the config, a directory, a link and any existing file that does
not begin as that command's own output.
"""

from __future__ import annotations

import errno
import fcntl
import fnmatch
import json
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator.names import TEMP_EXTRA, temp_name
from generator.paths import UnsafePath, check_relative

MANIFEST = "manifest.json"
LOCK = ".mrpolicy.lock"
JOURNAL = ".mrpolicy-journal.json"
LOCK_WAIT_SECONDS = 30.0
_OURS = frozenset({LOCK, JOURNAL})
# Temporary names: exactly those _put creates (".NAME.mrpolicy-<12 hex>.tmp",
# NAME a file the writer writes in that directory); a user's ".x.123.tmp" is
# not ours (issue 30).
_TMP_RE = re.compile(r"^\.(?P<name>.+)\.mrpolicy-[0-9a-f]{12}\.tmp$")

# The shapes of generated paths, relative to the output directory. The
# manifest decides which files are owned, among paths of these shapes only;
# the lint rule that looks for policy files the manifest does not list uses
# them too.
POLICY_FILES = "*/policies/*.json"
ROOT_FILES = ("versions.tf", "backend.tf", "providers.tf", "main.tf")
# registration: copy: the registry function's zip and settings (generator/copyflow.py).
FUNCTION_FILES = ("*/registry-function/registry-function.zip", "*/registry-function/settings.json")
OWNED = (MANIFEST, POLICY_FILES, *(f"*/{name}" for name in ROOT_FILES), *FUNCTION_FILES)

_NOFOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class BadOutput(Exception):
    """--out (or what is in it) cannot be written safely: one line, exit 2, nothing written."""


class WriteError(Exception):
    """The file system refused (or another render holds the lock): one line, exit 1."""


@dataclass
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def owned(relative: str, patterns: tuple[str, ...] = OWNED) -> bool:
    depth = relative.count("/")
    return any(depth == pattern.count("/") and fnmatch.fnmatchcase(relative, pattern) for pattern in patterns)


def existing_files(out: Path, patterns: tuple[str, ...] = OWNED) -> set[str]:
    """Files under ``out`` whose path has a generated shape (links not followed)."""
    if not out.is_dir():
        return set()
    found = set()
    for dirpath, dirnames, filenames in os.walk(out):
        for name in filenames:
            path = os.path.join(dirpath, name)
            relative = os.path.relpath(path, out).replace(os.sep, "/")
            if os.path.isfile(path) and not os.path.islink(path) and owned(relative, patterns):
                found.add(relative)
    return found


# --- refusals --------------------------------------------------------------

def check_out(out: Path, config: Path | None = None) -> None:
    """Refuse an output directory that is obviously wrong, before any work."""
    out = Path(out)
    resolved = out.resolve()
    if resolved == Path(resolved.anchor):
        raise BadOutput(f"--out {out}: refusing to write into the file system root")
    if config is not None:
        try:
            same = resolved == Path(config).resolve() or (out.exists() and os.path.samefile(out, config))
        except OSError:
            same = False
        if same:
            raise BadOutput(f"--out {out} is the config file itself; choose a directory")
    if out.exists() and not out.is_dir():
        raise BadOutput(f"--out {out} is a file, not a directory")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise BadOutput(f"--out {out}: {parent} is a file, not a directory")


HEAD_BYTES = 4096


def check_named_out(out: Path, names, what: str, ours, config: Path | None = None, read: int = HEAD_BYTES) -> None:
    """Refuse a directory of named files (report --out, modules --out) that
    is not ours to write, before any work: ``out`` as :func:`check_out`
    refuses it, then each of ``names`` as :func:`check_file_out` does, with
    ``ours(name, head)`` recognising the command's own output."""
    check_out(out, config)
    for name in sorted(names):
        check_file_out(Path(out) / name, what, lambda head, name=name: ours(name, head), config, read)


def check_file_out(path: Path, what: str, ours, config: Path | None = None, read: int = HEAD_BYTES) -> None:
    """Refuse a single output file that is not ours to replace (schema,
    status, lint --output), before any work: the config file, a directory, a
    link, and any existing file whose beginning (``read`` bytes)
    ``ours(head)`` does not recognise as this command's own output. One line
    (BadOutput, exit 2)."""
    path = Path(path)
    if config is not None:
        try:
            same = path.resolve() == Path(config).resolve() or (path.exists() and os.path.samefile(path, config))
        except OSError:
            same = False
        if same:
            raise BadOutput(f"--out {path} is the config file itself; choose another file")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BadOutput(f"--out {path}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise BadOutput(f"--out {path} is a symbolic link; refusing to follow it")
    if stat.S_ISDIR(info.st_mode):
        raise BadOutput(f"--out {path} is a directory; give a file name")
    if not stat.S_ISREG(info.st_mode):
        raise BadOutput(f"--out {path} is not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        try:
            head = os.read(fd, read).decode("utf-8", "replace")
        finally:
            os.close(fd)
    except OSError as exc:
        raise BadOutput(f"--out {path}: {exc.strerror}") from None
    if not ours(head):
        raise BadOutput(f"--out {path} exists and was not written by mrpolicy {what}; refusing to replace it "
                        "(remove it or choose a new name)")


# --- link-safe primitives ---------------------------------------------------

def _open_dir(root_fd: int, parts: list[str], create: bool, out: Path) -> int:
    """An fd of root/parts..., never following a link; optionally creating directories."""
    fd = os.dup(root_fd)
    try:
        for index, part in enumerate(parts):
            try:
                try:
                    child = os.open(part, _NOFOLLOW_DIR, dir_fd=fd)
                except OSError as exc:
                    if exc.errno == errno.ENAMETOOLONG and not create:
                        raise FileNotFoundError(errno.ENOENT, "no such directory", part) from None
                    raise
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
                child = os.open(part, _NOFOLLOW_DIR, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    where = "/".join(parts[: index + 1])
                    raise BadOutput(f"{out / where} is a symbolic link or not a directory; "
                                    "the writer never follows links inside the output") from None
                raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _lstat(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return None  # a name the file system cannot hold does not exist (a journal may list one)
        raise


def _read(root_fd: int, relative: str, out: Path) -> bytes | None:
    """Content of a regular file at ``relative`` (None if absent), links refused."""
    *parts, name = relative.split("/")
    try:
        dir_fd = _open_dir(root_fd, parts, False, out)
    except FileNotFoundError:
        return None
    try:
        info = _lstat(dir_fd, name)
        if info is None:
            return None
        if stat.S_ISLNK(info.st_mode):
            raise BadOutput(f"{out / relative} is a symbolic link; the writer never follows links inside the output")
        if not stat.S_ISREG(info.st_mode):
            raise BadOutput(f"{out / relative} is not a regular file")
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
        with os.fdopen(fd, "rb") as handle:
            return handle.read()
    finally:
        os.close(dir_fd)


def _put(root_fd: int, relative: str, data: bytes) -> None:
    """Write ``data`` at ``relative``: an exclusive temporary file beside the
    target, renamed over it (a reader sees the old file or the new one)."""
    *parts, name = relative.split("/")
    dir_fd = _open_dir(root_fd, parts, True, Path("."))
    try:
        info = _lstat(dir_fd, name)
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise BadOutput(f"{relative} is a symbolic link or not a regular file; refusing to replace it")
        tmp = temp_name(name, secrets.token_hex(6))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                     0o644, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
            raise
    finally:
        os.close(dir_fd)


def _remove(root_fd: int, relative: str) -> None:
    """Remove one file we own (a link is removed, never followed), then empty parents."""
    parts = relative.split("/")
    try:
        dir_fd = _open_dir(root_fd, parts[:-1], False, Path("."))
    except (FileNotFoundError, BadOutput):
        return
    try:
        info = _lstat(dir_fd, parts[-1])
        if info is not None and not stat.S_ISDIR(info.st_mode):
            os.unlink(parts[-1], dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    for depth in range(len(parts) - 1, 0, -1):
        try:
            parent = _open_dir(root_fd, parts[: depth - 1], False, Path("."))
        except (FileNotFoundError, BadOutput):
            return
        try:
            os.rmdir(parts[depth - 1], dir_fd=parent)
        except OSError:
            return  # not empty (the user's files, or other rendered files): keep it
        finally:
            os.close(parent)


def _clean_temps(root_fd: int, paths: set[str]) -> None:
    """Remove the temporary files a killed writer left beside ``paths``
    (files it writes or owns): only ``.<one of those names>.mrpolicy-<hex>.tmp``."""
    by_directory: dict[str, set[str]] = {}
    for path in paths:
        directory, _, name = path.rpartition("/")
        by_directory.setdefault(directory, set()).add(name)
    for directory, names in sorted(by_directory.items()):
        parts = [p for p in directory.split("/") if p]
        try:
            dir_fd = _open_dir(root_fd, parts, False, Path("."))
        except (FileNotFoundError, BadOutput, NotADirectoryError):
            continue
        try:
            for name in os.listdir(dir_fd):
                match = _TMP_RE.fullmatch(name)
                if match and match["name"] in names:
                    info = _lstat(dir_fd, name)
                    if info is not None and not stat.S_ISDIR(info.st_mode):
                        os.unlink(name, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)


# --- ownership ---------------------------------------------------------------

def _previous(root_fd: int, out: Path) -> set[str] | None:
    """What the previous render wrote (None: no render of ours here).

    The manifest's ``files`` plus the manifest itself, plus what an
    interrupted render's journal lists. A manifest of the format before
    ``files`` existed owns its policy paths and each listed account's
    Terraform root files."""
    raw = _read(root_fd, MANIFEST, out)
    journal = _read(root_fd, JOURNAL, out)
    owned_paths: set[str] = set()
    if journal is not None:
        try:
            listed = json.loads(journal.decode("utf-8"))["files"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            listed = []
        owned_paths.update(p for p in listed if isinstance(p, str) and _is_safe(p) and owned(p))
    if raw is None:
        return owned_paths or None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadOutput(f"{out / MANIFEST} is not a manifest of a previous render (not JSON); "
                        "move it away or choose another --out") from None
    entries = manifest.get("policies") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadOutput(f"{out / MANIFEST} is not a manifest of a previous render (no policies list); "
                        "move it away or choose another --out")
    files = manifest.get("files")
    try:
        if files is None:  # the format before manifests listed their files
            paths = [check_relative(e.get("path"), "manifest path") for e in entries]
            accounts = {e.get("account") for e in entries}
            paths += [f"{check_relative(a, 'manifest account')}/{name}" for a in accounts for name in ROOT_FILES]
        elif isinstance(files, list):
            paths = [check_relative(p, "manifest path") for p in files]
        else:
            raise UnsafePath("manifest files must be a list of paths")
    except UnsafePath as exc:
        raise BadOutput(f"{out / MANIFEST}: {exc}") from None
    # Only paths of the shapes a render writes (OWNED): a manifest that lists
    # prod/terraform.tfstate (edited, or planted) never gets it deleted.
    owned_paths.update(p for p in paths if owned(p))
    owned_paths.add(MANIFEST)
    return owned_paths


def _is_safe(path: str) -> bool:
    try:
        check_relative(path)
    except UnsafePath:
        return False
    return True


def _foreign_entries(root_fd: int) -> list[str]:
    return sorted(name for name in os.listdir(root_fd) if name not in _OURS and not _TMP_RE.fullmatch(name))


def _plan(root_fd: int, out: Path, files: dict[str, bytes], owned_paths: set[str]) -> WriteResult:
    result = WriteResult()
    for relative in sorted(files):
        same = _read(root_fd, relative, out) == files[relative]
        (result.unchanged if same else result.written).append(relative)
    # The manifest goes last; everything else in path order.
    if MANIFEST in result.written:
        result.written.remove(MANIFEST)
        result.written.append(MANIFEST)
    result.removed = sorted(owned_paths - set(files))
    return result


def _encode(files: dict[str, str]) -> dict[str, bytes]:
    encoded = {}
    for relative, text in files.items():
        try:
            check_relative(relative, "rendered path")
        except UnsafePath as exc:  # pragma: no cover - render builds these from validated names
            raise BadOutput(str(exc)) from None
        encoded[relative] = text if isinstance(text, bytes) else text.encode("utf-8")
    return encoded


def _oserror(out: Path, exc: OSError) -> WriteError:
    where = f" ({exc.filename})" if exc.filename else ""
    return WriteError(f"cannot write {out}: {exc.strerror or exc}{where}; the previous render is unchanged "
                      "or will be finished by the next render")


class _Lock:
    def __init__(self, root_fd: int, out: Path):
        self.root_fd, self.out, self.fd = root_fd, out, None

    def __enter__(self):
        self.fd = os.open(LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644,
                          dir_fd=self.root_fd)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    raise WriteError(f"another render is writing to {self.out} (it holds {self.out / LOCK}); "
                                     "wait for it to finish and run again") from None
                time.sleep(0.05)

    def __exit__(self, *exc):
        os.close(self.fd)  # closing releases the flock


# --- the two entry points ----------------------------------------------------

def diff(out: Path, files: dict[str, str], patterns: tuple[str, ...] = OWNED) -> WriteResult:
    """What :func:`write` would do, without doing it (``render --check``)."""
    out = Path(out)
    if not out.is_dir():
        return WriteResult(written=sorted(files))
    root_fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if MANIFEST in files:
            owned_paths = _previous(root_fd, out) or set()
        else:
            owned_paths = {p for p in patterns if "*" not in p and _read(root_fd, p, out) is not None}
        return _plan(root_fd, out, _encode(files), owned_paths)
    finally:
        os.close(root_fd)


def write(out: Path, files: dict[str, str], patterns: tuple[str, ...] = OWNED, *,
          config: Path | None = None) -> WriteResult:
    """Make ``out`` hold exactly ``files`` (a render, with its manifest), or,
    without a manifest (report, schema), write just these named files."""
    out = Path(out)
    check_out(out, config)
    data = _encode(files)
    check_lengths(out, data)
    try:
        os.makedirs(out, exist_ok=True)
        root_fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise _oserror(out, exc) from None
    try:
        if MANIFEST not in files:
            return _write_named(root_fd, out, data, patterns)
        _owned_or_refuse(root_fd, out)  # refuse before the lock file is created
        with _Lock(root_fd, out):
            return _write_render(root_fd, out, data)
    except OSError as exc:
        raise _oserror(out, exc) from None
    finally:
        os.close(root_fd)


def check_lengths(out: Path, files) -> None:
    """Refuse, before anything is written, a file whose name (or the
    temporary name written beside it) the file system under ``out`` cannot
    hold: a component over its NAME_MAX, or a whole path over its PATH_MAX.
    One line (BadOutput, exit 2)."""
    existing = Path(os.path.abspath(out))
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
        path_max = os.pathconf(existing, "PC_PATH_MAX")
    except (OSError, ValueError):
        return  # the file system does not say; the OS error, if any, is one line at write time
    base = len(os.fsencode(os.path.abspath(out)))
    for relative in files:
        parts = relative.split("/")
        for index, part in enumerate(parts):
            size = len(part.encode("utf-8")) + (TEMP_EXTRA if index == len(parts) - 1 else 0)
            if name_max and size > name_max:
                raise BadOutput(f"--out {out}: {relative}: a name of {size} bytes (with the writer's temporary "
                                f"name) is over the file system's NAME_MAX of {name_max}; shorten the name in the config")
        total = base + 1 + len(relative.encode("utf-8")) + TEMP_EXTRA
        if path_max and total >= path_max:
            raise BadOutput(f"--out {out}: {relative} would be a path of {total} bytes (with the writer's "
                            f"temporary name), over the file system's PATH_MAX of {path_max}; choose a shorter --out")


def _owned_or_refuse(root_fd: int, out: Path) -> set[str]:
    owned_paths = _previous(root_fd, out)
    if owned_paths is None:
        foreign = _foreign_entries(root_fd)
        if foreign:
            raise BadOutput(f"--out {out} is not empty and has no manifest.json of a previous render "
                            f"(found {foreign[0]}); choose an empty or new directory")
        owned_paths = set()
    return owned_paths


def _write_render(root_fd: int, out: Path, data: dict[str, bytes]) -> WriteResult:
    replaying = _lstat(root_fd, JOURNAL) is not None
    try:
        return _write_render_unreported(root_fd, out, data)
    except OSError as exc:
        if not replaying:
            raise
        # The next render must never be wedged by the last one's journal:
        # say which one command clears it.
        where = f" ({exc.filename})" if exc.filename else ""
        raise WriteError(f"cannot write {out}: {exc.strerror or exc}{where} while finishing an interrupted render; "
                         f"if this persists, `rm {out / JOURNAL}` clears its journal (its files stay as they are), "
                         "then render again") from None


def _write_render_unreported(root_fd: int, out: Path, data: dict[str, bytes]) -> WriteResult:
    owned_paths = _owned_or_refuse(root_fd, out)
    unshaped = sorted(p for p in data if not owned(p))
    if unshaped:  # the render and OWNED disagree: a bug, caught before anything is written
        raise BadOutput(f"internal error: the render writes {unshaped[0]}, which is not of a shape the writer owns")
    _clean_temps(root_fd, owned_paths | set(data))
    plan = _plan(root_fd, out, data, owned_paths)  # refuses links before anything is written
    journal_needed = plan.written or plan.removed
    if journal_needed:
        journal = json.dumps({"files": sorted(owned_paths | set(data))}, indent=0).encode("utf-8")
        _put(root_fd, JOURNAL, journal)
    for relative in plan.written:  # manifest last (see _plan)
        _put(root_fd, relative, data[relative])
    for relative in plan.removed:
        _remove(root_fd, relative)
    if journal_needed:
        os.unlink(JOURNAL, dir_fd=root_fd)
    return plan


def _write_named(root_fd: int, out: Path, data: dict[str, bytes], patterns: tuple[str, ...]) -> WriteResult:
    names = {p for p in patterns if "*" not in p}
    _clean_temps(root_fd, names | set(data))
    present = {p for p in names if _read(root_fd, p, out) is not None}
    plan = _plan(root_fd, out, data, present)
    for relative in plan.written:
        _put(root_fd, relative, data[relative])
    for relative in plan.removed:
        _remove(root_fd, relative)
    return plan
