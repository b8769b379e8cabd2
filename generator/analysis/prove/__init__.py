"""``prove``: the rendered policies against the intent they came from, with an SMT solver.

encoding: rendered statements as formulas (IAM's operators and decision
rules); domain: the requests of one model package group and how the halves
combine; rendered and intent: the two sides; properties: the named checks;
counterexample: a model as a concrete request, replayed through the
evaluator; run: every group, in worker processes at scale.
"""
