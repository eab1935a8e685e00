"""What spiders yield: a Mention plus where it came from."""

from __future__ import annotations

from dataclasses import dataclass

from yuqing.records import Mention


@dataclass(slots=True)
class MentionItem:
    mention: Mention
    source: str  # the spider/source name, for stats and crawl state
