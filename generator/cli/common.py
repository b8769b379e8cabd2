"""What the subcommands of generator.cli share: exit codes, the help
formatter and parser class, reading the rendered policies (report,
explain) and ending the process (exit_with)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from generator import hints

EXIT_BAD_INPUT = 2
EXIT_OS_ERROR = 1  # the file system refused, or another render holds the output lock

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
            f"cannot read the rendered policies in {directory} ({detail}); run {hints.run('render')} first"
        ) from None


READ_SHARE = 0.6  # see report._report


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


def exit_with(code: int) -> None:
    """End the process with ``code`` once stdout and stderr are flushed,
    without the interpreter's teardown: a large lint holds millions of
    parsed objects, and freeing them one by one at exit took 0.4-0.6 s at
    1,000 groups; the operating system frees them at once. By then every
    file is written and closed and every forked process joined (an
    exception never gets here: it exits as usual). A reader that went away
    (a closed pipe) ends it quietly (closed_pipe); another failing flush
    exits as usual, which reports it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        closed_pipe()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell shows for `git log | head`


def closed_pipe() -> None:
    """stdout's reader went away: drop what is still buffered (pointing
    stdout at /dev/null, so no flush at exit fails again) and end without a
    traceback, as a command killed by SIGPIPE would."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(EXIT_CLOSED_PIPE)
