"""Keying quality on a second scene, drawn unlike the bench's own: a portrait.

The quality bench and the random scenes share one drawing: flat-coloured objects with hard
outlines, spill added evenly to the whole subject. Real subjects are shaded and a lens softens
their outline; this draws such a scene instead, so that what the engine learnt from the first
drawing is checked on another (it found shaded faces and a shirt's blended stripes keyed with
see-through streaks; see ``ramps``):

- 960x540, a green (hue 100-140 degrees) or blue (205-235) screen, lit unevenly, with a fold;
- a face darker towards its outline, a shirt of two-coloured diagonal stripes (blended, 48 px
  apart) shaded across,
  60 curved hair strands 0.4-1.5 px wide (dark, brown or blond) out of the top of the head;
- the outline softened by 0-2 px (defocus); a near-white sheet 25-60 % opaque;
- a ball moving 8-30 px per frame, blurred over 12 sub-frames;
- spill as screen light reflected by opaque surfaces, strongest at the outline (0-70 levels
  of the screen's own channel), and sensor noise of 1-3.5 levels.

Subject colours are random, each (and so every blend of the shirt's two) carrying less than 30 %
of the screen's chroma in its direction, as in the random scenes. Our engine (no parameters) and
FFmpeg's chromakey + despill given the true screen colour.

Run: make bench-portrait   (options via ARGS: --scenes N --seed S)
"""

from __future__ import annotations

import argparse
import colorsys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scripts.bench import quality, random_scenes
from scripts.bench.quality import HEADER, Clip, paint

W, H, FRAMES = 960, 540, 12
HEAD, HEAD_RADIUS = (480.0, 200.0), 75.0
HAIR = (np.array([15, 15, 15]), np.array([30, 20, 15]), np.array([90, 60, 35]), np.array([200, 170, 110]))


@dataclass(frozen=True)
class Portrait:
    blue: bool
    screen: np.ndarray  # RGB
    stripes: tuple[np.ndarray, np.ndarray]
    skin: np.ndarray
    hair: np.ndarray
    sheet: np.ndarray
    sheet_opacity: float
    ball: np.ndarray
    ball_speed: float  # px per frame
    defocus: int  # px: the outline's softening radius
    spill: float
    noise: float

    @property
    def name(self) -> str:
        colour = "".join(f"{round(c):02x}" for c in self.screen)
        return f"{'blue' if self.blue else 'green'} #{colour} spill {self.spill:.1f}"


def draw_portrait(rng: np.random.Generator) -> Portrait:
    blue = bool(rng.random() < 0.35)
    hue = rng.uniform(205, 235) if blue else rng.uniform(100, 140)
    screen = np.array(colorsys.hsv_to_rgb(hue / 360, rng.uniform(0.55, 0.9), rng.uniform(0.45, 0.8))) * 255

    def colour() -> np.ndarray:
        while True:
            rgb = rng.uniform(15, 235, 3)
            if random_scenes.tellable(rgb, screen):
                return rgb

    return Portrait(
        blue=blue,
        screen=screen,
        stripes=(colour(), colour()),
        skin=np.array([200.0, 150.0, 120.0]) * rng.uniform(0.5, 1.1),
        hair=HAIR[rng.integers(len(HAIR))],
        sheet=np.full(3, rng.uniform(150, 230)) + rng.uniform(-10, 10, 3),
        sheet_opacity=float(rng.uniform(0.25, 0.6)),
        ball=colour(),
        ball_speed=float(rng.uniform(8, 30)),
        defocus=int(rng.integers(0, 3)),
        spill=float(rng.uniform(0, 1)),
        noise=float(rng.uniform(1, 3.5)),
    )


def box_blur(plane: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2 * radius + 1)^2 box, edges repeated (a lens's softening, roughly)."""
    if radius <= 0:
        return plane
    size = 2 * radius + 1
    padded = np.pad(plane, radius, mode="edge")
    for axis in (0, 1):
        sums = np.cumsum(padded, axis=axis)
        sums = np.concatenate([np.zeros_like(sums.take([0], axis=axis)), sums], axis=axis)
        ends, starts = range(size, sums.shape[axis]), range(sums.shape[axis] - size)
        padded = (sums.take(ends, axis=axis) - sums.take(starts, axis=axis)) / size
    return padded


def hair_coverage(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> list[np.ndarray]:
    """Coverage of each strand: curves from the top of the head outwards, 0.4-1.5 px wide."""
    strands = []
    for index in range(60):
        angle, length, width = np.pi * (0.15 + 0.7 * index / 60), rng.uniform(90, 150), rng.uniform(0.4, 1.5)
        along = np.linspace(0.55, 1.0, 200)
        px = HEAD[0] + np.cos(angle) * length * along + 6 * np.sin(along * 9 + index)
        py = HEAD[1] - np.sin(angle) * length * along
        rows = slice(max(int(py.min()) - 3, 0), int(py.max()) + 4)
        cols = slice(max(int(px.min()) - 3, 0), int(px.max()) + 4)
        distance = np.hypot(xx[rows, cols, None] - px, yy[rows, cols, None] - py).min(axis=-1)
        coverage = np.zeros(yy.shape, np.float32)
        coverage[rows, cols] = np.clip(width / 2 + 0.5 - distance, 0, 1) * 0.9
        strands.append(coverage)
    return strands


def screen_plate(portrait: Portrait, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """The screen, lit unevenly, with a fold running down it."""
    light = 0.8 + 0.3 * (yy / H) * (xx / W) - 0.2 * ((xx - W / 2) / W) ** 2
    fold = 1 - 0.18 * np.exp(-(((xx - 0.2 * W - 0.3 * yy) / 12) ** 2))
    return portrait.screen[None, None, :] * (light * fold)[..., None]


def render(portrait: Portrait, rng: np.random.Generator, frames: int = FRAMES) -> Clip:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    plate = screen_plate(portrait, yy, xx)
    still_alpha, still_fore = _still_subject(portrait, hair_coverage(rng, yy, xx), yy, xx)
    composites, alphas, fores = [], [], []
    for index in range(frames):
        fore = still_fore.copy()
        alpha = paint(fore, still_alpha, _ball(portrait, index, yy, xx), portrait.ball)
        # Spill: screen light reflected by opaque surfaces, strongest where the screen is near.
        near_screen = box_blur(1 - alpha, 8)
        spilled = fore.copy()
        spilled[..., 2 if portrait.blue else 1] += portrait.spill * 70 * near_screen * (alpha > 0.95)
        composite = np.clip(spilled, 0, 255) * alpha[..., None] + plate * (1 - alpha[..., None])
        composite += rng.normal(0, portrait.noise, composite.shape)
        composites.append(np.clip(np.round(composite), 0, 255).astype(np.uint8))
        alphas.append(alpha)
        fores.append(fore)
    screen_rgb = tuple(round(c) for c in portrait.screen)
    return Clip(portrait.name, screen_rgb, portrait.spill, np.stack(composites), np.stack(alphas), np.stack(fores))


def _still_subject(
    portrait: Portrait, strands: list[np.ndarray], yy: np.ndarray, xx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Alpha and colour of everything but the ball, which alone moves: drawn once per scene."""
    alpha = np.zeros(yy.shape, np.float32)
    fore = np.zeros((*yy.shape, 3), np.float32)
    torso = (((xx - 480) / 170) ** 2 + ((yy - 560) / 260) ** 2 < 1).astype(np.float32)
    # Woven stripes that blend into each other: sharper ones would score the 4:2:0 source (its
    # chroma cannot hold them), not the keyer.
    weave = (0.5 + 0.5 * np.sin(2 * np.pi * (xx + 0.3 * yy) / 48))[..., None]
    shading = np.clip(0.75 + 0.35 * (1 - np.abs(xx - 480) / 240), 0.6, 1.1)[..., None]
    shirt = (weave * portrait.stripes[0] + (1 - weave) * portrait.stripes[1]) * shading
    alpha = paint(fore, alpha, box_blur(torso, portrait.defocus), shirt)
    radius = np.hypot(xx - HEAD[0], yy - HEAD[1])
    face = portrait.skin * (1.05 - 0.35 * np.clip(radius / HEAD_RADIUS, 0, 1) ** 2)[..., None]
    alpha = paint(fore, alpha, box_blur(np.clip(HEAD_RADIUS + 0.5 - radius, 0, 1), portrait.defocus), face)
    for coverage in strands:
        alpha = paint(fore, alpha, coverage, portrait.hair)
    sheet = ((np.abs(xx - 760) < 70) & (np.abs(yy - 300) < 110)).astype(np.float32)
    return paint(fore, alpha, box_blur(sheet, 1) * portrait.sheet_opacity, portrait.sheet), fore


def _ball(portrait: Portrait, index: int, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """The moving ball's coverage in frame ``index``: the shutter is open for the whole frame."""
    ball = np.zeros(yy.shape, np.float32)
    for sub in range(12):
        centre_x, centre_y = 150 + (index + sub / 12) * portrait.ball_speed, 330 + 20 * np.sin(index / 3)
        ball += np.clip(30.5 - np.hypot(xx - centre_x, yy - centre_y), 0, 1) / 12
    return ball


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    print(f"{W}x{H}, {FRAMES} frames per scene, seed {arguments.seed}\n\n{HEADER}\n{'-' * len(HEADER)}")
    scores: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(arguments.scenes):
            rng = np.random.default_rng([arguments.seed, index])
            clip = render(draw_portrait(rng), rng)
            for keyer, result in quality.run_clip(Path(tmp), clip, quality.ours_and_hand_tuned).items():
                scores.setdefault(keyer, []).append(result)
    print()
    for keyer, results in scores.items():
        print(f"{keyer:24} {quality.summary(results)}")


if __name__ == "__main__":
    main()
