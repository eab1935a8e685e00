"""Check saved objects without Kibana: their references, the fields they use against the mention
index's mapping (Elasticsearch `_field_caps`), and the aggregation behind each visualization,
derived from the saved object itself, so it can be run on real data (`yuqing kibana check`).

What each use of a field needs:
- `date`: a time axis (`timeFieldName`, a `date_histogram`, a saved search's sort);
- `aggregatable`: a terms split (a keyword or boolean field with doc values);
- `searchable`: a field in a query or a filter;
- `exists`: a column of a saved search, a field format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError

VIS_TYPES = {"histogram", "horizontal_bar", "line", "area", "pie", "tagcloud", "table", "metric"}
SCHEMAS = {"metric", "segment", "group", "split", "bucket", "radius"}
BUCKET_AGGS = {"date_histogram", "terms"}
METRIC_AGGS = {"count"}
GRID_COLUMNS = 48
_KQL_TERM = re.compile(r'^\s*(?P<field>[\w.]+)\s*:\s*(?P<value>"[^"]*"|[^\s"()]+)\s*$')


@dataclass(frozen=True)
class FieldUse:
    object_id: str
    field: str
    need: str  # "date", "aggregatable", "searchable" or "exists"


def parsed(obj: dict, *path: str) -> Any:
    """A JSON-in-a-string attribute, parsed (e.g. parsed(vis, "visState"))."""
    value: Any = obj["attributes"]
    for key in path:
        value = value[key]
    return json.loads(value)


def search_source(obj: dict) -> dict:
    return parsed(obj, "kibanaSavedObjectMeta", "searchSourceJSON")


def reference_problems(objects: list[dict]) -> list[str]:
    """Every (type, id) unique; every *RefName names a reference; every reference resolves."""
    problems = []
    known: set[tuple[str, str]] = set()
    for obj in objects:
        key = (obj["type"], obj["id"])
        if key in known:
            problems.append(f"{obj['type']} {obj['id']} appears twice")
        known.add(key)
    for obj in objects:
        names = {ref["name"] for ref in obj.get("references", [])}
        wanted = []
        if "kibanaSavedObjectMeta" in obj["attributes"]:
            wanted += [v for k, v in search_source(obj).items() if k == "indexRefName"]
        if obj["type"] == "dashboard":
            wanted += [panel["panelRefName"] for panel in parsed(obj, "panelsJSON")]
        problems += [f"{obj['id']}: {name} has no reference" for name in wanted if name not in names]
        for ref in obj.get("references", []):
            if (ref["type"], ref["id"]) not in known:
                problems.append(f"{obj['id']}: reference {ref['name']} to a missing {ref['type']} {ref['id']}")
    return problems


def layout_problems(dashboard: dict) -> list[str]:
    problems = []
    for panel in parsed(dashboard, "panelsJSON"):
        grid = panel["gridData"]
        if not all(isinstance(grid[k], int) and grid[k] >= 0 for k in ("x", "y", "w", "h")):
            problems.append(f"panel {panel['panelIndex']}: gridData must be non-negative integers")
        elif grid["x"] + grid["w"] > GRID_COLUMNS:
            problems.append(f"panel {panel['panelIndex']}: wider than the {GRID_COLUMNS}-column grid")
    return problems


def kql_to_dsl(query: str) -> dict:
    """The Elasticsearch query of the simple KQL we write: `field : value` joined by `and`.
    Anything else raises ValueError, so a query is never silently ignored."""
    if not query.strip():
        return {"match_all": {}}
    clauses = []
    for part in re.split(r"\s+and\s+", query.strip(), flags=re.IGNORECASE):
        match = _KQL_TERM.match(part)
        if not match:
            raise ValueError(f"KQL this check cannot translate: {part!r}")
        value: Any = match["value"].strip('"')
        value = {"true": True, "false": False}.get(value, value)
        clauses.append({"term": {match["field"]: value}})
    return {"bool": {"filter": clauses}}


def _kql_fields(query: str) -> list[str]:
    return [m["field"] for part in re.split(r"\s+and\s+", query.strip(), flags=re.IGNORECASE)
            if (m := _KQL_TERM.match(part))]


def _dsl_fields(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("term", "terms", "match", "match_phrase", "range", "exists") and isinstance(value, dict):
                yield from (value["field"],) if key == "exists" else value.keys()
            else:
                yield from _dsl_fields(value)
    elif isinstance(node, list):
        for item in node:
            yield from _dsl_fields(item)


def query_of(obj: dict, *extra: str) -> dict:
    """The filter context of an object: its KQL, its enabled filters and any `extra` KQL
    (a dashboard's query applies to every panel)."""
    source = search_source(obj)
    clauses = [kql_to_dsl(source["query"]["query"]), *(kql_to_dsl(q) for q in extra)]
    for item in source.get("filter", []):
        if not item["meta"].get("disabled"):
            clauses.append({"bool": {"must_not": [item["query"]]}} if item["meta"].get("negate") else item["query"])
    return {"bool": {"filter": clauses}}


def fields_used(objects: list[dict]) -> list[FieldUse]:
    uses = []
    for obj in objects:
        oid, attributes = obj["id"], obj["attributes"]
        if obj["type"] == "index-pattern":
            uses.append(FieldUse(oid, attributes["timeFieldName"], "date"))
            uses += [FieldUse(oid, f, "exists") for f in json.loads(attributes.get("fieldFormatMap") or "{}")]
        if "kibanaSavedObjectMeta" in attributes:
            source = search_source(obj)
            uses += [FieldUse(oid, f, "searchable") for f in _kql_fields(source["query"]["query"])]
            uses += [FieldUse(oid, f, "searchable") for item in source.get("filter", [])
                     for f in _dsl_fields(item["query"])]
        if obj["type"] == "visualization":
            for agg in parsed(obj, "visState")["aggs"]:
                if agg["type"] in BUCKET_AGGS:
                    need = "date" if agg["type"] == "date_histogram" else "aggregatable"
                    uses.append(FieldUse(oid, agg["params"]["field"], need))
        if obj["type"] == "search":
            uses += [FieldUse(oid, f, "exists") for f in attributes["columns"]]
            uses += [FieldUse(oid, f, "date") for f, _ in attributes["sort"]]
    return uses


def field_problems(uses: list[FieldUse], caps: dict[str, dict[str, dict]]) -> list[str]:
    """`caps`: the "fields" of an Elasticsearch _field_caps answer for the data view's pattern."""
    problems = []
    for use in uses:
        found = caps.get(use.field)
        if not found:
            problems.append(f"{use.object_id}: field {use.field} is not in the mapping")
            continue
        types = set(found) - {"unmapped"}
        info = next(iter(found.values()))
        if len(types) != 1 or "unmapped" in found:
            problems.append(f"{use.object_id}: field {use.field} is not mapped the same in every index ({types})")
        elif use.need == "date" and types != {"date"}:
            problems.append(f"{use.object_id}: {use.field} is {types.pop()}, a time axis needs a date")
        elif use.need == "aggregatable" and not (types <= {"keyword", "boolean"} and info.get("aggregatable")):
            problems.append(f"{use.object_id}: {use.field} is {types.pop()}, a terms split needs an aggregatable "
                            "keyword")
        elif use.need == "searchable" and not info.get("searchable"):
            problems.append(f"{use.object_id}: {use.field} cannot be searched")
    return problems


def _bucket(agg: dict) -> dict:
    params = agg["params"]
    if agg["type"] == "date_histogram":
        interval = {"d": "1d", "w": "1w", "M": "1M", "h": "1h", "y": "1y"}.get(params.get("interval", "d"), "1d")
        return {"date_histogram": {"field": params["field"], "calendar_interval": interval,
                                   "min_doc_count": params.get("min_doc_count", 1), "time_zone": "Asia/Shanghai"}}
    order_key = "_count" if params.get("orderBy") == "1" else "_key"
    return {"terms": {"field": params["field"], "size": params["size"], "order": {order_key: params["order"]}}}


def aggregation_request(vis: dict, *, dashboard_query: str = "") -> dict:
    """The search a visualization runs: its query and filters (and its dashboard's query), its
    bucket aggregations nested in their order, counting documents (its one metric)."""
    state = parsed(vis, "visState")
    if state["type"] not in VIS_TYPES:
        raise ValueError(f"{vis['id']}: visualization type {state['type']} is not one this check knows")
    aggs = [a for a in state["aggs"] if a.get("enabled", True)]
    for agg in aggs:
        if agg["schema"] not in SCHEMAS or agg["type"] not in BUCKET_AGGS | METRIC_AGGS:
            raise ValueError(f"{vis['id']}: aggregation {agg['type']}/{agg['schema']} is not one this check knows")
    body: dict[str, Any] = {"size": 0, "track_total_hits": True,
                            "query": query_of(vis, dashboard_query) if dashboard_query else query_of(vis)}
    level = body
    for n, agg in enumerate(a for a in aggs if a["type"] in BUCKET_AGGS):
        name = f"agg{n}"
        level["aggs"] = {name: _bucket(agg)}
        level = level["aggs"][name]
    return body


def bucket_depths(response: dict, depth: int = 0) -> list[int]:
    """How many buckets each level of a nested aggregation answer holds (summed over parents)."""
    counts: list[int] = []

    def walk(node: dict, level: int) -> None:
        inner = node.get(f"agg{level}")
        if inner is None:
            return
        while len(counts) <= level:
            counts.append(0)
        counts[level] += len(inner["buckets"])
        for bucket in inner["buckets"]:
            walk(bucket, level + 1)

    walk(response.get("aggregations", {}), depth)
    return counts


@dataclass
class CheckReport:
    problems: list[str]
    buckets: dict[str, list[int]]  # visualization id → buckets per level
    hits: dict[str, int]  # saved search id → matching mentions


def _dashboard_queries(objects: list[dict]) -> dict[str, str]:
    """The query of the dashboard each panel is on (panels run with it)."""
    found = {}
    for board in (o for o in objects if o["type"] == "dashboard"):
        query = search_source(board)["query"]["query"]
        for ref in board["references"]:
            found[ref["id"]] = query
    return found


def check_against(client: Any, objects: list[dict]) -> CheckReport:
    """Every check above against a live cluster holding the mentions (an `elasticsearch.Elasticsearch`)."""
    view = next(o for o in objects if o["type"] == "index-pattern")
    pattern = view["attributes"]["title"]
    caps = client.field_caps(index=pattern, fields="*")["fields"]
    problems = reference_problems(objects) + field_problems(fields_used(objects), caps)
    for board in (o for o in objects if o["type"] == "dashboard"):
        problems += layout_problems(board)
    queries, buckets, hits = _dashboard_queries(objects), {}, {}
    for obj in objects:
        try:
            if obj["type"] == "visualization":
                request = aggregation_request(obj, dashboard_query=queries.get(obj["id"], ""))
                buckets[obj["id"]] = bucket_depths(dict(client.search(index=pattern, **request)))
                if not buckets[obj["id"]] or 0 in buckets[obj["id"]]:
                    problems.append(f"{obj['id']}: its aggregation returns no buckets")
            elif obj["type"] == "search":
                sort = [{field: {"order": order}} for field, order in obj["attributes"]["sort"]]
                answer = client.search(index=pattern, query=query_of(obj, queries.get(obj["id"], "")), sort=sort,
                                       size=1, track_total_hits=True)
                hits[obj["id"]] = answer["hits"]["total"]["value"]
                if not hits[obj["id"]]:
                    problems.append(f"{obj['id']}: its search finds nothing")
        except ValueError as exc:
            problems.append(str(exc))
        except ApiError as exc:  # the cluster refused the request (e.g. a terms split on a text field)
            problems.append(f"{obj['id']}: Elasticsearch refused its request: {exc.message}")
    return CheckReport(problems=problems, buckets=buckets, hits=hits)
