"""Motion blur: mixes that one pixel cannot tell from a solid colour.

Where a red ball's motion blur half covers a green screen the pixel is olive, and olive could be
a solid jacket: the table keys it opaque. Along a line from the screen into the subject a mix
gives itself away. The ball's colour fades in over the blur's width, so the colour moves step
by step along the straight line from the screen's colour to the ball's; each sample's alpha is
how far along that line it is. A solid edge does not look like that. It steps from the screen
to its own colour within a sample or two (anti-aliasing, chroma subsampling) and then stays, or
drifts with the light: a shaded rim is darker, not a blend of the screen and the middle.
Shading can rise gradually too: a face darkens all the way from its middle to its outline, and
a lens softens the outline itself. Its colours lie along the line from black to the middle's,
not from the screen's; where that line fits a ramp better, the ramp is shading.

So, walking rows and columns both ways from each place where the matte turns opaque after a
partly transparent sample, back to the last screen sample (alpha 0) within ``reach``: the walk
is a ramp while its distance from the screen keeps rising (see RISE_BY). Where it stops rising
is the subject's colour. The ramp is a mix when
- every sample below MIX_BELOW of the way lies within OFF_LINE of the screen-to-subject line;
- from the screen to the subject no step between neighbours is more than MAX_STEP of the way: a
  fade is gradual, while a solid edge, a shaded rim and a narrow trim before a darker subject
  (dark green on black cloth, say) each jump; nor, two samples past the screen, has it risen
  much further than a fade of its length would (a solid edge, then a colour turning gradually
  away from the screen's: a shirt's woven stripes, say);
- at least MIN_LOW_SAMPLES of its samples are below half way;
- its samples below MIX_BELOW lie nearer the screen-to-subject line than the black-to-subject one.
Each of its samples below MIX_BELOW then gets its share as alpha, if that is lower than the
table's. Nothing is made more opaque.

The walks start only where the matte turns opaque after a soft sample, so the cost follows the
soft part of the subject's outline, not the frame's area.
"""

from __future__ import annotations

import numpy as np

from service.keying.plate import ScreenPlate

# Chroma samples looked at each way from where the matte turns opaque: a fifteenth of the width,
# within these bounds (blur up to about an eighth of the frame's width is measured).
MIN_REACH, MAX_REACH = 24, 64
# The distance from the screen must rise by RISE_BY levels over every RISE_OVER samples. Sensor
# noise of 2-3 levels makes distances wander by about 2 (``y_small`` is a 2x2 mean); over six
# samples a fade as slow as a 120 px blur at 1080p still rises by far more. A band that does not
# rise over RISE_OVER samples ends the ramp; noisier footage ends ramps early (the table's alpha stays).
RISE_OVER = 6
RISE_BY = 4.0
MAX_STEP = 0.35  # of the way from screen to subject, between neighbouring samples: a fade is gradual
MIX_BELOW = 0.92  # nearer the top than this, a sample keeps the table's alpha
MIN_LOW_SAMPLES = 2
MIN_CONTRAST = 20.0  # levels between screen and subject: below it the rise is too short to measure
# Two samples past the screen a fade has risen by about two of its steps; a solid edge followed
# by a colour turning gradually away from the screen has jumped further (see _mixes). Up to
# EARLY_FLOOR of the way is allowed whatever the fade's length (noise, a few sub-frames' steps).
EARLY_STEPS = 3.0  # allowed: this many times a fade's two steps
EARLY_FLOOR = 0.25
OFF_LINE = 0.12  # of the subject's distance from the screen, plus RISE_BY for the noise
SHORT_WALK = 32  # samples from the screen measured first (see soften_ramps)
VIDEO_BLACK = np.array([16.0, 128.0, 128.0], np.float32)  # Y, U, V, in video range as the tables read them


def reach(chroma_width: int) -> int:
    """How far the walks look, in chroma samples, in a frame ``chroma_width`` samples wide."""
    return int(np.clip(chroma_width // 15, MIN_REACH, MAX_REACH))


def soften_ramps(alpha: np.ndarray, planes: tuple[np.ndarray, np.ndarray, np.ndarray], plate: ScreenPlate) -> None:
    """Lower ``alpha`` (chroma resolution, in place) where a ramp from the screen is a mix.

    ``planes`` are Y (at chroma resolution), U and V; ``plate`` gives the screen's local colour.
    """
    starts, steps, behind, ahead = _walk_starts(alpha)
    if not starts.size:
        return
    far = reach(alpha.shape[1])
    flat_alpha = np.reshape(alpha, -1, copy=False)  # a view: results are written through it
    gap = _screen_behind(flat_alpha, starts, steps, np.minimum(behind, far))
    found = np.flatnonzero(gap)
    walks = (starts[found], steps[found], gap[found], np.minimum(ahead[found], far))
    rising = _rises_from_the_screen(planes, plate, walks)
    walks = tuple(part[rising] for part in walks)
    # Most ramps are short: each walk is measured over SHORT_WALK samples from the screen, and only
    # those whose ramp runs on to the end of that are measured again over the whole reach.
    ran_on = _soften_walks(flat_alpha, planes, plate, walks, SHORT_WALK)
    if ran_on.size:
        longer = tuple(part[ran_on] for part in walks)
        _soften_walks(flat_alpha, planes, plate, longer, int(longer[2].max()) + far + 1)


def _screen_behind(flat_alpha: np.ndarray, starts: np.ndarray, steps: np.ndarray, behind: np.ndarray) -> np.ndarray:
    """How many samples back from each start the nearest screen sample (alpha 0) lies, within
    ``behind``; 0 where there is none. The near ones are looked at first: most are a step or two."""
    gap = np.zeros_like(starts)
    farthest = int(behind.max(initial=0))
    near = min(SHORT_WALK // 2, farthest)
    for first, last in ((1, near), (near + 1, farthest)):
        pending = np.flatnonzero((gap == 0) & (behind >= first))
        if not pending.size:
            continue
        back = np.minimum(np.arange(first, last + 1), behind[pending, None])  # no further than the frame's edge
        screen = flat_alpha[starts[pending, None] - steps[pending, None] * back] == 0
        hit = screen.any(axis=1)
        gap[pending[hit]] = first + np.argmax(screen[hit], axis=1)
    return gap


def _rises_from_the_screen(
    planes: tuple[np.ndarray, np.ndarray, np.ndarray],
    plate: ScreenPlate,
    walks: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Which walks can be mixes at all: a mix has MIN_LOW_SAMPLES samples on its ramp, so the
    ramp rises from each of the first MIN_LOW_SAMPLES samples past the screen (``_mixes``).
    Checked on those samples alone, before the whole walk is read: most walks (solid edges,
    hair) fail it."""
    first = np.arange(1, MIN_LOW_SAMPLES + 1)
    columns = np.concatenate([[0], first, first + RISE_OVER])  # the last screen sample, then each pair
    _, colours, _ = _walk_colours(planes, plate, walks, columns)
    distance = np.sqrt((colours * colours).sum(axis=0))
    pairs = 1 + MIN_LOW_SAMPLES
    return np.flatnonzero((distance[:, pairs:] > distance[:, 1:pairs] + RISE_BY).all(axis=1))


def _soften_walks(
    flat_alpha: np.ndarray,
    planes: tuple[np.ndarray, np.ndarray, np.ndarray],
    plate: ScreenPlate,
    walks: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    length: int,
) -> np.ndarray:
    """Measure each walk over ``length`` samples from its last screen sample, lower alpha where it
    is a mix; returns which walks' ramps ran on to the end (not measured, nor changed)."""
    windows, colours, screen = _walk_colours(planes, plate, walks, np.arange(length))
    mixed, share, top_end = _mixes(colours, start=walks[2], black=VIDEO_BLACK[:, None] - screen)
    ran_on = top_end >= length
    mixed[ran_on] = False
    hit = np.nonzero(mixed)
    np.minimum.at(flat_alpha, windows[hit], np.round(share[hit] * 255).astype(np.uint8))
    return np.flatnonzero(ran_on)


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


def _walk_colours(
    planes: tuple[np.ndarray, np.ndarray, np.ndarray],
    plate: ScreenPlate,
    walks: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    columns: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each walk's samples at ``columns`` (counted from its last screen sample, which is column 0):
    their flat indices; their colour (Y, U, V: 3 x walks x columns) less the screen's where the
    walk left it, 0 past the frame's edge or the walk's reach; and that screen (3 x walks)."""
    starts, steps, gap, ahead = walks
    offsets = columns - gap[:, None]  # from the start: the last screen sample is at -gap
    inside = offsets <= ahead[:, None]
    windows = starts[:, None] + steps[:, None] * np.where(inside, offsets, 0)
    colours = np.stack([plane.ravel()[windows] for plane in planes]).astype(np.float32)
    screen = plate.at(*np.divmod(windows[:, 0], planes[0].shape[1]))
    colours -= screen[:, :, None]
    colours[:, ~inside] = 0
    return windows, colours, screen


def position_on_line(colours: np.ndarray, origin: np.ndarray, through: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``colours`` (3 x walks x samples) lies on the line from ``origin`` to
    ``through`` (3 x walks each): how far along it (0 at ``origin``, 1 at ``through``), and how far
    from it."""
    direction = through - origin
    relative = colours - origin[:, :, None]
    along = np.einsum("cws,cw->ws", relative, direction) / np.maximum((direction * direction).sum(axis=0), 1)[:, None]
    apart = relative - along[None] * direction[:, :, None]
    return along, np.sqrt((apart * apart).sum(axis=0))


def _mixes(colours: np.ndarray, start: np.ndarray, black: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which window samples are mixes (module docstring), each sample's share of the subject, and
    where each ramp's measurement ends (RISE_OVER past its last rising sample).

    Each window begins at the walk's last screen sample; ``start`` is where in it the walk started
    (the first opaque sample); ``black`` is black less the screen, for each walk."""
    distance = np.sqrt((colours * colours).sum(axis=0))
    index = np.arange(distance.shape[1])
    after_screen = np.broadcast_to(index > 0, distance.shape)
    rising = np.zeros_like(after_screen)
    rising[:, :-RISE_OVER] = distance[:, RISE_OVER:] > distance[:, :-RISE_OVER] + RISE_BY
    ramp = np.logical_and.accumulate(rising | ~after_screen, axis=1) & after_screen
    top_end = 1 + ramp.sum(axis=1) + RISE_OVER
    top_at = np.where(after_screen & (index < top_end[:, None]), distance, 0).argmax(axis=1)
    windows = np.arange(top_at.size)
    subject, top = colours[:, windows, top_at], distance[windows, top_at]  # the subject's colour, less the screen's
    share = np.einsum("cws,cw->ws", colours, subject) / np.maximum(top * top, 1)[:, None]
    off_line = np.sqrt(np.maximum(distance * distance - (share * top[:, None]) ** 2, 0))
    mixing = ramp & (share < MIX_BELOW)
    straight = ~(mixing & (off_line > OFF_LINE * top[:, None] + RISE_BY)).any(axis=1)
    to_top = after_screen & (index <= top_at[:, None])
    steps = np.diff(np.clip(share, 0, 1), axis=1, prepend=0.0)
    gradual = np.where(to_top, steps, 0).max(axis=1) <= MAX_STEP
    fade_step = 1.0 / np.maximum((to_top & (share < MIX_BELOW)).sum(axis=1), 1)  # of the way, per sample
    two_past = np.clip(share[:, min(2, share.shape[1] - 1)], 0, 1)
    gradual &= two_past <= np.maximum(EARLY_STEPS * 2 * fade_step, EARLY_FLOOR)
    low = (mixing & (share < 0.5)).sum(axis=1)
    is_mix = (top_end > start) & (top > MIN_CONTRAST) & straight & gradual & (low >= MIN_LOW_SAMPLES)
    # Shading (module docstring), tested on the few ramps left: nearer the line from black.
    candidates = np.flatnonzero(is_mix)
    on_ramp = mixing[candidates]
    _, off_black = position_on_line(colours[:, candidates], black[:, candidates], subject[:, candidates])
    off_screen = np.where(on_ramp, off_line[candidates], 0).sum(axis=1)
    is_mix[candidates] = np.where(on_ramp, off_black, 0).sum(axis=1) >= off_screen
    return mixing & is_mix[:, None], np.clip(share, 0, 1), top_end
