"""What to run next, named the way the reader can run it.

In the project's checkout (a Makefile of this project in the working
directory) the messages name make targets (`make render`), which also
refresh the report, schema and test goldens; anywhere else (the installed
`mrpolicy` command, a user's own repository) they name the command itself,
since there is no Makefile to run. A Makefile is this project's when it
runs ``-m generator render`` (someone else's `make render` is not ours).
"""

from __future__ import annotations

from pathlib import Path

_MARK = "-m generator render"

# make target -> the mrpolicy command that does its part
_COMMANDS = {
    "render": "mrpolicy render",
    "lint": "mrpolicy lint",
}


def in_checkout() -> bool:
    try:
        text = Path("Makefile").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return _MARK in text


def run(target: str) -> str:
    """`make TARGET` in the checkout, else the `mrpolicy` command, in backquotes."""
    return f"`make {target}`" if in_checkout() else f"`{_COMMANDS[target]}`"
