"""``sandbox``: a local AWS serving your organization's registry, with your
render applied, until Ctrl-C; the run is generator/apply/sandbox.py
(docs/sandbox.md). moto, which serves it, is the ``[sandbox]`` extra."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.cli.common import EXIT_BAD_INPUT, EXIT_OS_ERROR

# The extra that brings moto, as pyproject.toml's [project.optional-dependencies]
# names it (tests/test_sandbox.py holds the two together).
EXTRA = "sandbox"
INSTALL = (f"pip install '.[{EXTRA}]' in the project's checkout "
           f"(or pipx install --force '.[{EXTRA}]'; for a wheel: pip install 'WHEEL[{EXTRA}]')")

DESCRIPTION = (
    "Start a local AWS on 127.0.0.1 serving the registry of accounts.yaml: its model package groups with the "
    "rendered group policies from --policies and a few versions each (with stages: in the first stage, "
    "PendingApproval). Prints the endpoint and the environment lines that point status, promote and apply at "
    "it, then serves until Ctrl-C (exit 0). Nothing is written; nothing is kept. See docs/sandbox.md."
)

EXAMPLES = """examples:
  %(prog)s                                  # accounts.yaml and terraform/accounts, a free port
  %(prog)s --port 5555 --versions 3         # a fixed port, three versions per group"""


def _port(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None


def add_parser(sub) -> None:
    parser = sub.add_parser("sandbox", help="a local AWS with your render applied, to try status, promote, apply",
                            description=DESCRIPTION, epilog=EXAMPLES)
    parser.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    parser.add_argument("--policies", type=Path, default=Path("terraform/accounts"), metavar="DIR",
                        help="directory of rendered policies (with manifest.json)")
    parser.add_argument("--port", type=_port, default=0, metavar="N",
                        help="TCP port on 127.0.0.1 (default: 0, a free one)")
    parser.add_argument("--versions", type=_port, default=2, metavar="N",
                        help="versions registered per group (default: 2)")
    parser.set_defaults(func=main)

    def one_line(message: str):  # a bad flag: one line, as for every bad input (no usage block)
        print(f"error: {parser.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)

    parser.error = one_line  # type: ignore[method-assign]


def main(args: argparse.Namespace) -> int:
    try:
        import moto  # noqa: F401
        import moto.moto_server.werkzeug_app  # noqa: F401  (the server half: moto[server])
    except ImportError:
        print(f"error: sandbox needs moto, which is not installed: {INSTALL}", file=sys.stderr)
        return EXIT_OS_ERROR
    from generator.apply import sandbox

    options = sandbox.Options(config=args.config, policies=args.policies, port=args.port, versions=args.versions)
    try:
        return sandbox.run(options)
    except sandbox.BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except sandbox.Failed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_OS_ERROR
