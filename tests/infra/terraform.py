"""Read the Terraform configuration with python-hcl2 into plain Python values."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import hcl2

from scripts.terraform_docs import unquote

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
MODULES = TERRAFORM / "modules"


@cache
def load(path: Path) -> dict:
    with path.open() as handle:
        return unquote(hcl2.load(handle), drop_markers=False)


def tf_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf"))


def module_dir(name: str) -> Path:
    return MODULES / name


def blocks(directory: Path, kind: str) -> list[dict]:
    """All top-level blocks of one kind (resource, data, variable, locals, ...) in a directory."""
    found = []
    for path in sorted(directory.glob("*.tf")):
        found.extend(load(path).get(kind, []))
    return found


def resources(directory: Path, kind: str = "resource") -> dict[tuple[str, str], dict]:
    """``{(type, name): body}`` for every resource (or data source) in ``directory``."""
    result = {}
    for block in blocks(directory, kind):
        for resource_type, named in block.items():
            for name, body in named.items():
                result[(resource_type, name)] = body
    return result


def locals_of(directory: Path) -> dict:
    merged: dict = {}
    for block in blocks(directory, "locals"):
        merged.update({k: v for k, v in block.items() if k != "__is_block__"})
    return merged


def variables(directory: Path) -> dict[str, dict]:
    return {name: body for block in blocks(directory, "variable") for name, body in block.items()}
