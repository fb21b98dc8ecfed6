"""The quality benchmark's scoring is right on inputs with known answers (the benchmark itself is not a test)."""

from __future__ import annotations

import numpy as np

from scripts.bench import quality


def test_a_perfect_key_scores_zero_error_and_a_blank_one_scores_badly():
    clip = quality.render("probe", (63, 163, 90), 0.0)
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
    clip = quality.render("probe", (63, 163, 90), 0.0)
    box = (slice(0, int(0.2 * quality.H)), slice(0, int(0.25 * quality.W)))  # left of the hair strands
    blurred = clip.alpha[0][box]
    soft = (blurred > 0.2) & (blurred < 0.8)
    assert soft.sum() > 100
    assert np.allclose(clip.foreground[0][box][soft], (220, 60, 50), atol=0.5)
