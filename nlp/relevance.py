"""Relevance: is a mention about the watched utility and its service area?

Scored from configured words only, with reasons a reviewer can read:
an unambiguous company name decides on its own; an ambiguous one (港华, 燃气公司) needs a
place of the service area; a place plus a gas-service word makes a candidate; exclusion
words (other cities' branches, other companies, finance, recruitment) pull the score down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yuqing.settings import EntitySettings

THRESHOLD = 0.5
# "<two characters>港华" names a 港华 branch; unless the two characters are ours (泰安, 泰山),
# it is another city's (济南港华, 南京港华 ...), so the exclusion list need not name them all.
_BRANCH = re.compile(r"([\u4e00-\u9fa5]{2})港华")
_COMPANY_AFTER = re.compile(r"\|(燃气|天然气)?(有限)?(公司|集团)?")
_NOT_A_CITY = set("我你他她们的了和与在这那是找给打被让对向说个家到去来从跟")


@dataclass(frozen=True, slots=True)
class Relevance:
    relevant: bool
    score: float
    reasons: list[str]


def _first(words: list[str], text: str) -> str | None:
    return next((w for w in words if w and w in text), None)


class RelevanceScorer:
    def __init__(self, entity: EntitySettings) -> None:
        # Longest first, so the reason names 泰山港华燃气 rather than its substring 泰山港华.
        self.aliases = sorted(entity.aliases, key=len, reverse=True)
        self.context_aliases = sorted(entity.context_aliases, key=len, reverse=True)
        self.places = sorted(entity.places, key=len, reverse=True)
        self.topic_words = sorted(entity.topic_words, key=len, reverse=True)
        self.exclusions = sorted(entity.exclusions, key=len, reverse=True)

    def score(self, text: str, region: str = "") -> Relevance:
        """`text` is normalised (simplified, lower case); `region` is the IP属地 if known."""
        score = 0.0
        reasons: list[str] = []
        exclusion = _first(self.exclusions, text) or self._other_branch(text)
        alias = _first(self.aliases, text)
        # Another company's name must not count as ours: 郑州港华燃气 contains 港华燃气.
        rest = _COMPANY_AFTER.sub("|", text.replace(exclusion, "|")) if exclusion else text
        place = _first(self.places, rest)
        context = _first(self.context_aliases, rest)
        topic = _first(self.topic_words, rest)
        if alias:
            score += 0.8
            reasons.append(f"提及公司名称「{alias}」")
        elif context and place:
            score += 0.6
            reasons.append(f"提及「{context}」且地点在服务区域「{place}」")
        elif context:
            score += 0.15
            reasons.append(f"提及「{context}」但未见服务区域地名")
        if place and topic and not alias:
            score += 0.55
            reasons.append(f"服务区域「{place}」与燃气话题「{topic}」同现")
        elif topic and not place and not alias:
            score += 0.1
            reasons.append(f"燃气话题「{topic}」但未见服务区域地名")
        if region and not place and any(p in region for p in self.places):
            score += 0.2
            reasons.append(f"IP属地/地区为「{region}」")
        if exclusion:
            score -= 0.6 if not alias else 0.3
            reasons.append(f"含排除词「{exclusion}」")
        score = min(1.0, max(0.0, score))
        if not reasons:
            reasons.append("未提及公司、服务区域或燃气话题")
        return Relevance(score >= THRESHOLD, round(score, 3), reasons)

    def _other_branch(self, text: str) -> str | None:
        for match in _BRANCH.finditer(text):
            prefix = match.group(1)
            if _NOT_A_CITY.isdisjoint(prefix) and not any(prefix in n for n in (*self.places, *self.aliases)):
                return match.group(0)
        return None
