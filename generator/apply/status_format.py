"""``status`` output: a terminal table, Markdown, a self-contained HTML page, JSON. Pure.

The JSON is the pipeline interface: ``"format": "model-registry-status/1"``,
keys sorted, groups by name, versions by number, times ISO 8601 UTC; the same
registry state always gives the same bytes (no read time in the output).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

from generator.apply.workflow import Change, VersionState
from generator.errors import one_line

FORMATS = ("table", "md", "html", "json")
JSON_FORMAT = "model-registry-status/1"


@dataclass
class GroupStatus:
    name: str
    arn: str
    versions: list[VersionState] = field(default_factory=list)
    error: str | None = None


@dataclass
class Status:
    account: str
    region: str
    groups: list[GroupStatus]
    stages: list[str]
    history: bool  # was the stage history read


def render(status: Status, fmt: str) -> str:
    return {"table": table, "md": markdown, "html": page, "json": as_json}[fmt](status)


# --- JSON --------------------------------------------------------------------------
def _version_json(v: VersionState) -> dict:
    out = {
        "version": v.version,
        "arn": v.arn,
        "model_approval_status": v.approval,
        "stage": v.stage,
        "stage_status": v.stage_status,
        "stage_description": v.stage_description,
        "created": {"at": v.created_at, "by": v.created_by},
        "last_modified": {"at": v.modified_at, "by": v.modified_by} if v.modified_at else None,
    }
    if v.history is not None:
        out["history"] = [_change_json(c) for c in v.history]
    return out


def _change_json(c: Change) -> dict:
    return {"at": c.at, "by": c.by, "stage": c.stage, "stage_status": c.status,
            "stage_description": c.description, "properties": c.properties}


def as_json(status: Status) -> str:
    doc = {
        "format": JSON_FORMAT,
        "registry": {"account": status.account, "region": status.region},
        "stages": status.stages,
        "groups": [
            {"name": g.name, "arn": g.arn, "error": g.error,
             "versions": [_version_json(v) for v in sorted(g.versions, key=lambda v: v.version)]}
            for g in sorted(status.groups, key=lambda g: g.name)
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


# --- rows shared by table, md and html -----------------------------------------------
HEADERS = ("group", "version", "approval", "stage", "stage status", "stage description", "created",
           "created by", "modified", "modified by")


def _rows(status: Status) -> list[tuple[list[str], list[Change] | None, str | None]]:
    rows = []
    for group in sorted(status.groups, key=lambda g: g.name):
        if group.error:
            rows.append(([group.name, "", "", "", "", "", "", "", "", ""], None, group.error))
            continue
        if not group.versions:
            rows.append(([group.name, "", "", "", "", "(no versions)", "", "", "", ""], None, None))
        for v in sorted(group.versions, key=lambda v: v.version):
            rows.append(([group.name, str(v.version), v.approval, v.stage or "-", v.stage_status or "-",
                          v.stage_description or "", v.created_at, _short(v.created_by), v.modified_at or "",
                          _short(v.modified_by or "")],
                         list(v.history) if v.history is not None else None, None))
    return rows


def _short(arn: str) -> str:
    """arn:aws:sts::111111111111:assumed-role/Role/session -> 111111111111:assumed-role/Role/session."""
    parts = arn.split(":", 5)
    return f"{parts[4]}:{parts[5]}" if len(parts) == 6 and parts[0] == "arn" else arn


def _change_line(c: Change) -> str:
    what = f"{c.stage or '?'}/{c.status or '?'}"
    extra = f": {c.description}" if c.description else ""
    return f"{c.at} {what} by {_short(c.by) or '?'}{extra}"


def table(status: Status) -> str:
    """The terminal format: every value from the registry one line, its
    control characters escaped (generator/terminal.py)."""
    rows = [([one_line(c) for c in cells], history, one_line(error) if error else error)
            for cells, history, error in _rows(status)]
    body = [list(HEADERS)] + [cells for cells, _, _ in rows if True]
    widths = [max(len(r[i]) for r in body) for i in range(len(HEADERS) - 1)]
    lines = [f"registry {status.account} ({status.region}); stages: {' -> '.join(status.stages) or '(none)'}"]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)) + "  " + cells[-1]

    lines.append(line(list(HEADERS)).rstrip())
    for cells, history, error in rows:
        if error:
            lines.append(f"{cells[0]}  error: {error}")
            continue
        lines.append(line(cells).rstrip())
        for change in history or ():
            lines.append(f"    history: {one_line(_change_line(change))}")
        if history == []:
            lines.append("    history: (none recorded)")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """A table cell: no pipes, line breaks or raw HTML from the registry's free text."""
    return (one_line(text.replace("\n", " ")).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
            .replace("\n", " "))


def markdown(status: Status) -> str:
    headers = list(HEADERS) + (["history"] if status.history else [])
    out = [f"# Model registry status: {status.account} ({status.region})", "",
           f"Stages in order: {' → '.join(status.stages) or '(none configured)'}", "",
           "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for cells, history, error in _rows(status):
        if error:
            cells = [cells[0], "", "", "", "", f"error: {error}", "", "", "", ""]
        row = [_md(c) for c in cells]
        if status.history:
            row.append("<br>".join(_md(_change_line(c)) for c in history or ()))
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out) + "\n"


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; }
.controls { margin: 1rem 0; }
.controls input { min-width: 18rem; padding: .3rem .5rem; }
/* The table scrolls inside its own box, never the page: at 1,024 px its ten
   columns do not fit (tests/test_html_layout.py opens it in Chromium). Short
   values stay on one line; descriptions, ARNs and history wrap, long words
   anywhere, within a readable width. */
.scroll { overflow: auto; max-height: 85vh; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border: 1px solid #d0d0d0; padding: .3rem .5rem; text-align: left; vertical-align: top;
         white-space: nowrap; }
td.text, td.history, td.error { white-space: normal; overflow-wrap: anywhere; min-width: 16rem; }
thead th { background: #f3f3f3; position: sticky; top: 0; }
thead th button { all: unset; cursor: pointer; font-weight: 600; }
thead th button:focus-visible { outline: 2px solid #1a73e8; }
th[aria-sort=ascending] button::after { content: " \\25B2"; }
th[aria-sort=descending] button::after { content: " \\25BC"; }
td.Approved { background: #e6f4ea; } td.Rejected { background: #fdecea; } td.PendingApproval, td.PendingManualApproval { background: #fef7e0; }
td.error { color: #c5221f; font-weight: 600; }
.arn, .history { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .75rem; color: #555; word-break: break-all; }
"""

# Sorting and filtering without any library: click a header to sort (numbers
# numerically), type to filter rows.
_SCRIPT = """
(function () {
  var table = document.getElementById('status');
  var body = table.tBodies[0];
  table.querySelectorAll('thead th button').forEach(function (button, column) {
    button.addEventListener('click', function () {
      var th = button.parentNode;
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute('data-key') || a.cells[column].textContent;
        var y = b.cells[column].getAttribute('data-key') || b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  document.getElementById('filter').addEventListener('input', function (e) {
    var q = e.target.value.toLowerCase();
    Array.prototype.forEach.call(body.rows, function (r) {
      r.hidden = q !== '' && r.textContent.toLowerCase().indexOf(q) < 0;
    });
  });
})();
"""


# Columns of free text (stage description, created by, modified by): they wrap.
_TEXT = (5, 7, 9)


def page(status: Status) -> str:
    e = html.escape
    headers = list(HEADERS) + (["history"] if status.history else [])
    title = f"Model registry status: {status.account} ({status.region})"
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{e(title)}</title>",
           "<!-- Self-contained: no network, no external files. -->", f"<style>{_STYLE}</style>", "</head>", "<body>",
           f"<h1>{e(title)}</h1>",
           f"<p>Stages in order: {e(' → '.join(status.stages) or '(none configured)')}. "
           "Click a column to sort; type to filter.</p>",
           '<div class="controls"><label>Filter rows <input type="search" id="filter" '
           'placeholder="group, stage, status, who..." aria-controls="status"></label></div>',
           '<div class="scroll" role="region" aria-label="versions" tabindex="0">',
           '<table id="status">', "<thead><tr>"]
    out += [f'<th scope="col"><button type="button">{e(h)}</button></th>' for h in headers]
    out.append("</tr></thead>")
    out.append("<tbody>")
    for cells, history, error in _rows(status):
        if error:
            tds = [f"<td>{e(cells[0])}</td>", f'<td class="error" colspan="{len(headers) - 1}">'
                                               f"error: {e(error)}</td>"]
        else:
            tds = []
            for i, cell in enumerate(cells):
                css = f' class="{e(cell)}"' if i in (2, 4) and cell else ' class="text"' if i in _TEXT else ""
                key = f' data-key="{e(cell)}"' if i == 1 else ""
                tds.append(f"<td{css}{key}>{e(cell)}</td>")
            if status.history:
                tds.append('<td class="history">' + "<br>".join(e(_change_line(c)) for c in history or ()) + "</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out += ["</tbody>", "</table>", "</div>", f"<script>{_SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def is_ours(head: str) -> bool:
    """Whether a file beginning with ``head`` is a status this command wrote,
    in any format (``status --out`` replaces only those)."""
    lines = head.splitlines()
    return (
        (len(lines) >= 2 and lines[0].startswith("registry ") and lines[1].split()[:2] == ["group", "version"])
        or head.startswith(f'{{\n  "format": "{JSON_FORMAT}",')
        or head.startswith("# Model registry status: ")
        or (head.startswith("<!DOCTYPE html>") and "<title>Model registry status: " in head)
    )
