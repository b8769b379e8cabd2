"""Apply helper: make every model package group policy match the render.

``python -m generator apply`` (docs/apply.md). Split by responsibility:

* :mod:`generator.apply.plan`   -- wanted policies, semantic comparison, diffs (pure)
* :mod:`generator.apply.backup` -- backup files written before every change, read by --restore
* :mod:`generator.apply.aws`    -- the only boto3 user: credentials, role assumption, SageMaker calls
* :mod:`generator.apply.run`    -- the per-group loop, faults, Ctrl-C, progress, summary

Nothing is imported here, so importing the pure parts never loads boto3.
"""
