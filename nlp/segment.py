"""Word segmentation: jieba with the gas-utility dictionary and the configured names.

One private `jieba.Tokenizer` per word list, so the global jieba state is never touched
and two configurations (say, in tests) cannot leak words into each other.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba

from yuqing.settings import EntitySettings

DATA_DIR = Path(__file__).parent / "data"
USER_DICT = DATA_DIR / "userdict.txt"
STOPWORDS = DATA_DIR / "stopwords.txt"

jieba.setLogLevel(logging.WARNING)

_PUNCT_OR_SPACE = re.compile(r"^[\s\W_]+$")


class Segmenter:
    """jieba tokenizer loaded with the user dictionary plus extra words (names, places)."""

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._tokenizer.load_userdict(str(USER_DICT))
        for word in extra_words:
            if word and not word.isspace():
                self._tokenizer.add_word(word, freq=5000)

    def words(self, text: str) -> list[str]:
        """Tokens without whitespace and punctuation-only pieces."""
        return [w for w in self._tokenizer.lcut(text, HMM=True) if not _PUNCT_OR_SPACE.match(w)]

    def search_tokens(self, words: list[str]) -> list[str]:
        """Words plus the dictionary words inside long ones, as jieba's search mode does,
        so a query for 港华 finds text segmented as 泰山港华燃气."""
        freq = self._tokenizer.FREQ
        out: list[str] = []
        for word in words:
            if len(word) > 2:
                for size in (2, 3):
                    for i in range(len(word) - size + 1):
                        part = word[i : i + size]
                        if part != word and freq.get(part):
                            out.append(part)
            out.append(word)
        return out


def entity_words(entity: EntitySettings) -> tuple[str, ...]:
    """The configured names and places, which must stay whole words."""
    return tuple(sorted({*entity.aliases, *entity.context_aliases, *entity.places}))


@lru_cache(maxsize=8)
def segmenter(extra_words: tuple[str, ...] = ()) -> Segmenter:
    """Shared segmenter for a given word list (loading jieba costs about a second)."""
    return Segmenter(extra_words)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    lines = STOPWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))
