"""docs/lint.md documents every rule id, with the severity the rule has."""

from __future__ import annotations

import re

from generator.lint import RULES
from tests.conftest import ROOT


def test_every_rule_is_documented_with_its_severity():
    text = (ROOT / "docs" / "lint.md").read_text()
    documented = dict(re.findall(r"^### `([a-z-]+)`\n\n\*(?:validity|security), (error|warning)\*", text, re.MULTILINE))
    assert documented == {rule.id: rule.severity for rule in RULES.values()}
