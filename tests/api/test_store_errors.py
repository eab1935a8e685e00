"""The API when the mention index fails: a short Chinese sentence and the right status,
never a traceback or a connection detail."""

from __future__ import annotations

import socket

from fastapi.testclient import TestClient

from api.app import create_app
from store.elasticsearch import ElasticsearchStore
from store.es_client import make_client
from tests.conftest import make_settings
from yuqing.settings import EsSettings, Settings
from yuqing.wiring import query_tokenizer


def test_index_down_is_503_with_a_plain_sentence(tmp_path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    es = EsSettings(url=f"http://127.0.0.1:{port}", request_timeout=3)
    store = ElasticsearchStore(make_client(es), tokenize=query_tokenizer(Settings()), hosts=es.hosts)
    with TestClient(create_app(make_settings(tmp_path), store=store), raise_server_exceptions=False) as client:
        for path in ("/api/mentions", "/api/stats/trend", "/api/mentions/weibo:1", "/healthz"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.json() == {"detail": "舆情索引暂时无法访问，请稍后再试"}
            assert str(port) not in response.text


def test_a_page_beyond_the_window_is_422(tmp_path, es_store) -> None:
    with TestClient(create_app(make_settings(tmp_path), store=es_store)) as client:
        response = client.get("/api/mentions", params={"page": 3001, "size": 20})
        assert response.status_code == 422 and "缩小筛选范围" in response.json()["detail"]
        assert client.get("/api/mentions", params={"page": 2, "size": 20}).status_code == 200
