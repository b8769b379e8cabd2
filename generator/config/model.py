"""The core of the accounts.yaml model: strict pydantic types plus cross-reference checks.

Field-level rules (types, patterns, unknown keys) live on the pydantic
models so that ``python -m generator schema`` can publish them; rules that
relate one part of the file to another live in :func:`check_references`.
Both report through :class:`generator.errors.ConfigError`, naming the key.

This module holds what every file has (region, registry, accounts,
model_groups) and imports none of the optional sections that extend it
(generator/config/<section>.py: ecr, terraform, apply, stages, deploy,
guardrails). Each section brings its own model and its own cross-reference
check; generator/config/document.py composes them into :class:`Config`,
which lists the sections' checks in ``section_checks`` for
:func:`check_references` to run after the core rules. The sections import
this module, never the other way round (tests/test_import_graph.py).
"""

from __future__ import annotations

from collections import Counter
import difflib
import functools
import re
from typing import Annotated, Any, Callable, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from generator import roles
from generator.config.fields import aws_tags, free_text
from generator.config.rules import BUCKET_RE as _BUCKET_RE
from generator.config.rules import bucket_name as _bucket
from generator.errors import ConfigError, ErrorCollector
from generator.names import camel

Partition = Literal["aws", "aws-cn", "aws-us-gov"]
AccountKind = Literal["registry", "development", "deployment", "workload", "governance"]

# Which account kind each party list of a model group accepts.
PARTY_KINDS: dict[str, str] = {
    "developers": "development",
    "deployers": "deployment",
    "consumers": "workload",
    "approvers": "governance",
}
PARTIES: tuple[str, ...] = ("developers", "deployers", "consumers", "approvers")

_ROLE_SEGMENT = r"[A-Za-z0-9_+=,.@*-]+"
# A wildcard role name must keep a run of this many literal characters.
MIN_WILDCARD_FIXED = 4
_ROLE_RE = re.compile(rf"^(?:{_ROLE_SEGMENT}/)*{_ROLE_SEGMENT}$")
_ALIAS_RE = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")
_KEY_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):kms:(?P<region>[a-z0-9-]+):"
    r"(?P<account>[0-9]{12}):key/(?P<key>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)


# JSON Schema forms of the rules the AfterValidators below enforce, so that
# `python -m generator schema` publishes them (editor validation). The
# validators stay the source of truth and of the error messages.
_ROLE_JSON = {"pattern": _ROLE_RE.pattern, "maxLength": 512, "not": {"anyOf": [
    {"pattern": r"(^|/)\*+$"},
    # a * in a path segment (generator/roles.py: it would span '/' into paths a customer can create)
    {"pattern": r"^(?!aws-reserved/)[^*]*\*[^/]*/"},
    # an Identity Center role under any path but its own
    {"pattern": r"^(?!aws-reserved/sso\.amazonaws\.com/(?:[a-z]{2}(?:-gov)?-[a-z]+-\d{1,2}/)?AWSReservedSSO_[^/]*$)"
                r".+/AWSReservedSSO_[^/]*$"},
]}}
_BUCKET_JSON = {
    "pattern": _BUCKET_RE.pattern,
    "not": {"anyOf": [{"pattern": p} for p in (r"\.\.", "^xn--", "-s3alias$", r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")]},
}
_ALIAS_JSON = {"pattern": _ALIAS_RE.pattern, "not": {"pattern": "^alias/aws/"}}
_KEY_ARN_JSON = {"pattern": re.sub(r"\(\?P<\w+>", "(", _KEY_ARN_RE.pattern)}  # no named groups in ECMA regex
_UNIQUE_JSON = {"uniqueItems": True}


def _role(value: str) -> str:
    """An IAM role name, optionally behind a path, optionally with ``*``."""
    if not _ROLE_RE.fullmatch(value):
        raise ValueError(
            "must be an IAM role name (letters, digits and _+=,.@-), optionally "
            "behind a path like service-role/Name, with * as a wildcard"
        )
    name = value.rsplit("/", 1)[-1]
    if not name.strip("*"):
        raise ValueError("a role name made only of * would match every role in the account")
    problem = roles.problem(value)
    if problem:
        raise ValueError(problem)
    if "*" in name and max(len(run) for run in name.split("*")) < MIN_WILDCARD_FIXED:
        raise ValueError(
            f"the fixed part of a wildcard role name needs a run of at least {MIN_WILDCARD_FIXED} characters "
            "without * (like AWSReservedSSO_DataScientist_* or ModelApprover*) so it names one family of roles, "
            "not almost every role in the account"
        )
    if len(name) > 64:
        raise ValueError("IAM role names are at most 64 characters")
    if len(value) > 512:
        raise ValueError("IAM role paths are at most 512 characters")
    return value


def _alias(value: str) -> str:
    if not _ALIAS_RE.fullmatch(value):
        raise ValueError("must look like alias/name (letters, digits, '/', '_', '-')")
    if value.startswith("alias/aws/"):
        raise ValueError("alias/aws/ is reserved for AWS managed keys")
    return value


StrictStr = Annotated[str, Field(strict=True)]
AccountId = Annotated[
    str,
    Field(strict=True, description="12-digit AWS account id, quoted so YAML keeps it a string",
          json_schema_extra={"pattern": r"^[0-9]{12}$"}),
    AfterValidator(lambda v: v if re.fullmatch(r"[0-9]{12}", v) else _fail("must be exactly 12 digits")),
]
AccountName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$"),
]
GroupName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"),
]
RoleName = Annotated[str, Field(strict=True, json_schema_extra=_ROLE_JSON), AfterValidator(_role)]


def _one_role(value: str) -> str:
    if "*" in value:
        raise ValueError("must name one role (no *)")
    return _role(value)


OneRoleName = Annotated[str, Field(strict=True, json_schema_extra=_ROLE_JSON), AfterValidator(_one_role)]
BucketName = Annotated[str, Field(strict=True, json_schema_extra=_BUCKET_JSON), AfterValidator(_bucket)]
KeyAlias = Annotated[str, Field(strict=True, json_schema_extra=_ALIAS_JSON), AfterValidator(_alias)]


def _fail(message: str):
    raise ValueError(message)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Registry(_Strict):
    account: StrictStr = Field(description="Name (key under accounts) of the registry account.")
    artifact_bucket: BucketName = Field(description="S3 bucket that holds model artifacts.")
    kms_key_alias: KeyAlias = Field(description="Alias of the customer-managed KMS key for artifacts.")
    kms_key_arn: StrictStr | None = Field(
        default=None,
        description=(
            "ARN of the KMS key once it exists. Optional: without it identity policies "
            "scope the key by alias (kms:ResourceAliases)."
        ),
        json_schema_extra=_KEY_ARN_JSON,
    )
    s3_layout: Literal["bucket_policy", "access_points"] = Field(
        default="bucket_policy",
        description=(
            "bucket_policy: per-group grants in the bucket policy (its 20 KB hold about eight groups). "
            "access_points: one S3 access point per model group holds its grants and the bucket "
            "policy delegates to them (thousands of groups)."
        ),
    )
    access_point_prefix: Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9-]{0,19}$")] | None = Field(
        default=None,
        description=(
            "access_points layout: every access point name starts with this prefix and the bucket "
            "policy delegates to the access points named so (s3:DataAccessPointArn). Without it the "
            "bucket policy lists each access point ARN, which fits a few hundred groups."
        ),
    )


class Account(_Strict):
    id: AccountId
    kind: AccountKind = Field(description="What the account does around the registry.")
    stage: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")] | None = Field(
        default=None, description="Workload stage (test, uat, prod, ...). Workload accounts only."
    )
    roles: list[RoleName] = Field(
        default_factory=list,
        description=(
            "IAM role names (optionally path/name, optionally with *) that receive grants. "
            "Grants go to these roles, never to the whole account."
        ),
        json_schema_extra=_UNIQUE_JSON,
    )
    description: Annotated[str, Field(strict=True), AfterValidator(free_text)] | None = None


class ModelGroup(_Strict):
    description: Annotated[str, StringConstraints(max_length=1024), AfterValidator(free_text)] = Field(
        default="", description="Model package group description."
    )
    developers: list[StrictStr] = Field(
        default_factory=list, description="Development accounts that train and register versions.",
        json_schema_extra=_UNIQUE_JSON,
    )
    consumers: list[StrictStr] = Field(
        default_factory=list, description="Workload accounts that deploy approved versions.",
        json_schema_extra=_UNIQUE_JSON,
    )
    deployers: list[StrictStr] | None = Field(
        default=None, description="Deployment accounts; default: every deployment account.",
        json_schema_extra=_UNIQUE_JSON,
    )
    approvers: list[StrictStr] | None = Field(
        default=None, description="Governance accounts; default: every governance account.",
        json_schema_extra=_UNIQUE_JSON,
    )
    registration: Literal["direct", "copy"] = Field(
        default="direct",
        description=(
            "direct: developers write the group's prefix and register versions in the central group "
            "(PendingManualApproval). copy: developers register in a group of the same name in their own "
            "account and write only incoming/<account>/<group>/; the registry function copies an approved "
            "local version to released/<group>/ and registers it centrally (docs/copy.md)."
        ),
    )
    tags: Annotated[dict[StrictStr, StrictStr], AfterValidator(aws_tags)] = Field(
        default_factory=dict,
        description="Tags for the model package group (AWS rules: at most 50, key 1-128, value 0-256 characters, no aws: prefix).",
        json_schema_extra={"maxProperties": 50},
    )


_Answer = TypeVar("_Answer")


def config_query(function: Callable[..., _Answer]) -> Callable[..., _Answer]:
    """Memoize ``function(config, *args)`` in the loaded config's own store.

    For the questions that builders, lint rules and the report ask of the
    config again and again (per account, per group, per row): ``function``
    must be a pure function of the config and of its other arguments, which
    must be hashable. A loaded config is never changed (its models are
    frozen), so each answer is computed once per Config object and per
    arguments, and the same object is returned every time after: callers
    must not change it.

    The store is a slot of the Config (see :class:`CoreConfig`): pydantic
    never validates, serializes, compares or copies it, so ``config ==
    other``, ``model_dump()`` and the JSON Schema do not see it, a copy
    (``model_copy``, ``copy.deepcopy``, a pickle) starts with an empty
    store, and a worker process forked after a question was asked keeps the
    answer. Use it as a decorator on a module function or a method::

        @config_query
        def deployed_groups(config: Config, account: str) -> list[str]: ...
    """

    @functools.wraps(function)
    def query(config, *args):
        try:
            answers = config._queries[query]
        except (AttributeError, KeyError):  # the config's first question, or this query's first
            answers = config._answers_of(query)
        try:
            return answers[args]
        except KeyError:
            answer = answers[args] = function(config, *args)
            return answer

    return query


class CoreConfig(_Strict):
    """The keys every accounts.yaml has; generator/config/document.py adds the sections."""

    # The answers of config_query, per query, per arguments. A slot, not a
    # field, a private attribute or a __dict__ entry: pydantic keeps out of it.
    __slots__ = ("_queries",)

    partition: Partition = "aws"
    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$")]
    organization_id: Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$")] | None = Field(
        default=None,
        description="When set, every cross-account Allow also requires aws:PrincipalOrgID.",
    )
    registry: Registry
    accounts: dict[AccountName, Account]
    model_groups: dict[GroupName, ModelGroup]

    # The sections' cross-reference checks (each raises ConfigError naming
    # the key), run by check_references after the core rules, in this order.
    section_checks: ClassVar[tuple[Callable[[Any], None], ...]] = ()

    def _answers_of(self, query) -> dict:
        """The answers of one config_query so far, its table made on first use."""
        try:
            store = self._queries
        except AttributeError:
            store = {}
            object.__setattr__(self, "_queries", store)  # frozen: past pydantic's __setattr__
        return store.setdefault(query, {})

    # --- resolved views (no validation here; see check_references) ---------
    # Large configs ask these per account and per group, and a scan each
    # time is quadratic: each is answered once (config_query).
    @property
    def registry_account(self) -> Account:
        return self.accounts[self.registry.account]

    def accounts_of_kind(self, kind: str) -> list[str]:
        return sorted(name for name, acct in self.accounts.items() if acct.kind == kind)

    @config_query
    def party_accounts(self, group: str, party: str) -> list[str]:
        """Account names of ``party`` for ``group``, defaults applied, sorted."""
        listed = getattr(self.model_groups[group], party)
        return list(self._accounts_by_kind().get(PARTY_KINDS[party], [])) if listed is None else sorted(listed)

    @config_query
    def copy_groups(self) -> tuple[str, ...]:
        """Groups with ``registration: copy``, sorted."""
        return tuple(sorted(name for name, group in self.model_groups.items() if group.registration == "copy"))

    def is_copy(self, group: str) -> bool:
        return group in self.model_groups and self.model_groups[group].registration == "copy"

    def accounts_in_party(self, party: str) -> list[str]:
        """Accounts that are ``party`` of at least one group, sorted."""
        return sorted(name for name, pairs in self._memberships().items() if any(p == party for _, p in pairs))

    def groups_of(self, account: str) -> list[tuple[str, str]]:
        """(group, party) pairs the account takes part in, sorted by group."""
        return self._memberships().get(account, [])

    @config_query
    def _accounts_by_kind(self) -> dict[str, list[str]]:
        by_kind: dict[str, list[str]] = {}
        for name in sorted(self.accounts):
            by_kind.setdefault(self.accounts[name].kind, []).append(name)
        return by_kind

    @config_query
    def _memberships(self) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for group in sorted(self.model_groups):
            for party in sorted(PARTIES):
                for name in self.party_accounts(group, party):
                    out.setdefault(name, []).append((group, party))
        return out


def check_references(config: CoreConfig) -> None:
    """Rules that relate parts of the file; raise ConfigError naming the key.

    Every independent rule runs, and all their errors are raised together
    (ConfigErrors): a user fixes a config in one round, not one error per run.
    A section module's check (generator/config/<section>.py) that raises on
    its first problem joins by being listed in ``Config.section_checks``
    (generator/config/document.py).
    """
    errors = ErrorCollector()
    registries = config.accounts_of_kind("registry")
    if config.registry.account not in config.accounts:
        names = difflib.get_close_matches(config.registry.account, list(config.accounts), n=1)
        hint = f"; did you mean '{names[0]}'?" if names else ""
        errors.errors.append(
            ConfigError("registry.account", f"'{config.registry.account}' is not declared under accounts{hint}"))
    elif registries != [config.registry.account]:
        names = ", ".join(registries) or "none"
        errors.errors.append(ConfigError(
            "accounts",
            f"exactly one account must have kind registry and be named by registry.account (found: {names})",
        ))
    errors.raise_if_any()  # every rule below reads the registry account: nothing to add until it is fixed
    errors.run(_check_partition_region, config)

    seen_ids: dict[str, str] = {}
    for name, account in config.accounts.items():
        with errors.block():
            if account.id in seen_ids:
                raise ConfigError(f"accounts.{name}.id", f"{account.id} is also the id of '{seen_ids[account.id]}'")
            seen_ids[account.id] = name
        with errors.block():
            if account.stage is not None and account.kind != "workload":
                raise ConfigError(f"accounts.{name}.stage", "only workload accounts have a stage")
        with errors.block():
            if account.kind == "registry" and account.roles:
                raise ConfigError(
                    f"accounts.{name}.roles",
                    "the registry account's own roles are governed by its own IAM; list roles only on accounts that call into the registry",
                )
            duplicates = sorted(r for r, n in Counter(account.roles).items() if n > 1)
            if duplicates:
                raise ConfigError(f"accounts.{name}.roles", f"role '{duplicates[0]}' is listed twice")
        errors.run(_check_role_names_unique, name, account.roles)
        errors.run(_check_role_fences, name, account.roles)

    if config.registry.access_point_prefix is not None and config.registry.s3_layout != "access_points":
        errors.errors.append(
            ConfigError("registry.access_point_prefix", "only used with registry.s3_layout: access_points"))
    if config.registry.kms_key_arn is not None:
        errors.run(_check_key_arn, config)

    ids: dict[str, str] = {}
    for group_name in config.model_groups:
        other = ids.setdefault(camel(group_name), group_name)
        if other != group_name:
            errors.errors.append(ConfigError(
                f"model_groups.{group_name}",
                f"'{group_name}' and '{other}' give the same statement id prefix {camel(group_name)}; rename one",
            ))

    undeclared = False
    for group_name, group in config.model_groups.items():
        for party in PARTIES:
            listed = getattr(group, party)
            key = f"model_groups.{group_name}.{party}"
            if listed is None:
                continue
            for index, account_name in enumerate(listed):
                undeclared |= account_name not in config.accounts
                errors.run(_check_party_member, config, key, index, account_name, party, listed)
    if not undeclared:  # party_accounts() needs every listed name declared
        roleless: set[str] = set()
        for group_name in config.model_groups:
            for party in PARTIES:
                for account_name in config.party_accounts(group_name, party):
                    if not config.accounts[account_name].roles and account_name not in roleless:
                        roleless.add(account_name)  # once per account: one fix
                        errors.errors.append(ConfigError(
                            f"accounts.{account_name}.roles",
                            f"'{account_name}' is one of the {party} of model group '{group_name}' but lists no roles to grant to",
                        ))
    for group_name, group in config.model_groups.items():
        errors.run(_check_copy_group, config, group_name, group)
        if group_name in COPY_PREFIXES and any(g.registration == "copy" for g in config.model_groups.values()):
            errors.errors.append(ConfigError(
                f"model_groups.{group_name}",
                f"with registration: copy the bucket's top-level {group_name}/ prefix belongs to the copy flow "
                "(incoming/ for uploads, released/ for copies); rename the group"))
    for check in config.section_checks:
        errors.run(check, config)
    errors.raise_if_any()


COPY_PREFIXES = ("incoming", "released")


def _check_copy_group(config: CoreConfig, name: str, group: "ModelGroup") -> None:
    """registration: copy needs development accounts to copy from, and the
    bucket-policy layout: the released/ rules (only the registry function
    writes it, only when the object does not exist) are bucket-policy
    statements on the released/ prefix, and the access_points layout
    delegates object writes to per-group access points whose policies do
    not carry them (docs/copy.md, "Access points")."""
    if group.registration != "copy":
        return
    key = f"model_groups.{name}.registration"
    if config.registry.s3_layout == "access_points":
        raise ConfigError(key, "copy is not supported with registry.s3_layout: access_points (the released/ "
                               "write rules live in the bucket policy); use s3_layout: bucket_policy or "
                               "registration: direct")
    if not group.developers:
        raise ConfigError(key, "copy needs at least one development account under developers to copy from")


def _check_role_names_unique(name: str, entries: list[str]) -> None:
    """IAM role names are unique in an account regardless of case and path:
    "Names are not distinguished by case. For example, you cannot create
    resources named both "MyResource" and "myresource"."
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
    Two such entries cannot both exist, and Terraform cannot create both.
    Wildcard entries name families, not roles: compared as written (the
    exact duplicate check above)."""
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if "*" in entry:
            continue
        folded = entry.rsplit("/", 1)[-1].lower()
        other = seen.setdefault(folded, entry)
        if other != entry:
            raise ConfigError(
                f"accounts.{name}.roles[{index}]",
                f"'{entry}' and '{other}' are the same IAM role name (IAM role names are unique in an account "
                "regardless of case and path); list the role once",
            )


def _check_role_fences(name: str, entries: list[str]) -> None:
    """A wildcard entry is rendered with an ArnNotLike exclusion of the role
    paths its * could span (generator/roles.py); that exclusion must not
    take away another role the same account lists."""
    # A fence is "<prefix>*/*": it takes away a role whose canonical form
    # starts with <prefix> and has a / after it. Each entry is tested against
    # the fences whose prefix is one of its own prefixes (a set look-up per
    # prefix length), not against every fence: linear in the entries.
    by_prefix: dict[str, list[tuple[int, str, str]]] = {}
    for index, entry in enumerate(entries):
        fence = roles.exclusion(entry)
        if fence:
            by_prefix.setdefault(fence[:-3], []).append((index, entry, fence))
    if not by_prefix:
        return
    hits: list[tuple[int, int, str, str, str]] = []
    for position, other in enumerate(entries):
        text = roles.canonical(other)
        last_slash = text.rfind("/")
        for length in range(0, last_slash + 1):
            for index, entry, fence in by_prefix.get(text[:length], ()):
                if other != entry and roles.excluded_by(fence, other):
                    hits.append((index, position, entry, fence, other))
    if hits:
        _, _, entry, fence, other = min(hits)
        index = min(hits)[0]
        raise ConfigError(
            f"accounts.{name}.roles[{index}]",
            f"'{entry}' is rendered with ArnNotLike role/{fence} (so its * cannot reach roles with a path), "
            f"which would also exclude '{other}'; rename one or make the wildcard narrower",
        )


def _check_party_member(config: CoreConfig, key: str, index: int, name: str, party: str, listed: list[str]) -> None:
    wanted = PARTY_KINDS[party]
    if name not in config.accounts:
        candidates = [a for a, acct in config.accounts.items() if acct.kind == wanted] or list(config.accounts)
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"{key}[{index}]", f"'{name}' is not declared under accounts{hint}")
    if listed.index(name) != index:
        raise ConfigError(f"{key}[{index}]", f"'{name}' is listed twice")
    account = config.accounts[name]
    if account.kind != wanted:
        stage = f", stage {account.stage}" if account.stage else ""
        raise ConfigError(
            f"{key}[{index}]",
            f"'{name}' is a {account.kind} account{stage}; {party} must be {wanted} accounts",
        )


def _check_partition_region(config: CoreConfig) -> None:
    region = config.region
    expected = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    if "-iso" in region:
        raise ConfigError("region", "isolated (ISO) regions are not supported")
    if expected != config.partition:
        raise ConfigError("partition", f"region {region} is in partition {expected}, not {config.partition}")


def _check_key_arn(config: CoreConfig) -> None:
    arn = config.registry.kms_key_arn or ""
    match = _KEY_ARN_RE.fullmatch(arn)
    key = "registry.kms_key_arn"
    if not match:
        raise ConfigError(key, "must be a KMS key ARN like arn:aws:kms:REGION:ACCOUNT:key/KEY-ID")
    if match["partition"] != config.partition or match["region"] != config.region:
        raise ConfigError(key, f"must be in partition {config.partition} and region {config.region}")
    if match["account"] != config.registry_account.id:
        raise ConfigError(key, f"must belong to the registry account {config.registry_account.id}")
