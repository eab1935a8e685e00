"""The backend fixture shared by the conformance modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from store.base import MentionStore


@pytest.fixture(params=["sqlite", "elasticsearch"])
def backend(request: pytest.FixtureRequest) -> Iterator[MentionStore]:
    """Each backend under test, fresh: SQLite in a temporary file, Elasticsearch on the
    session's real node with indices of this test only."""
    yield request.getfixturevalue("store" if request.param == "sqlite" else "es_store")
