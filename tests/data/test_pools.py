"""Pools of utterances per speaker from an open-corpus manifest, and who meets whom in a drawn pair."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.data.pools import audio_loader, check_pool_files, draw_pair_recipe, speaker_pools, speaker_probabilities
from slimsep.errors import AudioError


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


def test_a_source_shorter_than_its_manifest_entry_is_named_before_any_work(mini_open_corpus: Path) -> None:
    """Issue 45: a cut-short source failed mid-run in the simulator; the up-front check now reads its length."""
    victim = mini_open_corpus / "sources" / "train" / "b" / "b_1.wav"
    audio, rate = sf.read(victim, dtype="float32")
    sf.write(victim, audio[:5000], rate, subtype="FLOAT")
    speakers, noises = speaker_pools(mini_open_corpus, "train")
    entries = [e for utts in speakers.values() for e in utts] + noises
    with pytest.raises(AudioError) as caught:
        check_pool_files(mini_open_corpus, entries, 8000)
    assert str(caught.value) == (f"{victim}: holds 5000 samples, but {mini_open_corpus / 'manifest.csv'} lists "
                                 f"{audio.size}; the file was cut short or replaced: restore it, or rebuild the "
                                 f"manifest")


def test_sources_as_long_as_listed_or_longer_pass(mini_open_corpus: Path) -> None:
    speakers, noises = speaker_pools(mini_open_corpus, "train")
    entries = [e for utts in speakers.values() for e in utts] + noises
    check_pool_files(mini_open_corpus, entries, 8000)
    check_pool_files(mini_open_corpus, [(path, samples - 100) for path, samples in entries], 8000)
