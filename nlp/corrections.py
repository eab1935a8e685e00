"""Corrections made by PR staff, as labelled examples for retraining.

A reviewer's sentiment or category override is stored on the mention (it survives every
re-crawl); exported here as JSON lines `{"id", "text", "sentiment"?, "categories"?, "by",
"at"}`, which `yuqing nlp train` reads back as extra training examples.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from yuqing.records import StoredMention


def correction_rows(corrected: Iterable[StoredMention]) -> Iterator[dict]:
    for stored in corrected:
        correction = stored.correction
        if correction is None:
            continue
        m = stored.mention
        row: dict = {"id": m.id, "text": f"{m.title}\n{m.text}".strip(), "by": correction.by,
                     "at": correction.at.isoformat() if correction.at else None}
        if correction.sentiment:
            row["sentiment"] = correction.sentiment.value
        if correction.categories is not None:
            row["categories"] = [c.value for c in correction.categories]
        yield row


def read_corrections(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]]]:
    """(text, sentiment) and (text, categories) pairs from an exported file; bad lines are skipped."""
    sentiments, categories = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if not isinstance(row, dict) or not row.get("text"):
            continue
        if row.get("sentiment") in ("negative", "neutral", "positive"):
            sentiments.append((row["text"], row["sentiment"]))
        if isinstance(row.get("categories"), list):
            categories.append((row["text"], [str(c) for c in row["categories"]]))
    return sentiments, categories
