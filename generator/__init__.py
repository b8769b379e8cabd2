"""Least-privilege policies for a central SageMaker Model Registry.

Pipeline: config -> access (grants) -> policies (one builder per kind) ->
render (documents + manifest, in memory) -> writer (files) -> apply helper.
"""
__version__ = "0.1.0"
