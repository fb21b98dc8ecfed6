"""Build build/ffmpeg-layer.zip: bin/ffmpeg from the same imageio-ffmpeg wheel used locally and in CI.

Lambda unpacks layers into /opt, so the worker finds FFmpeg at /opt/bin/ffmpeg.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import imageio_ffmpeg

from scripts.packaging import unzipped_size, write_zip

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"


def build(output: Path = BUILD / "ffmpeg-layer.zip") -> Path:
    staging = BUILD / "ffmpeg-layer"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "bin").mkdir(parents=True)
    shutil.copyfile(imageio_ffmpeg.get_ffmpeg_exe(), staging / "bin" / "ffmpeg")
    (staging / "bin" / "FFMPEG_VERSION").write_text(f"imageio-ffmpeg {imageio_ffmpeg.__version__}\n")
    write_zip(staging, output, executable={"bin/ffmpeg"})
    print(f"{output}: {output.stat().st_size / 1e6:.1f} MB zipped, {unzipped_size(output) / 1e6:.1f} MB unzipped")
    return output


if __name__ == "__main__":
    build()
