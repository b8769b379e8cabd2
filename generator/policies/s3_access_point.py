"""One S3 access point policy per model group (s3_layout: access_points).

Each group's parties reach its artifacts through the group's own access
point; the bucket policy delegates to the registry account's access points.
This keeps every policy small however many groups there are: the bucket
policy stays constant and each access point policy holds one group.
"""

from __future__ import annotations

from generator.arns import Arns
from generator.config import Config
from generator.policies.common import document
from generator.policies.s3_bucket import group_statements


def build(config: Config, arns: Arns, group: str, compact: bool = False) -> dict:
    return document(group_statements(config, arns, group, compact))
