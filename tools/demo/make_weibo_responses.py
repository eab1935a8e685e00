"""Write saved Weibo responses in m.weibo.cn's real format from our own sample posts.

Outputs (committed, regenerate after editing the inputs):
- yuqing/demo_data/weibo/: the demo's search pages for the demo keywords, from weibo_posts.jsonl,
  and the hot comments (`comments/hotflow`) of every post that has comments
- tests/fixtures/weibo/: pages for the spider tests, including every failure shape

The layout follows real responses (see tests/crawlers/test_weibo_real_samples.py): the
getIndex envelope `{"ok", "data": {"cardlistInfo", "cards"}}`, posts as `card_type 9`
cards or inside `card_type 11` groups, HTML text with topic links and emoticon images,
truncated long posts completed by `statuses/extend`.

Run: python tools/demo/make_weibo_responses.py
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crawlers.spiders.weibo import EXTEND_URL, hotflow_url, search_url  # noqa: E402
from yuqing.demo import DEMO_ANCHOR, DEMO_KEYWORDS, DEMO_RESPONSES  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 8
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def weibo_time(moment: datetime) -> str:
    return moment.strftime("%a %b %d %H:%M:%S %z %Y")


def html_text(text: str) -> str:
    """Our plain text as Weibo renders it: topic links, @-links and emoticon images."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "#" and "#" in text[i + 1 : i + 20]:
            end = text.index("#", i + 1)
            topic = text[i : end + 1]
            out.append(
                f'<a  href="https://m.weibo.cn/search?containerid=231522type%3D1%26t%3D10%26q%3D'
                f'{quote(topic)}" data-hide=""><span class="surl-text">{topic}</span></a>'
            )
            i = end + 1
        elif ch == "[" and "]" in text[i + 1 : i + 6]:
            end = text.index("]", i)
            alt = text[i : end + 1]
            out.append(
                f'<span class="url-icon"><img alt="{alt}" src="https://h5.sinaimg.cn/m/emoticon/'
                f'icon/default/d_{zlib.crc32(alt.encode()) % 1000}.png" style="width:1em; height:1em;" /></span>'
            )
            i = end + 1
        elif ch == "@":
            end = i + 1
            while end < len(text) and text[end] not in " ，。！？,!?：:":
                end += 1
            name = text[i + 1 : end]
            out.append(f"<a href='/n/{name}'>@{name}</a>")
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def user(post: dict) -> dict:
    uid = int(hashlib.sha1(post["user"].encode()).hexdigest()[:9], 16) % 7_000_000_000 + 1_000_000_000
    followers = post.get("followers", 100)
    # Large accounts come back as "126.0万" strings, as the real API does.
    shown = f"{followers / 10000:.1f}万" if followers >= 100_000 else followers
    return {
        "id": uid,
        "screen_name": post["user"],
        "profile_image_url": f"https://tvax1.sinaimg.cn/crop.0.0.180.180.180/{uid:x}.jpg",
        "profile_url": f"https://m.weibo.cn/u/{uid}?uid={uid}",
        "verified": bool(post.get("verified")),
        "verified_type": 1 if post.get("verified") else -1,
        "verified_reason": post.get("verified_reason", ""),
        "followers_count": shown,
        "follow_count": 180,
        "description": "",
        "gender": "f" if uid % 2 else "m",
        "urank": 12,
        "mbrank": 0,
    }


def mblog(post: dict, mid: int, created: datetime) -> dict:
    text = post["text"]
    long_post = bool(post.get("long"))
    shown = html_text(text[:90]) + f'...<a href="/status/{mid}">全文</a>' if long_post else html_text(text)
    return {
        "visible": {"type": 0, "list_id": 0},
        "created_at": weibo_time(created),
        "id": str(mid),
        "mid": str(mid),
        "bid": f"P{mid % 10**9:x}",
        "can_edit": False,
        "text": shown,
        "textLength": len(post.get("full_text") or text) * 2,
        "source": "iPhone客户端",
        "favorited": False,
        "pic_ids": [],
        "is_paid": False,
        "user": user(post),
        "reposts_count": post.get("reposts", 0),
        "comments_count": post.get("comments", 0),
        "attitudes_count": post.get("likes", 0),
        "pending_approval_count": 0,
        "isLongText": long_post,
        "region_name": f"发布于 {post['region']}" if post.get("region") else "",
        "mblogtype": 0,
        "show_additional_indication": 0,
    }


def search_page(keyword: str, page: int, blogs: list[dict], last: bool) -> dict:
    cards: list[dict] = []
    if page == 1:  # the real first page opens with a non-post card the parser must skip
        cards.append(
            {
                "card_type": 11,
                "show_type": 1,
                "card_group": [{"card_type": 4, "desc": f"“{keyword}”的实时微博", "scheme": ""}],
            }
        )
    for i, blog in enumerate(blogs):
        card = {
            "card_type": 9,
            "itemid": f"seqid:{blog['id']}",
            "scheme": f"https://m.weibo.cn/status/{blog['bid']}",
            "mblog": blog,
        }
        # Every third post arrives wrapped in a card group, as search results often are.
        cards.append({"card_type": 11, "show_type": 1, "card_group": [card]} if i % 3 == 2 else card)
    return {
        "ok": 1,
        "data": {
            "cardlistInfo": {
                "containerid": f"100103type=61&q={keyword}&t=0",
                "v_p": 42,
                "show_style": 1,
                "total": 1000,
                "page": None if last else page + 1,
                "page_size": PAGE_SIZE,
                "starttime": 1764300000,
            },
            "cards": cards,
            "scheme": f"sinaweibo://cardlist?containerid=100103type=61&q={keyword}",
            "showAppTips": 0,
        },
    }


EMPTY = {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}


class Writer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.json"):
            old.unlink()
        self.entries: list[dict] = []

    def add(self, url: str, name: str, body: bytes | dict, status: int = 200, headers: dict | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False, indent=1).encode()
        if name:
            (self.directory / name).write_bytes(data)
        self.entries.append(
            {"url": url, "file": name, "status": status, "headers": headers if headers is not None else JSON_HEADERS}
        )

    def close(self) -> None:
        manifest = self.directory / "responses.json"
        manifest.write_text(json.dumps(self.entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_pages(writer: Writer, keyword: str, items: list[tuple[dict, int, datetime]], prefix: str) -> None:
    """Pages of PAGE_SIZE posts, newest first, then the API's 'no more content' answer."""
    items = sorted(items, key=lambda item: item[1], reverse=True)
    pages = [items[i : i + PAGE_SIZE] for i in range(0, len(items), PAGE_SIZE)]
    for number, chunk in enumerate(pages, start=1):
        blogs = [mblog(post, mid, created) for post, mid, created in chunk]
        writer.add(
            search_url(keyword, number), f"{prefix}-p{number}.json", search_page(keyword, number, blogs, last=False)
        )
        for post, mid, _ in chunk:
            if post.get("long"):
                body = {
                    "ok": 1,
                    "data": {
                        "ok": 1,
                        "longTextContent": html_text(post["full_text"]),
                        "reposts_count": post.get("reposts", 0),
                        "comments_count": post.get("comments", 0),
                        "attitudes_count": post.get("likes", 0),
                    },
                }
                writer.add(f"{EXTEND_URL}?id={mid}", f"extend-{mid}.json", body)
    writer.add(search_url(keyword, len(pages) + 1), f"{prefix}-p{len(pages) + 1}.json", EMPTY)


# Hot comments for the demo posts, chosen by the post's tone. Written for the demo.
PRAISE_WORDS = ("感谢", "点赞", "夸", "赞", "谢谢", "好评", "专业", "及时", "稳定")
COMPLAINT_COMMENTS = (
    ("我们小区也是这样，反映好几次了", "泰山区居民"),
    ("打12345试试，比打客服管用", "热心网友"),
    ("同问，到底什么时候能解决？", "岱岳区上班族"),
    ("@泰山港华燃气 出来给个说法", "泰安吃瓜群众"),
    ("昨天打客服电话，说已经登记了，让等通知[汗]", "新泰小王"),
    ("建议直接找社区，社区会帮忙协调", "社区志愿者"),
)
PRAISE_COMMENTS = (
    ("确实，上次报修也是很快就来了[赞]", "泰山区居民"),
    ("师傅们辛苦了！", "热心网友"),
    ("这个要表扬一下", "老泰安人"),
)


def hot_comments(post: dict, mid: int, created: datetime) -> dict:
    """One page of hot comments (the real `comments/hotflow` envelope); none for quiet posts."""
    if not post.get("comments"):
        return {"ok": 0, "msg": "快来发表你的评论吧"}
    pool = PRAISE_COMMENTS if any(w in post["text"] for w in PRAISE_WORDS) else COMPLAINT_COMMENTS
    count = min(3, post["comments"])
    comments = []
    for k in range(count):
        text, name = pool[(mid + k) % len(pool)]
        cid = mid * 10 + k + 1
        likes = max(1, post.get("likes", 0) // (k + 3))
        comments.append({
            "id": cid, "rootid": cid, "text": html_text(text),
            "created_at": weibo_time(created + timedelta(minutes=20 * (k + 1))),
            "like_count": likes, "total_number": 0, "source": "来自山东",
            "user": {"id": 6_000_000_000 + cid % 1_000_000, "screen_name": name,
                     "followers_count": 80 + 37 * k, "verified": False, "verified_reason": ""},
        })
    return {"ok": 1, "data": {"data": comments, "total_number": post["comments"], "max_id": 0, "max_id_type": 0}}


def demo() -> None:
    posts = [
        json.loads(line)
        for line in (ROOT / "tools/demo/weibo_posts.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    dated = []
    for index, post in enumerate(posts):
        created = (
            DEMO_ANCHOR - timedelta(days=post["days_ago"]) + timedelta(hours=post["hour"], minutes=(index * 7) % 60)
        )
        mid = 5_200_000_000_000_000 + int(created.timestamp()) * 10 + index % 10
        dated.append((post, mid, created))
    writer = Writer(DEMO_RESPONSES / "weibo")
    for k, keyword in enumerate(DEMO_KEYWORDS):
        items = [d for d in dated if keyword in d[0]["keywords"]]
        write_pages(writer, keyword, items, f"search-k{k}")
    for post, mid, created in dated:
        writer.add(hotflow_url(str(mid)), f"hotflow-{mid}.json", hot_comments(post, mid, created))
    writer.close()


def fixtures() -> None:
    """Spider test pages: every shape the parser must survive."""
    base = datetime(2026, 11, 20, 12, tzinfo=SHANGHAI)
    post = {"user": "测试用户", "followers": 1200, "region": "山东"}
    texts = [
        "泰山港华燃气报装三个月还没通气，打电话总说排队[怒] #泰安#",
        "感谢泰安港华燃气抢修师傅半夜上门处理漏气[赞]",
        "岱岳区今天又停气了，做饭做到一半没气了",
        "泰安燃气费这个月怎么这么高，估抄的吧",
        "今天天气不错，去泰山走走",
        "泰山港华燃气营业厅排队两个小时，态度还差",
        "有人冒充燃气公司上门推销报警器，大家注意",
        "新泰市燃气管道施工把路挖断了",
        "燃气公司公众号缴费失败钱没到账",
        "宁阳县入户安检的师傅很专业",
    ]
    items = []
    for i, text in enumerate(texts):
        created = base - timedelta(hours=3 * i)
        items.append(({**post, "text": text}, 5_230_000_000_000_000 + 1000 - i, created))
    writer = Writer(ROOT / "tests/fixtures/weibo")
    keyword = "泰安 燃气"
    first = [mblog(p, mid, c) for p, mid, c in items[:6]]
    second = [mblog(p, mid, c) for p, mid, c in items[6:]]
    # A post deleted by its author after indexing, and a repost of a deleted post.
    first[3] = {
        **first[3],
        "text": '抱歉，此微博已被作者删除。查看帮助：<a href="https://weibo.com/">链接</a>',
        "user": None,
    }
    first[4] = {
        **first[4],
        "retweeted_status": {
            "id": "5229999999999999",
            "text": "此微博已被作者删除。",
            "user": None,
            "created_at": weibo_time(base),
        },
    }
    # A long post and a relative created_at as the mobile site sometimes shows.
    long_full = (
        "泰山港华燃气报装三个月还没通气，打电话总说排队。"
        + "我们小区四百多户，现在能通气的不到一半，天天靠电磁炉做饭。" * 4
        + "希望有关部门督促解决。"
    )
    first[0] = {**first[0], "isLongText": True, "text": html_text(long_full[:60]) + '...<a href="/status/x">全文</a>'}
    second[0] = {**second[0], "created_at": "昨天 18:30"}
    writer.add(search_url(keyword, 1), "search-p1.json", search_page(keyword, 1, first, last=False))
    writer.add(search_url(keyword, 2), "search-p2.json", search_page(keyword, 2, second, last=True))
    writer.add(search_url(keyword, 3), "search-empty.json", EMPTY)
    writer.add(
        f"{EXTEND_URL}?id={first[0]['id']}",
        "extend-long.json",
        {
            "ok": 1,
            "data": {
                "ok": 1,
                "longTextContent": html_text(long_full),
                "reposts_count": 12,
                "comments_count": "3",
                "attitudes_count": 40,
            },
        },
    )
    # Failure shapes, each served for its own keyword.
    writer.add(
        search_url("登录墙", 1),
        "",
        b"",
        status=302,
        headers={"Location": "https://passport.weibo.cn/signin/login?entry=mweibo&r=https%3A%2F%2Fm.weibo.cn%2F"},
    )
    captcha = '<!DOCTYPE html><html><head><title>Sina Visitor System</title></head><body><p>请输入验证码</p><script src="https://passport.weibo.com/js/visitor/mini.js"></script></body></html>'
    writer.add(
        search_url("验证码", 1), "captcha.html", captcha.encode(), headers={"Content-Type": "text/html; charset=utf-8"}
    )
    writer.add(search_url("被限流", 1), "", b"", status=418, headers={"Content-Type": "text/html"})
    truncated = json.dumps(search_page("截断", 1, first[:2], last=False), ensure_ascii=False).encode()[:700]
    writer.add(search_url("截断", 1), "search-truncated.json", truncated)
    writer.add(search_url("空结果", 1), "search-empty-ok0.json", EMPTY)
    writer.close()


if __name__ == "__main__":
    demo()
    fixtures()
    print("wrote yuqing/demo_data/weibo and tests/fixtures/weibo")
