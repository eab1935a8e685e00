"""The API when the mention index fails: a short Chinese sentence and the right status,
never a traceback or a connection detail."""

from __future__ import annotations

import socket

from fastapi.testclient import TestClient

from api.app import create_app
from store.elasticsearch import ElasticsearchStore
from store.es_client import make_client
from tests.api.helpers import sign_in
from tests.conftest import make_settings
from yuqing.settings import EsSettings, Settings
from yuqing.wiring import query_tokenizer


def test_index_down_is_503_with_a_plain_sentence(tmp_path, sqlite_db) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    es = EsSettings(url=f"http://127.0.0.1:{port}", request_timeout=3)
    store = ElasticsearchStore(make_client(es), tokenize=query_tokenizer(Settings()), hosts=es.hosts)
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings, store=store, db=sqlite_db), raise_server_exceptions=False) as client:
        sign_in(client, sqlite_db, settings)
        for path in ("/api/mentions", "/api/stats/trend", "/api/mentions/weibo:1", "/healthz"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.json() == {"detail": "舆情索引暂时无法访问，请稍后再试"}
            assert str(port) not in response.text


def test_a_page_beyond_the_window_is_422(tmp_path, es_store, sqlite_db) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings, store=es_store, db=sqlite_db)) as client:
        sign_in(client, sqlite_db, settings)
        response = client.get("/api/mentions", params={"page": 3001, "size": 20})
        assert response.status_code == 422 and "缩小筛选范围" in response.json()["detail"]
        assert client.get("/api/mentions", params={"page": 2, "size": 20}).status_code == 200
