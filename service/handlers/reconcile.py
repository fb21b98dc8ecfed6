"""Scheduled reconciler: ends stuck and dead-lettered jobs in ERROR."""

from __future__ import annotations

from service import config
from service.aws import clients
from service.reconcile import reconcile
from service.wiring import services

ENVIRONMENT = frozenset({
    config.ENV_JOBS_TABLE, config.ENV_DEAD_LETTER_QUEUE_URL, config.ENV_STALE_JOB_AFTER_S,
})  # fmt: skip

IAM_ACTIONS = frozenset({"dynamodb:Scan", "dynamodb:UpdateItem", "sqs:ReceiveMessage"})


def handler(event: dict, context: object = None) -> dict:
    deps = services()
    report = reconcile(
        deps.jobs, clients().sqs, deps.settings.require("dead_letter_queue_url"), deps.settings.stale_job_after_s
    )
    return report.as_dict()
