"""What spiders yield: a Mention plus where it came from and the raw response behind it."""

from __future__ import annotations

from dataclasses import dataclass

from store.evidence import Evidence
from yuqing.records import Mention


@dataclass(slots=True)
class MentionItem:
    mention: Mention
    source: str  # the spider/source name, for stats and crawl state
    evidence: Evidence | None = None  # kept by the pipeline when the mention is relevant
