"""The HTTP API's logic: submit a job, read its status, get an upload URL. No AWS event shapes here."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from service.errors import BadRequest, NotFound, ServiceError
from service.jobs import DONE, PROCESSING, Job, JobStore, new_job_id
from service.keying.options import KeyOptions, parse_key_options
from service.urlpolicy import UrlRefused
from service.wiring import Services

logger = logging.getLogger("green-screen-remover")
JOB_ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SUBMIT_FIELDS = frozenset({"inputUrl", "options"})
UPLOAD_FIELDS = frozenset({"filename", "contentType"})
UPLOAD_CONTENT_TYPES = frozenset(
    {"video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "image/gif", "application/octet-stream"}
)
MAX_IDEMPOTENCY_KEY_LENGTH = 128


class QueueUnavailable(ServiceError):
    status = 503
    code = "queue_unavailable"


def _reject_unknown_fields(body: dict, allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(
            f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
            code="unknown_field",
        )


@dataclass(frozen=True)
class SubmitRequest:
    input_url: str
    options: KeyOptions
    owner: str | None = None
    idempotency_key: str | None = None


def parse_submit(body: dict, owner: str | None, idempotency_key: str | None, services: Services) -> SubmitRequest:
    _reject_unknown_fields(body, SUBMIT_FIELDS)
    if "inputUrl" not in body:
        raise BadRequest(
            "inputUrl: field required (an https:// URL or s3://<input-bucket>/<key>)", code="missing_field"
        )
    input_url = body["inputUrl"]
    if not isinstance(input_url, str):
        raise BadRequest("inputUrl: must be a string", code="invalid_field")
    try:
        services.url_policy.check_syntax(input_url)
    except UrlRefused as exc:
        raise BadRequest(f"inputUrl: {exc.reason}", code="invalid_input_url") from None
    if idempotency_key is not None and not (0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH):
        raise BadRequest(f"Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters")
    return SubmitRequest(input_url, parse_key_options(body.get("options")), owner, idempotency_key)


def _idempotency_record_id(owner: str | None, key: str) -> str:
    digest = hashlib.sha256(f"{owner or ''}\x00{key}".encode()).hexdigest()
    return f"idempotency#{digest}"


def submit_job(request: SubmitRequest, services: Services) -> Job:
    """Create the job and queue it. A failed send removes the job again, leaving no orphan."""
    jobs = services.jobs
    job = Job(
        job_id=new_job_id(), input_url=request.input_url, options=request.options.to_public(), owner=request.owner
    )
    if request.idempotency_key:
        existing = jobs.remember_idempotency_key(
            _idempotency_record_id(request.owner, request.idempotency_key), job.job_id
        )
        if existing:
            found = jobs.get(existing)
            if found:
                return found
    jobs.create(job)
    try:
        services.queue.send(job.job_id, job.input_url)
    except (BotoCoreError, ClientError) as exc:
        logger.error("queueing job %s failed: %s", job.job_id, exc)
        jobs.delete_pending(job.job_id)
        raise QueueUnavailable("the job queue is unavailable; nothing was created, try again") from None
    return job


def validate_job_id(job_id: str | None) -> str:
    if not job_id or not JOB_ID_PATTERN.match(job_id):
        raise BadRequest("jobId must be a job id as returned by POST /submit (a lowercase UUID)", code="invalid_job_id")
    return job_id


def visible_job(jobs: JobStore, job_id: str, caller: str | None, auth_enabled: bool) -> Job:
    job = jobs.get(validate_job_id(job_id))
    # A job made by someone else is reported exactly like a missing one.
    if job is None or (auth_enabled and job.owner != caller):
        raise NotFound(f"no job with id {job_id}")
    return job


def status_document(job: Job, services: Services) -> dict:
    """The seed's data model plus updatedAt, options and progress; outputUrl is presigned now."""
    output_url = None
    if job.status == DONE and job.output_key:
        output_url = services.storage.output_url(job.output_key, services.settings.output_url_ttl_s)
    return {
        "jobId": job.job_id,
        "inputUrl": job.input_url,
        "status": job.status,
        "outputUrl": output_url,
        "createdAt": job.created_at,
        "updatedAt": job.updated_at,
        "error": job.error,
        "options": job.options,
        "progress": job.progress if job.status in {PROCESSING, DONE} else 0,
    }


def parse_upload(body: dict) -> tuple[str | None, str]:
    _reject_unknown_fields(body, UPLOAD_FIELDS)
    filename = body.get("filename")
    content_type = body.get("contentType", "video/mp4")
    if filename is not None and (not isinstance(filename, str) or not 0 < len(filename) <= 255):
        raise BadRequest("filename: must be a string of 1 to 255 characters", code="invalid_field")
    if content_type not in UPLOAD_CONTENT_TYPES:
        raise BadRequest(f"contentType: must be one of {', '.join(sorted(UPLOAD_CONTENT_TYPES))}", code="invalid_field")
    return filename, content_type
