"""The screen behind each soft pixel: its local colour, not the clip's average.

Light is never even: one side of a screen is brighter than the other, and a shadow darkens part
of it. Taking the screen's share out of a soft pixel (see ``unmix``) needs the screen as it is
*there*. It is measured per frame on a coarse grid: each cell's mean over the samples keyed fully
transparent (16 evenly spread per cell; the screen is smooth). Cells with no screen in them
(behind the subject) take the mean of the nearest cells that have some, at the finest scale that has any.

The plate also keeps each cell's darkest screen: how deep the shadows on the screen go there,
less DARKEST_MARGIN, since only 16 of the cell's samples were looked at and the others' noise
reaches a little lower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS_ACROSS = 40  # the grid's width in cells, whatever the frame's
DARKEST_MARGIN = 4  # luma levels: one step of the matte table's luma axis


@dataclass(frozen=True)
class ScreenPlate:
    """The screen's local Y, U and V per grid cell (``planes``: 3 x rows x cols); ``cell`` chroma
    samples per cell side."""

    planes: np.ndarray
    darkest: np.ndarray  # rows x cols: the lowest luma of the screen in each cell, less the margin (uint8)
    cell: int

    def at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The screen's Y, U and V (3 x n) behind the chroma samples at (``rows``, ``cols``)."""
        return self.planes[:, rows // self.cell, cols // self.cell]

    def darkest_per_sample(self, shape: tuple[int, int]) -> np.ndarray:
        """``darkest`` for every chroma sample of a plane of ``shape``."""
        # Columns first: repeating whole rows afterwards is a plain copy (five times faster).
        return np.repeat(np.repeat(self.darkest, self.cell, axis=1), self.cell, axis=0)[: shape[0], : shape[1]]


def measure(
    y_small: np.ndarray, u: np.ndarray, v: np.ndarray, alpha_small: np.ndarray, fallback: tuple[float, float, float]
) -> ScreenPlate:
    """The plate of one frame (chroma-resolution planes); ``fallback`` (the key colour) if it shows no screen."""
    stride = max(1, alpha_small.shape[1] // CELLS_ACROSS // 4)
    cell = 4 * stride
    rows, cols = (-(-size // cell) for size in alpha_small.shape)
    sampled = (slice(None, rows * 4 * stride, stride), slice(None, cols * 4 * stride, stride))
    grid = np.zeros((4, rows * 4, cols * 4), np.float32)  # screen mask, then Y, U, V where it is screen
    height, width = alpha_small[sampled].shape
    grid[0, :height, :width] = alpha_small[sampled] == 0
    for channel, plane in enumerate((y_small, u, v), start=1):
        np.multiply(plane[sampled], grid[0, :height, :width], out=grid[channel, :height, :width])
    totals = _reduce_blocks(grid, 4, np.add)
    counts, known = totals[0], totals[0] > 0
    if not known.any():
        planes = np.broadcast_to(np.float32(fallback)[:, None, None], (3, rows, cols))
        return ScreenPlate(planes, np.zeros((rows, cols), np.uint8), cell)
    luma_where_screen = np.where(grid[0] > 0, grid[1], np.float32(255))
    darkest = np.where(known, _reduce_blocks(luma_where_screen, 4, np.minimum), 0)
    darkest = np.clip(np.round(_spread(darkest[None] * counts, counts)[0]) - DARKEST_MARGIN, 0, 255).astype(np.uint8)
    return ScreenPlate(_spread(totals[1:], counts), darkest, cell)


def _spread(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Means (3 x rows x cols) of the cells with a count; the others from ever coarser 2x2 means of
    those (push-pull): each takes the mean of the nearest cells that have any, at the finest scale."""
    levels = [(sums, counts)]
    while levels[-1][1].shape != (1, 1):
        level_sums, level_counts = levels[-1]
        levels.append((_halve(level_sums), _halve(level_counts[None])[0]))
    filled = levels[-1][0] / max(float(levels[-1][1][0, 0]), 1.0)
    for level_sums, level_counts in reversed(levels[:-1]):
        rows, cols = level_counts.shape
        coarser = np.repeat(np.repeat(filled, 2, axis=1), 2, axis=2)[:, :rows, :cols]
        filled = np.where(level_counts > 0, level_sums / np.maximum(level_counts, 1e-6), coarser)
    return filled


def _halve(grid: np.ndarray) -> np.ndarray:
    """Sums over 2x2 blocks of each plane of ``grid`` (a last odd row or column is its own block)."""
    planes, rows, cols = grid.shape
    padded = np.zeros((planes, rows + rows % 2, cols + cols % 2), np.float32)
    padded[:, :rows, :cols] = grid
    return _reduce_blocks(padded, 2, np.add)


def _reduce_blocks(grid: np.ndarray, size: int, combine: np.ufunc) -> np.ndarray:
    """``combine`` over each ``size`` x ``size`` block of the last two axes (whole blocks only).

    One ufunc call per row and column of the block: NumPy's own reduction over two short
    axes of a reshaped array costs seven times as much on this grid.
    """
    columns = combine(grid[..., 0::size], grid[..., 1::size])
    for offset in range(2, size):
        combine(columns, grid[..., offset::size], out=columns)
    blocks = combine(columns[..., 0::size, :], columns[..., 1::size, :])
    for offset in range(2, size):
        combine(blocks, columns[..., offset::size, :], out=blocks)
    return blocks
