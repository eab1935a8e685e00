"""Every platform parser over the real responses in ../shared/real-samples/ (when present):
each sample must be read correctly — ids, times, counts, non-empty text (see real_samples.py)."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED
from tests.crawlers.real_samples import CHECKS, NOT_PARSED, check_all

SAMPLES = SHARED / "real-samples"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} not present")


@pytest.fixture(scope="module")
def results() -> dict:
    return check_all(SAMPLES)


@pytest.mark.parametrize("platform", sorted({p for p, _, _ in CHECKS}))
def test_every_real_sample_is_read(results: dict, platform: str) -> None:
    read = results[platform]
    assert read, f"no {platform} samples found"
    assert {name: ok for name, ok in read.items() if ok is not True} == {}


def test_every_sample_file_is_accounted_for(results: dict) -> None:
    checked = {name for platform in results.values() for name in platform}
    every = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    assert every - checked == set(NOT_PARSED)
