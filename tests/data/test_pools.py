"""Pools of utterances per speaker from an open-corpus manifest, and who meets whom in a drawn pair."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from slimsep.data.pools import audio_loader, draw_pair_recipe, speaker_pools, speaker_probabilities


def test_speakers_are_drawn_by_their_amount_of_speech(mini_open_corpus: Path) -> None:
    """Under "duration" a voice with a few short lines meets others as rarely as its share of the speech."""
    speakers = {"big": [("big.wav", 9000)] * 3, "small": [("small.wav", 1000)], "mid": [("mid.wav", 4000)]}
    p = speaker_probabilities(speakers, "duration")
    assert np.allclose(p, [27 / 32, 4 / 32, 1 / 32])  # sorted names: big, mid, small
    assert speaker_probabilities(speakers, "uniform") is None

    pools, noises = speaker_pools(mini_open_corpus, "train")
    load = audio_loader(mini_open_corpus)
    only_b_c = np.array([0.0, 0.5, 0.5])
    for seed in range(5):
        recipe = draw_pair_recipe(np.random.default_rng(seed), "m", pools, noises, load, 1.0, 0.0,
                                  speaker_p=only_b_c)
        assert {Path(recipe.source_1).parent.name, Path(recipe.source_2).parent.name} == {"b", "c"}
