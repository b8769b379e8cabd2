"""Where the data files the command reads at run time live.

In a checkout they are the project's templates/ and terraform/modules/; an
installed wheel (``pip install .``) carries the same files inside the
package as generator/templates and generator/terraform_modules (see
pyproject.toml). Either way they are found from this file, never from the
working directory, so the command runs from any directory.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def templates_dir() -> Path:
    """The Jinja2 templates of the Terraform roots."""
    return _first(_PACKAGE / "templates", _PACKAGE.parent / "templates")


def modules_dir() -> Path:
    """The Terraform modules the rendered roots call (one directory per module)."""
    return _first(_PACKAGE / "terraform_modules", _PACKAGE.parent / "terraform" / "modules")
