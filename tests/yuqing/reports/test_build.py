"""What a briefing says: figures from the real index and site-check store, events, incidents,
and the extension point."""

from __future__ import annotations

from datetime import datetime, timedelta

from store.base import Facet, MentionQuery, SentimentLabel
from tests.yuqing.reports.conftest import DAY
from yuqing.records import SHANGHAI
from yuqing.reports.build import build_briefing
from yuqing.reports.model import ExtraSection, Period, ReportKind

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)


def test_periods() -> None:
    daily, weekly = Period.ending(ReportKind.daily, DAY), Period.ending(ReportKind.weekly, DAY)
    assert (daily.first, daily.last, daily.report_id) == (DAY, DAY, "daily-2026-11-20")
    assert weekly.first == DAY - timedelta(days=6) and weekly.until - weekly.since == timedelta(days=7)
    assert weekly.previous.last == DAY - timedelta(days=7) and weekly.label == "2026年11月14日 至 2026年11月20日"


def test_weekly_figures_match_the_index(settings, loaded, sites) -> None:
    period = Period.ending(ReportKind.weekly, DAY)
    b = build_briefing(settings=settings, store=loaded, sites=sites, period=period, now=NOW, extensions=[])
    query = MentionQuery(relevant=True, since=period.since, until=period.until)
    assert b.figures.total == loaded.count(query) == 10  # n=1..10 (n=11 is older, n=12 not about us)
    negative = loaded.count(query.model_copy(update={"sentiments": [SentimentLabel.negative]}))
    assert b.figures.negative == negative and b.figures.negative >= 5
    assert b.figures.total == b.figures.negative + b.figures.neutral + b.figures.positive
    assert b.previous.total == 1  # n=11, the week before
    assert sum(t.total for t in b.trend if t.day >= period.first) == b.figures.total
    assert b.platforms[0].value == "微博" and {c.value for c in b.platforms} >= {"今日头条", "抖音"}
    assert sum(c.count for c in b.categories) == sum(
        c.count for c in loaded.facet(query, Facet.category, limit=20))
    assert b.events and b.events[0].mentions >= 2 and "幸福家园" in b.events[0].summary
    assert b.events[0].status == "持续发酵"  # its mentions are from the last day
    assert b.negative_mentions[0].engagement == max(m.engagement for m in b.negative_mentions)
    assert b.title == "泰山港华燃气舆情周报（2026年11月14日 至 2026年11月20日）"


def test_own_channel_incidents_and_uptime(settings, loaded, sites) -> None:
    daily = build_briefing(settings=settings, store=loaded, sites=sites, now=NOW, extensions=[],
                           period=Period.ending(ReportKind.daily, DAY))
    [incident] = daily.sites.incidents
    assert (incident.target, incident.reason, incident.minutes) == ("缴费查询", "状态码异常", 720)
    uptime = {t.target: t for t in daily.sites.targets}
    assert uptime["官网首页"].uptime == 100.0 and uptime["缴费查询"].checks == 4
    assert uptime["缴费查询"].uptime == 50.0
    earlier = build_briefing(settings=settings, store=loaded, sites=sites, now=NOW, extensions=[],
                             period=Period.ending(ReportKind.weekly, DAY - timedelta(days=7)))
    assert [i.target for i in earlier.sites.incidents] == ["官网首页"]


class TicketExtension:
    """What the alerts stage will plug in: event statuses and extra tables."""

    def event_status(self, *, event_ids, now):
        return {event_ids[0]: "红色预警 · 已确认 · 工单#7 处理中"}

    def sections(self, *, period, now):
        return [ExtraSection(key="tickets_new", title="新增工单", headers=["工单", "部门", "状态"],
                             rows=[["#7 幸福家园停气", "调度中心", "处理中"]])]


class BrokenExtension:
    def event_status(self, *, event_ids, now):
        raise RuntimeError("database is down")

    def sections(self, *, period, now):
        raise AssertionError("not reached")


def test_extensions_add_status_and_sections_and_a_broken_one_is_left_out(settings, loaded, sites) -> None:
    period = Period.ending(ReportKind.daily, DAY)
    b = build_briefing(settings=settings, store=loaded, sites=sites, period=period, now=NOW,
                       extensions=[BrokenExtension(), TicketExtension()])
    assert b.events[0].status == "红色预警 · 已确认 · 工单#7 处理中"
    assert [s.title for s in b.extra] == ["新增工单"]


def test_an_empty_period(settings, loaded, sites) -> None:
    b = build_briefing(settings=settings, store=loaded, sites=sites, now=NOW, extensions=[],
                       period=Period.ending(ReportKind.daily, DAY - timedelta(days=30)))
    assert b.figures.total == 0 and b.figures.negative_share is None and b.events == []
    assert len(b.trend) == 7 and b.trend[-1].day == DAY - timedelta(days=30)  # the 7 days up to it
    assert all(t.total == 0 for t in b.trend)


def test_the_city_alone_is_counted_apart_from_the_districts(settings, store, analyzer, sites) -> None:
    from tests.builders import mention
    from yuqing.ingest import Ingestor

    texts = ["泰安市燃气费又涨了，泰山港华燃气也不解释一下", "泰安市的泰山港华燃气营业厅排队太久了",
             "泰山港华燃气岱岳区粥店街道停气一整天", "幸福家园停气第二天了，泰山港华燃气说在抢修",
             "泰山港华燃气新泰市青云街道气压太低"]
    Ingestor(analyzer, store).ingest(mention(n, text, hours_ago=n) for n, text in enumerate(texts, start=1))
    b = build_briefing(settings=settings, store=store, sites=sites, period=Period.ending(ReportKind.daily, DAY),
                       now=NOW, extensions=[])
    districts = {c.value: c.count for c in b.districts}
    assert "泰安市" not in districts and districts.get("岱岳区") == 2, districts
    assert districts.get("市级/未细分") == 2 and b.districts[-1].value == "市级/未细分"
