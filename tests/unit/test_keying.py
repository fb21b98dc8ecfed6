"""The keying engine on frames and clips whose right answer is known."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import threading
from dataclasses import replace

import numpy as np
import pytest

from local.samples import make_clip
from scripts.bench import quality
from scripts.bench.common import decode_rgba as bench_decode
from service.errors import BadRequest, JobFailed
from service.keying import (
    KeyOptions,
    edges,
    enclosure,
    engine,
    key_video,
    matte,
    parse_key_options,
    plate,
    probe,
    ramps,
)
from service.keying.ffmpeg import ffmpeg_binary
from service.keying.probe import parse_probe_output
from service.keying.temporal import AlphaSmoother
from tests.helpers import child_processes, decode_rgba, duration_s, peak_memory_mb, screen_and_subject_masks


def rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.709 limited range, as an encoder would store it."""
    r, g, b = (rgb[..., i] / 255.0 for i in range(3))
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return (
        np.round(16 + 219 * y).astype(np.uint8),
        np.round(128 + 224 * (b - y) / 1.8556).astype(np.uint8),
        np.round(128 + 224 * (r - y) / 1.5748).astype(np.uint8),
    )


def frame_of(rgb_colors: list[tuple[int, int, int]], size: int = 32) -> np.ndarray:
    return np.concatenate([np.tile(np.array(c, np.float64), (size, size, 1)) for c in rgb_colors], axis=1)


@pytest.mark.parametrize(
    ("screen", "is_blue"),
    [
        ((63, 163, 90), False),
        ((40, 140, 60), False),
        ((110, 190, 80), False),
        ((42, 85, 184), True),
        ((30, 60, 150), True),
        ((38, 22, 217), True),  # saturated blue leaning towards violet: V is about neutral
        ((90, 65, 217), True),
    ],
)
def test_key_colour_is_detected_for_green_and_blue_screens_of_any_shade(screen, is_blue):
    rgb = frame_of([screen, screen, screen, (208, 154, 124), (43, 45, 51)])
    y, u, v = rgb_to_yuv(rgb)
    key = matte.detect_key_color([y], [u], [v])
    expected_y, expected_u, expected_v = (float(p.mean()) for p in rgb_to_yuv(np.array([[screen]], float)))
    assert key.is_blue == is_blue
    assert abs(key.u - expected_u) < 3 and abs(key.v - expected_v) < 3 and abs(key.y - expected_y) < 3


@pytest.mark.parametrize(
    ("screen", "subject"),
    [((44, 158, 73), (32, 80, 192)), ((0, 71, 187), (40, 150, 60))],  # a blue shirt on green, a green one on blue
)
def test_in_a_close_up_the_screen_is_the_colour_along_the_edges_not_the_largest(screen, subject):
    rgb = np.tile(np.array(screen, np.float64), (120, 160, 1))
    rgb[8:, 12:-12] = subject  # the subject covers three quarters of the frame, down to its bottom edge
    key = matte.detect_key_color(*[[plane] for plane in rgb_to_yuv(rgb)])
    expected = matte.key_color_from_hex("#" + bytes(screen).hex())
    assert key.is_blue == expected.is_blue and abs(key.u - expected.u) < 3 and abs(key.v - expected.v) < 3


def test_a_screen_lit_by_two_lights_of_different_colour_keys_clean_from_end_to_end(tmp_path):
    # Bluish green on the left to yellowish green on the right, 38 degrees of hue; the
    # histogram's peak can sit at either end, and from there the other end looked off-key.
    source = tmp_path / "two-lights.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
         "nullsrc=s=320x180:r=25:d=0.4,format=gbrp,geq=r='35+40*X/W':g='160':b='75-40*X/W',"
         "drawbox=x=150:y=50:w=40:h=100:c=0xc04030:t=fill,noise=alls=3:allf=t",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(source)],
        check=True,
    )  # fmt: skip
    key_video(source, tmp_path / "keyed.webm")
    alpha = decode_rgba(tmp_path / "keyed.webm")[0][..., 3]
    screen = np.r_[0:40, 160:180]
    ends = [float(alpha[:, screen, :40].mean()), float(alpha[:, screen, -40:].mean())]
    assert max(ends) < 0.5, f"both ends key away: mean alpha {ends}"
    assert alpha[:, 60:140, 155:185].min() >= 250, "the red box stays solid (within a few levels near its edges)"


@pytest.mark.parametrize(
    ("size", "convert", "coding"),
    [
        ("320x240", "", ["-pix_fmt", "yuv420p"]),  # SD untagged, as FFmpeg makes it: BT.601
        ("1280x720", ",scale=out_color_matrix=bt709", ["-pix_fmt", "yuv420p", "-colorspace", "bt709"]),
        # Full range, as many phones record: its levels run 0-255, not 16-235
        ("1280x720", ",scale=out_color_matrix=bt709:out_range=pc", ["-pix_fmt", "yuvj420p", "-colorspace", "bt709"]),
    ],
)
def test_the_key_colour_is_reported_and_taken_as_the_footage_shows_it(tmp_path, size, convert, coding):
    source = tmp_path / "screen.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", f"color=c=0x2c9e49:s={size}:r=10:d=0.3,"
         f"drawbox=x=100:y=60:w=80:h=120:c=0xc04030:t=fill{convert}", "-c:v", "libx264", *coding, str(source)],
        check=True,
    )  # fmt: skip
    reported = key_video(source, tmp_path / "keyed.webm").key_color
    off_by = np.abs(np.array(list(bytes.fromhex(reported[1:]))) - np.array(list(bytes.fromhex("2c9e49"))))
    assert off_by.max() <= 3, reported
    info = probe(source)
    detected, _ = engine.plan_matte(source, info, KeyOptions())
    given, _ = engine.plan_matte(source, info, KeyOptions(key_color="#2c9e49"))
    difference = np.array([detected.y, detected.u, detected.v]) - np.array([given.y, given.u, given.v])
    assert np.abs(difference).max() < 2, "the screen's colour, given, is the colour detected"


def test_no_screen_in_the_footage_is_reported():
    rgb = frame_of([(200, 150, 120), (90, 90, 90), (190, 50, 200)])  # skin, grey and a purple that is no screen
    with pytest.raises(ValueError, match="no green or blue screen"):
        matte.detect_key_color(*[[p] for p in rgb_to_yuv(rgb)])


@pytest.mark.parametrize("size", [1, 2, 7, 10, 1001])
def test_the_median_of_8_bit_levels_is_numpys(size):
    levels = np.random.default_rng(size).integers(0, 256, size)
    assert matte._median_level(levels) == np.median(levels)


@pytest.mark.parametrize(
    ("key_rgb", "options"),
    [((63, 163, 90), {}), ((40, 70, 190), {"strength": 1, "edgeSoftness": 1}), ((0, 255, 0), {"strength": 0})],
)
def test_every_table_entry_is_the_matte_curve_of_its_luma_and_chroma(key_rgb, options):
    # The table computes only entries that can be other than opaque; check all of it against
    # the curve evaluated entry by entry (a luma level at a time, every U and V).
    key = matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*key_rgb))
    key_options = KeyOptions(**options)
    tables = matte.build_tables(key, key_options)
    low, high = matte.clip_points(key_options)
    u, v = np.meshgrid(np.arange(256, dtype=np.float32), np.arange(256, dtype=np.float32), indexing="ij")
    along, across = matte.screen_signal(key, u, v)
    entries = tables.packed.view(np.uint8).reshape(matte.LUMA_LEVELS, 256, 256, 4)
    for level in (0, 9, 31, 50, 63):
        luma = np.float32((level + 0.5) * 4)
        beta = matte._screen_beta(key, luma, along, across, matte.BRIGHTEST_SCREEN)
        share = 1.0 - np.clip(matte._screen_beta(key, luma, along, 0.5 * across, matte.BRIGHTEST_SCREEN), 0, 1)
        solid = 1.0 - np.clip((beta - low) / (high - low), 0, 1)
        expected = np.round(matte._matte_curve(solid, share) * 255).astype(np.uint8)
        np.testing.assert_array_equal(entries[level, ..., matte.ALPHA], expected)
        assert (entries[level, ..., matte.LUMA_CUT][expected == 0] == 255).all(), "transparent entries are flattened"


def alpha_of(colors: list[tuple[int, int, int]], key_rgb=(63, 163, 90), **options) -> list[float]:
    rgb = frame_of(colors, size=8)
    y, u, v = rgb_to_yuv(rgb)
    key = matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*key_rgb))
    tables = matte.build_tables(key, KeyOptions(**options))
    small = matte.luma_at_chroma_resolution(y, u[::2, ::2].shape)
    alpha = matte.look_up(tables, small, u[::2, ::2], v[::2, ::2]).alpha / 255.0
    return [float(alpha[:, i * 4 : (i + 1) * 4].mean()) for i in range(len(colors))]


def test_alpha_on_a_known_frame():
    screen, shadow, hot = (63, 163, 90), (30, 80, 44), (80, 200, 110)
    skin, dark, grey, white, dark_green_shirt = (
        (208, 154, 124),
        (20, 22, 25),
        (128, 128, 128),
        (240, 240, 240),
        (60, 80, 60),
    )
    half = tuple((a + b) // 2 for a, b in zip(screen, grey, strict=True))
    a = alpha_of([screen, shadow, hot, skin, dark, grey, white, dark_green_shirt, half])
    assert a[0] == 0 and a[1] == 0 and a[2] == 0, "screen, its shadow and its hot spot are transparent"
    assert min(a[3:7]) == 1.0, "skin, dark, grey and white stay opaque"
    # A grey-green shirt is nearly opaque; per pixel it cannot be told from a screen/grey mix
    # much greener than this, which must stay fractional (below).
    assert a[7] > 0.9
    assert 0.3 < a[8] < 0.7, "a 50 % mix of screen and grey is half transparent"


def test_a_bright_veil_over_a_dark_blue_screen_is_as_transparent_as_a_grey_one():
    blue = (42, 85, 184)
    hot_spot = tuple(min(255, round(c * 1.4)) for c in blue)
    white_veil, grey_veil = (tuple(round(0.45 * f + 0.55 * c) for c in blue) for f in (235, 128))
    screen, hot, white, grey = alpha_of([blue, hot_spot, white_veil, grey_veil], key_rgb=blue)
    assert screen == 0 and hot == 0, "a screen lit 40 % brighter still keys fully"
    assert abs(white - grey) < 0.1, "45 % coverage reads the same whether the veil is white or grey"


def test_strength_trades_subject_for_screen():
    greenish = (90, 140, 95)
    weak, strong = alpha_of([greenish], strength=0.0)[0], alpha_of([greenish], strength=1.0)[0]
    assert weak > strong


def test_despill_removes_the_green_cast_and_leaves_other_colours_alone():
    key = matte.key_color_from_hex("#3fa35a")
    tables = matte.build_tables(key, KeyOptions())
    spilled = rgb_to_yuv(np.array([[(150, 190, 140)]], float))  # skin-ish grey with green spill
    skin = rgb_to_yuv(np.array([[(208, 154, 124)]], float))
    red = rgb_to_yuv(np.array([[(200, 40, 40)]], float))
    despilled = matte.look_up(tables, *spilled)
    spill_u, spill_v = despilled.u, despilled.v
    direction = key.chroma / np.hypot(*key.chroma)
    before = (spilled[1].astype(float) - 128) * direction[0] + (spilled[2].astype(float) - 128) * direction[1]
    after = (spill_u.astype(float) - 128) * direction[0] + (spill_v.astype(float) - 128) * direction[1]
    assert after[0, 0] < before[0, 0] - 5, "green component is reduced"
    for colour in (skin, red):
        despilled = matte.look_up(tables, *colour)
        u, v = despilled.u, despilled.v
        assert abs(int(u[0, 0]) - int(colour[1][0, 0])) <= 1 and abs(int(v[0, 0]) - int(colour[2][0, 0])) <= 1


@pytest.mark.parametrize("shape", [(540, 960), (7, 5), (1, 9), (9, 1), (1, 1)])
def test_edge_blocks_are_the_samples_whose_3x3_window_spans_more_than_a_few_levels(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[0] * 31 + shape[1])
    alpha = np.where(rng.random(shape) < 0.02, rng.integers(1, 256, shape), 0).astype(np.uint8)
    alpha[rng.random(shape) < 0.02] = edges.FLAT_SPAN  # a span the upsampling may repeat
    alpha[:, -1] = 77  # a column at the right edge: a flat-line scan must not wrap it onto the next row
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(alpha, 1, mode="edge").astype(int), (3, 3))
    expected = np.nonzero(windows.max(axis=(2, 3)) - windows.min(axis=(2, 3)) > edges.FLAT_SPAN)
    rows, cols = edges.edge_blocks(alpha)
    assert np.array_equal(rows, expected[0]) and np.array_equal(cols, expected[1])


def test_alpha_upsampling_has_no_2x2_blocks_where_luma_gives_no_edge():
    small = np.zeros((4, 4), np.uint8)
    small[:, 2:] = 255
    flat_luma = np.full((8, 8), 120, np.uint8)
    full = edges.upsample_alpha(small, np.full((4, 4), 120, np.uint8), flat_luma)
    assert len(np.unique(full[0])) > 2, "the edge is interpolated, not a hard 2-pixel step"
    assert (full[:, :2] == 0).all() and (full[:, -2:] == 255).all(), "flat regions stay exact"


def test_luma_places_an_edge_inside_a_chroma_block():
    # Subject (dark) covers full-resolution columns 5.. ; the screen (bright) columns 0-4.
    # Column 5 starts in the middle of chroma block 2, whose alpha is therefore about half.
    luma = np.full((8, 12), 150, np.uint8)
    luma[:, 5:] = 40
    luma_small = matte.luma_at_chroma_resolution(luma, (4, 6))
    alpha_small = np.array([[0, 0, 128, 255, 255, 255]] * 4, np.uint8)
    full = edges.upsample_alpha(alpha_small, luma_small, luma)
    assert (full[:, 4] < 60).all(), "the screen pixel of the split block stays transparent"
    assert (full[:, 5] > 195).all(), "the subject pixel of the split block becomes opaque"
    plain = edges.repeat_2x2(alpha_small, (8, 12))
    assert np.abs(full[:, 4:6].astype(int) - [0, 255]).sum() < np.abs(plain[:, 4:6].astype(int) - [0, 255]).sum()


def test_noise_is_measured_and_keeps_a_noisy_screen_clean():
    rng = np.random.default_rng(1)
    screen = np.tile(np.array([63, 163, 90], float), (128, 128, 1))
    key = matte.key_color_from_hex("#3fa35a")
    clean, noisy = (rgb_to_yuv(np.clip(screen + rng.normal(0, sigma, screen.shape), 0, 255)) for sigma in (0.5, 6.0))
    noise = [matte.screen_noise(key, y[::2, ::2], u[::2, ::2], v[::2, ::2]) for y, u, v in (clean, noisy)]
    assert noise[0] < 0.03 < noise[1]
    calm_high, noisy_high = matte.clip_points(KeyOptions(), noise[0])[1], matte.clip_points(KeyOptions(), noise[1])[1]
    assert noisy_high < calm_high
    y, u, v = (plane[::2, ::2] for plane in noisy)
    naive = matte.look_up(matte.build_tables(key, KeyOptions()), y, u, v).alpha
    tables = matte.build_tables(key, KeyOptions(), noise[1])
    adapted = matte.look_up(tables, y, u, v).alpha
    assert (naive > 0).mean() > 0.01, "the fixed clip point speckles on this noise"
    assert (adapted > 0).mean() < 0.003, "the measured one keys the noisy screen clean"


def key_one_frame(tables, y, u_small, v_small, smoother=None) -> tuple[np.ndarray, ...]:
    """Key one frame (full-resolution Y, chroma-resolution U and V); its Y, U, V and alpha planes."""
    layout = engine.FrameLayout(y.shape[1], y.shape[0])
    out = np.empty(layout.frame_bytes + layout.luma_bytes, np.uint8)
    engine.key_frame(tables, layout, np.concatenate([y.ravel(), u_small.ravel(), v_small.ravel()]), out, smoother)
    return (*layout.split(out[: layout.frame_bytes]), out[layout.frame_bytes :].reshape(y.shape))


def test_spill_luma_leaves_opaque_pixels_and_transparent_pixels_are_flattened():
    key = matte.key_color_from_hex("#3fa35a")
    tables = matte.build_tables(key, KeyOptions())
    colours = [(63, 163, 90), (128, 128, 128), (143, 171, 138)]  # screen, grey, grey + 12 % screen light
    y, u, v = rgb_to_yuv(frame_of(colours, size=8))
    out_y, out_u, out_v, alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])
    assert (alpha[:, :6] == 0).all() and (alpha[:, 10:] == 255).all()
    assert (out_y[:, :6] == tables.screen_luma).all() and (out_u[:, :3] == 128).all() and (out_v[:, :3] == 128).all()
    grey_y = int(y[0, 12])
    spilled_y, despilled_y = int(y[0, 20]), int(out_y[0, 20])
    assert abs(int(out_y[0, 12]) - grey_y) <= 1, "unspilled grey keeps its luma"
    assert abs(despilled_y - grey_y) < abs(spilled_y - grey_y) - 4, "the spill light's luma is taken out"


def test_partial_alpha_enclosed_by_the_subject_is_made_opaque_and_nothing_else_moves():
    alpha = np.zeros((60, 80), np.uint8)
    alpha[10:50, 10:50] = 255  # the subject
    alpha[20:30, 20:30] = 150  # a greenish patch on it: enclosed
    alpha[38:48, 14:22] = 60  # a gap whose screen is too shadowed to key fully: mostly screen, stays
    alpha[34:46, 34:46] = 128  # a real hole in the subject, with a partial rim ...
    alpha[36:44, 36:44] = 0  # ... that shows the screen fully
    alpha[10:30, 60:76] = 120  # glass over the screen
    alpha[52:60, 10:50] = 255
    alpha[54:60, 20:30] = 90  # partial, but running off the frame's edge: the screen may be there
    keyed = alpha.copy()
    filled = enclosure.fill_enclosed(keyed, cell=2)
    assert (keyed[20:30, 20:30] == 255).all()
    assert sorted(filled) == sorted(np.ravel_multi_index(np.mgrid[20:30, 20:30].reshape(2, -1), alpha.shape))
    changed = keyed != alpha
    changed[20:30, 20:30] = False
    assert not changed.any(), "only the enclosed patch changes"


@pytest.mark.parametrize("screen", [(63, 163, 90), (35, 70, 175)])
@pytest.mark.parametrize("glass", [(128, 128, 128), (210, 210, 210)])
def test_grey_glass_over_the_screen_is_as_transparent_as_it_lets_the_screen_through(screen, glass):
    key = matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*screen))
    tables = matte.build_tables(key, KeyOptions())
    covers = (0.25, 0.5)
    mixes = [tuple(c * g + (1 - c) * s for g, s in zip(glass, screen, strict=True)) for c in covers]
    y, u, v = rgb_to_yuv(frame_of(mixes, size=8))
    alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])[3]
    measured = [float(alpha[2:6, 8 * i + 2 : 8 * i + 6].mean()) / 255 for i in range(len(covers))]
    assert np.allclose(measured, covers, atol=0.16), f"alpha {measured} for coverage {covers}"


@pytest.mark.parametrize("screen", [(63, 163, 90), (35, 70, 175)])
def test_a_half_transparent_pixel_carries_its_subjects_colour_not_the_mix(screen):
    key = matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*screen))
    tables = matte.build_tables(key, KeyOptions())
    glass = (170, 170, 170)  # grey glass over the screen, half covering it
    mix = tuple(0.5 * g + 0.5 * s for g, s in zip(glass, screen, strict=True))
    y, u, v = rgb_to_yuv(frame_of([mix], size=8))
    out_y, out_u, out_v, alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])
    glass_y, glass_u, glass_v = (float(p[0, 0]) for p in rgb_to_yuv(np.array([[glass]], float)))
    a = float(alpha[2:6, 2:6].mean()) / 255
    assert 0.35 < a < 0.65
    # Brightness is what a composite shows most: near the glass's, where over the blue screen
    # the mix is 43 levels darker. The chroma is the glass's, not the screen's.
    assert abs(float(out_y[2:6, 2:6].mean()) - glass_y) < 20
    assert abs(float(out_u[1:3, 1:3].mean()) - glass_u) < 8 and abs(float(out_v[1:3, 1:3].mean()) - glass_v) < 8


def test_the_screen_plate_follows_uneven_light_and_reaches_behind_the_subject():
    rows, cols = 90, 160
    lit = np.tile(np.linspace(60, 160, cols, dtype=np.float32), (rows, 1))  # one side far brighter
    alpha = np.zeros((rows, cols), np.uint8)
    alpha[20:70, 60:100] = 255  # the subject hides the screen here
    y_small, u, v = (np.round(p).astype(np.uint8) for p in (lit, 255 - lit, np.full_like(lit, 90)))
    measured = plate.measure(y_small, u, v, alpha, fallback=(130.0, 110.0, 90.0))
    sample_rows, sample_cols = np.mgrid[0:rows:7, 0:cols:7].reshape(2, -1)
    screen_y, screen_u, screen_v = measured.at(sample_rows, sample_cols)
    behind = (sample_rows >= 20) & (sample_rows < 70) & (sample_cols >= 60) & (sample_cols < 100)
    expected = lit[sample_rows, sample_cols]
    assert np.abs(screen_y - expected)[~behind].max() < 12, "in the open, the screen as it is there"
    assert np.abs(screen_y - expected)[behind].max() < 30, "behind the subject, its neighbours' light"
    assert np.abs(screen_u + screen_y - 255).max() < 1 and np.allclose(screen_v, 90)
    no_screen = plate.measure(y_small, u, v, np.full_like(alpha, 255), fallback=(130.0, 110.0, 90.0))
    assert no_screen.planes[:, 0, 0].tolist() == [130.0, 110.0, 90.0]


def screen_with_a_second_light(screen, turn: float, folds: float = 0.0, bluer: bool = False) -> np.ndarray:
    """A 640x360 screen whose left half a second light turns from its colour: red up and blue down
    by up to ``turn`` levels at the left edge (or the other way, ``bluer``), the cloth folded
    (light varying by ``folds`` either way)."""
    rows, cols = np.mgrid[0:360, 0:640].astype(float)
    walk = turn * np.clip(1 - cols / 320, 0, 1) * (-1 if bluer else 1)
    rgb = np.array(screen, float) + np.stack([walk, 0 * walk, -walk], axis=-1)
    return rgb * (1 + folds * np.sin(cols / 9 + rows / 31))[..., None]


def with_sensor_noise(rgb: np.ndarray) -> np.ndarray:
    return np.clip(rgb + np.random.default_rng(4).normal(0, 2, rgb.shape), 0, 255)


@pytest.mark.parametrize(
    ("screen", "white"),
    [
        ((63, 163, 90), 70),
        ((0, 177, 64), 70),
        ((42, 85, 184), 60),
        ((0, 0, 255), 70),  # overexposed: blue at its ceiling, so the spot adds white as less chroma
        ((0, 255, 0), 70),
    ],
)
def test_a_hot_spot_on_the_screen_keys_away_but_a_subject_of_its_colour_with_an_edge_does_not(screen, white):
    rows, cols = np.mgrid[0:360, 0:640].astype(float)
    rgb = np.array(screen, float) * (0.8 + 0.3 * cols / 640)[..., None]  # lit unevenly, as screens are
    spot = np.exp(-(((cols - 200) / 130) ** 2 + ((rows - 130) / 100) ** 2))
    rgb += white * spot[..., None]  # a light too near the screen adds white: brighter, no more colour
    box = (rows >= 220) & (rows < 330) & (cols >= 420) & (cols < 540)
    rgb[box] = np.array(screen) * 0.9 + 0.6 * white  # a subject coloured like the spot's rim, with an edge
    glass = (rows >= 40) & (rows < 120) & (cols >= 440) & (cols < 560)
    rgb[glass] = 0.45 * np.array([200.0, 205.0, 210.0]) + 0.55 * rgb[glass]
    y, u, v = rgb_to_yuv(with_sensor_noise(rgb))
    tables = matte.build_tables(matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*screen)), KeyOptions())
    by_table = engine_alpha_by_table(tables, y, u[::2, ::2], v[::2, ::2])
    alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])[3]
    spot_rim = (spot > 0.4) & (spot < 0.8)
    assert by_table[spot_rim].mean() > 25, "judged against the key alone, the spot's rim reads partly opaque"
    assert alpha[spot > 0.4].mean() < 10, "judged against the screen around it, the spot keys away"
    assert alpha[box].mean() > by_table[box].mean() - 5, "the subject is not taken for more of the spot"
    assert abs(alpha[glass].mean() - by_table[glass].mean()) < 5, "nor is glass over the screen"


@pytest.mark.parametrize(
    ("screen", "turn", "folds"),
    [
        ((35, 70, 175), 20, 0.0),  # the light takes a fifth of the screen's chroma at the edge
        ((42, 85, 184), 20, 0.0),
        ((40, 140, 60), 30, 0.1),  # folds make each cell of the plate's grid a step darker or lighter
        ((80, 200, 100), 30, 0.1),  # on a bright screen, a step of more luma than a hot spot's rim
    ],
)
def test_a_screen_a_second_light_turns_from_the_key_keys_away_where_the_table_leaves_it(screen, turn, folds):
    # The plate grows from the keyed half into the turned one. It used to stop where the chroma
    # fell more than a tenth short of the keyed screen's (31 and 30 of 255 left on the blue
    # screens), and at a fold, where a darker cell has less chroma and luma in proportion (58 and
    # 27 of 255 left on the green ones).
    rgb = screen_with_a_second_light(screen, turn, folds)
    rgb[200:, 400:480] = (200, 60, 50)
    y, u, v = rgb_to_yuv(with_sensor_noise(rgb))
    tables = matte.build_tables(matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*screen)), KeyOptions())
    by_table = engine_alpha_by_table(tables, y, u[::2, ::2], v[::2, ::2])
    alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])[3]
    assert by_table[:, :200].mean() > 40, "judged against the key alone, the turned half reads partly opaque"
    assert alpha[:, :200].mean() < 8, "judged against the screen next to it, it keys away"
    assert alpha[204:, 404:476].min() >= 250, "the box stays solid"


def test_a_screen_lit_more_strongly_on_one_side_is_not_measured_as_noisy():
    # A navy shirt in the screen's own hue, with a quarter of its chroma, is opaque only while the
    # clip point stays near the screen. The screen's spread over the frame was counted as noise,
    # which keyed a shirt of random scene 8 (bench-random, two lights) 72 of 255 away.
    screen = (12, 119, 185)
    key = matte.key_color_from_hex("#0c77b9")
    measured = {}
    for turn in (0, 20):
        rgb = screen_with_a_second_light(screen, turn, bluer=True)
        rgb[160:, 160:300] = (25, 53, 82)
        y, u, v = rgb_to_yuv(with_sensor_noise(rgb))
        y_small = matte.luma_at_chroma_resolution(y, u[::2, ::2].shape)
        measured[turn] = matte.screen_noise(key, y_small, u[::2, ::2], v[::2, ::2])
        alpha = key_one_frame(matte.build_tables(key, KeyOptions(), measured[turn]), y, u[::2, ::2], v[::2, ::2])[3]
        assert alpha[164:, 164:296].mean() > 245, f"the shirt stays solid ({turn=})"
        assert alpha[:, 500:].max() == 0 and alpha[:, :150].mean() < 1, "the screen keys clean"
    assert measured[20] < 2 * measured[0], "the light across the frame counts for little of the noise"


@pytest.mark.parametrize(
    "scene",
    [
        quality.Scene("hot spot", (0, 177, 64), 0.3, hot_spot=70.0),
        quality.Scene("hot spot on blue", (35, 70, 175), 0.6, hot_spot=70.0),
        quality.Scene("two lights", (140, 200, 40), 0.3, hue_walk=40.0),
    ],
    ids=lambda scene: scene.name,
)
def test_screen_the_key_alone_leaves_opaque_keys_away_and_the_subject_does_not(scene, tmp_path):
    # The quality bench's scene: uneven light, a shadow, strands, glass, motion blur, and here a
    # hot spot (white light added near the top left) or a hue that walks across the frame. The old
    # engine left the spot or the far side partly opaque (background alpha 7 and 17 of 255) and,
    # with the spot counted as noise, read the glass over blue too see-through.
    clip = quality.render(scene, frames=6)
    quality.encode(clip, tmp_path / "source.mp4")
    key_video(tmp_path / "source.mp4", tmp_path / "keyed.webm")
    scores = quality.score(clip, bench_decode(tmp_path / "keyed.webm", quality.W, quality.H))
    assert scores["bg alpha"] < 1.5 and scores["holes"] < 1.0
    assert scores["alpha MAE"] < 2.0 and scores["PSNR"] > 34


def engine_alpha_by_table(tables, y, u_small, v_small) -> np.ndarray:
    """Alpha from the clip's table alone, repeated to full resolution."""
    fields = matte.look_up(tables, matte.luma_at_chroma_resolution(y, u_small.shape), u_small, v_small)
    return np.repeat(np.repeat(fields.alpha, 2, axis=0), 2, axis=1)[: y.shape[0], : y.shape[1]]


def test_a_navy_shirt_with_blue_spill_stays_solid_while_a_shadow_on_the_screen_keys_away():
    screen = (60, 110, 200)  # a light blue screen
    key = matte.key_color_from_hex("#3c6ec8")
    tables = matte.build_tables(key, KeyOptions())
    rgb = np.zeros((96, 192, 3))
    rgb[:] = screen
    rgb[:40, 120:] = [0.5 * c for c in screen]  # a shadow on the screen, half as bright
    rgb[40:, 40:110] = (47, 55, 72)  # a dark shirt that the screen's light tints navy
    y, u, v = rgb_to_yuv(rgb)
    alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])[3]
    assert alpha[44:, 44:106].min() == 255, "nowhere is the screen nearly that dark: the shirt is solid"
    assert alpha[:36, 124:].max() == 0, "the shadow keys fully"
    by_table = matte.look_up(tables, matte.luma_at_chroma_resolution(y, u[::2, ::2].shape), u[::2, ::2], v[::2, ::2])
    assert by_table.alpha[24:, 24:52].min() < 250, "judged at its own darkness the shirt reads partly transparent"


def test_a_greenish_patch_on_the_subject_stays_opaque_where_the_same_colour_on_the_screen_does_not():
    key = matte.key_color_from_hex("#3fa35a")
    tables = matte.build_tables(key, KeyOptions())
    rgb = np.zeros((96, 160, 3))
    rgb[:] = (63, 163, 90)  # screen
    rgb[16:80, 16:80] = (40, 42, 48)  # dark shirt
    rgb[32:64, 32:64] = rgb[16:48, 104:136] = (76, 113, 78)  # sage green, on the shirt and on the screen
    y, u, v = rgb_to_yuv(rgb)
    out_y, out_u, out_v, alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])
    assert alpha[34:62, 34:62].min() == 255, "on the shirt it cannot be the screen"
    assert alpha[20:44, 108:132].max() < 240, "on the screen it may be the screen seen through grey"
    # Made opaque, it is despilled as an opaque colour: some of its green and brightness go, as
    # spill would, but no more than the most an opaque pixel can lose; it stays sage, not grey.
    patch_y, kept_y = float(y[40, 40]), float(out_y[40, 40])
    assert patch_y - 16 > kept_y - 16 > (1 - tables.opaque_beta) * (patch_y - 16) - 1
    along_before, _ = matte.screen_signal(key, u[40, 40], v[40, 40])
    along_after, across_after = matte.screen_signal(key, out_u[20, 20], out_v[20, 20])
    assert 0.2 * along_before < along_after - across_after < along_before


def blend_over(screen, coverage: np.ndarray, colour) -> np.ndarray:
    """RGB of ``colour`` covering ``screen`` by ``coverage`` (rows x cols), with a little sensor noise."""
    mix = coverage[..., None] * np.array(colour, float) + (1 - coverage[..., None]) * np.array(screen, float)
    return np.clip(mix + np.random.default_rng(3).normal(0, 2, mix.shape), 0, 255)


@pytest.mark.parametrize("screen", [(63, 163, 90), (35, 70, 175)])
@pytest.mark.parametrize(("width", "blur"), [(192, 40), (1920, 120)])  # a wide blur fades slowly
def test_a_motion_blurred_red_box_keys_as_the_blend_it_is_not_as_solid_olive(screen, width, blur):
    key = matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*screen))
    tables = matte.build_tables(key, KeyOptions())
    rows, cols = np.mgrid[0:96, 0:width]
    coverage = np.clip(np.minimum(cols - 40, 70 + 2 * blur - cols) / blur, 0, 1) * ((rows >= 20) & (rows < 76))
    y, u, v = rgb_to_yuv(blend_over(screen, coverage, (220, 60, 50)))
    _, out_u, out_v, alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])
    fade = (slice(28, 68), slice(40, 40 + blur))
    by_table = matte.look_up(tables, matte.luma_at_chroma_resolution(y, u[::2, ::2].shape), u[::2, ::2], v[::2, ::2])
    assert (by_table.alpha[14:34, 20 : 20 + blur // 2] == 255).mean() > 0.4, "pixel by pixel the fade reads solid"
    assert np.abs(alpha[fade] / 255 - coverage[fade]).mean() < 0.04
    # Unmixed, a half-covered pixel carries the box's red, not the olive mix.
    _, red_u, red_v = (float(p[0, 0]) for p in rgb_to_yuv(np.array([[(220, 60, 50)]], float)))
    half_way = (slice(14, 34), 20 + blur // 4)  # chroma samples
    assert abs(float(out_v[half_way].mean()) - red_v) < 12 and abs(float(out_u[half_way].mean()) - red_u) < 12


@pytest.mark.parametrize(("screen", "rim"), [((63, 163, 90), 0.55), ((35, 70, 175), 0.3)])
def test_a_rim_shaded_darker_than_the_middle_is_not_taken_for_a_blend_with_the_screen(screen, rim):
    key = matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*screen))
    tables = matte.build_tables(key, KeyOptions())
    rows, cols = np.mgrid[0:96, 0:192]
    radius = np.hypot(cols - 96.0, rows - 48.0)
    shade = rim + (1 - rim) * np.clip((40 - radius) / 16, 0, 1)  # a white ball, lit from the front
    white = blend_over(screen, np.clip(40.5 - radius, 0, 1), (230, 230, 230))
    inside = np.clip(40.5 - radius, 0, 1)[..., None]
    rgb = white * (1 - inside) + white * inside * shade[..., None]
    y, u, v = rgb_to_yuv(rgb)
    alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])[3]
    assert alpha[radius < 37].min() > 0.9 * 255, "its colour rises towards the middle, but not from the screen's"


@pytest.mark.parametrize("screen", [(36, 100, 35), (25, 60, 140)])
def test_a_face_shaded_towards_a_soft_outline_is_not_taken_for_a_blend_with_the_screen(screen):
    # A face darkens all the way from its middle to its outline, and a lens softens the outline:
    # from the screen to the middle the colour rises gradually, as a blend's would, but along the
    # line from black to the skin, not from the screen. Over dark screens, in a frame wide enough
    # for the walks to reach far in, these read as fades (one face was 9 % see-through).
    key = matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*screen))
    tables = matte.build_tables(key, KeyOptions())
    rows, cols = np.mgrid[0:540, 0:960]
    radius = np.hypot(cols - 480.0, rows - 270.0)
    skin = np.array((210, 158, 126), float) * (1.05 - 0.35 * np.clip(radius / 75, 0, 1) ** 2)[..., None]
    coverage = np.clip((77.5 - radius) / 5, 0, 1)[..., None]  # a 5 px soft outline
    rgb = coverage * skin + (1 - coverage) * blend_over(screen, np.zeros(radius.shape), (0, 0, 0))
    y, u, v = rgb_to_yuv(rgb)
    u_small, v_small = (np.round(c.reshape(270, 2, 480, 2).mean(axis=(1, 3))).astype(np.uint8) for c in (u, v))
    alpha = key_one_frame(tables, y, u_small, v_small)[3]
    inside = radius < 71
    assert (255 - alpha[inside].astype(float)).mean() < 1.5, "no see-through streaks across the face"
    assert alpha[inside].min() > 200


def test_a_shirt_whose_colour_turns_gradually_away_from_the_screen_is_not_taken_for_a_fade():
    # Below its hard top edge a shirt turns from teal-grey (a third of the way from a blue screen's
    # colour to yellow) to yellow over 60 px: along a column the colour rises gradually on the
    # screen-to-yellow line, as a fade would, but it starts with a jump a fade of that length
    # would not make. Read as a fade, the shirt had see-through streaks down from its edge.
    screen = (66, 123, 173)
    key = matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*screen))
    tables = matte.build_tables(key, KeyOptions())
    rows = np.mgrid[0:540, 0:960][0]
    turned = np.clip((rows - 101) / 60, 0, 1)[..., None]
    shirt = (1 - turned) * np.array((102, 145, 122), float) + turned * np.array((214, 231, 105), float)
    covered = ((rows >= 101) & (np.abs(np.mgrid[0:540, 0:960][1] - 480) < 300))[..., None]  # across chroma rows
    rgb = np.where(covered, shirt, blend_over(screen, np.zeros(rows.shape), (0, 0, 0)))
    y, u, v = rgb_to_yuv(rgb)
    u_small, v_small = (np.round(c.reshape(270, 2, 480, 2).mean(axis=(1, 3))).astype(np.uint8) for c in (u, v))
    alpha = key_one_frame(tables, y, u_small, v_small)[3]
    assert alpha[106:200, 200:760].min() > 0.9 * 255, "no see-through streaks down from the edge"


def test_a_trim_between_the_screen_and_a_darker_subject_is_not_taken_for_a_fade():
    screen, subject = np.array([130.0, 90.0, 80.0]), np.array([20.0, 128.0, 128.0])  # green screen, black (Y, U, V)
    shares = {
        "fade": [0.1, 0.25, 0.4, 0.55, 0.7, 0.85],  # a blend fading in: its alpha is its share
        "band": [0.1, 0.4, 0.4, 0.4, 0.4, 0.4],  # a dark green trim on black cloth: solid, then a jump
    }
    planes = np.empty((3, 2 * 6, 40))
    alpha = np.zeros((2 * 6, 40), np.uint8)
    for index, ramp in enumerate(shares.values()):
        profile = [0.0] * 10 + ramp + [1.0] * (40 - 10 - len(ramp))
        planes[:, 6 * index : 6 * index + 6] = (screen[:, None] + np.outer(subject - screen, profile))[:, None, :]
        alpha[6 * index : 6 * index + 6, 10:] = [128] + [255] * 29  # the table: one soft sample, then solid
    planes = np.round(planes).astype(np.uint8)
    screen_plate = plate.measure(*planes, alpha, fallback=tuple(screen))
    ramps.soften_ramps(alpha, tuple(planes), screen_plate)
    fade, band = alpha[2, 10:16] / 255, alpha[8, 10:16] / 255
    assert np.allclose(fade, np.minimum(shares["fade"], [128 / 255, 1, 1, 1, 1, 1]), atol=0.03)
    assert (band[1:] == 1).all(), "a fade is gradual; the trim jumps from 0.4 of the way to black"


@pytest.mark.parametrize("screen", [(63, 163, 90), (35, 70, 175)])
@pytest.mark.parametrize("subject", [(220, 190, 130), (205, 150, 120)])  # blond, skin
def test_a_warm_colour_half_over_the_screen_at_the_outline_is_half_transparent(screen, subject):
    key = matte.key_color_from_hex("#{:02x}{:02x}{:02x}".format(*screen))
    tables = matte.build_tables(key, KeyOptions())
    rgb = np.zeros((64, 96, 3))
    rgb[:] = screen
    rgb[8:56, 40:] = subject
    rgb[8:56, 38:40] = [(a + b) / 2 for a, b in zip(subject, screen, strict=True)]  # one chroma sample, half covered
    y, u, v = rgb_to_yuv(rgb)
    alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])[3]
    by_table = engine_alpha_by_table(tables, y, u[::2, ::2], v[::2, ::2])
    assert by_table[12:52, 38:40].mean() > 200, "its chroma is opposite the screen's: the table reads it solid"
    assert abs(alpha[12:52, 38:40].mean() - 128) < 32, "on the line from the screen to the subject, half way"
    assert alpha[12:52, 41:].min() == 255 and alpha[12:52, 40].min() >= 245, "the subject itself stays solid"


def test_a_solid_edge_next_to_the_screen_is_not_thinned():
    key = matte.key_color_from_hex("#3fa35a")
    tables = matte.build_tables(key, KeyOptions())
    rgb = np.zeros((64, 96, 3))
    rgb[:] = (63, 163, 90)
    rgb[8:56, 40:] = (120, 125, 70)  # olive: solid, with some of the screen's hue
    rgb[8:56, 40:44] = (112, 120, 64)  # its edge a little darker, as a shaded rim is
    y, u, v = rgb_to_yuv(rgb)
    alpha = key_one_frame(tables, y, u[::2, ::2], v[::2, ::2])[3]
    assert engine_alpha_by_table(tables, y, u[::2, ::2], v[::2, ::2])[12:52, 40:].min() == 255
    # All the way from the screen to its own colour: no mix (the edge pixel is the upsampling's).
    assert alpha[12:52, 41:].min() == 255 and alpha[12:52, 40].min() >= 245


def test_soft_matte_is_steady_from_frame_to_frame_and_motion_passes_at_once():
    key = matte.key_color_from_hex("#3fa35a")
    tables = matte.build_tables(key, KeyOptions())
    half = [(a + b) / 2 for a, b in zip((63, 163, 90), (128, 128, 128), strict=True)]  # half screen, half grey
    rng = np.random.default_rng(5)
    frames = [rgb_to_yuv(np.clip(frame_of([half], size=32) + rng.normal(0, 3, (32, 32, 3)), 0, 255)) for _ in range(12)]

    def alphas(smoother) -> np.ndarray:
        keyed = []
        for y, u, v in frames:
            u_small, v_small = (np.round(c.reshape(16, 2, 16, 2).mean(axis=(1, 3))).astype(np.uint8) for c in (u, v))
            keyed.append(key_one_frame(tables, y, u_small, v_small, smoother)[3].astype(float))
        return np.array(keyed)

    plain, steady = alphas(None), alphas(AlphaSmoother())
    flicker = [np.abs(np.diff(a, axis=0)).mean() for a in (plain, steady)]
    assert 0 < flicker[1] < 0.6 * flicker[0], f"frame-to-frame alpha change {flicker}"
    assert abs(steady.mean() - plain.mean()) < 3, "steadying does not bias the matte"

    smoother = AlphaSmoother()
    smoother(np.zeros((4, 4), np.uint8))
    moved, _ = smoother(np.full((4, 4), 255, np.uint8))
    assert (moved == 255).all(), "a subject moving onto the screen is not held back"


@pytest.mark.parametrize(("output_format", "audio_codec"), [("webm", "opus"), ("mov", "pcm_s16le")])
def test_both_formats_keep_frames_duration_and_audio(clips, tmp_path, output_format, audio_codec):
    output = tmp_path / f"out.{output_format}"
    progress: list[tuple[int, int]] = []
    result = key_video(
        clips["green"], output, KeyOptions(format=output_format), on_progress=lambda d, t: progress.append((d, t))
    )
    keyed, log = decode_rgba(output)
    original, original_log = decode_rgba(clips["green"])
    assert keyed.shape[0] == original.shape[0] == result.frames
    assert abs(duration_s(log) - duration_s(original_log)) < 0.1
    assert f"Audio: {audio_codec}" in log
    assert progress[-1] == (result.frames, result.frames)
    screen, subject = screen_and_subject_masks(original)
    assert keyed[..., 3][screen].mean() < 6 and keyed[..., 3][subject].mean() > 249


@pytest.mark.parametrize(
    ("audio", "kept_as"),
    [(["-c:a", "pcm_s24le"], "pcm_s24le"), (["-c:a", "flac", "-sample_fmt", "s32"], "pcm_s24le"),
     (["-c:a", "pcm_s16le"], "pcm_s16le"), (["-c:a", "aac"], "pcm_s16le")],
)  # fmt: skip
def test_mov_keeps_24_bit_audio_from_a_lossless_24_bit_source(clips, tmp_path, audio, kept_as):
    source = tmp_path / "recorder.mkv"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-i", str(clips["silent"]), "-f", "lavfi", "-i", "sine=d=1",
         "-map", "0:v", "-map", "1:a", "-c:v", "copy", *audio, "-t", "1", str(source)],
        check=True,
    )  # fmt: skip
    key_video(source, tmp_path / "keyed.mov", KeyOptions(format="mov"))
    _, log = decode_rgba(tmp_path / "keyed.mov")
    assert f"Audio: {kept_as}" in log


def test_odd_frame_sizes_are_keyed_to_the_last_row_and_column(tmp_path):
    # 4:2:0 with odd sizes has chroma planes that overhang the luma plane by one sample.
    source = make_clip(tmp_path / "odd.mkv", width=321, height=241, seconds=1, codec="ffv1", audio=False)
    output = tmp_path / "odd.webm"
    key_video(source, output)
    keyed, _ = decode_rgba(output)
    original, _ = decode_rgba(source)
    assert keyed.shape == original.shape == (25, 241, 321, 4)
    screen, subject = screen_and_subject_masks(original)
    assert keyed[..., 3][screen].mean() < 6 and keyed[..., 3][subject].mean() > 249
    assert keyed[:, -1, :, 3].mean() < 6 and keyed[:, :, -1, 3].mean() < 6, "the last row and column are screen"


@pytest.mark.parametrize("smoothing", [True, False])
def test_a_grainy_screen_keys_clean_because_its_chroma_is_smoothed_first(tmp_path, monkeypatch, smoothing):
    if not smoothing:  # the same clip keyed sample by sample, to show what the smoothing is for
        monkeypatch.setattr(matte, "SMOOTH_ABOVE_NOISE", float("inf"))
    scene = {"width": 640, "height": 360, "seconds": 1, "audio": False}
    clean = make_clip(tmp_path / "clean.mp4", grain=0, **scene)
    grainy = make_clip(tmp_path / "grainy.mp4", grain=12, **scene)
    key_video(grainy, tmp_path / "out.webm")
    keyed, _ = decode_rgba(tmp_path / "out.webm")
    screen, subject = screen_and_subject_masks(decode_rgba(clean)[0])
    background, solid = keyed[..., 3][screen].mean(), keyed[..., 3][subject].mean()
    assert solid > 250
    if smoothing:
        assert background < 1, "the screen keys clean"
    else:
        assert background > 5, "sample by sample, the grain speckles the screen"


def test_a_grainy_screen_keys_clean_though_its_noise_is_measured_a_fifth_too_low(tmp_path, monkeypatch):
    # The noise is measured on a few keyframes, which can be quieter than the frames between them.
    scene = {"width": 640, "height": 360, "seconds": 1, "audio": False}
    screen, _ = screen_and_subject_masks(decode_rgba(make_clip(tmp_path / "clean.mp4", grain=0, **scene))[0])
    grainy = make_clip(tmp_path / "grainy.mp4", grain=5, **scene)

    def speckled_share(noise_scale: float) -> float:
        measured = matte.screen_noise
        monkeypatch.setattr(matte, "screen_noise", lambda *planes: measured(*planes) * noise_scale)
        key_video(grainy, tmp_path / "keyed.webm")
        monkeypatch.setattr(matte, "screen_noise", measured)
        return float((decode_rgba(tmp_path / "keyed.webm")[0][..., 3][screen] > 0).mean())

    assert speckled_share(0.8) < 1.3 * speckled_share(1.0), "no more speckle than with the noise measured right"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priorities are a Linux feature")
def test_keying_and_decoding_yield_the_cores_to_the_encoder(clips, tmp_path, monkeypatch):
    seen: dict[str, int] = {}
    key_one, start_decoder = engine.key_frame, engine._decoder

    def key_and_note(*args) -> None:
        seen["keying"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        key_one(*args)

    def decoder_noted(*args):
        decoder = start_decoder(*args)
        seen["decoder"] = os.getpriority(os.PRIO_PROCESS, decoder.pid)
        return decoder

    monkeypatch.setattr(engine, "key_frame", key_and_note)
    monkeypatch.setattr(engine, "_decoder", decoder_noted)
    key_video(clips["silent"], tmp_path / "out.webm")
    assert seen["keying"] >= engine.KEYING_NICENESS and seen["decoder"] >= engine.KEYING_NICENESS
    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert caller < engine.KEYING_NICENESS, "the calling thread keeps its priority"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")
def test_a_clip_without_a_screen_fails_clearly_and_leaves_no_process(tmp_path):
    # The decoder starts while the matte is planned, so a failed plan must stop it.
    source = make_clip(tmp_path / "grey.mp4", screen="0x777777", seconds=1, audio=False)
    before = child_processes()
    with pytest.raises(JobFailed, match="no green or blue screen"):
        key_video(source, tmp_path / "out.webm")
    assert child_processes() <= before
    assert not (tmp_path / "out.webm").exists(), "nothing is written for a clip that cannot be keyed"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")
def test_stopping_part_way_raises_cancelled_and_leaves_no_process(clips, tmp_path):
    done: list[int] = []
    before = child_processes()
    with pytest.raises(engine.Cancelled):
        key_video(
            clips["silent"],
            tmp_path / "out.webm",
            on_progress=lambda frames, _total: done.append(frames),
            should_stop=lambda: len(done) >= 3,
        )
    assert done == [1, 2, 3]
    assert child_processes() <= before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")
def test_a_keying_run_stays_within_the_memory_the_worker_allows_for(tmp_path):
    # The worker refuses frames larger than pixels_that_fit(its memory); the model must hold.
    width, height = 1280, 720
    source = make_clip(tmp_path / "hd.mp4", width=width, height=height, seconds=1, audio=False)
    key_in_a_fresh_process = [
        sys.executable, "-c",
        "import sys; from pathlib import Path; from service.keying import key_video; "
        "key_video(Path(sys.argv[1]), Path(sys.argv[2]))",
        str(source), str(tmp_path / "out.webm"),
    ]  # fmt: skip
    peak_mb = peak_memory_mb(key_in_a_fresh_process)
    allowed_mb = engine.MEMORY_BASE_MB + width * height * engine.MEMORY_BYTES_PER_PIXEL / 2**20
    assert 0 < peak_mb <= allowed_mb, f"peak {peak_mb:.0f} MB, the model allows {allowed_mb:.0f} MB"


def test_blue_screen_clip_is_keyed_without_options(clips, tmp_path):
    output = tmp_path / "blue.webm"
    result = key_video(clips["blue"], output)
    keyed, _ = decode_rgba(output)
    original, _ = decode_rgba(clips["blue"])
    screen, subject = screen_and_subject_masks(original)
    assert result.key_color.startswith("#")
    assert keyed[..., 3][screen].mean() < 6 and keyed[..., 3][subject].mean() > 249


def colour_description(ffmpeg_log: str) -> str:
    return re.search(r"Video: .*?yuva?420p\(([^)]*)\)", ffmpeg_log).group(1)


def test_colour_metadata_is_carried_through_and_colours_do_not_shift(tmp_path, clips):
    tagged = tmp_path / "tagged.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-i", str(clips["silent"]), "-c:v", "libx264",
         "-vf", "setparams=range=tv:colorspace=bt709:color_primaries=bt709:color_trc=bt709", str(tagged)],
        check=True,
    )  # fmt: skip
    output = tmp_path / "tagged.webm"
    key_video(tagged, output)
    keyed, log = decode_rgba(output)
    original, original_log = decode_rgba(tagged)
    assert colour_description(original_log) == "tv, bt709, progressive"
    assert colour_description(log) == colour_description(original_log)
    _, subject = screen_and_subject_masks(original)
    shift = keyed[..., :3][subject].astype(float).mean(axis=0) - original[..., :3][subject].mean(axis=0)
    assert np.abs(shift).max() < 1.5, f"the subject's colours must not shift (mean RGB shift {shift})"


def test_the_video_is_keyed_not_a_preview_track_before_it(tmp_path, clips):
    # FFmpeg's 0:v:0 is whatever video stream comes first: here a small preview track.
    source = tmp_path / "with-preview.mkv"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "testsrc=s=96x64:r=5:d=2", "-i", str(clips["green"]),
         "-map", "0:v", "-map", "1:v", "-map", "1:a", "-c:v:0", "libx264", "-c:v:1", "copy", "-c:a", "copy",
         str(source)],
        check=True,
    )  # fmt: skip
    assert probe(source).stream_index == 1
    output = tmp_path / "keyed.webm"
    result = key_video(source, output)
    keyed, log = decode_rgba(output)
    original, _ = decode_rgba(clips["green"])
    assert keyed.shape == original.shape and result.frames == original.shape[0]
    assert "Audio: opus" in log
    screen, subject = screen_and_subject_masks(original)
    assert keyed[..., 3][screen].mean() < 6 and keyed[..., 3][subject].mean() > 249


def test_the_probe_prefers_moving_video_to_cover_art_and_small_tracks():
    header = (
        "Input #0, matroska,webm, from 'x.mkv':\n  Duration: 00:00:02.00, start: 0.000000, bitrate: 1 kb/s\n"
        "  Stream #0:0: Video: png, rgb24(pc), 1920x1080, 90k tbr, 90k tbn (attached pic)\n"
        "  Stream #0:1: Video: h264 (High), yuv420p(progressive), 320x180, 25 fps, 25 tbr, 1k tbn\n"
        "  Stream #0:2: Video: h264 (High), yuv420p(tv, bt709, progressive), 1280x720, 25 fps, 25 tbr, 1k tbn\n"
        "  Stream #0:3: Audio: aac (LC), 44100 Hz, stereo, fltp (default)\n"
    )
    info = parse_probe_output(header)
    assert (info.stream_index, info.width, info.height, info.stream_map) == (2, 1280, 720, "0:2")


def test_a_browser_recording_without_a_duration_is_keyed_whole(tmp_path, clips):
    # A browser's MediaRecorder streams WebM out as it records, so the header has no duration.
    recording = tmp_path / "recording.webm"
    with recording.open("wb") as out:
        subprocess.run(
            [ffmpeg_binary(), "-v", "error", "-i", str(clips["green"]), "-c:v", "libvpx", "-deadline", "realtime",
             "-b:v", "1M", "-c:a", "libopus", "-f", "webm", "pipe:1"],
            stdout=out, check=True,
        )  # fmt: skip
    info = probe(recording)
    assert abs(info.duration_s - 2.0) < 0.1 and info.duration_from_video
    result = key_video(recording, tmp_path / "keyed.webm")
    keyed, log = decode_rgba(tmp_path / "keyed.webm")
    assert result.frames == keyed.shape[0] == decode_rgba(clips["green"])[0].shape[0]
    assert "Audio: opus" in log


def test_audio_that_outlasts_the_video_is_not_taken_for_a_truncated_video(tmp_path, clips):
    # The header's duration is the longest stream's: here 3 s of audio over 2 s of video.
    longer_audio = tmp_path / "longer-audio.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-i", str(clips["silent"]), "-f", "lavfi", "-i", "sine=d=3",
         "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(longer_audio)],
        check=True,
    )  # fmt: skip
    assert probe(longer_audio).duration_s > 2.9
    result = key_video(longer_audio, tmp_path / "keyed.webm")
    assert result.frames == decode_rgba(clips["silent"])[0].shape[0]


def test_interlaced_footage_is_keyed_without_combs(tmp_path):
    # Two fields a moment apart woven into each frame: a moving edge is a comb unless deinterlaced.
    source = tmp_path / "interlaced.mp4"
    graph = (
        "color=c=0x3fa35a:s=320x240:r=50:d=1[screen];color=c=0x282a30:s=60x120:r=50:d=1[box];"
        "[screen][box]overlay=x='20+400*t':y=60,tinterlace=interleave_top,setfield=tff"
    )
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", graph, "-c:v", "libx264",
         "-flags", "+ildct+ilme", "-x264opts", "tff=1", str(source)],
        check=True,
    )  # fmt: skip
    assert probe(source).interlaced
    key_video(source, tmp_path / "keyed.webm")
    keyed, _ = decode_rgba(tmp_path / "keyed.webm")
    alpha = keyed[..., 3].astype(float)
    combing = np.abs(alpha[:, 1:-1] - (alpha[:, :-2] + alpha[:, 2:]) / 2).mean()
    assert keyed.shape[0] == 25 and combing < 0.8, f"rows disagree with their neighbours by {combing:.2f} on average"


def first_timestamp_s(path, stream: str) -> float:
    """When the first packet of ``stream`` ("v" or "a") is presented, in the file's own timeline."""
    listing = subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-i", str(path), "-map", f"0:{stream}:0", "-c", "copy", "-copyts",
         "-f", "framecrc", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    numerator, denominator = re.search(r"#tb 0: (\d+)/(\d+)", listing).groups()
    first_pts = int(next(line for line in listing.splitlines() if not line.startswith("#")).split(",")[2])
    return first_pts * int(numerator) / int(denominator)


@pytest.mark.parametrize("output_format", ["webm", "mov"])
def test_audio_that_starts_before_the_picture_stays_in_sync(tmp_path, clips, output_format):
    # MPEG-TS from camcorders and broadcast often starts its audio before its first picture.
    source = tmp_path / "audio-first.ts"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-itsoffset", "0.5", "-i", str(clips["silent"]), "-f", "lavfi",
         "-i", "sine=d=3", "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(source)],
        check=True,
    )  # fmt: skip
    lead = first_timestamp_s(source, "v") - first_timestamp_s(source, "a")
    assert lead > 0.4
    output = tmp_path / f"keyed.{output_format}"
    key_video(source, output, KeyOptions(format=output_format))
    kept = first_timestamp_s(output, "v") - first_timestamp_s(output, "a")
    assert abs(kept - lead) < 0.04, f"the picture starts {kept:.3f} s after the sound, in the source {lead:.3f} s"


def variable_rate_clip(path, seconds_fast: float = 2.0, seconds_slow: float = 4.0) -> float:
    """A clip shot at 30 frames/s that drops to 15 (a phone in low light), with sound throughout;
    a red box enters the picture at the drop. Returns the time the box enters, in seconds.

    As MP4 the header gives the average rate (20.3 frames/s); as WebM it says 30: FFmpeg's
    muxer, like a browser's, writes a nominal rate that the timestamps need not keep.
    """
    fast = round(30 * seconds_fast)
    frames = fast + round(15 * seconds_slow)
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
         f"color=c=0x3fa35a:s=160x120:r=30:d={frames / 30}[bg];color=c=0xc03030:s=48x48:r=30:d={frames / 30}[box];"
         f"[bg][box]overlay=x=56:y=36:enable='gte(n,{fast})',"
         f"setpts='if(lt(N,{fast}),N,{fast}+(N-{fast})*2)/(30*TB)',format=yuv420p",
         "-f", "lavfi", "-i", f"sine=d={seconds_fast + seconds_slow}", "-fps_mode", "vfr",
         *(["-c:v", "libvpx", "-b:v", "1M", "-c:a", "libopus"] if path.suffix == ".webm" else
           ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"]),
         "-t", str(seconds_fast + seconds_slow), str(path)],
        check=True,
    )  # fmt: skip
    return seconds_fast


@pytest.mark.parametrize(("source_format", "output_format"), [("mp4", "webm"), ("mp4", "mov"), ("webm", "webm")])
def test_variable_frame_rate_footage_keeps_every_picture_in_time_with_the_sound(tmp_path, source_format, output_format):
    source = tmp_path / f"vfr.{source_format}"
    enters_s = variable_rate_clip(source)
    output = tmp_path / f"keyed.{output_format}"
    result = key_video(source, output, KeyOptions(format=output_format))
    keyed, log = decode_rgba(output)
    rate = float(re.search(r", ([\d.]+) fps", log).group(1))
    first_with_box = int(np.argmax(keyed[:, 60, 80, 3] > 128))
    assert abs(first_with_box / rate - enters_s) <= 1.5 / rate, (
        f"the box enters at {first_with_box / rate:.2f} s, in the source at {enters_s:.2f} s"
    )
    assert result.frames == len(keyed)
    assert abs(len(keyed) / rate - 6.0) < 0.15 and abs(duration_s(log) - 6.0) < 0.15


def test_a_header_that_claims_less_than_its_timestamps_span_is_keyed_no_further(tmp_path, clips):
    # Frames go on the probed rate's grid by timestamp, so a file stamped far past the length its
    # header claims (and the probe checked) would be keyed, frame by repeated frame, to the last stamp.
    claimed = replace(probe(clips["green"]), duration_s=0.5)  # the clip runs 2 s at 25 frames/s
    result = key_video(clips["green"], tmp_path / "keyed.webm", info=claimed)
    assert result.frames == round(0.5 * 25) + 25, "what the header claims, and a second more"


@pytest.mark.parametrize(
    ("pix_fmt", "codec", "container"),
    [
        ("yuvj420p", ["-c:v", "libx264"], "mp4"),  # full range: phones, webcams, MJPEG
        ("yuv420p10le", ["-c:v", "libx264"], "mp4"),  # 10-bit
        ("yuv422p10le", ["-c:v", "prores_ks", "-profile:v", "2"], "mov"),  # ProRes 422 from a camera or an editor
        ("yuv444p", ["-c:v", "libx264"], "mp4"),  # full-resolution colour
        # RGB is converted to BT.709 YUV as the output is tagged (FFmpeg would use BT.601: this red
        # would come back 12 levels off); PNG in MOV, as motion-graphics tools export it, and
        # QuickTime Animation.
        ("rgba", ["-c:v", "png"], "mov"),
        ("rgb24", ["-c:v", "qtrle"], "mov"),
    ],
)
def test_full_range_10_bit_rgb_and_other_chroma_layouts_are_keyed_with_their_colours(
    tmp_path, pix_fmt, codec, container
):
    source = tmp_path / f"source.{container}"
    subject = "0xc83c32" if pix_fmt.startswith("rgb") else "0x503c46"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
         f"color=c=0x3fa35a:s=160x120:r=25:d=0.4[bg];color=c={subject}:s=48x56:r=25:d=0.4[s];"
         f"[bg][s]overlay=x=56:y=64,format={pix_fmt}", *codec, "-pix_fmt", pix_fmt, str(source)],
        check=True,
    )  # fmt: skip
    assert_keyed_with_the_source_colours(source, tmp_path / "keyed.webm")


def assert_keyed_with_the_source_colours(source, output) -> None:
    """The 160x120 test picture: a screen, and a subject at (56, 64), 48x56."""
    key_video(source, output)
    keyed, _ = decode_rgba(output)
    assert keyed[:, :48, :48, 3].max() == 0, "the screen keys away"
    assert keyed[:, 70:116, 60:100, 3].min() == 255, "the subject stays"
    shown, original = keyed[0, 90, 80, :3].astype(int), decode_rgba(source)[0][0, 90, 80, :3].astype(int)
    assert np.abs(shown - original).max() <= 6, f"the subject's colour as the source shows it: {shown}, {original}"


def fade_in_clip(path, keyframes: list[str]) -> None:
    """2 s: from black to a green screen with a red box over the first 0.5 s."""
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
         "color=c=0x3fa35a:s=160x120:r=25:d=2,drawbox=x=56:y=64:w=48:h=56:c=0xc83c32:t=fill,fade=t=in:d=0.5",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-sc_threshold", "0", *keyframes, str(path)],
        check=True,
    )  # fmt: skip


def test_a_detection_sample_with_no_keyframe_after_its_time_takes_the_one_before(tmp_path):
    # Keyframes at 0 (black) and 0.6 s; the samples at 0.67 and 1.33 s have none after them.
    source = tmp_path / "fade.mp4"
    fade_in_clip(source, ["-g", "1000", "-force_key_frames", "0,0.6"])
    samples = engine._decode_samples(source, probe(source))
    assert [round(float(y.mean())) > 40 for y, _, _ in samples] == [False, True, True]


def test_a_fade_from_black_with_one_keyframe_still_finds_its_screen(tmp_path):
    source = tmp_path / "fade.mp4"
    fade_in_clip(source, ["-g", "1000"])  # every keyframe sample is the black first frame
    output = tmp_path / "keyed.webm"
    key_video(source, output)
    keyed, _ = decode_rgba(output)
    assert keyed[25:, :48, :48, 3].max() == 0 and keyed[25:, 70:116, 60:100, 3].min() >= 250


def test_an_animated_gif_is_keyed(tmp_path):
    source = tmp_path / "sticker.gif"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
         "color=c=0x3fa35a:s=160x120:r=10:d=0.5[bg];color=c=0xc83c32:s=48x56:r=10:d=0.5[s];"
         "[bg][s]overlay=x=56:y=64,split[a][b];[a]palettegen=max_colors=8[p];[b][p]paletteuse", str(source)],
        check=True,
    )  # fmt: skip
    assert_keyed_with_the_source_colours(source, tmp_path / "keyed.webm")


def test_phone_footage_with_a_quarter_turn_is_keyed_upright(tmp_path, clips):
    # Phones store portrait video landscape with a display matrix; FFmpeg decodes it upright,
    # so the engine must lay frames out portrait or every row would be misread.
    turned = tmp_path / "turned.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-display_rotation:v:0", "90", "-i", str(clips["silent"]), "-c", "copy",
         str(turned)],
        check=True,
    )  # fmt: skip
    info = probe(turned)
    assert (info.width, info.height) == (240, 320)
    output = tmp_path / "turned.webm"
    key_video(turned, output)
    keyed, _ = decode_rgba(output)
    original, _ = decode_rgba(turned)
    assert keyed.shape[1:3] == original.shape[1:3] == (320, 240)
    screen, subject = screen_and_subject_masks(original)
    assert keyed[..., 3][screen].mean() < 6 and keyed[..., 3][subject].mean() > 249


@pytest.mark.parametrize(
    ("side_data", "size"),
    [
        ("Display Matrix: rotation of 90.00 degrees", (1080, 1920)),
        ("displaymatrix: rotation of -90.00 degrees", (1080, 1920)),
        ("Display Matrix: rotation of -180.00 degrees", (1920, 1080)),
        ("", (1920, 1080)),
    ],
)
def test_probe_reports_the_size_frames_are_decoded_at(side_data, size):
    log = (
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mov':\n  Duration: 00:00:02.00, start: 0.000000\n"
        "  Stream #0:0[0x1](und): Video: h264 (High), yuv420p(tv, bt709), 1920x1080, 30 fps, 30 tbr\n"
        f"    Side data:\n      {side_data}\n"
        "  Stream #0:1[0x2](und): Audio: aac (LC), 48000 Hz, stereo\n"
    )
    info = parse_probe_output(log)
    assert (info.width, info.height) == size


def test_probe_turns_the_pixel_shape_with_the_frame():
    log = (
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mov':\n  Duration: 00:00:02.00, start: 0.000000\n"
        "  Stream #0:0[0x1](und): Video: h264 (High), yuv420p(tv, bt709), 1440x1080 [SAR 4:3 DAR 16:9], 25 fps\n"
        "    Side data:\n      Display Matrix: rotation of -90.00 degrees\n"
    )
    info = parse_probe_output(log)
    assert (info.width, info.height, info.sample_aspect) == (1080, 1440, (3, 4))
    assert parse_probe_output(log.replace("SAR 4:3 DAR 16:9", "SAR 1:1 DAR 4:3")).sample_aspect is None


@pytest.mark.parametrize(
    ("stream", "matrix", "primaries", "transfer"),
    [
        ("png (png  / 0x20676E70), rgba(pc, gbr/unknown/unknown), 1920x1080", "bt709", "bt709", "iec61966-2-1"),
        ("gif, bgra, 320x240 [SAR 64:64 DAR 4:3]", "bt709", "bt709", "iec61966-2-1"),
        ("h264 (High 4:4:4 Predictive), gbrp(pc, gbr/bt709/bt709), 1920x1080", "bt709", "bt709", "bt709"),
        ("h264 (High), yuv420p(tv, bt709), 1920x1080", "bt709", "bt709", "bt709"),
        ("mjpeg (Baseline), yuvj422p(pc, bt470bg/unknown/unknown), 640x480", "bt470bg", "unknown", "unknown"),
    ],
)
def test_probe_describes_frames_as_decoded_rgb_as_bt709_yuv(stream, matrix, primaries, transfer):
    log = f"Input #0, mov, from 'a.mov':\n  Duration: 00:00:02.00\n  Stream #0:0: Video: {stream}, 25 fps, 25 tbr\n"
    info = parse_probe_output(log)
    assert (info.color_space, info.color_primaries, info.color_transfer) == (matrix, primaries, transfer)
    assert info.rgb == (matrix == "bt709" and "yuv" not in stream)
    assert info.color_range == ("pc" if "yuvj" in stream else "tv")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\r", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "a JPEG image"),
        (b"RIFF\x24\x00\x00\x00WEBP", "a WebP image"),
        (b"\x00\x00\x00\x18ftypheic", "a HEIC photo"),
        (b"\x00\x00\x00\x1cftypavif", "an AVIF image"),
    ],
)
def test_a_photo_is_refused_as_the_image_it_is(tmp_path, head, kind):
    photo = tmp_path / "upload.mp4"
    photo.write_bytes(head + bytes(500))
    with pytest.raises(JobFailed, match=f"input is {kind}, not a video"):
        probe(photo)


@pytest.mark.parametrize("output_format", ["webm", "mov"])
def test_anamorphic_footage_keeps_its_display_shape(tmp_path, clips, output_format):
    wide = tmp_path / "wide.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-i", str(clips["silent"]), "-vf", "setsar=4/3", "-c:v", "libx264", str(wide)],
        check=True,
    )  # fmt: skip
    assert probe(wide).sample_aspect == (4, 3)
    output = tmp_path / f"wide.{output_format}"
    key_video(wide, output, KeyOptions(format=output_format))
    _, log = decode_rgba(output)
    numerator, denominator = map(int, re.search(r"DAR (\d+):(\d+)", log).groups())
    assert abs(numerator / denominator - 16 / 9) < 0.01, "320x240 with 4:3 pixels is shown 16:9"


def test_a_file_that_holds_the_probe_up_is_refused_with_a_reason(clips, monkeypatch):
    monkeypatch.setattr(importlib.import_module("service.keying.probe"), "PROBE_TIMEOUT_S", 0.001)
    with pytest.raises(JobFailed, match="reading its header took over"):
        probe(clips["silent"])


def test_options_validation_names_the_field():
    assert parse_key_options({"keyColor": "#2FA84F"}).key_color == "#2fa84f"
    assert parse_key_options({"strength": 1}).strength == 1.0
    for bad, field in [({"strength": -0.1}, "options.strength"), ({"despill": True}, "options.despill"),
                       ({"edgeSoftness": "soft"}, "options.edgeSoftness"), ({"keyColor": "#12345"}, "options.keyColor"),
                       ({"format": "mp4"}, "options.format"), ({"shadow": 1}, "options.shadow")]:  # fmt: skip
        with pytest.raises(BadRequest, match=field.replace(".", r"\.")):
            parse_key_options(bad)


def test_a_file_that_is_not_a_video_is_refused_by_the_probe(tmp_path):
    text = tmp_path / "a.mp4"
    text.write_text("hello")
    with pytest.raises(JobFailed, match="not a video"):
        probe(text)


def test_a_clip_whose_first_frame_is_destroyed_fails_clearly_and_leaves_no_process(tmp_path):
    # key_video's own probe reads only the header: the decoders must catch a first frame that
    # does not decode.
    source = make_clip(tmp_path / "clip.mp4", seconds=1, audio=False)
    data = bytearray(source.read_bytes())
    first_frame = data.index(b"mdat") + 4
    data[first_frame : first_frame + 20_000] = bytes(20_000)
    source.write_bytes(bytes(data))
    before = child_processes()
    with pytest.raises(JobFailed, match=r"corrupt|cannot be decoded"):
        key_video(source, tmp_path / "out.webm")
    assert child_processes() <= before


def test_each_byte_plane_of_the_looked_up_entries_is_that_byte_of_every_entry():
    packed = np.random.default_rng(3).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    fields = matte.Fields(packed)
    for byte in (matte.ALPHA, matte.DESPILL_U, matte.DESPILL_V, matte.LUMA_CUT):
        np.testing.assert_array_equal(fields.plane(byte), packed[..., byte])
        out = np.zeros((5, 7), np.uint8)
        assert fields.plane(byte, out=out) is out
        np.testing.assert_array_equal(out, packed[..., byte])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")
def test_an_encoder_that_cannot_start_stops_the_decoder_too(tmp_path, monkeypatch, clips):
    def no_encoder(*args, **kwargs):
        raise OSError("no FFmpeg here")

    monkeypatch.setattr(engine, "_encoder", no_encoder)
    before = child_processes()
    with pytest.raises(OSError, match="no FFmpeg here"):
        key_video(clips["silent"], tmp_path / "out.webm")
    assert child_processes() <= before
