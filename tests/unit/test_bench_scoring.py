"""The quality benchmark's scoring is right on inputs with known answers (the benchmark itself is not a test)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from scripts.bench import portrait, quality, random_scenes


def test_a_perfect_key_scores_zero_error_and_a_blank_one_scores_badly():
    clip = quality.render(quality.Scene("probe", (63, 163, 90), 0.0))
    clip.alpha, clip.foreground = clip.alpha[:2], clip.foreground[:2]
    perfect = np.concatenate([np.round(clip.foreground), np.round(clip.alpha[..., None] * 255)], axis=-1).astype(
        np.uint8
    )
    scores = quality.score(clip, perfect)
    assert scores["alpha MAE"] < 0.3 and scores["bg alpha"] == 0 and scores["holes"] == 0 and scores["PSNR"] > 45
    assert scores["flicker"] < 0.5
    shimmering = perfect.copy()
    soft = (clip.alpha[1] > 0) & (clip.alpha[1] < 0.999)
    shimmering[1, ..., 3][soft] = np.clip(shimmering[1, ..., 3][soft].astype(int) + 10, 0, 255)
    assert quality.score(clip, shimmering)["flicker"] > 5
    opaque = perfect.copy()
    opaque[..., 3] = 255
    bad = quality.score(clip, opaque)
    assert bad["bg alpha"] == 255 and bad["PSNR"] < 20


def test_a_partly_covered_pixel_has_its_objects_own_colour():
    # Objects are laid with the "over" operator: the motion-blurred red box is red at every alpha,
    # not darkened towards its edge, and the composite is alpha * F + (1 - alpha) * screen.
    clip = quality.render(quality.Scene("probe", (63, 163, 90), 0.0))
    box = (slice(0, int(0.2 * quality.H)), slice(0, int(0.25 * quality.W)))  # left of the hair strands
    blurred = clip.alpha[0][box]
    soft = (blurred > 0.2) & (blurred < 0.8)
    assert soft.sum() > 100
    assert np.allclose(clip.foreground[0][box][soft], (220, 60, 50), atol=0.5)


def test_random_scenes_are_green_or_blue_screens_with_subjects_a_keyer_can_tell_from_them():
    rng = np.random.default_rng(0)
    scenes = [random_scenes.draw_scene(rng, index) for index in range(200)]
    for scene in scenes:
        screen = random_scenes._chroma(scene.screen_rgb)
        for colour in (scene.shirt, scene.patch, scene.prop, scene.hair, scene.blurred):
            assert random_scenes._chroma(colour) @ screen < random_scenes.MOST_SCREEN_CHROMA * (screen @ screen)
        assert 0.2 <= scene.glass_opacity <= 0.8 and 10 <= scene.blur_px <= 70
    blue = [scene.screen_rgb[2] > scene.screen_rgb[1] for scene in scenes]
    assert 0.25 < np.mean(blue) < 0.55, "both kinds of screen are drawn"


def test_a_hot_spot_adds_white_near_the_top_left_and_two_lights_turn_the_hue_across_the_frame():
    rng = np.random.default_rng(0)
    scene = random_scenes.draw_scene(rng, 0)
    assert random_scenes.lit(scene, "even", rng) == scene
    hot, walk = random_scenes.lit(scene, "hot-spot", rng), random_scenes.lit(scene, "two-lights", rng)
    assert 30 <= hot.hot_spot <= 90 and 20 <= walk.hue_walk <= 40
    yy, xx = np.mgrid[0 : quality.H, 0 : quality.W].astype(np.float32)
    even_plate, hot_plate, walk_plate = (quality._screen_plate(s, yy, xx) for s in (scene, hot, walk))
    added = hot_plate - even_plate
    spot = (int(0.3 * quality.H), int(0.3 * quality.W))
    assert np.allclose(added[spot], hot.hot_spot, rtol=0.01) and np.abs(added[:, -1]).max() < 0.05 * hot.hot_spot
    turned = walk_plate - even_plate
    assert turned[0, -1, 0] > 0.45 * walk.hue_walk and turned[0, -1, 2] < -0.45 * walk.hue_walk
    assert turned[0, 0, 0] < -0.45 * walk.hue_walk and np.allclose(turned[..., 1], 0)


def test_the_portrait_is_shaded_soft_edged_and_its_truth_is_exact():
    rng = np.random.default_rng([1, 0])
    drawn = portrait.draw_portrait(rng)
    still = replace(drawn, spill=0.0, noise=0.0, defocus=2)
    clip = portrait.render(still, rng, frames=2)
    alpha, fore = clip.alpha[0], clip.foreground[0]
    # Without spill or noise, each pixel is its truth composited over the screen.
    yy, xx = np.mgrid[0 : portrait.H, 0 : portrait.W].astype(np.float32)
    composite = alpha[..., None] * fore + (1 - alpha[..., None]) * portrait.screen_plate(still, yy, xx)
    assert np.abs(clip.frames[0] - composite).max() <= 0.5 + 1e-3
    assert (alpha[180:220, 460:500] > 0.999).all(), "the face is solid"
    # The face darkens towards its outline, which is soft; hair strands are partly covering.
    middle, rim = fore[200, 480].sum(), fore[200, 480 + 70].sum()
    assert rim < 0.8 * middle
    outline = alpha[200, 480 + 72 : 480 + 80]
    assert ((outline > 0.05) & (outline < 0.95)).sum() >= 3
    hair = alpha[60:120, 380:580]
    assert ((hair > 0.05) & (hair < 0.95)).sum() > 500
    # Its colours follow the random scenes' rule; so does every blend of the shirt's two stripes.
    screen = random_scenes._chroma(drawn.screen)
    for colour in (*drawn.stripes, (drawn.stripes[0] + drawn.stripes[1]) / 2, drawn.ball):
        assert random_scenes._chroma(colour) @ screen < random_scenes.MOST_SCREEN_CHROMA * (screen @ screen)
