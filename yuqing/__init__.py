"""yuqing: public-sentiment monitoring for a city gas utility."""

__version__ = "0.1.0"
