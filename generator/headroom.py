"""How close a render is to AWS's limits: the tightest item of each kind
(its size against the kind's limit) and of each quota (the count against
the quota that applies), one line each, as ``render`` prints them::

    model package group policy 17,850 / 20,480 characters (87%) model-00512
    rules per event bus 12 / 300 (4%) registry default event bus
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    name: str
    used: int
    limit: int
    unit: str
    item: str

    @property
    def percent(self) -> int:
        # rounded up: an item shown at P% is above every threshold below P, and within P
        return -(-self.used * 100 // self.limit)

    def above(self, max_percent: int) -> bool:
        return self.used * 100 > max_percent * self.limit

    @property
    def text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name} {self.used:,} / {self.limit:,}{unit} ({self.percent}%) {self.item}"


def lines(rendered) -> list[Line]:
    """``rendered``: generator.render.Rendered. Kinds first, in render order, then quotas, in the table's order."""
    out = [Line(t.limit.name, t.size, t.limit.size, t.limit.unit, t.item) for t in rendered.sizes.values()]
    out.extend(Line(u.quota.name, u.count, u.value, "", u.item) for u in rendered.quotas)
    return out
