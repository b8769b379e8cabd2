"""The governance report: the access matrix evaluated from the rendered policies.

``build(config, policies)`` evaluates every principal of the config against
the rendered policies (:mod:`generator.report.matrix`, capabilities defined
in :mod:`generator.report.capabilities`) and returns the files to write:
``access-matrix.md`` and ``access-matrix.html``, deterministic bytes.
"""

from __future__ import annotations

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
    actual = {path: policies.docs[path] for path in (e["path"] for e in policies.manifest) if path in expected}
    return widenings(expected, actual, stage_names(config))


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
