"""Evidence: raw responses kept compressed and content-addressed, linked to mentions."""

from __future__ import annotations

import gzip
import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from store.evidence import Evidence, EvidenceStore
from yuqing.records import SHANGHAI

FETCHED = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)


def test_one_body_many_mentions_stored_once_and_compressed(tmp_path: Path) -> None:
    body = ("<html>" + "泰山港华燃气停气三天" * 500 + "</html>").encode()
    page = Evidence(url="https://m.weibo.cn/api/container/getIndex?page=1", fetched_at=FETCHED, body=body,
                    content_type="application/json")
    with EvidenceStore(tmp_path / "evidence") as store:
        sha = store.put("weibo:1", page)
        assert store.put("weibo:2", page) == sha == hashlib.sha256(body).hexdigest()
        files = list((tmp_path / "evidence").glob("*/*.gz"))
        assert len(files) == 1 and files[0].stat().st_size < len(body) / 5
        assert gzip.decompress(files[0].read_bytes()) == body
        (record,) = store.records("weibo:2")
        assert (record.url, record.fetched_at, record.size, record.status) == (page.url, FETCHED, len(body), 200)
        assert store.body(sha) == body and store.records("weibo:3") == []


def test_damaged_or_missing_body_is_reported(tmp_path: Path) -> None:
    with EvidenceStore(tmp_path / "evidence") as store:
        sha = store.put("news:1", Evidence(url="https://x.example/1", fetched_at=FETCHED, body=b"original"))
        path = next((tmp_path / "evidence").glob("*/*.gz"))
        path.write_bytes(gzip.compress(b"tampered"))
        with pytest.raises(ValueError, match="damaged"):
            store.body(sha)
        with pytest.raises(FileNotFoundError):
            store.body("0" * 64)
