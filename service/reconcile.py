"""The reconciler: finishes jobs that nothing will finish any more, so none stays stuck.

* a job whose message is in the dead-letter queue;
* a PROCESSING job whose lease ran out long ago (its worker died and no redelivery came);
* a PENDING job older than the stale limit (its message was lost or dead-lettered).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from service.errors import BadRequest
from service.jobs import PENDING, PROCESSING, JobStore
from service.queue import decode_message

logger = logging.getLogger("green-screen-remover")
DLQ_BATCH = 10


@dataclass
class ReconcileReport:
    dead_lettered: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"deadLettered": self.dead_lettered, "stale": self.stale}


def _age_s(iso: str, now: float) -> float:
    try:
        return now - datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("inf")


def finish_dead_lettered(jobs: JobStore, sqs, dlq_url: str, report: ReconcileReport, max_messages: int = 1000) -> None:
    """Mark the job of every DLQ message ERROR. The messages stay in the DLQ for inspection."""
    seen: set[str] = set()
    while len(seen) < max_messages:
        response = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=DLQ_BATCH, VisibilityTimeout=30, WaitTimeSeconds=0,
            AttributeNames=["ApproximateReceiveCount"],
        )  # fmt: skip
        messages = response.get("Messages", [])
        if not messages or all(m["MessageId"] in seen for m in messages):
            return
        for message in messages:
            seen.add(message["MessageId"])
            try:
                job_id = decode_message(message["Body"])
            except BadRequest:
                continue
            if jobs.mark_error(job_id, "gave up: the job's message could not be processed and was dead-lettered"):
                report.dead_lettered.append(job_id)


def finish_stale(jobs: JobStore, stale_after_s: float, report: ReconcileReport, now: float | None = None) -> None:
    now = time.time() if now is None else now
    for job in jobs.scan_unfinished():
        if job.status == PROCESSING and job.lease_until < now - stale_after_s:
            reason = "gave up: the worker stopped responding and the job was not retried"
        elif job.status == PENDING and _age_s(job.updated_at, now) > stale_after_s:
            reason = f"gave up: the job waited more than {stale_after_s:.0f} s without being processed"
        else:
            continue
        if jobs.mark_error(job.job_id, reason):
            report.stale.append(job.job_id)


def reconcile(jobs: JobStore, sqs, dlq_url: str | None, stale_after_s: float) -> ReconcileReport:
    report = ReconcileReport()
    if dlq_url:
        finish_dead_lettered(jobs, sqs, dlq_url, report)
    finish_stale(jobs, stale_after_s, report)
    logger.info("reconciled: %s", report.as_dict())
    return report
