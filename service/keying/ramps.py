"""Motion blur: mixes that one pixel cannot tell from a solid colour.

Where a red ball's motion blur half covers a green screen the pixel is olive, and olive could be
a solid jacket: the table keys it opaque. Along a line from the screen into the subject a mix
gives itself away. The ball's colour fades in over the blur's width, so the colour moves step
by step along the straight line from the screen's colour to the ball's; each sample's alpha is
how far along that line it is. A solid edge does not look like that. It steps from the screen
to its own colour within a sample or two (anti-aliasing, chroma subsampling) and then stays, or
drifts with the light: a shaded rim is darker, not a blend of the screen and the middle.

So, walking rows and columns both ways from each place where the matte turns opaque after a
partly transparent sample, back to the last screen sample (alpha 0) within REACH: the walk is a
ramp while its distance from the screen rises by more than RISE_BY levels over every RISE_OVER
samples. Where it stops rising is the subject's colour. The ramp is a mix when
- every sample below MIX_BELOW of the way lies within OFF_LINE of the screen-to-subject line;
- at least MIN_LOW_SAMPLES of them, and a third, are in the lower half: a linear fade has as
  many below half way as above, a rim that jumps most of the way at once has one or none.
Each of its samples below MIX_BELOW then gets its share as alpha, if that is lower than the
table's. Nothing is made more opaque, and a flat band (a dark green trim on black cloth, say)
ends the ramp instead of being taken for part of it.

The walks start only where the matte turns opaque after a soft sample, so the cost follows the
soft part of the subject's outline, not the frame's area.
"""

from __future__ import annotations

import numpy as np

from service.keying.plate import ScreenPlate

REACH = 24  # chroma samples looked at each way from where the matte turns opaque
RISE_OVER = 2  # samples
# Levels: a rise must beat the noise. ``y_small`` is a 2x2 mean and sensor noise of 2-3 levels
# makes distances wander by about 2; noisier footage stops ramps early (the table's alpha stays).
RISE_BY = 4.0
MIX_BELOW = 0.92  # nearer the top than this, a sample keeps the table's alpha
MIN_LOW_SAMPLES = 2
MIN_CONTRAST = 20.0  # levels between screen and subject: below it the rise is too short to measure
OFF_LINE = 0.12  # of the subject's distance from the screen, plus RISE_BY for the noise


def soften_ramps(alpha: np.ndarray, planes: tuple[np.ndarray, np.ndarray, np.ndarray], plate: ScreenPlate) -> None:
    """Lower ``alpha`` (chroma resolution, in place) where a ramp from the screen is a mix.

    ``planes`` are Y (at chroma resolution), U and V; ``plate`` gives the screen's local colour.
    """
    starts, steps, behind, ahead = _walk_starts(alpha)
    if not starts.size:
        return
    span = np.arange(-REACH, REACH + 1)
    inside = (span >= -np.minimum(behind, REACH)[:, None]) & (span <= np.minimum(ahead, REACH)[:, None])
    windows = starts[:, None] + steps[:, None] * np.where(inside, span, 0)
    flat_alpha = np.reshape(alpha, -1, copy=False)  # a view: the result is written through it
    screen = (flat_alpha[windows[:, :REACH]] == 0) & inside[:, :REACH]
    reaches_screen = np.flatnonzero(screen.any(axis=1))
    if not reaches_screen.size:
        return
    windows, screen, inside = windows[reaches_screen], screen[reaches_screen], inside[reaches_screen]
    last_screen = (REACH - 1) - np.argmax(screen[:, ::-1], axis=1)
    colours = _colours_less_screen(planes, plate, windows, last_screen, alpha.shape[1])
    colours[:, ~inside] = 0
    mixed, share = _mixes(colours, last_screen)
    hit = np.nonzero(mixed)
    np.minimum.at(flat_alpha, windows[hit], np.round(share[hit] * 255).astype(np.uint8))


def _walk_starts(alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where a walk along a row or column enters the opaque matte from a partly transparent sample.

    Flat indices, steps (+-1 along a row, +-width along a column), and how many samples the frame
    has behind and ahead of each. Flat differences: a 2-D ``nonzero`` would cost ten times more.
    """
    height, width = alpha.shape
    opaque = (alpha == 255).ravel()
    across = np.flatnonzero(opaque[1:] != opaque[:-1])
    across = across[(across + 1) % width != 0]  # not from one row's end to the next row's start
    down = np.flatnonzero(opaque[width:] != opaque[:-width])
    forward = np.concatenate([opaque[across + 1], opaque[down + width]])
    pairs = np.concatenate([across, down])
    steps = np.concatenate([np.ones_like(across), np.full_like(down, width)])
    starts = np.where(forward, pairs + steps, pairs)
    steps = np.where(forward, steps, -steps)
    along = np.concatenate([starts[: across.size] % width, starts[across.size :] // width])
    length = np.concatenate([np.full_like(across, width), np.full_like(down, height)])
    behind = np.where(forward, along, length - 1 - along)
    ahead = length - 1 - behind
    soft_behind = (behind > 0) & (alpha.ravel()[starts - steps * (behind > 0)] > 0)
    return starts[soft_behind], steps[soft_behind], behind[soft_behind], ahead[soft_behind]


def _colours_less_screen(
    planes: tuple[np.ndarray, np.ndarray, np.ndarray],
    plate: ScreenPlate,
    windows: np.ndarray,
    last_screen: np.ndarray,
    width: int,
) -> np.ndarray:
    """Each window sample's colour (Y, U, V: 3 x windows x samples) less the screen's where the walk left it."""
    colour = np.stack([plane.ravel()[windows] for plane in planes]).astype(np.float32)
    left_at = windows[np.arange(windows.shape[0]), last_screen]
    colour -= plate.at(*np.divmod(left_at, width))[:, :, None]
    return colour


def _mixes(colours: np.ndarray, last_screen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which window samples are mixes (module docstring), and each sample's share of the subject."""
    distance = np.sqrt((colours * colours).sum(axis=0))
    after_screen = np.arange(distance.shape[1]) > last_screen[:, None]
    rising = np.zeros_like(after_screen)
    rising[:, :-RISE_OVER] = distance[:, RISE_OVER:] > distance[:, :-RISE_OVER] + RISE_BY
    ramp = np.logical_and.accumulate(rising | ~after_screen, axis=1) & after_screen
    top_end = last_screen + 1 + ramp.sum(axis=1) + RISE_OVER
    top_at = np.where(after_screen & (np.arange(distance.shape[1]) < top_end[:, None]), distance, 0).argmax(axis=1)
    windows = np.arange(top_at.size)
    subject, top = colours[:, windows, top_at], distance[windows, top_at]  # the subject's colour, less the screen's
    share = np.einsum("cws,cw->ws", colours, subject) / np.maximum(top * top, 1)[:, None]
    off_line = np.sqrt(np.maximum(distance * distance - (share * top[:, None]) ** 2, 0))
    mixing = ramp & (share < MIX_BELOW)
    straight = ~(mixing & (off_line > OFF_LINE * top[:, None] + RISE_BY)).any(axis=1)
    low = (mixing & (share < 0.5)).sum(axis=1)
    is_mix = (
        (top_end > REACH) & (top > MIN_CONTRAST) & straight & (low >= MIN_LOW_SAMPLES) & (3 * low >= mixing.sum(axis=1))
    )
    return mixing & is_mix[:, None], np.clip(share, 0, 1)
