"""The colour of partly transparent pixels: the subject's own, not the mix.

A pixel of alpha ``a`` shows ``C = a * F + (1 - a) * S``: part subject colour F, part screen S.
A player composites ``a * colour + (1 - a) * plate``, so the colour sent must be F. The mix
itself (what despill alone leaves) keeps the screen's brightness in every soft edge, and pale
glass over a blue screen would come out grey. So ``F = S + (C - S) / a``, with S the screen as
it is behind the pixel (see ``plate``), despilled as any subject colour. Where alpha is small F
is mostly noise, and a composite weighs it by ``a`` only; below MIN_ALPHA the division stops
growing, which leaves F nearer the screen's colour (neutral, once despilled) instead of
amplifying noise.
"""

from __future__ import annotations

import numpy as np

from service.keying import matte
from service.keying.edges import sub_pixels
from service.keying.plate import ScreenPlate

MIN_ALPHA = 0.2


# The divisor for each 8-bit alpha: alpha as a fraction, no less than MIN_ALPHA.
_DIVISORS = np.maximum(np.arange(256, dtype=np.float32), np.float32(MIN_ALPHA * 255)) / np.float32(255)


def _unmixed(mixed: np.ndarray, screen: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return screen + (mixed.astype(np.float32) - screen) / np.take(_DIVISORS, alpha)


def _is_partial(alpha: np.ndarray) -> np.ndarray:
    return (alpha - np.uint8(1)) < 254  # uint8 arithmetic wraps 0 to 255: true for 1..254 only


def soft_pixels(
    tables: matte.MatteTables,
    plate: ScreenPlate,
    planes: tuple[np.ndarray, np.ndarray, np.ndarray],
    alpha_small: np.ndarray,
    alpha: np.ndarray,
    edge_blocks: tuple[np.ndarray, np.ndarray],
    out_planes: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Give every soft pixel its subject's colour, in ``out_planes`` (Y, U, V).

    Chroma for the partial chroma samples; luma for the partly transparent pixels of those and of
    ``edge_blocks`` (see ``edges.edge_blocks``), whose upsampled alpha may be partial too.
    """
    (y, u, v), (out_y, out_u, out_v) = planes, out_planes
    soft = _is_partial(alpha_small)
    partial = np.flatnonzero(soft)
    if not partial.size and not edge_blocks[0].size:
        return
    _unmix_chroma(tables, plate, u, v, alpha_small, partial, out_u, out_v)
    soft[edge_blocks] = True
    _unmix_luma(plate, y, alpha, np.flatnonzero(soft), u.shape[1], out_y)


def _unmix_chroma(
    tables: matte.MatteTables,
    plate: ScreenPlate,
    u: np.ndarray,
    v: np.ndarray,
    alpha_small: np.ndarray,
    samples: np.ndarray,
    out_u: np.ndarray,
    out_v: np.ndarray,
) -> None:
    """Subject chroma for the partial ``samples`` (flat chroma indices), despilled, into ``out_u``/``out_v``."""
    if not samples.size:
        return
    screen_u, screen_v = plate.at(*np.divmod(samples, u.shape[1]), channels=slice(1, None))
    alpha = alpha_small.ravel()[samples]
    subject_u, subject_v = _unmixed(u.ravel()[samples], screen_u, alpha), _unmixed(v.ravel()[samples], screen_v, alpha)
    along, across = matte.screen_signal(tables.key, subject_u, subject_v)
    spill = np.maximum(along - across, 0.0) * tables.despill
    despilled_u, despilled_v, _ = matte.despilled(tables.key, subject_u, subject_v, spill)
    out_u.ravel()[samples], out_v.ravel()[samples] = despilled_u, despilled_v


def _unmix_luma(
    plate: ScreenPlate,
    y: np.ndarray,
    alpha: np.ndarray,
    chroma_samples: np.ndarray,
    chroma_width: int,
    out_y: np.ndarray,
) -> None:
    """Subject luma for the partly transparent pixels of ``chroma_samples`` (flat chroma indices)."""
    if not chroma_samples.size:
        return
    rows, cols = np.divmod(chroma_samples, chroma_width)
    height, width = y.shape
    # All four luma pixels of every sample at once: (4, n) flat indices.
    full_rows, full_cols = sub_pixels(rows, cols)
    screen_y = np.broadcast_to(plate.at(rows, cols, channels=0), full_rows.shape)
    pixels = full_rows * width + full_cols
    if height % 2 or width % 2:  # the last row or column of samples covers fewer pixels
        inside = (full_rows < height) & (full_cols < width)
        pixels, screen_y = pixels[inside], screen_y[inside]
    pixels, screen_y = pixels.ravel(), screen_y.ravel()
    pixel_alpha = np.take(alpha.ravel(), pixels)
    soft = np.flatnonzero(_is_partial(pixel_alpha))
    pixels = pixels[soft]
    subject = _unmixed(np.take(y.ravel(), pixels), screen_y[soft], pixel_alpha[soft])
    out_y.ravel()[pixels] = np.clip(np.round(subject), 0, 255).astype(np.uint8)
