"""Alpha from chroma resolution to full resolution, with edges placed by the full-resolution luma.

4:2:0 video stores colour at half resolution, so a chroma key can only say *which 2x2 block* an
edge crosses. The luma plane says where inside the block it lies. Flat regions (the screen, the
inside of the subject) are upsampled by repetition, which is exact there. Only the blocks with an
edge nearby (usually a few percent of the frame) get bilinear interpolation plus luma detail,
as in a guided filter: in each 3x3 chroma window alpha is fitted as ``a * luma + b`` and the
full-resolution luma's deviation from its own interpolation is added with slope ``a``. Where
luma and alpha are unrelated (a grey subject on a screen of the same brightness) the slope is
near zero and the result is plain bilinear interpolation.
"""

from __future__ import annotations

import numpy as np

# Regularises the slope fit, in (8-bit luma)^2: below this luma variance a window's slope
# is damped, so sensor noise on flat luma does not turn into alpha noise.
GUIDE_EPSILON = 4.0
# A 3x3 window whose alpha spans no more than this many levels is upsampled by repetition, as flat
# regions are: interpolation would move no pixel by more than 7/16 of the span (under 1.5 levels).
# Such windows are most of a translucent object's inside (38 % of the edge-rich speed clip's edge
# blocks); left out, the keying takes 0.9 ms less per 1080p frame, and no bench figure moves.
FLAT_SPAN = 3
_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]  # a 3x3 window, row by row
SUB_POSITIONS = [(0, 0), (0, 1), (1, 0), (1, 1)]  # the four luma samples of a chroma sample
_SUB_ROWS, _SUB_COLS = (np.array(axis)[:, None] for axis in zip(*SUB_POSITIONS, strict=True))


def sub_pixels(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The full-resolution rows and columns (each 4 x n, in SUB_POSITIONS order) of the luma
    pixels under the chroma samples at (``rows``, ``cols``)."""
    return rows * 2 + _SUB_ROWS, cols * 2 + _SUB_COLS


def _bilinear_weights() -> np.ndarray:
    """(4, 9): each full-resolution sample from the four chroma samples around it, weighted
    9:3:3:1 (chroma sited between luma samples)."""
    weights = np.zeros((len(SUB_POSITIONS), len(_OFFSETS)), np.float32)
    for position, (sub_y, sub_x) in enumerate(SUB_POSITIONS):
        dy, dx = 2 * sub_y - 1, 2 * sub_x - 1
        for weight, corner in zip((9, 3, 3, 1), ((0, 0), (0, dx), (dy, 0), (dy, dx)), strict=True):
            weights[position, _OFFSETS.index(corner)] = weight / 16
    return weights


_BILINEAR = _bilinear_weights()


def repeat_2x2(plane: np.ndarray, shape: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
    """Nearest-neighbour 2x upsampling of a uint8 plane, cropped to ``shape`` (into ``out`` if given).

    Each byte is doubled by widening to uint16 (``x * 257`` puts x in both bytes), which is
    about 50x faster than NumPy's broadcasting into a (h, 2, w, 2) array; the doubled row is
    made once and copied into both output rows (half the cost of multiplying into each).
    """
    ch, cw = plane.shape
    direct = out is not None and out.shape == (ch * 2, cw * 2) and out.flags.c_contiguous
    target = out if direct else np.empty((ch * 2, cw * 2), dtype=np.uint8)
    doubled = np.multiply(plane, np.uint16(257), dtype=np.uint16)
    row_pairs = target.view(np.uint16).reshape(ch, 2, cw)
    row_pairs[:, 0], row_pairs[:, 1] = doubled, doubled
    if out is None or direct:
        return target[: shape[0], : shape[1]]
    out[:] = target[: shape[0], : shape[1]]
    return out


def edge_blocks(alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the chroma samples whose 3x3 alpha window spans more than FLAT_SPAN."""
    low, high, _ = window_extremes(alpha)
    # flatnonzero + divmod: over ten times faster than np.nonzero on a 2-D mask.
    return in_plane(np.flatnonzero((high - low) > FLAT_SPAN), alpha.shape)  # uint8: high >= low, no wrap


def window_extremes(alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The minimum, maximum and centre of every 3x3 window of ``alpha`` (edges repeated), as flat
    lines: entry ``r * (width + 2) + c`` is the window centred on (r, c); entries with c >= width
    wrap from one row to the next and mean nothing (``in_plane`` drops them).

    Taken over the edge-padded plane read as one flat line, where every shifted view is contiguous
    (2-D views of a padded plane are not, and cost three times as much).
    """
    padded = np.pad(alpha, 1, mode="edge")
    stride = padded.shape[1]
    flat = padded.ravel()
    above, level, below = flat[: -2 * stride], flat[stride:-stride], flat[2 * stride :]
    rows_max = np.maximum(np.maximum(above, level), below)
    rows_min = np.minimum(np.minimum(above, level), below)
    high = np.maximum(np.maximum(rows_max[:-2], rows_max[1:-1]), rows_max[2:])
    low = np.minimum(np.minimum(rows_min[:-2], rows_min[1:-1]), rows_min[2:])
    return low, high, level[1:-1]


def in_plane(entries: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the ``window_extremes`` ``entries`` (flat positions) that are windows of
    a plane of ``shape``."""
    rows, cols = np.divmod(entries, shape[1] + 2)
    inside = cols < shape[1]
    return rows[inside], cols[inside]


def _window_indices(at: tuple[np.ndarray, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Flat indices (9, n) of the 3x3 window around each (row, col) in a plane of ``shape``, edges
    repeated (indices clipped rather than the plane padded: a padded copy costs more than the few
    thousand windows; flat indices, made once for both planes, cost a third of 2-D ones)."""
    rows, cols = at
    height, width = shape
    row_starts = np.stack([np.maximum(rows - 1, 0), rows, np.minimum(rows + 1, height - 1)]) * width
    window_cols = np.stack([np.maximum(cols - 1, 0), cols, np.minimum(cols + 1, width - 1)])
    return (row_starts[:, None] + window_cols[None, :]).reshape(len(_OFFSETS), -1)


def upsample_alpha(
    alpha: np.ndarray,
    luma_small: np.ndarray,
    luma: np.ndarray,
    blocks: tuple[np.ndarray, np.ndarray] | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Full-resolution alpha (uint8, shape of ``luma``) from chroma-resolution ``alpha``.

    ``luma_small`` is ``luma`` averaged to the chroma grid (see ``matte.luma_at_chroma_resolution``);
    ``blocks`` are ``edge_blocks(alpha)`` if the caller has them already; ``out`` receives the result.
    """
    ch, cw = alpha.shape
    height, width = luma.shape
    rows, cols = edge_blocks(alpha) if blocks is None else blocks
    in_place = out is not None and out.shape == (ch * 2, cw * 2)
    full = repeat_2x2(alpha, (ch * 2, cw * 2), out=out if in_place else None)
    if rows.size:
        _refine_edges(full, alpha, luma_small, luma, rows, cols)
    if out is None or in_place:
        return full[:height, :width]
    out[:] = full[:height, :width]
    return out


def _refine_edges(
    full: np.ndarray,
    alpha: np.ndarray,
    luma_small: np.ndarray,
    luma: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
) -> None:
    """Write the edge blocks at (``rows``, ``cols``) into ``full`` (contiguous, twice ``alpha``'s size)."""
    windows = _window_indices((rows, cols), alpha.shape)
    window_alpha = np.take(alpha.ravel(), windows).astype(np.float32)
    window_luma = np.take(luma_small.ravel(), windows).astype(np.float32)
    mean_alpha, mean_luma = window_alpha.mean(axis=0), window_luma.mean(axis=0)
    covariance = (window_alpha * window_luma).mean(axis=0) - mean_alpha * mean_luma
    variance = np.maximum((window_luma * window_luma).mean(axis=0) - mean_luma * mean_luma, 0.0)
    slope = covariance / (variance + GUIDE_EPSILON)

    # einsum, not ``@``: a matrix product wakes OpenBLAS's threads, which then spin on every core
    # for a while after a product this small and take CPU from the encoder (about 10 % of the
    # keying process's CPU on a two-core machine).
    base_alpha, base_luma = (np.einsum("pk,kn->pn", _BILINEAR, window) for window in (window_alpha, window_luma))
    full_rows, full_cols = sub_pixels(rows, cols)
    pixels = full_rows * full.shape[1] + full_cols
    height, width = luma.shape
    if (height, width) == full.shape:
        at_luma = pixels
    else:  # an odd size: the last row or column of blocks repeats the frame's edge
        at_luma = np.minimum(full_rows, height - 1) * width + np.minimum(full_cols, width - 1)
    detail = np.take(luma.ravel(), at_luma) - base_luma
    refined = base_alpha + slope * detail + 0.5
    full.reshape(-1)[pixels] = np.clip(refined, 0, 255).astype(np.uint8)  # ``full`` is contiguous: a view
