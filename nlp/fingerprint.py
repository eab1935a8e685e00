"""Near-duplicate fingerprints: a 64-bit SimHash over the content words.

Reposts and copied articles differ by a few words, so their fingerprints differ by a few
bits; `distance` counts them.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np

BITS = 64


def simhash(words: list[str]) -> str:
    """16 hex digits; all zeros for a text without words."""
    counts = Counter(words)
    if not counts:
        return "0" * 16
    digests = b"".join(hashlib.blake2b(w.encode(), digest_size=8).digest() for w in counts)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(len(counts), BITS)
    weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    votes = weights @ (bits.astype(np.int64) * 2 - 1)
    return np.packbits(votes > 0).tobytes().hex()


def distance(a: str, b: str) -> int:
    """Number of differing bits between two fingerprints."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
