"""The mention index behind one interface (`store.base.MentionStore`)."""

from store.base import (
    Count,
    Facet,
    MentionQuery,
    MentionStore,
    Page,
    Sort,
    StoreError,
    StoreUnavailable,
    TrendBucket,
)

__all__ = ["Count", "Facet", "MentionQuery", "MentionStore", "Page", "Sort", "StoreError", "StoreUnavailable",
           "TrendBucket"]
