"""Chinese NLP for gas-service mentions: cleaning, segmentation, relevance, sentiment,
complaint categories, places, keywords and near-duplicate fingerprints."""

from nlp.analyze import Analyzer, analyze

__all__ = ["Analyzer", "analyze"]
