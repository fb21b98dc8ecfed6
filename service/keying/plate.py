"""The screen behind each soft pixel: its local colour, not the clip's average.

Light is never even: one side of a screen is brighter than the other, and a shadow darkens part
of it. Taking the screen's share out of a soft pixel (see ``unmix``) needs the screen as it is
*there*. It is measured per frame on a coarse grid: each cell's mean over the samples keyed fully
transparent (every other row and column; the screen is smooth). Cells with no screen in them
(behind the subject) take the mean of the nearest cells that have some, at the finest scale that has any.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS_ACROSS = 40  # the grid's width in cells, whatever the frame's


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
    """Fill unknown cells from ever coarser 2x2 means of the known ones (push-pull): each takes the
    mean of the nearest known cells at the finest scale that has any, in a few array operations."""
    weights = known.astype(np.float32)
    levels = [([plane * weights for plane in planes], weights)]
    while levels[-1][1].shape != (1, 1):
        sums, weights = levels[-1]
        levels.append(([_halve(total) for total in sums], _halve(weights)))
    filled = [total / max(float(levels[-1][1][0, 0]), 1.0) for total in levels[-1][0]]
    for sums, weights in reversed(levels[:-1]):
        rows, cols = weights.shape
        coarse = [np.repeat(np.repeat(plane, 2, axis=0), 2, axis=1)[:rows, :cols] for plane in filled]
        has = weights > 0
        filled = [np.where(has, total / np.maximum(weights, 1e-6), up) for total, up in zip(sums, coarse, strict=True)]
    return [np.where(known, plane, fill) for plane, fill in zip(planes, filled, strict=True)]


def _halve(grid: np.ndarray) -> np.ndarray:
    """Sums over 2x2 blocks (a last odd row or column is its own block)."""
    rows, cols = grid.shape
    padded = np.zeros((rows + rows % 2, cols + cols % 2), np.float32)
    padded[:rows, :cols] = grid
    return padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2).sum(axis=(1, 3))
