"""access-matrix.html: one self-contained page (inline CSS and JS, no network).

Rendered with Jinja2 with autoescaping on, so every value from the config
or the policies is escaped; the template holds no external reference.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from generator.report import wording
from generator.report.capabilities import CAPABILITIES
from generator.report.matrix import Matrix

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _cell(matrix: Matrix, principal, column: str) -> dict:
    items = []
    for cell in matrix.shown(principal, column):
        kind = cell.difference or "ok"
        items.append({
            "word": wording.cell_words(cell),
            "capability": cell.capability,
            "kind": kind,
            "title": wording.difference(cell) if cell.difference else f"allowed by: {cell.why()}",
        })
    return {"sort": " ".join(i["word"] for i in items), "items": items}


def _rows(matrix: Matrix) -> list[dict]:
    rows = []
    for p in matrix.principals:
        cells = [_cell(matrix, p, column) for column in matrix.columns]
        granted = sorted({i["capability"] for c in cells for i in c["items"] if i["kind"] != "missing"})
        rows.append({
            "principal": p,
            "cells": cells,
            "caps": " ".join(granted),
            "diff": any(i["kind"] != "ok" for c in cells for i in c["items"]),
        })
    return rows


def _evidence(matrix: Matrix) -> list[dict]:
    out = []
    for p in matrix.principals:
        cells = matrix.evidence(p)
        if not cells:
            continue
        out.append({
            "label": p.label,
            "cells": [
                {
                    "column": cell.column,
                    "word": wording.cell_words(cell),
                    "checks": [
                        {
                            "request": check.probe.describe(),
                            "statements": [(m.source, m.sid) for m in check.decision.matches if m.effect == "Allow"],
                        }
                        for check in cell.checks
                    ],
                }
                for cell in cells
            ],
        })
    return out


def render(matrix: Matrix) -> str:
    template = _ENV.get_template("access-matrix.html.j2")
    return template.render(
        title=wording.TITLE,
        generated=wording.GENERATED,
        how=wording.how(matrix),
        verdict=wording.verdict(matrix),
        differences=[wording.difference(c) for c in matrix.differences],
        columns=[{"name": c, "description": matrix.descriptions.get(c) or ""} for c in matrix.columns],
        rows=_rows(matrix),
        legend=wording.legend(matrix.s3_layout),
        notes=wording.LEGEND_NOTES,
        capability_names=sorted({c.name for c in CAPABILITIES}),
        evidence=_evidence(matrix),
        policies_label=matrix.policies_label,
    )
