"""S3: the private output bucket (presigned GETs made at request time) and presigned uploads."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

UPLOAD_PREFIX = "uploads/"
OUTPUT_PREFIX = "jobs/"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_TRANSFER = TransferConfig(multipart_threshold=64 * 1024**2, multipart_chunksize=64 * 1024**2)


def output_key(job_id: str, output_format: str) -> str:
    """Deterministic, so a retried upload overwrites instead of duplicating."""
    return f"{OUTPUT_PREFIX}{job_id}.{output_format}"


class Storage:
    def __init__(self, s3: Any, input_bucket: str | None, output_bucket: str | None) -> None:
        self._s3 = s3
        self._input_bucket = input_bucket
        self._output_bucket = output_bucket

    def upload_output(self, path: Path, key: str, content_type: str) -> None:
        self._s3.upload_file(
            str(path), self._output_bucket, key, ExtraArgs={"ContentType": content_type}, Config=_TRANSFER
        )

    def output_url(self, key: str, ttl_s: int) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._output_bucket, "Key": key}, ExpiresIn=ttl_s
        )

    def upload_target(self, filename: str | None, content_type: str, ttl_s: int) -> tuple[str, str]:
        """A presigned PUT URL and the ``s3://`` URI the object will have."""
        name = _SAFE_NAME.sub("_", filename or "input.mp4").strip("._")[:100] or "input.mp4"
        key = f"{UPLOAD_PREFIX}{uuid.uuid4()}/{name}"
        url = self._s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": self._input_bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=ttl_s,
        )
        return url, f"s3://{self._input_bucket}/{key}"
