"""Frame-to-frame stability of the matte.

Sensor and compression noise differ in every frame, so a soft matte on a static semi-transparent
edge (hair, glass, anti-aliased outlines) would shimmer. Small alpha changes between consecutive
frames are treated as noise and blended with the previous frame's alpha (a recursive filter,
which halves the noise); large ones are motion and pass through untouched, so moving edges do not
lag or ghost. The blend is a 64K table indexed by (new, previous), looked up only for the samples
whose alpha changed since the last frame.
"""

from __future__ import annotations

import numpy as np

CALM_STEP = 32  # an 8-bit alpha change up to this between frames is treated as noise
KEEP = 0.6  # weight of the previous frame's alpha for such changes


def _blend_table() -> np.ndarray:
    new, previous = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    change = new - previous
    blended = np.round(previous + (1.0 - KEEP) * change)
    return np.where(np.abs(change) <= CALM_STEP, blended, new).astype(np.uint8).ravel()


_BLEND = _blend_table()


class AlphaSmoother:
    """Remembers the last frame's chroma-resolution alpha and steadies the next one against it."""

    def __init__(self) -> None:
        self.previous: np.ndarray | None = None

    def __call__(self, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The steadied alpha, and the flat indices where it differs from ``alpha``.

        Only samples that changed since the last frame are looked at: on a keyed clip those are
        the edges and what moves, a few percent of the frame.
        """
        steady = np.array(alpha, dtype=np.uint8)
        if self.previous is None or self.previous.shape != steady.shape:
            self.previous = steady
            return steady, np.empty(0, dtype=np.intp)
        changed = np.flatnonzero(steady != self.previous)
        new = steady.ravel()[changed]
        blended = _BLEND[new.astype(np.intp) << 8 | self.previous.ravel()[changed]]
        steady.ravel()[changed] = blended
        self.previous = steady
        return steady, changed[blended != new]
