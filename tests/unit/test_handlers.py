"""Handlers called with the events AWS sends, against moto's in-process AWS."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError

from service import wiring
from service.handlers import submit, uploads, worker
from service.jobs import ERROR, PENDING
from service.keying import engine
from tests.events import FakeContext, api_event, get_status, sqs_event

VALID_URL = "https://videos.example.com/take-1.mp4"


def post_submit(body, headers=None, authorizer=None) -> tuple[int, dict]:
    raw = body if isinstance(body, str | None) else json.dumps(body)
    response = submit.handler(api_event("POST", "/submit", raw, headers=headers, authorizer=authorizer))
    return response["statusCode"], json.loads(response["body"])


def queued_messages(session, resources) -> list[dict]:
    sqs = session.client("sqs")
    return sqs.receive_message(QueueUrl=resources.job_queue_url, MaxNumberOfMessages=10).get("Messages", [])


def test_submit_creates_a_pending_job_and_queues_it(aws):
    session, resources = aws
    code, body = post_submit({"inputUrl": VALID_URL, "options": {"format": "mov", "strength": 0.6}})
    assert code == 202
    assert body["status"] == PENDING
    messages = queued_messages(session, resources)
    assert [json.loads(m["Body"])["jobId"] for m in messages] == [body["jobId"]]
    code, job = get_status(body["jobId"])
    assert code == 200
    assert job["status"] == PENDING and job["outputUrl"] is None and job["progress"] == 0
    assert job["options"]["format"] == "mov" and job["options"]["strength"] == 0.6
    assert job["createdAt"].endswith("Z") and job["updatedAt"]


@pytest.mark.parametrize(
    ("body", "status_code", "names"),
    [
        (None, 400, "body is missing"),
        ("not json", 400, "not valid JSON"),
        ("[1, 2]", 400, "JSON object"),
        ({}, 400, "inputUrl"),
        ({"inputUrl": 42}, 400, "inputUrl"),
        ({"inputUrl": VALID_URL, "colour": "green"}, 400, "colour"),
        ({"inputUrl": VALID_URL, "options": {"format": "gif"}}, 400, "options.format"),
        ({"inputUrl": VALID_URL, "options": {"strength": 2}}, 400, "options.strength"),
        ({"inputUrl": VALID_URL, "options": {"strength": "high"}}, 400, "options.strength"),
        ({"inputUrl": VALID_URL, "options": {"keyColor": "green"}}, 400, "options.keyColor"),
        ({"inputUrl": VALID_URL, "options": {"bogus": 1}}, 400, "options.bogus"),
        ({"inputUrl": VALID_URL, "options": []}, 400, "options"),
        ({"inputUrl": "ftp://example.com/a.mp4"}, 400, "scheme"),
        ({"inputUrl": "s3://someone-elses-bucket/a.mp4"}, 400, "input bucket"),
        ({"inputUrl": "https://" + "a" * 2100 + ".com/"}, 400, "longer than"),
        ({"inputUrl": VALID_URL, "pad": "x" * 20000}, 413, "larger than"),
    ],
)
def test_submit_rejects_bad_requests_naming_the_problem(aws, body, status_code, names):
    session, resources = aws
    code, response = post_submit(body)
    assert code == status_code
    assert names in response["error"]["message"]
    assert response["error"]["code"]
    assert queued_messages(session, resources) == []


def test_status_rejects_malformed_ids_and_reports_unknown_ones(aws):
    assert get_status("not-a-uuid")[0] == 400
    assert get_status("../../etc/passwd")[0] == 400
    code, body = get_status("00000000-0000-4000-8000-000000000000")
    assert code == 404
    assert body["error"]["code"] == "not_found"


def test_a_failed_queue_send_leaves_no_orphan_job(aws, monkeypatch):
    session, _ = aws
    table = session.client("dynamodb")

    class BrokenQueue:
        def send(self, job_id, input_url):
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")

    monkeypatch.setattr(wiring.Services, "queue", property(lambda self: BrokenQueue()))
    code, body = post_submit({"inputUrl": VALID_URL})
    assert code == 503
    assert "nothing was created" in body["error"]["message"]
    items = table.scan(TableName="green-screen-remover-jobs")["Items"]
    assert items == []


def test_idempotency_key_returns_the_same_job(aws):
    session, resources = aws
    first = post_submit({"inputUrl": VALID_URL}, headers={"idempotency-key": "order-17"})[1]
    second = post_submit({"inputUrl": VALID_URL}, headers={"idempotency-key": "order-17"})[1]
    third = post_submit({"inputUrl": VALID_URL}, headers={"idempotency-key": "order-18"})[1]
    assert first["jobId"] == second["jobId"] != third["jobId"]
    assert len(queued_messages(session, resources)) == 2


def test_with_auth_a_job_is_visible_only_to_its_owner(aws, monkeypatch):
    monkeypatch.setenv("AUTH_MODE", "jwt")
    wiring.reset()
    alice = {"jwt": {"claims": {"sub": "alice", "iss": "https://idp.example.com"}, "scopes": None}}
    bob = {"jwt": {"claims": {"sub": "bob", "iss": "https://idp.example.com"}, "scopes": None}}
    job_id = post_submit({"inputUrl": VALID_URL}, authorizer=alice)[1]["jobId"]
    assert get_status(job_id, authorizer=alice)[0] == 200
    assert get_status(job_id, authorizer=bob)[0] == 404
    assert get_status(job_id)[0] == 404


def test_uploads_returns_a_presigned_put_and_the_s3_uri(aws):
    _, resources = aws
    response = uploads.handler(api_event("POST", "/uploads", json.dumps({"filename": "../../evil name.mp4"})))
    body = json.loads(response["body"])
    assert response["statusCode"] == 201
    assert body["method"] == "PUT"
    assert body["inputUrl"].startswith(f"s3://{resources.names.input_bucket}/uploads/")
    assert ".." not in body["inputUrl"] and " " not in body["inputUrl"]
    assert "X-Amz-Signature=" in body["uploadUrl"]
    bad = uploads.handler(api_event("POST", "/uploads", json.dumps({"contentType": "text/html"})))
    assert bad["statusCode"] == 400


def test_worker_reports_only_the_failed_record_of_a_batch(aws, clips):
    session, resources = aws
    s3 = session.client("s3")
    s3.upload_file(str(clips["silent"]), resources.names.input_bucket, "ok.mp4")
    good = post_submit({"inputUrl": f"s3://{resources.names.input_bucket}/ok.mp4"})[1]["jobId"]
    bad_input = post_submit({"inputUrl": f"s3://{resources.names.input_bucket}/missing.mp4"})[1]["jobId"]
    result = worker.handler(
        sqs_event(json.dumps({"jobId": good}), json.dumps({"jobId": bad_input}), "garbage"), FakeContext()
    )
    # The missing input is a permanent failure (ERROR, acknowledged); only the garbage message returns.
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert get_status(good)[1]["status"] == "DONE"
    failed = get_status(bad_input)[1]
    assert failed["status"] == ERROR and "does not exist" in failed["error"]


def test_a_redelivered_message_of_a_done_job_is_acknowledged_without_work(aws, clips):
    session, resources = aws
    session.client("s3").upload_file(str(clips["silent"]), resources.names.input_bucket, "ok.mp4")
    job_id = post_submit({"inputUrl": f"s3://{resources.names.input_bucket}/ok.mp4"})[1]["jobId"]
    body = json.dumps({"jobId": job_id})
    assert worker.handler(sqs_event(body), FakeContext()) == {"batchItemFailures": []}
    before = get_status(job_id)[1]
    assert worker.handler(sqs_event(body, receive_count=2), FakeContext()) == {"batchItemFailures": []}
    after = get_status(job_id)[1]
    assert after["status"] == "DONE" and after["updatedAt"] == before["updatedAt"]


def test_retryable_failures_are_retried_then_end_in_error_on_the_last_attempt(aws, monkeypatch):
    from service.errors import RetryableFailure
    from service.fetch import Fetcher

    def flaky_fetch(self, url, destination):
        raise RetryableFailure("cannot connect to videos.example.com: connection refused")

    monkeypatch.setattr(Fetcher, "fetch", flaky_fetch)
    job_id = post_submit({"inputUrl": VALID_URL})[1]["jobId"]
    body = json.dumps({"jobId": job_id})
    assert worker.handler(sqs_event(body, receive_count=1), FakeContext())["batchItemFailures"]
    assert get_status(job_id)[1]["status"] == PENDING
    assert worker.handler(sqs_event(body, receive_count=2), FakeContext())["batchItemFailures"]
    assert worker.handler(sqs_event(body, receive_count=3), FakeContext())["batchItemFailures"]
    final = get_status(job_id)[1]
    assert final["status"] == ERROR
    assert final["error"] == "gave up after 3 attempts: cannot connect to videos.example.com: connection refused"


def test_a_frame_larger_than_the_worker_memory_can_key_ends_in_error_saying_so(aws, clips, monkeypatch):
    session, resources = aws
    memory_mb = engine.MEMORY_BASE_MB + 1  # room for 4,096 pixels, not 320x240
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", str(memory_mb))
    wiring.reset()
    session.client("s3").upload_file(str(clips["silent"]), resources.names.input_bucket, "ok.mp4")
    job_id = post_submit({"inputUrl": f"s3://{resources.names.input_bucket}/ok.mp4"})[1]["jobId"]
    assert worker.handler(sqs_event(json.dumps({"jobId": job_id})), FakeContext()) == {"batchItemFailures": []}
    failed = get_status(job_id)[1]
    assert failed["status"] == ERROR
    assert "320x240" in failed["error"] and "4,096 pixels" in failed["error"] and f"{memory_mb} MB" in failed["error"]


class ContextWhereTimePasses(FakeContext):
    """Each look at the clock costs ``step_s`` of the time left: keying runs at a known speed."""

    def __init__(self, remaining_s: float, step_s: float) -> None:
        super().__init__(remaining_s)
        self.step_s = step_s

    def get_remaining_time_in_millis(self) -> int:
        self.remaining_s -= self.step_s
        return super().get_remaining_time_in_millis()


@pytest.mark.parametrize(("remaining_s", "finishes"), [(100.0, False), (1000.0, True)])
def test_a_job_that_cannot_finish_in_time_ends_at_once_saying_why(aws, clips, remaining_s, finishes):
    session, resources = aws
    session.client("s3").upload_file(str(clips["silent"]), resources.names.input_bucket, "ok.mp4")
    job_id = post_submit({"inputUrl": f"s3://{resources.names.input_bucket}/ok.mp4"})[1]["jobId"]
    context = ContextWhereTimePasses(remaining_s, step_s=1.0)  # about 2 s per frame: 50 frames, 100 s
    assert worker.handler(sqs_event(json.dumps({"jobId": job_id})), context) == {"batchItemFailures": []}
    status = get_status(job_id)[1]
    if finishes:
        assert status["status"] == "DONE"
    else:
        assert status["status"] == ERROR, "ended at once, not stopped at the deadline to be retried"
        reason = r"at the [\d.]+ frames/s measured, its 50 frames need about \d+ s; the worker has \d+ s per job"
        assert re.search(reason, status["error"]), status["error"]
