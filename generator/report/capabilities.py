"""What each cell of the access matrix means: capabilities as concrete requests.

This is the one place that says what "register", "write", "approve",
"read", "decrypt" and "encrypt" are. A capability is a list of ways, each a
list of requests; it is granted to a principal when EVERY request of SOME
way is allowed by the rendered policies (both halves of a cross-account
call, explicit denies winning). The legend of the report is printed from
these definitions, so it cannot drift from them.

Each capability is the smallest set of requests that is a power on its own,
so that one extra grant shows up: ``write`` is PutObject alone (overwriting
an approved version's artifact is tampering even without registering
anything), and ``approve`` is any way to end up with an Approved version
(approving an existing one, or registering one as Approved directly).

Group capabilities are checked on one sample version and one sample object
of the group (``model-package/<group>/1``, ``s3://<bucket>/<group>/model.tar.gz``).
The artifact key is shared by every group, so what a principal may do with
the key alone is a column of its own; per group, "decrypt" means reading
the plaintext of that group's artifacts, which needs S3 GetObject on the
group's prefix as well as kms:Decrypt (S3 decrypts an SSE-KMS object for
the caller only when both are allowed).

The expected side (what accounts.yaml asks for) is :data:`PARTY_CAPABILITIES`:
the product's promise per party, not a copy of the policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from generator.access import (  # the SageMaker status values and lifecycle keys
    APPROVED,
    CURRENT_STAGE_KEY,
    CURRENT_STATUS_KEY,
    PENDING,
    STAGE_APPROVED,
    STAGE_KEY,
    STAGE_PENDING,
    STAGE_STATUS_KEY,
)
from generator.arns import Arns
from generator.policies import deploy_role

Scope = Literal["group", "key", "repository"]

# The key id is unknown until the key exists; a sample id in the registry
# account stands for it (identity policies then match it by alias, as AWS
# does through kms:ResourceAliases).
SAMPLE_KEY_ID = "00000000-0000-0000-0000-000000000000"
SAMPLE_VERSION = "1"
SAMPLE_OBJECT = "model.tar.gz"

# Resource placeholders of a Step, resolved per group by :func:`requests`.
# With s3_layout: access_points, OBJECT and LISTING are asked both through
# the group's access point and of the bucket directly (S3 serves both paths:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html),
# so a grant on either path shows.
OBJECT, VERSION, KEY, GROUP, LISTING = "object", "version", "key", "group", "listing"
# registration: copy (docs/copy.md): a development account's incoming/
# prefix of the group, one way per development account of the group.
INCOMING = "incoming"
# SageMaker resources named for the group in the principal's own account
# (deploy_role: what a deploy role creates in its workload account).
MODEL, ENDPOINT_CONFIG, ENDPOINT = "model", "endpoint-config", "endpoint"
SAMPLE_DEPLOYMENT = "sample"
REPOSITORY = "repository"  # an ECR repository of ecr_repositories (its own column)


@dataclass(frozen=True)
class Step:
    """One request of a capability; ``via`` is the service that calls KMS."""

    action: str
    resource: str  # OBJECT | VERSION | KEY
    context: tuple[tuple[str, str], ...] = ()
    via: str | None = None
    staged: bool = False  # only with stages: set (a ModelLifeCycle move)


@dataclass(frozen=True)
class Capability:
    name: str
    scope: Scope
    summary: str  # plain language, for the legend
    ways: tuple[tuple[Step, ...], ...]  # granted when every Step of some way is allowed


class Probe(NamedTuple):
    """A Step made concrete for one group: what is evaluated (a tuple: the
    engine keys its caches by probes, and a tuple hashes and compares in C)."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        extra = "".join(f", {k}={v}" for k, v in self.context)
        return f"{self.action} on {self.resource}{extra}"


_STATUS = "sagemaker:ModelApprovalStatus"
_PREFIX = "s3:prefix"
GROUP_PREFIX = "GROUP/"  # stands for the group's prefix in a Step's context
# The group tag a deployment pipeline puts on what it creates (docs/deploy.md):
# the tagged form of a deploy role requires it, every form allows it.
GROUP_TAG_VALUE = "GROUP-NAME-LOWERCASE"  # stands for the tag's value, the group's name in lowercase
_TAGGED = ((deploy_role.REQUEST_TAG, GROUP_TAG_VALUE), ("aws:TagKeys", deploy_role.GROUP_TAG))


def _tagging(action: str) -> tuple[tuple[str, str], ...]:
    return _TAGGED + (("sagemaker:TaggingAction", action),)

CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "register", "group",
        "register a new version of the group as PendingManualApproval",
        ((Step("sagemaker:CreateModelPackage", VERSION, ((_STATUS, PENDING),)),),),
    ),
    Capability(
        "write", "group",
        "upload or overwrite model artifacts under the group's prefix "
        "(S3 also needs the key's encrypt, shown in the artifact key column); registration: copy: create an "
        "object under released/GROUP/ (with If-None-Match, the only write the bucket policy lets through)",
        ((Step("s3:PutObject", OBJECT),),),
    ),
    # registration: copy: uploading to incoming/<account>/<group>/, which no
    # central version points to (a direct group has no incoming/ prefix).
    Capability(
        "upload", "group",
        "registration: copy: upload artifacts to a development account's incoming/ prefix of the group "
        "(the registry function copies them to released/ once the local version is approved)",
        ((Step("s3:PutObject", INCOMING),),),
    ),
    Capability(
        "approve", "group",
        "make a version Approved, which lets it be deployed: approve an existing version, "
        "or register a new one as Approved",
        (
            (Step("sagemaker:UpdateModelPackage", VERSION, ((_STATUS, APPROVED),)),),
            (Step("sagemaker:CreateModelPackage", VERSION, ((_STATUS, APPROVED),)),),
            # With stages: approving a stage also makes a version deployable
            # (deployers and consumers read versions Approved at a stage).
            (Step("sagemaker:UpdateModelPackage", VERSION, ((STAGE_STATUS_KEY, STAGE_APPROVED),), staged=True),),
        ),
    ),
    Capability(
        "read", "group",
        "look up a version and download its artifact: what deploying a version needs",
        ((Step("sagemaker:DescribeModelPackage", VERSION), Step("s3:GetObject", OBJECT)),),
    ),
    Capability(
        "decrypt", "group",
        "read the plaintext of the group's artifacts: download them and have S3 decrypt them with the artifact key",
        ((Step("s3:GetObject", OBJECT), Step("kms:Decrypt", KEY, via="s3")),),
    ),
    Capability(
        "metadata", "group",
        "see the group and its versions without their content: describe the group or a version, "
        "list the versions, or list the group's artifact prefix",
        (
            (Step("sagemaker:DescribeModelPackageGroup", GROUP),),
            (Step("sagemaker:DescribeModelPackage", VERSION),),
            (Step("sagemaker:ListModelPackages", VERSION),),
            (Step("s3:ListBucket", LISTING, ((_PREFIX, GROUP_PREFIX),)),),
        ),
    ),
    # Inference images (ecr_repositories), one column per repository. push
    # is PutImage alone: a new tag on layers already there is a new image,
    # so that one grant is the power to change what gets deployed. pull is
    # what docker pull and SageMaker's CreateModel do: the manifest, then
    # the layers.
    Capability(
        "push", "repository",
        "push an image to the repository (PutImage; layer uploads come with it)",
        ((Step("ecr:PutImage", REPOSITORY),),),
    ),
    Capability(
        "pull", "repository",
        "pull an image: read its manifest and download its layers (what SageMaker does at CreateModel)",
        ((Step("ecr:BatchGetImage", REPOSITORY), Step("ecr:GetDownloadUrlForLayer", REPOSITORY)),),
    ),
    Capability(
        "deploy", "group",
        "deploy a version of the group in its own account: describe the version and create the model, "
        "an endpoint configuration serving it and the endpoint, named GROUP-... and tagged "
        f"{deploy_role.GROUP_TAG}=GROUP in lowercase (the deploy role, docs/deploy.md)",
        ((
            Step("sagemaker:DescribeModelPackage", VERSION),
            Step("sagemaker:CreateModel", MODEL, _TAGGED),
            Step("sagemaker:AddTags", MODEL, _tagging("CreateModel")),
            Step("sagemaker:CreateEndpointConfig", ENDPOINT_CONFIG, _TAGGED + (("sagemaker:ModelArn", MODEL),)),
            Step("sagemaker:AddTags", ENDPOINT_CONFIG, _tagging("CreateEndpointConfig")),
            Step("sagemaker:CreateEndpoint", ENDPOINT, _TAGGED),
            Step("sagemaker:AddTags", ENDPOINT, _tagging("CreateEndpoint")),
            # the configuration it is created from: the one just created, tagged for the group
            Step("sagemaker:CreateEndpoint", ENDPOINT_CONFIG,
                 _TAGGED + ((deploy_role.RESOURCE_TAG, GROUP_TAG_VALUE),)),
        ),),
    ),
    Capability(
        "encrypt", "key",
        "have S3 encrypt new data with the artifact key (any group's prefix: the key is shared)",
        ((Step("kms:GenerateDataKey", KEY, via="s3"),),),
    ),
    Capability(
        "decrypt", "key",
        "have S3 decrypt data with the artifact key (the bucket policy still decides which objects)",
        ((Step("kms:Decrypt", KEY, via="s3"),),),
    ),
    Capability(
        "metadata", "key",
        "describe the artifact key (directly, or through S3 or SageMaker)",
        (
            (Step("kms:DescribeKey", KEY),),
            (Step("kms:DescribeKey", KEY, via="s3"),),
            (Step("kms:DescribeKey", KEY, via="sagemaker"),),
        ),
    ),
)

# What accounts.yaml asks for: the capabilities each party of a model group
# is promised (see docs/grants.md, "What each party may do"). Developers read
# their own group's versions and artifacts to evaluate them; approvers
# approve without touching artifacts or the key.
# registration: copy: developers upload to incoming/ and see the group;
# what a central version points to (released/) is written by the registry
# function alone, which reads it back, has S3 encrypt and decrypt with the
# key, and sees the group's versions.
COPY_DEVELOPER_CAPABILITIES = frozenset({"upload", "metadata"})
FUNCTION_CAPABILITIES: dict[Scope, frozenset[str]] = {
    "group": frozenset({"write", "read", "decrypt", "metadata"}), "key": frozenset({"encrypt", "decrypt"}),
    "repository": frozenset()}
COPY_WRITE = (("s3:if-none-match", "*"), ("s3:ObjectCreationOperation", "PutObject"))

PARTY_CAPABILITIES: dict[str, dict[Scope, frozenset[str]]] = {
    "developers": {"group": frozenset({"register", "write", "read", "decrypt", "metadata"}),
                   "key": frozenset({"encrypt", "decrypt", "metadata"})},
    "deployers": {"group": frozenset({"read", "decrypt", "metadata"}), "key": frozenset({"decrypt", "metadata"})},
    "consumers": {"group": frozenset({"read", "decrypt", "metadata"}), "key": frozenset({"decrypt", "metadata"})},
    "approvers": {"group": frozenset({"approve", "metadata"}), "key": frozenset()},
    # With stages: the governance accounts that approve a stage, on every group.
    "stage_approvers": {"group": frozenset({"approve", "metadata"}), "key": frozenset()},
}
# ECR repositories: developers of a repository's groups push, their
# consumers and deployers pull, approvers get nothing (generator/config/ecr.py).
for _party, _wanted in (("developers", {"push"}), ("deployers", {"pull"}), ("consumers", {"pull"}),
                        ("approvers", set())):
    PARTY_CAPABILITIES[_party]["repository"] = frozenset(_wanted)


def of_scope(scope: Scope) -> tuple[Capability, ...]:
    return tuple(c for c in CAPABILITIES if c.scope == scope)


def key_arn(arns: Arns) -> str:
    return arns.key_arn or f"arn:{arns.partition}:kms:{arns.region}:{arns.registry_id}:key/{SAMPLE_KEY_ID}"


def s3_paths(arns: Arns, group: str, copy: bool = False) -> list[dict[str, str]]:
    """The OBJECT and LISTING resources of each path S3 serves a group's
    artifacts on: the group's access point first (s3_layout: access_points),
    then the bucket itself. A copy-mode group's artifacts are its released/
    objects (copy is refused with access points)."""
    if copy:
        return [{OBJECT: f"{arns.bucket_arn}/{arns.released_prefix(group)}{SAMPLE_OBJECT}", LISTING: arns.bucket_arn}]
    bucket = {OBJECT: f"{arns.bucket_arn}/{arns.group_prefix(group)}{SAMPLE_OBJECT}", LISTING: arns.bucket_arn}
    if arns.s3_layout != "access_points":
        return [bucket]
    point = arns.access_point_arn(group)
    return [{OBJECT: f"{point}/object/{arns.group_prefix(group)}{SAMPLE_OBJECT}", LISTING: point}, bucket]


def stage_decision_status(stages: tuple[str, ...], stage: str) -> str:
    """The ModelApprovalStatus an approval of ``stage`` carries (docs/stages.md, "One approval model")."""
    return APPROVED if stage == stages[-1] else PENDING


def lifecycle_variants(way: tuple[Step, ...], stages: tuple[str, ...]) -> list[tuple[tuple[str, str], ...]]:
    """Lifecycle contexts a way on a version is tried with (with stages set).

    With stages, what a principal may do with a version depends on its
    current lifecycle: a capability is granted when some sample version
    allows it, so a way is tried on a version without a lifecycle and on one
    Approved at each stage; a stage move (``staged``) sets each stage on a
    version pending at it."""
    if not stages or not any(step.resource == VERSION for step in way):
        return [()]
    if any(step.staged for step in way):
        # One approval model: a stage approval carries the approval status it implies.
        return [((STAGE_KEY, s), (CURRENT_STAGE_KEY, s), (CURRENT_STATUS_KEY, STAGE_PENDING),
                 (_STATUS, stage_decision_status(stages, s))) for s in stages]
    return [()] + [((CURRENT_STAGE_KEY, s), (CURRENT_STATUS_KEY, STAGE_APPROVED)) for s in stages]


def requests(arns: Arns, capability: Capability, group: str | None, account_id: str = "",
             stages: tuple[str, ...] = (), copy_accounts: tuple[str, ...] | None = None) -> list[list[Probe]]:
    """The concrete requests of each way of ``capability`` (on ``group`` for
    group scope; ``group`` is the repository name for repository scope;
    SageMaker deployment resources in ``account_id``, the principal's own
    account).

    A way that touches S3 becomes one way per S3 path (access point, bucket);
    with ``stages``, a way on a version becomes one way per lifecycle
    variant (:func:`lifecycle_variants`); stage moves exist only with stages.

    ``copy_accounts``: the group is registered by copy, from these
    development account ids: its artifacts (OBJECT, LISTING's prefix) are
    those under released/<group>/, "write" is a write there that creates
    (If-None-Match: the only write the bucket policy lets through), and
    "upload" is a write to one of the accounts' incoming/ prefixes. Without
    it, "upload" has no way (a direct group has no incoming/)."""
    resources = {KEY: key_arn(arns)}
    paths = [{}]
    if capability.scope == "repository":
        resources[REPOSITORY] = arns.repository_arn(group or "")
    elif group is not None:
        package = arns.package_arns(group).removesuffix("*")
        resources[VERSION] = f"{package}{SAMPLE_VERSION}"
        resources[GROUP] = arns.group_arn(group)
        for kind in (MODEL, ENDPOINT_CONFIG, ENDPOINT):
            # lowercase, as SageMaker writes these ARNs (deploy_role.name_prefix)
            resources[kind] = (f"arn:{arns.partition}:sagemaker:{arns.region}:{account_id}:"
                               f"{kind}/{deploy_role.name_prefix(group)}{SAMPLE_DEPLOYMENT}")
        resources[GROUP_TAG_VALUE] = deploy_role.group_tag_value(group)
        paths = s3_paths(arns, group, copy_accounts is not None)
    prefix = arns.released_prefix(group) if copy_accounts is not None and group else (
        arns.group_prefix(group) if group else "")
    out = []
    for way in capability.ways:
        if any(step.resource == INCOMING for step in way):
            for account in copy_accounts or ():
                out.append([Probe(step.action, f"{arns.bucket_arn}/{arns.incoming_prefix(group, account)}{SAMPLE_OBJECT}",
                                  ()) for step in way])
            continue
        if any(step.staged for step in way) and not stages:
            continue
        uses_s3 = any(step.resource in (OBJECT, LISTING) for step in way)
        for variant in lifecycle_variants(way, stages):
            for path in paths if uses_s3 else paths[:1]:
                probes = []
                for step in way:
                    context = tuple((k, prefix if v == GROUP_PREFIX else resources.get(v, v))
                                    for k, v in step.context)
                    if copy_accounts is not None and capability.name == "write" and step.action == "s3:PutObject":
                        context += COPY_WRITE
                    if step.via:
                        context = (("kms:ViaService", arns.via_service(step.via)),) + context
                    if step.resource == VERSION:
                        context += variant
                    probes.append(Probe(step.action, {**resources, **path}[step.resource], context))
                out.append(probes)
    return out


def legend_ways(capability: Capability, s3_layout: str = "bucket_policy", staged: bool = False) -> list[list[str]]:
    """Each way's requests in words, with placeholders, for the legend
    (stage moves only when the config has stages)."""
    names = {OBJECT: "s3://BUCKET/GROUP/" + SAMPLE_OBJECT, VERSION: "model-package/GROUP/" + SAMPLE_VERSION,
             KEY: "the artifact key", GROUP: "model-package-group/GROUP", LISTING: "the bucket",
             REPOSITORY: "repository/NAME",
             INCOMING: "s3://BUCKET/incoming/ACCOUNT/GROUP/" + SAMPLE_OBJECT + " (ACCOUNT: each development account)"}
    own = {kind: f"{kind}/GROUP-{SAMPLE_DEPLOYMENT}" for kind in (MODEL, ENDPOINT_CONFIG, ENDPOINT)}
    if s3_layout == "access_points":
        names[OBJECT] += " (through the group's access point, or the bucket directly)"
        names[LISTING] = "the group's access point or the bucket"
    out = []
    for way in capability.ways:
        if any(step.staged for step in way) and not staged:
            continue
        words = []
        for step in way:
            context = [f"kms:ViaService={step.via}.REGION.amazonaws.com"] if step.via else []
            context += [f"{k}={own.get(v, v)}" for k, v in step.context]
            suffix = f" with {', '.join(context)}" if context else ""
            where = names.get(step.resource) or f"{own[step.resource]} in its own account"
            stage = " setting the StageStatus of the stage the version is pending at" if step.staged else ""
            words.append(f"{step.action} on {where}{suffix}{stage}")
        out.append(words)
    return out


# "Who approves stage S of group G" (explain --can approve --stage S,
# report --capability approve-stage:S): setting S's StageStatus to Approved,
# the one request of a stage approval (docs/stages.md: approvers of stage Sk
# set Sk to Approved on a version at Sk, or on one Approved at Sk-1, moving
# it on in the same call). One way per current lifecycle the version may
# have; granted when some way is allowed.
STAGE_CAPABILITY_PREFIX = "approve-stage:"


def stage_approval_requests(arns: Arns, group: str, stage: str, stages: tuple[str, ...]) -> list[list[Probe]]:
    """The ways to approve ``stage`` (one of ``stages``, in order) on a version of ``group``."""
    version = f"{arns.package_arns(group).removesuffix('*')}{SAMPLE_VERSION}"
    moves = ((STAGE_KEY, stage), (STAGE_STATUS_KEY, STAGE_APPROVED), (_STATUS, stage_decision_status(stages, stage)))
    ways = [[Probe("sagemaker:UpdateModelPackage", version,
                   moves + ((CURRENT_STAGE_KEY, stage), (CURRENT_STATUS_KEY, STAGE_PENDING)))]]
    index = stages.index(stage)
    if index > 0:
        ways.append([Probe("sagemaker:UpdateModelPackage", version,
                           moves + ((CURRENT_STAGE_KEY, stages[index - 1]), (CURRENT_STATUS_KEY, STAGE_APPROVED)))])
    return ways


def copy_accounts(config, group: str) -> tuple[str, ...] | None:
    """The development account ids a copy-mode group is copied from, or None for a direct group."""
    if not config.is_copy(group):
        return None
    return tuple(sorted(config.accounts[a].id for a in config.party_accounts(group, "developers")))
