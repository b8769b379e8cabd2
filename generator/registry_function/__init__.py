"""The registry function: runs in the registry account (AWS Lambda, Python).

Only the standard library and boto3 (in the Lambda Python runtime). The
entry point is :func:`handler.handler`; it dispatches by event source and
detail-type to one handler per event type (``handler.HANDLERS``), so a
later handler joins by one entry there and its grants in
generator/access.py (docs/copy.md).
"""
