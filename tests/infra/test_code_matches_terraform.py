"""One source of truth: what the code reads, calls and names is what Terraform sets, allows and creates."""

from __future__ import annotations

import importlib
import math
import re

import pytest

from local import stack
from local.shim import ROUTES
from service import config, jobs
from service.keying import engine
from tests.infra.terraform import MODULES, TERRAFORM, blocks, load, locals_of, resources, variables

FUNCTIONS = ["submit", "status", "uploads", "worker", "reconcile"]
TF_FUNCTIONS = locals_of(MODULES / "functions")["functions"]


def handler_module(name: str):
    return importlib.import_module(f"service.handlers.{name}")


def test_terraform_defines_exactly_the_functions_the_code_has():
    assert sorted(TF_FUNCTIONS) == sorted(FUNCTIONS)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_handler_string_points_at_a_real_function(name):
    module_path, _, attribute = TF_FUNCTIONS[name]["handler"].rpartition(".")
    assert callable(getattr(importlib.import_module(module_path), attribute))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_gets_exactly_the_environment_its_code_reads(name):
    assert set(TF_FUNCTIONS[name]["environment"]) == set(handler_module(name).ENVIRONMENT)


def test_every_variable_the_code_reads_is_set_for_some_function():
    set_somewhere = set().union(*(handler_module(n).ENVIRONMENT for n in FUNCTIONS))
    assert set_somewhere == config.ALL_ENV_VARS


def _policy_actions(function: str) -> set[str]:
    """Actions of the function's own policy document (the shared logs/X-Ray statements excluded)."""
    documents = resources(MODULES / "functions", "data")
    statements = documents[("aws_iam_policy_document", function)]["statement"]
    return {action for statement in statements for action in statement["actions"]}


def _shared_actions() -> set[str]:
    statements = resources(MODULES / "functions", "data")[("aws_iam_policy_document", "logs")]["statement"]
    return {action for statement in statements for action in statement["actions"]}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_iam_policy_allows_exactly_the_declared_actions(name):
    module = handler_module(name)
    expected = set(module.IAM_ACTIONS) | set(getattr(module, "EVENT_SOURCE_ACTIONS", set()))
    assert _policy_actions(name) == expected


def test_no_policy_grants_a_wildcard_action():
    for data in resources(MODULES / "functions", "data").values():
        for statement in data.get("statement", []):
            for action in statement.get("actions", []):
                assert "*" not in action, action
    assert _shared_actions() == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


def test_visibility_timeout_is_at_least_six_times_the_worker_timeout():
    queue = resources(MODULES / "queue")[("aws_sqs_queue", "jobs")]
    assert queue["visibility_timeout_seconds"] == "${var.worker_timeout_seconds * var.visibility_timeout_multiplier}"
    multiplier = variables(MODULES / "queue")["visibility_timeout_multiplier"]
    assert multiplier["default"] >= 6
    assert ">= 6" in multiplier["validation"][0]["condition"]
    root_modules = {name: body for block in blocks(TERRAFORM, "module") for name, body in block.items()}
    assert root_modules["queue"]["worker_timeout_seconds"] == root_modules["functions"]["worker_timeout_seconds"]
    assert root_modules["queue"]["max_receive_count"] == root_modules["functions"]["max_receive_count"]


def test_worker_max_attempts_is_the_queues_max_receive_count():
    assert TF_FUNCTIONS["worker"]["environment"]["MAX_ATTEMPTS"] == "${tostring(var.max_receive_count)}"
    assert variables(MODULES / "queue")["max_receive_count"]["default"] == stack.MAX_RECEIVE_COUNT


def test_worker_event_source_reports_partial_batch_failures():
    mapping = resources(MODULES / "functions")[("aws_lambda_event_source_mapping", "worker")]
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]


def test_worker_is_sized_for_video_well_above_the_seed():
    worker_vars = variables(MODULES / "functions")
    assert worker_vars["worker_timeout_seconds"]["default"] > 60
    assert worker_vars["worker_memory_mb"]["default"] > 2048
    assert worker_vars["worker_ephemeral_storage_mb"]["default"] > 512
    function = resources(MODULES / "functions")[("aws_lambda_function", "this")]
    assert function["architectures"] == ["x86_64"]
    assert function["runtime"] == "python3.11"
    assert "var.worker_reserved_concurrency" in function["reserved_concurrent_executions"]


def terraform_arithmetic(expression: str, values: dict[str, float]) -> float:
    """Evaluate one of our own Terraform number expressions (names, + - * /, floor) in Python."""
    body = expression.removeprefix("${").removesuffix("}")
    body = re.sub(r"\b(?:var|local)\.(\w+)", lambda name: repr(values[name.group(1)]), body)
    assert re.fullmatch(r"[\d\s.+\-*/()floor]+", body), body
    return eval(body, {"__builtins__": {}, "floor": math.floor})  # noqa: S307 - checked to be arithmetic above


def test_worker_memory_model_is_the_engines_and_every_environment_fits_its_largest_frame():
    tf = locals_of(MODULES / "functions")
    assert tf["keying_memory_base_mb"] == engine.MEMORY_BASE_MB
    assert tf["keying_memory_bytes_per_pixel"] == engine.MEMORY_BYTES_PER_PIXEL
    for memory_mb in (1024, 2265, 4096, 10240):
        fits = terraform_arithmetic(tf["worker_pixels_that_fit"], {**tf, "worker_memory_mb": memory_mb})
        assert fits == engine.pixels_that_fit(memory_mb)
    function = resources(MODULES / "functions")[("aws_lambda_function", "this")]
    (check,) = function["lifecycle"][0]["precondition"]
    assert check["condition"] == '${each.key != "worker" || var.max_pixels <= local.worker_pixels_that_fit}'
    defaults = {name: body["default"] for name, body in variables(TERRAFORM).items() if "default" in body}
    for tfvars in [None, *sorted((TERRAFORM / "environments").glob("*.tfvars"))]:
        settings = defaults | (load(tfvars) if tfvars else {})
        assert settings["max_pixels"] <= engine.pixels_that_fit(settings["worker_memory_mb"]), tfvars


def test_local_stack_uses_terraforms_names_and_settings():
    names = stack.stack_names(variables(TERRAFORM)["name"]["default"])
    queue = resources(MODULES / "queue")
    assert queue[("aws_sqs_queue", "jobs")]["name"].replace("${var.name}", stack.NAME_PREFIX) == names.job_queue
    assert (
        queue[("aws_sqs_queue", "dead_letter")]["name"].replace("${var.name}", stack.NAME_PREFIX)
        == names.dead_letter_queue
    )
    assert variables(MODULES / "queue")["visibility_timeout_multiplier"]["default"] == stack.VISIBILITY_TIMEOUT_FACTOR
    assert variables(MODULES / "queue")["dlq_retention_seconds"]["default"] == stack.DLQ_RETENTION_S
    table = resources(MODULES / "jobs_table")[("aws_dynamodb_table", "jobs")]
    assert table["name"].replace("${var.name}", stack.NAME_PREFIX) == names.jobs_table
    assert table["hash_key"] == jobs.HASH_KEY
    assert table["ttl"][0]["attribute_name"] == jobs.TTL_ATTRIBUTE
    bucket = resources(MODULES / "storage")[("aws_s3_bucket", "this")]["bucket"]
    # S3 names are global, so AWS appends the account id; the local names are the same prefix.
    for kind, local_name in (("input", names.input_bucket), ("output", names.output_bucket)):
        expected = bucket.replace("${var.name}", stack.NAME_PREFIX).replace("${each.key}", kind)
        assert expected.startswith(local_name + "-")
    assert variables(TERRAFORM)["region"]["default"] == stack.REGION


def test_shim_routes_are_the_api_gateway_routes():
    tf_routes = locals_of(MODULES / "api")["routes"]
    shim_routes = {route_key: handler.__module__.rsplit(".", 1)[-1] for route_key, _, handler in ROUTES}
    assert tf_routes == shim_routes
    integration = resources(MODULES / "api")[("aws_apigatewayv2_integration", "this")]
    assert integration["payload_format_version"] == "2.0"


def test_auth_modes_of_terraform_are_understood_by_the_code():
    for directory, name in ((MODULES / "api", "auth"), (MODULES / "functions", "auth_mode")):
        condition = variables(directory)[name]["validation"][0]["condition"]
        modes = set(re.findall(r"\[(.*?)\]", condition)[0].replace('"', "").replace(" ", "").split(","))
        assert modes == {"none", "iam", "jwt"}
        assert modes <= set(config.AUTH_MODES)
