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
# Bilinear weights for a full-resolution sample from the four chroma samples around it
# (chroma sited between luma samples: 3:1 in each direction).
_WEIGHTS = (9 / 16, 3 / 16, 3 / 16, 1 / 16)


def repeat_2x2(plane: np.ndarray, shape: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
    """Nearest-neighbour 2x upsampling of a uint8 plane, cropped to ``shape`` (into ``out`` if given).

    Each byte is doubled by widening to uint16 (``x * 257`` puts x in both bytes), which is
    about 50x faster than NumPy's broadcasting into a (h, 2, w, 2) array.
    """
    ch, cw = plane.shape
    direct = out is not None and out.shape == (ch * 2, cw * 2) and out.flags.c_contiguous
    target = out if direct else np.empty((ch * 2, cw * 2), dtype=np.uint8)
    np.multiply(plane[:, None, :], 257, out=target.view(np.uint16).reshape(ch, 2, cw), dtype=np.uint16)
    if out is None or direct:
        return target[: shape[0], : shape[1]]
    out[:] = target[: shape[0], : shape[1]]
    return out


def _window_extremes(padded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min and max over each 3x3 window of an edge-padded uint8 array."""
    rows_max = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    rows_min = np.minimum(np.minimum(padded[:-2], padded[1:-1]), padded[2:])
    high = np.maximum(np.maximum(rows_max[:, :-2], rows_max[:, 1:-1]), rows_max[:, 2:])
    low = np.minimum(np.minimum(rows_min[:, :-2], rows_min[:, 1:-1]), rows_min[:, 2:])
    return low, high


def edge_blocks(alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the chroma samples whose 3x3 alpha window is not uniform."""
    low, high = _window_extremes(np.pad(alpha, 1, mode="edge"))
    # flatnonzero + divmod: over ten times faster than np.nonzero on a 2-D mask.
    return np.divmod(np.flatnonzero(low != high), alpha.shape[1])


def _gather(padded: np.ndarray, rows: np.ndarray, cols: np.ndarray, dy: int, dx: int) -> np.ndarray:
    return padded[rows + 1 + dy, cols + 1 + dx].astype(np.float32)


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
        padded = np.pad(alpha, 1, mode="edge")
        _refine_edges(full, padded, np.pad(luma_small, 1, mode="edge"), luma, rows, cols)
    if out is None or in_place:
        return full[:height, :width]
    out[:] = full[:height, :width]
    return out


def _refine_edges(
    full: np.ndarray,
    alpha_padded: np.ndarray,
    luma_small_padded: np.ndarray,
    luma: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
) -> None:
    offsets = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    window_alpha = {o: _gather(alpha_padded, rows, cols, *o) for o in offsets}
    window_luma = {o: _gather(luma_small_padded, rows, cols, *o) for o in offsets}
    mean_alpha = sum(window_alpha.values()) / 9
    mean_luma = sum(window_luma.values()) / 9
    covariance = sum(window_alpha[o] * window_luma[o] for o in offsets) / 9 - mean_alpha * mean_luma
    variance = sum(window_luma[o] * window_luma[o] for o in offsets) / 9 - mean_luma * mean_luma
    slope = covariance / (np.maximum(variance, 0.0) + GUIDE_EPSILON)

    height, width = luma.shape
    for sub_y in (0, 1):
        for sub_x in (0, 1):
            dy, dx = 2 * sub_y - 1, 2 * sub_x - 1
            corners = ((0, 0), (0, dx), (dy, 0), (dy, dx))
            base_alpha = sum(w * window_alpha[c] for w, c in zip(_WEIGHTS, corners, strict=True))
            base_luma = sum(w * window_luma[c] for w, c in zip(_WEIGHTS, corners, strict=True))
            full_rows = np.minimum(rows * 2 + sub_y, height - 1)
            full_cols = np.minimum(cols * 2 + sub_x, width - 1)
            detail = luma[full_rows, full_cols].astype(np.float32) - base_luma
            refined = np.clip(base_alpha + slope * detail + 0.5, 0, 255).astype(np.uint8)
            full[rows * 2 + sub_y, cols * 2 + sub_x] = refined
