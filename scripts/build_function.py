"""Build build/function.zip: the service package plus its pinned dependencies for Lambda.

Dependencies are the manylinux x86_64 CPython 3.11 wheels of requirements.txt, whatever the build
machine is. boto3/botocore are left to the Lambda Python runtime, which ships them: the function
plus the FFmpeg layer must fit in Lambda's 250 MB unzipped limit, and FFmpeg alone is ~172 MB.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from scripts.packaging import unzipped_size, write_zip

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six")
# Files Lambda never needs: test suites, type stubs, build headers.
PRUNE_DIRS = ("tests", "include", "f2py", "_pyinstaller")
PRUNE_SUFFIXES = (".pyi", ".pxd", ".h", ".c")


def _runtime_requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    keep = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [req for req in keep if req.split("==")[0].lower() not in PROVIDED_BY_RUNTIME]


def install_dependencies(target: Path) -> None:
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps",
            "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.11",
            "--only-binary=:all:", "--target", str(target), *_runtime_requirements(),
        ],
        check=True,
    )  # fmt: skip


def prune(target: Path) -> None:
    for directory in sorted(target.rglob("*"), reverse=True):
        if directory.is_dir() and directory.name in PRUNE_DIRS and "numpy" in directory.parts:
            shutil.rmtree(directory, ignore_errors=True)
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in PRUNE_SUFFIXES:
            path.unlink()


def build(output: Path = BUILD / "function.zip") -> Path:
    staging = BUILD / "function"
    shutil.rmtree(staging, ignore_errors=True)
    install_dependencies(staging)
    prune(staging)
    shutil.copytree(ROOT / "service", staging / "service", ignore=shutil.ignore_patterns("__pycache__"))
    write_zip(staging, output)
    print(f"{output}: {output.stat().st_size / 1e6:.1f} MB zipped, {unzipped_size(output) / 1e6:.1f} MB unzipped")
    return output


if __name__ == "__main__":
    build()
