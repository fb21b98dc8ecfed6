"""docker-compose.yml cannot run here (no Docker engine); check it names what the code expects."""

from __future__ import annotations

from pathlib import Path

import yaml

from local.cli import build_parser

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def test_compose_runs_localstack_and_the_shim_against_it():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    localstack, api = services["localstack"], services["api"]
    assert {"s3", "sqs", "dynamodb"} <= set(localstack["environment"]["SERVICES"].split(","))
    command = api["command"]
    endpoint = command.split("--endpoint ")[1].split()[0]
    assert endpoint.split("//")[1].split(":")[0] in localstack["networks"]["default"]["aliases"]
    serve_args = command.split("greenscreen ")[1].split()
    parsed = build_parser().parse_args(serve_args)
    assert parsed.command == "serve" and parsed.host == "0.0.0.0" and parsed.port == 8080
    assert "8080:8080" in api["ports"] and api["depends_on"]["localstack"]["condition"] == "service_healthy"
