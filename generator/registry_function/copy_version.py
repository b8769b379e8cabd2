"""Copy an approved local version into the central registry (registration: copy).

Invoked by the approval event of a version in a development account's local
group. The event is never trusted: it only names a version ARN, which must
be a version of a configured copy-mode group in one of that group's
development accounts, and the event's own ``account`` must be that account.
The function then describes the version itself and acts on what SageMaker
answers, not on the event:

1. the version is ``Approved`` in its local group;
2. every artifact (``ModelDataUrl``, ``ModelDataSource.S3DataSource.S3Uri``,
   S3Object only) lies in the registry bucket under
   ``incoming/<that account>/<group>/``;
3. every image is in one of the group's ECR repositories in the registry
   account, by digest; a tag is resolved to its digest only in a repository
   whose tags are IMMUTABLE (a mutable tag is refused);
4. if a central version already names this source (customer metadata
   ``SourceModelPackageArn``), nothing more is done;
5. each artifact is copied server-side to ``released/<group>/<account>-<version>/<path>``
   with a multipart upload of UploadPartCopy parts completed with
   ``If-None-Match: *`` (CopyObject fails where the bucket policy enforces
   conditional writes: S3 user guide, "Enforce conditional writes on Amazon
   S3 buckets"); an object already there is accepted only if it is
   byte-identical to the source (a redelivery), else refused;
6. the central version is created ``PendingManualApproval`` (and at the
   first stage, ``PendingApproval``, with stages) with a ClientToken derived
   from the source ARN ("A unique token that guarantees that the call to
   this API is idempotent", CreateModelPackage,
   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html),
   so two concurrent deliveries create one version, and with the source ARN,
   account, version and artifact SHA-256 checksums in its customer metadata.
"""

from __future__ import annotations

import hashlib
import re

from generator.registry_function.common import Refused, Settings

PART = 512 * 1024 * 1024  # UploadPartCopy range per part (S3: at most 5 GiB each)
_VERSION_ARN = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov):sagemaker:([a-z0-9-]+):([0-9]{12}):model-package/"
    r"([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})/([1-9][0-9]{0,9})"
)
_S3_URI = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)")
_IMAGE = re.compile(
    r"([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/-]*)"
    r"(?:@(sha256:[0-9a-f]{64})|:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))"
)
SOURCE_ARN = "SourceModelPackageArn"
PENDING = "PendingManualApproval"


def wants(event: dict, settings: Settings) -> bool:
    """Events from any account but the registry's: a development account's
    local approval (or a forgery of one, which :func:`handle` refuses). The
    registry account's own model package events are not copies to make."""
    return event.get("account") != settings.registry_account


def handle(event: dict, settings: Settings, clients) -> dict:
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise Refused("the event has no detail")
    arn = detail.get("ModelPackageArn")
    match = _VERSION_ARN.fullmatch(arn) if isinstance(arn, str) else None
    if not match:
        raise Refused(f"detail.ModelPackageArn is not a model package version ARN: {arn!r}")
    partition, region, account, group, version = match.groups()
    if (partition, region) != (settings.partition, settings.region):
        raise Refused(f"{arn}: not in {settings.partition} {settings.region}")
    configured = settings.groups.get(group)
    if configured is None:
        raise Refused(f"{arn}: group {group!r} is not a copy-mode group")
    if account not in configured.accounts:
        raise Refused(f"{arn}: account {account} does not develop {group!r}")
    if event.get("account") != account:
        raise Refused(f"{arn}: the event comes from account {event.get('account')!r}, not the version's {account}")

    source = clients.source_sagemaker(account).describe_model_package(ModelPackageName=arn)
    if source.get("ModelPackageArn") != arn or source.get("ModelPackageGroupName") != group:
        raise Refused(f"{arn}: SageMaker describes another version ({source.get('ModelPackageArn')!r})")
    if source.get("ModelApprovalStatus") != "Approved":
        raise Refused(f"{arn}: the local version is {source.get('ModelApprovalStatus')!r}, not Approved")

    prefix = f"incoming/{account}/{group}/"
    containers = (source.get("InferenceSpecification") or {}).get("Containers") or []
    if not containers:
        raise Refused(f"{arn}: the version has no inference containers")
    artifacts: list[str] = []  # source keys, in container order
    for index, container in enumerate(containers):
        for where, uri in _artifact_uris(container):
            artifacts.append(_incoming_key(arn, f"Containers[{index}].{where}", uri, settings.bucket, prefix))
    images = [_pinned_image(arn, index, container.get("Image"), settings, configured, clients)
              for index, container in enumerate(containers)]

    existing = find_central(clients.sagemaker, group, arn)
    if existing:
        return {"outcome": "exists", "central": existing, "source": arn}

    release = f"released/{group}/{account}-{version}/"
    copied: dict[str, tuple[str, str]] = {}  # source key -> (released key, sha256)
    for key in dict.fromkeys(artifacts):
        target = release + key[len(prefix):]
        copied[key] = (target, copy_once(clients.s3, settings.bucket, key, target))

    new_containers = []
    for index, container in enumerate(containers):
        out = {"Image": images[index]}
        if container.get("ModelDataUrl"):
            out["ModelDataUrl"] = f"s3://{settings.bucket}/{copied[_key_of(container['ModelDataUrl'])][0]}"
        data = (container.get("ModelDataSource") or {}).get("S3DataSource")
        if data:
            out["ModelDataSource"] = {"S3DataSource": {**{k: v for k, v in data.items() if k != "S3Uri"},
                                                       "S3Uri": f"s3://{settings.bucket}/{copied[_key_of(data['S3Uri'])][0]}"}}
        for name in ("Environment", "Framework", "FrameworkVersion", "NearestModelName"):
            if container.get(name):
                out[name] = container[name]
        new_containers.append(out)
    spec = {"Containers": new_containers}
    for name in ("SupportedContentTypes", "SupportedResponseMIMETypes", "SupportedRealtimeInferenceInstanceTypes",
                 "SupportedTransformInstanceTypes"):
        if source["InferenceSpecification"].get(name):
            spec[name] = source["InferenceSpecification"][name]
    metadata = {SOURCE_ARN: arn, "SourceAccount": account, "SourceVersion": version}
    for n, key in enumerate(dict.fromkeys(artifacts)):
        metadata[f"ArtifactSha256-{n}"] = copied[key][1]
    request = {
        "ModelPackageGroupName": group,
        "ModelApprovalStatus": PENDING,
        "InferenceSpecification": spec,
        "CustomerMetadataProperties": metadata,
        "ClientToken": client_token(arn),
        "ModelPackageDescription": f"Copied from {arn}",
    }
    if settings.first_stage:
        request["ModelLifeCycle"] = {"Stage": settings.first_stage, "StageStatus": "PendingApproval"}
    created = clients.sagemaker.create_model_package(**request)
    return {"outcome": "created", "central": created["ModelPackageArn"], "source": arn,
            "artifacts": {copied[k][0]: copied[k][1] for k in copied}}


def client_token(arn: str) -> str:
    """At most 36 characters of [a-zA-Z0-9-] (CreateModelPackage ClientToken):
    the same source always gives the same token."""
    return hashlib.sha256(arn.encode()).hexdigest()[:36]


def _artifact_uris(container: dict):
    if container.get("ModelDataUrl"):
        yield "ModelDataUrl", container["ModelDataUrl"]
    data = (container.get("ModelDataSource") or {}).get("S3DataSource")
    if data:
        if data.get("S3DataType") != "S3Object":
            raise Refused("ModelDataSource.S3DataSource: only S3DataType S3Object is copied")
        yield "ModelDataSource.S3DataSource.S3Uri", data.get("S3Uri")


def _key_of(uri: str) -> str:
    return _S3_URI.fullmatch(uri).group(2)


def _incoming_key(arn: str, where: str, uri, bucket: str, prefix: str) -> str:
    match = _S3_URI.fullmatch(uri) if isinstance(uri, str) else None
    if not match or match.group(1) != bucket:
        raise Refused(f"{arn}: {where} {uri!r} is not in the registry bucket {bucket}")
    key = match.group(2)
    parts = key.split("/")
    if not key.startswith(prefix) or len(key) == len(prefix) or any(p in ("", ".", "..") for p in parts):
        raise Refused(f"{arn}: {where} {uri!r} is outside s3://{bucket}/{prefix}")
    return key


def _pinned_image(arn: str, index: int, image, settings: Settings, configured, clients) -> str:
    match = _IMAGE.fullmatch(image) if isinstance(image, str) else None
    where = f"{arn}: Containers[{index}].Image {image!r}"
    if not match:
        raise Refused(f"{where} is not an ECR image by digest or tag")
    account, region, repository, digest, tag = match.groups()
    if account != settings.registry_account or region != settings.region or repository not in configured.repositories:
        raise Refused(f"{where} is not in the group's repositories in the registry account")
    base = f"{account}.dkr.ecr.{region}.amazonaws.com/{repository}"
    if digest:
        found = clients.ecr.describe_images(repositoryName=repository, imageIds=[{"imageDigest": digest}])
        if not found.get("imageDetails"):
            raise Refused(f"{where}: no such image")
        return f"{base}@{digest}"
    described = clients.ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]
    if described.get("imageTagMutability") != "IMMUTABLE":
        raise Refused(f"{where}: a tag in a repository with mutable tags; register the image by digest")
    found = clients.ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
    return f"{base}@{found[0]['imageDigest']}"


def find_central(sagemaker, group: str, source_arn: str) -> str | None:
    """The central version copied from ``source_arn``, if one exists."""
    token = None
    while True:
        page = sagemaker.list_model_packages(ModelPackageGroupName=group, **({"NextToken": token} if token else {}))
        for summary in page.get("ModelPackageSummaryList", []):
            described = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            if (described.get("CustomerMetadataProperties") or {}).get(SOURCE_ARN) == source_arn:
                return described["ModelPackageArn"]
        token = page.get("NextToken")
        if not token:
            return None


def _sha256(s3, bucket: str, key: str) -> str:
    digest = hashlib.sha256()
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    for chunk in iter(lambda: body.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def copy_once(s3, bucket: str, source: str, target: str) -> str:
    """Copy server-side, never over an existing object; the source's SHA-256."""
    from botocore.exceptions import ClientError

    checksum = _sha256(s3, bucket, source)
    size = s3.head_object(Bucket=bucket, Key=source)["ContentLength"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key=target)["UploadId"]
    try:
        parts = []
        for number, start in enumerate(range(0, max(size, 1), PART), 1):
            extra = {"CopySourceRange": f"bytes={start}-{min(start + PART, size) - 1}"} if size else {}
            answer = s3.upload_part_copy(Bucket=bucket, Key=target, UploadId=upload, PartNumber=number,
                                         CopySource={"Bucket": bucket, "Key": source}, **extra)
            parts.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
        s3.complete_multipart_upload(Bucket=bucket, Key=target, UploadId=upload, IfNoneMatch="*",
                                     MultipartUpload={"Parts": parts})
    except ClientError as error:
        s3.abort_multipart_upload(Bucket=bucket, Key=target, UploadId=upload)
        code = error.response.get("Error", {}).get("Code")
        if code not in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise
        # Already released (a redelivery or a concurrent delivery): accepted only if identical.
        if _sha256(s3, bucket, target) != checksum:
            raise Refused(f"s3://{bucket}/{target} exists with other content; released objects are never replaced")
    return checksum
