"""Wall time on a 10 s 1080p30 green-screen clip: our engine vs FFmpeg baselines vs the floor.

The floor is decode + VP9-with-alpha encode with no keying, at the encoder settings our engine
uses and the colour tags it derives from the source (so nothing converts colours on the way);
ratios to it are what the README quotes (all measured in one run: the machine is shared).
The main clip has a grainy screen, as camera footage does; a second, clean-screen clip (floor and
ours only) shows the ratio where the floor has no noise to pay for.

Run: make bench-speed
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from local.samples import make_clip
from scripts.bench.common import VP9_REALTIME, run_ffmpeg, timed
from service.keying import KeyOptions, key_video, probe
from service.keying.encoders import color_args

SECONDS, WIDTH, HEIGHT, FPS = 10, 1920, 1080, 30


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = make_clip(work / "source.mp4", width=WIDTH, height=HEIGHT, seconds=SECONDS, fps=FPS)
        src, colour = str(source), color_args(probe(source))
        runs = {
            "floor: decode + VP9-alpha encode": lambda: run_ffmpeg(
                "-i", src, "-vf", "format=yuva420p", *VP9_REALTIME, *colour, "-an", str(work / "floor.webm")),
            "ours (auto key colour, despill)": lambda: key_video(source, work / "ours.webm", KeyOptions()),
            "FFmpeg chromakey+despill, VP9 realtime": lambda: run_ffmpeg(
                "-i", src, "-vf", "chromakey=0x3fa35a:0.07:0.04,despill=type=green,format=yuva420p",
                *VP9_REALTIME, *colour, "-an", str(work / "hand.webm")),
            "seed command (+ -auto-alt-ref 0)": lambda: run_ffmpeg(
                "-i", src, "-vf", "chromakey=0x00FF00:0.1:0.2,format=yuva420p", "-c:v", "libvpx",
                "-auto-alt-ref", "0", "-an", str(work / "seed.webm")),
        }  # fmt: skip
        print(f"{SECONDS} s {WIDTH}x{HEIGHT}@{FPS} ({SECONDS * FPS} frames), {os.cpu_count()} cores\n")
        times = {name: timed(run) for name, run in runs.items()}
        floor = times["floor: decode + VP9-alpha encode"]
        for name, seconds in times.items():
            print(f"{name:42} {seconds:7.2f} s  {SECONDS * FPS / seconds:6.1f} fps  {seconds / floor:5.2f}x floor")
        size = (work / "ours.webm").stat().st_size
        print(f"\nour output: {size / 1e6:.1f} MB ({size * 8 / SECONDS / 1e6:.1f} Mbit/s)")

        clean = make_clip(work / "clean.mp4", width=WIDTH, height=HEIGHT, seconds=SECONDS, fps=FPS, grain=0)
        clean_colour = color_args(probe(clean))  # probed before the clock starts
        floor = timed(
            lambda: run_ffmpeg(
                "-i", str(clean), "-vf", "format=yuva420p", *VP9_REALTIME, *clean_colour, "-an",
                str(work / "floor.webm"),
            )
        )  # fmt: skip
        ours = timed(lambda: key_video(clean, work / "ours.webm", KeyOptions()))
        print(f"\nclean screen: floor {floor:.2f} s, ours {ours:.2f} s, {ours / floor:.2f}x floor")


if __name__ == "__main__":
    main()
