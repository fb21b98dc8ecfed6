"""Keying quality on scenes the bench's own clips do not have: random screens, colours, blur and glass.

The quality bench keys ten fixed clips; this draws new ones from a seeded generator, rendered the
same way (exact ground truth, H.264 4:2:0) with everything else random:

- a green (hue 90-150 degrees) or blue (200-245) screen, saturation 0.5-0.95, brightness 0.5-0.85;
- spill 0-1 and sensor noise of 1-4 levels;
- shirt, patch, prop, hair and blurred-box colours of any hue, as long as they carry less than 30 %
  of the screen's chroma in the screen's direction (more is the screen's own colour, which no keyer
  can tell from the screen); a skin tone for the face;
- near-neutral glass 20-80 % opaque; motion blur of 10-70 px in any direction;
- with --light hot-spot, white light of 30-90 levels added near the top left; with --light
  two-lights, a hue that walks across the frame (red and blue 20-40 levels apart from edge to edge).
  The scenes are the same as with even light (the light is drawn from a generator of its own).

Our engine (no parameters) and FFmpeg's chromakey + despill given the true screen colour; the
summary lines are what the README quotes.

Run: make bench-random   (options via ARGS: --scenes N --seed S --light even|hot-spot|two-lights)
"""

from __future__ import annotations

import argparse
import colorsys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from scripts.bench import quality
from scripts.bench.quality import HEADER, Scene
from service.errors import JobFailed
from service.keying import matte

FRAMES = 12
SKIN = [(205, 150, 120), (120, 80, 60), (235, 200, 170), (90, 60, 45)]
MOST_SCREEN_CHROMA = 0.3  # of the screen's own, along its direction


def _chroma(rgb) -> np.ndarray:
    """BT.709 chroma (U, V less neutral) of an RGB colour, as the engine reads a key colour."""
    return matte.key_color_from_hex("#" + "".join(f"{round(channel):02x}" for channel in rgb)).chroma


def tellable(colour, screen_rgb) -> bool:
    """Whether a subject ``colour`` carries less than MOST_SCREEN_CHROMA of the screen's chroma in
    the screen's direction. Chroma is linear in RGB, so a blend of two such colours is one too."""
    screen = _chroma(screen_rgb)
    return bool(_chroma(colour) @ screen < MOST_SCREEN_CHROMA * (screen @ screen))


def draw_scene(rng: np.random.Generator, index: int) -> Scene:
    blue = rng.random() < 0.4
    hue = rng.uniform(200, 245) if blue else rng.uniform(90, 150)
    rgb = colorsys.hsv_to_rgb(hue / 360, rng.uniform(0.5, 0.95), rng.uniform(0.5, 0.85))
    screen = tuple(round(255 * channel) for channel in rgb)

    def subject_colour() -> tuple[float, float, float]:
        while True:
            colour = tuple(float(c) for c in rng.uniform(10, 240, 3))
            if tellable(colour, screen):
                return colour

    grey = rng.uniform(120, 240)
    spill, noise = float(rng.uniform(0, 1)), float(rng.uniform(1, 4))
    return Scene(
        name=f"{index:2} {'blue' if blue else 'green'} #{''.join(f'{c:02x}' for c in screen)} spill {spill:.1f}",
        screen_rgb=screen,
        spill=spill,
        noise=noise,
        shirt=subject_colour(),
        patch=subject_colour(),
        face=SKIN[rng.integers(len(SKIN))],
        prop=subject_colour(),
        hair=subject_colour(),
        glass=tuple(float(c) for c in grey + rng.uniform(-15, 15, 3)),
        glass_opacity=float(rng.uniform(0.2, 0.8)),
        blurred=subject_colour(),
        blur_px=float(rng.uniform(10, 70)),
        blur_angle_deg=float(rng.uniform(0, 180)),
    )


def lit(scene: Scene, light: str, rng: np.random.Generator) -> Scene:
    """``scene`` under ``light`` (see the module docstring)."""
    if light == "hot-spot":
        return replace(scene, hot_spot=float(rng.uniform(30, 90)))
    if light == "two-lights":
        return replace(scene, hue_walk=float(rng.uniform(20, 40)))
    return scene


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--light", choices=("even", "hot-spot", "two-lights"), default="even")
    arguments = parser.parse_args()
    rng, light_rng = np.random.default_rng(arguments.seed), np.random.default_rng([arguments.seed, 1])
    print(f"{quality.W}x{quality.H}, {FRAMES} frames per scene, seed {arguments.seed}, {arguments.light} light\n")
    print(f"{HEADER}\n{'-' * len(HEADER)}")
    scores: dict[str, list[dict[str, float]]] = {}
    refused = 0
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(arguments.scenes):
            clip = quality.render(lit(draw_scene(rng, index), arguments.light, light_rng), frames=FRAMES)
            try:
                results = quality.run_clip(Path(tmp), clip, quality.ours_and_hand_tuned)
            except JobFailed as failure:
                refused += 1
                print(f"{clip.name:32} not keyed: {failure}")
                continue
            for keyer, result in results.items():
                scores.setdefault(keyer, []).append(result)
    print(f"\n{arguments.scenes} scenes, {refused} refused by our engine (no screen found)")
    for keyer, results in scores.items():
        print(f"{keyer:24} {quality.summary(results)}")


if __name__ == "__main__":
    main()
