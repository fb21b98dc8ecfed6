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
