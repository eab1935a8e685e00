"""Rule evaluation: a mention's facts against compiled rules → the highest level that matched.

Each rule is compiled once into a list of small predicates (keyword lists become one regular
expression), so evaluating the default rules costs a few microseconds per mention.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from alerts.levels import Level
from alerts.rules.schema import BurstRule, Conditions, Rule, RuleFile
from nlp.clean import clean_text, normalize
from yuqing.records import Analysis, Mention


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules look at, taken from a mention and its (possibly corrected) analysis."""

    text: str  # normalised: simplified, lower case
    relevant: bool
    relevance: float
    sentiment: str
    severity: float  # 1 - sentiment score: 0 glowing … 1 furious
    categories: frozenset[str]
    platform: str
    followers: int
    verified: bool
    verified_reason: str
    engagement: int
    views: int
    event_mentions: int = 1


def facts_of(mention: Mention, analysis: Analysis, *, event_mentions: int = 1,
             sentiment: str | None = None, categories: list[str] | None = None) -> Facts:
    """Facts of one mention; a reviewer's sentiment or categories replace the model's when given."""
    raw = f"{mention.title}\n{mention.text}" if mention.title else mention.text
    return Facts(
        text=normalize(clean_text(raw)),
        relevant=analysis.relevant,
        relevance=analysis.relevance_score,
        sentiment=sentiment or analysis.sentiment.label.value,
        severity=round(1.0 - analysis.sentiment.score, 4),
        categories=frozenset(categories if categories is not None else analysis.category_codes),
        platform=mention.platform.value,
        followers=mention.author.followers or 0,
        verified=mention.author.verified,
        verified_reason=mention.author.verified_reason.lower(),
        engagement=mention.engagement,
        views=mention.views or 0,
        event_mentions=event_mentions,
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    level: Level
    rule_ids: tuple[str, ...]
    reasons: tuple[str, ...]  # rule names, for staff
    life_safety: bool = False


Predicate = Callable[[Facts], bool]


def _words(words: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))


def _predicates(when: Conditions) -> list[Predicate]:
    checks: list[Predicate] = []
    if when.relevant is not None:
        checks.append(lambda f, want=when.relevant: f.relevant is want)
    if when.min_relevance is not None:
        checks.append(lambda f, low=when.min_relevance: f.relevance >= low)
    if when.sentiment:
        checks.append(lambda f, allowed=frozenset(s.value for s in when.sentiment): f.sentiment in allowed)
    if when.min_severity is not None:
        checks.append(lambda f, low=when.min_severity: f.severity >= low)
    if when.categories:
        checks.append(lambda f, wanted=frozenset(c.value for c in when.categories): not wanted.isdisjoint(f.categories))
    if when.platforms:
        checks.append(lambda f, allowed=frozenset(p.value for p in when.platforms): f.platform in allowed)
    if when.min_followers is not None:
        checks.append(lambda f, low=when.min_followers: f.followers >= low)
    if when.author_verified is not None:
        checks.append(lambda f, want=when.author_verified: f.verified is want)
    if when.author_reason_any:
        reasons = _words(when.author_reason_any)
        checks.append(lambda f: reasons.search(f.verified_reason) is not None)
    if when.min_engagement is not None:
        checks.append(lambda f, low=when.min_engagement: f.engagement >= low)
    if when.min_views is not None:
        checks.append(lambda f, low=when.min_views: f.views >= low)
    if when.min_event_mentions is not None:
        checks.append(lambda f, low=when.min_event_mentions: f.event_mentions >= low)
    # Keyword scans are the dearest checks: last, so cheap checks rule a mention out first.
    if when.keywords_none:
        excluded = _words(when.keywords_none)
        checks.append(lambda f: excluded.search(f.text) is None)
    if when.keywords_any:
        wanted = _words(when.keywords_any)
        checks.append(lambda f: wanted.search(f.text) is not None)
    for word in when.keywords_all:
        checks.append(lambda f, word=word: word in f.text)
    return checks


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: Rule
    checks: tuple[Predicate, ...]

    def matches(self, facts: Facts) -> bool:
        return all(check(facts) for check in self.checks)


class RuleSet:
    """A validated rule file, compiled. Evaluate with `evaluate(facts)`."""

    def __init__(self, spec: RuleFile, text: str = "") -> None:
        self.spec = spec
        self.text = text
        enabled = [rule for rule in spec.rules if rule.enabled]
        # Highest level first: once a red rule matched, lower rules cannot change the level,
        # but they still add their reasons.
        enabled.sort(key=lambda rule: rule.level.rank, reverse=True)
        self._rules = tuple(_Compiled(rule, tuple(_predicates(rule.when))) for rule in enabled)
        self.bursts: tuple[BurstRule, ...] = tuple(b for b in spec.bursts if b.enabled)

    def evaluate(self, facts: Facts) -> Verdict | None:
        """The highest level among the matching rules, or None when no rule matches."""
        matched = [compiled.rule for compiled in self._rules if compiled.matches(facts)]
        if not matched:
            return None
        return Verdict(level=matched[0].level, rule_ids=tuple(rule.id for rule in matched),
                       reasons=tuple(rule.name for rule in matched),
                       life_safety=any(rule.lane == "life_safety" for rule in matched))

    def uses_event_size(self) -> bool:
        return any(compiled.rule.when.min_event_mentions is not None for compiled in self._rules)
