"""The matte: screen-colour detection and the look-up tables that turn YUV into alpha and despill.

Everything runs on 8-bit 4:2:0 planes. Alpha is computed at chroma resolution from a 3-D table
indexed by (luma / 4, U, V) and then upsampled with luma guidance, so there are no 2x2 blocks on
edges. The model is a colour-difference keyer in YUV, normalised by luma so that shadows and hot
spots on the screen key as cleanly as its evenly lit parts:

    d = chroma component along the key direction, p = component across it
    beta = (d - tolerance * p) / (expected screen chroma at this pixel's luma)
    solid = 1 - clip((beta - clip_black) / (clip_white - clip_black))

``solid`` is a steep ramp: it decides what is subject (spill and noise included) and what is
screen. Between the two, a pixel is a mix, and its alpha should be its subject's share: glass
that lets half the screen through is half transparent, where the steep ramp would call it 70 %
opaque. So where ``solid`` is clearly partial, alpha is ``1 - beta`` measured with a smaller
across-tolerance (a mix's across-chroma comes from its subject only), blended into ``solid`` as
that nears opaque, and brought to 0 with it at the screen end: the curve stays continuous.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from service.keying.edges import repeat_2x2
from service.keying.options import KeyOptions

if TYPE_CHECKING:
    from service.keying.plate import ScreenPlate

LUMA_BITS_DROPPED = 2
LUMA_LEVELS = 256 >> LUMA_BITS_DROPPED
MIN_KEY_CHROMA = 12.0  # below this the footage has no coloured screen to key
BLUE_CONE = 0.5  # V up to this share of U still counts as a blue screen's (about 27 degrees of hue)
NEUTRAL_BIN = 128 >> 2  # the detection histogram's bin of neutral U
# A green and a blue peak both count as the screen's candidates when the lower one is at least this
# share of the higher; then the one along the frame's edges (EDGE_BAND of its size deep) wins.
RIVAL_SHARE = 0.1
EDGE_BAND = 0.03
HUE_WINDOW, HUE_STEPS = 25.0, 4  # degrees either side; steps to the middle of a screen's hues
HUE_SAMPLES = 50_000
# How far below the screen (in its measured noise) alpha reaches 0. Compression noise has heavier
# tails than Gaussian (on the bench's grainy clip one screen sample in 10 000 lies 5.5 sigma out),
# and the noise is measured on a few keyframes, which can be quieter than the frames between them
# (by a fifth on that clip): at 6 sigma a fifth too little made the screen speckle and doubled
# the output's size; 7 keeps it clean (see the tests) and changed no bench figure for the worse.
NOISE_SIGMAS = 7.0
MIN_SCREEN_CLIP = 0.6  # however noisy, beta this far below the screen is not keyed away
MIN_RAMP = 0.2
# Above this noise the screen end of the ramp, held at MIN_SCREEN_CLIP, is less than 4 sigma below
# the screen: a grainy screen would speckle, so its chroma is smoothed first. (Below it, at up to
# 6-7 sigma, the clip points alone key it clean: measured on clips with grain 5 and 8, noise 0.07, 0.12.)
SMOOTH_ABOVE_NOISE = (1.0 - MIN_SCREEN_CLIP) / 4
# Where the steep ramp says "clearly partial" (below MIX_UNTIL), alpha is the pixel's subject
# share; from there to SOLID_FROM it blends into the ramp, so slightly spilled solid colours stay
# solid; below SCREEN_FOOT it is scaled down with the ramp, so the screen stays clean. At 0.7 and
# 0.9 glass about half opaque read as much as 80 % (a slight tint across the key direction puts
# it near the steep ramp's opaque end); further (0.8, 0.95) spilled dark subjects in the screen's
# hue lose more than the glass gains (scripts/bench, 2026-12-02).
MIX_UNTIL, SOLID_FROM, SCREEN_FOOT = 0.75, 0.92, 0.1
MIX_ACROSS = 0.5  # across-chroma tolerance when measuring a mix's screen share
# A pixel up to this much brighter than the screen colour may be the screen, lit more strongly;
# brightness beyond it comes from the foreground (white smoke, glass, blond hair over a dark blue
# screen). The screen itself still keys fully above it: its chroma grows with its brightness.
BRIGHTEST_SCREEN = 1.2
# BT.709 / BT.601 luma weights (R, B); G is 1 - R - B.
_MATRICES = {"bt709": (0.2126, 0.0722), "bt601": (0.299, 0.114)}
# 8-bit YUV's black level and the spans of luma and chroma: limited (TV) range, full (PC) range.
_RANGES = {False: (16.0, 219.0, 224.0), True: (0.0, 255.0, 255.0)}


@dataclass(frozen=True)
class KeyColor:
    """The screen colour in the footage's 8-bit YUV, and how that YUV encodes RGB."""

    y: float
    u: float
    v: float
    matrix: str = "bt709"
    full_range: bool = False

    @property
    def chroma(self) -> np.ndarray:
        return np.array([self.u - 128.0, self.v - 128.0])

    @property
    def is_blue(self) -> bool:
        return self.u > 128.0

    def rgb(self, y, u, v) -> np.ndarray:
        """R, G, B (0..1, stacked on a new first axis) of YUV levels coded as this colour is."""
        kr, kb = _MATRICES[self.matrix]
        black, luma_span, chroma_span = _RANGES[self.full_range]
        luma = (np.asarray(y, np.float32) - black) / luma_span
        pb, pr = (np.asarray(u, np.float32) - 128) / chroma_span, (np.asarray(v, np.float32) - 128) / chroma_span
        r, b = luma + 2 * (1 - kr) * pr, luma + 2 * (1 - kb) * pb
        return np.stack([r, (luma - kr * r - kb * b) / (1 - kr - kb), b])

    def to_hex(self, matrix: str | None = None, full_range: bool | None = None) -> str:
        """As ``#rrggbb``, read with this colour's own coding unless another is given."""
        coded = replace(
            self, matrix=matrix or self.matrix, full_range=self.full_range if full_range is None else full_range
        )
        rgb = np.clip(np.round(coded.rgb(self.y, self.u, self.v) * 255), 0, 255).astype(int)
        return "#" + "".join(f"{c:02x}" for c in rgb)


def key_color_from_hex(value: str, matrix: str = "bt709", full_range: bool = False) -> KeyColor:
    r, g, b = (int(value.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    kr, kb = _MATRICES[matrix]
    black, luma_span, chroma_span = _RANGES[full_range]
    y = kr * r + (1 - kr - kb) * g + kb * b
    return KeyColor(
        y=black + luma_span * y,
        u=128 + chroma_span * (b - y) / (2 * (1 - kb)),
        v=128 + chroma_span * (r - y) / (2 * (1 - kr)),
        matrix=matrix,
        full_range=full_range,
    )


def detect_key_color(y_planes: list[np.ndarray], u_planes: list[np.ndarray], v_planes: list[np.ndarray]) -> KeyColor:
    """Find the screen: the most common strongly green or blue chroma in the sampled frames.

    Takes chroma-resolution planes (luma already downsampled to match). Skin, wood and other
    warm colours have V above neutral, so only V below neutral is considered, and blues leaning
    towards violet (a saturated blue with a little more red than green: V near neutral, U far
    above it; magenta and purple have V as high as U); the peak of the remaining 2-D chroma
    histogram, weighted towards saturated colours, is the screen. Where a green and a blue both
    stand out (a close-up of a blue shirt against a green screen can show more shirt than
    screen), the screen is the one along the frame's edges.
    """
    y_levels = np.concatenate([p.ravel() for p in y_planes]).astype(np.intp)
    u_levels = np.concatenate([p.ravel() for p in u_planes]).astype(np.intp)
    v_levels = np.concatenate([p.ravel() for p in v_planes]).astype(np.intp)
    cu, cv = u_levels.astype(np.float32) - 128.0, v_levels.astype(np.float32) - 128.0
    magnitude = np.hypot(cu, cv)
    candidate = _screen_coloured(cu, cv, magnitude)
    if candidate.sum() < max(16, 0.02 * y_levels.size):
        raise ValueError("no green or blue screen found in the footage; pass keyColor to set it")
    cu, cv, magnitude = cu[candidate], cv[candidate], magnitude[candidate]
    # A 64 x 64 histogram of (U, V) in bins of 4 levels (bincount: np.histogram2d costs ten times more).
    bins = (u_levels[candidate] >> 2) << 6 | v_levels[candidate] >> 2
    histogram = _smooth(np.bincount(bins, weights=magnitude, minlength=64 * 64).reshape(64, 64))
    peak_u, peak_v = _screen_peak(histogram, u_planes, v_planes)
    centre_u, centre_v = 4.0 * peak_u + 2.0 - 128.0, 4.0 * peak_v + 2.0 - 128.0
    near = (np.abs(cu - centre_u) < 8) & (np.abs(cv - centre_v) < 8)
    levels = (y_levels[candidate], u_levels[candidate], v_levels[candidate])
    peak = KeyColor(*(_median_level(channel[near]) for channel in levels))
    return _centred_in_hue(peak, cu, cv, magnitude)


def _centred_in_hue(peak: KeyColor, cu: np.ndarray, cv: np.ndarray, magnitude: np.ndarray) -> KeyColor:
    """The peak turned to the middle of the screen's hues, its strength and brightness kept.

    A screen lit by two lights of different colour runs from one hue to another, and its
    histogram's peak can sit at either end; judged from there, the far end looks off-key. The
    median hue of the screen-coloured samples near the peak's, taken again around each new
    median, walks to the middle of the range (up to twice HUE_WINDOW wide).
    """
    strength = float(np.hypot(*peak.chroma))
    hue = float(np.arctan2(peak.chroma[1], peak.chroma[0]))
    stride = max(1, cu.size // HUE_SAMPLES)  # the median hue of a few 10 000 samples is as good
    cu, cv, magnitude = cu[::stride], cv[::stride], magnitude[::stride]
    strong = magnitude > 0.5 * strength
    hues = np.arctan2(cv[strong], cu[strong])
    for _ in range(HUE_STEPS):
        offset = (hues - hue + np.pi) % (2 * np.pi) - np.pi  # wrapped to [-pi, pi)
        near = offset[np.abs(offset) < np.radians(HUE_WINDOW)]
        if not near.size:
            break
        hue += float(np.median(near))
    return KeyColor(peak.y, 128.0 + strength * float(np.cos(hue)), 128.0 + strength * float(np.sin(hue)))


def _screen_coloured(cu: np.ndarray, cv: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Samples whose chroma (U and V less neutral, and its magnitude) could be a green or blue
    screen's (see ``detect_key_color``)."""
    return (magnitude > MIN_KEY_CHROMA) & ((cv < -4.0) | (cv < BLUE_CONE * cu))


def _screen_peak(histogram: np.ndarray, u_planes: list[np.ndarray], v_planes: list[np.ndarray]) -> tuple[int, int]:
    """The (U, V) bin of the screen: the histogram's peak, unless a green and a blue both stand out."""
    green, blue = histogram.copy(), histogram.copy()
    green[NEUTRAL_BIN:], blue[:NEUTRAL_BIN] = 0.0, 0.0  # U at or above neutral is blue (KeyColor.is_blue)
    peaks = [np.unravel_index(np.argmax(family), family.shape) for family in (green, blue)]
    heights = [float(histogram[peak]) for peak in peaks]
    if min(heights) < RIVAL_SHARE * max(heights):
        return peaks[int(np.argmax(heights))]
    edge_u = np.concatenate([_edge_band(plane).astype(np.float32) for plane in u_planes]) - 128.0
    edge_v = np.concatenate([_edge_band(plane).astype(np.float32) for plane in v_planes]) - 128.0
    on_edges = _screen_coloured(edge_u, edge_v, np.hypot(edge_u, edge_v))
    blue_on_edges = int(np.count_nonzero(on_edges & (edge_u >= 0.0)))
    return peaks[int(blue_on_edges > np.count_nonzero(on_edges) - blue_on_edges)]


def _edge_band(plane: np.ndarray) -> np.ndarray:
    """The samples along a plane's four edges, EDGE_BAND of its size deep (at least one)."""
    rows, cols = plane.shape
    deep_rows, deep_cols = max(1, round(EDGE_BAND * rows)), max(1, round(EDGE_BAND * cols))
    return np.concatenate([
        plane[:deep_rows].ravel(), plane[-deep_rows:].ravel(),
        plane[deep_rows:-deep_rows, :deep_cols].ravel(), plane[deep_rows:-deep_rows, -deep_cols:].ravel(),
    ])  # fmt: skip


def _median_level(levels: np.ndarray) -> float:
    """``np.median`` of 8-bit values, from their counts (a sort of a few 100 000 costs 4 ms)."""
    cumulative = np.cumsum(np.bincount(levels, minlength=256))
    lower, upper = np.searchsorted(cumulative, [(levels.size - 1) // 2, levels.size // 2], side="right")
    return (float(lower) + float(upper)) / 2


def _smooth(histogram: np.ndarray) -> np.ndarray:
    padded = np.pad(histogram, 1)
    return sum(
        padded[1 + dy : padded.shape[0] - 1 + dy, 1 + dx : padded.shape[1] - 1 + dx]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


def screen_signal(key: KeyColor, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chroma along the key direction and across it, for limited-range U and V."""
    chroma = key.chroma
    direction = chroma / float(np.hypot(*chroma))
    cu, cv = np.asarray(u, np.float32) - 128.0, np.asarray(v, np.float32) - 128.0
    along = cu * direction[0] + cv * direction[1]
    across = np.abs(cu * direction[1] - cv * direction[0])
    return along, across


def _screen_beta(
    key: KeyColor, luma: np.ndarray, along: np.ndarray, across: np.ndarray, brightest: float = np.inf
) -> np.ndarray:
    """How much of this pixel is screen: 1 for the screen at any brightness, 0 for a neutral colour.

    Chroma is judged against what the screen would have at the pixel's luma, from 35 % of the
    screen's brightness up to ``brightest`` times it.
    """
    key_luma = max(key.y - 16.0, 8.0)
    chroma_per_luma = float(np.hypot(*key.chroma)) / key_luma
    # Shadows down to 35 % of the screen's brightness still key fully; darker pixels are
    # judged by absolute chroma so that dark, slightly greenish subjects stay opaque.
    expected = chroma_per_luma * np.clip(np.asarray(luma, np.float32) - 16.0, 0.35 * key_luma, brightest * key_luma)
    return (along - across) / expected


def screen_noise(key: KeyColor, y_small: np.ndarray, u: np.ndarray, v: np.ndarray) -> float:
    """Spread of the screen's ``beta`` from pixel to pixel (sensor and compression noise), and a
    share of how far its light changes across the frame.

    Planes are (rows, cols) or (frames, rows, cols). The noise is read from the differences
    between screen samples NOISE_STEP apart, across and down: far enough apart that compression's
    blotches are independent, near enough that the light changes little between them (a robust
    spread: pairs across an edge are few, and in the tail). Light that changes smoothly across the
    screen is not noise. Where it takes chroma away (a second light of another colour, a fall-off)
    the plate keys that screen against the screen around it (see ``plate``), but not everywhere:
    the spread of the screen's block medians above their middle, read as the same spread below it,
    moves the clip point down by LIGHT_SIGMAS of it. Counted in full, as the screen's whole spread
    once was, a screen lit more strongly on one side keyed most of a navy shirt in its hue away.
    """
    along, across = screen_signal(key, u, v)
    beta = _screen_beta(key, y_small, along, across).reshape(-1, *np.shape(u)[-2:])
    screen = np.where(beta > 0.5, beta, np.nan)
    differences = np.concatenate(  # on every other row and column: plenty, at half the cost
        [np.abs(screen[:, ::2, NOISE_STEP:] - screen[:, ::2, :-NOISE_STEP]).ravel(),
         np.abs(screen[:, NOISE_STEP:, ::2] - screen[:, :-NOISE_STEP, ::2]).ravel()]
    )  # fmt: skip
    differences = differences[~np.isnan(differences)]
    if differences.size < 64:
        return 0.0
    noise = float(np.percentile(differences, 68.27) / np.sqrt(2.0))
    medians = _block_medians(screen)
    if not medians.size:
        return noise
    middle, lit_more = np.percentile(medians, [50.0, LIGHT_PERCENTILE])
    return noise + float(lit_more - middle) * LIGHT_SIGMAS / NOISE_SIGMAS


NOISE_STEP = 16  # samples
NOISE_BLOCK = 16  # samples
# The screen's light across the frame: the LIGHT_PERCENTILE-th block median above the middle one
# (a few blocks lit more, a spot, do not count), taken as the spread below it too.
LIGHT_PERCENTILE, LIGHT_SIGMAS = 90.0, 0.5


def _block_medians(screen: np.ndarray) -> np.ndarray:
    """The median of each NOISE_BLOCK-square block of ``screen`` (frames, rows, cols; NaN off the
    screen) at least half screen (fewer: mostly subject and its edge)."""
    frames, rows, cols = screen.shape
    down, across = -(-rows // NOISE_BLOCK), -(-cols // NOISE_BLOCK)
    padded = np.full((frames, down * NOISE_BLOCK, across * NOISE_BLOCK), np.nan, np.float32)
    padded[:, :rows, :cols] = screen
    blocks = padded.reshape(frames, down, NOISE_BLOCK, across, NOISE_BLOCK).transpose(0, 1, 3, 2, 4)
    blocks = blocks.reshape(-1, NOISE_BLOCK * NOISE_BLOCK)
    blocks = blocks[np.count_nonzero(~np.isnan(blocks), axis=1) >= NOISE_BLOCK * NOISE_BLOCK // 2]
    return np.nanmedian(blocks, axis=1) if len(blocks) else np.empty(0, np.float32)


# Byte order of a packed table entry (little-endian uint32): one look-up gives all four.
ALPHA, DESPILL_U, DESPILL_V, LUMA_CUT = range(4)


@dataclass(frozen=True)
class MatteTables:
    """Precomputed per clip: everything a (luma/4, U, V) triple keys to, packed in one uint32.

    The bytes are alpha; despilled U and V (neutral where alpha is 0, so the fully transparent
    screen carries no colour); and the luma cut: the spill light's luma for opaque entries,
    255 for transparent ones (their luma is replaced by ``screen_luma``), 0 for partial ones.
    """

    packed: np.ndarray  # uint32, LUMA_LEVELS * 65536
    screen_luma: int  # what fully transparent pixels are filled with (their colour is never seen)
    # What the per-frame steps after the look-up need (make_opaque, unmix):
    key: KeyColor
    despill: float
    opaque_beta: float  # the most screen signal (beta) an entry can have and still be opaque
    smooth_chroma: bool = False  # the screen is too grainy to key sample by sample (smoothed_chroma)


@dataclass(frozen=True)
class Fields:
    """One frame's table entries at chroma resolution; each byte of them as a plane on request."""

    packed: np.ndarray  # (rows, cols, 4) uint8, contiguous

    def plane(self, byte: int, out: np.ndarray | None = None) -> np.ndarray:
        """Byte ``byte`` of every entry as a contiguous uint8 plane (written into ``out`` if given).

        Shifted and cast from the entries read as uint32 words: two contiguous passes cost half
        as much as one strided pass over every fourth byte.
        """
        words = self.packed.view(np.uint32)[..., 0]
        if byte:
            words = np.right_shift(words, np.uint32(8 * byte))
        target = np.empty(words.shape, np.uint8) if out is None else out
        np.copyto(target, words, casting="unsafe")  # keeps the low byte
        return target

    @property
    def alpha(self) -> np.ndarray:
        return self.plane(ALPHA)

    @property
    def u(self) -> np.ndarray:
        return self.plane(DESPILL_U)

    @property
    def v(self) -> np.ndarray:
        return self.plane(DESPILL_V)

    @property
    def luma_cut(self) -> np.ndarray:
        return self.plane(LUMA_CUT)


def clip_points(options: KeyOptions, noise: float = 0.0) -> tuple[float, float]:
    """``beta`` at or below ``low`` is opaque, at or above ``high`` transparent, linear between.

    strength shifts both points and edgeSoftness widens the ramp. On noisy footage the screen
    end moves below the noise (NOISE_SIGMAS), so the screen keys clean instead of speckling.
    """
    centre = 0.55 - 0.25 * (options.strength - 0.5)
    half_width = 0.12 + 0.3 * options.edge_softness
    low, high = centre - half_width, centre + half_width
    high = max(min(high, 1.0 - NOISE_SIGMAS * noise), MIN_SCREEN_CLIP)
    return min(low, high - MIN_RAMP), high


def smoothed_chroma(plane: np.ndarray) -> np.ndarray:
    """The 3x3 mean of a uint8 chroma plane (edges repeated), for grainy footage.

    Grain is independent from sample to sample and the screen is smooth, so a 3x3 mean cuts the
    screen's noise to about a third, where clip points alone cannot make it key clean. Edges soften
    by about one chroma sample, which the luma-guided upsampling (see ``edges``) mostly restores.
    """
    rows, cols = plane.shape
    padded = np.empty((rows + 2, cols + 2), np.uint16)  # nine uint8 values sum to at most 2295
    padded[1:-1, 1:-1] = plane
    padded[0, 1:-1], padded[-1, 1:-1] = plane[0], plane[-1]
    padded[:, 0], padded[:, -1] = padded[:, 1], padded[:, -2]
    by_rows = padded[:-2] + padded[1:-1]
    by_rows += padded[2:]
    total = by_rows[:, :-2] + by_rows[:, 1:-1]
    total += by_rows[:, 2:]
    return np.take(_NINTHS, total)


_NINTHS = np.round(np.arange(9 * 255 + 1) / 9).astype(np.uint8)


def build_tables(key: KeyColor, options: KeyOptions, noise: float = 0.0, smooth_chroma: bool = False) -> MatteTables:
    """Build the clip's look-up table (about 15 ms, whatever the frame size; done once per clip).

    One luma level at a time: its 64K entries fit in cache, where whole-table temporaries
    (16 MB each) would cost more in fresh pages than in arithmetic. An entry with no more
    key-direction chroma than across it has beta <= 0, below the opaque clip point at every
    luma: it is the same opaque word on every level, and only the rest (about a quarter of the
    chroma plane) is computed level by level.
    """
    u, v = np.meshgrid(np.arange(256, dtype=np.float32), np.arange(256, dtype=np.float32), indexing="ij")
    along, across = screen_signal(key, u, v)
    low, high = clip_points(options, noise)
    partial, opaque = (words.ravel() for words in _despilled_words(key, options, u, v, along, across))
    varies = np.flatnonzero((along > across) | (low < 0))
    along, across = along.ravel()[varies], across.ravel()[varies]
    partial_varies, opaque_varies = partial[varies], opaque[varies]
    always_opaque = opaque.copy()
    always_opaque.view(np.uint8).reshape(-1, 4)[:, ALPHA] = 255
    transparent = np.uint32(128 << (8 * DESPILL_U) | 128 << (8 * DESPILL_V) | 255 << (8 * LUMA_CUT))
    packed = np.empty((LUMA_LEVELS, always_opaque.size), np.uint32)
    for level, entries in enumerate(packed):
        luma = np.float32((level + 0.5) * (1 << LUMA_BITS_DROPPED))
        solid = 1.0 - np.clip((_screen_beta(key, luma, along, across, BRIGHTEST_SCREEN) - low) / (high - low), 0, 1)
        share = 1.0 - np.clip(_screen_beta(key, luma, along, MIX_ACROSS * across, BRIGHTEST_SCREEN), 0, 1)
        alpha = np.round(_matte_curve(solid, share) * 255).astype(np.uint8)
        words = np.where(alpha == 255, opaque_varies, partial_varies)
        words[alpha == 0] = transparent
        words.view(np.uint8).reshape(-1, 4)[:, ALPHA] = alpha
        entries[:] = always_opaque
        entries[varies] = words
    return MatteTables(
        packed=packed.ravel(),
        screen_luma=round(key.y),
        key=key,
        despill=options.despill,
        opaque_beta=low,
        smooth_chroma=smooth_chroma,
    )


def _matte_curve(solid: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Alpha from the steep ramp's verdict and the pixel's measured subject share (module docstring)."""
    weight = np.clip((solid - MIX_UNTIL) / (SOLID_FROM - MIX_UNTIL), 0.0, 1.0)
    return (weight * solid + (1.0 - weight) * share) * np.minimum(1.0, solid / SCREEN_FOOT)


def _despilled_words(
    key: KeyColor, options: KeyOptions, u: np.ndarray, v: np.ndarray, along: np.ndarray, across: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Table entries without alpha, per (U, V): for partly transparent and for opaque pixels.

    Spill is screen-coloured light added to the subject: remove the part of it that shows as
    key-direction chroma a real colour would not have (more than it has across), and, from
    opaque pixels only, the luma that came with it in the screen's own proportion.
    """
    despill_u, despill_v, spill_luma = despilled(key, u, v, np.maximum(along - across, 0.0) * options.despill)
    partial = despill_u << (8 * DESPILL_U) | despill_v << (8 * DESPILL_V)
    return partial, partial | spill_luma << (8 * LUMA_CUT)


def despilled(
    key: KeyColor, u: np.ndarray, v: np.ndarray, spill: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """U and V with ``spill`` (key-direction chroma) taken out, and the luma that light brought."""
    key_magnitude = float(np.hypot(*key.chroma))
    direction = key.chroma / key_magnitude
    despill_u = np.clip(np.round(u - spill * direction[0]), 0, 255).astype(np.uint32)
    despill_v = np.clip(np.round(v - spill * direction[1]), 0, 255).astype(np.uint32)
    spill_luma = np.clip(np.round(spill / key_magnitude * (key.y - 16.0)), 0, 254).astype(np.uint32)
    return despill_u, despill_v, spill_luma


def judge_dark_samples_at(
    tables: MatteTables,
    fields: Fields,
    alpha: np.ndarray,
    y_small: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    floor: np.ndarray,
) -> None:
    """Look samples darker than ``floor`` (the darkest screen near each, see ``plate``) up again at it.

    Updates ``fields`` and ``alpha`` (a contiguous copy of ``fields.alpha``) in place.

    The table reads a dark pixel's chroma against what the screen would have at that darkness,
    down to 35 % of the key's brightness, so shadows on the screen key fully. But where the screen
    nearby is nowhere that dark, the darkness is not a shadow's: it is the subject's (a navy
    shirt, dark hair over the screen), and its chroma is judged against the screen as dark as it
    gets there. A dark shirt with blue spill stays solid; a dark strand's mix with the screen
    reads as the share of screen it has, not as shadowed screen.
    """
    # Judged brighter, a colour only reads more opaque: opaque samples need no second look.
    samples = np.flatnonzero((y_small < floor) & (alpha != 255))
    if not samples.size:
        return
    index = _table_index(floor.ravel()[samples], u.ravel()[samples], v.ravel()[samples])
    _store(fields, alpha, samples, tables.packed[index].view(np.uint8).reshape(-1, 4))


def rekey_off_key(
    tables: MatteTables,
    fields: Fields,
    alpha: np.ndarray,
    y_small: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    screen: ScreenPlate,
) -> None:
    """Key the samples of the plate's ``off_key`` cells again, each against the screen measured there.

    Updates ``fields`` and ``alpha`` (a contiguous copy of ``fields.alpha``) in place.

    Such a cell's screen (a hot spot, say) differs from the key by more than light that scales
    the key's colour. Its samples are mapped so that the screen there lands on the key (luma
    above black scaled; chroma turned and scaled, as a complex number) and looked up again; so a
    sample is judged against that screen as the table judges against the key. Their despilled
    chroma is mapped back, so spill is taken out along the screen's local colour.
    """
    rows, cols = screen.off_key_samples(alpha.shape)
    if not rows.size:
        return
    key, cell = tables.key, screen.cell
    plate_y, plate_u, plate_v = screen.planes
    luma_gain = np.float32(key.y - 16.0) / np.maximum(plate_y - 16.0, 8.0)
    local_chroma = (plate_u - 128.0) + 1j * (plate_v - 128.0)
    safe = np.abs(local_chroma) >= MIN_KEY_CHROMA
    chroma_map = np.where(safe, complex(key.u - 128.0, key.v - 128.0) / np.where(safe, local_chroma, 1.0), 1.0)
    samples = rows * alpha.shape[1] + cols
    at_cell = (rows // cell, cols // cell)
    mapping = chroma_map[at_cell]
    mapped_luma = 16.0 + (y_small.ravel()[samples] - 16.0) * luma_gain[at_cell]
    mapped = (u.ravel()[samples] - 128.0 + 1j * (v.ravel()[samples] - 128.0)) * mapping
    planes = (mapped_luma, mapped.real + 128.0, mapped.imag + 128.0)
    levels = (np.clip(np.round(plane), 0, 255).astype(np.uint8) for plane in planes)
    entries = tables.packed[_table_index(*levels)].view(np.uint8).reshape(-1, 4).copy()
    despilled_back = ((entries[:, DESPILL_U] - 128.0) + 1j * (entries[:, DESPILL_V] - 128.0)) / mapping
    entries[:, DESPILL_U] = np.clip(np.round(despilled_back.real + 128.0), 0, 255)
    entries[:, DESPILL_V] = np.clip(np.round(despilled_back.imag + 128.0), 0, 255)
    _store(fields, alpha, samples, entries)


def _store(fields: Fields, alpha: np.ndarray, samples: np.ndarray, entries: np.ndarray) -> None:
    """Put table ``entries`` ((n, 4) bytes) at ``samples`` (flat indices) of ``fields``, and their
    alpha into ``alpha`` (the contiguous copy of ``fields.alpha`` the caller keeps)."""
    fields.packed.reshape(-1, 4)[samples] = entries
    alpha.ravel()[samples] = entries[:, ALPHA]


def make_opaque(
    tables: MatteTables, fields: Fields, y_small: np.ndarray, u: np.ndarray, v: np.ndarray, samples: np.ndarray
) -> None:
    """Despill ``samples`` (flat indices) whose alpha was raised to opaque after the look-up.

    Their colour is the subject's own, so they are despilled as opaque pixels are, but by no
    more than the most spill an opaque entry of their brightness can carry: a sage-green patch
    loses its spill, not all its green and a third of its brightness. At that limit the result
    meets the table's, so a gradient running into such a patch shows no seam.
    """
    if not samples.size:
        return
    key = tables.key
    u_at, v_at = u.ravel()[samples].astype(np.float32), v.ravel()[samples].astype(np.float32)
    along, across = screen_signal(key, u_at, v_at)
    beta = _screen_beta(key, y_small.ravel()[samples], along, across, BRIGHTEST_SCREEN)
    allowed = tables.opaque_beta / np.maximum(beta, tables.opaque_beta)  # of the excess: 1 up to the limit
    despill_u, despill_v, spill_luma = despilled(
        key, u_at, v_at, np.maximum(along - across, 0.0) * allowed * tables.despill
    )
    entries = fields.packed.reshape(-1, 4)
    entries[samples, DESPILL_U], entries[samples, DESPILL_V] = despill_u, despill_v
    entries[samples, LUMA_CUT] = spill_luma


def luma_at_chroma_resolution(y: np.ndarray, chroma_shape: tuple[int, int]) -> np.ndarray:
    """Mean of each 2x2 luma block (edge rows/columns repeated for odd sizes)."""
    ch, cw = chroma_shape
    h, w = y.shape
    if h != ch * 2 or w != cw * 2:
        y = np.pad(y, ((0, ch * 2 - h), (0, cw * 2 - w)), mode="edge")
    # Each pair of neighbouring pixels read as one little-endian uint16 word (left + 256 * right):
    # its two bytes are summed in uint16, then row pairs. Contiguous passes only, a quarter faster
    # than summing strided views.
    words = np.ascontiguousarray(y).view("<u2")
    pair_sums = np.bitwise_and(words, np.uint16(255))
    pair_sums += words >> 8
    total = pair_sums[0::2] + pair_sums[1::2]
    total += 2
    return np.right_shift(total, 2, out=np.empty(total.shape, np.uint8), casting="unsafe")


def look_up(tables: MatteTables, y_small: np.ndarray, u: np.ndarray, v: np.ndarray) -> Fields:
    """Alpha, despilled chroma and luma cut for every chroma sample, in one table look-up."""
    packed = np.take(tables.packed, _table_index(y_small, u, v))
    return Fields(packed.view(np.uint8).reshape(*packed.shape, 4))


def _table_index(luma: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Where uint8 (luma, U, V) sit in the packed table: (luma / 4, U, V), row-major."""
    index = (luma >> LUMA_BITS_DROPPED).astype(np.uint32)
    index <<= 8
    index |= u
    index <<= 8
    index |= v
    return index


def finish_luma(
    tables: MatteTables,
    y: np.ndarray,
    luma_cut: np.ndarray,
    out: np.ndarray,
    edge_blocks: tuple[np.ndarray, np.ndarray] | None = None,
    unsettled: np.ndarray | None = None,
) -> None:
    """Output luma: the spill light's luma taken out of opaque pixels, transparent ones flattened.

    Spill luma is removed only where the subject is solid: at partly transparent edges the same
    chroma means "screen seen through", whose luma belongs to the mix and stays. Fully
    transparent pixels get one flat value (the screen's brightness; with neutral chroma, what
    despill turns the screen into), so the encoder spends nothing on the screen's noise and
    players that scale colour and alpha separately show no dark or green fringe. Transparent
    ``edge_blocks`` (chroma samples next to an edge, see ``edges.edge_blocks``) are not flattened:
    their upsampled alpha need not be zero everywhere. ``unsettled`` (flat indices) are samples
    whose alpha is no longer the table's (see ``temporal``): their luma stays as it is.
    ``luma_cut`` (contiguous uint8, as ``Fields.luma_cut`` makes it) is used up: it is changed
    in place.
    """
    cut = luma_cut
    if edge_blocks is not None and edge_blocks[0].size:
        at_edges = cut[edge_blocks]
        cut[edge_blocks] = np.where(at_edges == 255, 0, at_edges)
    if unsettled is not None and unsettled.size:
        cut.ravel()[unsettled] = 0
    # out = max(y, cut) - cut, plus the fill on transparent samples (cut 255), in one subtraction:
    # there max(y, 255) - (255 - fill) is the fill (uint8 arithmetic wraps, exactly).
    cut_full = repeat_2x2(cut, y.shape)
    np.maximum(y, cut_full, out=out)
    cut -= (cut == 255).view(np.uint8) * np.uint8(tables.screen_luma)
    out -= repeat_2x2(cut, y.shape, out=cut_full)
