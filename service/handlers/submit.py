"""POST /submit: validate, create a PENDING job, queue it, answer 202."""

from __future__ import annotations

from service import config
from service.api import parse_submit, submit_job
from service.http import caller_identity, handle, header, json_body, json_response
from service.wiring import services

ENVIRONMENT = frozenset({
    config.ENV_JOBS_TABLE, config.ENV_JOB_QUEUE_URL, config.ENV_INPUT_BUCKET,
    config.ENV_FETCH_ALLOW_HTTP, config.ENV_FETCH_ALLOWED_NETWORKS,
    config.ENV_JOB_RETENTION_DAYS,
})  # fmt: skip

# The AWS actions this function's code performs (Terraform grants exactly these; tests/infra checks).
IAM_ACTIONS = frozenset({"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem", "sqs:SendMessage"})


def _submit(event: dict) -> dict:
    deps = services()
    request = parse_submit(json_body(event), caller_identity(event), header(event, "Idempotency-Key"), deps)
    job = submit_job(request, deps)
    return json_response(202, {"jobId": job.job_id, "status": job.status})


def handler(event: dict, context: object = None) -> dict:
    return handle(event, _submit)
