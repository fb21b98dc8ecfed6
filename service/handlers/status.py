"""GET /status/{jobId}: the job record, with a fresh presigned outputUrl when DONE."""

from __future__ import annotations

from service import config
from service.api import status_document, visible_job
from service.http import caller_identity, handle, json_response
from service.wiring import services

ENVIRONMENT = frozenset({
    config.ENV_JOBS_TABLE, config.ENV_OUTPUT_BUCKET, config.ENV_OUTPUT_URL_TTL_S, config.ENV_AUTH_MODE,
})  # fmt: skip

# GetObject is what the presigned output URL is signed for.
IAM_ACTIONS = frozenset({"dynamodb:GetItem", "s3:GetObject"})


def _status(event: dict) -> dict:
    deps = services()
    job_id = (event.get("pathParameters") or {}).get("jobId")
    auth_enabled = deps.settings.auth_mode != "none"
    job = visible_job(deps.jobs, job_id, caller_identity(event), auth_enabled)
    return json_response(200, status_document(job, deps))


def handler(event: dict, context: object = None) -> dict:
    return handle(event, _status)
