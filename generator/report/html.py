"""access-matrix.html: one self-contained page (inline CSS and JS, no network).

Rendered with Jinja2 with autoescaping on, so every value from the config
or the policies is escaped; the template holds no external reference.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from generator.report import wording
from generator.report.capabilities import CAPABILITIES
from generator.report.matrix import Matrix


@lru_cache(maxsize=1)
def _env():
    """The template environment, made when the full page is first rendered
    (the compact page of a large organization is built without Jinja2)."""
    import jinja2

    return jinja2.Environment(
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


def _large(matrix: Matrix) -> str:
    """The compact page for large organizations: one table row per (column,
    principal) with access, no script; built directly (a template per row
    is slow at 10,000 groups). Every value is escaped."""
    e = html.escape
    out = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(wording.TITLE)}</title>",
        f"<!-- {e(wording.GENERATED)} Self-contained: no network, no external files. -->",
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left}.extra,.missing{color:#c5221f;"
        "font-weight:700}</style>",
        "</head>", "<body>", f"<h1>{e(wording.TITLE)}</h1>", f"<p>{e(wording.how(matrix))}</p>",
        f'<p role="status"><strong>{e(wording.verdict(matrix))}</strong></p>',
    ]
    if matrix.differences or matrix.lifecycle:
        out.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in wording.all_differences(matrix)) + "</ul>")
    out += ["<h2>Access by model group</h2>", f"<p>{e(wording.large_note(matrix))}</p>",
            "<table><thead><tr><th>Column</th><th>Account</th><th>Account id</th><th>Kind</th><th>Role</th>"
            "<th>Capabilities</th></tr></thead><tbody>"]
    # A principal's cells and a cell's words repeat in every column: each escaped once.
    rows: dict = {}
    word = wording.words_once(lambda cell: f'<span class="{cell.difference}">{e(wording.cell_words(cell))}</span>'
                              if cell.difference else e(wording.cell_words(cell)))

    for column, entries in matrix.by_column():
        head = f"<tr><td>{e(column)}</td>"
        for p, cells in entries:
            row = rows.get(p)
            if row is None:
                row = rows[p] = f"<td>{e(p.account)}</td><td>{e(p.account_id)}</td><td>{e(p.kind)}</td><td>{e(p.role)}</td>"
            out.append(f"{head}{row}<td>{', '.join([word(c) for c in cells])}</td></tr>")
    out += ["</tbody></table>"] + _guardrails_html(matrix) + ["<h2>Legend</h2>", "<ul>"]
    for heading, summary, ways in wording.legend(matrix.s3_layout):
        out.append(f"<li><strong>{e(heading)}</strong>: {e(summary)}.</li>")
    out += [f"<li>{e(note)}</li>" for note in wording.LEGEND_NOTES]
    out += ["</ul>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _guardrails(matrix: Matrix) -> dict | None:
    """The guardrails table for the template (report/guarded.py), or None."""
    table = matrix.guardrails
    if table is None:
        return None
    return {
        "note": wording.GUARDRAILS_NOTE,
        "columns": [c.label for c in table.columns],
        "rows": [{"account": row.account, "label": row.label,
                  "cells": [wording.guardrail_cell(r) for r in row.refused]} for row in table.rows],
    }


def _guardrails_html(matrix: Matrix) -> list[str]:
    table = _guardrails(matrix)
    if table is None:
        return []
    e = html.escape
    out = ["<h2>Guardrails</h2>", f"<p>{e(table['note'])}</p>", "<table><thead><tr><th>Account</th><th>Principal</th>"
           + "".join(f"<th>{e(c)}</th>" for c in table["columns"]) + "</tr></thead><tbody>"]
    for row in table["rows"]:
        out.append(f"<tr><td>{e(row['account'])}</td><td>{e(row['label'])}</td>"
                   + "".join(f"<td>{e(c)}</td>" for c in row["cells"]) + "</tr>")
    return out + ["</tbody></table>"]


def render(matrix: Matrix) -> str:
    if matrix.large:
        return _large(matrix)
    template = _env().get_template("access-matrix.html.j2")
    return template.render(
        title=wording.TITLE,
        generated=wording.GENERATED,
        how=wording.how(matrix),
        verdict=wording.verdict(matrix),
        differences=wording.all_differences(matrix),
        columns=[{"name": c, "description": matrix.descriptions.get(c) or ""} for c in matrix.columns],
        rows=_rows(matrix),
        legend=wording.legend(matrix.s3_layout),
        notes=wording.LEGEND_NOTES,
        capability_names=sorted({c.name for c in CAPABILITIES}),
        evidence=_evidence(matrix),
        policies_label=matrix.policies_label,
        guardrails=_guardrails(matrix),
    )
