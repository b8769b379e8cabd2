"""Analysis of rendered policies: one package that lint, report and explain use.

- :mod:`~generator.analysis.policyfile` reads a rendered directory back (every file is hostile input);
- :mod:`~generator.analysis.evaluate` is the IAM evaluator (AWS's decision rules, the parts our policies use);
- :mod:`~generator.analysis.policyset` indexes the rendered set and decides a request the way AWS would;
- :mod:`~generator.analysis.principals` says who a statement's principal part can name (lint and report);
- :mod:`~generator.analysis.shapes` reads statements as shapes, one group's names replaced, and keeps the
  memo of decisions by shape that makes the access matrix linear;
- :mod:`~generator.analysis.guardrails` asks what the organization's SCPs and RCPs refuse;
- :mod:`~generator.analysis.explain` and :mod:`~generator.analysis.explain_conditions` say why.

Nothing here writes a file or imports boto3; nothing here names a policy kind:
it asks :mod:`generator.kinds` by role and property.
"""
