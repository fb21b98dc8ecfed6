"""Local resources with the same names and settings Terraform gives the real ones.

``tests/infra/test_local_matches_terraform.py`` checks these values against ``terraform/``.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from service import config
from service.jobs import HASH_KEY, TTL_ATTRIBUTE

NAME_PREFIX = "green-screen-remover"
MAX_RECEIVE_COUNT = 3  # terraform: var.max_receive_count
VISIBILITY_TIMEOUT_FACTOR = 6  # terraform: visibility timeout = 6 x worker timeout
LOCAL_WORKER_TIMEOUT_S = 300  # a laptop's stand-in for var.worker_timeout
DLQ_RETENTION_S = 14 * 86400  # terraform: message_retention_seconds on the DLQ
REGION = "eu-central-1"


@dataclass(frozen=True)
class StackNames:
    jobs_table: str
    job_queue: str
    dead_letter_queue: str
    input_bucket: str
    output_bucket: str


def stack_names(prefix: str = NAME_PREFIX) -> StackNames:
    return StackNames(
        jobs_table=f"{prefix}-jobs",
        job_queue=f"{prefix}-jobs",
        dead_letter_queue=f"{prefix}-jobs-dlq",
        input_bucket=f"{prefix}-input",
        output_bucket=f"{prefix}-output",
    )


@dataclass(frozen=True)
class StackResources:
    names: StackNames
    job_queue_url: str
    dead_letter_queue_url: str


def _create_bucket(s3: Any, name: str) -> None:
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )  # fmt: skip


def _create_table(dynamodb: Any, name: str) -> None:
    try:
        dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": HASH_KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": HASH_KEY, "KeyType": "HASH"}],
        )
        dynamodb.get_waiter("table_exists").wait(TableName=name)
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
        )
    except dynamodb.exceptions.ResourceInUseException:
        pass


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> str:
    """Create the queue, or bring an existing one to these attributes."""
    try:
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except sqs.exceptions.QueueNameExists:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        return url


def _create_queues(sqs: Any, names: StackNames, worker_timeout_s: int) -> tuple[str, str]:
    dlq_url = _ensure_queue(sqs, names.dead_letter_queue, {"MessageRetentionPeriod": str(DLQ_RETENTION_S)})
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
    queue_url = _ensure_queue(
        sqs,
        names.job_queue,
        {"VisibilityTimeout": str(VISIBILITY_TIMEOUT_FACTOR * worker_timeout_s), "RedrivePolicy": redrive},
    )
    return queue_url, dlq_url


def bootstrap(session: Any, names: StackNames, worker_timeout_s: int = LOCAL_WORKER_TIMEOUT_S) -> StackResources:
    """Create (or reuse) the buckets, table, queue and DLQ. Idempotent."""
    s3, dynamodb, sqs = session.client("s3"), session.client("dynamodb"), session.client("sqs")
    for bucket in (names.input_bucket, names.output_bucket):
        _create_bucket(s3, bucket)
    _create_table(dynamodb, names.jobs_table)
    queue_url, dlq_url = _create_queues(sqs, names, worker_timeout_s)
    return StackResources(names, queue_url, dlq_url)


def handler_environment(
    resources: StackResources, fetch_allowed_networks: str = "", allow_http: bool = False
) -> dict[str, str]:
    """What Terraform would set for the functions, for the local process."""
    names = resources.names
    return {
        config.ENV_JOBS_TABLE: names.jobs_table,
        config.ENV_JOB_QUEUE_URL: resources.job_queue_url,
        config.ENV_DEAD_LETTER_QUEUE_URL: resources.dead_letter_queue_url,
        config.ENV_INPUT_BUCKET: names.input_bucket,
        config.ENV_OUTPUT_BUCKET: names.output_bucket,
        config.ENV_MAX_ATTEMPTS: str(MAX_RECEIVE_COUNT),
        config.ENV_FETCH_ALLOW_HTTP: "true" if allow_http else "false",
        config.ENV_FETCH_ALLOWED_NETWORKS: fetch_allowed_networks,
    }
