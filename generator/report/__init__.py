"""The governance report: the access matrix evaluated from the rendered policies.

``build(config, policies)`` evaluates every principal of the config against
the rendered policies (:mod:`generator.report.matrix`, capabilities defined
in :mod:`generator.report.capabilities`) and returns the files to write:
``access-matrix.md`` and ``access-matrix.html``, deterministic bytes.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.config import Config
from generator.analysis.policyset import PolicySet
from generator.report import html, markdown
from generator.report.matrix import Matrix, evaluate

FILES = ("access-matrix.md", "access-matrix.html")


def lifecycle_widenings(config: Config, policies: PolicySet) -> list:
    """Statements whose lifecycle condition lets through what the render of
    the config does not (generator/analysis/lifecycle.py). The matrix asks
    a few sample lifecycles per capability, so a widened stage gate (prod
    reading versions approved only at Test) leaves every cell as it was."""
    from generator.analysis.lifecycle import expected_documents, widenings
    from generator.config.stages import stage_names

    expected = expected_documents(config)
    actual = _Documents(policies, [path for path in (e["path"] for e in policies.manifest) if path in expected])
    return widenings(expected, actual, stage_names(config))


class _Documents(Mapping):
    """{path: document} of the given paths, each read from the policy set
    when asked: a group policy is parsed again on demand (PolicySet keeps the
    most recent few), not all held at once for the comparison."""

    def __init__(self, policies: PolicySet, paths: list[str]):
        self._policies, self._paths = policies, dict.fromkeys(paths)

    def __getitem__(self, path: str):
        if path not in self._paths:
            raise KeyError(path)
        return self._policies.docs[path]

    def __iter__(self):
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def build(config: Config, policies: PolicySet, config_label: str = "accounts.yaml",
          policies_label: str = "terraform/accounts", progress: bool = False,
          parts=None) -> tuple[Matrix, dict[str, str]]:
    """``progress``: a progress bar over the group and repository columns (on a terminal only);
    ``parts``: see :func:`generator.report.matrix.evaluate`."""
    bar = None
    if progress:
        from generator.progress import bar as make_bar

        def bar(columns, total: int):
            return make_bar(columns, "report: columns", total=total, unit="column")
    matrix = evaluate(config, policies, config_label, policies_label, progress=bar, parts=parts)
    matrix.lifecycle = lifecycle_widenings(config, policies)
    return matrix, {"access-matrix.md": markdown.render(matrix), "access-matrix.html": html.render(matrix)}


__all__ = ["FILES", "Matrix", "build", "evaluate"]
