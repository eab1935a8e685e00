"""Public message boards: 人民网领导留言板 (messages to local leaders about gas service, with
the official reply and status) and a generic board spider for the city's 12345 / 市长信箱
pages, configured by URL pattern and CSS selectors (`[[sources.board.boards]]`).

A message still waiting for its reply is kept in the crawl state and read again on later
runs (for `recheck_days`), so the reply and the new status arrive when the office answers.
Formats: `crawlers/parsers/boards.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.parsers import boards, news
from crawlers.spiders.base import SourceSpider
from yuqing.records import Mention

SEARCH_PATH = "/v2/threads/search"
DETAIL_PATH = "/v1/threads/content"
ROWS = 10


class BoardSpiderBase(SourceSpider):
    newest_first = False

    def message_items(self, message: Mention, replies: list[Mention], status: str,
                      response: Response) -> Iterator[Any]:
        """The message and its replies; unanswered messages are kept for a later re-check."""
        yield self.item(message, response)
        for reply in replies:
            yield self.item(reply, response)
        if replies or boards.is_answered(status):
            self.state.done_recheck(self.source, message.id)
        else:
            self.state.add_recheck(self.source, message.id, message.model_dump_json(), self.now())

    def rechecks(self) -> list[Mention]:
        max_age = timedelta(days=getattr(self.source_settings, "recheck_days", 60))
        return [Mention.model_validate_json(payload)
                for _, payload in self.state.rechecks(self.source, max_age, self.now())]


class PeopleBoardSpider(BoardSpiderBase):
    name = "people_board"
    source = "people_board"
    allowed_domains = ["liuyan.people.com.cn"]
    headers = {"Accept": "application/json, text/plain, */*", "Content-Type": "application/json;charset=UTF-8",
               "Origin": boards.PEOPLE, "Referer": f"{boards.PEOPLE}/"}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for fid in self.source_settings.forums or [""]:
            for keyword in self.source_settings.keywords:
                yield self._search(f"{fid}:{keyword}" if fid else keyword, keyword, fid, 1)
        for message in self.rechecks():
            yield self._detail(message)

    def _post(self, path: str, param: dict[str, Any], callback: Any, **kwargs: Any) -> scrapy.Request:
        body = boards.people_body(path, param, self.source_settings.app_code)
        query = "?sortType=0" if path == SEARCH_PATH else ""
        return self.request(f"{boards.PEOPLE}{path}{query}", callback, method="POST", body=body.encode(), **kwargs)

    def _search(self, key: str, keyword: str, fid: Any, page: int) -> scrapy.Request:
        param = {"position": 0, "keywords": keyword, "fid": fid, "domainId": "", "typeId": "", "timeRange": "",
                 "ansChecked": "", "stTime": "", "sortType": "0", "page": page, "rows": ROWS}
        return self._post(SEARCH_PATH, param, self.parse_search, key=key,
                          cb_kwargs={"keyword": keyword, "fid": fid, "page": page})

    def _detail(self, message: Mention) -> scrapy.Request:
        tid = message.id.removeprefix("board:people-")
        return self._post(DETAIL_PATH, {"tid": tid, "fromTrash": 0}, self.parse_detail,
                          cb_kwargs={"message": message})

    def mark_of(self, mention: Mention) -> int:
        tid = mention.id.removeprefix("board:people-")
        return int(tid) if tid.isdigit() else 0

    def api_refusal(self, data: dict[str, Any], response: Response, key: str | None) -> bool:
        """True (after counting why) when the API answered with an error instead of data."""
        code = data.get("code", data.get("resultCode", 0))
        if code in (0, "0", 200, "200", None):
            return False
        description = str(data.get("resultDesc") or data.get("msg") or "")
        if "不存在" in description or "删除" in description:
            self.count("deleted")  # taken down since the search listed it
            return True
        reason = "signature_rejected" if str(code).startswith("SN") else "api_error"
        self.logger.warning("%s: the board answered %s: %s", self.source, code, description)
        self.refused(reason, response, key)
        return True

    def parse_search(self, response: Response, key: str, keyword: str, fid: Any, page: int) -> Iterator[Any]:
        if not self.usable(response, key):
            return
        data = self.json_body(response)
        if data is None or self.api_refusal(data, response, key):
            if data is None:
                self.fail(key, "malformed")
            return
        items = ((data.get("data") or {}).get("data")) or []
        for item in items:
            try:
                message = boards.people_message(item, keyword, self.now())
            except (KeyError, ValueError, TypeError) as exc:
                self.problem("malformed_item", response, str(exc))
                continue
            if self.known(key, message):
                self.count("known")
                continue
            self.saw(key, message)
            yield self._detail(message)
        if len(items) < ROWS or page >= self.page_budget(key):
            self.finish(key, ended=len(items) < ROWS)
        else:
            yield self._search(key, keyword, fid, page + 1)

    def parse_detail(self, response: Response, message: Mention) -> Iterator[Any]:
        if not self.usable(response):
            return
        data = self.json_body(response)
        if data is None or self.api_refusal(data, response, None):
            return
        try:
            message, replies, status = boards.people_detail(data, message, self.now())
        except (ValueError, TypeError, AttributeError) as exc:
            self.problem("malformed", response, str(exc))
            return
        yield from self.message_items(message, replies, status, response)


class GenericBoardSpider(BoardSpiderBase):
    """Any board whose list and message pages are plain HTML (12345 hotline, 市长信箱)."""

    name = "board"
    source = "board"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for index in range(len(self.source_settings.boards)):
            yield self._list(index, 1)
        for message in self.rechecks():
            yield self.request(message.url, self.parse_message, cb_kwargs={
                "index": self._spec_index(message), "row": {"url": message.url, "title": message.title,
                                                            "status": "", "published_at": message.published_at,
                                                            "query": message.query}})

    def _spec_index(self, message: Mention) -> int:
        names = [spec.name for spec in self.source_settings.boards]
        return names.index(message.author.name) if message.author.name in names else 0

    def _list(self, index: int, page: int) -> scrapy.Request:
        spec = self.source_settings.boards[index]
        return self.request(spec.list_url.format(page=page), self.parse_list, key=spec.name,
                            cb_kwargs={"index": index, "page": page})

    def parse_list(self, response: Response, key: str, index: int, page: int) -> Iterator[Any]:
        if not self.usable(response, key):
            return
        spec = self.source_settings.boards[index]
        rows = boards.board_rows(response.text, spec, response.url, self.now())
        if not rows:
            self.count("empty")
            self.finish(key, ended=True)
            return
        for row in rows:
            if row["published_at"] and self.known_at(key, row["published_at"]):
                self.count("known")
                continue
            if row["published_at"]:
                self.saw_at(key, row["published_at"])
            hit = news.NewsHit(url=row["url"], title=row["title"], summary="", outlet="", published_at=None)
            keyword = news.matches(hit, self.source_settings.keywords) if spec.title else ""
            if keyword is None:
                continue  # another topic (with no title selector every message is read)
            yield self.request(row["url"], self.parse_message, headers={"Referer": response.url},
                               cb_kwargs={"index": index, "row": {**row, "query": keyword}})
        if page >= self.page_budget(key):
            self.finish(key)
        else:
            yield self._list(index, page + 1)

    def parse_message(self, response: Response, index: int, row: dict[str, Any]) -> Iterator[Any]:
        if response.status in (404, 410):
            self.count("deleted")  # listed, then taken down
            return
        if not self.usable(response):
            return
        spec = self.source_settings.boards[index]
        try:
            message, replies = boards.board_message(response.text, spec, row, spec.name, self.now())
        except ValueError as exc:
            self.problem("malformed", response, str(exc))
            return
        if not spec.title and not row.get("query"):
            hit = news.NewsHit(url="", title=message.title, summary=message.text, outlet="", published_at=None)
            keyword = news.matches(hit, self.source_settings.keywords)
            if keyword is None:
                return
            message = message.model_copy(update={"query": keyword})
        yield from self.message_items(message, replies, row["status"], response)
