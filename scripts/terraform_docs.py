"""Render the Inputs/Outputs tables of each Terraform README from variables.tf and outputs.tf.

Like terraform-docs: the tables live between BEGIN_TF_DOCS/END_TF_DOCS markers, the prose around
them is kept. `python -m scripts.terraform_docs` rewrites them; tests/infra checks they are current.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def unquote(value: object, drop_markers: bool = True) -> object:
    """Strip hcl2's string quotes and comments; ``drop_markers`` also drops ``__is_block__``."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [unquote(v, drop_markers) for v in value]
    if isinstance(value, dict):
        dropped = ("__",) if drop_markers else ("__comments__", "__inline_comments__")
        return {unquote(k): unquote(v, drop_markers) for k, v in value.items() if not str(k).startswith(dropped)}
    return value


def _blocks(directory: Path, filename: str, kind: str) -> dict[str, dict]:
    path = directory / filename
    if not path.exists():
        return {}
    parsed = hcl2.load(path.open())
    return {unquote(name): unquote(body) for block in parsed.get(kind, []) for name, body in block.items()}


def _cell(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = re.sub(r"\$\{(.*?)\}", r"\1", text).replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if text else ""


def render(directory: Path) -> str:
    lines = ["## Inputs", "", "| Name | Description | Type | Default |", "|------|-------------|------|---------|"]
    for name, body in _blocks(directory, "variables.tf", "variable").items():
        default = _cell(body["default"]) if "default" in body else "required"
        lines.append(f"| `{name}` | {body.get('description', '')} | {_cell(body.get('type', ''))} | {default} |")
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name, body in _blocks(directory, "outputs.tf", "output").items():
        lines.append(f"| `{name}` | {body.get('description', '')} |")
    return "\n".join([BEGIN, *lines, END])


def updated_readme(directory: Path) -> str:
    readme = (directory / "README.md").read_text()
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + render(directory) + readme[end:]


def directories() -> list[Path]:
    terraform = ROOT / "terraform"
    return [terraform, *sorted(p for p in (terraform / "modules").iterdir() if p.is_dir())]


def main() -> int:
    for directory in directories():
        (directory / "README.md").write_text(updated_readme(directory))
        print(f"updated {directory.relative_to(ROOT)}/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
