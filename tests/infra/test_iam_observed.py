"""Run each handler with only its Terraform environment and record every AWS call it makes.

Every call (presigned URLs included: they are signed for an action the role must hold) must be in
that function's IAM_ACTIONS, which test_code_matches_terraform.py compares with Terraform.
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from local.stack import REGION, bootstrap, handler_environment, stack_names
from service import wiring
from service.aws import clients
from service.handlers import reconcile, status, submit, uploads, worker
from tests.events import FakeContext, api_event, sqs_event

# Operations whose IAM action is not simply service:Operation.
S3_ACTION_OF = {
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "HeadObject": "GetObject",
}


class CallRecorder:
    def __init__(self) -> None:
        self.actions: set[str] = set()

    def __call__(self, model, **_kwargs) -> None:
        service = model.service_model.signing_name
        operation = model.name
        if service == "s3":
            operation = S3_ACTION_OF.get(operation, operation)
        self.actions.add(f"{service}:{operation}")

    def attach(self) -> None:
        for client in (clients().dynamodb, clients().s3, clients().sqs):
            client.meta.events.register("before-parameter-build", self)


@pytest.fixture()
def restricted(monkeypatch):
    """moto AWS; ``environment_for(module)`` leaves only that function's Terraform variables set."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        resources = bootstrap(session, stack_names())
        full = handler_environment(resources)

        def environment_for(module) -> CallRecorder:
            for name in full:
                monkeypatch.delenv(name, raising=False)
            for name in module.ENVIRONMENT:
                if name in full:
                    monkeypatch.setenv(name, full[name])
            wiring.reset()
            recorder = CallRecorder()
            recorder.attach()
            return recorder

        yield session, resources, environment_for
    wiring.reset()


def test_every_handler_calls_only_what_its_role_allows(restricted, clips):
    session, resources, environment_for = restricted
    session.client("s3").upload_file(str(clips["silent"]), resources.names.input_bucket, "in.mp4")
    observed = {}

    recorder = environment_for(submit)
    body = json.dumps({"inputUrl": f"s3://{resources.names.input_bucket}/in.mp4"})
    response = submit.handler(api_event("POST", "/submit", body, headers={"idempotency-key": "k1"}))
    assert response["statusCode"] == 202, response
    job_id = json.loads(response["body"])["jobId"]
    submit.handler(api_event("POST", "/submit", body, headers={"idempotency-key": "k1"}))
    observed["submit"] = recorder.actions

    recorder = environment_for(worker)
    assert worker.handler(sqs_event(json.dumps({"jobId": job_id})), FakeContext()) == {"batchItemFailures": []}
    observed["worker"] = recorder.actions

    recorder = environment_for(status)
    response = status.handler(api_event("GET", f"/status/{job_id}", path_parameters={"jobId": job_id}))
    assert json.loads(response["body"])["status"] == "DONE"
    observed["status"] = recorder.actions

    recorder = environment_for(uploads)
    assert uploads.handler(api_event("POST", "/uploads", "{}"))["statusCode"] == 201
    observed["uploads"] = recorder.actions

    recorder = environment_for(reconcile)
    assert reconcile.handler({}, FakeContext()) == {"deadLettered": [], "stale": []}
    observed["reconcile"] = recorder.actions

    for name, module in {
        "submit": submit,
        "status": status,
        "uploads": uploads,
        "worker": worker,
        "reconcile": reconcile,
    }.items():
        assert observed[name], f"{name} made no AWS calls: the recorder is not attached"
        assert observed[name] <= module.IAM_ACTIONS, (
            f"{name} calls {observed[name] - module.IAM_ACTIONS} without permission"
        )
    assert {"dynamodb:PutItem", "sqs:SendMessage"} <= observed["submit"]
    assert {"dynamodb:UpdateItem", "s3:GetObject", "s3:PutObject"} <= observed["worker"]
