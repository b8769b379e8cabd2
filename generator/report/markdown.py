"""access-matrix.md: the matrix as a Markdown table, legend and evidence.

Every value from the config or the policies is escaped (``text``) or put in
a code span (``code``), so a name or description cannot break the table.
"""

from __future__ import annotations

import re
from functools import lru_cache

from generator.report import wording
from generator.report.matrix import Matrix

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


@lru_cache(maxsize=16384)
def text(value: str) -> str:
    """Markdown-escaped inline text on one line (the same labels and words
    are written for thousands of columns: each escaped once)."""
    value = " ".join(str(value).split())
    return _SPECIAL.sub(r"\\\1", value.replace("&", "&amp;"))


def code(value: str) -> str:
    """A code span that survives backticks in the value."""
    value = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _table(matrix: Matrix) -> list[str]:
    head = ["Account", "Account id", "Kind", "Role", *matrix.columns]
    lines = ["| " + " | ".join(text(h) for h in head) + " |", "|" + "---|" * len(head)]
    for p in matrix.principals:
        cells = [text(p.account), p.account_id, text(p.kind), text(p.role)]
        for column in matrix.columns:
            shown = matrix.shown(p, column)
            words = [wording.cell_words(c) for c in shown]
            cells.append(", ".join(f"**{text(w)}**" if c.difference else text(w) for w, c in zip(words, shown)) or "—")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render(matrix: Matrix) -> str:
    out = [f"# {wording.TITLE}", "", f"<!-- {wording.GENERATED} -->", "", text(wording.how(matrix)), ""]
    out += [f"**{text(wording.verdict(matrix))}**", ""]
    for line in wording.all_differences(matrix):
        out.append(f"- {text(line)}")
    if matrix.differences or matrix.lifecycle:
        out.append("")

    if matrix.large:
        out += ["## Access by model group", ""]
        out.append(text(wording.large_note(matrix)))
        out.append("")
        # A principal's label and a cell's words repeat in every column: each escaped once.
        labels: dict = {}
        word = wording.words_once(lambda cell: f"**{text(wording.cell_words(cell))}**" if cell.difference
                                  else text(wording.cell_words(cell)))

        for column, entries in matrix.by_column():
            parts = []
            for p, cells in entries:
                label = labels.get(p)
                if label is None:
                    label = labels[p] = f"{text(p.label)}: "
                parts.append(label + ", ".join([word(c) for c in cells]))
            out.append(f"- **{text(column)}**: {'; '.join(parts) or '—'}")
        out.append("")
    else:
        out += ["## Matrix", ""] + _table(matrix) + [""]
    if matrix.stages:
        out += ["## Stages", "", text("Every model group moves through these ModelLifeCycle stages in order "
                                      "(docs/stages.md). Workload accounts describe versions Approved at "
                                      "their stage or at a later one."), "",
                "| Stage | Approved by | Read by workload accounts |", "|---|---|---|"]
        for stage, approvers, readers in matrix.stages:
            out.append(f"| {text(stage)} | {text(', '.join(approvers)) or '—'} | {text(', '.join(readers)) or '—'} |")
        out.append("")

    if matrix.guardrails is not None:
        table = matrix.guardrails
        out += ["## Guardrails", "", text(wording.GUARDRAILS_NOTE), "",
                "| Account | Principal | " + " | ".join(text(c.label) for c in table.columns) + " |",
                "|---|---|" + "---|" * len(table.columns)]
        for row in table.rows:
            cells = " | ".join(text(wording.guardrail_cell(r)) for r in row.refused)
            out.append(f"| {text(row.account)} | {text(row.label)} | {cells} |")
        out.append("")

    out += ["## Legend", "", "Columns:", ""]
    for column in matrix.columns:
        description = matrix.descriptions.get(column) or ""
        out.append(f"- **{text(column)}**" + (f": {text(description)}" if description else ""))
    out += ["", "Capabilities:", ""]
    for heading, summary, ways in wording.legend(matrix.s3_layout, bool(matrix.stages)):
        out.append(f"- **{text(heading)}**: {text(summary)}.")
        out += [f"  - {lead}: " + " and ".join(code(r) for r in requests) for lead, requests in ways]
    out.append("")
    out += [f"- {text(note)}" for note in wording.LEGEND_NOTES]
    out += ["", "## Rows", ""]
    for p in matrix.principals:
        note = f": {text(p.note)}" if p.note else ""
        out.append(f"- **{text(p.label)}** ({code(p.arn)}){note}")
    if matrix.large:
        return "\n".join(out) + "\n"
    out += ["", "## Why: the statements that allow each capability", ""]
    out.append(text(f"Paths are relative to {matrix.policies_label}; each request lists the statements (file, Sid) "
                    "that allowed it."))
    for p in matrix.principals:
        cells = matrix.evidence(p)
        if not cells:
            continue
        out += ["", f"### {text(p.label)}", ""]
        for cell in cells:
            out.append(f"- {text(cell.column)}: **{text(wording.cell_words(cell))}**")
            for check in cell.checks:
                statements = "; ".join(f"{code(m.source)} {code(m.sid)}" for m in check.decision.matches
                                       if m.effect == "Allow")
                out.append(f"  - {code(check.probe.describe())}: {statements}")
    return "\n".join(out) + "\n"
