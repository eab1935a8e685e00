"""The Kibana 8 saved objects for the mention index, built in one place.

`saved_objects.ndjson` beside this module is what `build()` returns, one object per line, for
the alias `yuqing-mentions` (a test keeps the file and the builder equal; regenerate it with
`python -m kibana.objects`). `yuqing kibana import` and `yuqing kibana export` retarget the
data view to the configured alias (`es.index_prefix`) with `for_alias()`.

The objects (Kibana 8.8 or newer; the versions stamped on them are the oldest formats they use,
so a newer Kibana migrates them forward on import):
- a data view on the alias, time field `published_at`, with Chinese names for the codes of
  sentiment, platform and complaint category (static lookup formats);
- aggregation-based visualizations (their format has been stable since 7.x): volume per day
  stacked by sentiment, sentiment share, platforms, complaint categories, IP属地 regions,
  places (区县/街道/小区), top authors, and a keyword tag cloud;
- a saved search of the negative mentions;
- the dashboard 舆情总览 with all of them, showing relevant mentions only, last 30 days.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from yuqing.records import CATEGORY_NAMES_ZH, PLATFORM_NAMES_ZH, SENTIMENT_NAMES_ZH

NDJSON = Path(__file__).with_name("saved_objects.ndjson")
DEFAULT_ALIAS = "yuqing-mentions"
DATA_VIEW_ID = "yuqing-mentions-data-view"
DASHBOARD_ID = "yuqing-overview-dashboard"
CORE_VERSION = "8.8.0"  # the first Kibana with typeMigrationVersion
TYPE_VERSIONS = {"index-pattern": "8.0.0", "visualization": "8.5.0", "search": "8.0.0", "dashboard": "8.7.0"}
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
RELEVANT_ONLY = "analysis.relevant : true"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _object(kind: str, object_id: str, attributes: dict[str, Any], references: list[dict[str, str]]) -> dict:
    return {"type": kind, "id": object_id, "attributes": attributes, "references": references,
            "coreMigrationVersion": CORE_VERSION, "typeMigrationVersion": TYPE_VERSIONS[kind]}


def _lookup(names: dict[Any, str]) -> dict[str, Any]:
    entries = [{"key": str(code), "value": name} for code, name in names.items()]
    return {"id": "static_lookup", "params": {"lookupEntries": entries, "unknownKeyValue": None}}


def data_view(alias: str = DEFAULT_ALIAS) -> dict:
    formats = {"sentiment": _lookup(SENTIMENT_NAMES_ZH), "platform": _lookup(PLATFORM_NAMES_ZH),
               "categories": _lookup(CATEGORY_NAMES_ZH)}
    return _object("index-pattern", DATA_VIEW_ID, {
        "title": alias, "name": f"舆情信息（{alias}）", "timeFieldName": "published_at", "fields": "[]",
        "fieldFormatMap": _json(formats), "runtimeFieldMap": "{}", "allowNoIndex": True,
        "sourceFilters": _json([{"value": "tokens"}, {"value": "fp_bands"}]),
    }, [])


def _not_empty(field: str) -> dict[str, Any]:
    """A filter leaving out mentions whose `field` is empty ("" is a value to Elasticsearch, and
    Kibana's terms exclusion cannot name it)."""
    dsl = {"bool": {"must_not": [{"term": {field: ""}}]}}
    return {"meta": {"alias": f"{field} 非空", "negate": False, "disabled": False, "type": "custom", "key": "query",
                     "value": _json(dsl)}, "query": dsl, "$state": {"store": "appState"}}


def _search_source(query: str = "", filters: list[dict] | None = None) -> dict[str, str]:
    return {"searchSourceJSON": _json({"query": {"query": query, "language": "kuery"}, "filter": filters or [],
                                       "indexRefName": INDEX_REF})}


def _terms(agg_id: str, schema: str, field: str, size: int, label: str) -> dict:
    return {"id": agg_id, "enabled": True, "type": "terms", "schema": schema,
            "params": {"field": field, "orderBy": "1", "order": "desc", "size": size, "otherBucket": False,
                       "otherBucketLabel": "其他", "missingBucket": False, "missingBucketLabel": "缺失",
                       "customLabel": label}}


COUNT = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {"customLabel": "信息数"}}


def _axes(horizontal: bool) -> dict[str, Any]:
    category = {"id": "CategoryAxis-1", "type": "category", "position": "left" if horizontal else "bottom",
                "show": True, "style": {}, "scale": {"type": "linear"},
                "labels": {"show": True, "filter": not horizontal, "truncate": 100}, "title": {}}
    value = {"id": "ValueAxis-1", "name": "LeftAxis-1" if not horizontal else "BottomAxis-1", "type": "value",
             "position": "bottom" if horizontal else "left", "show": True, "style": {},
             "scale": {"type": "linear", "mode": "normal"},
             "labels": {"show": True, "rotate": 0, "filter": horizontal, "truncate": 100}, "title": {"text": "信息数"}}
    return {"type": "horizontal_bar" if horizontal else "histogram", "grid": {"categoryLines": False},
            "categoryAxes": [category], "valueAxes": [value],
            "seriesParams": [{"show": True, "type": "histogram", "mode": "stacked",
                              "data": {"label": "信息数", "id": "1"}, "valueAxis": "ValueAxis-1",
                              "drawLinesBetweenPoints": True, "lineWidth": 2, "showCircles": True}],
            "addTooltip": True, "addLegend": not horizontal, "legendPosition": "right", "times": [],
            "addTimeMarker": False, "labels": {"show": horizontal}, "thresholdLine": {"show": False},
            "detailedTooltip": True, "palette": {"type": "palette", "name": "default"}}


def _visualization(object_id: str, title: str, vis_type: str, params: dict, aggs: list[dict],
                   description: str = "", skip_empty: str = "") -> dict:
    """`skip_empty`: a field whose empty value is left out (see `_not_empty`)."""
    state = {"title": title, "type": vis_type, "params": params, "aggs": aggs}
    return _object("visualization", object_id, {
        "title": title, "description": description, "uiStateJSON": "{}", "version": 1, "visState": _json(state),
        "kibanaSavedObjectMeta": _search_source(filters=[_not_empty(skip_empty)] if skip_empty else []),
    }, [{"name": INDEX_REF, "type": "index-pattern", "id": DATA_VIEW_ID}])


def _bars(object_id: str, title: str, field: str, size: int, label: str, *, skip_empty: bool = False) -> dict:
    return _visualization(object_id, title, "horizontal_bar", _axes(horizontal=True),
                          [COUNT, _terms("2", "segment", field, size, label)], skip_empty=field if skip_empty else "")


def _pie(object_id: str, title: str, field: str, size: int, label: str) -> dict:
    params = {"type": "pie", "addTooltip": True, "addLegend": True, "legendPosition": "right", "isDonut": True,
              "labels": {"show": True, "values": True, "last_level": True, "truncate": 100},
              "palette": {"type": "palette", "name": "default"}}
    return _visualization(object_id, title, "pie", params, [COUNT, _terms("2", "segment", field, size, label)])


def visualizations() -> list[dict]:
    day = {"id": "2", "enabled": True, "type": "date_histogram", "schema": "segment",
           "params": {"field": "published_at", "useNormalizedEsInterval": True, "scaleMetricValues": False,
                      "interval": "d", "drop_partials": False, "min_doc_count": 1, "extended_bounds": {},
                      "customLabel": "日期"}}
    table = {"perPage": 20, "showPartialRows": False, "showMetricsAtAllLevels": False, "showTotal": False,
             "totalFunc": "sum", "percentageCol": ""}
    cloud = {"scale": "linear", "orientation": "single", "minFontSize": 14, "maxFontSize": 60, "showLabel": False,
             "palette": {"type": "palette", "name": "default"}}
    return [
        _visualization("yuqing-vis-volume-by-sentiment", "声量走势（按情感）", "histogram", _axes(horizontal=False),
                       [COUNT, day, _terms("3", "group", "sentiment", 3, "情感")],
                       "每日信息数，按情感（复核更正后的情感）堆叠"),
        _pie("yuqing-vis-sentiment-share", "情感占比", "sentiment", 3, "情感"),
        _pie("yuqing-vis-platforms", "平台分布", "platform", 10, "平台"),
        _bars("yuqing-vis-categories", "业务类别", "categories", len(CATEGORY_NAMES_ZH), "业务类别"),
        _bars("yuqing-vis-regions", "IP属地分布", "region", 15, "IP属地", skip_empty=True),
        _bars("yuqing-vis-places", "地点分布（区县/街道/小区）", "analysis.place", 15, "地点", skip_empty=True),
        _visualization("yuqing-vis-top-authors", "活跃作者", "table", table,
                       [COUNT, _terms("2", "bucket", "author.name", 20, "作者")], skip_empty="author.name"),
        _visualization("yuqing-vis-keyword-cloud", "关键词云", "tagcloud", cloud,
                       [COUNT, _terms("2", "segment", "analysis.keywords", 60, "关键词")]),
    ]


def negative_search() -> dict:
    return _object("search", "yuqing-search-negative", {
        "title": "负面信息", "description": "相关的负面信息，最新在前", "hits": 0, "version": 1,
        "columns": ["platform", "author.name", "categories", "analysis.place", "title", "text", "url"],
        "sort": [["published_at", "desc"]], "grid": {}, "hideChart": False,
        "kibanaSavedObjectMeta": _search_source("sentiment : negative"),
    }, [{"name": INDEX_REF, "type": "index-pattern", "id": DATA_VIEW_ID}])


# Where each panel goes on the 48-column grid: (object id, x, y, w, h).
LAYOUT = [
    ("yuqing-vis-volume-by-sentiment", 0, 0, 48, 14),
    ("yuqing-vis-sentiment-share", 0, 14, 16, 14), ("yuqing-vis-platforms", 16, 14, 16, 14),
    ("yuqing-vis-categories", 32, 14, 16, 14),
    ("yuqing-vis-regions", 0, 28, 16, 15), ("yuqing-vis-places", 16, 28, 16, 15),
    ("yuqing-vis-top-authors", 32, 28, 16, 15),
    ("yuqing-vis-keyword-cloud", 0, 43, 20, 16), ("yuqing-search-negative", 20, 43, 28, 16),
]


def dashboard(panels: list[dict]) -> dict:
    kinds = {o["id"]: o["type"] for o in panels}
    entries, references = [], []
    for n, (object_id, x, y, w, h) in enumerate(LAYOUT):
        index = str(n + 1)
        entries.append({"version": CORE_VERSION, "type": kinds[object_id], "panelIndex": index,
                        "gridData": {"x": x, "y": y, "w": w, "h": h, "i": index}, "embeddableConfig": {},
                        "panelRefName": f"panel_{n}"})
        references.append({"name": f"panel_{n}", "type": kinds[object_id], "id": object_id})
    return _object("dashboard", DASHBOARD_ID, {
        "title": "舆情总览", "description": "相关信息的声量、情感、平台、业务类别、地区、作者与关键词（默认近 30 天）",
        "hits": 0, "version": 1, "timeRestore": True, "timeFrom": "now-30d", "timeTo": "now",
        "refreshInterval": {"pause": True, "value": 0},
        "optionsJSON": _json({"useMargins": True, "syncColors": False, "syncCursor": True, "syncTooltips": False,
                              "hidePanelTitles": False}),
        "panelsJSON": _json(entries),
        "kibanaSavedObjectMeta": {"searchSourceJSON": _json({"query": {"query": RELEVANT_ONLY, "language": "kuery"},
                                                             "filter": []})},
    }, references)


def build(alias: str = DEFAULT_ALIAS) -> list[dict]:
    """Every object, referenced ones before those referring to them."""
    panels = [*visualizations(), negative_search()]
    return [data_view(alias), *panels, dashboard(panels)]


def to_ndjson(objects: list[dict]) -> bytes:
    return "".join(_json(o) + "\n" for o in objects).encode("utf-8")


def load(path: Path = NDJSON) -> list[dict]:
    """The shipped objects, one JSON object per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def for_alias(objects: list[dict], alias: str) -> list[dict]:
    """The objects with the data view on `alias` (the configured `es.index_prefix`)."""
    out = []
    for obj in objects:
        if obj["type"] == "index-pattern":
            obj = {**obj, "attributes": {**obj["attributes"], "title": alias, "name": f"舆情信息（{alias}）"}}
        out.append(obj)
    return out


if __name__ == "__main__":
    NDJSON.write_bytes(to_ndjson(build()))
    print(f"wrote {NDJSON} ({len(build())} objects)")
