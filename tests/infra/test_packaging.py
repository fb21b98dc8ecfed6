"""The zips Terraform deploys build, contain what the handlers import, and fit Lambda's limits."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from scripts import build_function, build_layer
from scripts.packaging import LAMBDA_UNZIPPED_LIMIT_BYTES, unzipped_size
from tests.infra.terraform import MODULES, locals_of

pytestmark = pytest.mark.slow
HANDLER_MODULES = [
    spec["handler"].rpartition(".")[0] for spec in locals_of(MODULES / "functions")["functions"].values()
]


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zips")
    return build_function.build(folder / "function.zip"), build_layer.build(folder / "ffmpeg-layer.zip")


def test_function_zip_imports_every_handler_on_its_own(zips, tmp_path):
    function_zip, _ = zips
    with zipfile.ZipFile(function_zip) as archive:
        archive.extractall(tmp_path / "function")
    # Only the zip and the runtime-provided boto3 are importable, as in Lambda.
    runtime_boto = Path(boto3.__file__).parents[1]
    code = "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]; print('ok')"
    env = {"PYTHONPATH": f"{tmp_path / 'function'}{os.pathsep}{tmp_path / 'boto'}", "PATH": os.environ["PATH"]}
    (tmp_path / "boto").mkdir()
    for package in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py"):
        source = runtime_boto / package
        if source.exists():
            (tmp_path / "boto" / package).symlink_to(source)
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            f"import sys; sys.path[:0] = {env['PYTHONPATH'].split(os.pathsep)!r}; {code}",
            *HANDLER_MODULES,
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.stdout.strip() == "ok", result.stderr[-3000:]


def test_function_zip_is_reproducible(zips, tmp_path):
    function_zip, _ = zips
    again = build_function.build(tmp_path / "again.zip")
    assert again.read_bytes() == function_zip.read_bytes()


def test_layer_has_an_executable_ffmpeg_at_bin(zips, tmp_path):
    _, layer_zip = zips
    with zipfile.ZipFile(layer_zip) as archive:
        info = archive.getinfo("bin/ffmpeg")
        assert stat.S_IMODE(info.external_attr >> 16) & 0o111
        archive.extract(info, tmp_path)
    binary = tmp_path / "bin" / "ffmpeg"
    binary.chmod(0o755)
    version = subprocess.run([str(binary), "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    assert "libvpx-vp9" in version and "prores_ks" in version


def test_worker_code_dependencies_and_layer_fit_lambdas_250_mb_limit(zips):
    function_zip, layer_zip = zips
    total = unzipped_size(function_zip) + unzipped_size(layer_zip)
    headroom = LAMBDA_UNZIPPED_LIMIT_BYTES - total
    limit_mib = LAMBDA_UNZIPPED_LIMIT_BYTES / 2**20
    print(f"\nworker unzipped: {total / 2**20:.1f} MiB of {limit_mib:.0f} MiB; headroom {headroom / 2**20:.1f} MiB")
    assert total < LAMBDA_UNZIPPED_LIMIT_BYTES
    assert layer_zip.stat().st_size > 50 * 2**20, "layer is over 50 MB zipped, so Terraform uploads it through S3"
