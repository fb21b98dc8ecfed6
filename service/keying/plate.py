"""The screen behind each soft pixel: its local colour, not the clip's average.

Light is never even: one side of a screen is brighter than the other, and a shadow darkens part
of it. Taking the screen's share out of a soft pixel (see ``unmix``) needs the screen as it is
*there*. It is measured per frame on a coarse grid: each cell's mean over the samples keyed fully
transparent (every other row and column; the screen is smooth). Cells with no screen in them
(behind the subject) take the mean of their neighbours', spreading outward until all have one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS_ACROSS = 40  # the grid's width in cells, whatever the frame's
_NEIGHBOURS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]


@dataclass(frozen=True)
class ScreenPlate:
    """The screen's local Y, U and V per grid cell; ``cell`` chroma samples per cell side."""

    planes: tuple[np.ndarray, np.ndarray, np.ndarray]
    cell: int

    def at(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The screen's Y, U and V behind the chroma samples at (``rows``, ``cols``)."""
        cell_rows, cell_cols = rows // self.cell, cols // self.cell
        return tuple(plane[cell_rows, cell_cols] for plane in self.planes)  # type: ignore[return-value]


def measure(
    y_small: np.ndarray, u: np.ndarray, v: np.ndarray, alpha_small: np.ndarray, fallback: tuple[float, float, float]
) -> ScreenPlate:
    """The plate of one frame (chroma-resolution planes); ``fallback`` (the key colour) if it shows no screen."""
    stride = max(1, alpha_small.shape[1] // CELLS_ACROSS // 4)
    cell = 4 * stride
    rows, cols = (-(-size // cell) for size in alpha_small.shape)
    screen = _cells(alpha_small[::stride, ::stride] == 0, rows, cols).astype(np.float32)
    counts = screen.sum(axis=(1, 3))
    sums = [(_cells(plane[::stride, ::stride], rows, cols) * screen).sum(axis=(1, 3)) for plane in (y_small, u, v)]
    known = counts > 0
    if not known.any():
        return ScreenPlate(tuple(np.full((rows, cols), value, np.float32) for value in fallback), cell)
    planes = [np.where(known, total / np.maximum(counts, 1), 0).astype(np.float32) for total in sums]
    return ScreenPlate(tuple(_spread(planes, known)), cell)


def _cells(plane: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``plane`` (stride-sampled) padded and viewed as (rows, 4, cols, 4): 4x4 samples per cell."""
    padded = np.zeros((rows * 4, cols * 4), plane.dtype)
    padded[: plane.shape[0], : plane.shape[1]] = plane[: rows * 4, : cols * 4]
    return padded.reshape(rows, 4, cols, 4)


def _spread(planes: list[np.ndarray], known: np.ndarray) -> list[np.ndarray]:
    """Fill unknown cells with the mean of their known neighbours, ring by ring."""
    while not known.all():
        padded_known = np.pad(known, 1).astype(np.float32)
        padded = [np.pad(plane * known, 1) for plane in planes]
        height, width = known.shape
        neighbours = sum(padded_known[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] for dy, dx in _NEIGHBOURS)
        reached = ~known & (neighbours > 0)
        for plane, source in zip(planes, padded, strict=True):
            total = sum(source[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] for dy, dx in _NEIGHBOURS)
            plane[reached] = total[reached] / neighbours[reached]
        known = known | reached
    return planes
