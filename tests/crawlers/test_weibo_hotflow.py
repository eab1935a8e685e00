"""Hot comments (comments/hotflow) of Weibo posts that matter: two pages then the end,
inline replies linked to their comment, deleted comments skipped, failures counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.spiders.weibo import WeiboSearchSpider
from tests.builders import mention
from tests.crawlers.spiderkit import crawl, make_spider, stat
from tests.crawlers.test_social_spiders import analysis
from yuqing.records import Kind, Platform, SentimentLabel, mention_id


def post(mid: str, **fields):
    return mention(1, "泰山港华燃气报装三个月还没通气", id=mention_id(Platform.weibo, mid),
                   url=f"https://m.weibo.cn/detail/{mid}", query="泰安 燃气", **fields)


def test_hot_comments_of_a_negative_post(tmp_path: Path) -> None:
    spider = make_spider(WeiboSearchSpider, tmp_path)
    target = post("5230000000001000")
    requests = spider.follow_ups(target, analysis(SentimentLabel.negative))
    items, made = crawl(spider, "weibo-hotflow", requests)
    assert len(made) == 2 and "max_id=139000000000001" in made[1].url
    comments = {i.mention.id: i.mention for i in items}
    assert len(comments) == 3  # two hot comments and one inline reply; the deleted one skipped
    first = comments["weibo:comment-5230000000900001"]
    assert first.kind == Kind.comment and first.parent_id == target.id and first.region == "山东"
    assert first.likes == 56 and first.author.followers == 12000 and first.author.verified
    assert "@泰山港华燃气" in first.text and "<a" not in first.text
    assert comments["weibo:comment-5230000000900009"].parent_id == first.id
    assert first.published_at.tzinfo is not None and first.query == "泰安 燃气"


def test_comment_pages_setting_limits_the_walk(tmp_path: Path) -> None:
    spider = make_spider(WeiboSearchSpider, tmp_path, comment_pages=1)
    items, made = crawl(spider, "weibo-hotflow", spider.follow_ups(post("5230000000001000"),
                                                                   analysis(SentimentLabel.negative)))
    assert len(made) == 1 and len(items) == 2


def test_engagement_alone_asks_for_comments(tmp_path: Path) -> None:
    spider = make_spider(WeiboSearchSpider, tmp_path, comments_min_engagement=100)
    quiet, busy = post("5230000000000999", likes=10), post("5230000000000998", likes=90, reposts=20)
    assert spider.follow_ups(quiet, analysis(SentimentLabel.neutral)) == []
    assert len(spider.follow_ups(busy, analysis(SentimentLabel.neutral))) == 1
    disabled = make_spider(WeiboSearchSpider, tmp_path, comments=False)
    assert disabled.follow_ups(busy, analysis(SentimentLabel.negative)) == []


@pytest.mark.parametrize(("mid", "problem"), [("5230000000000999", "empty"), ("5230000000000998", "login_wall"),
                                              ("5230000000000995", "captcha"), ("5230000000000994", "http_418"),
                                              ("5230000000000993", "malformed")])
def test_comment_failures_are_counted(tmp_path: Path, mid: str, problem: str) -> None:
    spider = make_spider(WeiboSearchSpider, tmp_path)
    items, _ = crawl(spider, "weibo-hotflow", spider.follow_ups(post(mid), analysis(SentimentLabel.negative)))
    assert items == [] and stat(spider, problem) == 1
