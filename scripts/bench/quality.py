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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scripts.bench.common import BT709, FF, VP9_REALTIME, decode_rgba, run_ffmpeg
from service.keying import KeyOptions, key_video

W, H, FRAMES, FPS = 640, 360, 24, 24
RNG = np.random.default_rng(7)


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


def _paint(fore: np.ndarray, alpha: np.ndarray, mask: np.ndarray, rgb) -> np.ndarray:
    """Lay colour ``rgb`` with coverage ``mask`` over the layer (``fore``, ``alpha``): the "over"
    operator, so a partly covered pixel's colour is the object's own (a motion-blurred red box is
    red at every alpha, not darker towards its edge). Updates ``fore``; returns the new alpha."""
    covered = alpha + mask * (1 - alpha)
    premultiplied = np.asarray(rgb, np.float32) * mask[..., None] + fore * (alpha * (1 - mask))[..., None]
    fore[:] = premultiplied / np.maximum(covered, 1e-6)[..., None]
    return covered


def render(name: str, screen: tuple[int, int, int], spill: float) -> Clip:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    light = 0.75 + 0.35 * (xx / W) - 0.15 * ((yy / H) - 0.5) ** 2  # uneven lighting
    plate = np.array(screen, np.float32)[None, None, :] * light[..., None]
    shadow = 1 - 0.45 * np.clip(1 - np.hypot((xx - 0.8 * W) / 120, (yy - 0.85 * H) / 50), 0, 1)
    plate *= shadow[..., None]  # a soft shadow on the screen
    wrinkle = 1 + 0.06 * np.sin(xx / 9 + yy / 31)
    plate *= wrinkle[..., None]
    frames, alphas, fores = [], [], []
    for index in range(FRAMES):
        t = index / FRAMES
        alpha = np.zeros((H, W), np.float32)
        fore = np.zeros((H, W, 3), np.float32)

        body = ((np.abs(xx - (0.35 * W)) < 70) & (yy > 0.45 * H)).astype(np.float32)
        alpha = _paint(fore, alpha, body, (40, 42, 48))  # dark shirt
        alpha = _paint(
            fore,
            alpha,
            ((np.abs(xx - 0.35 * W + 40) < 18) & (yy > 0.6 * H) & (yy < 0.8 * H)).astype(np.float32),
            (70, 95, 70),
        )  # greenish patch
        alpha = _paint(fore, alpha, _disc(0.35 * W, 0.33 * H, 48, yy, xx), (205, 150, 120))  # face
        alpha = _paint(
            fore,
            alpha,
            ((np.abs(xx - 0.55 * W) < 40) & (yy > 0.55 * H) & (yy < 0.9 * H)).astype(np.float32),
            (128, 128, 128),
        )  # grey prop
        for k in range(14):  # hair-like strands: thin, fractional coverage
            x0 = 0.35 * W - 45 + 7 * k
            strand = np.clip(1 - np.abs(xx - x0 - 10 * np.sin(yy / 15 + k)) / 0.8, 0, 1) * (
                (yy > 0.12 * H) & (yy < 0.3 * H)
            )
            alpha = _paint(fore, alpha, strand * 0.8, (60, 40, 30))
        glass = ((np.abs(xx - 0.8 * W) < 45) & (np.abs(yy - 0.35 * H) < 45)).astype(np.float32) * 0.45
        alpha = _paint(fore, alpha, glass, (200, 220, 235))  # semi-transparent object
        # Motion blur: a box moving 40 px per frame, averaged over the exposure.
        blur = np.zeros((H, W), np.float32)
        for sub in range(8):
            x0 = 0.05 * W + 300 * t + 40 * sub / 8
            blur += ((xx > x0) & (xx < x0 + 50) & (np.abs(yy - 0.12 * H) < 22)).astype(np.float32) / 8
        alpha = _paint(fore, alpha, blur, (220, 60, 50))
        # Spill: light bounced off the screen adds a little of its colour to the subject.
        tinted = np.clip(fore + spill * 0.12 * np.array(screen, np.float32), 0, 255)
        composite = tinted * alpha[..., None] + plate * (1 - alpha[..., None])
        composite += RNG.normal(0, 2.5, composite.shape)  # sensor noise
        frames.append(np.clip(np.round(composite), 0, 255).astype(np.uint8))
        alphas.append(alpha)
        fores.append(fore)  # the truth is the un-spilled colour
    return Clip(name, screen, spill, np.stack(frames), np.stack(alphas), np.stack(fores))


def encode(clip: Clip, path: Path) -> None:
    process = subprocess.Popen(
        [FF, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
         "-r", str(FPS), "-i", "-", "-vf", "scale=out_color_matrix=bt709:out_range=tv", "-c:v", "libx264",
         "-preset", "medium", "-crf", "16", "-pix_fmt", "yuv420p", *BT709, str(path)],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    process.communicate(clip.frames.tobytes())


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
    yy, xx = np.mgrid[0:H, 0:W]
    plates = [
        np.full((H, W, 3), (70, 90, 160), np.float32),
        np.stack([(xx * 255 / W), (yy * 255 / H), 128 + 0 * xx], -1).astype(np.float32),
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
    ("green, lit + shadow + strands", (63, 163, 90), 0.0),
    ("green with spill", (52, 150, 70), 1.0),
    ("blue screen", (35, 70, 175), 0.6),
]
# Other screens, ours only: a check that nothing was tuned to the three clips above.
MORE_SCREENS = [
    ("dark green", (40, 140, 60), 0.0),
    ("lime green", (110, 190, 80), 0.0),
    ("chroma-key green, light spill", (0, 177, 64), 0.3),
    ("bright green, spill", (80, 200, 100), 0.5),
    ("dark blue", (30, 60, 150), 0.0),
    ("chroma-key blue, light spill", (0, 71, 187), 0.3),
    ("light blue, strong spill", (60, 110, 200), 1.0),
]


def main() -> None:
    print(f"{W}x{H}, {FRAMES} frames per clip; H.264 4:2:0 inputs; lower is better except PSNR\n")
    header = (
        f"{'clip':32} {'keyer':24} {'alpha MAE':>9} {'bg alpha':>9} {'holes':>7} {'PSNR dB':>8} {'spill':>6} "
        f"{'flicker':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(header)
        print("-" * len(header))
        for name, screen, spill in CLIPS:
            _run_clip(work, render(name, screen, spill), keyers)
        print(f"\nother screens, ours only\n{header}\n{'-' * len(header)}")
        for name, screen, spill in MORE_SCREENS:
            _run_clip(work, render(name, screen, spill), lambda clip, work: list(keyers(clip, work))[:1])


def _run_clip(work: Path, clip: Clip, keyers_of) -> None:
    source = work / "source.mp4"
    encode(clip, source)
    for keyer, run in keyers_of(clip, work):
        output = work / "keyed.webm"
        run(source, output)
        result = score(clip, decode_rgba(output, W, H))
        print(f"{clip.name:32} {keyer:24} {result['alpha MAE']:9.2f} {result['bg alpha']:9.2f} "
              f"{result['holes']:7.2f} {result['PSNR']:8.2f} {result['spill']:6.2f} "
              f"{result['flicker']:7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
