"""The matte: screen-colour detection and the look-up tables that turn YUV into alpha and despill.

Everything runs on 8-bit 4:2:0 planes. Alpha is computed at chroma resolution from a 3-D table
indexed by (luma / 4, U, V) and then upsampled with luma guidance, so there are no 2x2 blocks on
edges. The model is a colour-difference keyer in YUV, normalised by luma so that shadows and hot
spots on the screen key as cleanly as its evenly lit parts:

    d = chroma component along the key direction, p = component across it
    beta = (d - tolerance * p) / (expected screen chroma at this pixel's luma)
    alpha = 1 - clip((beta - clip_black) / (clip_white - clip_black))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.keying.options import KeyOptions

LUMA_BITS_DROPPED = 2
LUMA_LEVELS = 256 >> LUMA_BITS_DROPPED
MIN_KEY_CHROMA = 12.0  # below this the footage has no coloured screen to key
# BT.709 / BT.601 luma weights (R, B); G is 1 - R - B.
_MATRICES = {"bt709": (0.2126, 0.0722), "bt601": (0.299, 0.114)}


@dataclass(frozen=True)
class KeyColor:
    """The screen colour in limited-range YUV."""

    y: float
    u: float
    v: float

    @property
    def chroma(self) -> np.ndarray:
        return np.array([self.u - 128.0, self.v - 128.0])

    @property
    def is_blue(self) -> bool:
        return self.u > 128.0

    def to_hex(self, matrix: str = "bt709") -> str:
        kr, kb = _MATRICES[matrix]
        kg = 1 - kr - kb
        y = (self.y - 16) / 219
        pb, pr = (self.u - 128) / 224, (self.v - 128) / 224
        r = y + 2 * (1 - kr) * pr
        b = y + 2 * (1 - kb) * pb
        g = (y - kr * r - kb * b) / kg
        rgb = np.clip(np.round(np.array([r, g, b]) * 255), 0, 255).astype(int)
        return "#" + "".join(f"{c:02x}" for c in rgb)


def key_color_from_hex(value: str, matrix: str = "bt709") -> KeyColor:
    r, g, b = (int(value.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    kr, kb = _MATRICES[matrix]
    y = kr * r + (1 - kr - kb) * g + kb * b
    return KeyColor(
        y=16 + 219 * y,
        u=128 + 224 * (b - y) / (2 * (1 - kb)),
        v=128 + 224 * (r - y) / (2 * (1 - kr)),
    )


def detect_key_color(y_planes: list[np.ndarray], u_planes: list[np.ndarray], v_planes: list[np.ndarray]) -> KeyColor:
    """Find the screen: the most common strongly green or blue chroma in the sampled frames.

    Takes chroma-resolution planes (luma already downsampled to match). Skin, wood and other
    warm colours have V above neutral, so only V below neutral is considered; the peak of the
    remaining 2-D chroma histogram, weighted towards saturated colours, is the screen.
    """
    y = np.concatenate([p.ravel() for p in y_planes]).astype(np.float32)
    u = np.concatenate([p.ravel() for p in u_planes]).astype(np.float32)
    v = np.concatenate([p.ravel() for p in v_planes]).astype(np.float32)
    cu, cv = u - 128.0, v - 128.0
    magnitude = np.hypot(cu, cv)
    candidate = (magnitude > MIN_KEY_CHROMA) & (cv < -4.0)
    if candidate.sum() < max(16, 0.02 * y.size):
        raise ValueError("no green or blue screen found in the footage; pass keyColor to set it")
    histogram, u_edges, v_edges = np.histogram2d(
        u[candidate], v[candidate], bins=64, range=[[0, 256], [0, 256]], weights=magnitude[candidate]
    )
    histogram = _smooth(histogram)
    peak_u, peak_v = np.unravel_index(np.argmax(histogram), histogram.shape)
    centre_u = (u_edges[peak_u] + u_edges[peak_u + 1]) / 2
    centre_v = (v_edges[peak_v] + v_edges[peak_v + 1]) / 2
    near = candidate & (np.abs(u - centre_u) < 8) & (np.abs(v - centre_v) < 8)
    return KeyColor(y=float(np.median(y[near])), u=float(np.median(u[near])), v=float(np.median(v[near])))


def _smooth(histogram: np.ndarray) -> np.ndarray:
    padded = np.pad(histogram, 1)
    return sum(
        padded[1 + dy : padded.shape[0] - 1 + dy, 1 + dx : padded.shape[1] - 1 + dx]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


@dataclass(frozen=True)
class MatteTables:
    """Precomputed per clip: alpha by (luma/4, U, V) and despilled U, V by (U, V)."""

    alpha: np.ndarray  # uint8, LUMA_LEVELS * 65536
    despill_u: np.ndarray  # uint8, 65536
    despill_v: np.ndarray  # uint8, 65536


def _clip_points(options: KeyOptions) -> tuple[float, float]:
    # strength shifts both points; edgeSoftness widens the ramp between them.
    centre = 0.55 - 0.25 * (options.strength - 0.5)
    half_width = 0.12 + 0.3 * options.edge_softness
    return centre - half_width, centre + half_width


def build_tables(key: KeyColor, options: KeyOptions) -> MatteTables:
    """Build the look-up tables for one clip (about 20 ms; done once)."""
    chroma = key.chroma
    key_magnitude = float(np.hypot(*chroma))
    direction = chroma / key_magnitude
    u, v = np.meshgrid(np.arange(256, dtype=np.float32), np.arange(256, dtype=np.float32), indexing="ij")
    cu, cv = u - 128.0, v - 128.0
    along = cu * direction[0] + cv * direction[1]
    across = np.abs(cu * direction[1] - cv * direction[0])
    tolerance = 1.0
    screen_signal = along - tolerance * across  # (256, 256)

    key_luma = max(key.y - 16.0, 8.0)
    chroma_per_luma = key_magnitude / key_luma
    luma = (np.arange(LUMA_LEVELS, dtype=np.float32) + 0.5) * (1 << LUMA_BITS_DROPPED) - 16.0
    # Shadows down to 35 % of the screen's brightness still key fully; darker pixels are
    # judged by absolute chroma so that dark, slightly greenish subjects stay opaque.
    expected = chroma_per_luma * np.maximum(luma, 0.35 * key_luma)
    beta = screen_signal[None, :, :] / expected[:, None, None]
    low, high = _clip_points(options)
    alpha = 1.0 - np.clip((beta - low) / (high - low), 0.0, 1.0)
    alpha_table = np.round(alpha * 255).astype(np.uint8).ravel()

    # Spill: remove the key-direction chroma a real colour would not have (more than it has across).
    spill = np.maximum(along - across, 0.0) * options.despill
    despill_u = np.clip(np.round(u - spill * direction[0]), 0, 255).astype(np.uint8).ravel()
    despill_v = np.clip(np.round(v - spill * direction[1]), 0, 255).astype(np.uint8).ravel()
    return MatteTables(alpha=alpha_table, despill_u=despill_u, despill_v=despill_v)


def luma_at_chroma_resolution(y: np.ndarray, chroma_shape: tuple[int, int]) -> np.ndarray:
    """Mean of each 2x2 luma block (edge rows/columns repeated for odd sizes)."""
    ch, cw = chroma_shape
    h, w = y.shape
    if h != ch * 2 or w != cw * 2:
        y = np.pad(y, ((0, ch * 2 - h), (0, cw * 2 - w)), mode="edge")
    # Four strided views summed in uint16: ~10x faster than reshaping into 2x2 blocks.
    total = y[0::2, 0::2].astype(np.uint16)
    total += y[1::2, 0::2]
    total += y[0::2, 1::2]
    total += y[1::2, 1::2]
    total += 2
    total >>= 2
    return total.astype(np.uint8)


def chroma_alpha(tables: MatteTables, y_small: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    index = (y_small.astype(np.uint32) >> LUMA_BITS_DROPPED) << 16 | u.astype(np.uint32) << 8 | v.astype(np.uint32)
    return tables.alpha[index]


def despill_chroma(tables: MatteTables, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    index = u.astype(np.uint32) << 8 | v.astype(np.uint32)
    return tables.despill_u[index], tables.despill_v[index]


def _average(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rounded-up mean of two uint8 arrays without widening: (a | b) - ((a ^ b) >> 1)."""
    return (a | b) - ((a ^ b) >> 1)


def upsample_alpha(alpha_small: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear 2x upsampling (3:1 weights, chroma sited between luma samples), cropped to ``shape``.

    Works in uint8 with bitwise averages: (3a + b) / 4 = avg(a, avg(a, b)), about 4x faster than
    widening to uint16 at 1080p.
    """
    a = alpha_small
    ch, cw = a.shape
    left = np.empty_like(a)
    left[:, 1:], left[:, 0] = a[:, :-1], a[:, 0]
    right = np.empty_like(a)
    right[:, :-1], right[:, -1] = a[:, 1:], a[:, -1]
    wide = np.empty((ch, cw * 2), dtype=np.uint8)
    wide[:, 0::2] = _average(a, _average(a, left))
    wide[:, 1::2] = _average(a, _average(a, right))
    up = np.empty_like(wide)
    up[1:], up[0] = wide[:-1], wide[0]
    down = np.empty_like(wide)
    down[:-1], down[-1] = wide[1:], wide[-1]
    full = np.empty((ch * 2, cw * 2), dtype=np.uint8)
    full[0::2] = _average(wide, _average(wide, up))
    full[1::2] = _average(wide, _average(wide, down))
    return full[: shape[0], : shape[1]]
