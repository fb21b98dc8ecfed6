"""The job record and its state machine: PENDING -> PROCESSING -> DONE | ERROR.

Every transition is a conditional write, so a duplicate or late SQS delivery can never move a
finished job backwards, and two workers can never both hold the same job. A worker holds a
*lease* (``leaseUntil``); a delivery after the lease has expired may take the job over.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

PENDING = "PENDING"
PROCESSING = "PROCESSING"
DONE = "DONE"
ERROR = "ERROR"
TERMINAL_STATUSES = frozenset({DONE, ERROR})

# Names of the table's key and TTL attributes; Terraform's jobs_table module uses the same.
HASH_KEY = "jobId"
TTL_ATTRIBUTE = "expiresAt"


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Job:
    job_id: str
    input_url: str
    status: str = PENDING
    options: dict[str, Any] = field(default_factory=dict)
    created_at: str = field(default_factory=utc_now_iso)
    updated_at: str = field(default_factory=utc_now_iso)
    progress: int = 0
    error: str | None = None
    output_key: str | None = None
    attempts: int = 0
    lease_until: float = 0.0
    owner: str | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def lease_is_live(self, now: float) -> bool:
        return self.status == PROCESSING and self.lease_until > now


def _to_item(job: Job, expires_at: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        HASH_KEY: {"S": job.job_id},
        "inputUrl": {"S": job.input_url},
        "status": {"S": job.status},
        "options": {"S": json.dumps(job.options, sort_keys=True)},
        "createdAt": {"S": job.created_at},
        "updatedAt": {"S": job.updated_at},
        "progress": {"N": str(job.progress)},
        "attempts": {"N": str(job.attempts)},
        "leaseUntil": {"N": str(job.lease_until)},
        TTL_ATTRIBUTE: {"N": str(expires_at)},
    }
    if job.owner:
        item["owner"] = {"S": job.owner}
    return item


def _from_item(item: dict[str, Any]) -> Job:
    def s(name: str) -> str | None:
        return item[name]["S"] if name in item and "S" in item[name] else None

    def n(name: str) -> float:
        return float(item[name]["N"]) if name in item and "N" in item[name] else 0.0

    return Job(
        job_id=item[HASH_KEY]["S"],
        input_url=s("inputUrl") or "",
        status=s("status") or PENDING,
        options=json.loads(s("options") or "{}"),
        created_at=s("createdAt") or "",
        updated_at=s("updatedAt") or "",
        progress=int(n("progress")),
        error=s("error"),
        output_key=s("outputKey"),
        attempts=int(n("attempts")),
        lease_until=n("leaseUntil"),
        owner=s("owner"),
    )


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class JobStore:
    """DynamoDB-backed job records. ``clock`` is injectable so tests can expire leases."""

    def __init__(self, dynamodb: Any, table: str, retention_days: int = 30, clock=time.time):
        self._db = dynamodb
        self._table = table
        self._retention_s = retention_days * 86400
        self._clock = clock

    def create(self, job: Job) -> None:
        """Write a new PENDING job; fails if the id already exists."""
        item = _to_item(job, expires_at=int(self._clock()) + self._retention_s)
        self._db.put_item(
            TableName=self._table,
            Item=item,
            ConditionExpression="attribute_not_exists(#id)",
            ExpressionAttributeNames={"#id": HASH_KEY},
        )

    def remember_idempotency_key(self, record_id: str, job_id: str) -> str | None:
        """Bind an idempotency key to ``job_id``; return the job id it was already bound to, if any."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    HASH_KEY: {"S": record_id},
                    "targetJobId": {"S": job_id},
                    TTL_ATTRIBUTE: {"N": str(int(self._clock()) + self._retention_s)},
                },
                ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": HASH_KEY},
            )
            return None
        except ClientError as exc:
            if not _is_condition_failure(exc):
                raise
        response = self._db.get_item(TableName=self._table, Key={HASH_KEY: {"S": record_id}}, ConsistentRead=True)
        return response.get("Item", {}).get("targetJobId", {}).get("S")

    def get(self, job_id: str) -> Job | None:
        response = self._db.get_item(TableName=self._table, Key={HASH_KEY: {"S": job_id}}, ConsistentRead=True)
        item = response.get("Item")
        return _from_item(item) if item else None

    def delete_pending(self, job_id: str) -> None:
        """Remove a job that never reached the queue (compensation for a failed send)."""
        self._conditional_update(
            job_id,
            None,
            condition="#st = :pending",
            values={":pending": {"S": PENDING}},
            delete=True,
        )

    def claim(self, job_id: str, lease_s: float) -> Job | None:
        """Take the job for processing; ``None`` when another worker holds it or it is finished.

        A PENDING job, or a PROCESSING job whose lease has expired (its worker died), is taken:
        ``attempts`` goes up by one and a new lease starts.
        """
        now = self._clock()
        return self._conditional_update(
            job_id,
            "SET #st = :processing, attempts = if_not_exists(attempts, :zero) + :one, "
            "leaseUntil = :lease, progress = :zero, updatedAt = :now",
            condition="attribute_exists(#id) AND (#st = :pending OR (#st = :processing AND leaseUntil < :clock))",
            values={
                ":processing": {"S": PROCESSING},
                ":pending": {"S": PENDING},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":lease": {"N": str(now + lease_s)},
                ":clock": {"N": str(now)},
                ":now": {"S": utc_now_iso()},
            },
        )

    def heartbeat(self, job_id: str, attempt: int, progress: int, lease_s: float) -> bool:
        """Publish progress and extend the lease; ``False`` when the job is no longer ours."""
        return (
            self._owned_update(
                job_id,
                attempt,
                "SET progress = :progress, leaseUntil = :lease, updatedAt = :now",
                {
                    ":progress": {"N": str(max(0, min(100, progress)))},
                    ":lease": {"N": str(self._clock() + lease_s)},
                },
            )
            is not None
        )

    def mark_done(self, job_id: str, attempt: int, output_key: str) -> Job | None:
        return self._owned_update(
            job_id,
            attempt,
            "SET #st = :done, progress = :hundred, outputKey = :key, updatedAt = :now REMOVE #err, leaseUntil",
            {":done": {"S": DONE}, ":hundred": {"N": "100"}, ":key": {"S": output_key}},
        )

    def release(self, job_id: str, attempt: int, reason: str) -> Job | None:
        """Give a job back for another delivery (retryable failure, deadline)."""
        return self._owned_update(
            job_id,
            attempt,
            "SET #st = :pending, lastError = :reason, leaseUntil = :zero, updatedAt = :now",
            {":pending": {"S": PENDING}, ":reason": {"S": reason}, ":zero": {"N": "0"}},
        )

    def mark_error(self, job_id: str, reason: str, attempt: int | None = None) -> Job | None:
        """End a job in ERROR. With ``attempt``, only if that attempt still owns the job."""
        if attempt is not None:
            return self._owned_update(
                job_id,
                attempt,
                "SET #st = :error, #err = :reason, updatedAt = :now REMOVE leaseUntil",
                {":error": {"S": ERROR}, ":reason": {"S": reason}},
            )
        return self._conditional_update(
            job_id,
            "SET #st = :error, #err = :reason, updatedAt = :now REMOVE leaseUntil",
            condition="attribute_exists(#id) AND #st IN (:pending, :processing)",
            values={
                ":error": {"S": ERROR},
                ":reason": {"S": reason},
                ":pending": {"S": PENDING},
                ":processing": {"S": PROCESSING},
                ":now": {"S": utc_now_iso()},
            },
        )

    def _owned_update(self, job_id: str, attempt: int, expression: str, values: dict[str, Any]) -> Job | None:
        values = {
            **values,
            ":processing": {"S": PROCESSING},
            ":attempt": {"N": str(attempt)},
            ":now": {"S": utc_now_iso()},
        }
        return self._conditional_update(
            job_id,
            expression,
            condition="#st = :processing AND attempts = :attempt",
            values=values,
        )

    def _conditional_update(
        self,
        job_id: str,
        expression: str | None,
        condition: str,
        values: dict[str, Any],
        delete: bool = False,
    ) -> Job | None:
        names = {"#id": HASH_KEY, "#st": "status", "#err": "error"}
        used_names = {k: v for k, v in names.items() if k in condition or k in (expression or "")}
        try:
            if delete:
                self._db.delete_item(
                    TableName=self._table,
                    Key={HASH_KEY: {"S": job_id}},
                    ConditionExpression=condition,
                    ExpressionAttributeNames=used_names,
                    ExpressionAttributeValues=values,
                )
                return None
            used_values = {k: v for k, v in values.items() if k in condition or k in (expression or "")}
            response = self._db.update_item(
                TableName=self._table,
                Key={HASH_KEY: {"S": job_id}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=used_names,
                ExpressionAttributeValues=used_values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _is_condition_failure(exc):
                return None
            raise
        return _from_item(response["Attributes"])

    def scan_unfinished(self) -> list[Job]:
        """Every PENDING or PROCESSING job (the reconciler's input; the table stays small)."""
        jobs: list[Job] = []
        paginator = self._db.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self._table,
            FilterExpression="#st IN (:pending, :processing)",
            ExpressionAttributeNames={"#st": "status"},
            ExpressionAttributeValues={
                ":pending": {"S": PENDING},
                ":processing": {"S": PROCESSING},
            },
        ):
            jobs.extend(_from_item(item) for item in page.get("Items", []))
        return jobs
