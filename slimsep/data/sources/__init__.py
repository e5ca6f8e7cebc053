"""Where the open corpus's voices and noise come from: one module per kind of source, none importing the corpus.

- :mod:`.speaker`: the Speaker record, clip readers, and the Debian voices' split table;
- :mod:`.levels`: silence trimming and the one active-speech level every source is brought to;
- :mod:`.debian_speech`: Asterisk prompts, Fish Fillets, Flight of the Amazon Queen, and the noise clips;
- :mod:`.debian_games`: Drascula, Beneath a Steel Sky, Tux Paint, KTuberling, festvox-ru;
- :mod:`.voices`: a folder of many read-speech voices with a ``MANIFEST.tsv`` (``../shared/voices``).

:mod:`slimsep.data.open_corpus` builds the corpus from them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from slimsep.data.sources import debian_games, debian_speech
from slimsep.data.sources.speaker import Speaker
from slimsep.progress import bar

ASTERISK = ("asterisk-core-sounds-en-wav", "asterisk-core-sounds-es-wav", "asterisk-core-sounds-fr-wav",
            "asterisk-core-sounds-it-wav", "asterisk-core-sounds-ru-wav", "asterisk-prompt-it-menardi-wav")
DRASCULA = (("drascula", "en"), ("drascula-italian", "it"), ("drascula-spanish", "es"))


def debian_speakers(seed: int = 0, quiet: bool = True) -> list[Speaker]:
    """Every Debian speaker of the open corpus, fetching packages into the cache as needed (minutes the first time:
    a bar per source on a terminal unless ``quiet``)."""
    loaders: list[tuple[str, Callable[[], Iterable[Speaker]]]] = [
        *((package, partial(debian_speech.asterisk, package)) for package in ASTERISK),
        *((package, partial(debian_speech.fillets, package)) for package in ("fillets-ng-data-cs", "fillets-ng-data-nl")),
        ("flight-of-the-amazon-queen", debian_speech.fotaq),
        *((package, partial(debian_games.drascula, package, lang)) for package, lang in DRASCULA),
        ("beneath-a-steel-sky", partial(debian_games.bass, seed)), ("tuxpaint-stamps-default", debian_games.tuxpaint),
        ("ktuberling-data", debian_games.ktuberling), ("festvox-ru", debian_games.festvox_ru)]
    found: list[Speaker] = []
    with bar(total=len(loaders), desc="speech sources", quiet=quiet, unit="package") as progress:
        for package, load in loaders:
            progress.set_postfix_str(package)
            found.extend(load())
            progress.update()
    merged: dict[str, Speaker] = {}
    for s in found:  # en and es Allison become one speaker
        merged.setdefault(s.name, Speaker(s.name, s.gender, s.language, s.source, s.certain,
                                          s.gender_estimated)).clips.extend(s.clips)
    return [s for s in merged.values() if s.clips]
