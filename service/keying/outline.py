"""Soft samples at the subject's outline: alpha from the subject's colour right next to them.

The table reads a mix by how much of the screen's colour it holds, as if the subject added none of
its own along the key's direction. Warm colours (skin, blond or red hair, wood) hold chroma
opposite a green or a blue screen's, so their mixes read far more opaque than they are: blond hair
over a third of a green screen sample reads 81 % opaque, half over it solid; its colour, unmixed
as solid, keeps the screen's share, grey once despilled. Grey reads right.

At the outline the subject's colour is known: it is the colour of the nearest sample inside the
subject (its whole 3x3 window solid), a few samples in. A mix of the screen behind it (the plate)
and that colour lies on the straight line between the two, in Y, U and V, and its alpha is how far
along the line it is. That is taken for the samples touching the screen, where the sample lies
near the line (so the colour next to it is its subject's), nearer it than the line from black to
that colour (a rim shaded darker is the subject's colour in less light, as in ``ramps``), and
less than SOLID_SHARE of the way (a solid edge, shaded or spilled a little, keeps the table's
verdict). Only ever lowered: a greenish shirt's own edge is all the way to its colour and stays
solid.

Measured on 8-frame renders (scripts/bench, 2026-12-02): the bench's 19 screens 1.27 -> 1.21 MAE,
48 random scenes 2.38 -> 2.18 (PSNR 32.7 -> 33.8 dB), 24 portraits 1.91 -> 1.84; holes (alpha
missing on truly solid pixels, mostly the pixel next to an edge) rise by 0.07-0.23.
"""

from __future__ import annotations

import numpy as np

from service.keying.edges import in_plane, window_extremes
from service.keying.plate import ScreenPlate
from service.keying.ramps import VIDEO_BLACK, position_on_line

REACH = 3  # chroma samples: how far in the subject's colour is looked for
# In order of distance: the first sample inside the subject found is the nearest.
_SPAN = range(-REACH, REACH + 1)
_OFFSETS = sorted(
    ((dy, dx) for dy in _SPAN for dx in _SPAN if 0 < dy * dy + dx * dx <= REACH**2),
    key=lambda offset: offset[0] ** 2 + offset[1] ** 2,
)
OFF_LINE = 0.15  # of the subject's distance from the screen, plus NOISE_LEVELS
NOISE_LEVELS = 4.0
MIN_CONTRAST = 20.0  # levels between screen and subject: nearer, the line has no direction
# This far along the line or further, the sample keeps the table's alpha: a solid rim that spill
# tints towards the screen (spill is strongest at the outline) stays solid. At 0.9 instead, the
# same MAE and 0.02-0.04 more holes (8-frame renders of the bench, random scenes and portraits).
SOLID_SHARE = 0.75
# Luma counts twice: it has twice chroma's resolution, and stays sharp where chroma was filtered
# (RGB converted to 4:2:0 blurs a hard edge's chroma only): such an edge is off the line.
LUMA_WEIGHT = 2.0


def soften_outline(alpha: np.ndarray, planes: tuple[np.ndarray, np.ndarray, np.ndarray], plate: ScreenPlate) -> None:
    """Lower ``alpha`` (chroma resolution, in place) of the outline's mixes (module docstring).

    ``planes`` are Y (at chroma resolution), U and V; ``plate`` gives the screen's local colour.
    """
    low, _, centre = window_extremes(alpha)
    rows, cols = in_plane(np.flatnonzero((low == 0) & (centre != 0)), alpha.shape)
    if not rows.size:
        return
    rows, cols, subject = _nearest_inside(low == 255, alpha.shape, rows, cols)
    if not rows.size:
        return
    samples = rows * alpha.shape[1] + cols
    weights = np.array([LUMA_WEIGHT, 1.0, 1.0], np.float32)[:, None]
    colour = np.stack([plane.ravel()[samples] for plane in planes]) * weights
    own = np.stack([plane[subject] for plane in planes]) * weights
    screen = plate.at(rows, cols) * weights
    share, off = (part[:, 0] for part in position_on_line(colour[:, :, None], screen, own))
    black = np.broadcast_to(VIDEO_BLACK[:, None] * weights, own.shape)
    off_shading = position_on_line(colour[:, :, None], black, own)[1][:, 0]
    length = np.sqrt(((own - screen) ** 2).sum(axis=0))
    mixed = (
        (length >= MIN_CONTRAST)
        & (off <= OFF_LINE * length + NOISE_LEVELS)
        & (off < off_shading)  # nearer a blend with the screen than the subject's own colour in shade
        & (share < SOLID_SHARE)
    )
    samples = samples[mixed]
    lowered = np.round(np.clip(share[mixed], 0.0, 1.0) * 255).astype(np.uint8)
    flat = alpha.reshape(-1)  # a view: written through
    flat[samples] = np.minimum(flat[samples], lowered)


def _nearest_inside(
    inside: np.ndarray, shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The (``rows``, ``cols``) with a sample inside the subject within REACH, and the rows and
    columns of the nearest such sample for each. ``inside`` is a flat line laid out as
    ``window_extremes`` lays out its windows (row stride: the width plus 2).

    Looked up in a copy framed by REACH samples that are not inside, read as one flat line: each
    offset is then one number to add, with no bounds to check.
    """
    height, width = shape
    framed = np.zeros((height + 2 * REACH, width + 2 * REACH), bool)
    framed[REACH:-REACH, REACH:-REACH] = np.lib.stride_tricks.as_strided(inside, shape, (width + 2, 1))
    framed_width = framed.shape[1]
    flat_framed = framed.ravel()
    origin = (rows + REACH) * framed_width + cols + REACH
    nearest = np.full(rows.size, -1, np.intp)
    looking = np.arange(rows.size)
    for dy, dx in _OFFSETS:
        at = origin[looking] + (dy * framed_width + dx)
        found = flat_framed[at]
        nearest[looking[found]] = at[found]
        looking = looking[~found]
        if not looking.size:
            break
    has = nearest >= 0
    nearest_rows, nearest_cols = np.divmod(nearest[has], framed_width)
    return rows[has], cols[has], (nearest_rows - REACH, nearest_cols - REACH)
