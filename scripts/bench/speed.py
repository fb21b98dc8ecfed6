"""Wall time on a 10 s 1080p30 green-screen clip: our engine vs FFmpeg baselines vs the floor.

The floor is decode + VP9-with-alpha encode with no keying, at the encoder settings our engine
uses and the colour tags it derives from the source (so nothing converts colours on the way).
It is timed with the encoder on one thread and on all cores, and the faster counts: our engine
gives its encoder all cores but one, and the floor must not be slowed by a thread count it would
not choose. The floor and our engine are timed ROUNDS times, alternately, and each keeps its best
time: this machine is shared, and its speed moves by a third between minutes, so a single pair
of runs can land in different weather. The slow FFmpeg baselines run once. Each line also gives
the CPU seconds of its best run, ours split into this process (keying, pipes) and FFmpeg's
(decoding, encoding): less noisy than wall time, and where a ratio comes from.
The main clip has a grainy screen, as camera footage does; a second, clean-screen clip (floor and
ours only) shows the ratio where the floor has no noise to pay for. Both show three flat
rectangles, whose matte has no soft edge, and the keying's cost follows the soft part of the
outline: a third clip (floor and ours only) is the quality bench's first scene drawn at this size
(hair, glass, a motion-blurred box, a face, a shadow, sensor noise), the heavier and truer case.

Run: make bench-speed   (another frame size: make bench-speed ARGS="--size 1280x720")
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from local.samples import make_clip
from scripts.bench import quality
from scripts.bench.common import VP9_REALTIME, run_ffmpeg, timed
from service.keying import KeyOptions, key_video, probe
from service.keying.encoders import color_args, video_codec_args
from service.keying.engine import usable_cores

SECONDS, WIDTH, HEIGHT, FPS = 10, 1920, 1080, 30
ROUNDS = 3


def edge_rich_clip(path: Path, width: int, height: int) -> Path:
    """The quality bench's first scene at ``width`` x ``height``: its first second drawn (NumPy
    draws 1080p at about a frame a second) and played SECONDS times."""
    second = path.with_name(f"{path.stem}-1s.mp4")
    scene = quality.render_frames(quality.CLIPS[0], FPS, (width, height))
    quality.encode_frames((composite for composite, _, _ in scene), second, FPS)
    run_ffmpeg("-stream_loop", str(SECONDS - 1), "-i", str(second), "-c", "copy", str(path))
    return path


def floor_runs(source: Path, out: Path) -> dict[str, Callable[[], None]]:
    """Decode + VP9-alpha encode, one run per encoder thread count worth trying."""
    colour = color_args(probe(source))

    def floor(threads: int) -> None:
        args = ["-i", str(source), "-vf", "format=yuva420p", *video_codec_args("webm", threads), *colour, "-an"]
        run_ffmpeg(*args, str(out))

    return {
        f"floor, encoder on {threads} thread{'s' if threads > 1 else ''}": (lambda threads=threads: floor(threads))
        for threads in sorted({1, usable_cores()})
    }


@dataclass(frozen=True, order=True)
class Timing:
    """One run: wall time, and CPU seconds (user + system) of this process and of FFmpeg's."""

    wall: float
    own_cpu: float
    ffmpeg_cpu: float


def _cpu_seconds() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def timed_run(run: Callable[[], None]) -> Timing:
    own_before, ffmpeg_before = _cpu_seconds()
    wall = timed(run)
    own_after, ffmpeg_after = _cpu_seconds()
    return Timing(wall, own_after - own_before, ffmpeg_after - ffmpeg_before)


def best_times(runs: dict[str, Callable[[], None]], rounds: int = ROUNDS) -> dict[str, list[Timing]]:
    """Every run's timings over ``rounds`` alternating rounds, fastest first."""
    times: dict[str, list[Timing]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            times[name].append(timed_run(run))
    return {name: sorted(values) for name, values in times.items()}


def report(times: dict[str, list[Timing]], frames: int) -> float:
    """Print each run's best time, its CPU and the spread, against the floor's best; returns the floor.

    CPU is that of the best run: this process (keying, pipes) and the FFmpeg processes (decoding,
    encoding). On two cores a run can go no faster than half its CPU time.
    """
    floor = min(values[0].wall for name, values in times.items() if name.startswith("floor"))
    for name, values in times.items():
        best = values[0]
        ratio = f"{best.wall:7.2f} s  {frames / best.wall:6.1f} fps  {best.wall / floor:5.2f}x floor"
        cpu = f"CPU {best.own_cpu + best.ffmpeg_cpu:5.1f} s ({best.own_cpu:.1f} Python + {best.ffmpeg_cpu:.1f} FFmpeg)"
        spread = f"  runs {best.wall:.2f}-{values[-1].wall:.2f} s" if len(values) > 1 else ""
        print(f"{name:42} {ratio}  {cpu}{spread}")
    return floor


def _frame_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x720, got {text!r}")
    return int(width), int(height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=_frame_size, default=(WIDTH, HEIGHT), help="WIDTHxHEIGHT (default 1920x1080)")
    width, height = parser.parse_args().size
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        frames = SECONDS * FPS
        source = make_clip(work / "source.mp4", width=width, height=height, seconds=SECONDS, fps=FPS)
        clean = make_clip(work / "clean.mp4", width=width, height=height, seconds=SECONDS, fps=FPS, grain=0)
        src, colour = str(source), color_args(probe(source))
        print(f"{SECONDS} s {width}x{height}@{FPS} ({frames} frames), {usable_cores()} cores, best of {ROUNDS}\n")
        times = best_times(
            {
                **floor_runs(source, work / "floor.webm"),
                "ours (auto key colour, despill)": lambda: key_video(source, work / "ours.webm", KeyOptions()),
            }
        )
        baselines = {
            "FFmpeg chromakey+despill, VP9 realtime": lambda: run_ffmpeg(
                "-i", src, "-vf", "chromakey=0x3fa35a:0.07:0.04,despill=type=green,format=yuva420p",
                *VP9_REALTIME, *colour, "-an", str(work / "hand.webm")),
            "seed command (+ -auto-alt-ref 0)": lambda: run_ffmpeg(
                "-i", src, "-vf", "chromakey=0x00FF00:0.1:0.2,format=yuva420p", "-c:v", "libvpx",
                "-auto-alt-ref", "0", "-an", str(work / "seed.webm")),
        }  # fmt: skip
        times |= best_times(baselines, rounds=1)
        report(times, frames)
        size = (work / "ours.webm").stat().st_size
        print(f"\nour output: {size / 1e6:.1f} MB ({size * 8 / SECONDS / 1e6:.1f} Mbit/s)")

        for title, clip in (
            ("clean (noise-free) screen", clean),
            ("edge-rich: the quality bench's first scene (hair, glass, motion blur)", edge_rich_clip(
                work / "edge-rich.mp4", width, height)),
        ):  # fmt: skip
            print(f"\n{title}:")
            report(
                best_times(
                    {
                        **floor_runs(clip, work / "floor.webm"),
                        "ours": lambda clip=clip: key_video(clip, work / "ours.webm", KeyOptions()),
                    }
                ),
                frames,
            )


if __name__ == "__main__":
    main()
