"""Keying quality on synthetic green/blue-screen clips with exact ground truth.

Each clip is rendered in RGB (foreground colour F, alpha A, screen plate B; C = A*F + (1-A)*B),
encoded as H.264 4:2:0 like real footage, then keyed by our engine (no parameters), by the seed's
FFmpeg command and by a hand-tuned FFmpeg chromakey + despill. Scores, against the truth:

  alpha MAE (8-bit) | bg alpha: mean alpha where A = 0 | holes: mean (1 - alpha) where A = 1
  composite PSNR over two new plates | spill: excess green (blue) on the subject over the truth's
  flicker: mean frame-to-frame alpha change (8-bit) where the truth is static and fractional
  (hair, glass, soft edges); the truth's is 0, so all of it is noise the keyer let through

Run: make bench-quality
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scripts.bench.common import BT709, FF, VP9_REALTIME, decode_rgba, run_ffmpeg
from service.keying import KeyOptions, key_video

W, H, FRAMES, FPS = 640, 360, 24, 24
RNG = np.random.default_rng(7)


RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Scene:
    """What a clip shows: its screen, spill and noise, and each object's colour. The defaults are
    the bench's own clips; ``scripts/bench/random_scenes.py`` draws others."""

    name: str
    screen_rgb: tuple[int, int, int]
    spill: float
    noise: float = 2.5  # sensor noise, RGB levels
    shirt: RGB = (40, 42, 48)
    patch: RGB = (70, 95, 70)  # on the shirt: greenish
    face: RGB = (205, 150, 120)
    prop: RGB = (128, 128, 128)
    hair: RGB = (60, 40, 30)
    glass: RGB = (200, 220, 235)
    glass_opacity: float = 0.45
    blurred: RGB = (220, 60, 50)
    blur_px: float = 40.0  # how far the box moves while the shutter is open
    blur_angle_deg: float = 0.0  # 0: left to right
    hot_spot: float = 0.0  # white light added to the screen near the top left: RGB levels at its centre
    hue_walk: float = 0.0  # red rises and blue falls by this many RGB levels from the left edge to the right


@dataclass
class Clip:
    name: str
    screen_rgb: tuple[int, int, int]
    spill: float
    frames: np.ndarray  # composited RGB, uint8
    alpha: np.ndarray  # truth, float 0..1
    foreground: np.ndarray  # truth F, float 0..255


def _disc(cx: float, cy: float, r: float, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    return np.clip(r + 0.5 - np.hypot(xx - cx, yy - cy), 0, 1)


def paint(fore: np.ndarray, alpha: np.ndarray, mask: np.ndarray, rgb) -> np.ndarray:
    """Lay colour ``rgb`` with coverage ``mask`` over the layer (``fore``, ``alpha``): the "over"
    operator, so a partly covered pixel's colour is the object's own (a motion-blurred red box is
    red at every alpha, not darker towards its edge). Updates ``fore``; returns the new alpha."""
    covered = alpha + mask * (1 - alpha)
    premultiplied = np.asarray(rgb, np.float32) * mask[..., None] + fore * (alpha * (1 - mask))[..., None]
    fore[:] = premultiplied / np.maximum(covered, 1e-6)[..., None]
    return covered


def _screen_plate(scene: Scene, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    light = 0.75 + 0.35 * (xx / W) - 0.15 * ((yy / H) - 0.5) ** 2  # uneven lighting
    plate = np.array(scene.screen_rgb, np.float32)[None, None, :] * light[..., None]
    shadow = 1 - 0.45 * np.clip(1 - np.hypot((xx - 0.8 * W) / 120, (yy - 0.85 * H) / 50), 0, 1)
    plate *= shadow[..., None]  # a soft shadow on the screen
    wrinkle = 1 + 0.06 * np.sin(xx / 9 + yy / 31)
    plate *= wrinkle[..., None]
    # A light too near the screen adds white (brighter, no more colour); lights of two colours
    # turn the screen's hue from one side to the other.
    spot = np.exp(-(((xx - 0.3 * W) / (0.23 * W)) ** 2 + ((yy - 0.3 * H) / (0.3 * H)) ** 2))
    plate += scene.hot_spot * spot[..., None]
    walk = scene.hue_walk * (xx / W - 0.5)
    plate += np.stack([walk, np.zeros_like(walk), -walk], axis=-1)
    return plate


def _subject(scene: Scene, t: float, yy: np.ndarray, xx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The subject at time ``t`` (0..1): its alpha and its colour F, both exact."""
    alpha = np.zeros(xx.shape, np.float32)
    fore = np.zeros((*xx.shape, 3), np.float32)
    body = ((np.abs(xx - (0.35 * W)) < 70) & (yy > 0.45 * H)).astype(np.float32)
    alpha = paint(fore, alpha, body, scene.shirt)
    patch = (np.abs(xx - 0.35 * W + 40) < 18) & (yy > 0.6 * H) & (yy < 0.8 * H)
    alpha = paint(fore, alpha, patch.astype(np.float32), scene.patch)
    alpha = paint(fore, alpha, _disc(0.35 * W, 0.33 * H, 48, yy, xx), scene.face)
    prop = (np.abs(xx - 0.55 * W) < 40) & (yy > 0.55 * H) & (yy < 0.9 * H)
    alpha = paint(fore, alpha, prop.astype(np.float32), scene.prop)
    for k in range(14):  # hair-like strands: thin, fractional coverage
        x0 = 0.35 * W - 45 + 7 * k
        strand = np.clip(1 - np.abs(xx - x0 - 10 * np.sin(yy / 15 + k)) / 0.8, 0, 1) * (
            (yy > 0.12 * H) & (yy < 0.3 * H)
        )
        alpha = paint(fore, alpha, strand * 0.8, scene.hair)
    glass = (np.abs(xx - 0.8 * W) < 45) & (np.abs(yy - 0.35 * H) < 45)
    alpha = paint(fore, alpha, glass.astype(np.float32) * scene.glass_opacity, scene.glass)  # semi-transparent
    # Motion blur: a box moving blur_px per frame, averaged over the exposure.
    blur = np.zeros(xx.shape, np.float32)
    dx, dy = np.cos(np.radians(scene.blur_angle_deg)), np.sin(np.radians(scene.blur_angle_deg))
    for sub in range(8):
        x0 = 0.05 * W + 300 * t + scene.blur_px * dx * sub / 8
        y0 = 0.12 * H + scene.blur_px * dy * sub / 8
        blur += ((xx > x0) & (xx < x0 + 50) & (np.abs(yy - y0) < 22)).astype(np.float32) / 8
    return paint(fore, alpha, blur, scene.blurred), fore


def render_frames(
    scene: Scene, frames: int = FRAMES, size: tuple[int, int] = (W, H)
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each frame's composite (RGB uint8), true alpha and true (un-spilled) colour F.

    The scene is drawn in the bench's own W x H units, scaled to ``size``: at 1920x1080 every
    object, strand and blur is three times as many pixels wide.
    """
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    yy *= np.float32(H / height)
    xx *= np.float32(W / width)
    plate = _screen_plate(scene, yy, xx)
    for index in range(frames):
        alpha, fore = _subject(scene, index / frames, yy, xx)
        # Spill: light bounced off the screen adds a little of its colour to the subject.
        tinted = np.clip(fore + scene.spill * 0.12 * np.array(scene.screen_rgb, np.float32), 0, 255)
        composite = tinted * alpha[..., None] + plate * (1 - alpha[..., None])
        composite += RNG.normal(0, scene.noise, composite.shape)  # sensor noise
        yield np.clip(np.round(composite), 0, 255).astype(np.uint8), alpha, fore  # the truth is un-spilled


def render(scene: Scene, frames: int = FRAMES) -> Clip:
    composites, alphas, fores = zip(*render_frames(scene, frames), strict=True)
    return Clip(scene.name, scene.screen_rgb, scene.spill, np.stack(composites), np.stack(alphas), np.stack(fores))


def encode_frames(frames: Iterable[np.ndarray], path: Path, fps: int = FPS) -> None:
    """H.264 4:2:0 (BT.709, limited range) of RGB frames, as a camera would write them."""
    process: subprocess.Popen | None = None
    for frame in frames:
        if process is None:
            height, width = frame.shape[:2]
            process = subprocess.Popen(
                [FF, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                 "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
                 "-vf", "scale=out_color_matrix=bt709:out_range=tv", "-c:v", "libx264",
                 "-preset", "medium", "-crf", "16", "-pix_fmt", "yuv420p", *BT709, str(path)],
                stdin=subprocess.PIPE,
            )  # fmt: skip
        process.stdin.write(frame.tobytes())
    if process is not None:
        process.stdin.close()
        if process.wait():
            raise RuntimeError(f"x264 failed writing {path}")


def encode(clip: Clip, path: Path) -> None:
    encode_frames(clip.frames, path)


def hex_of(rgb) -> str:
    return "0x" + "".join(f"{c:02X}" for c in rgb)


def keyers(clip: Clip, work: Path):
    hand = clip.screen_rgb
    despill_type = "blue" if hand[2] > hand[1] else "green"
    yield "ours (no parameters)", lambda src, out: key_video(src, out, KeyOptions())
    yield (
        "FFmpeg seed 0x00FF00",
        lambda src, out: run_ffmpeg(
            "-i", str(src), "-vf", "chromakey=0x00FF00:0.1:0.2,format=yuva420p", *VP9_REALTIME, *BT709, str(out)
        ),
    )
    yield "FFmpeg hand-tuned", lambda src, out: run_ffmpeg(
        "-i", str(src), "-vf", f"chromakey={hex_of(hand)}:0.07:0.04,despill=type={despill_type},format=yuva420p",
        *VP9_REALTIME, *BT709, str(out),
    )  # fmt: skip


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def score(clip: Clip, keyed: np.ndarray) -> dict[str, float]:
    alpha = keyed[..., 3].astype(np.float32) / 255
    colour = keyed[..., :3].astype(np.float32)
    truth = clip.alpha
    bg, fg = truth == 0, truth >= 0.999
    height, width = truth.shape[1:]
    yy, xx = np.mgrid[0:height, 0:width]
    plates = [
        np.full((height, width, 3), (70, 90, 160), np.float32),
        np.stack([(xx * 255 / width), (yy * 255 / height), 128 + 0 * xx], -1).astype(np.float32),
    ]
    composites = []
    for plate in plates:
        ours = alpha[..., None] * colour + (1 - alpha[..., None]) * plate
        want = truth[..., None] * clip.foreground + (1 - truth[..., None]) * plate
        composites.append(psnr(ours, want))
    key_channel = 2 if clip.screen_rgb[2] > clip.screen_rgb[1] else 1
    others = [c for c in range(3) if c != key_channel]

    def excess(rgb: np.ndarray) -> np.ndarray:
        return np.maximum(rgb[..., key_channel] - np.maximum(rgb[..., others[0]], rgb[..., others[1]]), 0)

    subject = truth > 0.5
    still_and_soft = (np.abs(truth[1:] - truth[:-1]) < 0.5 / 255) & (truth[1:] > 0) & (truth[1:] < 0.999)
    return {
        "alpha MAE": float(np.mean(np.abs(alpha - truth)) * 255),
        "bg alpha": float(alpha[bg].mean() * 255),
        "holes": float((1 - alpha[fg]).mean() * 255),
        "PSNR": min(composites),
        "spill": float(excess(colour)[subject].mean() - excess(clip.foreground)[subject].mean()),
        "flicker": float(np.abs(alpha[1:] - alpha[:-1])[still_and_soft].mean() * 255) if still_and_soft.any() else 0.0,
    }


CLIPS = [
    Scene("green, lit + shadow + strands", (63, 163, 90), 0.0),
    Scene("green with spill", (52, 150, 70), 1.0),
    Scene("blue screen", (35, 70, 175), 0.6),
]
# Other screens, ours only: a check that nothing was tuned to the three clips above.
MORE_SCREENS = [
    Scene("dark green", (40, 140, 60), 0.0),
    Scene("lime green", (110, 190, 80), 0.0),
    Scene("chroma-key green, light spill", (0, 177, 64), 0.3),
    Scene("bright green, spill", (80, 200, 100), 0.5),
    Scene("dark blue", (30, 60, 150), 0.0),
    Scene("chroma-key blue, light spill", (0, 71, 187), 0.3),
    Scene("light blue, strong spill", (60, 110, 200), 1.0),
    Scene("pure green #00FF00 (the seed's)", (0, 255, 0), 0.3),
    Scene("pure blue #0000FF", (0, 0, 255), 0.3),
    Scene("yellow-green", (140, 200, 40), 0.3),
    Scene("grainy green, noise 6", (63, 163, 90), 0.3, noise=6.0),
    Scene("chroma-key green, hot spot", (0, 177, 64), 0.3, hot_spot=70.0),
    Scene("blue, spill, hot spot", (35, 70, 175), 0.6, hot_spot=70.0),
    Scene("pure blue #0000FF, hot spot", (0, 0, 255), 0.3, hot_spot=70.0),
    Scene("yellow-green, two lights", (140, 200, 40), 0.3, hue_walk=40.0),
    Scene("lime green, two lights", (110, 190, 80), 0.0, hue_walk=40.0),
]


HEADER = (
    f"{'clip':32} {'keyer':24} {'alpha MAE':>9} {'bg alpha':>9} {'holes':>7} {'PSNR dB':>8} {'spill':>6} {'flicker':>7}"
)


def main() -> None:
    print(f"{W}x{H}, {FRAMES} frames per clip; H.264 4:2:0 inputs; lower is better except PSNR\n")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"{HEADER}\n{'-' * len(HEADER)}")
        for scene in CLIPS:
            run_clip(work, render(scene), keyers)
        print(f"\nother screens, ours only\n{HEADER}\n{'-' * len(HEADER)}")
        for scene in MORE_SCREENS:
            run_clip(work, render(scene), ours_only)


def ours_only(clip: Clip, work: Path):
    return list(keyers(clip, work))[:1]


def ours_and_hand_tuned(clip: Clip, work: Path):
    everyone = list(keyers(clip, work))
    return [everyone[0], everyone[-1]]


def summary(results: list[dict[str, float]]) -> str:
    """One keyer's scores over many clips, against the targets (MAE at most 2, PSNR at least 34 dB)."""
    names = ("alpha MAE", "PSNR", "holes", "flicker")
    mae, psnr, holes, flicker = (np.array([result[name] for result in results]) for name in names)
    return (
        f"alpha MAE mean {mae.mean():.2f} (worst {mae.max():.2f}, {(mae <= 2).sum()} of {mae.size} at most 2); "
        f"PSNR mean {psnr.mean():.1f} dB (worst {psnr.min():.1f}, {(psnr >= 34).sum()} at least 34); "
        f"holes mean {holes.mean():.2f}; flicker mean {flicker.mean():.2f}"
    )


def run_clip(work: Path, clip: Clip, keyers_of) -> dict[str, dict[str, float]]:
    """Encode ``clip``, key it with each of ``keyers_of(clip, work)``, print and return the scores."""
    source = work / "source.mp4"
    encode(clip, source)
    results = {}
    height, width = clip.alpha.shape[1:]
    for keyer, run in keyers_of(clip, work):
        output = work / "keyed.webm"
        run(source, output)
        results[keyer] = result = score(clip, decode_rgba(output, width, height))
        print(f"{clip.name:32} {keyer:24} {result['alpha MAE']:9.2f} {result['bg alpha']:9.2f} "
              f"{result['holes']:7.2f} {result['PSNR']:8.2f} {result['spill']:6.2f} "
              f"{result['flicker']:7.2f}")  # fmt: skip
    return results


if __name__ == "__main__":
    main()
