"""The NLP stage's one entry point: `Analyzer.analyze(mention) -> Analysis`.

Text is cleaned and segmented once; every model reads the same normalised text and words.
"""

from __future__ import annotations

from functools import lru_cache

from nlp.categories import categorize
from nlp.category_model import CategoryModel
from nlp.clean import clean_text, normalize
from nlp.fingerprint import simhash
from nlp.keywords import KeywordExtractor
from nlp.places import PlaceFinder, load_gazetteer
from nlp.relevance import RelevanceScorer
from nlp.segment import entity_words, segmenter, stopwords
from nlp.sentiment import LinearSentiment, SentimentScorer, SnowNLPSentiment, own_name_remover
from yuqing.records import Analysis, Category, Mention, Sentiment
from yuqing.settings import Settings, cached_settings


def sentiment_scorer(name: str) -> SentimentScorer:
    """The configured sentiment model by name."""
    if name == "linear":
        return LinearSentiment()
    if name == "snownlp":
        return SnowNLPSentiment()
    raise ValueError(f"unknown sentiment model {name!r}")


class Analyzer:
    def __init__(self, settings: Settings, sentiment: SentimentScorer | None = None) -> None:
        entity = settings.entity
        names = entity_words(entity)
        self.segmenter = segmenter(names)
        self.relevance = RelevanceScorer(entity)
        self.sentiment = sentiment or sentiment_scorer(settings.nlp.sentiment_model)
        self.keywords = KeywordExtractor(frozenset(names) | frozenset(entity.topic_words[:3]))
        self.categories = CategoryModel.load() if settings.nlp.category_model == "trained" else None
        self.places = PlaceFinder(load_gazetteer(extra=settings.nlp.extra_places),
                                  masked_names=[*entity.aliases, *entity.context_aliases])
        self._stopwords = stopwords()
        self._remove_own_names = own_name_remover([entity.name, *entity.aliases, *entity.context_aliases])

    def analyze_text(self, text: str, region: str = "") -> Analysis:
        """Analysis of raw (possibly HTML) text; never raises on odd input."""
        norm = normalize(clean_text(text))
        words = self.segmenter.words(norm)
        relevance = self.relevance.score(norm, region)
        place = self.places.find(norm)
        label, score = self.sentiment.predict(*self.sentiment_input(norm, words))
        content = [w for w in words if w not in self._stopwords]
        categories = categorize(norm, words, self.categories)
        if not relevance.relevant:  # "other gas topic" only means something for our utility
            categories = [hit for hit in categories if hit.code != Category.other]
        return Analysis(
            relevant=relevance.relevant,
            relevance_score=relevance.score,
            relevance_reasons=relevance.reasons,
            sentiment=Sentiment(label=label, score=round(score, 4), model=self.sentiment.name),
            categories=categories,
            keywords=self.keywords.keywords(words),
            place=place,
            fingerprint=simhash(content),
            tokens=self.segmenter.search_tokens(words),
        )

    def sentiment_input(self, norm: str, words: list[str] | None = None) -> tuple[str, list[str]]:
        """What sentiment reads: the normalised text without the company's own names (they are
        in every mention) and with place names masked (幸福家园 and 阳光花园 are names, not
        praise), and its words."""
        masked = self.places.mask(self._remove_own_names(norm))
        if masked == norm and words is not None:
            return norm, words
        return masked, self.segmenter.words(masked)

    def analyze(self, mention: Mention) -> Analysis:
        text = f"{mention.title}\n{mention.text}" if mention.title else mention.text
        return self.analyze_text(text, mention.region)


@lru_cache(maxsize=1)
def default_analyzer() -> Analyzer:
    return Analyzer(cached_settings())


def analyze(mention: Mention) -> Analysis:
    """Analyse one mention with the process-wide configured analyzer."""
    return default_analyzer().analyze(mention)
