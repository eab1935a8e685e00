"""The shipped saved objects, offline: the file is what the builder makes, every line a saved
object Kibana 8.8+ accepts in shape (JSON attributes that parse, versions, references that
resolve, a layout on the 48-column grid), and the dashboard holds the views the issue asks for.
Against real data: test_against_elasticsearch.py."""

from __future__ import annotations

import json

import pytest

from kibana.objects import DASHBOARD_ID, DATA_VIEW_ID, NDJSON, build, for_alias, load, to_ndjson
from kibana.validate import (
    SCHEMAS,
    VIS_TYPES,
    aggregation_request,
    kql_to_dsl,
    layout_problems,
    parsed,
    reference_problems,
    search_source,
)


def json_attributes(node: object, path: str = "") -> list[tuple[str, str]]:
    """Every string attribute Kibana keeps as JSON (its name ends in "JSON")."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("JSON") and isinstance(value, str):
                found.append((f"{path}.{key}", value))
            found += json_attributes(value, f"{path}.{key}")
    return found


def test_the_file_is_what_the_builder_makes() -> None:
    assert NDJSON.read_bytes() == to_ndjson(build()), "regenerate it: python -m kibana.objects"


def test_every_line_is_a_saved_object_with_parsable_attributes() -> None:
    lines = NDJSON.read_text(encoding="utf-8").splitlines()
    objects = [json.loads(line) for line in lines]
    assert len({(o["type"], o["id"]) for o in objects}) == len(objects) == 11
    for obj in objects:
        assert {"type", "id", "attributes", "references", "coreMigrationVersion", "typeMigrationVersion"} <= obj.keys()
        assert obj["coreMigrationVersion"] == "8.8.0" and obj["attributes"]["title"]
        for where, text in json_attributes(obj["attributes"]):
            assert isinstance(json.loads(text), dict | list), where
        if obj["type"] == "visualization":
            state = parsed(obj, "visState")
            assert state["type"] in VIS_TYPES and state["title"] == obj["attributes"]["title"]
            assert [a["type"] for a in state["aggs"] if a["schema"] == "metric"] == ["count"]
            assert {a["schema"] for a in state["aggs"]} <= SCHEMAS
    assert reference_problems(objects) == []


def test_the_dashboard_shows_every_view_on_the_grid() -> None:
    objects = load()
    [board] = [o for o in objects if o["type"] == "dashboard"]
    assert board["id"] == DASHBOARD_ID and layout_problems(board) == []
    panels = parsed(board, "panelsJSON")
    shown = {ref["id"] for ref in board["references"]}
    assert len(panels) == len(shown) == len([o for o in objects if o["type"] in ("visualization", "search")])
    cells = set()
    for panel in panels:  # no two panels overlap
        grid = panel["gridData"]
        mine = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & mine, panel["panelIndex"]
        cells |= mine
    assert search_source(board)["query"]["query"] == "analysis.relevant : true"  # relevant mentions only


def test_the_views_the_issue_asks_for() -> None:
    """Derived from the objects: which chart splits which field, and how."""
    views = {}
    for obj in (o for o in load() if o["type"] == "visualization"):
        state = parsed(obj, "visState")
        views[obj["id"]] = (state["type"], [(a["type"], a["params"].get("field")) for a in state["aggs"][1:]])
    assert views["yuqing-vis-volume-by-sentiment"] == ("histogram", [("date_histogram", "published_at"),
                                                                     ("terms", "sentiment")])
    splits = {fields[0][1]: kind for kind, fields in views.values() if len(fields) == 1}
    assert splits == {"sentiment": "pie", "platform": "pie", "categories": "horizontal_bar",
                      "region": "horizontal_bar", "analysis.place": "horizontal_bar", "author.name": "table",
                      "analysis.keywords": "tagcloud"}
    [view] = [o for o in load() if o["type"] == "index-pattern"]
    assert view["id"] == DATA_VIEW_ID and view["attributes"]["timeFieldName"] == "published_at"
    lookups = json.loads(view["attributes"]["fieldFormatMap"])
    assert {e["key"]: e["value"] for e in lookups["sentiment"]["params"]["lookupEntries"]} == \
        {"negative": "负面", "neutral": "中性", "positive": "正面"}
    assert {e["value"] for e in lookups["categories"]["params"]["lookupEntries"]} >= {"停气降压", "安全泄漏"}


def test_the_data_view_follows_the_configured_alias() -> None:
    objects = for_alias(load(), "gas-mentions")
    assert objects[0]["attributes"]["title"] == "gas-mentions" and load()[0]["attributes"]["title"] == "yuqing-mentions"
    assert [o for o in objects[1:]] == load()[1:]  # nothing else changes


def test_the_checks_catch_broken_objects() -> None:
    objects = load()
    without = [o for o in objects if o["id"] != "yuqing-vis-places"]
    assert reference_problems(without) == \
        [f"{DASHBOARD_ID}: reference panel_5 to a missing visualization yuqing-vis-places"]
    board = next(o for o in objects if o["type"] == "dashboard")
    wide = json.loads(board["attributes"]["panelsJSON"])
    wide[0]["gridData"]["w"] = 49
    assert layout_problems({**board, "attributes": {**board["attributes"], "panelsJSON": json.dumps(wide)}})
    with pytest.raises(ValueError, match="cannot translate"):
        kql_to_dsl("sentiment : negative or platform : weibo")
    assert kql_to_dsl("analysis.relevant : true") == {"bool": {"filter": [{"term": {"analysis.relevant": True}}]}}
    vis = next(o for o in objects if o["id"] == "yuqing-vis-volume-by-sentiment")
    request = aggregation_request(vis, dashboard_query="analysis.relevant : true")
    assert request["aggs"]["agg0"]["date_histogram"]["field"] == "published_at"
    assert request["aggs"]["agg0"]["aggs"]["agg1"]["terms"] == {"field": "sentiment", "size": 3,
                                                                 "order": {"_count": "desc"}}
