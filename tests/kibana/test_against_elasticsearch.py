"""The saved objects against the real Elasticsearch test node (Kibana cannot run here), over the
demo loaded through the real spider and pipeline (`yuqing demo` with the node configured):
every field in our mapping with the type its chart needs, references resolving, and the
aggregation behind each visualization, derived from the saved object, returning buckets that
agree with what the service itself counts."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from kibana.objects import for_alias, load, to_ndjson
from kibana.validate import (
    FieldUse,
    aggregation_request,
    bucket_depths,
    check_against,
    field_problems,
    fields_used,
)
from store.base import Facet, MentionQuery
from store.elasticsearch import ElasticsearchStore
from store.outbox import Outbox
from tests.conftest import REPO, drop_prefix
from yuqing.cli import app
from yuqing.records import SHANGHAI, SentimentLabel
from yuqing.settings import EsSettings, Settings
from yuqing.wiring import query_tokenizer


@dataclass
class Demo:
    client: Elasticsearch
    store: ElasticsearchStore
    prefix: str
    objects: list[dict]


@pytest.fixture(scope="module")
def demo(es_node, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    work = tmp_path_factory.mktemp("kibana-demo")
    prefix = f"k{uuid.uuid4().hex[:10]}-mentions"
    config = work / "yuqing.toml"
    config.write_text(f'[storage]\ndata_dir = "{work / "data"}"\n[crawl]\nlog_level = "WARNING"\n'
                      f'[es]\nurl = "{es_node.url}"\nindex_prefix = "{prefix}"\nreplicas = 0\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "yuqing", "demo", "--config", str(config)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    es = EsSettings(url=es_node.url, index_prefix=prefix, replicas=0)
    store = ElasticsearchStore.open(es, tokenize=query_tokenizer(Settings()), outbox=Outbox(work / "outbox.sqlite"))
    client = Elasticsearch(es_node.url, request_timeout=30)
    client.indices.refresh(index=prefix)
    try:
        yield Demo(client=client, store=store, prefix=prefix, objects=for_alias(load(), prefix))
    finally:
        store.close()
        client.close()
        drop_prefix(es_node.url, prefix)


def test_every_field_is_mapped_with_the_type_its_chart_needs(demo: Demo) -> None:
    caps = demo.client.field_caps(index=demo.prefix, fields="*")["fields"]
    uses = fields_used(demo.objects)
    assert field_problems(uses, caps) == []
    needs = {(u.field, u.need) for u in uses}
    assert {("published_at", "date"), ("sentiment", "aggregatable"), ("platform", "aggregatable"),
            ("categories", "aggregatable"), ("region", "aggregatable"), ("analysis.place", "aggregatable"),
            ("author.name", "aggregatable"), ("analysis.keywords", "aggregatable"),
            ("analysis.relevant", "searchable")} <= needs
    assert caps["published_at"] == {"date": {"type": "date", "metadata_field": False, "searchable": True,
                                             "aggregatable": True}}
    # The check fails where Kibana would: a terms split on analysed text, a time axis on a keyword,
    # a field the mapping does not have.
    wrong = [FieldUse("x", "text", "aggregatable"), FieldUse("x", "platform", "date"),
             FieldUse("x", "author.nickname", "exists")]
    assert field_problems(wrong, caps) == [
        "x: text is text, a terms split needs an aggregatable keyword",
        "x: platform is keyword, a time axis needs a date",
        "x: field author.nickname is not in the mapping"]


def test_each_visualization_returns_buckets_on_the_demo(demo: Demo) -> None:
    report = check_against(demo.client, demo.objects)
    assert report.problems == []
    visualizations = [o["id"] for o in demo.objects if o["type"] == "visualization"]
    assert sorted(report.buckets) == sorted(visualizations)
    assert all(depths and 0 not in depths for depths in report.buckets.values())
    relevant = MentionQuery(relevant=True)
    # The same figures the service computes (its own queries, not the saved objects'):
    days = [b for b in demo.store.trend(relevant.model_copy(update={"since": datetime(2000, 1, 1, tzinfo=SHANGHAI)}))
            if b.total]
    assert report.buckets["yuqing-vis-volume-by-sentiment"][0] == len(days)
    platforms = demo.store.facet(relevant, Facet.platform, limit=10)
    assert report.buckets["yuqing-vis-platforms"] == [len(platforms)]
    categories = demo.store.facet(relevant, Facet.category, limit=20)
    assert report.buckets["yuqing-vis-categories"] == [len(categories)] and len(categories) >= 5
    assert report.buckets["yuqing-vis-keyword-cloud"][0] > 20
    negative = demo.store.count(relevant.model_copy(update={"sentiments": [SentimentLabel.negative]}))
    assert report.hits == {"yuqing-search-negative": negative} and negative > 0


def test_the_empty_value_is_left_out_of_the_place_chart(demo: Demo) -> None:
    vis = next(o for o in demo.objects if o["id"] == "yuqing-vis-places")
    request = aggregation_request(vis, dashboard_query="analysis.relevant : true")
    answer = demo.client.search(index=demo.prefix, **request)
    keys = [b["key"] for b in answer["aggregations"]["agg0"]["buckets"]]
    assert keys and "" not in keys
    everything = demo.client.search(index=demo.prefix, size=0, query={"term": {"analysis.place": ""}})
    assert everything["hits"]["total"]["value"] > 0  # there are mentions without a place to leave out


def test_a_visualization_on_a_wrong_field_is_reported(demo: Demo) -> None:
    objects = json.loads(json.dumps(demo.objects))
    cloud = next(o for o in objects if o["id"] == "yuqing-vis-keyword-cloud")
    state = json.loads(cloud["attributes"]["visState"])
    state["aggs"][1]["params"]["field"] = "text"  # analysed text: no terms aggregation in Kibana either
    cloud["attributes"]["visState"] = json.dumps(state)
    problems = check_against(demo.client, objects).problems
    assert "yuqing-vis-keyword-cloud: text is text, a terms split needs an aggregatable keyword" in problems
    assert any(p.startswith("yuqing-vis-keyword-cloud: Elasticsearch refused its request") for p in problems)
    assert bucket_depths({}) == []


def test_the_check_command(demo: Demo, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("YUQING_CONFIG", raising=False)
    monkeypatch.setenv("YUQING_STORAGE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YUQING_ES_URL", demo.client.transport.node_pool.get().base_url)
    monkeypatch.setenv("YUQING_ES__INDEX_PREFIX", demo.prefix)
    result = CliRunner().invoke(app, ["kibana", "check"])
    assert result.exit_code == 0, result.output
    assert "声量走势（按情感）:" in result.output and f"all 11 saved objects fit {demo.prefix}" in result.output
    broken = [o for o in demo.objects if o["id"] != "yuqing-vis-regions"]
    (tmp_path / "broken.ndjson").write_bytes(to_ndjson(broken))
    refused = CliRunner().invoke(app, ["kibana", "check", "--file", str(tmp_path / "broken.ndjson")])
    assert refused.exit_code == 1
    assert "problem: yuqing-overview-dashboard: reference panel_4 to a missing visualization yuqing-vis-regions" \
        in refused.output
    monkeypatch.setenv("YUQING_ES__INDEX_PREFIX", "nothing-here")
    missing = CliRunner().invoke(app, ["kibana", "check"])  # no such alias: one line, exit code 2
    assert missing.exit_code == 2 and missing.output.count("\n") == 1, missing.output
    assert "HTTP 404" in missing.output and "nothing-here" in missing.output
