"""WeChat official-account articles: Sogou's WeChat search, account pages and the article
page on mp.weixin.qq.com.

- Article search `weixin.sogou.com/weixin?type=2&query=…&page=N`: `ul.news-list > li`, title
  link in `div.txt-box h3 a` (an mp.weixin.qq.com URL, or a `/link?url=…` redirect page whose
  script assembles the article URL from `url += '…'` pieces), abstract `p.txt-info`, account
  `a.account` (`i` = openid), publish epoch in `div.s-p[t]`.
- Account search `type=1`: `ul.news-list2 > li` with the name, `label[name=em_weixinhao]`,
  the profile link and the latest article; a profile page holds `var msgList = {…}`.
- Article page: `var ct` (epoch), `var nickname`, `var user_name` (gh_ id), `var msg_title`,
  `var biz/mid/idx/sn` (written as `"" || "" || "value"`), body in `#js_content`; a deleted
  or expired article is a bare `weui-msg` page.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from parsel import Selector

from nlp.clean import clean_text
from yuqing.records import SHANGHAI, Author, Kind, Mention, Platform, mention_id

SOGOU = "https://weixin.sogou.com/weixin"
DELETED_MARKERS = ("该内容已被发布者删除", "此内容因违规无法查看", "链接已过期", "此内容已被删除",
                   "该公众号已迁移", "内容已删除", "此帐号已被屏蔽")


@dataclass(frozen=True, slots=True)
class SearchHit:
    url: str  # article URL or Sogou redirect URL
    title: str
    abstract: str
    account: str
    account_id: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class AccountHit:
    name: str
    wechat_id: str
    profile_url: str
    latest_url: str


def _text(selector: Selector) -> str:
    return re.sub(r"\s+", " ", "".join(selector.xpath(".//text()").getall())).strip()


def _epoch(value: str | None) -> datetime | None:
    if value and value.strip().isdigit() and int(value) > 0:
        return datetime.fromtimestamp(int(value), SHANGHAI)
    return None


def parse_search(page: str, base_url: str = SOGOU) -> list[SearchHit]:
    """Article results of a Sogou WeChat search page (type=2)."""
    hits = []
    for li in Selector(text=page).css("ul.news-list > li"):
        link = li.css("div.txt-box h3 a")
        href = link.attrib.get("href", "") if link else ""
        if not href:
            continue
        stamp = li.css("div.s-p::attr(t)").get() or ""
        if not stamp:
            match = re.search(r"timeConvert\('(\d+)'\)", li.get())
            stamp = match.group(1) if match else ""
        account = li.css("a.account")
        hits.append(SearchHit(
            url=urljoin(base_url, href), title=_text(link[0]),
            abstract=_text(li.css("p.txt-info")[0]) if li.css("p.txt-info") else "",
            account=_text(account[0]) if account else "",
            account_id=account.attrib.get("i", "") if account else "",
            published_at=_epoch(stamp)))
    return hits


def has_next_page(page: str) -> bool:
    return bool(Selector(text=page).css("#sogou_next, a.np"))


def parse_accounts(page: str, base_url: str = SOGOU) -> list[AccountHit]:
    """Accounts of a Sogou WeChat account search page (type=1)."""
    accounts = []
    for li in Selector(text=page).css("ul.news-list2 > li"):
        name = li.css("a[uigs^=account_name]")
        if not name:
            continue
        latest = li.css("a[uigs^=account_article]::attr(href)").get() or ""
        accounts.append(AccountHit(
            name=_text(name[0]), wechat_id=(li.css("label[name=em_weixinhao]::text").get() or "").strip(),
            profile_url=urljoin(base_url, name.attrib.get("href", "")),
            latest_url=urljoin(base_url, latest) if latest else ""))
    return accounts


def redirect_target(page: str) -> str | None:
    """The article URL a Sogou `/link?url=…` page sends the browser to."""
    pieces = re.findall(r"url \+= '([^']*)'", page)
    if pieces:
        return "".join(pieces).replace("@", "")
    match = re.search(r"""location\.(?:replace|href)\s*[=(]\s*['"]([^'"]+)['"]""", page)
    return match.group(1) if match else None


def parse_msglist(page: str, base_url: str = "https://mp.weixin.qq.com/") -> list[tuple[str, datetime | None, str]]:
    """(article URL, publish time, title) from an account page's `var msgList = {…}`."""
    match = re.search(r"var msgList = (\{.*?\});\s*$", page, re.M)
    if not match:
        return []
    out = []
    for entry in json.loads(match.group(1)).get("list") or []:
        info = entry.get("app_msg_ext_info") or {}
        when = _epoch(str((entry.get("comm_msg_info") or {}).get("datetime") or ""))
        for article in [info, *(info.get("multi_app_msg_item_list") or [])]:
            url = str(article.get("content_url") or "").replace("&amp;", "&")
            if url and str(article.get("del_flag", 1)) != "4":
                out.append((urljoin(base_url, url), when, str(article.get("title") or "")))
    return out


def _var(page: str, name: str) -> str:
    """The first non-empty string of `var name = "" || "x"` (or `name: 'x'`) in a page's scripts."""
    match = re.search(rf"var {name}\s*=\s*([^;\n]+)", page)
    if not match:
        return ""
    for value in re.findall(r"""["']([^"']*)["']""", match.group(1)):
        if value.strip():
            return html.unescape(value.strip())
    return ""


def is_deleted(page: str) -> bool:
    """A deleted, blocked or expired article: a message page without an article body."""
    return 'id="js_content"' not in page and any(marker in page for marker in DELETED_MARKERS)


def parse_article(page: str, url: str, now: datetime, query: str = "") -> Mention:
    """An mp.weixin.qq.com article page as a Mention; ValueError when it is not an article."""
    doc = Selector(text=page)
    body = doc.css("#js_content")
    if not body:
        raise ValueError("no #js_content: not an article page")
    heading = doc.css("#activity-name")
    title = (_var(page, "msg_title") or doc.css("meta[property='og:title']::attr(content)").get()
             or (_text(heading[0]) if heading else ""))
    account = _var(page, "nickname") or (_text(doc.css("#js_name")[0]) if doc.css("#js_name") else "")
    published = _epoch(_var(page, "ct")) or _date(_var(page, "publish_time")) or _date(_var(page, "createTime"))
    if published is None:
        raise ValueError("no publish time (var ct / publish_time)")
    biz, mid, idx = _var(page, "biz"), _var(page, "mid"), _var(page, "idx")
    platform_id = f"{biz}-{mid}-{idx}" if biz and mid else None
    province = re.search(r"provinceName['\"]?\s*:\s*['\"]([^'\"]+)", page)
    text = "\n".join(t.strip() for t in body.xpath(".//text()[not(ancestor::script)]").getall() if t.strip())
    return Mention(
        id=mention_id(Platform.wechat, platform_id, url), platform=Platform.wechat, kind=Kind.article,
        url=url, title=clean_text(title or ""), text=clean_text(text),
        author=Author(name=account, id=_var(page, "user_name"), verified=False),
        published_at=published, fetched_at=now, region=province.group(1) if province else "", query=query)


def _date(value: str) -> datetime | None:
    match = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?", value or "")
    if not match:
        return None
    y, m, d, hh, mm = (int(v) if v else 0 for v in match.groups())
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)
