"""Sample green-screen clips made with FFmpeg's lavfi: for the demo and the tests.

The screen is a real-world green (not 0x00FF00) with uneven light and sensor noise; the subject
is a skin-toned face, a dark shirt and a grey prop that move across it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from service.keying.ffmpeg import ffmpeg_binary

SCREEN_GREEN = "0x3fa35a"
SCREEN_BLUE = "0x2a55b8"
SKIN = "0xd09a7c"
DARK_SHIRT = "0x2b2d33"
GREY_PROP = "0x8a8a8a"


def make_clip(
    path: Path,
    *,
    width: int = 320,
    height: int = 240,
    seconds: float = 2.0,
    fps: int = 25,
    screen: str = SCREEN_GREEN,
    audio: bool = True,
    codec: str = "libx264",
    grain: int = 5,
) -> Path:
    """Write a clip with a moving subject over ``screen``; returns ``path``.

    ``grain`` is the strength of temporal sensor noise on the screen (0 for a clean screen).
    """
    w, h = width, height
    noise = f",noise=alls={grain}:allf=t" if grain else ""
    graph = (
        f"color=c={screen}:s={w}x{h}:r={fps}:d={seconds},vignette=angle=0.5{noise}[bg];"
        f"color=c={DARK_SHIRT}:s={w // 4}x{h // 2}:r={fps}:d={seconds}[shirt];"
        f"color=c={SKIN}:s={w // 6}x{h // 5}:r={fps}:d={seconds}[face];"
        f"color=c={GREY_PROP}:s={w // 8}x{h // 8}:r={fps}:d={seconds}[prop];"
        f"[bg][shirt]overlay=x='{w // 8}+{w // 4}*t/{seconds}':y={h // 2}[a];"
        f"[a][face]overlay=x='{w // 8 + w // 24}+{w // 4}*t/{seconds}':y={h // 2 - h // 5}[b];"
        f"[b][prop]overlay=x={w * 3 // 4}:y={h // 6},format=yuv420p[v]"
    )
    args = [
        ffmpeg_binary(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"nullsrc=s=16x16:d={seconds}",
    ]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-filter_complex", graph, "-map", "[v]"]
    if audio:
        args += ["-map", "1:a", "-c:a", "aac", "-b:a", "64k"]
    args += ["-c:v", codec, "-pix_fmt", "yuv420p", "-r", str(fps), "-frames:v", str(round(seconds * fps))]
    if codec == "libx264":
        args += ["-preset", "veryfast", "-crf", "18", "-movflags", "+faststart"]
    subprocess.run([*args, str(path)], check=True, timeout=120)
    return path
