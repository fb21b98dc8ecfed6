"""SQS-triggered worker: each record is one job; failed records are reported, not re-run."""

from __future__ import annotations

import logging

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from service import config
from service.processing import Delivery, process_delivery
from service.queue import decode_message
from service.wiring import services

ENVIRONMENT = frozenset({
    config.ENV_JOBS_TABLE, config.ENV_INPUT_BUCKET, config.ENV_OUTPUT_BUCKET, config.ENV_WORK_DIR,
    config.ENV_MAX_INPUT_BYTES, config.ENV_DOWNLOAD_TIMEOUT_S, config.ENV_MAX_ATTEMPTS,
    config.ENV_FETCH_ALLOW_HTTP, config.ENV_FETCH_ALLOWED_NETWORKS, config.ENV_MAX_DURATION_S,
    config.ENV_MAX_PIXELS, config.ENV_FFMPEG_PATH,
})  # fmt: skip

IAM_ACTIONS = frozenset(
    {"dynamodb:GetItem", "dynamodb:UpdateItem", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}
)
# Not called by this code but by Lambda's SQS event source mapping, with this function's role.
EVENT_SOURCE_ACTIONS = frozenset(
    {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}
)

logging.getLogger("green-screen-remover").setLevel(logging.INFO)


def handler(event: dict, context) -> dict:
    # A processor per invocation: it holds per-batch state, and the local poller runs batches in
    # parallel threads. All-failed batches still return batchItemFailures rather than raise; the
    # effect on SQS is the same.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def record_handler(record: SQSRecord) -> None:
        delivery = Delivery(
            job_id=decode_message(record.body),
            receive_count=int(record.attributes.approximate_receive_count),
            remaining_s=lambda: context.get_remaining_time_in_millis() / 1000.0,
        )
        process_delivery(delivery, services())

    return process_partial_response(event, record_handler, processor, context)
