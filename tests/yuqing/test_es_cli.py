"""`yuqing es ...` and every command's start against Elasticsearch: the real node for the
happy paths, loopback HTTP servers for a secured cluster and for something that is not
Elasticsearch, a closed port for a wrong URL. Errors are one line, exit code 2."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp.analyze import Analyzer
from store.elasticsearch import ElasticsearchStore
from store.es_schema import MAPPING_VERSION
from store.outbox import Outbox
from store.sqlite import SQLiteStore
from tests.builders import BASE_TIME, mention
from tests.conftest import FIXTURES
from yuqing.cli import app
from yuqing.records import Category, Correction, SentimentLabel
from yuqing.settings import Settings, load_settings
from yuqing.wiring import open_mention_store, query_tokenizer

runner = CliRunner()
SECRET = "hunter2-very-secret"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory and data directory, no config file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("YUQING_CONFIG", raising=False)
    monkeypatch.setenv("YUQING_STORAGE__DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def es_env(env: Path, es_settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("YUQING_ES_URL", es_settings.url)  # the documented name, exactly
    monkeypatch.setenv("YUQING_ES__INDEX_PREFIX", es_settings.index_prefix)
    monkeypatch.setenv("YUQING_ES__REPLICAS", "0")
    return load_settings()


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


class _Canned(BaseHTTPRequestHandler):
    status, body, headers_out = 200, b"{}", {}

    def _answer(self) -> None:
        self.send_response(self.status)
        for key, value in {"Content-Type": "application/json", **self.headers_out}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.body)

    do_GET = do_HEAD = do_PUT = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def canned_server() -> Iterator:
    """start(status, fixture, headers) → URL of a loopback server answering that to everything."""
    servers = []

    def start(status: int, fixture: str, headers: dict[str, str] | None = None) -> str:
        handler = type("Handler", (_Canned,), {"status": status, "headers_out": headers or {},
                                               "body": (FIXTURES / "elasticsearch" / fixture).read_bytes()})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", [["init"], ["run", "--no-scheduler"], ["search", "停气"], ["es", "init"],
                                     ["es", "outbox", "--replay"], ["crawl", "weibo"]])
def test_wrong_url_is_one_line_and_exit_2(env: Path, monkeypatch: pytest.MonkeyPatch, command) -> None:
    port = closed_port()
    monkeypatch.setenv("YUQING_ES_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("YUQING_ES__REQUEST_TIMEOUT", "3")
    if command[1:] == ["outbox", "--replay"]:
        Outbox(env / "es_outbox.sqlite").close()
    line = one_line_error(runner.invoke(app, command))
    assert line == f"yuqing: Elasticsearch at http://127.0.0.1:{port}: cannot connect (Connection refused)"


def test_wrong_credentials_are_one_line_without_the_secret(env: Path, monkeypatch: pytest.MonkeyPatch,
                                                           canned_server) -> None:
    url = canned_server(401, "security_exception_401.json", {"WWW-Authenticate": 'Basic realm="security"'})
    monkeypatch.setenv("YUQING_ES_URL", url)
    monkeypatch.setenv("YUQING_ES__USERNAME", "yuqing")
    monkeypatch.setenv("YUQING_ES__PASSWORD", SECRET)
    line = one_line_error(runner.invoke(app, ["init"]))
    assert line == (f"yuqing: Elasticsearch at {url} refused the credentials (HTTP 401): "
                    "check es.api_key or es.username/es.password")
    monkeypatch.delenv("YUQING_ES__USERNAME")
    monkeypatch.delenv("YUQING_ES__PASSWORD")
    monkeypatch.setenv("YUQING_ES__API_KEY", SECRET)
    result = runner.invoke(app, ["es", "init"])
    assert "refused the credentials" in one_line_error(result) and SECRET not in result.output
    shown = runner.invoke(app, ["config", "show"])
    assert shown.exit_code == 0 and SECRET not in shown.output
    assert json.loads(shown.output)["es"]["api_key"] == "**********"


def test_a_server_that_is_not_elasticsearch_is_named_as_such(env: Path, monkeypatch: pytest.MonkeyPatch,
                                                             canned_server) -> None:
    url = canned_server(200, "not_elasticsearch.json")
    monkeypatch.setenv("YUQING_ES_URL", url)
    line = one_line_error(runner.invoke(app, ["init"]))
    assert line == f"yuqing: Elasticsearch at {url} answered, but it is not Elasticsearch (check es.url)"


@pytest.mark.parametrize(("url", "expected"), [
    ("ftp://127.0.0.1:9200", "es.url: 'ftp://127.0.0.1:9200' is not an http(s)://host[:port] URL"),
    (f"http://elastic:{SECRET}@127.0.0.1:9200", "es.url: put credentials in es.api_key"),
    ("http://127.0.0.1:99999", "has an invalid port"),
])
def test_a_malformed_url_is_a_config_error(env: Path, monkeypatch: pytest.MonkeyPatch, url: str,
                                           expected: str) -> None:
    monkeypatch.setenv("YUQING_ES_URL", url)
    result = runner.invoke(app, ["config", "check"])
    line = one_line_error(result)
    assert expected in line and SECRET not in result.output


def test_es_commands_need_a_configured_cluster(env: Path) -> None:
    line = one_line_error(runner.invoke(app, ["es", "init"]))
    assert "no Elasticsearch configured: set YUQING_ES_URL" in line
    assert runner.invoke(app, ["es", "outbox"]).output.startswith("outbox empty")


def test_es_init_creates_template_alias_and_is_repeatable(es_env: Settings) -> None:
    prefix = es_env.es.index_prefix
    first = runner.invoke(app, ["es", "init"])
    assert first.exit_code == 0, first.output
    assert f"template {prefix} (mapping v{MAPPING_VERSION})" in first.output
    assert f"alias {prefix} over 1 indices: {prefix}-" in first.output
    again = runner.invoke(app, ["es", "init"])
    assert again.exit_code == 0 and f"alias {prefix} over 1 indices" in again.output
    with open_mention_store(es_env) as store:
        assert isinstance(store, ElasticsearchStore)
        assert store.client.indices.exists_index_template(name=prefix)
        assert store.client.indices.exists_alias(name=prefix)


def test_reindex_copies_sqlite_with_corrections_and_first_seen(es_env: Settings, analyzer: Analyzer) -> None:
    texts = ["泰山港华燃气岱岳区停气三天", "泰安燃气费这个月多了两百", "周末去泰山看日出", "有人冒充燃气公司上门"]
    with SQLiteStore(es_env.storage.mentions_db, query_tokenizer(es_env)) as source:
        source.upsert([(m, analyzer.analyze(m)) for m in
                       (mention(n, t, hours_ago=n * 30) for n, t in enumerate(texts))])
        source.correct("weibo:2", Correction(sentiment=SentimentLabel.negative, categories=[Category.service],
                                             by="pr1", at=BASE_TIME))
        later = mention(1, texts[1], hours_ago=30, likes=9, fetched_at=BASE_TIME.replace(day=25))
        source.upsert([(later, analyzer.analyze(later))])
        expected = {s.mention.id: s for s in source.iter_stored()}
    result = runner.invoke(app, ["es", "reindex", "--batch", "3"])
    assert result.exit_code == 0, result.output
    assert "copied 4 of 4 mentions (4 new in Elasticsearch)" in result.output
    with open_mention_store(es_env) as store:
        for mention_id, stored in expected.items():
            copied = store.get(mention_id)
            assert copied.mention == stored.mention and copied.first_seen_at == stored.first_seen_at
            assert copied.correction == stored.correction and copied.categories == stored.categories
        assert store.get("weibo:2").sentiment == SentimentLabel.negative
        from store.base import MentionQuery
        page = store.search(MentionQuery(text="停气"))  # the tokens came along
        assert [i.mention.id for i in page.items] == ["weibo:0"] and "<em>停气</em>" in page.items[0].highlight
    again = runner.invoke(app, ["es", "reindex"])
    assert again.exit_code == 0 and "copied 4 of 4 mentions (0 new in Elasticsearch)" in again.output


def test_reindex_without_a_sqlite_index(es_env: Settings) -> None:
    assert "no SQLite index to copy from" in one_line_error(runner.invoke(app, ["es", "reindex"]))


def test_outbox_lists_rejected_with_reason_discards_and_replays(es_env: Settings, analyzer: Analyzer) -> None:
    bad = mention(2, "泰安燃气费涨了", views=10**20)
    good = mention(3, "泰安停气")
    with open_mention_store(es_env) as store:
        assert store.upsert([(bad, analyzer.analyze(bad))]).failed
    outbox = Outbox(es_env.storage.es_outbox_db)
    outbox.append([(good, analyzer.analyze(good))], reason="ConnectionError: refused")  # waited out an outage
    outbox.close()
    listing = runner.invoke(app, ["es", "outbox"])
    assert listing.exit_code == 0
    lines = listing.output.strip().splitlines()
    assert lines[0] == "pending: 1  rejected: 1"
    assert lines[1].startswith("rejected weibo:2 queued ") and "document_parsing_exception" in lines[1]
    assert "[views]" in lines[1]
    replayed = runner.invoke(app, ["es", "outbox", "--replay"])
    assert "replayed: 1 stored, 0 rejected, 0 still waiting" in replayed.output
    assert "pending: 0  rejected: 1" in replayed.output  # a replay never drops the rejected one
    discarded = runner.invoke(app, ["es", "outbox", "--discard", "weibo:2"])
    assert "discarded 1 rejected entries of weibo:2" in discarded.output
    assert "pending: 0  rejected: 0" in discarded.output
    with open_mention_store(es_env) as store:
        assert store.get("weibo:3") is not None and store.get("weibo:2") is None


def test_retention_command(es_env: Settings, analyzer: Analyzer) -> None:
    with open_mention_store(es_env) as store:
        old = mention(1, "泰安燃气", published_at=BASE_TIME.replace(year=2020))
        store.upsert([(old, analyzer.analyze(old))])
    prefix = es_env.es.index_prefix
    dry = runner.invoke(app, ["es", "retention", "--months", "24", "--dry-run"])
    assert dry.exit_code == 0 and f"would drop 1 indices older than 24 months: {prefix}-2020.11" in dry.output
    done = runner.invoke(app, ["es", "retention", "--months", "24"])
    assert f"dropped 1 indices older than 24 months: {prefix}-2020.11" in done.output
    assert "no retention age" in one_line_error(runner.invoke(app, ["es", "retention"]))
