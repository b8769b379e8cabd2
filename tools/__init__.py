"""Developer checks run by the Makefile (fmt-check, checkov, validate)."""
